"""Live offers searches (France Travail, La bonne alternance), cached by their criteria and source.

One row per set of criteria and source (``OfferQuery.key(source)``: commune, ROME codes, radius,
alternance, source), whoever asked: the same search is made on a source at most once per ``fresh`` period
(a day by default). A row past its freshness is still read when its source fails (an API down answers from
its own cache while the other's fresh offers are shown), and deleted once it is too old.
No person in it: the criteria are a commune and trades, the offers are public.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, Text, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UtcDateTime


class OfferSearchRow(Base):
    """The offers one search found, as JSON, and until when they are fresh."""

    __tablename__ = "offer_searches"
    __table_args__ = ({"info": {"personal": False,
                                "why": "criteria (a commune, trades) and public offers, shared by everyone"}},)

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    offers: Mapped[str] = mapped_column(Text)  # a JSON list of flows.data.live_offers.LiveOffer
    fetched_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    fresh_until: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)


@dataclass(frozen=True)
class CachedSearch:
    offers: list[dict[str, Any]]
    fetched_at: dt.datetime
    fresh: bool


_FIND = select(OfferSearchRow.offers, OfferSearchRow.fetched_at, OfferSearchRow.fresh_until).where(
    OfferSearchRow.key == bindparam("key"))
_DELETE = delete(OfferSearchRow).where(OfferSearchRow.key == bindparam("key"))
_PURGE = delete(OfferSearchRow).where(OfferSearchRow.fetched_at < bindparam("before"))


class OfferSearchesRepository:
    """Every statement about ``offer_searches``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def find(self, key: str, now: dt.datetime) -> CachedSearch | None:
        """The cached search with this key, fresh or not; None when there is none (or it is unreadable)."""
        row = (await self.session.execute(_FIND, {"key": key})).first()
        if row is None:
            return None
        try:
            offers = json.loads(row.offers)
        except ValueError:  # written by us, but a half-written row must not break the ideas
            return None
        return CachedSearch(offers=offers if isinstance(offers, list) else [], fetched_at=row.fetched_at,
                            fresh=row.fresh_until > now)

    async def store(self, key: str, offers: list[dict[str, Any]], now: dt.datetime, fresh_for: dt.timedelta) -> None:
        """Replace the search with this key (delete then insert: the same on SQLite and PostgreSQL)."""
        await self.session.execute(_DELETE, {"key": key})
        self.session.add(OfferSearchRow(key=key, offers=json.dumps(offers, ensure_ascii=False), fetched_at=now,
                                        fresh_until=now + fresh_for))
        await self.session.flush()

    async def purge(self, before: dt.datetime) -> int:
        """Forget searches fetched before this time (too old even to answer from when a source is down)."""
        result = await self.session.execute(_PURGE, {"before": before})
        return result.rowcount or 0
