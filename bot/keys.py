"""The data key (encryption at rest) and the key that signs buttons, derived from it."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from bot.config import AppConfig
from storage import crypto

log = logging.getLogger(__name__)
LOCAL_KEY_FILE = Path("var/data.key")


def resolve_data_keys(cfg: AppConfig) -> str:
    """``TREMPLIN_DATA_KEY``, or on the embedded SQLite default a local key file made once (mode 600).

    A PostgreSQL deployment must set the variable: its data outlives any one machine's files.
    """
    if cfg.secrets.data_key is not None:
        return cfg.secrets.data_key.get_secret_value()
    if not cfg.database_url.startswith("sqlite"):
        raise crypto.DataKeyError(
            "TREMPLIN_DATA_KEY is not set: generate one with `tremplin data new-key` and set it in the environment."
        )
    path = cfg.root / LOCAL_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(crypto.new_key())
        log.warning("TREMPLIN_DATA_KEY is not set: created a local key in %s (embedded default only)", LOCAL_KEY_FILE)
    return path.read_text().strip()


def install_keys(cfg: AppConfig) -> bytes:
    """Configure encryption at rest and return the button-signing key derived from the data key."""
    keys = resolve_data_keys(cfg)
    crypto.use_keys(keys)
    newest = keys.split(",")[0].strip()
    return hashlib.sha256(b"tremplin-buttons|" + newest.encode()).digest()
