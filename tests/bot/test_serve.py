"""``tremplin serve`` (bot/serve.py): the whole stack on one machine — two webhook workers sharing one port, the
desk — started on PostgreSQL against the fake Bot API, a worker killed and started again, everything stopped by
SIGTERM with no process left; and the stacks it refuses, in one line."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.bot.fake_telegram import FakeTelegram, TgUser
from tests.bot.test_cli import TREMPLIN, run
from tests.bot.test_startup import ALLOWED, free_port, one_line

SECRET = "serve-test-secret"


def _environment(env: dict[str, str]) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith(("TREMPLIN_", "TELEGRAM_", "PROMETHEUS_"))},
            **env}


async def _answers(url: str, serve: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> httpx.Response:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
        while True:
            assert serve.poll() is None, f"serve exited with {serve.returncode}:\n{log.read_text()}"
            with contextlib.suppress(httpx.TransportError):
                return await client.get(url)
            assert time.monotonic() < deadline, f"{url} did not answer:\n{log.read_text()}"
            await asyncio.sleep(0.2)


def _children(serve: subprocess.Popen[bytes]) -> tuple[list[psutil.Process], list[psutil.Process]]:
    """The supervisor's workers (``run``) and desk (``web``) running now."""
    found = [c for c in psutil.Process(serve.pid).children() if c.status() != psutil.STATUS_ZOMBIE]
    return ([c for c in found if "run" in c.cmdline()[1:]], [c for c in found if "web" in c.cmdline()[1:]])


@pytest.mark.slow
@pytest.mark.postgres
async def test_serve_runs_two_workers_and_the_desk_restarts_a_killed_worker_and_stops_everything(
    pg_url: str, tmp_path: Path, data_key: str
) -> None:
    port, web_port = free_port(), free_port()
    log = tmp_path / "serve.log"
    seen: set[int] = set()
    with FakeTelegram() as fake:
        env = _environment({**fake.env(), "DATABASE_URL": pg_url, "TREMPLIN_DATA_KEY": data_key,
                            "TREMPLIN_TELEGRAM__MODE": "webhook", "WEBHOOK_SECRET": SECRET,
                            "TREMPLIN_TELEGRAM__PER_CHAT_INTERVAL_SECONDS": "0"})
        with log.open("ab") as out:  # an empty database: serve migrates it once, before its children start
            serve = subprocess.Popen([TREMPLIN, "serve", "--workers", "2", "--port", str(port), "--web-port",
                                      str(web_port)], env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            assert (await _answers(f"http://127.0.0.1:{port}/healthz", serve, log)).status_code == 200
            desk = await _answers(f"http://127.0.0.1:{web_port}/connexion", serve, log)
            assert desk.status_code == 200 and "Recevoir un lien" in desk.text
            workers, desks = _children(serve)
            assert len(workers) == 2 and len(desks) == 1, log.read_text()
            seen |= {p.pid for p in workers + desks}

            fake.post_updates_to([f"http://127.0.0.1:{port}/telegram"], SECRET)
            ines = TgUser(8101, "Inès")
            fake.command(ines, "start")
            await fake.wait(lambda: fake.reply_count(ines) >= 1, timeout=60, what="a reply to /start")

            victim = workers[0]
            victim.send_signal(signal.SIGKILL)
            deadline = time.monotonic() + 60
            while not ((now := _children(serve)[0]) and len(now) == 2 and victim.pid not in {p.pid for p in now}):
                assert time.monotonic() < deadline, log.read_text()
                await asyncio.sleep(0.2)
            seen |= {p.pid for p in now}
            await _answers(f"http://127.0.0.1:{port}/healthz", serve, log)
            assert f"worker 1 (pid {victim.pid}) died (killed by SIGKILL)" in log.read_text()

            # The stack still answers everyone, whichever worker takes each update.
            people = [TgUser(8102 + n, name) for n, name in enumerate(["Karim", "Awa", "Lucas", "Yanis"])]
            for person in people:
                fake.command(person, "start")
            for person in people:
                await fake.wait(lambda p=person: fake.reply_count(p) >= 1, timeout=60, what=f"{person.first_name}")
            async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
                metrics = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
            # Both workers' counts, the killed one's included (prometheus-client's multiprocess mode).
            assert 'tremplin_updates_received_total{result="new"} 5.0' in metrics, metrics
        finally:
            serve.send_signal(signal.SIGTERM)
            code = serve.wait(60)
    assert code == 0, log.read_text()
    assert "SIGTERM: stopping 3 processes" in log.read_text()
    # Each child names itself on its lines: who said what is read in the one log of the stack.
    assert all(f" [{name}] " in log.read_text() for name in ("worker 1", "worker 2", "desk")), log.read_text()
    left = [pid for pid in seen if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
    assert left == [], log.read_text()


@pytest.mark.slow
async def test_no_child_outlives_a_supervisor_killed_with_sigkill(tmp_path: Path, data_key: str) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    with FakeTelegram() as fake:
        env = _environment({**fake.env(), "DATABASE_URL": f"sqlite:///{tmp_path}/s.db", "TREMPLIN_DATA_KEY": data_key,
                            "TREMPLIN_TELEGRAM__MODE": "webhook", "WEBHOOK_SECRET": SECRET})
        with log.open("ab") as out:
            serve = subprocess.Popen([TREMPLIN, "serve", "--port", str(port), "--no-web"], env=env, stdout=out,
                                     stderr=subprocess.STDOUT)
        workers: list[psutil.Process] = []
        try:
            deadline = time.monotonic() + 120
            while "Tremplin on Telegram as" not in log.read_text():  # the worker runs
                assert serve.poll() is None and time.monotonic() < deadline, log.read_text()
                await asyncio.sleep(0.2)
            workers, _ = _children(serve)
            assert len(workers) == 1, log.read_text()
            serve.kill()  # no clean-up of any kind: the kernel tells the worker (PR_SET_PDEATHSIG)
            serve.wait()
            gone, alive = await asyncio.to_thread(psutil.wait_procs, workers, 60)
        finally:
            serve.kill()
            serve.wait()
            for worker in workers:
                with contextlib.suppress(psutil.NoSuchProcess):
                    worker.kill()
    assert [p.pid for p in gone] == [workers[0].pid] and alive == [], log.read_text()


def test_several_workers_are_refused_on_sqlite_in_one_line(tmp_path: Path) -> None:
    env = {**ALLOWED, "DATABASE_URL": f"sqlite:///{tmp_path}/s.db", "TREMPLIN_TELEGRAM__MODE": "webhook",
           "WEBHOOK_SECRET": SECRET}
    line = one_line(run("serve", "--workers", "2", env=env))
    assert line.startswith("--workers 2 needs PostgreSQL (DATABASE_URL=postgresql://…)")


def test_several_workers_are_refused_in_polling_mode_in_one_line(pg_url: str) -> None:
    line = one_line(run("serve", "--workers", "3", env={**ALLOWED, "DATABASE_URL": pg_url}))
    assert line.startswith("--workers 3 needs webhook mode (telegram.mode: webhook")
