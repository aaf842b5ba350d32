"""Is the database ready for traffic: it answers, it accepts a write, and its schema revision (``/readyz``).

The write is real and harmless: the one row of ``alembic_version`` is updated to its own value and
committed, so a read-only database (a replica, ``default_transaction_read_only``, a read-only SQLite
file) or a server that cannot write its log refuses it, where ``SELECT 1`` would still answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from storage.db import Database

READ_REVISION = text("SELECT version_num FROM alembic_version")
TOUCH_REVISION = text("UPDATE alembic_version SET version_num = version_num")


@dataclass(frozen=True)
class Readiness:
    """What the probe found: ``problem`` is None when the database answered and accepted the write."""

    revision: str | None
    problem: str | None


async def probe(db: Database) -> Readiness:
    """Read the schema's revision and write it back, in one committed transaction."""
    revision: str | None = None
    read = False
    try:
        # Through Database.transaction: on SQLite it waits for this process's other transactions without holding
        # the event loop (the engine's own connection would wait for their lock inline, freezing the process).
        async with db.transaction() as uow:
            revision = await uow.session.scalar(READ_REVISION)
            read = True
            await uow.session.execute(TOUCH_REVISION)
    except Exception as error:  # the error's type only: its text may quote the URL
        stage = "not writable" if read else "unreachable or not migrated"
        return Readiness(revision, f"database {stage} ({type(error).__name__})")
    return Readiness(revision, None)
