"""Guard rails at start (bot/startup.py): examples refused unless allowed, and every start-up failure is one
line naming the cause and the setting, exit code 2 — each tried on a real ``tremplin run`` process."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.config import load_settings
from bot.examples import find_examples, is_example_text
from storage import crypto
from tests.bot.test_cli import run
from tests.conftest import PG_ADMIN

# Stops before any Bot API call; where one is made, nothing answers there.
TOKEN = {"TELEGRAM_BOT_TOKEN": "123456789:AAFake-token-for-tests-only_xxxxxxxxx",
         "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot"}
ALLOWED = {**TOKEN, "TREMPLIN_ALLOW_EXAMPLES": "1"}
PG_HOST = PG_ADMIN.rsplit("/", 1)[0].split("@", 1)[1]  # 127.0.0.1:5432


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The only line on stderr, after the --allow-examples warning when there is one; exit code 2."""
    lines = [line for line in result.stderr.strip().splitlines() if "WARNING bot.startup" not in line]
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


# --- Examples ------------------------------------------------------------------------------------------


def test_run_refuses_the_example_files_and_settings() -> None:
    line = one_line(run("run", env={**TOKEN, "DATABASE_URL": "sqlite:///:memory:"}))
    assert line.startswith("Examples still in what young people read (")
    assert "privacy.dpo_contact" in line and "--allow-examples" in line and "tremplin check" in line


def test_check_lists_every_example_left_including_the_dpo_contact() -> None:
    result = run("check")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "EXAMPLES still to replace" in out
    assert "privacy.dpo_contact: 'dpo@exemple.fr (exemple, à remplacer)'" in out
    assert "data/missions_locales.yml: 6 marked example: true (ml-boucle-nord," in out
    assert "data/opening_hours.yml: agents[*].name: 12 example values" in out
    for kind in ("jobs", "programmes", "services", "structures", "trainings"):
        assert f"data/catalogue/{kind}.yml: " in out


def test_examples_are_found_by_their_flag_and_by_their_marks(tmp_path: Path) -> None:
    missions = (Path(__file__).resolve().parents[2] / "data/missions_locales.yml").read_text()
    # Someone removed every flag and replaced one phone number only.
    unflagged = missions.replace("example: true", "example: false").replace('"01 00 00 00 02"', '"01 41 37 00 00"')
    (tmp_path / "ml.yml").write_text(unflagged)
    (tmp_path / "config.yml").write_text(
        f"privacy:\n  dpo_contact: dpo@hauts-de-seine.fr\ndata:\n  missions_locales: {tmp_path / 'ml.yml'}\n")
    found = [str(e) for e in find_examples(load_settings(tmp_path / "config.yml"))]
    mine = [line for line in found if line.startswith(str(tmp_path / "ml.yml"))]
    assert not any("dpo_contact" in line for line in found), "a real DPO contact is not an example"
    assert any("structures[*].phone: 5 example values" in line for line in mine), mine
    assert any("structures[*].lieux[*].address" in line for line in mine), mine
    assert not any("marked example: true" in line for line in mine)
    assert is_example_text("10 rue de l'Exemple") and is_example_text("contact@ml.exemple.fr")
    assert not is_example_text("des métiers, par exemple la logistique") and not is_example_text("01 41 37 00 00")


def test_chat_is_a_try_out_where_examples_need_no_flag(tmp_path: Path) -> None:
    result = run("chat", "--user", "ines", env={"DATABASE_URL": f"sqlite:///{tmp_path}/c.db",
                                                 "TREMPLIN_DATA_KEY": crypto.new_key()}, stdin="salut\n")
    assert result.returncode == 0, result.stderr
    assert "Examples" not in result.stderr


# --- The database ------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_a_database_that_does_not_exist() -> None:
    name = f"tremplin_missing_{uuid.uuid4().hex[:8]}"
    line = one_line(run("run", env={**ALLOWED, "DATABASE_URL": f"postgresql://postgres@{PG_HOST}/{name}",
                                    "TREMPLIN_DATA_KEY": crypto.new_key()}))
    assert line.startswith(f'Database missing: database "{name}" does not exist (DATABASE_URL = postgresql://')
    assert "createdb" in line


@pytest.mark.postgres
def test_a_role_that_does_not_exist_and_its_password_never_shown() -> None:
    line = one_line(run("run", env={**ALLOWED, "DATABASE_URL": f"postgresql://nobody:s3cret-pw@{PG_HOST}/test",
                                    "TREMPLIN_DATA_KEY": crypto.new_key()}))
    assert line.startswith('Database refused the credentials: role "nobody" does not exist (DATABASE_URL = ')
    assert "s3cret-pw" not in line and "nobody:***@" in line


def test_a_closed_port() -> None:
    port = free_port()
    line = one_line(run("run", env={**ALLOWED, "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/test",
                                    "TREMPLIN_DATA_KEY": crypto.new_key()}))
    assert line == (f"Database unreachable (connection refused) (DATABASE_URL = postgresql://postgres@127.0.0.1:{port}"
                    "/test): is PostgreSQL running and listening there?")


def test_the_same_one_line_for_an_operator_command() -> None:
    port = free_port()
    line = one_line(run("db", "upgrade", env={"DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/test"}))
    assert line.startswith("Database unreachable (connection refused) (DATABASE_URL = ")


@pytest.mark.postgres
def test_postgresql_without_a_data_key(pg_url: str) -> None:
    line = one_line(run("run", env={**ALLOWED, "DATABASE_URL": pg_url.replace("+asyncpg", "")}))
    assert line.startswith("TREMPLIN_DATA_KEY is not set: generate one with `tremplin data new-key`")


def test_a_wrong_data_key(tmp_path: Path) -> None:
    first = crypto.new_key()
    database = {"DATABASE_URL": f"sqlite:///{tmp_path}/k.db"}
    talked = run("chat", "--user", "ines", env={**database, "TREMPLIN_DATA_KEY": first},
                 stdin="salut\n1\nInès\nje dors chez une amie\n")
    assert talked.returncode == 0, talked.stderr
    line = one_line(run("run", env={**ALLOWED, **database, "TREMPLIN_DATA_KEY": crypto.new_key()}))
    assert line.startswith("Data key refused: the encrypted data needs the key with id")


def _sqlite_at(tmp_path: Path, revision: str) -> dict[str, str]:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/m.db", "TREMPLIN_DATA_KEY": crypto.new_key()}
    assert run("db", "upgrade", revision, env=env).returncode == 0
    return env


def test_migrations_behind_when_they_are_not_applied_at_start(tmp_path: Path) -> None:
    env = _sqlite_at(tmp_path, "0009")
    line = one_line(run("run", env={**ALLOWED, **env, "TREMPLIN_DATABASE__AUTO_MIGRATE": "false"}))
    assert line.startswith("Database schema behind: at 0009, this version needs ")
    assert "database.auto_migrate is off): run `tremplin db upgrade`." in line


def test_a_schema_newer_than_the_code(tmp_path: Path) -> None:
    env = _sqlite_at(tmp_path, "head")
    with contextlib.closing(sqlite3.connect(tmp_path / "m.db")) as connection, connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    line = one_line(run("run", env={**ALLOWED, **env}))
    assert line.startswith("Database schema at revision 9999, newer than this version of Tremplin")


# --- Rasa, the port --------------------------------------------------------------------------------


def test_rasa_unreachable_when_required(tmp_path: Path) -> None:
    port = free_port()
    env = {**ALLOWED, "DATABASE_URL": f"sqlite:///{tmp_path}/r.db", "TREMPLIN_DATA_KEY": crypto.new_key(),
           "RASA_URL": f"http://127.0.0.1:{port}", "TREMPLIN_NLU__REQUIRE_RASA": "true"}
    line = one_line(run("run", env=env))
    assert line.startswith(f"Rasa unreachable (ConnectError) at http://127.0.0.1:{port} (RASA_URL; nlu.require_rasa")


@contextlib.contextmanager
def listening() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def test_the_webhook_port_taken(tmp_path: Path) -> None:
    with listening() as port:
        env = {**ALLOWED, "DATABASE_URL": f"sqlite:///{tmp_path}/p.db", "TREMPLIN_DATA_KEY": crypto.new_key(),
               "TREMPLIN_TELEGRAM__MODE": "webhook", "TREMPLIN_TELEGRAM__WEBHOOK_PORT": str(port),
               "WEBHOOK_SECRET": "a-secret"}
        line = one_line(run("run", env=env))
    assert line.startswith(f"Port {port} on 127.0.0.1: already in use (telegram.webhook_port")


# --- Started with --allow-examples --------------------------------------------------------------


async def test_allowed_examples_are_said_at_start_in_healthz_and_readyz(tmp_path: Path) -> None:
    from tests.bot.fake_telegram import FakeTelegram

    port = free_port()
    left = len(find_examples(load_settings()))
    with FakeTelegram() as fake:
        env = {**fake.env(), "DATABASE_URL": f"sqlite:///{tmp_path}/w.db", "TREMPLIN_DATA_KEY": crypto.new_key(),
               "TREMPLIN_TELEGRAM__MODE": "webhook", "TREMPLIN_TELEGRAM__WEBHOOK_PORT": str(port),
               "WEBHOOK_SECRET": "a-secret"}
        process = subprocess.Popen(
            [str(Path(__file__).resolve().parents[2] / ".venv/bin/tremplin"), "run", "--allow-examples"],
            env=_environment(env), stderr=subprocess.PIPE, text=True)
        try:
            health = await _wait_for(f"http://127.0.0.1:{port}/healthz", process)
            assert health.status_code == 200
            assert health.json()["status"] == "ok" and health.json()["examples"] == left
            assert "--allow-examples" in health.json()["warning"]
            async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
                ready = await client.get(f"http://127.0.0.1:{port}/readyz")
            assert ready.status_code == 503
            assert ready.json() == {"status": "not ready", "problems": [f"{left} examples left (tremplin check)"]}
        finally:
            process.terminate()
            _, stderr = process.communicate(timeout=30)
    assert f"WARNING bot.startup: started with --allow-examples: {left} places still hold examples" in stderr


def _environment(env: dict[str, str]) -> dict[str, str]:
    import os

    return {**{k: v for k, v in os.environ.items() if not k.startswith(("TREMPLIN_", "TELEGRAM_"))}, **env}


async def _wait_for(url: str, process: subprocess.Popen[str], timeout: float = 90) -> httpx.Response:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
        while True:
            assert process.poll() is None, process.communicate()[1]
            with contextlib.suppress(httpx.TransportError):
                return await client.get(url)
            assert time.monotonic() < deadline, "the webhook server did not answer"
            await asyncio.sleep(0.2)


def test_a_missing_metrics_folder(tmp_path: Path) -> None:
    missing = tmp_path / "prometheus"
    line = one_line(run("run", env={**ALLOWED, "PROMETHEUS_MULTIPROC_DIR": str(missing)}))
    assert line.startswith(f"PROMETHEUS_MULTIPROC_DIR={missing} is not a folder this user can write")


def test_db_current_says_where_the_schema_stands(tmp_path: Path) -> None:
    env = _sqlite_at(tmp_path, "0009")
    result = run("db", "current", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Database at 0009; this version's newest: ")
    assert result.stdout.strip().endswith("Run `tremplin db upgrade`.")
