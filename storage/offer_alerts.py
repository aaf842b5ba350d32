""""Préviens-moi": a person's alert for new live offers (one per person), checked once a day.

The criteria (their commune, their trades) and the offers already seen are personal: encrypted, erased
with the person, exported with /mes_donnees.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UtcDateTime
from storage.crypto import EncryptedJSON


class OfferAlert(Base):
    """New offers for these criteria are sent to the person as a nudge."""

    __tablename__ = "offer_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), unique=True)
    criteria: Mapped[Any] = mapped_column(EncryptedJSON)  # flows.data.live_offers.OfferQuery's fields
    sector: Mapped[str] = mapped_column(String(32))
    seen: Mapped[Any] = mapped_column(EncryptedJSON)  # "source:id" of the offers already shown or sent
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    checked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)


class OfferAlertsRepository:
    """Every statement about ``offer_alerts``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def subscribe(self, person_id: int, criteria: dict[str, Any], sector: str, seen: list[str],
                        now: dt.datetime) -> bool:
        """The person's alert, replacing an older one; False when the same criteria were already followed."""
        old = await self.session.scalar(select(OfferAlert).where(OfferAlert.person_id == person_id))
        if old is not None and old.criteria == criteria:
            return False
        await self.session.execute(delete(OfferAlert).where(OfferAlert.person_id == person_id))
        self.session.add(OfferAlert(person_id=person_id, criteria=criteria, sector=sector, seen=seen,
                                    created_at=now, checked_at=now))
        await self.session.flush()
        return True

    async def for_person(self, person_id: int) -> OfferAlert | None:
        return await self.session.scalar(select(OfferAlert).where(OfferAlert.person_id == person_id))

    async def due(self, checked_before: dt.datetime, *, after_id: int, limit: int) -> list[OfferAlert]:
        """Alerts not checked since ``checked_before``, by id (a job pages through them)."""
        return list(await self.session.scalars(
            select(OfferAlert)
            .where(OfferAlert.id > after_id,
                   or_(OfferAlert.checked_at.is_(None), OfferAlert.checked_at < checked_before))
            .order_by(OfferAlert.id).limit(limit)
        ))

    async def checked(self, alert_id: int, seen: list[str], now: dt.datetime) -> None:
        await self.session.execute(
            update(OfferAlert).where(OfferAlert.id == alert_id).values(seen=seen, checked_at=now))

    async def stop(self, person_id: int) -> bool:
        result = await self.session.execute(delete(OfferAlert).where(OfferAlert.person_id == person_id))
        return bool(result.rowcount)
