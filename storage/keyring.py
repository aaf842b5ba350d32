"""Which data key the database's encrypted values need: its id (never the key), kept in the database.

A start compares the configured keys with this id before anything is written (``bot/keys.py``): a
changed or lost key is refused at once, with the id of the key that is expected, instead of every
person with encrypted data getting an error on every message. The id is the first 8 hex characters of
the SHA-256 of the key: enough to tell keys apart, useless to find the key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, Text, inspect, select, type_coerce
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UtcDateTime, utcnow

if TYPE_CHECKING:
    from storage.db import Database

DATA_KEY = "data_key"


class KeyRecord(Base):
    """The id of the data key the encrypted values are written with (one row, ``name = 'data_key'``)."""

    __tablename__ = "key_ids"
    __table_args__ = ({"info": {"personal": False, "why": "the id of the data key (a hash prefix, never the key)"}},)

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


def key_id(key: str) -> str:
    """A key's id: the first 8 hex characters of its SHA-256 (tells keys apart, reveals nothing)."""
    return hashlib.sha256(key.strip().encode("utf-8")).hexdigest()[:8]


@dataclass(frozen=True)
class StoredKeys:
    """What the database says about its key: the recorded id, and one stored token per encrypted column
    that holds any (none: no encrypted data yet)."""

    key_id: str | None = None
    samples: list[str] = field(default_factory=list)

    @property
    def has_encrypted_data(self) -> bool:
        return bool(self.samples)


def _read(connection: Connection) -> StoredKeys:
    from storage.erasure import encrypted_columns  # storage.models imports this module

    inspector = inspect(connection)
    tables = set(inspector.get_table_names())
    recorded = None
    if KeyRecord.__tablename__ in tables:
        recorded = connection.scalar(select(KeyRecord.key_id).where(KeyRecord.name == DATA_KEY))
    samples: list[str] = []
    for table, column in encrypted_columns():
        if table.name not in tables or column.name not in {c["name"] for c in inspector.get_columns(table.name)}:
            continue  # an older schema: the migration adds it, empty
        token = connection.scalar(select(type_coerce(column, Text)).where(column.isnot(None)).limit(1))
        if token is not None:
            samples.append(token)
    return StoredKeys(recorded, samples)


async def read_stored_keys(database_url: str) -> StoredKeys:
    """The recorded key id and a sample of encrypted values, read from the database as it is (any
    schema version, before the migrations). Writes nothing; a SQLite file that does not exist is empty."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        name = url.database or ":memory:"
        if ":memory:" in name or not Path(name).exists():
            return StoredKeys()
    from storage.db import Database  # storage.models imports this module, and storage.db imports the models

    db = Database(database_url)
    try:
        async with db.engine.connect() as connection:
            return await connection.run_sync(_read)
    finally:
        await db.dispose()


async def record_key_id(db: Database, identifier: str, now: dt.datetime | None = None) -> bool:
    """Remember ``identifier`` as the id of the key the encrypted values are written with; False if the
    schema has no place for it yet (not migrated: the next start after the migration records it)."""
    for attempt in range(2):  # two processes starting at once on a new database: the second updates
        try:
            async with db.transaction() as uow:
                row: Any = await uow.session.get(KeyRecord, DATA_KEY)
                if row is None:
                    uow.session.add(KeyRecord(name=DATA_KEY, key_id=identifier, recorded_at=now or utcnow()))
                elif row.key_id != identifier:
                    row.key_id, row.recorded_at = identifier, now or utcnow()
        except IntegrityError:
            if attempt:
                raise
        except DBAPIError:
            return False
        else:
            return True
    return False


async def recorded_key_id(db: Database) -> str | None:
    """The id recorded for the data key (None before the first start)."""
    async with db.transaction() as uow:
        return await uow.session.scalar(select(KeyRecord.key_id).where(KeyRecord.name == DATA_KEY))
