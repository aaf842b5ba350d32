"""Suggestions in the conversation: after onboarding, /idees and the intents; the cards, their buttons,
saving, the next ideas, the appointment, and what happens before onboarding or when nothing fits."""

from __future__ import annotations

import re

import pytest

from flows.data.catalogue import Catalogue, Offer
from flows.engine.buttons import MAX_BYTES
from flows.engine.events import Reply
from flows.engine.script import COMMAND_DESCRIPTIONS, INTENT_HANDLERS, Next
from flows.engine.turn import Turn
from flows.suggestions.cards import kind_label
from flows.suggestions.matching import Profile, why_not
from storage import Database
from tests.kit import Chat, Harness, data_catalogue, make_harness

CATALOGUE = data_catalogue()


@pytest.fixture
def harness(db: Database) -> Harness:
    return make_harness(db)


async def onboard(
    chat: Chat, *, age: str = "17", commune: str = "Gennevilliers", schooling: str = "Aucun diplôme",
    situation: str = "Rien pour l'instant", rsa: str = "Non", obstacles: tuple[str, ...] = (),
    sectors: tuple[str, ...] = (),
) -> list[Reply]:
    """Answer every onboarding question with buttons; returns the replies to the last answer."""
    await chat.send("bonjour")
    await chat.press("D'accord")
    await chat.send("Inès")
    await chat.press(age)
    await chat.send(commune)
    await chat.press(schooling)
    await chat.press(situation)
    await chat.press(rsa)
    await chat.press("Non, personne")
    for obstacle in obstacles:
        await chat.press(obstacle)
    await chat.press("C'est tout")
    for sector in sectors:
        await chat.press(sector)
    return await chat.press("C'est tout" if sectors else "Je ne sais pas")


def labels(reply: Reply) -> list[str]:
    return [b.label for row in reply.buttons for b in row]


def offer_of_card(text: str) -> Offer:
    """The offer a card is about, from its first line "💡 Formation : Commis de cuisine"."""
    label, title = re.match(r"💡 (\w+) : (.+)", text.splitlines()[0]).groups()  # type: ignore[union-attr]
    found = [o for o in CATALOGUE.offers if o.title == title and kind_label(o) == label]
    assert len(found) == 1, text
    return found[0]


async def profile_of(harness: Harness, user: str = "ines") -> Profile:
    async with harness.db.transaction() as uow:
        person = await uow.people.find("test", user)
        assert person is not None
        return Profile.of(person)


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\n", text) if s.strip()]


async def test_onboarding_ends_with_ideas_then_three_cards_with_why(harness: Harness) -> None:
    chat = harness.chat()
    last = await onboard(chat)
    assert len(last) <= 3
    assert last[-1].text == "J'ai trouvé des idées pour toi, d'après tes réponses. Je te les montre ?"
    assert labels(last[-1]) == ["Montre-moi", "Plus tard"]

    cards = await chat.press("Montre-moi")
    assert len(cards) == 3
    assert all("👉 Pourquoi pour toi : " in c.text for c in cards)
    assert cards[0].text.splitlines()[0] == "💡 Programme : École de la 2e chance (E2C)"
    assert "Pourquoi pour toi : Tu as 17 ans et pas de diplôme : c'est fait pour toi." in cards[0].text
    assert labels(cards[0]) == labels(cards[1]) == ["Plus d'infos", "Ça m'intéresse"]
    assert labels(cards[2]) == ["Plus d'infos", "Ça m'intéresse", "Autre chose", "Prendre rendez-vous"]
    profile = await profile_of(harness)
    for card in cards:
        assert why_not(offer_of_card(card.text), profile, harness.world.territory, harness.clock.now().date()) is None
        assert all(len(b.data.encode()) <= MAX_BYTES for row in card.buttons for b in row)


async def test_the_voice_short_sentences_and_short_labels(harness: Harness) -> None:
    chat = harness.chat()
    await onboard(chat, age="22", commune="Nanterre", schooling="CAP ou BEP", situation="Je cherche un emploi",
                  rsa="Oui", obstacles=("Garde d'enfants",), sectors=("Santé, social",))
    shown = [*await chat.press("Montre-moi"), *await chat.press("Autre chose")]
    for card in shown:
        why_line = next(line for line in card.text.splitlines() if line.startswith("👉"))
        assert all(len(s.split()) <= 15 for s in sentences(why_line.split(" : ", 1)[1]))
        assert all(1 <= len(label.split()) <= 4 for label in labels(card))
    assert "Place en crèche AVIP à Nanterre" in shown[1].text  # the obstacle's support, second


async def test_later_goes_to_the_menu_and_idees_brings_them_back(harness: Harness) -> None:
    chat = harness.chat()
    await onboard(chat)
    await chat.press("Plus tard")
    assert chat.last.text == "D'accord. Écris /idees quand tu veux les voir."
    assert "Des idées pour moi" in chat.labels
    cards = await chat.press("Des idées pour moi")
    assert len(cards) == 3 and cards[0].text.startswith("💡 Programme : École de la 2e chance")
    assert COMMAND_DESCRIPTIONS["idees"] == "Des idées pour toi"
    again = await chat.command("idees")
    assert [c.text for c in again] == [c.text for c in cards]  # stable for the same profile


async def test_interest_is_saved_once_for_the_handoff(harness: Harness) -> None:
    chat = harness.chat()
    await onboard(chat)
    cards = await chat.press("Montre-moi")
    interested = cards[0].buttons[1][0]
    saved = await chat.tap(interested)
    assert saved[0].text == "C'est noté : « École de la 2e chance (E2C) » t'intéresse. La mission locale le verra."
    assert chat.last_ack == "C'est noté"
    again = await chat.tap(interested)
    assert again[0].text == "C'est déjà noté : « École de la 2e chance (E2C) »."
    await chat.tap(cards[2].buttons[1][0])
    async with harness.db.transaction() as uow:
        person = await uow.people.find("test", "ines")
        rows = await uow.suggestions.for_person(person.id)  # type: ignore[union-attr]
    assert [(r.entry_id, r.kind) for r in rows] == [("pg-e2c", "programme"), ("tr-prepa-commandes", "training")]


async def test_typed_interest_asks_which_idea_or_saves_the_only_one(db: Database) -> None:
    harness = make_harness(db)
    chat = harness.chat()
    await onboard(chat)
    harness.nlu.learn("ça m'intéresse", "deny", confidence=0.66)  # what the NLU may hear
    cards = await chat.press("Montre-moi")
    replies = await chat.send("ça m'intéresse")
    assert [r.text for r in replies] == ["Laquelle t'intéresse ?"]  # a button for each idea on screen
    assert labels(replies[0]) == ["École de la 2e chance (E2C)", "Promo 16-18", "Préparateur de commandes en…"]
    saved = await chat.press("Promo 16-18")
    assert saved[0].text == "C'est noté : « Promo 16-18 » t'intéresse. La mission locale le verra."
    assert offer_of_card(cards[1].text).title == "Promo 16-18"

    one = data_catalogue()
    only = next(o for o in one.offers if o.id == "pg-e2c")
    single = make_harness(db, catalogue=Catalogue(one.structures, (only.entry,), (only,)))
    single.nlu.learn("ça m'intéresse", "deny", confidence=0.66)
    other = single.chat("karim")
    await onboard(other)
    assert len(await other.send("ça m'intéresse")) == 1  # on the welcome question: "show me"
    saved = await other.send("ça m'intéresse")
    assert saved[0].text == "C'est noté : « École de la 2e chance (E2C) » t'intéresse. La mission locale le verra."


async def test_more_info_gives_the_details(harness: Harness) -> None:
    chat = harness.chat()
    await onboard(chat)
    cards = await chat.press("Montre-moi")
    info = await chat.tap(cards[2].buttons[0][0])
    assert len(info) == 1
    text = info[0].text
    assert text.startswith("Formation : Préparateur de commandes en entrepôt")
    assert "📅 Prochaines entrées : lundi 11 janvier et lundi 8 mars" in text
    assert "📝 Pour t'inscrire : Ta mission locale t'inscrit à une réunion d'information." in text
    assert "ℹ️ Fiche d'exemple : vérifie ces infos avec ta mission locale." in text
    assert labels(info[0]) == ["Ça m'intéresse", "Prendre rendez-vous"]


async def test_other_ideas_are_new_until_there_are_none(harness: Harness) -> None:
    chat = harness.chat()
    await onboard(chat)
    seen: list[str] = []
    replies = await chat.press("Montre-moi")
    while replies[0].text.startswith("💡"):
        assert len(replies) <= 3
        seen += [offer_of_card(r.text).id for r in replies]
        if "Autre chose" not in labels(replies[-1]):
            replies = await chat.send("autre chose")
            break
        replies = await chat.press("Autre chose")
    assert len(seen) == len(set(seen)) > 6
    assert replies[-1].text.startswith("C'est tout ce que j'ai pour l'instant.")
    assert labels(replies[-1]) == ["Prendre rendez-vous", "Revoir les idées", "Menu"]
    restart = await chat.press("Revoir les idées")
    assert offer_of_card(restart[0].text).id == seen[0]


async def test_an_old_button_never_shows_what_is_no_longer_open(harness: Harness) -> None:
    chat = harness.chat()
    await onboard(chat)
    cards = await chat.press("Montre-moi")
    old_more = cards[2].buttons[2][0]
    async with harness.db.transaction() as uow:  # the person corrected their age in /profil
        person = await uow.people.find("test", "ines")
        await uow.people.update(person, age=25)  # type: ignore[arg-type]
    later = await chat.tap(old_more)
    profile = await profile_of(harness)
    assert later and all(
        why_not(offer_of_card(r.text), profile, harness.world.territory, harness.clock.now().date()) is None
        for r in later
    )


async def test_the_appointment_button_runs_the_booking_handler(harness: Harness, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    async def fake_booking(t: Turn) -> Next:
        t.say("On prend rendez-vous.")
        return t.stay()

    monkeypatch.setitem(INTENT_HANDLERS, "book_appointment", fake_booking)
    chat = harness.chat()
    await onboard(chat)
    await chat.press("Montre-moi")
    replies = await chat.press("Prendre rendez-vous")
    assert [r.text for r in replies] == ["On prend rendez-vous."]


async def test_without_booking_the_appointment_button_gives_the_contacts(harness: Harness, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delitem(INTENT_HANDLERS, "book_appointment", raising=False)
    chat = harness.chat()
    await onboard(chat)
    await chat.press("Montre-moi")
    replies = await chat.press("Prendre rendez-vous")
    assert replies[0].text == "Pour un rendez-vous, contacte ta mission locale :"
    assert replies[1].text.startswith("Mission locale Boucle Nord de Seine")


async def test_a_request_with_entities_narrows_this_search_only(harness: Harness) -> None:
    chat = harness.chat()
    await onboard(chat, age="19", commune="Colombes", schooling="CAP ou BEP", situation="Je cherche un emploi",
                  sectors=("Numérique",))
    harness.nlu.learn("une formation en logistique à Nanterre", "find_training", secteur="logistique",
                      commune="Nanterre")
    cards = await chat.send("une formation en logistique à Nanterre")
    offers = [offer_of_card(c.text) for c in cards]
    assert offers[0].id == "tr-prepa-commandes"
    assert all(o.secteur in (None, "logistique") and o.kind in ("training", "programme") for o in offers)
    assert "Tu veux travailler en logistique." in cards[0].text
    profile = await profile_of(harness)
    assert (profile.sectors, profile.commune) == (("numerique",), "92025")  # the profile is left as it was


async def test_a_request_fills_an_empty_profile_field(harness: Harness) -> None:
    chat = harness.chat()
    await onboard(chat, age="19", commune="Colombes", schooling="CAP ou BEP", situation="Je cherche un emploi")
    harness.nlu.learn("un taf dans la logistique", "find_job", secteur="logistique")
    cards = await chat.send("un taf dans la logistique")
    assert cards and all(offer_of_card(c.text).kind in ("job", "programme", "service") for c in cards)
    assert (await profile_of(harness)).sectors == ("logistique",)


async def test_an_apprenticeship_request_shows_work_study(harness: Harness) -> None:
    chat = harness.chat()
    await onboard(chat, age="20", commune="Asnières", schooling="Le brevet", situation="Je cherche une alternance",
                  sectors=("Beauté",))
    harness.nlu.learn("je cherche un contrat en alternance", "find_apprenticeship")
    cards = await chat.send("je cherche un contrat en alternance")
    assert cards[0].text.startswith("💡 Formation : CAP Métiers de la coiffure en apprentissage")
    assert all(offer_of_card(c.text).alternance for c in cards if offer_of_card(c.text).role == "path")


async def test_before_onboarding_the_intents_say_what_is_possible_and_resume(harness: Harness) -> None:
    chat = harness.chat()
    await chat.send("bonjour")
    await chat.press("D'accord")
    await chat.send("Inès")
    # (a request for work or training is taken by onboarding as the answer to "ta situation")
    harness.nlu.learn("il y a des aides financières ?", "financial_aid")
    replies = await chat.send("il y a des aides financières ?")
    assert [r.text for r in replies] == [
        "Je peux te proposer des formations, des métiers et des aides près de chez toi.",
        "Il me faut d'abord tes réponses. On finit les questions ?",
        "Tu as quel âge ?",
    ]
    replies = await chat.command("idees")
    assert replies[-1].text == "Tu as quel âge ?" and len(replies) == 3
    await chat.press("19")
    assert chat.last.text.startswith("Tu habites dans quelle ville ?")


async def test_idees_from_a_stranger_starts_with_consent(harness: Harness) -> None:
    chat = harness.chat("nouveau")
    replies = await chat.command("idees")
    assert replies[0].text == "Je peux te proposer des formations, des métiers et des aides près de chez toi."
    assert "D'accord" in chat.labels


async def test_nothing_fits_is_said_plainly_with_an_appointment(db: Database) -> None:
    harness = make_harness(db, catalogue=Catalogue((), (), ()))
    chat = harness.chat()
    last = await onboard(chat)
    assert last[-1].text == ("Je n'ai pas trouvé d'idée pour toi dans ma liste. "
                             "La mission locale peut chercher avec toi.")
    assert labels(last[-1]) == ["Prendre rendez-vous", "Menu"]
    assert len(last) <= 3


async def test_a_narrow_request_that_finds_nothing_offers_the_wider_list(harness: Harness) -> None:
    chat = harness.chat()
    await onboard(chat, age="25", commune="Hors Hauts-de-Seine", schooling="Le bac",
                  situation="Je cherche une formation")
    harness.nlu.learn("une formation en logistique", "find_training", secteur="logistique")
    replies = await chat.send("une formation en logistique")
    assert replies[-1].text == "Je n'ai rien trouvé en logistique pour toi. La mission locale peut chercher avec toi."
    assert labels(replies[-1]) == ["Prendre rendez-vous", "Toutes mes idées", "Menu"]
    wider = await chat.press("Toutes mes idées")
    assert wider[0].text.startswith("💡")


async def test_help_asked_in_words_lists_the_matching_support(harness: Harness) -> None:
    chat = harness.chat()
    await onboard(chat, age="20", commune="Nanterre")
    harness.nlu.learn("je cherche un appart", "social_support")
    cards = await chat.send("je cherche un appart")
    assert cards and all("logement" in offer_of_card(c.text).topics for c in cards)
    assert "Tu cherches une aide pour te loger." in cards[0].text


async def test_help_without_saying_what_asks_for_what(harness: Harness) -> None:
    chat = harness.chat()
    await onboard(chat, age="20", commune="Nanterre")
    harness.nlu.learn("j'ai besoin d'aide", "social_support")
    await chat.send("j'ai besoin d'aide")
    assert chat.last.text == "Je peux t'aider à trouver une aide. C'est pour quoi ?"
    cards = await chat.press("Lire, écrire")
    assert cards and all("langue" in offer_of_card(c.text).topics for c in cards)


async def test_financial_aid_lists_money_help(harness: Harness) -> None:
    chat = harness.chat()
    await onboard(chat, age="20", commune="Colombes")
    harness.nlu.learn("il y a des aides financières ?", "financial_aid")
    cards = await chat.send("il y a des aides financières ?")
    assert cards and all("argent" in offer_of_card(c.text).topics for c in cards)


def test_every_offer_fits_in_button_data(harness: Harness) -> None:
    for offer in CATALOGUE.offers:
        for name in ("sg_info", "sg_save", "sg_rdv"):
            assert len(harness.world.signer.action(10**9, name, offer.ref).encode()) <= MAX_BYTES
