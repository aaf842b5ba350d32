"""Encryption at rest of free text (message log, advisor notes, hand-off texts, queued messages).

Keys are Fernet keys from ``TREMPLIN_DATA_KEY``: one key, or several separated by commas with the
newest first. Every key can read; only the first writes, so a rotation is: put the new key in front,
run ``rotate`` (re-encrypts every row with it), then drop the old key.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class DataKeyError(RuntimeError):
    """No usable key, or a stored value that no configured key can read."""


_cipher: MultiFernet | None = None


def use_keys(keys: str | list[str]) -> None:
    """Set the keys used from now on (a comma-separated string or a list, newest first)."""
    global _cipher
    items = [k.strip() for k in (keys.split(",") if isinstance(keys, str) else keys) if k.strip()]
    if not items:
        raise DataKeyError("TREMPLIN_DATA_KEY is empty")
    try:
        _cipher = MultiFernet([Fernet(k.encode()) for k in items])
    except ValueError as exc:
        raise DataKeyError("TREMPLIN_DATA_KEY is not a valid Fernet key (32 url-safe base64 bytes)") from exc


def has_keys() -> bool:
    """Whether a key is configured."""
    return _cipher is not None


def new_key() -> str:
    """A fresh random key, for ``TREMPLIN_DATA_KEY``."""
    return Fernet.generate_key().decode()


def _require() -> MultiFernet:
    if _cipher is None:
        raise DataKeyError("no data key configured (TREMPLIN_DATA_KEY)")
    return _cipher


def encrypt(text: str) -> str:
    """Encrypt with the newest key."""
    return _require().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """Decrypt with whichever configured key wrote it."""
    try:
        return _require().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise DataKeyError("a stored value cannot be read with the configured keys") from exc


def rotate(token: str) -> str:
    """Re-encrypt a stored value with the newest key."""
    try:
        return _require().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise DataKeyError("a stored value cannot be read with the configured keys") from exc


class EncryptedText(TypeDecorator[str]):
    """A text column stored encrypted."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else decrypt(value)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON document stored encrypted (queued messages, raw updates)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(decrypt(value))
