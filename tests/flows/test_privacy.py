"""Privacy in the conversation: the notice, consent history, /mes_donnees, /supprimer, under 16."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from flows.engine.events import Button, Reply
from flows.engine.script import COMMAND_DESCRIPTIONS, ERASURE_HOOKS
from flows.engine.turn import Turn
from flows.privacy.access import access_view
from flows.privacy.privacy import notice
from flows.rules.settings import ConversationSettings, PrivacySettings, RetentionSettings
from storage import Database
from storage.outbox import OutboxMessage
from tests.flows.test_handoff_kit import NADIA, THOMAS, advisor, onboarded, sent_to, texts_to
from tests.flows.test_handoff_kit import make as make_with_advisors
from tests.kit import Chat, Harness, make_harness
from tests.privacy_kit import inbox_chat, onboard, realistic_profile, scan

SETTINGS = ConversationSettings(
    retention=RetentionSettings(message_text_days=60, profile_months=18),
    privacy=PrivacySettings(notice_version="v-test-3", dpo_contact="protection-donnees@exemple.fr"),
)
ILYES = "7305550001"  # made-up Telegram id


@pytest.fixture
def harness(db: Database) -> Harness:
    return make_harness(db, settings=SETTINGS)


async def consented(chat: Chat, name: str = "Inès") -> None:
    await chat.send("bonjour")
    await chat.press("D'accord")
    await chat.send(name)


def test_commands_are_described_for_the_menu() -> None:
    from bot.telegram_commands import COMMANDS

    expected = {"confidentialite": "Ce que je garde et pourquoi", "mes_donnees": "Tout ce que je sais de toi",
                "supprimer": "Effacer tes données"}
    for name, description in expected.items():
        assert COMMAND_DESCRIPTIONS[name] == description  # /aide lists them
        assert dict(COMMANDS)[name] == description  # the Telegram menu too


# --- Notice and consent ---------------------------------------------------------------------


async def test_the_notice_says_what_why_who_how_long_rights_and_whom_to_ask(harness: Harness) -> None:
    chat = harness.chat()
    replies = await chat.command("confidentialite")
    assert len(replies) <= 3
    text = "\n".join(r.text for r in replies)
    for expected in ("prénom", "service public", "Département des Hauts-de-Seine",
                     "ta mission locale et le Département",
                     "60 jours", "18 mois", "/mes_donnees", "/profil", "/supprimer", "refuser",
                     "protection-donnees@exemple.fr", "CNIL"):
        assert expected in text, expected
    assert chat.labels == ["Voir mes données", "Tout effacer", "On continue"]
    for sentence in re.split(r"(?<=[.?!])\s+|\n", text):  # short sentences
        assert len(sentence.split()) <= 15, sentence


async def test_the_consent_says_who_sees_the_answers_as_the_notice_does(harness: Harness) -> None:
    """The consent once promised less than the notice ("Seule ta mission locale les voit", while the
    Département's team sees them too): both now say the same words."""
    chat = harness.chat()
    replies = await chat.send("bonjour")
    consent = replies[-1].text
    _, who, _ = notice(SETTINGS)
    shared = [s for s in re.split(r"(?<=[.?!])\s+", who) if s in consent]
    assert shared and "Département" in shared[0]
    assert "Seule ta mission locale" not in consent


async def test_en_savoir_plus_shows_the_same_notice_before_anything_is_kept(harness: Harness) -> None:
    chat = harness.chat()
    await chat.send("bonjour")
    replies = await chat.press("En savoir plus")
    kept, who, _ = notice(SETTINGS)
    assert len(replies) == 3
    assert replies[0].text == kept and replies[1].text.startswith(who)
    assert "Tu es d'accord ?" in replies[2].text
    async with harness.db.transaction() as uow:
        person = await uow.people.find("test", "ines")
        assert person.consent_at is None
        assert await uow.consents.history(person.id) == []
        assert await uow.messages.for_person(person.id) == []


async def test_consent_is_recorded_with_its_date_and_the_notice_version(harness: Harness) -> None:
    chat = harness.chat()
    await consented(chat)
    async with harness.db.transaction() as uow:
        person = await uow.people.find("test", "ines")
        history = await uow.consents.history(person.id)
    assert [(c.given, c.notice_version, c.at) for c in history] == [(True, "v-test-3", harness.clock.now())]
    assert (person.consent_at, person.consent_version) == (harness.clock.now(), "v-test-3")


# --- Access ---------------------------------------------------------------------------------


async def test_my_data_gives_a_summary_and_the_whole_file(harness: Harness) -> None:
    chat = harness.chat()
    await consented(chat)
    await chat.press("19")
    harness.nlu.learn("je cherche dans la logistique", "find_job", secteur="logistique")
    await chat.send("je cherche dans la logistique")
    replies = await chat.command("mes_donnees")
    assert len(replies) == 3
    assert "Prénom : Inès" in replies[0].text and "Âge : 19 ans" in replies[0].text
    assert "ton accord du mardi 1er décembre 2026" in replies[1].text
    assert "messages que tu m'as écrits" in replies[1].text
    document = replies[1].document
    assert document is not None and document.filename == "tremplin-mes-donnees-2026-12-01.json"
    content = json.loads(document.content)
    assert content["contact_protection_des_donnees"] == "protection-donnees@exemple.fr"
    assert content["durees_de_conservation"]["messages_jours"] == 60
    assert content["profil"]["prenom"] == "Inès"
    assert "je cherche dans la logistique" in [m["texte"] for m in content["messages_que_tu_m_as_ecrits"]]
    assert content["accords"][0]["accord"] == "donné"
    assert replies[2].buttons  # back to the question in progress


# English words of the stored rows that the person's file must not show as keys (it is in French).
ENGLISH_KEYS = {
    "person", "tables", "payload", "text", "status", "chat_id", "person_id", "agent_id", "created_at", "kind",
    "first_name", "starts_at", "due_at", "buttons", "document", "filename", "content_b64", "data", "title",
}
ADVISOR_TELEGRAM_ID, ADVISOR_EMAIL = "7309990001", "conseillere@exemple.fr"  # the kit's made-up advisor


def _keys(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


async def test_my_data_holds_only_the_person_s_own_data_in_french(harness: Harness) -> None:
    chat = await realistic_profile(harness, "7305550002", "Maëlys")  # a hand-off, a booking, an advisor row
    async with harness.db.transaction() as uow:  # the advisor answers through the hand-off
        person = await uow.people.find("test", "7305550002")
        assert person is not None
        handoff = await uow.handoffs.open_for(person.id)
        assert handoff is not None
        agent = await uow.structures.agent_by_telegram_id(int(ADVISOR_TELEGRAM_ID))
        assert agent is not None
        await uow.handoffs.add_message(handoff, channel="test", kind="relay", now=harness.clock.now(),
                                       agent_id=agent.id, text="On se voit jeudi, je vous attends.")
        await uow.handoffs.add_message(handoff, channel="test", kind="summary", now=harness.clock.now(),
                                       agent_id=agent.id)
    replies = await chat.command("mes_donnees")
    summary = next(r for r in replies if r.document is not None)
    document = summary.document
    assert document is not None
    raw = document.content.decode("utf-8")
    content = json.loads(raw)
    assert ADVISOR_TELEGRAM_ID not in raw and ADVISOR_EMAIL not in raw
    assert "advisor-1" not in raw and "demande à être rappelée" not in raw  # the outbox row sent to an advisor
    assert "content_b64" not in raw and "BEGIN:VCALENDAR" not in raw
    assert not _keys(content) & ENGLISH_KEYS
    assert len(document.content) < 30_000
    # What is theirs is there, readable.
    assert content["profil"]["prenom"] == "Maëlys"
    written = [m["texte"] for m in content["messages_que_tu_m_as_ecrits"]]
    assert "je dors chez une copine depuis trois semaines" in written
    sent = content["messages_que_je_t_ai_envoyes"]
    assert sent and all(m["texte"] for m in sent)
    assert "Coucou Maëlys, on en reparle ?" in [m["texte"] for m in content["messages_prevus"]]
    [appointment] = content["rendez_vous"]
    assert appointment["statut"] == "prévu" and appointment["lieu"] == "Antenne"
    assert [h["quoi"] for h in appointment["historique"]] == ["pris"]
    [request] = content["demandes_a_la_mission_locale"]
    assert request["demande"].startswith("une demande à la mission locale le ")
    answers = request["reponses_de_la_mission_locale"]
    assert {"de": "Conseillère d'essai", "texte": "On se voit jeudi, je vous attends."} in [
        {"de": a["de"], "texte": a["texte"]} for a in answers]
    assert [i["titre"] for i in content["idees_gardees"]] == ["CAP Cuisine à Nanterre"]
    # A first booking is a booking, not a change.
    assert "1 rendez-vous" in summary.text and "changement" not in summary.text
    assert "1 demande à la mission locale" in summary.text


async def test_after_a_booking_a_hand_off_and_a_relay_my_data_leaks_nothing_of_the_advisors(
    db: Database, tmp_path: Path,
) -> None:
    h = await make_with_advisors(db, tmp_path, email=True)  # hand-offs go to Telegram and e-mail
    h.nlu.learn("je veux un rdv", "book_appointment")
    chat = await onboarded(h)
    await chat.send("je veux un rdv")
    await chat.press(chat.labels[0])
    await chat.press("Oui, je réserve")  # a first booking: its .ics, and a summary to the advisors
    await chat.send("je veux parler à un conseiller")
    nadia = advisor(h, NADIA)
    await nadia.reply("Bonjour Inès, c'est Nadia. On se voit vendredi ?", sent_to(h, NADIA)[-1][1])
    assert texts_to(h, "ines")[-1].startswith("👤 Réponse de Nadia")
    async with db.transaction() as uow:
        rows = list(await uow.session.scalars(select(OutboxMessage)))
        to_advisors = [r.payload["text"] for r in rows if r.chat_id != "ines" and r.payload.get("text")]
        emails = [a.email for a in await uow.structures.agents("ml-nanterre")]
    assert to_advisors and any(r.payload.get("document") for r in rows if r.chat_id == "ines")  # the .ics

    replies = await chat.command("mes_donnees")
    summary = next(r for r in replies if r.document is not None)
    assert summary.document is not None
    raw = summary.document.content.decode("utf-8")
    content = json.loads(raw)
    for leak in [NADIA, THOMAS, *emails, *to_advisors]:
        assert leak not in raw, leak
    assert "content_b64" not in raw and "BEGIN:VCALENDAR" not in raw
    signed = [b.data for reply, _ in sent_to(h, "ines") for b in _buttons(reply)]
    assert signed and not [data for data in signed if data in raw]  # no signed button data
    assert not _keys(content) & ENGLISH_KEYS
    assert len(summary.document.content) < 30_000
    assert "un fichier d'agenda (.ics)" in [m.get("fichier") for m in content["messages_que_je_t_ai_envoyes"]]
    [appointment] = content["rendez_vous"]
    assert appointment["statut"] == "prévu" and [e["quoi"] for e in appointment["historique"]] == ["pris"]
    requests = content["demandes_a_la_mission_locale"]
    assert all(r["demande"].startswith(("une demande à la mission locale le ",
                                        "ta fiche envoyée à la mission locale le ")) for r in requests)
    answers = [a for r in requests for a in r["reponses_de_la_mission_locale"]]
    assert [(a["de"], a["texte"]) for a in answers] == [("Nadia", "Bonjour Inès, c'est Nadia. On se voit vendredi ?")]
    assert "1 rendez-vous" in summary.text and "changement" not in summary.text


def _buttons(reply: Reply) -> list[Button]:
    return [b for row in reply.buttons for b in row]


def test_a_message_with_a_calendar_file_and_buttons_shows_what_they_are_not_their_bytes() -> None:
    person = {"channel": "telegram", "chat_id": "42", "first_name": "Inès"}
    sent = {"channel": "telegram", "chat_id": "42", "status": "sent", "sent_at": "2026-12-01T10:00:00+00:00",
            "payload": {"text": "C'est noté !", "buttons": [[{"label": "Déplacer", "data": "Zm9vYmFy.c2lnbmVk"}]],
                        "document": {"filename": "rendez-vous.ics", "mime_type": "text/calendar",
                                     "content_b64": "QkVHSU46VkNBTEVOREFS"}}}
    to_advisor = {**sent, "chat_id": "7309990001", "payload": {"text": "Inès, 19 ans : dossier"}}
    view = access_view({"person": person, "tables": {"outbox": [sent, to_advisor]}}, SETTINGS.tz,
                       dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC))
    assert view["messages_que_je_t_ai_envoyes"] == [{
        "le": "2026-12-01T11:00:00+01:00", "statut": "envoyé", "texte": "C'est noté !", "boutons": ["Déplacer"],
        "fichier": "un fichier d'agenda (.ics)",
    }]


# --- Erasure --------------------------------------------------------------------------------


async def test_erasure_asks_first_and_no_keeps_everything(harness: Harness) -> None:
    chat = harness.chat()
    await consented(chat)
    await chat.command("supprimer")
    assert chat.labels == ["Oui, tout effacer", "Non, je garde"]
    replies = await chat.press("Non, je garde")
    assert replies[0].text == "D'accord, je ne touche à rien."
    assert replies[-1].text == "Tu as quel âge ?"
    async with harness.db.transaction() as uow:
        assert (await uow.people.find("test", "ines")).first_name == "Inès"


async def test_delete_data_said_in_words_then_oui_erases(harness: Harness) -> None:
    chat = harness.chat()
    await consented(chat)
    harness.nlu.learn("efface tout ce que tu sais sur moi", "delete_data")
    await chat.send("efface tout ce que tu sais sur moi")
    assert chat.last.text.startswith("Tu veux vraiment tout effacer ?")
    confirm = chat.button("Oui, tout effacer")
    replies = await chat.send("oui")
    assert [r.text for r in replies] == [
        "C'est fait : j'ai tout effacé.", "Si tu m'écris à nouveau, on repart de zéro. Prends soin de toi !",
    ]
    async with harness.db.transaction() as uow:
        assert await uow.people.find("test", "ines") is None
        assert await uow.stats.totals() == {
            "conversations_started": 1, "consents_given": 1, "erasures_requested": 1,
        }
    assert await chat.tap(confirm) == []  # yesterday's button: nothing happens
    again = await chat.send("salut")
    assert again[-1].text.endswith("Tu es d'accord ?")  # a fresh start


async def test_erasure_hooks_run_first_with_the_person_still_there(harness: Harness) -> None:
    seen: list[str | None] = []

    async def hook(t: Turn) -> None:
        person = await t.uow.people.get(t.person.id)
        seen.append(person.first_name if person else None)

    ERASURE_HOOKS.append(hook)
    try:
        chat = harness.chat()
        await consented(chat)
        await chat.command("supprimer")
        await chat.press("Oui, tout effacer")
    finally:
        ERASURE_HOOKS.remove(hook)
    assert seen == ["Inès"]


async def test_a_whole_onboarding_then_erasure_keeps_only_counters(harness: Harness) -> None:
    chat = inbox_chat(harness, "7301112222", "Nora")
    await onboard(chat)
    await chat.command("supprimer")
    await chat.press("Oui, tout effacer")
    assert (await scan(harness, None, "7301112222", "Nora")).traces == []
    async with harness.db.transaction() as uow:
        totals = await uow.stats.totals()
    assert totals["onboardings_completed"] == 1 and totals["erasures_requested"] == 1


# --- Under 16 and refused consent: nothing kept -----------------------------------------------


@pytest.mark.parametrize("said", ["j'ai 14 ans", "15", "Moins de 16 ans"])
async def test_under_16_nothing_is_stored_anywhere(db: Database, said: str) -> None:
    harness = make_harness(db)
    chat = inbox_chat(harness, ILYES, "Ilyes")
    await chat.send("bonjour")
    await chat.press("D'accord")
    await chat.send("Ilyes")
    async with harness.db.transaction() as uow:
        person_id = (await uow.people.find("test", ILYES)).id
    assert (await scan(harness, person_id, ILYES, "Ilyes")).traces  # it was there a moment ago
    await (chat.press(said) if said[0].isupper() else chat.send(said))
    assert chat.last.text.startswith("Tu as ")  # asked to confirm: a stray number erases nothing
    assert (await scan(harness, person_id, ILYES, "Ilyes")).traces
    replies = await chat.press("Oui, c'est ça")
    assert any("0 800 235 236" in r.text for r in replies)
    assert any("01 00 00 00 01" in r.text for r in replies)  # the missions locales' numbers
    report = await scan(harness, person_id, ILYES, "Ilyes")
    assert report.traces == [] and report.tables >= 8
    async with harness.db.transaction() as uow:
        assert (await uow.stats.totals())["outside_public"] == 1


async def test_refused_consent_nothing_is_stored_anywhere(db: Database) -> None:
    harness = make_harness(db)
    chat = inbox_chat(harness, ILYES, "Ilyes")
    await chat.send("bonjour")
    await chat.press("Non merci")
    assert (await scan(harness, None, ILYES)).traces == []
