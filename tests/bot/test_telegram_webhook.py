"""Webhook mode (secret checked on every request, 200 only once recorded, health) and ``tremplin run``."""

from __future__ import annotations

import os
import socket
import subprocess

import httpx
import pytest
from sqlalchemy import func, select

from bot.telegram_webhook import HEALTH_PATH, METRICS_PATH, SECRET_HEADER
from storage.inbox import InboxUpdate
from tests.bot.fake_telegram import ROOT, FakeTelegram, TgUser, running_bot, wait_handled
from tests.kit import ScriptedNlu

SECRET = "test-secret_not-a-real-one"
INES = TgUser(1001, "Inès")


@pytest.fixture
def fake():  # type: ignore[no-untyped-def]
    with FakeTelegram() as server:
        yield server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def inbox_count(bot) -> int:  # type: ignore[no-untyped-def]
    async with bot.channel.db.transaction() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(InboxUpdate)) or 0)


async def test_webhook_checks_the_secret_and_answers_after_recording(fake: FakeTelegram, db_url: str) -> None:
    port = free_port()
    settings = {"mode": "webhook", "webhook_port": port, "webhook_path": "/telegram",
                "webhook_public_url": "https://tremplin.example.fr/telegram"}
    async with running_bot(fake, db_url, nlu=ScriptedNlu(), telegram=settings, webhook_secret=SECRET) as bot:
        assert fake.webhook == {"url": "https://tremplin.example.fr/telegram", "secret_token": SECRET,
                                "allowed_updates": ["message", "edited_message", "callback_query", "my_chat_member",
                                                    "channel_post"]}
        assert not fake.calls_to("getUpdates"), "no polling in webhook mode"
        url = f"http://127.0.0.1:{port}/telegram"
        update = fake.message_update(INES, text="/start")
        async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
            missing = await client.post(url, json=update)
            wrong = await client.post(url, json=update, headers={SECRET_HEADER: "guess"})
            assert (missing.status_code, wrong.status_code) == (403, 403)
            assert await inbox_count(bot) == 0, "nothing recorded without the right secret"

            right = await client.post(url, json=update, headers={SECRET_HEADER: SECRET})
            assert right.status_code == 200
            assert await inbox_count(bot) == 1, "200 means recorded"
            await wait_handled(bot, update["update_id"])
            welcome = fake.reply_count(INES)
            assert welcome == 3 and fake.labels(INES) == ["D'accord", "Non merci", "En savoir plus"]

            again = await client.post(url, json=update, headers={SECRET_HEADER: SECRET})  # Telegram retries
            garbage = await client.post(url, content=b"{not json", headers={SECRET_HEADER: SECRET})
            assert (again.status_code, garbage.status_code) == (200, 400)
            await wait_handled(bot, update["update_id"])
            assert fake.reply_count(INES) == welcome, "a redelivered update has no second answer"

            health = await client.get(f"http://127.0.0.1:{port}{HEALTH_PATH}")
            assert health.status_code == 200 and health.json() == {"status": "ok"}

            metrics = await client.get(f"http://127.0.0.1:{port}{METRICS_PATH}")
            assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
            assert "tremplin_outbox_oldest_due_seconds 0.0" in metrics.text, "everything was sent"


async def test_webhook_mode_needs_a_secret(fake: FakeTelegram, db_url: str) -> None:
    from bot.telegram_app import StartError

    with pytest.raises(StartError, match="WEBHOOK_SECRET"):
        async with running_bot(fake, db_url, nlu=ScriptedNlu(), telegram={"mode": "webhook"}):
            pass


def run_cli(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "WEBHOOK_SECRET")}
    return subprocess.run([str(ROOT / ".venv/bin/tremplin"), "run"], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=60)


def test_run_without_a_token_says_what_to_set() -> None:
    result = run_cli({})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "TELEGRAM_BOT_TOKEN" in lines[0] and "tremplin chat" in lines[0]


def test_run_in_webhook_mode_without_secret_stops_in_one_line(fake: FakeTelegram, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli({**fake.env(), "TREMPLIN_TELEGRAM__MODE": "webhook",
                      "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/t.db"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "WEBHOOK_SECRET" in lines[0]
    assert fake.calls == [], "it stops before talking to Telegram"
