"""The data key (encryption at rest) and the key that signs buttons, derived from it.

The database records the id of its data key (``storage.keyring``). A start compares the configured
keys with it before writing anything: a key is created only for a database without encrypted data;
with a changed or missing key the start is refused (``KeyRefused``, one line naming the expected key
id, exit code 2) rather than every person with encrypted data getting an error on every message.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from bot.config import AppConfig
from storage import crypto
from storage.keyring import StoredKeys, key_id, read_stored_keys, record_key_id
from storage.sqlite_inline import private_folder

log = logging.getLogger(__name__)
# Apart from the data (var/): a copy of var/ (a backup, a support request) does not carry the key.
LOCAL_KEY_FILE = Path("keys/data.key")
OLD_LOCAL_KEY_FILE = Path("var/data.key")  # before 2026-12: moved to LOCAL_KEY_FILE at the first start


class KeyRefused(crypto.DataKeyError):
    """The configured data key is not the one the database's encrypted values need (one line to show)."""


def _local_key_path(cfg: AppConfig) -> Path:
    path, old = cfg.root / LOCAL_KEY_FILE, cfg.root / OLD_LOCAL_KEY_FILE
    if not path.exists() and old.exists():  # an install from before: its key leaves var/, once
        try:
            private_folder(path.parent)
            os.replace(old, path)
            os.chmod(path, 0o600)
        except OSError:  # another file system, a read-only root...: read where it is, until moved by hand
            log.warning("data key read from %s: move it to %s, apart from the data", OLD_LOCAL_KEY_FILE, LOCAL_KEY_FILE)
            return old
        log.warning("data key moved from %s to %s, apart from the data (docs/privacy.md)", OLD_LOCAL_KEY_FILE,
                    LOCAL_KEY_FILE)
    return path


def _from_environment(cfg: AppConfig) -> str | None:
    """TREMPLIN_DATA_KEY when it holds something (set but empty counts as unset)."""
    raw = cfg.secrets.data_key.get_secret_value().strip() if cfg.secrets.data_key is not None else ""
    return raw or None


def _source(cfg: AppConfig) -> str:
    return "TREMPLIN_DATA_KEY" if _from_environment(cfg) is not None else str(LOCAL_KEY_FILE)


def configured_keys(cfg: AppConfig) -> list[str]:
    """``TREMPLIN_DATA_KEY``, or on the embedded SQLite default the local key file; newest first. Empty
    when neither is there on SQLite (never creates anything). PostgreSQL must set the variable: its data
    outlives any one machine's files."""
    if (from_environment := _from_environment(cfg)) is not None:
        raw = from_environment
    elif not cfg.database_url.startswith("sqlite"):
        raise crypto.DataKeyError(
            "TREMPLIN_DATA_KEY is not set: generate one with `tremplin data new-key` and set it in the environment."
        )
    else:
        path = _local_key_path(cfg)
        raw = path.read_text() if path.exists() else ""
    return [k.strip() for k in raw.split(",") if k.strip()]


def button_key(keys: list[str]) -> bytes:
    """The key that signs buttons, derived from the newest data key."""
    return hashlib.sha256(b"tremplin-buttons|" + keys[0].encode()).digest()


def _create_local_key(cfg: AppConfig) -> str:
    path = _local_key_path(cfg)
    private_folder(path.parent)  # 0700
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made meanwhile by another process starting on the same empty database
        return path.read_text().split(",")[0].strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key := crypto.new_key())
    log.warning("TREMPLIN_DATA_KEY is not set and the database holds no encrypted data: created a local key in %s "
                "(embedded default only)", LOCAL_KEY_FILE)
    return key


@dataclass(frozen=True)
class DataKeys:
    """The keys in use, and the key id to record once the schema is up to date (None: already right)."""

    keys: list[str]
    to_record: str | None

    @property
    def button_key(self) -> bytes:
        return button_key(self.keys)


def choose_keys(cfg: AppConfig, configured: list[str], stored: StoredKeys) -> tuple[list[str], str | None]:
    """The keys to use and the id to record, or KeyRefused. Creates the local key only for a database
    without encrypted data."""
    ids = [key_id(k) for k in configured]
    if not stored.has_encrypted_data:
        keys = configured or [_create_local_key(cfg)]
        return keys, None if stored.key_id in ids else key_id(keys[0])
    if stored.key_id is not None:
        if stored.key_id in ids:
            return configured, None
        held = (f"{_source(cfg)} holds key id {', '.join(ids)}" if ids
                else f"no key is set (TREMPLIN_DATA_KEY unset, {LOCAL_KEY_FILE} missing)")
        raise KeyRefused(
            f"Data key refused: the encrypted data needs the key with id {stored.key_id}, and {held}. "
            f"Set that key (`tremplin data key-id` prints a key's id); a new key is only made for an empty database."
        )
    # Encrypted data from before key ids were recorded: the key that reads it is the right one.
    alone = [k for k in configured if all(crypto.reads(k, token) for token in stored.samples)]
    if alone:
        return configured, key_id(alone[0])
    if configured and all(any(crypto.reads(k, token) for k in configured) for token in stored.samples):
        return configured, key_id(next(k for k in configured if crypto.reads(k, stored.samples[0])))
    held = f"{_source(cfg)} (key id {', '.join(ids)}) cannot read it" if ids else "no key is set"
    raise KeyRefused(f"Data key refused: the database holds encrypted data and {held}. "
                     "Set the key it was written with; a new key is only made for an empty database.")


async def install_keys(cfg: AppConfig, *, migrate: bool = False) -> DataKeys:
    """Check the configured data key against the database (refused with KeyRefused before anything is
    written), configure encryption at rest, bring the schema up to date if asked, and record the key's
    id in the database."""
    from storage.db import Database
    from storage.migrate import upgrade

    configured = configured_keys(cfg)
    keys, to_record = choose_keys(cfg, configured, await read_stored_keys(cfg.database_url))
    crypto.use_keys(keys)
    if migrate:
        await asyncio.to_thread(upgrade, cfg.database_url)
    if to_record is not None:
        db = Database(cfg.database_url)
        try:
            if not await record_key_id(db, to_record):
                log.warning("the database schema is not up to date: the data key's id is recorded after `tremplin db "
                            "upgrade`")
        finally:
            await db.dispose()
    return DataKeys(keys, to_record)
