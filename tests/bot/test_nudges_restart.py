"""``tremplin run`` restarted in the middle of a due window (reminders coming due second after second,
nudges planned at start): every due message is sent once, none is lost, a reminder missed while the bot
was down is still sent if its appointment has not started, and dropped if it has.

The seeding helpers are shared with tests/bot/test_two_processes.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage import Database
from storage.migrate import upgrade
from storage.nudges import NudgeLog
from storage.outbox import APPOINTMENT
from tests.bot.fake_telegram import BotProcess, FakeTelegram

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Please use 'Bot.getUpdates'")]

# No quiet hours for these runs: they happen at whatever time the tests run (the rules have their own tests).
ALWAYS_OPEN = {
    "TREMPLIN_QUIET_HOURS__START": "00:00",
    "TREMPLIN_QUIET_HOURS__END": "00:00",
    "TREMPLIN_QUIET_HOURS__SUNDAYS": "false",
    "TREMPLIN_QUIET_HOURS__PUBLIC_HOLIDAYS": "false",
}
FIRST_CHAT = 810_000


@dataclass
class Seeded:
    """What was planned, to check what the fake Bot API received."""

    due: list[str] = field(default_factory=list)  # texts that must arrive exactly once
    expired: list[str] = field(default_factory=list)  # texts that must never arrive
    nudged_chats: list[str] = field(default_factory=list)  # chats that must get exactly one nudge


async def seed(
    database_url: str,
    *,
    people: int,
    per_person: int,
    spread_seconds: float,
    missed: int = 0,
    expired: int = 0,
    inactive: int = 0,
    start_in: float = 0.0,
) -> Seeded:
    """People on Telegram and their planned messages, as the reminders planner would have left them:
    ``people * per_person`` reminders coming due over ``spread_seconds`` from ``start_in`` seconds from now,
    ``missed`` reminders due 10 minutes ago whose appointment is still to come, ``expired`` ones whose
    appointment has started, and ``inactive`` people silent for exactly a week (nudged at start)."""
    await asyncio.to_thread(upgrade, database_url)
    db = Database(database_url)
    seeded = Seeded()
    now = dt.datetime.now(dt.UTC)
    planned_at = now - dt.timedelta(minutes=2)  # planned a while ago: any process may deliver them
    count = people * per_person
    try:
        async with db.transaction() as uow:
            ids = []
            for i in range(people + inactive):
                chat = str(FIRST_CHAT + i)
                person = await uow.people.find_or_create("telegram", chat, chat, planned_at)
                silent = i >= people
                seen = now - dt.timedelta(days=7, minutes=1) if silent else now - dt.timedelta(days=2)
                await uow.people.update(person, first_name=f"P{i}", consent_at=seen - dt.timedelta(days=1),
                                        onboarded_at=seen - dt.timedelta(days=1), last_seen_at=seen)
                ids.append((person.id, chat))
                if silent:
                    seeded.nudged_chats.append(chat)

            async def add(key: str, due: dt.datetime, expires: dt.datetime, owner: int) -> str:
                person_id, chat = ids[owner]
                text = f"Rappel {key}"
                await uow.outbox.add(key=key, channel="telegram", chat_id=chat, kind="reminder", category=APPOINTMENT,
                                     payload={"text": text, "buttons": []}, due_at=due, now=planned_at,
                                     person_id=person_id, expires_at=expires)
                return text

            # Interleaved by person, as reminders of many appointments at the same hour are.
            for n in range(count):
                due = now + dt.timedelta(seconds=start_in + spread_seconds * n / max(1, count))
                seeded.due.append(await add(f"rmd:test:{n}", due, now + dt.timedelta(hours=2), n % people))
            for n in range(missed):
                seeded.due.append(await add(f"rmd:missed:{n}", now - dt.timedelta(minutes=10),
                                            now + dt.timedelta(hours=1), n % people))
            for n in range(expired):
                seeded.expired.append(await add(f"rmd:expired:{n}", now - dt.timedelta(minutes=10),
                                                now - dt.timedelta(minutes=1), n % people))
    finally:
        await db.dispose()
    return seeded


def received(fake: FakeTelegram) -> Counter[str]:
    """How many times each text reached a chat."""
    return Counter(c.text for c in fake.calls_to("sendMessage") if c.ok)


def nudges_received(fake: FakeTelegram, seeded: Seeded) -> Counter[str]:
    return Counter(c.chat_id or "" for c in fake.calls_to("sendMessage") if c.ok and c.chat_id in seeded.nudged_chats)


async def outbox_state(database_url: str) -> tuple[dict[str, int], int]:
    db = Database(database_url)
    try:
        async with db.transaction() as uow:
            statuses = await uow.outbox.count_by_status()
            logged = int(await uow.session.scalar(select(func.count()).select_from(NudgeLog)) or 0)
        return statuses, logged
    finally:
        await db.dispose()


def bot_env(database_url: str, data_key: str, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "TREMPLIN_DATA_KEY": data_key,
        "TREMPLIN_TELEGRAM__PER_CHAT_INTERVAL_SECONDS": "0",
        "TREMPLIN_DELIVERY__TICK_SECONDS": "0.3",
        "TREMPLIN_DELIVERY__BATCH_SIZE": "25",
        **ALWAYS_OPEN,
        **extra,
    }


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGKILL"])
async def test_a_restart_during_a_due_window_sends_each_due_message_once(
    tmp_path: Path, data_key: str, stop: str
) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path}/tremplin.db"
    # 240 reminders coming due over 12 seconds, 20 missed while the bot was down (still relevant), 20 whose
    # appointment has started (dropped), 20 people silent for a week (nudged by the planning at start).
    seeded = await seed(database, people=60, per_person=4, spread_seconds=12, missed=20, expired=20, inactive=20,
                        start_in=4)
    expected = len(seeded.due) + len(seeded.nudged_chats)
    env = bot_env(database, data_key, TREMPLIN_TELEGRAM__OVERALL_PER_SECOND="25")
    with FakeTelegram() as fake:
        process = BotProcess(fake, env, log_path=tmp_path / "bot.log").start()
        try:
            await process.wait_ready()
            # Restart in the middle of the window: a third of the messages out.
            await fake.wait(lambda: sum(received(fake).values()) >= expected // 3, timeout=60, what="a third sent")
            restarted_at = time.monotonic()
            if stop == "SIGTERM":
                assert process.terminate() == 0, process.log_tail()
            else:
                process.kill()
            before_restart = sum(received(fake).values())
            process.start()
            await process.wait_ready()
            await fake.wait(lambda: sum(received(fake).values()) >= expected, timeout=90, what="everything sent")
            await asyncio.sleep(1.5)  # anything sent twice would show now
        finally:
            code = process.terminate()
        assert code == 0, process.log_tail()

    counts = received(fake)
    nudges = nudges_received(fake, seeded)
    after_restart = sum(1 for c in fake.calls_to("sendMessage") if c.ok and c.at > restarted_at)
    duplicates = sum(n - 1 for n in counts.values() if n > 1) + sum(n - 1 for n in nudges.values() if n > 1)
    lost = [t for t in seeded.due if counts[t] == 0] + [c for c in seeded.nudged_chats if nudges[c] == 0]
    statuses, logged = await outbox_state(database)
    print(f"\nrestart by {stop} during the window: {len(seeded.due)} reminders + {len(seeded.nudged_chats)} nudges "
          f"due, {before_restart} sent before the restart, {after_restart} after; duplicates {duplicates}, "
          f"lost {len(lost)}, expired sent {sum(counts[t] for t in seeded.expired)}; outbox {statuses}")
    assert before_restart > 0 and after_restart > 0, "the restart happened inside the window"
    assert lost == []
    assert all(counts[t] == 0 for t in seeded.expired), "a reminder whose appointment has started is dropped"
    assert logged == len(seeded.nudged_chats), "the planning at each start planned each nudge once"
    assert statuses == {"sent": expected, "dropped": len(seeded.expired)}
    if stop == "SIGTERM":
        assert duplicates == 0, "a clean restart sends each due message exactly once"
    else:
        # SIGKILL: the messages in flight at that instant may go once more (at-least-once), never more.
        assert max(counts[t] for t in seeded.due) <= 2 and max(nudges.values()) <= 2
        assert duplicates <= 25, "at most one batch was in flight"
