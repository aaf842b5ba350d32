"""Where each person is in the conversation: the current step, its scratch data, the return stack."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UtcDateTime, utcnow
from storage.handoffs import pause_open
from storage.inbox import PENDING, InboxUpdate
from storage.people import Person
from storage.structures import Agent


class Conversation(Base):
    """The dialogue state of one person, saved in the same transaction as what the step changed."""

    __tablename__ = "conversations"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    step: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    stack: Mapped[list[str]] = mapped_column(JSON, default=list)
    token: Mapped[int] = mapped_column(Integer, default=0)  # changes at every question; buttons carry it
    misunderstood: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


_STATE_COLUMNS = ("step", "data", "stack", "token", "misunderstood", "updated_at")


@dataclass(slots=True, eq=False)
class ConversationState:
    """A person's conversation as the steps read and change it: plain data, written by ``save``.

    Not an ORM object: the engine reads and writes this row at every event, and the ORM's identity map
    and flush cost several times the two statements themselves (bench/README.md).
    """

    person_id: int
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    stack: list[str] = field(default_factory=list)
    token: int = 0
    misunderstood: int = 0
    updated_at: dt.datetime = field(default_factory=utcnow)
    # What the database holds (None: no row yet), to write only the columns that changed: an advisor's
    # action on someone's conversation must not write back what it did not touch.
    _stored: dict[str, Any] | None = None

    def _snapshot(self) -> dict[str, Any]:
        # The JSON columns as text: the steps change them in place.
        return {"step": self.step, "data": json.dumps(self.data), "stack": json.dumps(self.stack),
                "token": self.token, "misunderstood": self.misunderstood, "updated_at": self.updated_at}


@dataclass(frozen=True, slots=True)
class Opened:
    """What the engine reads at every event of a young person (``ConversationsRepository.open``)."""

    person: Person
    conversation: ConversationState
    paused: bool  # an open hand-off holds a pause of the bot for them (flows/handoff/pause.py reads it then)
    agent_id: int | None = None  # the agent registered with the ``agent_telegram_id`` given to ``find``
    inbox_pending: bool | None = None  # the update ``inbox_id`` given to ``find`` waits to be handled


_table = Conversation.__table__
_people = Person.__table__
_agents = Agent.__table__
_inbox = InboxUpdate.__table__
# Built once: building a statement costs about as much as running it (bench/README.md).
_OPEN = (
    select(Person, *(_table.c[name] for name in _STATE_COLUMNS), _table.c.person_id.label("stored"),
           pause_open(_people.c.id).label("paused"),
           # "Is the sender a registered advisor?" (flows/engine/advisor_turn.py), asked at every event: read with the
           # person rather than in a statement of its own.
           select(_agents.c.id).where(_agents.c.telegram_id == bindparam("agent_telegram_id"))
           .scalar_subquery().label("agent_id"),
           # Where its row needs no lock (InboxRepository.lock_pending, find), the status of the update being handled.
           select(_inbox.c.status).where(_inbox.c.id == bindparam("inbox_id")).scalar_subquery().label("inbox"))
    .outerjoin(_table, _table.c.person_id == _people.c.id)
    .where(_people.c.channel == bindparam("channel"), _people.c.external_id == bindparam("external_id"))
    # Read again after waiting for the person's lock (PostgreSQL): the object in the session is refreshed.
    .execution_options(populate_existing=True)
)
_LOAD = select(*(_table.c[name] for name in _STATE_COLUMNS)).where(_table.c.person_id == bindparam("person_id"))
_INSERT = insert(_table)
# No values(): the SET clause is made of the columns given (compiled once per set, then cached).
_UPDATE = update(_table).where(_table.c.person_id == bindparam("person_id_"))


class ConversationsRepository:
    """Every statement about ``conversations``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def open(self, channel: str, external_id: str, chat_id: str, now: dt.datetime) -> Opened:
        """The person for this channel identity (created on first contact), their conversation, and whether
        an advisor has paused the bot for them: one statement for a person already known."""
        found = await self.find(channel, external_id, now)
        return found if found is not None else await self.create(channel, external_id, chat_id, now)

    async def find(
        self, channel: str, external_id: str, now: dt.datetime, *, agent_telegram_id: int | None = None,
        inbox_id: int | None = None,
    ) -> Opened | None:
        """``open`` for a person already known, in one statement; None on first contact (nothing is created).

        ``agent_telegram_id``: also say, in ``Opened.agent_id``, which agent has this Telegram id, if any.
        ``inbox_id``: also say, in ``Opened.inbox_pending``, whether this update still waits to be handled
        (read without a lock of its row: only where no other transaction can handle it meanwhile, i.e. the
        transaction holds the whole database, ``UnitOfWork.exclusive``, or the person's lock,
        ``UnitOfWork.lock_known_person``).
        """
        row = (await self.session.execute(_OPEN, {"channel": channel, "external_id": external_id,
                                                  "agent_telegram_id": agent_telegram_id,
                                                  "inbox_id": inbox_id})).first()
        if row is None:
            return None
        person = row[0]
        state = ConversationState(person.id, updated_at=now) if row.stored is None else _state(person.id, row)
        return Opened(person, state, paused=bool(row.paused), agent_id=row.agent_id,
                      inbox_pending=None if inbox_id is None else row.inbox == PENDING)

    async def create(self, channel: str, external_id: str, chat_id: str, now: dt.datetime) -> Opened:
        """A new person for this channel identity (first contact), with an empty conversation."""
        person = Person(
            channel=channel, external_id=external_id, chat_id=chat_id, created_at=now, last_seen_at=now,
            obstacles=[], sectors=[],
        )
        self.session.add(person)
        await self.session.flush()
        return Opened(person, ConversationState(person.id, updated_at=now), paused=False)

    async def load(self, person_id: int, now: dt.datetime) -> ConversationState:
        """The state of this person's conversation (empty on first contact: written by ``save``)."""
        row = (await self.session.execute(_LOAD, {"person_id": person_id})).first()
        return ConversationState(person_id, updated_at=now) if row is None else _state(person_id, row)

    async def save(self, conversation: ConversationState) -> None:
        """Write what changed since it was read (the JSON columns are changed in place by the steps)."""
        now = conversation._snapshot()
        stored = conversation._stored
        if stored is None:
            await self.session.execute(_INSERT, {"person_id": conversation.person_id,
                                                 **{name: getattr(conversation, name) for name in _STATE_COLUMNS}})
        else:
            changed = {name: getattr(conversation, name) for name in _STATE_COLUMNS if now[name] != stored[name]}
            if not changed:
                return
            await self.session.execute(_UPDATE, {**changed, "person_id_": conversation.person_id})
        conversation._stored = now


def _state(person_id: int, row: Any) -> ConversationState:
    state = ConversationState(person_id, row.step, row.data or {}, row.stack or [], row.token or 0,
                              row.misunderstood or 0, row.updated_at)
    state._stored = state._snapshot()
    return state
