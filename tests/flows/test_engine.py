"""The engine's rules: buttons, interruptions, misunderstandings, hesitations, resuming, profile."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from flows.engine.events import MEDIA, Event
from storage import Database
from tests.kit import Chat, Harness, make_harness


@pytest.fixture
def harness(db: Database) -> Harness:
    return make_harness(db)


async def consented(chat: Chat, name: str = "Karim") -> None:
    await chat.send("bonjour")
    await chat.press("D'accord")
    await chat.send(name)


async def test_a_second_tap_or_an_old_keyboard_has_no_effect(harness: Harness) -> None:
    chat = harness.chat()
    await chat.send("bonjour")
    yes = chat.button("D'accord")
    await chat.tap(yes)
    sent = len(harness.sender.sent)
    again = await chat.tap(yes)
    assert again == []
    assert chat.last_ack == "C'est déjà pris en compte."
    assert len(harness.sender.sent) == sent


async def test_a_button_signed_for_someone_else_is_refused(harness: Harness) -> None:
    ines, karim = harness.chat("ines"), harness.chat("karim")
    await ines.send("bonjour")
    await karim.send("bonjour")
    replies = await karim.tap(ines.button("D'accord"))
    assert replies == []
    assert karim.last_ack == "Ce bouton ne marche plus."


async def test_back_and_skip(harness: Harness) -> None:
    chat = harness.chat()
    await chat.send("bonjour")
    await chat.press("D'accord")
    await chat.press("Passer")
    assert chat.last.text == "Tu as quel âge ?"
    await chat.press("Retour")
    assert "prénom" in chat.last.text
    await chat.send("Lou")
    await chat.send("retour")
    assert "prénom" in chat.last.text


async def test_misunderstood_twice_is_explained_and_three_times_offers_a_person(harness: Harness) -> None:
    chat = harness.chat()
    await consented(chat)
    await chat.send("blabla")
    assert "Je n'ai pas compris." in chat.texts
    await chat.send("blublu")
    assert chat.received[-2].text == "Écris ton âge en chiffres, par exemple « 19 »."  # the age, in other words
    replies = await chat.send("bloblo")
    assert replies[0].text == "Je n'arrive pas à comprendre, désolé."
    assert chat.labels == ["Oui, à quelqu'un", "Non, on continue"]
    await chat.press("Non, on continue")
    assert chat.last.text == "Tu as quel âge ?"


async def test_a_hesitant_nlu_asks_what_was_meant(harness: Harness) -> None:
    chat = harness.chat()
    await consented(chat)
    await chat.press("20")
    harness.nlu.hesitate("c koi la ml", ("mission_locale_info", 0.31), ("help", 0.22), ("greet", 0.2))
    await chat.send("c koi la ml")
    assert chat.last.text == "Je ne suis pas sûr d'avoir compris. Tu voulais dire… ?"
    assert chat.labels == ["La mission locale", "Savoir ce que tu fais", "Non, autre chose"]
    await chat.press("La mission locale")
    assert any("La mission locale aide les 16-25 ans" in t for t in chat.texts)
    assert "Tu habites dans quelle ville ?" in chat.last.text


async def test_help_interrupts_and_the_question_comes_back(harness: Harness) -> None:
    chat = harness.chat()
    await consented(chat)
    await chat.press("22")
    harness.nlu.learn("je comprends rien comment ca marche", "help")
    replies = await chat.send("je comprends rien comment ca marche")
    assert replies[0].text.startswith("Je suis Tremplin")
    assert "/profil" in replies[1].text
    assert replies[-1].text == "Tu habites dans quelle ville ? Écris son nom."


async def test_distress_is_answered_first_even_before_consent(harness: Harness) -> None:
    chat = harness.chat()
    harness.nlu.learn("jveux plus vivre", "distress", 0.4)
    replies = await chat.send("jveux plus vivre")
    assert "112" in replies[0].text
    assert "3114" in replies[1].text and "115" in replies[1].text and "119" in replies[1].text
    assert "3919" in replies[1].text


async def test_refusing_consent_keeps_nothing(harness: Harness) -> None:
    chat = harness.chat()
    await chat.send("bonjour")
    await chat.press("Non merci")
    assert any("je ne garde rien" in t for t in chat.texts)
    async with harness.db.transaction() as uow:
        assert await uow.people.find("test", "ines") is None


async def test_under_16_gets_contacts_and_nothing_is_kept(harness: Harness) -> None:
    chat = harness.chat()
    await consented(chat, "Sami")
    await chat.send("j'ai 14 ans")
    assert chat.last.text == "Tu as bien 14 ans ?"
    await chat.press("Oui, c'est ça")
    assert any("0 800 235 236" in t for t in chat.texts)
    assert any("01 00 00 00 01" in t for t in chat.texts)
    async with harness.db.transaction() as uow:
        assert await uow.people.find("test", "ines") is None


async def test_onboarding_resumes_at_the_same_question_with_a_new_engine(harness: Harness) -> None:
    chat = harness.chat()
    await consented(chat)
    await chat.press("18")
    assert "Tu habites dans quelle ville" in chat.last.text
    restarted = make_harness(harness.db)
    again = restarted.chat()
    restarted.nlu.learn("coucou", "greet")
    replies = await again.send("coucou")
    assert replies[0].text == "Re-bonjour Karim ! On reprend là où on s'était arrêtés."
    assert "Tu habites dans quelle ville" in replies[-1].text


async def test_free_text_answers(harness: Harness) -> None:
    chat = harness.chat()
    await consented(chat)
    harness.nlu.learn("jsuis a gennevilliers", "inform", commune="Gennevilliers")
    await chat.send("j'ai 17 ans")
    await chat.send("jsuis a gennevilliers")
    assert "Noté : Gennevilliers." in chat.texts
    await chat.send("pas de diplome")
    harness.nlu.learn("jcherche un taf dans la logistique", "find_job", secteur="logistique")
    await chat.send("jcherche un taf dans la logistique")
    await chat.send("non")
    await chat.send("personne")
    await chat.send("le permis et le logement")
    assert "J'ajoute : me déplacer et logement." in chat.texts  # the question stays open
    await chat.send("c'est tout")
    assert "Noté : me déplacer et logement." in chat.texts
    await chat.send("c'est tout")
    async with harness.db.transaction() as uow:
        person = await uow.people.find("test", "ines")
    assert (person.age, person.commune, person.schooling, person.situation) == (17, "92036", "aucun", "emploi")
    assert person.sectors == ["logistique"]
    assert person.obstacles == ["mobilite", "logement"]


async def test_an_ambiguous_commune_is_asked_back(harness: Harness) -> None:
    chat = harness.chat()
    await consented(chat)
    await chat.press("21")
    await chat.send("garenne")
    assert chat.last.text == "Tu veux dire… ?"
    assert chat.labels[:2] == ["La Garenne-Colombes", "Villeneuve-la-Garenne"]
    await chat.press("Villeneuve-la-Garenne")
    assert "Noté : Villeneuve-la-Garenne." in chat.texts


async def test_profile_shows_answers_and_changes_one(harness: Harness) -> None:
    chat = harness.chat()
    await consented(chat)
    await chat.press("23")
    await chat.command("profil")
    assert "Prénom : Karim" in chat.last.text
    assert "Âge : 23 ans" in chat.last.text
    await chat.press("Âge")
    await chat.press("24")
    assert "Âge : 24 ans" in chat.last.text
    await chat.press("C'est bon")
    assert "Tu habites dans quelle ville" in chat.last.text


async def test_media_gets_a_kind_answer(harness: Harness) -> None:
    chat = harness.chat()
    await consented(chat)
    replies = await chat._handle(Event(chat.ref, MEDIA, media="voice", key=uuid.uuid4().hex))
    assert replies[0].text == "Je ne peux pas encore écouter les messages vocaux. Tu peux l'écrire ?"


async def test_unknown_command(harness: Harness) -> None:
    chat = harness.chat()
    replies = await chat.command("nimportequoi")
    assert replies[0].text.startswith("Je ne connais pas cette commande")


async def test_message_text_is_logged_encrypted_only_with_consent(harness: Harness) -> None:
    chat = harness.chat()
    harness.nlu.learn("salut", "greet")
    await chat.send("salut")
    await chat.press("D'accord")
    await chat.send("Nora")
    async with harness.db.transaction() as uow:
        person = await uow.people.find("test", "ines")
        logged = await uow.messages.for_person(person.id)
        raw = (await uow.session.execute(text("SELECT text FROM message_log"))).scalars().all()
    assert [m.text for m in logged] == ["Nora"]
    assert raw and all("Nora" not in value for value in raw)
