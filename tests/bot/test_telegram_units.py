"""The Telegram channel's parts on their own: reading updates, pacing, errors, polling order, scheduler."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.config import Settings
from bot.scheduler import Scheduler
from bot.telegram_polling import poll
from bot.telegram_sender import ChatPacer, send_error, split_text
from bot.telegram_updates import (
    ForEngine,
    Ignored,
    NotPrivate,
    _button,
    _plain_button,
    chat_of,
    command_name,
    is_emoji_only,
    translate,
)
from flows.engine.events import BUTTON, COMMAND, MEDIA, TEXT

USER = {"id": 7, "is_bot": False, "first_name": "Inès"}
PRIVATE = {"id": 7, "type": "private", "first_name": "Inès"}


def message(**fields: Any) -> dict[str, Any]:
    return {"update_id": 10, "message": {"message_id": 3, "date": 0, "chat": PRIVATE, "from": USER, **fields}}


def event_of(raw: dict[str, Any]):  # type: ignore[no-untyped-def]
    incoming = translate(raw, inbox_id=5)
    assert isinstance(incoming, ForEngine), incoming
    return incoming.event


def test_text_commands_and_buttons_become_events() -> None:
    text = event_of(message(text="je cherche un taf"))
    assert (text.kind, text.text, text.key, text.inbox_id, text.message_id) == (TEXT, "je cherche un taf",
                                                                              "tg:10", 5, "3")
    assert (text.person.channel, text.person.external_id, text.person.chat_id) == ("telegram", "7", "7")
    command = event_of(message(text="/Profil@Tremplin_bot modifier"))
    assert (command.kind, command.command) == (COMMAND, "profil")
    button = event_of({"update_id": 11, "callback_query": {
        "id": "q1", "from": USER, "chat_instance": "c", "data": "s.1.yes.abc",
        "message": {"message_id": 40, "date": 0, "chat": PRIVATE}}})
    assert (button.kind, button.payload, button.message_id) == (BUTTON, "s.1.yes.abc", "40")
    assert translate({"update_id": 11, "callback_query": {"id": "q2", "from": USER, "chat_instance": "c",
                                                          "data": "a.x..y", "inline_message_id": "i"}},
                     inbox_id=1).event.person.chat_id == "7"  # type: ignore[union-attr]


def test_a_plain_button_is_read_as_ptb_reads_it() -> None:
    keyboard = {"inline_keyboard": [[{"text": "19", "callback_data": "s.3.19.abc"}]]}
    raw = {"update_id": 12, "callback_query": {
        "id": "q3", "from": USER, "chat_instance": "c", "data": "s.3.19.abc",
        "message": {"message_id": 41, "date": 0, "chat": PRIVATE, "from": {"id": 1, "is_bot": True,
                                                                            "first_name": "Tremplin"},
                    "text": "Quel âge as-tu ?", "reply_markup": keyboard}}}
    fast = _plain_button(raw, 9)
    assert fast is not None and fast == _button(Update.de_json(raw, None), "tg:12", 9)
    # Anything else is left to PTB's reading: a group, an inline message, no data, a sender not said to be a person.
    group = {**raw["callback_query"], "message": {**raw["callback_query"]["message"],
                                                  "chat": {"id": -5, "type": "group", "title": "G"}}}
    inline = {k: v for k, v in raw["callback_query"].items() if k != "message"} | {"inline_message_id": "i"}
    no_data = {k: v for k, v in raw["callback_query"].items() if k != "data"}
    unknown = {**raw["callback_query"], "from": {"id": 7, "first_name": "Inès"}}
    for query in (group, inline, no_data, unknown):
        assert _plain_button({"update_id": 13, "callback_query": query}, 9) is None


@pytest.mark.parametrize(("text", "emoji_only"), [
    ("😂", True), ("👍🏽", True), ("❤️", True), ("🇫🇷 🇫🇷", True), ("👨‍👩‍👧", True),
    ("ok 👍", False), ("?", False), ("...", False), ("1️⃣", False), ("", False),
])
def test_emoji_only(text: str, emoji_only: bool) -> None:
    assert is_emoji_only(text) is emoji_only


def test_command_names() -> None:
    assert command_name("/start") == "start"
    assert command_name("/START@tremplin_bot payload") == "start"
    assert command_name("/") == ""
    assert command_name("/mes_donnees stp") == "mes_donnees"


def test_groups_channels_and_the_unknown() -> None:
    group = {"id": -5, "type": "supergroup", "title": "x"}
    assert translate({"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": group, "from": USER,
                                                  "text": "hello"}}) == NotPrivate(-5, say=True)
    joined = {"update_id": 2, "message": {"message_id": 1, "date": 0, "chat": group, "from": USER,
                                          "new_chat_members": [USER]}}
    assert translate(joined) == NotPrivate(-5, say=False), "no speech for a service message"
    assert isinstance(translate({"update_id": 3, "edited_channel_post": {
        "message_id": 1, "date": 0, "chat": {"id": -9, "type": "channel"}, "text": "x"}}), NotPrivate)
    assert isinstance(translate({"update_id": 4, "something_new": {"a": 1}}), Ignored)
    edited = {"update_id": 5, "edited_message": {"message_id": 1, "date": 0, "edit_date": 1, "chat": PRIVATE,
                                                 "from": USER, "text": "typo"}}
    assert (event_of(edited).kind, event_of(edited).media) == (MEDIA, "edited")
    from_a_bot = message(text="hi")
    from_a_bot["message"]["from"] = {"id": 8, "is_bot": True, "first_name": "B"}
    assert isinstance(translate(from_a_bot), Ignored)


def test_chat_of_orders_by_chat_and_knows_private_ones() -> None:
    assert chat_of(message(text="x")) == ("7", True)
    assert chat_of({"update_id": 1, "callback_query": {"id": "q", "from": USER, "data": "d",
                                                       "message": {"chat": PRIVATE}}}) == ("7", True)
    assert chat_of({"update_id": 1, "channel_post": {"chat": {"id": -3, "type": "channel"}}}) == ("-3", False)
    assert chat_of({"update_id": 1, "poll": {"id": "p"}}) == ("-", False)


async def test_pacer_spaces_one_chat_and_lets_others_go() -> None:
    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(round(seconds, 3))
        now[0] += seconds

    pacer = ChatPacer(1.0, clock=lambda: now[0], sleep=sleep)
    for chat in ("a", "b", "a", "a"):
        async with pacer.turn(chat):
            now[0] += 0.25  # the request itself
    # b did not wait for a; a's second send waited for what was left of the interval after its first
    # (b's request took 0.25 s of it), its third a full interval.
    assert slept == [0.75, 1.0]


def test_split_text_keeps_words_and_limits() -> None:
    text = "mot " * 2000
    pieces = split_text(text)
    assert all(len(p) <= 4096 for p in pieces) and "".join(pieces).replace(" ", "") == text.replace(" ", "")
    assert split_text("court") == ["court"]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_telegram_errors_in_delivery_terms() -> None:
    assert send_error(RetryAfter(dt.timedelta(seconds=7))).retry_after == 7
    assert send_error(Forbidden("Forbidden: bot was blocked by the user")).blocked
    assert send_error(BadRequest("Bad Request: chat not found")).permanent
    transient = send_error(NetworkError("connection reset"))
    assert not (transient.blocked or transient.permanent or transient.retry_after)


class StubBot:
    """Answers getUpdates from a script; records the offsets asked for."""

    def __init__(self, batches: list[list[dict[str, Any]]], stop: asyncio.Event) -> None:
        self.batches = batches
        self.offsets: list[int | None] = []
        self.stop = stop

    async def do_api_request(self, endpoint: str, api_kwargs: dict[str, Any], read_timeout: float) -> Any:
        self.offsets.append(api_kwargs.get("offset"))
        if not self.batches:
            self.stop.set()
            return []
        return self.batches.pop(0)


class StubChannel:
    """Fails to record the first time (a database hiccup), then records."""

    def __init__(self) -> None:
        self.recorded: list[int] = []
        self.failures = 1

    async def resume_offset(self) -> int | None:
        return 101

    async def receive(self, updates: list[dict[str, Any]]) -> int:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("database is locked")
        self.recorded += [u["update_id"] for u in updates]
        return len(updates)


async def test_polling_confirms_a_batch_only_once_it_is_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.telegram_polling as polling

    async def no_pause(stop: asyncio.Event, delay: float) -> None:
        return None

    monkeypatch.setattr(polling, "_pause", no_pause)
    stop = asyncio.Event()
    batch = [{"update_id": 101, "message": {}}, {"update_id": 102, "message": {}}]
    bot = StubBot([batch, batch, [{"update_id": 103}]], stop)
    channel = StubChannel()
    await poll(bot, channel, stop, timeout=0)  # type: ignore[arg-type]
    # Resumed after the highest update recorded; the failed batch is asked for again with the same offset.
    assert bot.offsets == [101, 101, 103, 104]
    assert channel.recorded == [101, 102, 103]


async def test_scheduler_stop_waits_for_a_running_job() -> None:
    finished = asyncio.Event()
    started = asyncio.Event()
    runs = 0

    async def slow_job() -> None:
        nonlocal runs
        runs += 1
        started.set()
        await asyncio.sleep(0.3)
        finished.set()

    scheduler = Scheduler(Settings())
    scheduler.every(0.05, "slow", slow_job)
    scheduler.start()
    await asyncio.wait_for(started.wait(), 10)
    await scheduler.stop()
    assert finished.is_set(), "a running job is not cut halfway"
    assert runs == 1, "ticks that come while the job runs are skipped"
