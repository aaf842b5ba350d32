"""Who can read the files: the database and its -wal/-shm, the folders made for them, the data key and
an export are this user's only (0600 files, 0700 folders), whatever the umask; the key lives apart from
the data. On a temporary folder, with a permissive umask (022, the usual default) set for the test."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.console import ConsoleSender
from bot.keys import LOCAL_KEY_FILE, OLD_LOCAL_KEY_FILE, install_keys
from flows.engine.events import Document, Reply
from storage import Database, crypto
from storage.migrate import upgrade
from storage.outbox import OutboxMessage
from tests.kit import make_harness
from tests.privacy_kit import inbox_chat

TREMPLIN = str(Path(sys.executable).parent / "tremplin")
ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def sqlite_modes(database: Path) -> dict[str, int]:
    return {p.name: mode(p) for p in (database, Path(f"{database}-wal"), Path(f"{database}-shm")) if p.exists()}


@pytest.mark.usefixtures("permissive_umask")
async def test_the_database_its_wal_and_shm_are_private_after_a_start_and_an_erasure(tmp_path: Path) -> None:
    database = tmp_path / "data" / "sqlite" / "tremplin.db"
    url = f"sqlite+aiosqlite:///{database}"
    await asyncio.to_thread(upgrade, url)
    assert mode(tmp_path / "data") == mode(tmp_path / "data" / "sqlite") == 0o700  # folders made for it
    db = Database(url)
    try:
        harness = make_harness(db)
        chat = inbox_chat(harness, "7301234567", "Maëlys")
        await chat.send("bonjour")
        await chat.press("D'accord")
        await chat.send("Maëlys")
        assert sqlite_modes(database) == {"tremplin.db": 0o600, "tremplin.db-wal": 0o600, "tremplin.db-shm": 0o600}
        await chat.command("supprimer")
        await chat.press("Oui, tout effacer")
        assert set(sqlite_modes(database).values()) == {0o600}
    finally:
        await db.dispose()
    assert set(sqlite_modes(database).values()) == {0o600}


@pytest.mark.usefixtures("permissive_umask")
async def test_a_database_made_readable_by_others_before_is_made_private_at_start(tmp_path: Path) -> None:
    database = tmp_path / "tremplin.db"
    url = f"sqlite+aiosqlite:///{database}"
    await asyncio.to_thread(upgrade, url)
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        path.touch()
        os.chmod(path, 0o644)  # as earlier versions left them
    db = Database(url)
    try:
        async with db.transaction() as uow:
            await uow.people.find_or_create("telegram", "7301234567", "7301234567", dt.datetime.now(dt.UTC))
        assert set(sqlite_modes(database).values()) == {0o600}
    finally:
        await db.dispose()


@pytest.mark.usefixtures("permissive_umask")
async def test_the_local_key_is_made_apart_from_the_data_and_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TREMPLIN_DATA_KEY")  # the embedded default: no key given, one is made
    cfg = load_settings(root=tmp_path)
    await install_keys(cfg, migrate=True)
    assert LOCAL_KEY_FILE.parts[0] != "var" and not (tmp_path / OLD_LOCAL_KEY_FILE).exists()
    key = tmp_path / LOCAL_KEY_FILE
    assert mode(key) == 0o600 and mode(key.parent) == 0o700
    database = tmp_path / "var" / "tremplin.db"
    assert mode(database.parent) == 0o700 and set(sqlite_modes(database).values()) == {0o600}
    assert not list(database.parent.glob("*.key"))  # a copy of var/ carries no key


async def test_a_key_in_the_old_place_is_moved_once_with_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TREMPLIN_DATA_KEY")  # the embedded default: the key is read from its file
    old = tmp_path / OLD_LOCAL_KEY_FILE
    old.parent.mkdir()
    old.write_text(key := crypto.new_key())
    os.chmod(old, 0o600)
    cfg = load_settings(root=tmp_path)
    with caplog.at_level(logging.WARNING, logger="bot.keys"):
        keys = await install_keys(cfg, migrate=True)
        await install_keys(cfg)
    assert keys.keys == [key]
    assert not old.exists() and (tmp_path / LOCAL_KEY_FILE).read_text().strip() == key
    assert [r.getMessage() for r in caplog.records] == [
        f"data key moved from {OLD_LOCAL_KEY_FILE} to {LOCAL_KEY_FILE}, apart from the data (docs/privacy.md)"
    ]


def test_an_export_over_an_existing_readable_file_ends_private(tmp_path: Path) -> None:
    key = crypto.new_key()
    url = f"sqlite+aiosqlite:///{tmp_path}/tremplin.db"
    crypto.use_keys(key)

    async def seed() -> None:
        await asyncio.to_thread(upgrade, url)
        db = Database(url)
        try:
            async with db.transaction() as uow:
                await uow.people.find_or_create("telegram", "7301234567", "7301234567", dt.datetime.now(dt.UTC))
        finally:
            await db.dispose()

    asyncio.run(seed())
    out = tmp_path / "export.json"
    out.write_text("old")
    os.chmod(out, 0o644)
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TREMPLIN_", "TELEGRAM_"))}
    environment.update(DATABASE_URL=f"sqlite:///{tmp_path}/tremplin.db", TREMPLIN_DATA_KEY=key)
    result = subprocess.run([TREMPLIN, "data", "export", "--telegram-id", "7301234567", "--out", str(out)],
                            capture_output=True, text=True, env=environment, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert mode(out) == 0o600 and "7301234567" in out.read_text()


@pytest.mark.usefixtures("permissive_umask")
async def test_the_console_saves_a_data_export_private(tmp_path: Path) -> None:
    sender = ConsoleSender("jeune", io.StringIO(), tmp_path / "var" / "console" / "jeune")
    export = Reply("Voici tes données.", document=Document("mes_donnees.json", b'{"prenom": "Ma\\u00eblys"}',
                                                              "application/json"))
    await sender.send(OutboxMessage(id=1, chat_id="jeune"), export, None)
    saved = tmp_path / "var" / "console" / "jeune" / "mes_donnees.json"
    assert mode(saved) == 0o600 and mode(saved.parent) == mode(tmp_path / "var") == 0o700
