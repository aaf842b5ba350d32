"""Anonymous statistics: daily counters, the only trace that outlives an erasure.

A counter is a name and a day, nothing else: no person id, no commune, no age. Finer cells
("erasures in Sceaux of 17-year-olds on 3 December") could single someone out again, so they are
deliberately not kept. Names in use: ``conversations_started``, ``consents_given``, ``consents_refused``,
``outside_public`` (under 16 or over 25, nothing kept), ``onboardings_completed``, ``exports``,
``erasures_requested``, ``erasures_retention``, ``erasures_operator``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import Date, Integer, String, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class DailyCounter(Base):
    """How many times something happened on one day (Europe/Paris date)."""

    __tablename__ = "daily_stats"
    __table_args__ = ({"info": {"personal": False, "why": "anonymous daily counters: a name, a day, a count"}},)

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(48), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


def _bump(insert):  # type: ignore[no-untyped-def]  # sqlite_insert or pg_insert: the same upsert
    table = DailyCounter.__table__
    statement = insert(table).values(day=bindparam("day"), name=bindparam("name"), count=bindparam("by"))
    return statement.on_conflict_do_update(index_elements=["day", "name"],
                                           set_={"count": table.c.count + statement.excluded.count})


_PENDING = "stats_pending"  # the session's counts not written yet (session.info: one transaction's)
# Built once (counted during onboarding: building the upsert cost more than running it, bench/README.md).
_BUMP = {"sqlite": _bump(sqlite_insert), "postgresql": _bump(pg_insert)}


class StatsRepository:
    """Every statement about ``daily_stats``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def bump(self, name: str, day: dt.date, by: int = 1) -> None:
        """Add ``by`` to the day's counter, written when the transaction commits (``write_pending``).

        Every conversation counts in the same few rows, and on PostgreSQL the upsert holds its row until the
        commit: written in the middle of a transaction, the row stayed locked for the rest of it, and the
        conversations of that moment queued behind one another (the throughput fell by half, bench/README.md).
        Written last, it is held for the commit's round trip only.
        """
        pending: Counter[tuple[dt.date, str]] = self.session.info.setdefault(_PENDING, Counter())
        pending[(day, name)] += by

    async def write_pending(self) -> None:
        """Write the counts of this transaction (an upsert: two processes may count at once), in one order for
        every transaction, so that two of them counting the same names never wait for each other in a circle."""
        pending: Counter[tuple[dt.date, str]] | None = self.session.info.pop(_PENDING, None)
        if not pending:
            return
        rows = [{"day": day, "name": name, "by": by} for (day, name), by in sorted(pending.items()) if by]
        if rows:
            await self.session.execute(_BUMP[self.session.bind.dialect.name], rows[0] if len(rows) == 1 else rows)

    async def totals(self, since: dt.date | None = None, until: dt.date | None = None) -> dict[str, int]:
        """Each counter summed over the days from ``since`` to ``until`` (both included)."""
        await self.write_pending()  # this transaction's own counts too
        query = select(DailyCounter.name, func.sum(DailyCounter.count)).group_by(DailyCounter.name)
        if since is not None:
            query = query.where(DailyCounter.day >= since)
        if until is not None:
            query = query.where(DailyCounter.day <= until)
        return {name: int(total) for name, total in (await self.session.execute(query)).all()}
