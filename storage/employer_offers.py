"""The Département's employers' offers (flows/data/employer_offers.py checks them): kept in the database, so that
what the Département's team imports on the desk (web/offers.py) or with ``tremplin offers import`` is offered by
every worker at once. They say nothing about a young person."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, String, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UtcDateTime


class EmployerOfferRow(Base):
    """One offer, as validated (``data``: the fields of flows.data.employer_offers.EmployerOffer)."""

    __tablename__ = "employer_offers"
    __table_args__ = ({"info": {"personal": False, "why": "offers of employers, for everyone; no young person"}},)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    expires: Mapped[dt.date] = mapped_column(Date, index=True)
    imported_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class EmployerOffersRepository:
    """Every statement about ``employer_offers``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def current(self, today: dt.date) -> list[dict[str, Any]]:
        """The offers not expired today (an expired offer disappears by itself), by id."""
        return list(await self.session.scalars(
            select(EmployerOfferRow.data).where(EmployerOfferRow.expires >= today).order_by(EmployerOfferRow.id)))

    async def count_expired(self, today: dt.date) -> int:
        return int(await self.session.scalar(
            select(func.count()).select_from(EmployerOfferRow).where(EmployerOfferRow.expires < today)) or 0)

    async def replace_all(self, offers: list[dict[str, Any]], now: dt.datetime) -> None:
        """The Département's list becomes these offers (an import is the whole list, not a batch added)."""
        await self.session.execute(delete(EmployerOfferRow))
        for offer in offers:
            self.session.add(EmployerOfferRow(id=offer["id"], data=offer, expires=dt.date.fromisoformat(
                offer["expires"]), imported_at=now))
        await self.session.flush()

    async def remove(self, offer_id: str) -> bool:
        result = await self.session.execute(delete(EmployerOfferRow).where(EmployerOfferRow.id == offer_id))
        return bool(result.rowcount)
