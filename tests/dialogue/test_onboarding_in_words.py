"""Onboarding answered in the person's own words, through the real embedded NLU."""

from __future__ import annotations

from typing import Any

import pytest

from tests.kit import Chat, Harness

CRISIS = "Je suis là. Ce que tu vis compte."


async def person(h: Harness, user: str = "ines") -> Any:
    async with h.db.transaction() as uow:
        return await uow.people.find("test", user)


async def agreed(chat: Chat) -> None:
    await chat.send("salut")
    await chat.send("ok")


def alarms(chat: Chat) -> int:
    return sum(text.startswith(CRISIS) for text in chat.texts)


async def test_one_message_fills_four_fields_and_the_next_question_is_the_first_missing(harness: Harness) -> None:
    chat = harness.chat()
    await agreed(chat)
    replies = await chat.send("moi c sami, g 21 ans, jhabite a vanves et jcherche un taf")
    assert "Noté : Sami, 21 ans, Vanves, tu cherches un emploi." in [r.text for r in replies]
    assert chat.last.text == "Quel est ton dernier diplôme ?"
    stored = await person(harness)
    assert (stored.first_name, stored.age, stored.commune, stored.situation) == ("Sami", 21, "92075", "emploi")


async def test_facts_before_the_consent_are_kept_once_agreed(harness: Harness) -> None:
    chat = harness.chat()
    await chat.send("bonjour jm'appelle Kenza j'ai 19 ans")
    assert await person(harness) is None or (await person(harness)).first_name is None
    await chat.send("dacc")
    assert "Noté : Kenza, 19 ans." in chat.texts
    assert chat.last.text.startswith("Tu habites dans quelle ville")


@pytest.mark.parametrize("name", ["Moussa", "Aïcha", "Mamadou", "Fatoumata", "Kadiatou", "Chloé", "Mélissa",
                                  "Ibrahima", "Oumou", "Jean-Baptiste"])
async def test_a_frequent_first_name_is_a_first_name_never_an_alarm(harness: Harness, name: str) -> None:
    chat = harness.chat()
    await agreed(chat)
    await chat.send(name)
    assert alarms(chat) == 0
    assert (await person(harness)).first_name == name
    assert chat.last.text == "Tu as quel âge ?"


@pytest.mark.parametrize(("typed", "name"), [("moi c yanis", "Yanis"), ("yanis et toi", "Yanis"),
                                             ("jm'appelle inès", "Inès"), ("c'est Marie-Claire", "Marie-Claire")])
async def test_the_words_around_a_first_name_are_not_the_name(harness: Harness, typed: str, name: str) -> None:
    chat = harness.chat()
    await agreed(chat)
    await chat.send(typed)
    assert (await person(harness)).first_name == name


async def test_a_request_at_the_first_name_question_is_not_a_name(harness: Harness) -> None:
    chat = harness.chat()
    await agreed(chat)
    await chat.send("prendre rdv")
    assert (await person(harness)).first_name is None


async def test_danger_is_heard_even_with_a_first_name(harness: Harness) -> None:
    chat = harness.chat()
    await agreed(chat)
    await chat.send("je m'appelle Inès et je veux mourir")
    assert alarms(chat) == 1


async def test_16_ans_is_16(harness: Harness) -> None:
    chat = harness.chat()
    await agreed(chat)
    await chat.send("Lina")
    await chat.send("16 ans")
    stored = await person(harness)
    assert stored is not None and stored.age == 16
    assert chat.last.text.startswith("Tu habites dans quelle ville")


async def test_an_age_out_of_range_is_confirmed_first_and_nothing_is_erased(harness: Harness) -> None:
    chat = harness.chat()
    await agreed(chat)
    await chat.send("Lina")
    await chat.send("12")
    assert chat.last.text == "Tu as bien 12 ans ?"
    stored = await person(harness)
    assert stored is not None and stored.first_name == "Lina"
    await chat.send("non j'ai 19 ans")
    stored = await person(harness)
    assert stored is not None and stored.age == 19


async def test_a_date_at_the_age_question_is_not_an_age(harness: Harness) -> None:
    chat = harness.chat()
    await agreed(chat)
    await chat.send("Lina")
    await chat.send("je veux un rdv le 12 janvier")
    stored = await person(harness)
    assert stored is not None and stored.age is None


async def test_under_16_confirmed_keeps_nothing(harness: Harness) -> None:
    chat = harness.chat()
    await agreed(chat)
    await chat.send("Lina")
    await chat.send("j'ai 14 ans")
    assert await person(harness) is not None
    await chat.send("oui")
    assert any("0 800 235 236" in t for t in chat.texts)
    assert await person(harness) is None


async def test_negation_and_near_names(harness: Harness) -> None:
    chat = harness.chat()
    await agreed(chat)
    await chat.send("Nour")
    await chat.send("20")
    await chat.send("la garenne colombes")
    await chat.send("g pas le bac")
    stored = await person(harness)
    assert (stored.commune, stored.schooling) == ("92035", "aucun")


async def test_a_list_question_adds_what_is_named_and_stays_open(harness: Harness) -> None:
    chat = harness.chat()
    await agreed(chat)
    for typed in ("Nour", "20", "nanterre", "cap", "je cherche une formation", "non", "personne"):
        await chat.send(typed)
    assert chat.last.text.startswith("Qu'est-ce qui te complique la vie")
    await chat.send("jai pas le permis et pas de thune")
    assert "J'ajoute : me déplacer et argent." in chat.texts
    assert chat.last.text.startswith("Qu'est-ce qui te complique la vie")
    await chat.send("le logement aussi")
    await chat.send("c'est tout")
    stored = await person(harness)
    assert stored.obstacles == ["mobilite", "logement", "argent"]
    assert chat.last.text.startswith("Quels métiers")


async def test_a_correction_changes_an_answer_already_given(harness: Harness) -> None:
    chat = harness.chat()
    await agreed(chat)
    await chat.send("Nour")
    await chat.send("19")
    await chat.send("non attends j'ai 20 ans")
    assert (await person(harness)).age == 20


async def test_an_unknown_first_name_is_asked_back(harness: Harness) -> None:
    chat = harness.chat()
    await agreed(chat)
    await chat.send("moi c Zorvanka")
    assert chat.last.text == "Je t'appelle Zorvanka ?"
    await chat.send("oui")
    assert (await person(harness)).first_name == "Zorvanka"


async def test_a_question_answers_nothing_and_is_answered(harness: Harness) -> None:
    chat = harness.chat()
    await agreed(chat)
    for typed in ("Nour", "20", "nanterre", "cap", "je cherche une formation"):
        await chat.send(typed)
    await chat.send("c'est quoi le rsa ?")
    assert "Le RSA, c'est le revenu de solidarité active. Ça change les aides possibles." in chat.texts[-2:]
    assert chat.last.text == "Tu touches le RSA ?"
    assert (await person(harness)).rsa is None


async def test_a_town_of_another_departement_is_outside(harness: Harness) -> None:
    chat = harness.chat()
    await agreed(chat)
    await chat.send("Nour")
    await chat.send("20")
    await chat.send("jhabite a creteil")
    assert (await person(harness)).commune == "hors92"
    assert chat.last.text == "Quel est ton dernier diplôme ?"


async def test_a_booking_asked_in_the_middle_comes_right_after_the_questions(harness: Harness) -> None:
    chat = harness.chat()
    await agreed(chat)
    await chat.send("Nour")
    await chat.send("je veux un rdv")
    assert "D'accord. Je te propose un rendez-vous juste après les questions." in chat.texts
    assert chat.last.text == "Tu as quel âge ?"
    for typed in ("20", "nanterre", "cap", "je cherche une formation", "non", "personne", "rien", "jsp"):
        await chat.send(typed)
    assert (await person(harness)).onboarded_at is not None
    assert not any(text.startswith("J'ai trouvé des idées") for text in chat.texts)  # the booking instead


@pytest.mark.parametrize("typed", ["jsais pas encore", "pas de souci de santé ni rien", "r",
                                   "pas de problème particulier"])
async def test_nothing_to_add_closes_a_list_question(harness: Harness, typed: str) -> None:
    chat = harness.chat()
    await agreed(chat)
    for answer in ("Nour", "20", "nanterre", "cap", "je cherche une formation", "non", "personne"):
        await chat.send(answer)
    assert chat.last.text.startswith("Qu'est-ce qui te complique la vie")
    await chat.send(typed)
    assert chat.last.text.startswith("Quels métiers")
    assert (await person(harness)).obstacles == []


@pytest.mark.parametrize(("typed", "rsa"), [("nan jai 20 ans jcrois jai pas le droit", False),
                                            ("euh jsp cest ma soeur qui soccupe des papiers", None)])
async def test_the_rsa_said_inside_a_longer_message(harness: Harness, typed: str, rsa: bool | None) -> None:
    chat = harness.chat()
    await agreed(chat)
    for answer in ("Nour", "20", "nanterre", "cap", "je cherche une formation"):
        await chat.send(answer)
    await chat.send(typed)
    assert (await person(harness)).rsa is rsa
    assert chat.last.text.startswith("Quelqu'un t'accompagne déjà")


async def answered_up_to_who_follows(harness: Harness) -> Chat:
    chat = harness.chat()
    await agreed(chat)
    for answer in ("Nour", "20", "nanterre", "cap", "je cherche une formation", "non"):
        await chat.send(answer)
    assert chat.last.text.startswith("Quelqu'un t'accompagne déjà")
    return chat


async def test_an_answer_that_sounds_like_a_request_is_an_answer(harness: Harness) -> None:
    chat = await answered_up_to_who_follows(harness)
    await chat.send("ma conseillere de la mission locale elle sappelle sandrine")
    assert (await person(harness)).followed_by == "mission_locale"
    assert chat.last.text.startswith("Qu'est-ce qui te complique la vie")


async def test_a_request_for_a_person_is_still_a_request(harness: Harness) -> None:
    chat = await answered_up_to_who_follows(harness)
    replies = await chat.send("je veux parler a ma conseillere de la mission locale")
    assert (await person(harness)).followed_by is None  # the hand-off answers it, not the question
    assert any("mission locale" in reply.text.lower() for reply in replies[:-1])


async def test_a_list_named_in_passing_is_still_asked_with_it_ticked(harness: Harness) -> None:
    chat = harness.chat()
    await chat.send("bjr je suis Oumou 23 ans, jvis a Gennevilliers et jai un bep vente")
    await chat.send("ok")
    assert (await person(harness)).sectors == ["commerce_vente"]
    for answer in ("je cherche un emploi", "oui", "france travail", "rien"):
        await chat.send(answer)
    assert "Pour l'instant, j'ai noté : commerce, vente." in chat.texts
    assert chat.last.text.startswith("Quels métiers")
    assert "✅ Commerce, vente" in chat.labels


async def test_facts_given_at_another_flows_question_are_kept_and_not_asked_again(harness: Harness) -> None:
    chat = harness.chat()
    await agreed(chat)
    await chat.send("je veux parler a un conseiller")
    assert chat.last.text.startswith("Tu habites dans quelle ville")
    await chat.send("Glodie")  # the hand-off asks the town; the first name is still a fact
    assert "Noté : Glodie." in chat.texts
    await chat.send("19 ans")
    assert "Noté : 19 ans." in chat.texts
    assert chat.last.text.startswith("Tu habites dans quelle ville")
    await chat.send("puteaux")
    stored = await person(harness)
    assert (stored.first_name, stored.age, stored.commune) == ("Glodie", 19, "92062")
    # Back to the onboarding, at the first question still open, not at the first name again.
    assert chat.last.text == "Quel est ton dernier diplôme ?"
    assert sum(text.startswith("C'est quoi ton prénom ?") for text in chat.texts) == 1


async def test_nothing_is_kept_in_passing_before_the_consent(harness: Harness) -> None:
    chat = harness.chat()
    await chat.send("je veux parler a un conseiller")
    await chat.send("Glodie")
    stored = await person(harness)
    assert stored is None or stored.first_name is None


async def test_the_same_age_again_confirms_it(harness: Harness) -> None:
    chat = harness.chat()
    await chat.send("salut")
    await chat.send("oui je suis Gaëlle jai 30 ans")
    assert chat.last.text == "Tu as bien 30 ans ?"
    await chat.send("oui jai 30 ans")
    assert await person(harness) is None  # confirmed outside 16-25: nothing kept


@pytest.mark.parametrize(("typed", "name"), [("wsh c kader... nan c Souleyman 22 ans jsuis a bobigny", "Souleyman"),
                                             ("Aminata, non pardon Awa, 19 ans", "Awa")])
async def test_a_first_name_corrected_in_the_same_message(harness: Harness, typed: str, name: str) -> None:
    chat = harness.chat()
    await chat.send(typed)
    await chat.send("ok")
    assert (await person(harness)).first_name == name


async def test_an_unknown_first_name_after_c_est_is_asked_back(harness: Harness) -> None:
    chat = harness.chat()
    await agreed(chat)
    await chat.send("c Sid-Ahmed")
    assert chat.last.text == "Je t'appelle Sid-Ahmed ?"


@pytest.mark.parametrize("typed", ["je c pas", "jcp", "chai pas"])
async def test_i_dont_know_in_sms_spelling_is_not_a_no(harness: Harness, typed: str) -> None:
    chat = harness.chat()
    await agreed(chat)
    for answer in ("Nour", "20", "nanterre", "cap", "je cherche une formation"):
        await chat.send(answer)
    await chat.send(typed)
    assert (await person(harness)).rsa is None
    assert chat.last.text.startswith("Quelqu'un t'accompagne déjà")


async def test_a_word_of_the_trades_buttons_is_a_trade_not_a_difficulty(harness: Harness) -> None:
    chat = await answered_up_to_who_follows(harness)
    await chat.send("non")
    await chat.send("rien")
    assert chat.last.text.startswith("Quels métiers")
    await chat.send("sante, aide soignante")
    stored = await person(harness)
    assert stored.obstacles == [] and stored.sectors == ["sante_social"]


@pytest.mark.parametrize("typed", ["non en fait plutot la logistique", "finalement la logistique"])
async def test_a_change_of_mind_at_a_list_question_replaces_and_keeps_it_open(harness: Harness, typed: str) -> None:
    """Before: "non en fait plutôt la logistique" after "le bâtiment" kept both and closed the question."""
    chat = await answered_up_to_who_follows(harness)
    await chat.send("non")
    await chat.send("rien")
    await chat.send("le batiment")
    await chat.send(typed)
    assert "C'est noté : logistique à la place." in chat.texts
    assert chat.last.text.startswith("Quels métiers")
    await chat.send("la vente aussi")
    assert (await person(harness)).sectors == ["logistique", "commerce_vente"]


@pytest.mark.parametrize("typed", ["j ai arrêté en 2nde", "jai quitté le lycée en première", "g lâché en seconde"])
async def test_a_class_left_is_not_being_a_student(harness: Harness, typed: str) -> None:
    """Before: "j'ai arrêté en 2nde" at the diploma question was noted "tu es en études" (the class was read
    as the situation, the verb that says it is over was not)."""
    chat = harness.chat()
    await agreed(chat)
    for answer in ("Aïcha", "19", "nanterre"):
        await chat.send(answer)
    await chat.send(typed)
    assert (await person(harness)).situation != "etudes"
    assert not any("en études" in text for text in chat.texts)


@pytest.mark.parametrize(("typed", "age"), [("2O", 20), ("1o ans", 10), ("2o", 20)])
async def test_the_letter_o_for_a_zero_at_the_age_question_is_the_age(harness: Harness, typed: str, age: int
                                                                      ) -> None:
    """Before: "2O" (a slip next to the 0 key) got "Je suis un robot : je parle seulement de formation…"."""
    chat = harness.chat()
    await agreed(chat)
    await chat.send("Aïcha")
    await chat.send(typed)
    assert not any(text.startswith("Je suis un robot") for text in chat.texts)
    if age == 20:
        assert (await person(harness)).age == 20
    else:  # out of the service's range: confirmed first, as for "10"
        assert chat.last.text == "Tu as bien 10 ans ?"
