"""Hand-offs to a human advisor, and every message that went to or came from an advisor about one.

- ``handoffs``: one request for a person (the young person asked, the bot saw distress, the bot did
  not understand three times, an appointment was booked). ``open`` until an advisor closes it;
  ``urgent`` puts it first everywhere. An advisor may *take* it (``agent_id``) and *pause the bot*
  for the young person (``paused_by`` until ``paused_until``): while paused, the bot forwards what
  the young person writes instead of answering. ``request`` is the young person's own words that
  started it (encrypted; only when they consented to their messages being kept).
- ``handoff_messages``: each message sent about a hand-off (the summary to each advisor on each
  channel, the young person's messages forwarded, the advisors' answers relayed). Delivery itself is
  the outbox's job (status, retries, one row per channel and advisor); ``outbox_id`` links the two,
  so that an advisor's Telegram *reply* to a summary finds the hand-off it answers. ``text`` keeps a
  relayed answer (encrypted) so that a colleague opening the file sees what was already said.

Both tables have a ``person_id``: erasure and export find them generically (docs/privacy.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Exists,
    ForeignKey,
    Integer,
    String,
    and_,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UtcDateTime
from storage.crypto import EncryptedText
from storage.outbox import OutboxMessage, sent_as

OPEN, CLOSED = "open", "closed"
# Why a hand-off was raised.
ASKED, DISTRESS, LOST, BOOKED = "asked", "distress", "lost", "booked"
REASONS = (ASKED, DISTRESS, LOST, BOOKED)
# What a hand-off message is.
SUMMARY, FORWARD, RELAY, NOTICE = "summary", "forward", "relay", "notice"
# What became of a request, said by the advisor who closes it (the desk asks; "Clore" on Telegram says nothing).
CLOSE_REASONS = {"answered": "Réponse donnée", "appointment": "Rendez-vous pris", "referred": "Orientation ailleurs",
                 "no_reply": "Sans réponse de la personne", "other": "Autre"}


class Handoff(Base):
    """A young person handed to the advisors of a structure."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    # The structure whose advisors answer; None when nobody knows where the person lives (an urgent
    # hand-off then goes to every advisor, and the first one to act takes it for their structure).
    structure_id: Mapped[str | None] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(String(16))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(8), default=OPEN)
    opened_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    closed_by: Mapped[int | None] = mapped_column(Integer)  # agent id
    close_reason: Mapped[str | None] = mapped_column(String(16))  # what became of it (CLOSE_REASONS)
    agent_id: Mapped[int | None] = mapped_column(Integer)  # the advisor who took it (first to act)
    paused_by: Mapped[int | None] = mapped_column(Integer)  # agent id; the bot is silent for the person
    paused_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    appointment_id: Mapped[int | None] = mapped_column(Integer)  # the booking a BOOKED summary prepares
    request: Mapped[str | None] = mapped_column(EncryptedText)

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    @property
    def ended(self) -> bool:
        """An advisor closed it ("Clore"): no words are relayed about it any more, either way. (The summary of
        a booked appointment is closed from the start, by nobody, and can still be answered.)"""
        return self.status == CLOSED and self.closed_by is not None

    def paused_at(self, now: dt.datetime) -> bool:
        """The bot is silent for the person at ``now``."""
        return self.is_open and self.paused_by is not None and self.paused_until is not None and self.paused_until > now


class HandoffMessage(Base):
    """One message about a hand-off, to an advisor or to the young person; delivered through the outbox."""

    __tablename__ = "handoff_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[int | None] = mapped_column(Integer, index=True)  # the advisor it went to or came from
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # summary | forward | relay | notice
    outbox_id: Mapped[int | None] = mapped_column(Integer, index=True)
    text: Mapped[str | None] = mapped_column(EncryptedText)  # an advisor's relayed answer
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


def _pausing(person_id: ColumnElement[int] | int) -> ColumnElement[bool]:
    """The hand-offs of ``paused_for``: open, holding a pause of the bot (expired or not)."""
    return and_(Handoff.person_id == person_id, Handoff.status == OPEN, Handoff.paused_by.is_not(None))


def pause_open(person_id: ColumnElement[int]) -> Exists:
    """Whether ``paused_for`` would find a hand-off for this person: read with the person at every event
    (storage/conversations.py), so that the common case, no pause, costs no statement of its own."""
    return exists().where(_pausing(person_id))


class HandoffsRepository:
    """Every statement about ``handoffs`` and ``handoff_messages``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- Hand-offs ----------------------------------------------------------------------------

    async def open(
        self, *, person_id: int, structure_id: str | None, reason: str, urgent: bool, now: dt.datetime,
        request: str | None = None, appointment_id: int | None = None, status: str = OPEN,
    ) -> Handoff:
        """Record a new hand-off."""
        if reason not in REASONS:
            raise ValueError(f"unknown hand-off reason {reason!r}")
        row = Handoff(person_id=person_id, structure_id=structure_id, reason=reason, urgent=urgent, status=status,
                      opened_at=now, closed_at=now if status == CLOSED else None, request=request,
                      appointment_id=appointment_id)
        self.session.add(row)
        await self.session.flush()
        return row

    async def get(self, handoff_id: int) -> Handoff | None:
        return await self.session.get(Handoff, handoff_id)

    async def open_for(self, person_id: int) -> Handoff | None:
        """The person's open hand-off (the newest if, exceptionally, there are several)."""
        return await self.session.scalar(
            select(Handoff).where(Handoff.person_id == person_id, Handoff.status == OPEN)
            .order_by(Handoff.id.desc()).limit(1)
        )

    async def paused_for(self, person_id: int) -> Handoff | None:
        """The open hand-off holding a pause of the bot for this person, expired or not (the caller decides)."""
        return await self.session.scalar(
            select(Handoff).where(_pausing(person_id)).order_by(Handoff.id.desc()).limit(1)
        )

    async def of_person(self, person_id: int) -> list[Handoff]:
        """Every hand-off of the person, oldest first."""
        return list(await self.session.scalars(
            select(Handoff).where(Handoff.person_id == person_id).order_by(Handoff.id)
        ))

    async def open_for_structure(self, structure_id: str, limit: int = 30) -> list[Handoff]:
        """Open hand-offs an advisor of this structure can act on: urgent first, then oldest first.

        Urgent hand-offs of people nobody could place (no structure) are everybody's until taken.
        """
        return list(await self.session.scalars(
            select(Handoff)
            .where(Handoff.status == OPEN, Handoff.reason != BOOKED,
                   or_(Handoff.structure_id == structure_id, Handoff.structure_id.is_(None)))
            .order_by(Handoff.urgent.desc(), Handoff.opened_at, Handoff.id)
            .limit(limit)
        ))

    async def counts_by_structure(self, since: dt.datetime, until: dt.datetime) -> dict[str | None, tuple[int, int]]:
        """Requests opened in the period (bookings' notices apart), by structure: (all, urgent)."""
        rows = await self.session.execute(
            select(Handoff.structure_id, func.count(), func.count().filter(Handoff.urgent))
            .where(Handoff.opened_at >= since, Handoff.opened_at < until, Handoff.reason != BOOKED)
            .group_by(Handoff.structure_id)
        )
        return {structure: (total, urgent) for structure, total, urgent in rows.all()}

    async def mark_urgent(self, handoff: Handoff) -> None:
        handoff.urgent = True
        await self.session.flush()

    async def take(self, handoff: Handoff, agent_id: int, structure_id: str) -> None:
        """The advisor acts on it: it is theirs (and their structure's, if nobody's yet)."""
        if handoff.agent_id is None:
            handoff.agent_id = agent_id
        if handoff.structure_id is None:
            handoff.structure_id = structure_id
        await self.session.flush()

    async def pause(self, handoff: Handoff, agent_id: int, until: dt.datetime) -> None:
        handoff.paused_by, handoff.paused_until = agent_id, until
        await self.session.flush()

    async def resume(self, handoff: Handoff) -> None:
        handoff.paused_by, handoff.paused_until = None, None
        await self.session.flush()

    async def close(self, handoff: Handoff, agent_id: int | None, now: dt.datetime, reason: str | None = None) -> bool:
        """Close it (and end any pause); False if it was already closed."""
        if handoff.status == CLOSED:
            return False
        handoff.status, handoff.closed_at, handoff.closed_by = CLOSED, now, agent_id
        handoff.close_reason = reason
        handoff.paused_by, handoff.paused_until = None, None
        await self.session.flush()
        return True

    # --- Messages -----------------------------------------------------------------------------

    async def add_message(
        self, handoff: Handoff, *, channel: str, kind: str, now: dt.datetime, agent_id: int | None = None,
        outbox_id: int | None = None, text: str | None = None,
    ) -> HandoffMessage:
        """Record a message about the hand-off (its delivery is the outbox row ``outbox_id``)."""
        row = HandoffMessage(handoff_id=handoff.id, person_id=handoff.person_id, agent_id=agent_id, channel=channel,
                             kind=kind, outbox_id=outbox_id, text=text, created_at=now)
        self.session.add(row)
        await self.session.flush()
        return row

    async def message_answered(
        self, channel: str, chat_id: str, external_id: str, *, agent_id: int | None = None,
        person_id: int | None = None,
    ) -> HandoffMessage | None:
        """The hand-off message that was the channel's message ``external_id`` in ``chat_id`` (a reply's target).

        Narrowed to the messages sent to one advisor (``agent_id``) or to one young person (``person_id``):
        both are indexed, the outbox's channel ids are not.
        """
        query = (
            select(HandoffMessage)
            .join(OutboxMessage, OutboxMessage.id == HandoffMessage.outbox_id)
            .where(OutboxMessage.channel == channel, OutboxMessage.chat_id == chat_id, sent_as(external_id))
        )
        if agent_id is not None:
            query = query.where(HandoffMessage.agent_id == agent_id)
        if person_id is not None:
            query = query.where(HandoffMessage.person_id == person_id)
        return await self.session.scalar(query.order_by(HandoffMessage.id.desc()).limit(1))

    async def messages(self, handoff_id: int, kinds: Iterable[str] | None = None) -> list[HandoffMessage]:
        """The messages of a hand-off, oldest first."""
        query = select(HandoffMessage).where(HandoffMessage.handoff_id == handoff_id)
        if kinds is not None:
            query = query.where(HandoffMessage.kind.in_(list(kinds)))
        return list(await self.session.scalars(query.order_by(HandoffMessage.id)))

    async def relays_of_person(self, person_id: int, limit: int = 3) -> list[HandoffMessage]:
        """The latest answers advisors relayed to the person (with their text), oldest first."""
        rows = list(await self.session.scalars(
            select(HandoffMessage)
            .where(HandoffMessage.person_id == person_id, HandoffMessage.kind == RELAY,
                   HandoffMessage.text.is_not(None))
            .order_by(HandoffMessage.id.desc()).limit(limit)
        ))
        return rows[::-1]

    async def delivery_statuses(self, handoff_id: int) -> dict[str, int]:
        """How the summary deliveries of a hand-off stand, by outbox status ("sent": 2, "pending": 1...)."""
        rows = await self.session.execute(
            select(OutboxMessage.status, func.count())
            .join(HandoffMessage, HandoffMessage.outbox_id == OutboxMessage.id)
            .where(HandoffMessage.handoff_id == handoff_id, HandoffMessage.kind == SUMMARY)
            .group_by(OutboxMessage.status)
        )
        return {status: count for status, count in rows.all()}

    async def open_by_outbox(self, outbox_ids: Iterable[int]) -> dict[int, Handoff]:
        """The open hand-offs these outbox rows are about (a summary, a forward), by outbox id."""
        ids = list(outbox_ids)
        if not ids:
            return {}
        rows = await self.session.execute(
            select(HandoffMessage.outbox_id, Handoff)
            .join(Handoff, Handoff.id == HandoffMessage.handoff_id)
            .where(HandoffMessage.outbox_id.in_(ids), Handoff.status == OPEN)
        )
        return {outbox_id: handoff for outbox_id, handoff in rows.all()}

    async def waiting(self) -> dict[bool, tuple[int, dt.datetime]]:
        """Open requests no advisor has taken yet (the operator's metrics), by urgency: how many, and when
        the oldest was opened. A booked appointment's summary is not a request."""
        rows = await self.session.execute(
            select(Handoff.urgent, func.count(), func.min(Handoff.opened_at))
            .where(Handoff.status == OPEN, Handoff.reason != BOOKED, Handoff.agent_id.is_(None))
            .group_by(Handoff.urgent)
        )
        return {bool(urgent): (int(count), oldest) for urgent, count, oldest in rows.all()}

    # --- Retention ----------------------------------------------------------------------------

    async def forget_texts_before(self, before: dt.datetime) -> int:
        """Free text older than the message retention goes, as the message log's does; the rows stay."""
        requests = await self.session.execute(
            update(Handoff).where(Handoff.opened_at < before, Handoff.request.is_not(None)).values(request=None)
        )
        texts = await self.session.execute(
            update(HandoffMessage).where(and_(HandoffMessage.created_at < before, HandoffMessage.text.is_not(None)))
            .values(text=None)
        )
        return (requests.rowcount or 0) + (texts.rowcount or 0)

    async def delete_for_person(self, person_id: int) -> None:
        """Erasure (the generic erasure does the same through ``person_id``)."""
        await self.session.execute(delete(HandoffMessage).where(HandoffMessage.person_id == person_id))
        await self.session.execute(delete(Handoff).where(Handoff.person_id == person_id))
