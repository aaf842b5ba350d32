"""Telegram's global commands (/help, /settings) and /stop are answered like the French commands they stand
for, through the real engine, and stay out of the menu Telegram shows (French only)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.telegram_commands import COMMANDS
from flows.engine.script import COMMAND_DESCRIPTIONS, COMMAND_HANDLERS, INTENT_HANDLERS, command_menu
from flows.home.global_commands import ALIASES
from storage import Database
from tests.kit import Chat, Harness, make_harness

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
UNKNOWN = "Je ne connais pas cette commande. Tape /aide pour voir ce que je sais faire."


@pytest.fixture
def harness(db: Database) -> Harness:
    return make_harness(db, at=NOW)


async def onboarded(h: Harness, user: str) -> Chat:
    """Someone done with the questions, at the home menu."""
    async with h.db.transaction() as uow:
        found = await uow.people.find_or_create("test", user, user, NOW)
        await uow.people.update(found, first_name="Inès", consent_at=NOW, last_seen_at=NOW, onboarded_at=NOW)
        conversation = await uow.conversations.load(found.id, NOW)
        conversation.step = "home"
        await uow.conversations.save(conversation)
    return h.chat(user)


async def notifications(h: Harness, user: str) -> str:
    async with h.db.transaction() as uow:
        found = await uow.people.find("test", user)
        assert found is not None
        return found.notifications


async def test_help_answers_like_aide(harness: Harness) -> None:
    french = [r.text for r in await (await onboarded(harness, "a")).command("aide")]
    english = [r.text for r in await (await onboarded(harness, "b")).command("help")]
    assert UNKNOWN not in english  # before: "Je ne connais pas cette commande."
    assert english == french


async def test_settings_shows_the_reminders_and_says_where_the_answers_are_changed(harness: Harness) -> None:
    french = await onboarded(harness, "a")
    english = await onboarded(harness, "b")
    rappels = [r.text for r in await french.command("rappels")]
    settings = [r.text for r in await english.command("settings")]
    assert settings == ["Pour changer tes réponses (âge, ville…), tape /profil.", *rappels]
    assert english.labels == french.labels == ["Tout", "Seulement mes rendez-vous", "Rien"]
    await english.press("Seulement mes rendez-vous")  # the same question: answering it changes the setting
    assert await notifications(harness, "b") == "appointments"


async def test_stop_stops_the_nudges_like_the_word_stop(harness: Harness) -> None:
    chat = await onboarded(harness, "a")
    replies = [r.text for r in await chat.command("stop")]
    assert replies[0] == "C'est noté : je ne t'envoie plus de messages de moi-même. Ni rappels, ni nouvelles."
    assert await notifications(harness, "a") == "none"
    harness.nlu.learn("stop", "stop_nudges")
    typed = await onboarded(harness, "b")
    assert [r.text for r in await typed.send("stop")] == replies


def test_the_aliases_run_registered_handlers_and_stay_out_of_the_french_menu() -> None:
    for alias, (kind, target, _) in ALIASES.items():
        assert alias in COMMAND_HANDLERS
        assert target in (COMMAND_HANDLERS if kind == "command" else INTENT_HANDLERS), alias
        assert alias not in COMMAND_DESCRIPTIONS and alias not in dict(COMMANDS)
    menu = dict(command_menu())
    assert {"aide", "rappels", "profil", "start"} <= set(menu)
    assert set(ALIASES) == {"help", "settings", "stop"}
