"""Encryption at rest of free text (message log, advisor notes, hand-off texts, queued messages).

Keys are Fernet keys from ``TREMPLIN_DATA_KEY``: one key, or several separated by commas with the
newest first. Every key can read; only the first writes, so a rotation is: put the new key in front,
run ``rotate`` (re-encrypts every row with it), then drop the old key.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class DataKeyError(RuntimeError):
    """No usable key, or a stored value that no configured key can read."""


_cipher: MultiFernet | None = None

# What a value no configured key can read reads as, inside ``tolerant_reads``.
UNREADABLE = "[illisible : chiffré avec une autre clé]"


@dataclass
class Unreadable:
    """How many values ``tolerant_reads`` could not decrypt."""

    count: int = 0


_tolerant: ContextVar[Unreadable | None] = ContextVar("tolerant_reads", default=None)


@contextlib.contextmanager
def tolerant_reads() -> Iterator[Unreadable]:
    """Inside this block, an encrypted column that no configured key can read gives ``UNREADABLE``
    instead of raising, and is counted: for what must work whatever the key (erasure, the right of
    access). Never write such a value back: it would replace the stored one."""
    counter = Unreadable()
    token = _tolerant.set(counter)
    try:
        yield counter
    finally:
        _tolerant.reset(token)


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


def reads(key: str, token: str) -> bool:
    """Whether ``key`` alone decrypts the stored value ``token``."""
    try:
        Fernet(key.strip().encode()).decrypt(token.encode("ascii"))
    except (InvalidToken, ValueError):
        return False
    return True


def _read_column(token: str) -> str | None:
    """A stored value, decrypted; None if unreadable inside ``tolerant_reads`` (counted there)."""
    try:
        return decrypt(token)
    except DataKeyError:
        counter = _tolerant.get()
        if counter is None:
            raise
        counter.count += 1
        return None


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
        if value is None:
            return None
        text = _read_column(value)
        return UNREADABLE if text is None else text


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON document stored encrypted (queued messages, raw updates)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        text = _read_column(value)
        return UNREADABLE if text is None else json.loads(text)
