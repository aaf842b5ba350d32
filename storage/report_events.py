"""The report's events: what happened, pseudonymously, for the Département's figures (docs/privacy.md).

The daily counters (storage/stats.py) cannot give a funnel, a delay or a response rate: those need to
know that the first contact, the appointment and the answer about "what became of them" are the same
person's. Each event therefore carries a *subject*: a random key held in ``people.report_key`` and nowhere
else. No name, no Telegram id, no free text, no commune (only its EPT territory), no age (a band). When the
person is erased, their ``people`` row and so the only link to the key go; the events stay, and a past
month's report is the same before and after. The events are kept ``report.keep_months`` (retention job).

One row per event; what ``detail``, ``value``, ``about_at`` and ``item`` hold depends on ``kind``:

| kind                 | detail                          | value                         | about_at / item          |
|----------------------|---------------------------------|-------------------------------|--------------------------|
| first_contact        |                                 |                               |                          |
| consent              |                                 |                               |                          |
| onboarded            |                                 |                               |                          |
| appointment_booked   | ``bot`` / ``advisor``           | seconds from first contact    | its start / ``a:<id>``   |
| appointment_status   | seen / noshow / excused / cancelled |                           | its start / ``a:<id>``   |
| handoff_opened       | ``urgent`` / ``normal``         | 1 outside opening hours, else 0 | / ``h:<id>``           |
| handoff_answered     |                                 | seconds to the first answer   | opened at / ``h:<id>``   |
| suggestion_shown     | ``<kind>:<sector>``             |                               |                          |
| suggestion_saved     | ``<kind>:<sector>``             |                               |                          |
| outcome_asked        | horizon (``3m``, ``6m``, ``1m_after``) |                        |                          |
| outcome              | ``<horizon>:<category>``        |                               |                          |

The facets (``structure``, ``territory``, ``age_band``, ``rsa``) are the person's at the time of the event,
never updated afterwards: a later move does not change a past month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import BigInteger, Boolean, Float, Index, Integer, String, delete, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UtcDateTime

FIRST_CONTACT, CONSENT, ONBOARDED = "first_contact", "consent", "onboarded"
APPOINTMENT_BOOKED, APPOINTMENT_STATUS = "appointment_booked", "appointment_status"
HANDOFF_OPENED, HANDOFF_ANSWERED = "handoff_opened", "handoff_answered"
SUGGESTION_SHOWN, SUGGESTION_SAVED = "suggestion_shown", "suggestion_saved"
OUTCOME_ASKED, OUTCOME = "outcome_asked", "outcome"
KINDS = (FIRST_CONTACT, CONSENT, ONBOARDED, APPOINTMENT_BOOKED, APPOINTMENT_STATUS, HANDOFF_OPENED, HANDOFF_ANSWERED,
         SUGGESTION_SHOWN, SUGGESTION_SAVED, OUTCOME_ASKED, OUTCOME)
BOOKED_BY_BOT, BOOKED_BY_ADVISOR = "bot", "advisor"

AGE_BANDS = ((16, 17, "16-17"), (18, 21, "18-21"), (22, 25, "22-25"))


def age_band(age: int | None) -> str | None:
    """The report's age band for an age (None outside 16-25 or unknown)."""
    for low, high, band in AGE_BANDS:
        if age is not None and low <= age <= high:
            return band
    return None


class ReportEvent(Base):
    """One pseudonymous event (see the module's table)."""

    __tablename__ = "report_events"
    __table_args__ = (
        Index("ix_report_events_kind_at", "kind", "at"),
        {"info": {"personal": False,
                  "why": "pseudonymous events for the report: a random key, no name, no Telegram id, no free "
                         "text; the key's only link to a person (people.report_key) goes with the person"}},
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    subject: Mapped[str] = mapped_column(String(24), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    structure: Mapped[str | None] = mapped_column(String(64))
    territory: Mapped[str | None] = mapped_column(String(16))  # EPT code (INSEE), or "hors92"
    age_band: Mapped[str | None] = mapped_column(String(8))
    rsa: Mapped[bool | None] = mapped_column(Boolean)
    detail: Mapped[str | None] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Float)
    about_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    item: Mapped[str | None] = mapped_column(String(24))


@dataclass(frozen=True)
class Facets:
    """What an event may be broken down by: the person's, at the time of the event."""

    structure: str | None = None
    territory: str | None = None
    age_band: str | None = None
    rsa: bool | None = None


@dataclass(frozen=True)
class NewEvent:
    """An event to record (``ReportEventsRepository.add``)."""

    subject: str
    kind: str
    at: dt.datetime
    facets: Facets = Facets()
    detail: str | None = None
    value: float | None = None
    about_at: dt.datetime | None = None
    item: str | None = None


_INSERT = insert(ReportEvent)


class ReportEventsRepository:
    """Every statement that writes ``report_events`` (the report's queries are in ``storage/report_figures.py``)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, events: Sequence[NewEvent]) -> None:
        """Record events (one INSERT for all)."""
        if not events:
            return
        if any(e.kind not in KINDS for e in events):
            raise ValueError(f"unknown report event kind in {[e.kind for e in events]}")
        await self.session.execute(_INSERT, [
            {"subject": e.subject, "kind": e.kind, "at": e.at, "structure": e.facets.structure,
             "territory": e.facets.territory, "age_band": e.facets.age_band, "rsa": e.facets.rsa,
             "detail": e.detail, "value": e.value, "about_at": e.about_at, "item": e.item}
            for e in events])

    async def purge_before(self, before: dt.datetime) -> int:
        """Delete the events older than ``before`` (their retention, ``report.keep_months``)."""
        result = await self.session.execute(delete(ReportEvent).where(ReportEvent.at < before))
        return int(result.rowcount or 0)
