"""Delivery benchmark: 10,000 due messages for 2,000 people, through the real bot and the fake Bot API.

    .venv/bin/python bench/delivery.py                                  # Telegram's pacing: 1/s per chat, 30/s
    .venv/bin/python bench/delivery.py --per-chat 0 --overall 1000      # how fast the pipeline itself goes
    .venv/bin/python bench/delivery.py --postgres postgresql://postgres@127.0.0.1:5432/test   # a fresh database

The messages are planned as the reminders and nudges are (``flows.nudges.reminders.plan_message``: one outbox
row each, a deterministic key, planned a minute ago, due in two seconds), interleaved by person as
reminders of many appointments at the same hour would be. The real ``TelegramBot`` (bot/telegram_app.py:
scheduler tick, ``Delivery``, ``TelegramSender`` with ``ChatPacer`` and PTB's ``AIORateLimiter``) sends
them to the fake Bot API of tests/bot/fake_telegram.py, which records the arrival time of each call.

Printed: messages/s (first to last arrival), duplicates (arrivals of one key beyond the first), and the
highest number of messages seen in any one-second window, per chat and overall, with the shortest gap
between two messages of one chat. A figure, not a test: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import datetime as dt
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from loadgen import drop_postgres, fresh_postgres  # noqa: E402

from flows.nudges.reminders import plan_message  # noqa: E402
from storage import Database, crypto  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.outbox import APPOINTMENT  # noqa: E402
from tests.bot.fake_telegram import FakeTelegram, running_bot  # noqa: E402
from tests.kit import ScriptedNlu  # noqa: E402

FIRST_CHAT = 900_000


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most arrivals in any half-open window [t, t + window)."""
    times = sorted(times)
    best = 0
    for i, start in enumerate(times):
        best = max(best, bisect.bisect_left(times, start + window, lo=i) - i)
    return best


async def plan(db: Database, world: object, people: int, per_person: int) -> list[str]:
    """The people and their due messages; returns the keys."""
    now = dt.datetime.now(dt.UTC)
    planned_at, due = now - dt.timedelta(minutes=1), now + dt.timedelta(seconds=2)
    keys = []
    async with db.transaction() as uow:
        persons = []
        for i in range(people):
            chat = str(FIRST_CHAT + i)
            person = await uow.people.find_or_create("telegram", chat, chat, planned_at)
            await uow.people.update(person, first_name=f"P{i}", consent_at=planned_at, onboarded_at=planned_at)
            persons.append(person)
    async with db.transaction() as uow:
        for n in range(per_person):
            for person in persons:
                key = f"bench:{person.id}:{n}"
                await plan_message(uow, world, person, key=key, text=f"Rappel {key}", due_at=due,  # type: ignore[arg-type]
                                   now=planned_at, kind="reminder", category=APPOINTMENT,
                                   expires_at=now + dt.timedelta(hours=2))
                keys.append(key)
    return keys


async def run(args: argparse.Namespace) -> None:
    crypto.use_keys(crypto.new_key())  # a throwaway data key: nothing here is real
    if args.postgres:
        url = await fresh_postgres(args.postgres)
        try:
            await bench(args, url)
        finally:
            await drop_postgres(args.postgres, url)
        return
    with tempfile.TemporaryDirectory() as tmp:
        await bench(args, f"sqlite+aiosqlite:///{tmp}/bench.db")


async def bench(args: argparse.Namespace, url: str) -> None:
    """Plan, deliver through the running bot, measure what the fake Bot API received."""
    await asyncio.to_thread(upgrade, url)
    with FakeTelegram() as fake:
        telegram = {"per_chat_interval_seconds": args.per_chat, "overall_per_second": args.overall}
        async with running_bot(fake, url, nlu=ScriptedNlu(), telegram=telegram, tick_seconds=args.tick) as bot:
            db = bot.channel.db
            started = time.monotonic()
            keys = await plan(db, bot.channel.engine.world, args.people, args.per_person)
            planned_in = time.monotonic() - started
            total = len(keys)

            def arrived() -> int:
                return sum(1 for c in fake.calls_to("sendMessage") if c.ok and c.text.startswith("Rappel bench:"))

            last_report = time.monotonic()
            while arrived() < total:
                await asyncio.sleep(0.5)
                if time.monotonic() - last_report > 30:
                    print(f"  ... {arrived()} / {total}", flush=True)
                    last_report = time.monotonic()
            await asyncio.sleep(2)  # anything sent twice would arrive now
            async with db.transaction() as uow:
                statuses = await uow.outbox.count_by_status()

    calls = [c for c in fake.calls_to("sendMessage") if c.ok and c.text.startswith("Rappel bench:")]
    copies = Counter(c.text for c in calls)
    per_chat: dict[str, list[float]] = defaultdict(list)
    for call in calls:
        per_chat[call.chat_id or ""].append(call.at)
    times = sorted(c.at for c in calls)
    span = times[-1] - times[0]
    gaps = [b - a for chat in per_chat.values() for a, b in zip(sorted(chat), sorted(chat)[1:], strict=False)]
    settled = [t for t in times if t >= times[0] + 1.0]
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"delivery benchmark ({backend}; pacing: {args.per_chat:g} s per chat, {args.overall:g}/s overall; "
          f"tick {args.tick:g} s)")
    print(f"  planned        {total} messages for {args.people} people in {planned_in:.1f} s")
    print(f"  delivered      {len(calls)} sendMessage calls in {span:.1f} s: {len(calls) / span:.1f} messages/s")
    print(f"  duplicates     {sum(n - 1 for n in copies.values())} "
          f"(keys received more than once: {sum(1 for n in copies.values() if n > 1)}); "
          f"lost {sum(1 for k in keys if copies[f'Rappel {k}'] == 0)}")
    print(f"  max per chat   {max(max_in_window(t) for t in per_chat.values())} message(s) in any 1 s window; "
          f"shortest gap in one chat {min(gaps):.3f} s")
    print(f"  max overall    {max_in_window(times)} messages in any 1 s window, {max_in_window(settled)} after the "
          f"first second")
    print(f"  outbox         {statuses}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--per-person", type=int, default=5)
    parser.add_argument("--per-chat", type=float, default=1.0, help="seconds between two messages of one chat")
    parser.add_argument("--overall", type=float, default=30.0, help="messages per second, all chats together")
    parser.add_argument("--tick", type=float, default=0.5, help="seconds between two delivery ticks")
    parser.add_argument("--postgres", metavar="ADMIN_URL", default=None,
                        help="run on a fresh PostgreSQL database created through ADMIN_URL (default: a temporary "
                             "SQLite file)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
