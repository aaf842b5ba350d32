"""The outbox: every message the assistant sends, immediate or planned, is a row here first.

Delivery is at-least-once and deduplicated by ``key``: a row is claimed (``sending``), sent, then
marked ``sent``. A process that dies between claim and send leaves a ``sending`` row that is released
after a while and sent once more at most. On PostgreSQL several processes claim side by side with
``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Text,
    bindparam,
    delete,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UtcDateTime, mark_erased
from storage.crypto import EncryptedJSON

PENDING, SENDING, SENT, FAILED, CANCELLED, DROPPED = "pending", "sending", "sent", "failed", "cancelled", "dropped"

# What a message is for; the person's notification choice filters on it at delivery time.
ESSENTIAL, APPOINTMENT, NUDGE = "essential", "appointment", "nudge"

# The kind of the last replies to someone whose data was erased in that turn (or never kept: under 16,
# consent refused): the row is deleted once sent or given up, as it holds their chat id.
FAREWELL = "farewell"


@dataclass(frozen=True, slots=True)
class Backlog:
    """What waits in the outbox (the operator's metrics): due messages by channel, the oldest one's due
    time, and, by channel, those still pending after every usual attempt (about a request still open)."""

    due: dict[str, int]
    oldest_due_at: dt.datetime | None
    stuck: dict[str, int]


@dataclass(frozen=True, slots=True)
class NewReply:
    """A reply to write (``add_replies``): its idempotency key, its kind and what it says."""

    key: str
    kind: str
    payload: dict[str, Any]


class OutboxMessage(Base):
    """One message to send on a channel."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(24))
    category: Mapped[str] = mapped_column(String(16), default=ESSENTIAL)
    # About someone in danger (a distress summary to the advisors): claimed and sent before anything else.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    payload: Mapped[Any] = mapped_column(EncryptedJSON)
    appointment_id: Mapped[int | None] = mapped_column(Integer, index=True)
    due_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    external_id: Mapped[str | None] = mapped_column(String(64))
    # A text too long for one channel message goes in several pieces: the ids of all of them
    # (",101,102,"), so that a reply to any piece leads back to this row (``sent_as``).
    piece_ids: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


_table = OutboxMessage.__table__
# The statements of every reply, built once (building one costs about as much as running it,
# bench/README.md); plain SQL on the table: no ORM object is involved.
_ADD_REPLIES = {
    dialect: insert(_table).on_conflict_do_nothing(index_elements=["key"]).returning(_table.c.key, _table.c.id)
    for dialect, insert in (("sqlite", sqlite_insert), ("postgresql", pg_insert))
}
_MARK_SENT = (
    update(_table).where(_table.c.id == bindparam("message_id"))
    .values(status=SENT, sent_at=bindparam("now"), external_id=bindparam("external_id"),
            piece_ids=bindparam("piece_ids"), last_error=None)
)


def piece_ids(pieces: Sequence[str]) -> str | None:
    """The stored form of the pieces' ids (None for a message sent in one piece)."""
    return f",{','.join(pieces)}," if len(pieces) > 1 else None


def sent_as(external_id: str) -> ColumnElement[bool]:
    """The rows sent as the channel's message ``external_id``: the id recorded, or any piece of a long text."""
    return or_(OutboxMessage.external_id == external_id,
               OutboxMessage.piece_ids.contains(f",{external_id},", autoescape=True))


class OutboxRepository:
    """Every statement about ``outbox``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def _dialect(self) -> str:
        return self.session.bind.dialect.name

    async def add(
        self,
        *,
        key: str,
        channel: str,
        chat_id: str,
        kind: str,
        payload: dict[str, Any],
        due_at: dt.datetime,
        now: dt.datetime,
        person_id: int | None = None,
        category: str = ESSENTIAL,
        appointment_id: int | None = None,
        expires_at: dt.datetime | None = None,
        urgent: bool = False,
    ) -> int | None:
        """Queue a message; None when a message with this key already exists (idempotent)."""
        insert = pg_insert if self._dialect == "postgresql" else sqlite_insert
        statement = (
            insert(OutboxMessage)
            .values(
                key=key, person_id=person_id, channel=channel, chat_id=chat_id, kind=kind, category=category,
                payload=payload, appointment_id=appointment_id, due_at=due_at, expires_at=expires_at,
                status=PENDING, attempts=0, created_at=now, urgent=urgent,
            )
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(OutboxMessage.id)
        )
        return await self.session.scalar(statement)

    async def add_replies(
        self, replies: Sequence[NewReply], *, channel: str, chat_id: str, now: dt.datetime, person_id: int | None,
        claimed: bool,
    ) -> list[OutboxMessage]:
        """Queue the replies to one event, due now, in one statement; those whose key exists are skipped.

        ``claimed``: the caller sends them as soon as the transaction is committed, so they are written
        already taken (``sending``, as ``claim`` would leave them): no other worker takes them, and no
        second transaction is needed to take them. Should the process stop before sending, they are
        released like any claimed row (``release_stale``). Returns the rows written, in order, as
        detached objects (nothing needs reading back).
        """
        if not replies:
            return []
        status, attempts, claimed_at = (SENDING, 1, now) if claimed else (PENDING, 0, None)
        rows = [
            {"key": r.key, "person_id": person_id, "channel": channel, "chat_id": chat_id, "kind": r.kind,
             "category": ESSENTIAL, "urgent": False, "payload": r.payload,
             "appointment_id": None, "due_at": now, "expires_at": None,
             "status": status, "attempts": attempts, "claimed_at": claimed_at, "created_at": now}
            for r in replies
        ]
        # Executed for a list of rows: SQLAlchemy sends them as one multi-row INSERT ("insertmanyvalues")
        # from a statement compiled once, where .values([...]) would compile a new statement every time.
        # One row (the usual case) as a plain execution: the multi-row machinery has a cost of its own.
        result = await self.session.execute(_ADD_REPLIES[self._dialect], rows[0] if len(rows) == 1 else rows)
        written = {key: id_ for key, id_ in result}
        return [OutboxMessage(id=written[row["key"]], **row) for row in rows if row["key"] in written]

    async def get(self, message_id: int) -> OutboxMessage | None:
        """One message."""
        return await self.session.get(OutboxMessage, message_id)

    async def by_ids(self, ids: Iterable[int]) -> list[OutboxMessage]:
        """These messages, in id order."""
        ids = list(ids)
        if not ids:
            return []
        return list(await self.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))
                                                .order_by(OutboxMessage.id)))

    async def claim_due(
        self, now: dt.datetime, limit: int, channels: Iterable[str], created_before: dt.datetime | None = None
    ) -> list[OutboxMessage]:
        """Take up to ``limit`` due messages for delivery, urgent ones first, then oldest first; other
        processes skip them.

        ``created_before`` leaves alone the rows just written and never tried, which the process that
        wrote them is about to deliver itself (taking them here could send a person's replies out of order).
        """
        query = select(OutboxMessage.id).where(
            OutboxMessage.status == PENDING,
            OutboxMessage.due_at <= now,
            OutboxMessage.channel.in_(list(channels)),
        )
        if created_before is not None:
            query = query.where(or_(OutboxMessage.attempts > 0, OutboxMessage.created_at < created_before))
        query = query.order_by(OutboxMessage.urgent.desc(), OutboxMessage.due_at, OutboxMessage.id).limit(limit)
        rows = await self._take(query, now)
        return sorted(rows, key=lambda row: (not row.urgent, row.due_at, row.id))

    async def claim(self, ids: Iterable[int], now: dt.datetime, channels: Iterable[str]) -> list[OutboxMessage]:
        """Take these pending messages (just written by this process) for immediate delivery, on the
        channels this process can send on (others stay queued for the process that can); in id order."""
        ids = list(ids)
        if not ids:
            return []
        query = select(OutboxMessage.id).where(
            OutboxMessage.id.in_(ids), OutboxMessage.status == PENDING, OutboxMessage.due_at <= now,
            OutboxMessage.channel.in_(list(channels)),
        )
        return sorted(await self._take(query, now), key=lambda row: row.id)

    async def _take(self, chosen: Select[tuple[int]], now: dt.datetime) -> list[OutboxMessage]:
        """Mark the rows whose ids ``chosen`` selects as being sent, and return them: one statement
        (UPDATE … RETURNING), in no particular order. On PostgreSQL the rows another process is taking at
        the same moment are skipped (``FOR UPDATE SKIP LOCKED`` in the subquery)."""
        if self._dialect == "postgresql":
            chosen = chosen.with_for_update(skip_locked=True)
        statement = (
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(chosen.scalar_subquery()))
            .values(status=SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1)
            .returning(OutboxMessage)
            .execution_options(synchronize_session=False)
        )
        return list(await self.session.scalars(statement))

    async def mark_sent_many(
        self, sent: Sequence[tuple[OutboxMessage, str | None]], now: dt.datetime,
        pieces: Mapping[int, Sequence[str]] | None = None,
    ) -> None:
        """Several messages delivered (with the channel's message ids), in two statements at most.

        ``pieces``: for the messages sent in several pieces (by outbox id), the ids of every piece.
        """
        pieces = pieces or {}
        farewells = [message.id for message, _ in sent if message.kind == FAREWELL]
        if farewells:  # see _forget_farewell
            await self.session.execute(
                delete(OutboxMessage).where(OutboxMessage.id.in_(farewells), OutboxMessage.kind == FAREWELL)
            )
            mark_erased(self.session)
        rows = [{"message_id": message.id, "external_id": external_id,
                 "piece_ids": piece_ids(pieces.get(message.id, ()))}
                for message, external_id in sent if message.kind != FAREWELL]
        if rows:  # one UPDATE executed for all the rows
            await self.session.execute(_MARK_SENT, [{**row, "now": now} for row in rows])

    async def mark_sent(
        self, message_id: int, now: dt.datetime, external_id: str | None, pieces: Sequence[str] = (),
    ) -> None:
        """Delivered; the text is dropped from the queue once sent (the message log keeps what is needed)."""
        if await self._forget_farewell(message_id):
            return
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(status=SENT, sent_at=now, external_id=external_id, piece_ids=piece_ids(pieces), last_error=None)
        )

    async def _forget_farewell(self, message_id: int) -> bool:
        """A farewell (the last answer to someone whose data was just erased) goes once it is out, or
        given up: its row holds their chat id, and nothing about them may remain."""
        result = await self.session.execute(
            delete(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.kind == FAREWELL)
        )
        if result.rowcount:
            mark_erased(self.session)
        return bool(result.rowcount)

    async def retry_later(self, message_id: int, due_at: dt.datetime, error: str) -> None:
        """Put back in the queue after a failure (or a 429 ``retry_after``)."""
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(status=PENDING, due_at=due_at, claimed_at=None, last_error=error[:500])
        )

    async def mark_final(self, message_id: int, status: str, error: str | None = None) -> None:
        """Give up on a message: failed, dropped (no longer relevant) or cancelled."""
        if await self._forget_farewell(message_id):
            return
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(status=status, last_error=(error or "")[:500] or None)
        )

    async def release_stale(self, claimed_before: dt.datetime, channels: Iterable[str] | None = None) -> int:
        """Messages claimed by a process that died before sending them go back to the queue."""
        query = update(OutboxMessage).where(OutboxMessage.status == SENDING, OutboxMessage.claimed_at < claimed_before)
        if channels is not None:
            query = query.where(OutboxMessage.channel.in_(list(channels)))
        result = await self.session.execute(query.values(status=PENDING, claimed_at=None))
        return result.rowcount or 0

    async def cancel_pending(
        self,
        *,
        person_id: int | None = None,
        appointment_id: int | None = None,
        categories: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
    ) -> int:
        """Cancel planned messages matching every given filter (a cancelled appointment's reminders...)."""
        query = update(OutboxMessage).where(OutboxMessage.status == PENDING)
        if person_id is not None:
            query = query.where(OutboxMessage.person_id == person_id)
        if appointment_id is not None:
            query = query.where(OutboxMessage.appointment_id == appointment_id)
        if categories is not None:
            query = query.where(OutboxMessage.category.in_(list(categories)))
        if kinds is not None:
            query = query.where(OutboxMessage.kind.in_(list(kinds)))
        result = await self.session.execute(query.values(status=CANCELLED))
        return result.rowcount or 0

    async def pending_for_person(self, person_id: int) -> list[OutboxMessage]:
        """What is still planned for this person, soonest first."""
        return list(
            await self.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.person_id == person_id, OutboxMessage.status == PENDING)
                .order_by(OutboxMessage.due_at, OutboxMessage.id)
            )
        )

    async def count_by_status(self) -> dict[str, int]:
        """How many messages are in each status (for the operator and the tests)."""
        rows = await self.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
        return {status: count for status, count in rows.all()}

    async def backlog(self, now: dt.datetime, *, max_attempts: int) -> Backlog:
        """Due messages not sent yet (pending or being sent), and those kept trying past ``max_attempts``."""
        due = OutboxMessage.due_at <= now
        rows = (await self.session.execute(
            select(OutboxMessage.channel, func.count().filter(due), func.min(OutboxMessage.due_at).filter(due),
                   func.count().filter(OutboxMessage.attempts >= max_attempts))
            .where(OutboxMessage.status.in_([PENDING, SENDING])).group_by(OutboxMessage.channel)
        )).all()
        oldest = min((row[2] for row in rows if row[2] is not None), default=None)
        return Backlog(due={row[0]: row[1] for row in rows if row[1]}, oldest_due_at=oldest,
                       stuck={row[0]: row[3] for row in rows if row[3]})

    async def next_due_at(self, channels: Iterable[str]) -> dt.datetime | None:
        """When the next pending message comes due."""
        return await self.session.scalar(
            select(func.min(OutboxMessage.due_at)).where(
                OutboxMessage.status == PENDING, OutboxMessage.channel.in_(list(channels))
            )
        )

    async def delete_for_person(self, person_id: int) -> None:
        """Erasure: every message to or about this person."""
        await self.session.execute(delete(OutboxMessage).where(OutboxMessage.person_id == person_id))

    async def purge_sent(self, before: dt.datetime) -> int:
        """Forget delivered or abandoned messages older than ``before``."""
        result = await self.session.execute(
            delete(OutboxMessage).where(OutboxMessage.status != PENDING, OutboxMessage.status != SENDING,
                                        OutboxMessage.created_at < before)
        )
        return result.rowcount or 0
