"""Re-encrypting everything stored encrypted with the newest data key (``tremplin data rotate-key``).

The encrypted columns are found generically (every ``EncryptedText`` / ``EncryptedJSON`` column of
every table of the models), so a capability that adds one (advisor notes, hand-off texts) is rotated
without changing this file. Rows are rewritten in batches, each in its own transaction: a rotation
stopped half-way is simply run again (re-encrypting a value already under the newest key is harmless).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import MetaData, Text, bindparam, select, tuple_, type_coerce, update

from storage import crypto
from storage.db import Database
from storage.erasure import encrypted_columns
from storage.models import metadata as MODELS


@dataclass
class RotationReport:
    """How many values were re-encrypted, per ``table.column``."""

    rotated: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Every value re-encrypted."""
        return sum(self.rotated.values())


async def rotate_all(db: Database, *, batch_size: int = 500, metadata: MetaData = MODELS) -> RotationReport:
    """Re-encrypt every encrypted value with the newest configured key (``crypto.use_keys``)."""
    report = RotationReport()
    for table, column in encrypted_columns(metadata):
        keys = list(table.primary_key.columns)
        if not keys:
            raise RuntimeError(f"table {table.name} has no primary key: its encrypted column cannot be rotated")
        raw = type_coerce(column, Text)  # the stored token, not decrypted by the column type
        statement = (
            update(table)
            .where(*(key == bindparam(f"_key_{i}") for i, key in enumerate(keys)))
            .values({column.name: bindparam("_token", type_=Text)})
        )
        done = 0
        last: tuple[Any, ...] | None = None
        while True:
            query = select(*keys, raw).where(column.isnot(None)).order_by(*keys).limit(batch_size)
            if last is not None:
                query = query.where(tuple_(*keys) > tuple_(*last))
            async with db.transaction() as uow:
                rows = (await uow.session.execute(query)).all()
                if rows:
                    params = [
                        {**{f"_key_{i}": row[i] for i in range(len(keys))}, "_token": crypto.rotate(row[-1])}
                        for row in rows
                    ]
                    await uow.session.execute(statement, params)
            if not rows:
                break
            done += len(rows)
            last = tuple(rows[-1][: len(keys)])
        report.rotated[f"{table.name}.{column.name}"] = done
    return report


async def unreadable_with(db: Database, key: str, *, metadata: MetaData = MODELS) -> dict[str, int]:
    """How many stored values ``key`` alone cannot read, per ``table.column`` (0 everywhere: the
    older keys can be dropped)."""
    cipher = Fernet(key.encode())
    found: dict[str, int] = {}
    async with db.transaction() as uow:
        for table, column in encrypted_columns(metadata):
            count = 0
            tokens = await uow.session.scalars(select(type_coerce(column, Text)).where(column.isnot(None)))
            for token in tokens:
                try:
                    cipher.decrypt(token.encode("ascii"))
                except InvalidToken:
                    count += 1
            found[f"{table.name}.{column.name}"] = count
    return found
