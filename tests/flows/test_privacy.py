"""Privacy in the conversation: the notice, consent history, /mes_donnees, /supprimer, under 16."""

from __future__ import annotations

import json
import re

import pytest

from flows.engine.script import COMMAND_DESCRIPTIONS, ERASURE_HOOKS
from flows.engine.turn import Turn
from flows.privacy.privacy import notice
from flows.rules.settings import ConversationSettings, PrivacySettings, RetentionSettings
from storage import Database
from tests.kit import Chat, Harness, make_harness
from tests.privacy_kit import inbox_chat, onboard, scan

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
    assert content["personne"]["first_name"] == "Inès"
    assert "je cherche dans la logistique" in [m["text"] for m in content["tables"]["message_log"]]
    assert replies[2].buttons  # back to the question in progress


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
