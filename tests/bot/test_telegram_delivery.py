"""Sending through the fake Bot API: pacing, 429, 403, edits that change nothing, documents."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools

import pytest
from sqlalchemy import select
from telegram import Bot

from bot.telegram_sender import ChatPacer, TelegramSender
from flows.engine.events import Button, Document, Reply
from storage.outbox import CANCELLED, FAILED, NUDGE, SENT, OutboxMessage
from tests.bot.fake_telegram import FakeTelegram, TgUser, running_bot, wait_handled
from tests.kit import ScriptedNlu

pytestmark = pytest.mark.filterwarnings("ignore:Please use 'Bot.getUpdates'")

INES = TgUser(1001, "Inès")
WELCOME = 3  # messages of the first answer: two lines of introduction, then the consent question


@pytest.fixture
def fake():  # type: ignore[no-untyped-def]
    with FakeTelegram() as server:
        yield server


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


async def test_one_message_per_interval_in_a_chat(fake: FakeTelegram, db_url: str) -> None:
    async with running_bot(fake, db_url, nlu=ScriptedNlu(), telegram={"per_chat_interval_seconds": 0.4}) as bot:
        await wait_handled(bot, fake.command(INES, "start"))
        sends = fake.calls_to("sendMessage", INES)
        assert len(sends) == WELCOME
        assert min(gaps([c.at for c in sends])) >= 0.4


async def test_overall_rate_is_capped(fake: FakeTelegram, db_url: str) -> None:
    users = [TgUser(1100 + i) for i in range(4)]
    async with running_bot(fake, db_url, nlu=ScriptedNlu(), telegram={"overall_per_second": 4}) as bot:
        await wait_handled(bot, *[fake.command(user, "start") for user in users])
        sends = sorted(c.at for c in fake.calls_to("sendMessage"))
        assert len(sends) == 4 * WELCOME
        # A bucket of 4 lets 4 through at once, then one every 1/4 s: the 12th waits at least 2 s.
        assert sends[-1] - sends[0] >= 1.8


async def test_429_waits_retry_after_and_keeps_the_order(fake: FakeTelegram, db_url: str) -> None:
    async with running_bot(fake, db_url, nlu=ScriptedNlu()) as bot:
        fake.fail("sendMessage", chat=INES, status=429, retry_after=1)
        fake.command(INES, "start")
        await fake.wait(lambda: fake.reply_count(INES) == WELCOME, what="the welcome, after the 429")
        refused = [c for c in fake.calls_to("sendMessage", INES) if c.status == 429]
        assert len(refused) == 1
        first_retry = fake.replies(INES)[0]
        assert first_retry.at - refused[0].at >= 1.0, "retry_after is honoured"
        assert first_retry.text == refused[0].text, "the refused message goes first, the others after it"
        assert "Tremplin" in first_retry.text and fake.labels(INES) == ["D'accord", "Non merci", "En savoir plus"]
        await wait_outbox(bot, [SENT] * WELCOME)


async def wait_outbox(bot, statuses: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Wait until the outbox rows have these statuses (the tick records a delivery after sending it)."""
    seen: list[str] = []
    for _ in range(500):
        async with bot.channel.db.transaction() as uow:
            seen = list((await uow.session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id))).all())
        if seen == statuses:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"outbox statuses {seen}, expected {statuses}")


async def test_403_blocked_marks_unreachable_and_cancels_nudges(fake: FakeTelegram, db_url: str) -> None:
    async with running_bot(fake, db_url, nlu=ScriptedNlu()) as bot:
        await wait_handled(bot, fake.command(INES, "start"))
        db = bot.channel.db
        async with db.transaction() as uow:
            person = await uow.people.find("telegram", str(INES.id))
            assert person is not None
            now = dt.datetime.now(dt.UTC)
            nudge = await uow.outbox.add(key="nudge:test", channel="telegram", chat_id=str(INES.id), kind="nudge",
                                         category=NUDGE, payload={"text": "Ça va ?", "buttons": []},
                                         due_at=now + dt.timedelta(days=2), now=now, person_id=person.id)
        fake.block(INES)
        await wait_handled(bot, fake.command(INES, "aide"))
        async with db.transaction() as uow:
            person = await uow.people.find("telegram", str(INES.id))
            planned = await uow.outbox.get(nudge)
            refused = (await uow.session.scalars(select(OutboxMessage).where(OutboxMessage.status == FAILED))).all()
        assert person is not None and person.unreachable_at is not None
        assert planned is not None and planned.status == CANCELLED
        assert len(refused) >= 1
        attempts = [c for c in fake.calls_to("sendMessage", INES) if c.status == 403]
        assert len(attempts) == 1, "a blocked person is not tried again and again"


async def test_sender_edits_documents_and_long_texts(fake: FakeTelegram) -> None:
    async with Bot(fake.token, base_url=fake.base_url) as bot:
        sender = TelegramSender(bot, ChatPacer(0))
        row = OutboxMessage(id=1, chat_id=str(INES.id))
        buttons = ((Button("Oui", "s.1.oui.x"), Button("Non", "s.1.non.x")),)
        first = await sender.send(row, Reply("Tu viens ?", buttons), None)
        # A double tap redraws the same thing: Telegram says "message is not modified", which is fine.
        same = await sender.send(row, Reply("Tu viens ?", buttons), first)
        assert same == first
        assert [c.status for c in fake.calls_to("editMessageText")] == [400]
        changed = await sender.send(row, Reply("Tu viens ? ✅", buttons), first)
        assert changed == first and fake.message(INES, int(first))["text"] == "Tu viens ? ✅"  # type: ignore[index]
        # A message that cannot be edited any more is sent anew.
        fresh = await sender.send(row, Reply("Nouveau", ()), "987654")
        assert fresh != "987654" and fake.texts(INES)[-1] == "Nouveau"
        # A document (an .ics invitation, a data export) goes as multipart, with its caption and buttons.
        ics = Document("rdv.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")
        await sender.send(row, Reply("Ton rendez-vous", buttons, ics), None)
        call = fake.calls_to("sendDocument")[-1]
        assert list(call.files.values()) == [("rdv.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")]
        assert call.text == "Ton rendez-vous" and call.labels == ["Oui", "Non"]
        # Longer than Telegram allows: cut in pieces, the buttons under the last one.
        before = fake.reply_count(INES)
        await sender.send(row, Reply("mot " * 1500, buttons), None)
        pieces = fake.replies(INES)[before:]
        assert len(pieces) == 2 and all(len(p.text) <= 4096 for p in pieces)
        assert pieces[0].labels == [] and pieces[1].labels == ["Oui", "Non"]
