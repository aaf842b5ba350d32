"""The data key against the database: a key is made only for a database without encrypted data; with
another key, or none, the start is refused with one line naming the expected key id, and nothing is
written. ``tremplin data rotate-key`` records the new key's id."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.config import AppConfig, load_settings
from bot.keys import LOCAL_KEY_FILE, KeyRefused, install_keys
from storage import Database, crypto
from storage.keyring import key_id, recorded_key_id
from tests.bot.test_cli import run

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
CONSENTED = ["salut", "1", "Inès", "je dors chez une amie"]  # consent given: the last message is logged, encrypted


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` and a hash of its bytes (what a refused start must leave as it was)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def stored_id(database: Path) -> str | None:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        row = connection.execute("SELECT key_id FROM key_ids WHERE name = 'data_key'").fetchone()
    return row[0] if row else None


def chat(tmp_path: Path, key: str, lines: list[str]):  # type: ignore[no-untyped-def]
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/data/chat.db", "TREMPLIN_DATA_KEY": key}
    return run("chat", "--user", "ines", env=env, stdin="\n".join(lines) + "\n")


def test_another_key_on_encrypted_data_is_refused_naming_the_expected_key(tmp_path: Path) -> None:
    first, other = crypto.new_key(), crypto.new_key()
    started = chat(tmp_path, first, CONSENTED)
    assert started.returncode == 0, started.stderr
    assert stored_id(tmp_path / "data/chat.db") == key_id(first)
    before = snapshot(tmp_path / "data")

    refused = chat(tmp_path, other, ["salut"])

    assert refused.returncode == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1, refused.stderr
    assert f"needs the key with id {key_id(first)}" in lines[0] and key_id(other) in lines[0]
    assert first not in refused.stderr and other not in refused.stderr  # ids only, never a key
    assert refused.stdout == ""  # no conversation
    assert snapshot(tmp_path / "data") == before  # nothing written
    again = chat(tmp_path, first, ["salut"])  # the right key still works
    assert again.returncode == 0, again.stderr


def test_rotate_key_records_the_new_key_id(tmp_path: Path) -> None:
    old, new = crypto.new_key(), crypto.new_key()
    assert chat(tmp_path, old, CONSENTED).returncode == 0
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/data/chat.db", "TREMPLIN_DATA_KEY": f"{new},{old}"}
    rotated = run("data", "rotate-key", env=env)
    assert rotated.returncode == 0, rotated.stderr
    assert f"The database now expects the key with id {key_id(new)}." in rotated.stdout
    assert stored_id(tmp_path / "data/chat.db") == key_id(new)
    assert chat(tmp_path, new, ["salut"]).returncode == 0  # the old key can go
    refused = chat(tmp_path, old, ["salut"])
    assert refused.returncode == 2 and f"needs the key with id {key_id(new)}" in refused.stderr


# --- The local key file of the embedded default ---------------------------------------------------


@pytest.fixture
def local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_key: str) -> Iterator[AppConfig]:
    """The embedded default rooted in ``tmp_path``: SQLite, no TREMPLIN_DATA_KEY, the key in var/data.key."""
    for name in ("TREMPLIN_DATA_KEY", "TREMPLIN_CONFIG", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/db/tremplin.db")
    yield load_settings(root=tmp_path)
    crypto.use_keys(data_key)  # install_keys changed the keys of this process


async def write_encrypted(cfg: AppConfig) -> None:
    db = Database(cfg.database_url)
    try:
        async with db.transaction() as uow:
            person = await uow.people.find_or_create("telegram", "7301234567", "7301234567", NOW)
            await uow.messages.add(person.id, "in", "je dors chez une amie", None, NOW)
    finally:
        await db.dispose()


async def test_an_empty_database_gets_a_new_key_and_records_its_id(local: AppConfig) -> None:
    keys = await install_keys(local, migrate=True)
    key_file = local.root / LOCAL_KEY_FILE
    assert key_file.exists() and key_file.stat().st_mode & 0o777 == 0o600
    assert keys.keys == [key_file.read_text().strip()]
    db = Database(local.database_url)
    try:
        assert await recorded_key_id(db) == key_id(keys.keys[0])
    finally:
        await db.dispose()
    again = await install_keys(local, migrate=True)  # the next start uses it
    assert again.keys == keys.keys and again.to_record is None


async def test_a_missing_key_file_with_encrypted_data_is_refused_and_no_key_is_made(local: AppConfig) -> None:
    first = (await install_keys(local, migrate=True)).keys[0]
    await write_encrypted(local)
    key_file = local.root / LOCAL_KEY_FILE
    key_file.unlink()
    before = snapshot(local.root / "db")

    with pytest.raises(KeyRefused) as refused:
        await install_keys(local, migrate=True)

    message = str(refused.value)
    assert "\n" not in message and f"needs the key with id {key_id(first)}" in message
    assert "no key is set" in message and first not in message
    assert not key_file.exists()  # no fresh key over data that needs the old one
    assert snapshot(local.root / "db") == before


async def test_a_database_from_before_key_ids_is_checked_by_reading(local: AppConfig) -> None:
    """Encrypted data but no id recorded yet (written before this check existed): the key that reads it
    is accepted and its id recorded; a key that cannot read it is refused."""
    first = (await install_keys(local, migrate=True)).keys[0]
    await write_encrypted(local)
    with contextlib.closing(sqlite3.connect(local.database_url.split(":///", 1)[1])) as connection, connection:
        connection.execute("DELETE FROM key_ids")
    (local.root / LOCAL_KEY_FILE).write_text(crypto.new_key())
    with pytest.raises(KeyRefused, match="cannot read it"):
        await install_keys(local)
    (local.root / LOCAL_KEY_FILE).write_text(first)
    assert (await install_keys(local)).to_record == key_id(first)


# --- Both backends (PostgreSQL in production: the variable, no key file) ---------------------------


@pytest.fixture
def with_key(monkeypatch: pytest.MonkeyPatch, database_url: str, data_key: str) -> Iterator[Callable[[str], AppConfig]]:
    """A configuration on an empty database with the given TREMPLIN_DATA_KEY."""
    monkeypatch.delenv("TREMPLIN_CONFIG", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)

    def configure(key: str) -> AppConfig:
        monkeypatch.setenv("TREMPLIN_DATA_KEY", key)
        return load_settings()

    yield configure
    crypto.use_keys(data_key)


async def test_another_key_is_refused_on_both_backends(with_key: Callable[[str], AppConfig]) -> None:
    first, other = crypto.new_key(), crypto.new_key()
    cfg = with_key(first)
    assert (await install_keys(cfg, migrate=True)).to_record == key_id(first)
    await write_encrypted(cfg)
    with pytest.raises(KeyRefused, match=f"needs the key with id {key_id(first)}, and TREMPLIN_DATA_KEY holds key id "
                                         f"{key_id(other)}"):
        await install_keys(with_key(other), migrate=True)
    assert (await install_keys(with_key(f"{other},{first}"), migrate=True)).to_record is None  # a rotation's step 2


async def test_an_empty_data_key_variable_counts_as_unset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_key: str,
) -> None:
    """Before: `TREMPLIN_DATA_KEY=` (set, empty) on a database without encrypted data tried to make a new key
    file over the existing one and crashed with FileExistsError at every start after the first."""
    monkeypatch.delenv("TREMPLIN_CONFIG", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/db/tremplin.db")
    monkeypatch.setenv("TREMPLIN_DATA_KEY", "")
    try:
        first = await install_keys(load_settings(root=tmp_path), migrate=True)
        again = await install_keys(load_settings(root=tmp_path), migrate=True)
        assert again.keys == first.keys == [(tmp_path / LOCAL_KEY_FILE).read_text().strip()]
    finally:
        crypto.use_keys(data_key)
