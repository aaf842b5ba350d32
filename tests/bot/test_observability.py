"""What the operator watches (bot/metrics.py, bot/telegram_webhook.py, bot/logs.py): the counters of updates,
the handling latency, Telegram's 429s, the hand-offs waiting, every worker's counts in multiprocess mode,
``/readyz`` beside ``/healthz``, and logs as JSON lines."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.logs import setup_logging
from bot.metrics import exposition
from bot.telegram_webhook import METRICS_PATH, READY_PATH, SECRET_HEADER
from storage import Database
from storage.handoffs import ASKED, BOOKED, DISTRESS
from storage.readiness import Readiness, probe
from tests.bot.fake_telegram import FakeTelegram, TgUser, running_bot, wait_handled
from tests.bot.test_telegram_webhook import free_port
from tests.conftest import PG_ADMIN
from tests.kit import ScriptedNlu

SECRET = "test-secret_not-a-real-one"
INES = TgUser(1101, "Inès")
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text, by name and labels."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


async def test_metrics_count_updates_latency_and_429s_and_readyz_says_ready(fake: FakeTelegram, db_url: str) -> None:
    port = free_port()
    settings = {"mode": "webhook", "webhook_port": port, "webhook_path": "/telegram"}
    async with running_bot(fake, db_url, nlu=ScriptedNlu(), telegram=settings, webhook_secret=SECRET) as bot, \
            httpx.AsyncClient(trust_env=False, timeout=10) as client:
        base = f"http://127.0.0.1:{port}"
        before = (await client.get(base + METRICS_PATH)).text
        fake.fail("sendMessage", chat=INES.id, status=429, retry_after=1)  # the first reply: too many requests
        update = fake.message_update(INES, text="/start")
        for _ in range(2):  # Telegram sends it again: recorded once
            posted = await client.post(base + "/telegram", json=update, headers={SECRET_HEADER: SECRET})
            assert posted.status_code == 200
        await wait_handled(bot, update["update_id"])
        after = (await client.get(base + METRICS_PATH)).text

        def grew(name: str, **labels: str) -> float:
            return value(after, name, **labels) - value(before, name, **labels)

        assert grew("tremplin_updates_received_total", result="new") == 1
        assert grew("tremplin_updates_received_total", result="again") == 1
        assert grew("tremplin_updates_handled_total", result="ok") == 1
        assert grew("tremplin_update_handling_seconds_count") == 1
        assert grew("tremplin_update_handling_seconds_sum") > 0
        assert grew("tremplin_telegram_rate_limited_total") == 1
        assert grew("tremplin_deliveries_failed_total", channel="telegram", cause="rate_limited") == 1
        assert value(after, "tremplin_handoffs_waiting", urgent="true") == 0
        assert "tremplin_nlu_fallbacks" in after, "the NLU's counter is served too"

        ready = await client.get(base + READY_PATH)
        assert ready.status_code == 200 and ready.json() == {"status": "ready"}


async def test_handoffs_waiting_and_their_age(db: Database) -> None:
    async with db.transaction() as uow:
        ids = [(await uow.people.find_or_create("telegram", str(n), str(n), NOW)).id for n in range(4)]
        await uow.handoffs.open(person_id=ids[0], structure_id="ml-nanterre", reason=ASKED, urgent=False,
                                now=NOW - dt.timedelta(hours=3))
        await uow.handoffs.open(person_id=ids[1], structure_id=None, reason=DISTRESS, urgent=True,
                                now=NOW - dt.timedelta(minutes=10))
        taken = await uow.handoffs.open(person_id=ids[2], structure_id="ml-nanterre", reason=ASKED, urgent=False,
                                        now=NOW - dt.timedelta(days=2))
        await uow.handoffs.take(taken, agent_id=1, structure_id="ml-nanterre")  # an advisor has it: not waiting
        await uow.handoffs.open(person_id=ids[3], structure_id="ml-nanterre", reason=BOOKED, urgent=False,
                                now=NOW - dt.timedelta(days=1))  # a booking's summary: not a request
    text = (await exposition(db, NOW, max_attempts=8)).decode()
    assert value(text, "tremplin_handoffs_waiting", urgent="false") == 1
    assert value(text, "tremplin_handoffs_waiting", urgent="true") == 1
    assert value(text, "tremplin_handoffs_oldest_waiting_seconds", urgent="false") == 3 * 3600
    assert value(text, "tremplin_handoffs_oldest_waiting_seconds", urgent="true") == 600


COUNT = """
import sys
from bot.metrics import UPDATES_RECEIVED
UPDATES_RECEIVED.labels("new").inc(int(sys.argv[1]))
"""
SERVE = """
from bot import metrics
print(metrics.generate_latest(metrics._counted()).decode())
"""


def test_multiprocess_mode_adds_up_every_worker(tmp_path: Path) -> None:
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    root = Path(__file__).resolve().parents[2]
    for count in ("3", "4"):  # two workers, each its own process
        subprocess.run([sys.executable, "-c", COUNT, count], env=env, cwd=root, check=True)
    served = subprocess.run([sys.executable, "-c", SERVE], env=env, cwd=root, check=True, capture_output=True,
                            text=True).stdout  # whichever worker answers GET /metrics
    assert value(served, "tremplin_updates_received_total", result="new") == 7
    shutil.rmtree(folder)


# --- /readyz: the database must accept a write -----------------------------------------------------------


async def test_probe_says_an_empty_database_is_not_ready(sqlite_db: Database, tmp_path: Path) -> None:
    assert (await probe(sqlite_db)).problem is None
    empty = Database(f"sqlite+aiosqlite:///{tmp_path}/empty.db")
    try:
        readiness = await probe(empty)
    finally:
        await empty.dispose()
    assert readiness == Readiness(None, "database unreachable or not migrated (OperationalError)")


@pytest.mark.postgres
async def test_probe_says_a_read_only_postgresql_database_is_not_writable(pg_db: Database) -> None:
    import asyncpg

    assert (await probe(pg_db)).problem is None
    name = pg_db.engine.url.database
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        read_only = Database(pg_db.engine.url.render_as_string(hide_password=False))
        try:
            readiness = await probe(read_only)
        finally:
            await read_only.dispose()
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
        await admin.close()
    assert readiness.problem is not None and readiness.problem.startswith("database not writable ("), readiness


# --- Logs as JSON lines ----------------------------------------------------------------------------------


def _json_lines() -> io.StringIO:
    """The process's logging as JSON lines (``logging.format: json``), written to the buffer returned."""
    setup_logging("INFO", json_lines=True)
    buffer = io.StringIO()
    for handler in logging.getLogger().handlers:
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(buffer)
    return buffer


def test_json_logs_one_object_a_line_secrets_masked(restored_logging: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET", "very-secret-value")
    buffer = _json_lines()
    log = logging.getLogger("bot.test")
    log.warning("delivery failed for %s", "very-secret-value")
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("handling failed")
    lines = buffer.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["level"] == "WARNING" and first["logger"] == "bot.test"
    assert first["message"] == "delivery failed for [secret]" and first["pid"] == os.getpid()
    assert first["time"].endswith("+00:00")
    assert second["message"] == "handling failed" and "ValueError: boom" in second["exception"]


def test_a_child_of_serve_names_itself_in_json_lines(restored_logging: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TREMPLIN_PROCESS", "worker 2")
    buffer = _json_lines()
    logging.getLogger("bot.test").info("started")
    assert json.loads(buffer.getvalue())["process"] == "worker 2"
