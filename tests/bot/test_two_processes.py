"""Two real bot processes (``tremplin run`` in webhook mode, as behind a load balancer) on one PostgreSQL
database and one fake Bot API: 1,000 due messages, each sent exactly once (``FOR UPDATE SKIP LOCKED``),
none lost; the nudge planning at both starts plans each nudge once (leader lock, deterministic keys)."""

from __future__ import annotations

import asyncio
import socket
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from tests.bot.fake_telegram import BotProcess, FakeTelegram
from tests.bot.test_nudges_restart import bot_env, nudges_received, outbox_state, received, seed

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_healthy(process: BotProcess, port: int, timeout: float = 90.0) -> None:
    """Webhook mode does not poll: the process is ready when its /healthz answers."""
    deadline = time.monotonic() + timeout
    while True:
        assert process.process is not None
        if process.process.poll() is not None:
            raise AssertionError(f"the bot exited with {process.process.returncode}:\n{process.log_tail()}")
        try:
            with await asyncio.to_thread(urllib.request.urlopen, f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot did not start:\n{process.log_tail()}") from None
            await asyncio.sleep(0.2)


async def test_two_processes_send_each_of_1000_due_messages_exactly_once(
    pg_url: str, tmp_path: Path, data_key: str
) -> None:
    # 1,000 reminders for 200 people, coming due over 8 seconds from 20 seconds from now (once both
    # processes are up), and 25 people silent for a week, whom both processes' planning sees at start.
    seeded = await seed(pg_url, people=200, per_person=5, spread_seconds=8, inactive=25, start_in=20)
    expected = len(seeded.due) + len(seeded.nudged_chats)
    assert len(seeded.due) == 1000
    with FakeTelegram() as fake:
        processes = []
        try:
            for name in ("a", "b"):
                port = free_port()
                env = bot_env(pg_url, data_key, TREMPLIN_TELEGRAM__MODE="webhook", WEBHOOK_SECRET="two-processes",
                              TREMPLIN_TELEGRAM__WEBHOOK_PORT=str(port), TREMPLIN_TELEGRAM__OVERALL_PER_SECOND="150",
                              TREMPLIN_DELIVERY__TICK_SECONDS="0.2", TREMPLIN_DATABASE__AUTO_MIGRATE="false")
                processes.append((BotProcess(fake, env, log_path=tmp_path / f"bot-{name}.log").start(), port))
            for process, port in processes:
                await wait_healthy(process, port)
            await fake.wait(lambda: sum(received(fake).values()) >= expected, timeout=120, what="everything sent")
            await asyncio.sleep(2)  # a message sent twice would show now
        finally:
            codes = [process.terminate() for process, _ in processes]
    assert codes == [0, 0], [p.log_tail() for p, _ in processes]

    counts = received(fake)
    nudges = nudges_received(fake, seeded)
    per_key = Counter({text: counts[text] for text in seeded.due})
    duplicates = sum(n - 1 for n in per_key.values() if n > 1) + sum(n - 1 for n in nudges.values() if n > 1)
    lost = [t for t in seeded.due if per_key[t] == 0] + [c for c in seeded.nudged_chats if nudges[c] == 0]
    statuses, logged = await outbox_state(pg_url)
    print(f"\ntwo processes on PostgreSQL: {len(seeded.due)} due reminders + {len(seeded.nudged_chats)} nudges; "
          f"sendMessage calls {sum(per_key.values()) + sum(nudges.values())}, duplicates {duplicates}, "
          f"lost {len(lost)}; nudge log rows {logged}; outbox {statuses}")
    assert duplicates == 0 and lost == []
    assert set(per_key.values()) == {1} and set(nudges.values()) == {1}
    assert logged == len(seeded.nudged_chats)
    assert statuses == {"sent": expected}
