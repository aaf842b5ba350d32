"""What a stopped process left behind is picked up at start; an update whose handling fails is retried."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select

from flows.engine.media import TROUBLE
from storage import Database
from storage.inbox import DONE, FAILED, PENDING, InboxUpdate
from storage.migrate import upgrade
from storage.outbox import SENDING
from tests.bot.fake_telegram import FakeTelegram, TgUser, running_bot, wait_handled
from tests.kit import ScriptedNlu

pytestmark = pytest.mark.filterwarnings("ignore:Please use 'Bot.getUpdates'")

INES, KARIM = TgUser(1001, "Inès"), TgUser(1002, "Karim")


@pytest.fixture
def fake():  # type: ignore[no-untyped-def]
    with FakeTelegram() as server:
        yield server


async def test_start_handles_recorded_updates_sends_leftovers_and_resumes_after(
    fake: FakeTelegram, db_url: str
) -> None:
    # The state a kill -9 can leave: an update recorded but not handled, a reply claimed but not
    # confirmed sent, and a reply written but not yet claimed.
    await asyncio.to_thread(upgrade, db_url)
    db = Database(db_url)
    recorded = fake.message_update(INES, text="/start")
    now = dt.datetime.now(dt.UTC)
    async with db.transaction() as uow:
        await uow.inbox.record("telegram", recorded["update_id"], recorded, now)
        claimed = await uow.outbox.add(key="old:0", channel="telegram", chat_id=str(KARIM.id), kind="reply",
                                       payload={"text": "Première réponse", "buttons": []}, due_at=now, now=now)
        await uow.outbox.add(key="old:1", channel="telegram", chat_id=str(KARIM.id), kind="reply",
                             payload={"text": "Deuxième réponse", "buttons": []}, due_at=now, now=now)
        await uow.outbox.claim([claimed], now, ["telegram"])
        assert (await uow.outbox.get(claimed)).status == SENDING  # type: ignore[union-attr]
    await db.dispose()

    async with running_bot(fake, db_url, nlu=ScriptedNlu()) as bot:
        await wait_handled(bot, recorded["update_id"])
        await fake.wait(lambda: fake.reply_count(KARIM) == 2)
        assert fake.texts(KARIM) == ["Première réponse", "Deuxième réponse"], "in order, without waiting"
        assert "Tremplin" in fake.texts(INES)[0]
        first_poll = fake.calls_to("getUpdates")[0]
        assert first_poll.params.get("offset") == recorded["update_id"] + 1, "polling resumes after it"


async def test_a_failing_update_is_retried_then_set_aside_kindly(fake: FakeTelegram, db_url: str) -> None:
    class BrokenNlu(ScriptedNlu):
        async def parse(self, text: str, now: object = None):  # type: ignore[no-untyped-def]
            if text == "boum":
                raise RuntimeError("the NLU fell over")
            return await super().parse(text, now)

    async with running_bot(fake, db_url, nlu=BrokenNlu()) as bot:
        channel = bot.channel
        # Attempts are made by hand below, with no waiting: the bot's own periodic retry (every 10 s, for updates
        # older than ``retry_after``) must not make one more on a loaded machine, so ``retry_after`` stays long.
        update_id = fake.send_text(INES, "boum")

        async def status() -> tuple[str, int] | None:
            async with channel.db.transaction() as uow:
                row = (await uow.session.scalars(select(InboxUpdate).where(InboxUpdate.update_id == update_id))
                       ).one_or_none()
                return None if row is None else (row.status, row.attempts)

        # Not recorded yet, or in hand: the first attempt is awaited (the wait above could end before the update
        # was even fetched, and the row was then looked for too soon).
        for _ in range(500):
            if await status() == (PENDING, 1):
                break
            await asyncio.sleep(0.02)
        assert await status() == (PENDING, 1)
        assert fake.reply_count(INES) == 0, "a failed attempt sends nothing"
        await channel.replay_pending(older_than=dt.timedelta(0))
        await channel.idle()
        assert await status() == (PENDING, 2)
        await channel.replay_pending(older_than=dt.timedelta(0))
        await channel.idle()
        assert await status() == (FAILED, 3)
        assert fake.texts(INES) == [TROUBLE]
        # The person can go on.
        await wait_handled(bot, fake.command(INES, "start"))
        assert "Tremplin" in fake.texts(INES)[1]
        assert await status() == (FAILED, 3)
        async with channel.db.transaction() as uow:
            statuses = (await uow.session.scalars(select(InboxUpdate.status))).all()
        assert sorted(statuses) == [DONE, FAILED]


async def test_the_same_update_handled_twice_at_once_has_one_effect(db: Database) -> None:
    """Two processes (or a replay and a redelivery) on the same recorded update: only one handles it."""
    from flows.engine.events import COMMAND, Event, PersonRef
    from tests.kit import make_harness

    harness = make_harness(db)
    async with db.transaction() as uow:
        inbox_id = await uow.inbox.record("telegram", 1, {"update_id": 1}, harness.clock.now())
    event = Event(PersonRef("test", "ines", "ines"), COMMAND, text="/start", command="start", key="tg:1",
                  inbox_id=inbox_id)
    outcomes = await asyncio.gather(harness.engine.handle(event), harness.engine.handle(event))
    assert sorted(len(o.outbox_ids) for o in outcomes) == [0, 3]
    async with db.transaction() as uow:
        person = await uow.people.find("test", "ines")
        assert person is not None
        conversation = await uow.conversations.load(person.id, harness.clock.now())
        row = await uow.inbox.get(inbox_id)
    assert conversation.token == 1, "the question was asked once, not twice"
    assert row is not None and row.status == DONE


async def test_the_same_update_of_a_known_person_handled_twice_at_once_has_one_effect(db: Database) -> None:
    """As above for someone already known, whose lock (PostgreSQL) is taken before anything of theirs is read:
    the second handling waits for it, then reads the update done."""
    from flows.engine.events import TEXT, Event, PersonRef
    from tests.kit import make_harness

    harness = make_harness(db)
    chat = harness.chat("ines")
    await chat.command("start")
    await chat.press("D'accord")  # consent given: what she writes is logged, once per message
    ines = PersonRef("test", "ines", "ines")
    async with db.transaction() as uow:
        inbox_id = await uow.inbox.record("telegram", 2, {"update_id": 2}, harness.clock.now())
    event = Event(ines, TEXT, text="bonjour", key="tg:2", inbox_id=inbox_id)
    outcomes = await asyncio.gather(harness.engine.handle(event), harness.engine.handle(event))
    assert sorted(bool(o.outbox_ids) for o in outcomes) == [False, True]
    async with db.transaction() as uow:
        row = await uow.inbox.get(inbox_id)
        person = await uow.people.find("test", "ines")
        assert person is not None
        logged = [m for m in await uow.messages.for_person(person.id) if m.text == "bonjour"]
    assert row is not None and row.status == DONE
    assert len(logged) == 1, "the message was handled once, not twice"
