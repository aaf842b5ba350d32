"""An advisor's turn: the second audience of the engine, next to the young people's ``Turn``.

An advisor is an agent (storage/structures.py) with a Telegram id, registered by the operator
(``tremplin advisors add``). At every event the engine asks ``advisor_of`` before anything is done for a
young person (the agent's id is read with the person, nobody is created for an advisor): the agent record
is read again each time, so an advisor removed a second ago is an advisor no more. Only then does it run
the handlers registered with ``on_advisor_command`` / ``on_advisor_action`` / ``on_advisor_message``
(flows/engine/script.py), with an ``AdvisorTurn``: anyone else never reaches them (their ``/jeunes`` is
an unknown command like any other, and an advisor's button, signed for ``advisor_subject(agent_id)``, is
a stale button in their hands).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from flows.engine.buttons import Action, advisor_subject
from flows.engine.events import BUTTON, COMMAND, Button, Event, Reply
from flows.engine.script import ADVISOR_ACTION_HANDLERS, ADVISOR_COMMAND_HANDLERS, ADVISOR_MESSAGE_HANDLERS
from flows.engine.world import World
from storage.db import UnitOfWork
from storage.structures import Agent

TELEGRAM = "telegram"  # the only channel advisors use the bot from
STALE = "Ce bouton ne marche plus."  # a button that is not (or no longer) the presser's, for everyone alike


@dataclass(frozen=True, slots=True)
class AdvisorReply:
    """A message to the advisor, with what the engine needs to write it."""

    reply: Reply
    edit_of: str | None = None  # the channel's id of a message this one replaces
    person_id: int | None = None  # the young person it is about: erased with them
    on_written: Callable[[int], Awaitable[None]] | None = None  # run with its outbox id once written


@dataclass
class AdvisorTurn:
    """One event of a registered advisor: who, what they did, and what we answer them."""

    uow: UnitOfWork
    world: World
    event: Event
    agent: Agent
    now: dt.datetime
    pressed: Action | None = None  # the button pressed, checked signed for this advisor
    replies: list[AdvisorReply] = field(default_factory=list)
    planned: list[int] = field(default_factory=list)  # outbox rows to other chats, delivered after the commit
    ack: str | None = None  # shown by the channel for a button press

    @property
    def argument(self) -> str:
        """The argument of the button pressed ("" if none)."""
        return self.pressed.argument if self.pressed else ""

    @property
    def rest(self) -> str:
        """What follows the command: "/repondre 12 Bonjour" → "12 Bonjour"."""
        parts = self.event.text.strip().split(maxsplit=1)
        return parts[1].strip() if len(parts) > 1 else ""

    def button(self, label: str, name: str, argument: str = "") -> Button:
        """An action button signed for this advisor (a young person's id can never match it)."""
        return Button(label, self.world.signer.action(advisor_subject(self.agent.id), name, argument))

    def say(self, text: str, rows: Sequence[Sequence[Button]] = (), *, edit_of: str | None = None,
            person_id: int | None = None, on_written: Callable[[int], Awaitable[None]] | None = None) -> None:
        """A message to the advisor; ``person_id`` when it is about one young person (erased with them)."""
        reply = Reply(text, tuple(tuple(row) for row in rows if row))
        self.replies.append(AdvisorReply(reply, edit_of, person_id, on_written))


def telegram_id_of(event: Event) -> int | None:
    """The Telegram id of a sender who may be an advisor; None for anyone who cannot be one.

    Only Telegram private chats (the chat is the user): an advisor's commands never run in a group.
    """
    person = event.person
    if person.channel != TELEGRAM or not person.external_id.isdigit() or person.chat_id != person.external_id:
        return None
    return int(person.external_id)


async def advisor_of(uow: UnitOfWork, event: Event, agent_id: int | None = None) -> Agent | None:
    """The registered, active advisor who sent this event, read now; None for anyone else.

    ``agent_id``: the id of the agent with the sender's Telegram id, when already read (the engine reads it
    with the person, ``ConversationsRepository.find``); otherwise it is looked up here.
    """
    if agent_id is not None:
        agent = await uow.structures.agent(agent_id)
    elif (telegram_id := telegram_id_of(event)) is not None:
        agent = await uow.structures.agent_by_telegram_id(telegram_id)
    else:
        return None
    return agent if agent is not None and agent.active else None


async def dispatch(a: AdvisorTurn) -> None:
    """Run the advisor's command, button or message through the handlers registered for advisors.

    Called by the engine only once ``advisor_of`` has found the sender registered and active.
    """
    event = a.event
    if event.kind == COMMAND:
        handler = ADVISOR_COMMAND_HANDLERS.get(event.command or "")
        if handler is None:
            a.say("Je ne connais pas cette commande. Vos commandes : /aide.")
            return
        await handler(a)
    elif event.kind == BUTTON:
        pressed = a.world.signer.read(advisor_subject(a.agent.id), event.payload or "")
        if not isinstance(pressed, Action) or pressed.name not in ADVISOR_ACTION_HANDLERS:
            a.ack = STALE
            return
        a.pressed = pressed
        await ADVISOR_ACTION_HANDLERS[pressed.name](a)
    else:
        for handler in ADVISOR_MESSAGE_HANDLERS:
            await handler(a)
