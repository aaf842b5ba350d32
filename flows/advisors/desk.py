"""An advisor at work, whatever they use (Telegram today, a web desk later), and what an action answers them.

The operations (flows/advisors/requests.py, flows/advisors/agenda.py) take a ``Desk`` and plain arguments (a
request's number, a text) and return an ``Answer``: the messages to show, a short notice, the messages already
written to young people. They know nothing of Telegram: flows/advisors/commands.py reads the advisors'
Telegram commands and buttons into calls to them, and shows their answers; a web desk calls the same ones.

Every action is scoped to the advisor's structure: a hand-off or an appointment of another structure is
"not found", exactly like one that does not exist. Urgent hand-offs of people nobody could place are
everybody's until one advisor acts on them (it becomes theirs and their structure's).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from flows.engine.script import ActionButton
from flows.engine.world import World
from storage.db import UnitOfWork
from storage.handoffs import Handoff
from storage.people import Person
from storage.structures import Agent


@dataclass
class Desk:
    """Who acts, in which transaction, and when. ``key`` is unique to this action: what it writes to young
    people derives its outbox keys from it, so that doing the same action twice writes nothing twice."""

    uow: UnitOfWork
    world: World
    agent: Agent
    now: dt.datetime
    key: str

    @property
    def tz(self) -> ZoneInfo:
        return self.world.settings.tz

    @property
    def structure_name(self) -> str:
        structure = self.world.territory.structure(self.agent.structure_id)
        return structure.name if structure else "la mission locale"


@dataclass(frozen=True, slots=True)
class Said:
    """One message to the advisor (*vous*: they are professionals)."""

    text: str
    buttons: tuple[tuple[ActionButton, ...], ...] = ()  # rows of the actions offered under it
    person_id: int | None = None  # the young person it is about: erased with them
    about: Handoff | None = None  # the request it is about: replying to it writes to that young person
    replaces: bool = False  # it redraws the message the advisor acted on (a card, once marked)


@dataclass
class Answer:
    """What an advisor's action answers."""

    said: list[Said] = field(default_factory=list)
    notice: str | None = None  # a short acknowledgement ("Déjà close.")
    planned: list[int] = field(default_factory=list)  # outbox rows written for young people, to deliver
    # What the advisor acted on is not theirs, or is no more (another structure's, erased): a button for it is
    # a stale button; a typed command gets ``said``.
    refused: bool = False

    def say(self, text: str, buttons: tuple[tuple[ActionButton, ...], ...] = (), *, person_id: int | None = None,
            about: Handoff | None = None, replaces: bool = False) -> Answer:
        self.said.append(Said(text, buttons, person_id, about, replaces))
        return self


def not_found(number: int | str | None = None) -> Answer:
    """The request is not in the advisor's structure (or does not exist: the same words)."""
    shown = f" n° {number}" if number is not None else ""
    return Answer(refused=True).say(
        f"Je ne trouve pas la demande{shown} dans votre structure. Les demandes ouvertes : /jeunes.")


def in_scope(desk: Desk, handoff: Handoff | None) -> Handoff | None:
    """The hand-off if this advisor's structure may act on it (an unplaced one is everybody's)."""
    if handoff is None or handoff.structure_id not in (desk.agent.structure_id, None):
        return None
    return handoff


async def request(desk: Desk, number: int) -> Handoff | None:
    """The request (hand-off) of this number, if the advisor may act on it."""
    return in_scope(desk, await desk.uow.handoffs.get(number))


async def young_person(desk: Desk, handoff: Handoff) -> Person | None:
    """The young person of a request, locked: their own messages wait while we act on their conversation."""
    person = await desk.uow.people.get(handoff.person_id)
    if person is not None:
        await desk.uow.lock_person(person.id)
    return person
