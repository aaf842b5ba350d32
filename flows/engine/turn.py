"""A turn: one event of one person, and everything a step or handler needs to answer it."""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from rapidfuzz import fuzz

from flows.data.territory import fold
from flows.engine.buttons import Action, StepAnswer
from flows.engine.events import BUTTON, Button, Document, Event, Reply
from flows.engine.script import ActionButton, Done, Goto, NotUnderstood, Stay
from flows.engine.world import World
from nlu.result import ParseResult
from storage.conversations import ConversationState
from storage.db import UnitOfWork
from storage.outbox import ESSENTIAL
from storage.people import Person

OPTIONS_KEY = "_options"  # the options of the current question, to recognise a typed answer
T = TypeVar("T")


class LeaveTransaction(Exception):  # not an error: the engine's signal to step out and come back
    """Raised by ``Turn.outside``: the engine rolls the turn back, awaits ``work`` with no transaction open,
    and handles the event again with the result (flows/engine/engine.py)."""

    def __init__(self, key: str, work: Callable[[], Awaitable[object]]) -> None:
        super().__init__(key)
        self.key, self.work = key, work


class Turn:
    """The context of one event: who, what they said, the state, and what we answer."""

    def __init__(
        self,
        *,
        event: Event,
        person: Person,
        conversation: ConversationState,
        uow: UnitOfWork,
        world: World,
        parsed: ParseResult | None,
        now: dt.datetime,
        pressed: StepAnswer | Action | None = None,
        paused: bool | None = None,
        done_outside: dict[str, object] | None = None,
        may_leave: bool = False,
    ) -> None:
        self.event = event
        self.person = person
        self.conversation = conversation
        self.uow = uow
        self.world = world
        self.parsed = parsed
        self.now = now
        self.pressed = pressed
        # Whether an advisor has paused the bot for the person, when the engine read it with them
        # (None: not known, flows/handoff/pause.py looks it up).
        self.paused = paused
        self.replies: list[tuple[Reply, str | None]] = []  # (reply, id of a message to edit instead)
        self.ack: str | None = None
        self.erased = False  # the person's data was deleted during this turn
        self.misunderstood = False  # the message was not understood
        self.planned: list[int] = []  # outbox rows written for later or for other chats
        # Works done outside the transaction for this event (``outside``), by key; may_leave: the engine
        # handles LeaveTransaction (a turn built elsewhere waits inside, as it always did).
        self._done_outside = done_outside if done_outside is not None else {}
        self._may_leave = may_leave

    async def outside(self, key: str, work: Callable[[], Awaitable[T]]) -> T:
        """The result of ``work`` (a call on the network: it must not touch ``uow``), awaited outside the
        person's transaction: the first time, the turn is rolled back and handled again with it (the same
        key is the same work). Everything the turn did before is done again, so ``work`` must depend only
        on what the turn read, not on what it wrote."""
        if key in self._done_outside:
            return self._done_outside[key]  # type: ignore[return-value]
        if not self._may_leave:
            return await work()
        raise LeaveTransaction(key, work)

    # --- What the person said -------------------------------------------------------------

    @property
    def text(self) -> str:
        """The text typed (empty for a button)."""
        return self.event.text.strip()

    @property
    def folded(self) -> str:
        """The text typed, lower case, without accents."""
        return fold(self.text)

    @property
    def intent(self) -> str | None:
        """The intent understood, when the text went through the NLU."""
        return self.parsed.intent.name if self.parsed else None

    @property
    def confidence(self) -> float:
        """How sure the NLU is of ``intent``."""
        return self.parsed.intent.confidence if self.parsed else 0.0

    @property
    def sure(self) -> bool:
        """The NLU is at least as sure as the configured threshold."""
        return self.confidence >= self.world.settings.nlu_threshold

    def is_intent(self, *names: str) -> bool:
        """The NLU understood one of these intents, confidently."""
        return self.intent in names and self.sure

    def entity(self, name: str) -> str | None:
        """The first value of an entity found in the text."""
        return self.parsed.entity(name) if self.parsed else None

    def entities(self, name: str) -> list[str]:
        """Every value of an entity found in the text."""
        return self.parsed.entity_values(name) if self.parsed else []

    @property
    def button(self) -> str | None:
        """The value of the answer button pressed, if any."""
        return self.pressed.value if isinstance(self.pressed, StepAnswer) else None

    @property
    def argument(self) -> str:
        """The argument of the action button pressed ("" if none)."""
        return self.pressed.argument if isinstance(self.pressed, Action) else ""

    @property
    def options(self) -> list[list[Any]]:
        """The options of the current question: [value, label, aliases]."""
        return self.conversation.data.get(OPTIONS_KEY, [])

    def choice(self) -> str | None:
        """The option chosen: by button, or by typing its label, an alias or its number."""
        if self.event.kind == BUTTON:
            return self.button
        return self._match_option(self.text)

    def choices(self) -> list[str]:
        """Several options named in one message ("mobilité et logement"), in the order offered."""
        if self.event.kind == BUTTON:
            return [self.button] if self.button else []
        parts = [p for p in _split_list(self.text) if p]
        found = [value for part in parts if (value := self._match_option(part))]
        return [o[0] for o in self.options if o[0] in found]

    def typed_a_label(self) -> bool:
        """The text is, word for word, the label of one of the buttons on screen."""
        text = self.folded
        return bool(text) and any(fold(label) == text for _, label, _ in self.options)

    def _match_option(self, typed: str) -> str | None:
        text = fold(typed)
        if not text:
            return None
        options = self.options
        if text.isdigit() and 1 <= int(text) <= len(options):
            return options[int(text) - 1][0]
        best: tuple[float, str | None] = (0.0, None)
        for value, label, aliases in options:
            for name in (label, *aliases):
                candidate = fold(name)
                if text == candidate:
                    return value
                score = fuzz.ratio(text, candidate)
                if len(text) >= 4 and (candidate.startswith(text) or f" {text}" in f" {candidate}"):
                    score = max(score, 90.0)  # the start of a label: "formation", "cap"
                if len(candidate) >= 3 and f" {candidate} " in f" {text} ":
                    score = max(score, 86.0 + min(len(candidate), 13))  # named inside a sentence; longer wins
                if score > best[0]:
                    best = (score, value)
        return best[1] if best[0] >= 85 else None

    @property
    def data(self) -> dict[str, Any]:
        """Scratch data of the conversation, saved with it (steps use their own keys)."""
        return self.conversation.data

    @property
    def step_name(self) -> str | None:
        """The question the person is on."""
        return self.conversation.step

    # --- What we answer -------------------------------------------------------------------

    def say(self, text: str, *, buttons: Sequence[ActionButton] = (), document: Document | None = None) -> None:
        """Add a message to the answer (one idea per message; at most three in a row)."""
        rows = tuple((self.button_for(b),) for b in buttons)
        self.replies.append((Reply(text=text, buttons=rows, document=document), None))

    def button_for(self, action: ActionButton) -> Button:
        """A signed action button."""
        return Button(action.label, self.world.signer.action(self.person.id, action.name, action.argument))

    def action(self, label: str, name: str, argument: str = "") -> ActionButton:
        """An action button to pass to ``say`` or a question's ``extra_buttons``."""
        return ActionButton(label, name, argument)

    # --- Where the conversation goes ------------------------------------------------------

    def goto(self, step: str, say: str | None = None) -> Goto:
        """Go to another question (after saying ``say``)."""
        if say:
            self.say(say)
        return Goto(step)

    def next(self, step: str, say: str | None = None) -> Goto | Done:
        """Go on with the script, or back to the profile when the person is changing one answer."""
        if say:
            self.say(say)
        return Done() if self.data.get("editing") else Goto(step)

    def call(self, step: str, say: str | None = None) -> Goto:
        """Go to a question, and come back to the current one when it is done."""
        if self.conversation.step and self.conversation.step != step:
            self.conversation.stack = [*self.conversation.stack, self.conversation.step][-5:]
        return self.goto(step, say)

    def done(self, say: str | None = None) -> Done:
        """This piece of conversation is over."""
        if say:
            self.say(say)
        return Done()

    def stay(self, say: str | None = None, *, reask: bool = False, redraw: bool = False) -> Stay:
        """Stay on the current question."""
        if say:
            self.say(say)
        return Stay(redraw=redraw, reask=reask)

    def resume(self, say: str | None = None) -> Stay:
        """After an interruption (help, a question...), ask the current question again."""
        return self.stay(say, reask=True)

    def not_understood(self) -> NotUnderstood:
        """The message is not an answer to the question."""
        return NotUnderstood()

    # --- Messages outside this answer -----------------------------------------------------

    async def plan(
        self,
        *,
        key: str,
        text: str,
        due_at: dt.datetime,
        kind: str,
        category: str,
        buttons: Sequence[ActionButton] = (),
        appointment_id: int | None = None,
        expires_at: dt.datetime | None = None,
        document: Document | None = None,
    ) -> int | None:
        """Queue a message to this person for later (a reminder, a nudge). Idempotent by ``key``."""
        reply = Reply(text=text, buttons=tuple((self.button_for(b),) for b in buttons), document=document)
        message_id = await self.uow.outbox.add(
            key=key, channel=self.person.channel, chat_id=self.person.chat_id, kind=kind, category=category,
            payload=reply_payload(reply), due_at=due_at, now=self.now, person_id=self.person.id,
            appointment_id=appointment_id, expires_at=expires_at,
        )
        if message_id is not None and due_at <= self.now:
            self.planned.append(message_id)
        return message_id

    async def send_to(
        self,
        *,
        channel: str,
        chat_id: str,
        text: str,
        key: str,
        kind: str,
        person_id: int | None = None,
        buttons: Sequence[tuple[str, str]] = (),
        document: Document | None = None,
        category: str = ESSENTIAL,
        urgent: bool = False,
    ) -> int | None:
        """Send a message now to another chat (an advisor). ``buttons`` are (label, data) pairs already signed;
        ``urgent`` (someone in danger) goes before anything else waiting to be sent."""
        reply = Reply(text=text, buttons=tuple((Button(label, data),) for label, data in buttons), document=document)
        message_id = await self.uow.outbox.add(
            key=key, channel=channel, chat_id=chat_id, kind=kind, category=category, payload=reply_payload(reply),
            due_at=self.now, now=self.now, person_id=person_id, urgent=urgent,
        )
        if message_id is not None:
            self.planned.append(message_id)
        return message_id


def reply_payload(reply: Reply, edit_message_id: str | None = None) -> dict[str, Any]:
    """A reply as stored in the outbox (channel-neutral JSON)."""
    payload: dict[str, Any] = {
        "text": reply.text,
        "buttons": [[{"label": b.label, "data": b.data} for b in row] for row in reply.buttons],
    }
    if reply.document is not None:
        payload["document"] = {
            "filename": reply.document.filename,
            "mime_type": reply.document.mime_type,
            "content_b64": base64.b64encode(reply.document.content).decode("ascii"),
        }
    if edit_message_id:
        payload["edit_message_id"] = edit_message_id
    return payload


def payload_reply(payload: dict[str, Any]) -> Reply:
    """The reply stored in an outbox payload."""
    document = payload.get("document")
    return Reply(
        text=payload.get("text", ""),
        buttons=tuple(tuple(Button(b["label"], b["data"]) for b in row) for row in payload.get("buttons", [])),
        document=Document(document["filename"], base64.b64decode(document["content_b64"]), document["mime_type"])
        if document
        else None,
    )


def _split_list(text: str) -> list[str]:
    return [p.strip() for p in re.split(r",|;|\bet\b|\bou\b|\bpuis\b|\+|/|\n|&", text, flags=re.IGNORECASE)]
