"""Chaos on PostgreSQL: two webhook workers behind a balancer, while everything around them fails.

Six young people go through the onboarding and ask for an advisor, one step at a time, while:
- the NLU server (Rasa) accepts connections and never answers (the circuit breaker, nlu/circuit.py);
- the SMTP server is down from the start, long past the outbox's attempts (each summary e-mail must be
  kept while its request is open, and the advisor told on Telegram);
- one worker is killed with SIGKILL in the middle (taken out of the balancer, restarted later);
- the PostgreSQL server itself is restarted in the middle;
then the SMTP server comes back and, 15 minutes later, every e-mail has left. The 15 minutes pass on
the stored clock: the planned times of the waiting rows are moved back by 15 minutes, as if the workers'
clocks had moved forward (the processes keep the real one).

Expected: every update recorded once and handled, every reply received (at most once more for the
killed worker), every e-mail delivered, nothing left in the outbox.

It restarts the PostgreSQL server shared by the whole suite: it runs in the serial suite (CI), never
beside other tests (pytest-xdist).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from storage import Database
from storage.migrate import upgrade
from tests.bot.fake_telegram import ROOT, BotProcess, FakeTelegram, TgUser
from tests.bot.test_handoff_e2e import Mailbox
from tests.bot.test_nudges_restart import bot_env
from tests.bot.test_telegram_kill import SCRIPT as ONBOARDING
from tests.bot.test_telegram_kill import act, said_since
from tests.bot.test_two_processes import free_port, wait_healthy

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

SECRET = "chaos-test-secret"
NADIA = TgUser(7301, "Nadia")
NADIA_EMAIL = "nadia@ml-nanterre.exemple.fr"
PEOPLE = [TgUser(9001 + i, name) for i, name in enumerate(("Inès", "Karim", "Awa", "Yanis", "Lina", "Sami"))]
# The kill test's onboarding, then a request for a person (a summary to the advisor, on Telegram and by e-mail).
SCRIPT = (*ONBOARDING, ("text", "je veux parler à un conseiller", "transmis à"))
KILL_AT, RESTART_WORKER_AT, RESTART_POSTGRES_AT = 3, 6, 8  # steps of the script


class HangingServer:
    """Accepts connections and reads, never answers: a Rasa server stuck in a long computation."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self._held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True, name="hanging-rasa").start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            self._held.append(connection)

    def close(self) -> None:
        self.socket.close()
        for connection in self._held:
            connection.close()


@pytest.fixture
def hanging_rasa() -> Iterator[HangingServer]:
    server = HangingServer()
    yield server
    server.close()


def restart_postgres() -> None:
    """A real restart of the server (fast shutdown: every connection is cut, as in a crash or an upgrade)."""
    version = os.listdir("/etc/postgresql")[0]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart", "-m", "fast"],
                   check=True, capture_output=True, timeout=60)


async def prepare(database_url: str, data_key: str) -> None:
    """The schema, and Nadia registered as an advisor of Nanterre, on Telegram and by e-mail (as the operator
    does it)."""
    await asyncio.to_thread(upgrade, database_url)
    command = [str(ROOT / ".venv/bin/tremplin"), "advisors", "add", "--telegram-id", str(NADIA.id),
               "--structure", "ml-nanterre", "--email", NADIA_EMAIL, "--name", "Nadia B."]
    env = {**os.environ, "DATABASE_URL": database_url, "TREMPLIN_DATA_KEY": data_key}
    done = await asyncio.to_thread(subprocess.run, command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


async def query(database_url: str, sql: str) -> list[Any]:
    """The rows of one statement (none for an UPDATE), in a connection of its own."""
    db = Database(database_url)
    try:
        async with db.transaction() as uow:
            result = await uow.session.execute(text(sql))
            return list(result.all()) if result.returns_rows else []
    finally:
        await db.dispose()


@pytest.mark.serial
async def test_chaos_on_postgresql_loses_nothing_and_delivers_every_email(
    pg_url: str, tmp_path: Path, data_key: str, real_nlu: Any, nlu_cache: Path, hanging_rasa: HangingServer,
) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        pytest.skip("restarts the PostgreSQL server: only in the serial suite")
    await prepare(pg_url, data_key)
    smtp_port = free_port()
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)  # not started: the server is down
    ports = [free_port(), free_port()]
    with FakeTelegram() as fake:
        workers = []
        for name, port in zip("ab", ports, strict=True):
            env = bot_env(
                pg_url, data_key, TREMPLIN_TELEGRAM__MODE="webhook", WEBHOOK_SECRET=SECRET,
                TREMPLIN_TELEGRAM__WEBHOOK_PORT=str(port), TREMPLIN_DATABASE__AUTO_MIGRATE="false",
                TREMPLIN_DELIVERY__TICK_SECONDS="0.5", TREMPLIN_DELIVERY__MAX_ATTEMPTS="3",
                TREMPLIN_DELIVERY__STALE_AFTER_SECONDS="10",
                TREMPLIN_NLU__BACKEND="rasa", TREMPLIN_NLU__RASA_URL=f"http://127.0.0.1:{hanging_rasa.port}",
                TREMPLIN_NLU__RASA_TIMEOUT_SECONDS="0.5", TREMPLIN_NLU__CACHE_DIR=str(nlu_cache),
                SMTP_URL=f"smtp://127.0.0.1:{smtp_port}?from=tremplin@hauts-de-seine.exemple.fr",
            )
            workers.append(BotProcess(fake, env, log_path=tmp_path / f"worker-{name}.log").start())
        urls = [f"http://127.0.0.1:{port}/telegram" for port in ports]
        try:
            for worker, port in zip(workers, ports, strict=True):
                await wait_healthy(worker, port)
            fake.post_updates_to(list(urls), SECRET)
            sent: list[int] = []
            for step, (kind, value, expected) in enumerate(SCRIPT):
                marks = {user: fake.reply_count(user) for user in PEOPLE}
                sent += [act(fake, user, kind, value) for user in PEOPLE]
                if step == KILL_AT:
                    before = sum(marks.values())
                    await fake.wait(lambda b=before: sum(fake.reply_count(u) for u in PEOPLE) > b)
                    workers[0].kill()
                    fake.webhook_targets = [urls[1]]  # the balancer's health check takes it out
                if step == RESTART_WORKER_AT:
                    workers[0].start()
                    await wait_healthy(workers[0], ports[0])
                    fake.webhook_targets = list(urls)
                if step == RESTART_POSTGRES_AT:
                    await asyncio.to_thread(restart_postgres)
                for user in PEOPLE:
                    await fake.wait(lambda u=user, m=marks[user], e=expected: said_since(fake, u, m, e), timeout=120,
                                    what=f"step {step} ({value}) answered for {user.first_name}")

            # The e-mails: past their 3 attempts, kept because the requests are open; Nadia was told.
            try:
                await fake.wait(lambda: sum("⚠️" in t for t in fake.texts(NADIA)) >= len(PEOPLE), timeout=120,
                                what="the advisor told that the e-mails have not left")
            except AssertionError:
                print(await query(pg_url, "SELECT id, status, attempts, due_at, claimed_at, last_error FROM outbox "
                                          "WHERE channel = 'email'"), fake.texts(NADIA))
                raise
            mails = await query(pg_url, "SELECT status, attempts FROM outbox WHERE channel = 'email'")
            assert len(mails) == len(PEOPLE) and all(s == "pending" and a >= 3 for s, a in mails), mails

            smtp.start()  # the SMTP server is back; 15 minutes later…
            await query(pg_url, "UPDATE outbox SET due_at = due_at - interval '15 minutes' WHERE status = 'pending'")
            await fake.wait(lambda: len(mailbox.received) >= len(PEOPLE), timeout=60, what="every e-mail sent")
            # What the killed worker, or a worker cut from the database, had taken and not recorded is taken
            # again once stale (10 s here), and sent (once more, at most).
            for _ in range(60):
                if not await query(pg_url, "SELECT id FROM outbox WHERE status IN ('pending', 'sending')"):
                    break
                await asyncio.sleep(1)
            await asyncio.sleep(2)  # a message sent twice would show now
        finally:
            codes = [worker.terminate() for worker in workers]
            with contextlib.suppress(Exception):
                smtp.stop()
    assert codes == [0, 0], [worker.log_tail() for worker in workers]

    replies = [call for user in PEOPLE for call in fake.replies(user)]
    copies = Counter((c.chat_id, c.method, c.text, str(c.params.get("reply_markup"))) for c in replies)
    duplicates = sum(n - 1 for n in copies.values())
    inbox = await query(pg_url, "SELECT update_id, status FROM inbox")
    outbox = dict(await query(pg_url, "SELECT status, count(*) FROM outbox GROUP BY status"))
    subjects = Counter(message["Subject"] for message in mailbox.messages())
    print(f"\nchaos: updates {len(sent)} (webhook posts {fake.webhook_posts}, refused or failed "
          f"{fake.webhook_failures}), replies {len(replies)}, duplicates {duplicates}; Rasa connections "
          f"{hanging_rasa.connections}; e-mails {len(mailbox.received)}; outbox {outbox}")
    assert sorted(update_id for update_id, _ in inbox) == sorted(sent), "every update recorded, once"
    assert {status for _, status in inbox} == {"done"}, "and handled"
    assert max(copies.values()) <= 2, "a reply is sent at most once more"
    assert len(subjects) == len(PEOPLE) and max(subjects.values()) <= 2, subjects
    assert set(outbox) == {"sent"}, outbox
    assert 0 < hanging_rasa.connections < len(sent), "Rasa was tried, then left alone by the circuit breaker"
    handoffs = await query(pg_url, "SELECT count(*) FROM handoffs WHERE status = 'open'")
    assert handoffs == [(len(PEOPLE),)]
