"""The vocabulary of a conversation script: questions, steps, and the handlers of intents, commands
and action buttons. Capability modules register theirs at import time; ``flows.engine.engine`` runs them.

A step is a question (``ask``) and what to do with the answer (``answer``)::

    commune = Step("onboarding.commune", back="onboarding.age")

    @commune.ask
    async def _(t: Turn) -> Question:
        return Question("Tu habites dans quelle ville ?", options=[...])

    @commune.answer
    async def _(t: Turn) -> Next:
        ...
        return t.goto("onboarding.schooling", say="Noté.")
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flows.engine.turn import Turn


@dataclass(frozen=True, slots=True)
class Option:
    """A choice offered as a button; typing its label (or an alias) chooses it too."""

    value: str
    label: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ActionButton:
    """A button that runs an action handler (see ``action``) rather than answering the question."""

    label: str
    name: str
    argument: str = ""


@dataclass(slots=True)
class Question:
    """What a step asks: a few short messages, the last one with the options as buttons."""

    text: str
    options: Sequence[Option] = ()
    before: Sequence[str] = ()  # short messages said first (why we ask, what it is for)
    extra_buttons: Sequence[ActionButton] = ()
    columns: int = 2


# What handling an answer leads to.
@dataclass(frozen=True, slots=True)
class Goto:
    step: str


@dataclass(frozen=True, slots=True)
class Stay:
    """Remain on the question; ``redraw`` re-renders its keyboard in place (multi-select)."""

    redraw: bool = False
    reask: bool = False


@dataclass(frozen=True, slots=True)
class Done:
    """The current piece of conversation is over: back to the question it interrupted, or home."""


@dataclass(frozen=True, slots=True)
class NotUnderstood:
    pass


Next = Goto | Stay | Done | NotUnderstood
AskFn = Callable[["Turn"], Awaitable[Question]]
AnswerFn = Callable[["Turn"], Awaitable[Next]]
HandlerFn = Callable[["Turn"], Awaitable[Next]]


@dataclass
class Step:
    """One question of the conversation and what its answer does."""

    name: str
    back: str | None = None  # where "retour" goes
    skip: str | None = None  # where "passer" goes (None: the question cannot be skipped)
    free_text: bool = False  # the answer is free text (a first name): global intents need more confidence
    # What "passer" does, when more than going to ``skip`` (onboarding notes the field as answered).
    on_skip: HandlerFn | None = field(default=None, repr=False)
    # Whether a message reads as an answer to this question: then a hesitant NLU's distress guess
    # is not a crisis (a first name at the first-name question, "licence" at the diploma one).
    understands: Callable[[Turn], bool] | None = field(default=None, repr=False)
    # Requests that wait until this part of the conversation is over: intent -> what to say now.
    later: dict[str, str] = field(default_factory=dict, repr=False)
    # When a flow that interrupted this question ends: what to do instead of asking it again (None: ask
    # it). A profile question answered in the meantime is not asked twice.
    on_resume: Callable[[Turn], Awaitable[Next | None]] | None = field(default=None, repr=False)
    _ask: AskFn | None = field(default=None, repr=False)
    _answer: AnswerFn | None = field(default=None, repr=False)
    _explain: AskFn | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.name in STEPS:
            raise ValueError(f"step {self.name} is defined twice")
        STEPS[self.name] = self

    def ask(self, fn: AskFn) -> AskFn:
        """Decorate the function that builds the question."""
        self._ask = fn
        return fn

    def answer(self, fn: AnswerFn) -> AnswerFn:
        """Decorate the function that handles the answer."""
        self._answer = fn
        return fn

    def explain(self, fn: AskFn) -> AskFn:
        """Decorate the function that asks again in other words, after two misunderstandings."""
        self._explain = fn
        return fn

    async def question(self, t: Turn) -> Question:
        """The question, as it is asked now."""
        assert self._ask is not None, f"step {self.name} has no question"
        return await self._ask(t)

    async def handle(self, t: Turn) -> Next:
        """Handle the answer."""
        assert self._answer is not None, f"step {self.name} has no answer handler"
        return await self._answer(t)

    async def explanation(self, t: Turn) -> Question | None:
        """The question in other words, if the step has one."""
        return await self._explain(t) if self._explain else None


STEPS: dict[str, Step] = {}
INTENT_HANDLERS: dict[str, HandlerFn] = {}
COMMAND_HANDLERS: dict[str, HandlerFn] = {}
ACTION_HANDLERS: dict[str, HandlerFn] = {}
COMMAND_DESCRIPTIONS: dict[str, str] = {}
# Run before a person's data is erased (cancel their appointments, tell the structure...).
ERASURE_HOOKS: list[Callable[[Turn], Awaitable[None]]] = []
# Read a message that the question on screen did not understand; True when they kept something of it.
UNREAD_READERS: list[Callable[[Turn], Awaitable[bool]]] = []


def _register(table: dict[str, HandlerFn], kind: str, names: tuple[str, ...]) -> Callable[[HandlerFn], HandlerFn]:
    def decorate(fn: HandlerFn) -> HandlerFn:
        for name in names:
            if name in table:
                raise ValueError(f"{kind} {name} has two handlers")
            table[name] = fn
        return fn

    return decorate


def on_intent(*names: str) -> Callable[[HandlerFn], HandlerFn]:
    """Register the handler of one or more intents (free text understood by the NLU)."""
    return _register(INTENT_HANDLERS, "intent", names)


def on_command(name: str, description: str | None = None) -> Callable[[HandlerFn], HandlerFn]:
    """Register a /command; with a description it appears in the Telegram command menu."""
    if description:
        COMMAND_DESCRIPTIONS[name] = description
    return _register(COMMAND_HANDLERS, "command", (name,))


def on_action(name: str) -> Callable[[HandlerFn], HandlerFn]:
    """Register the handler of an action button (``a.<name>.<argument>``)."""
    return _register(ACTION_HANDLERS, "action", (name,))


def on_erasure(fn: Callable[[Turn], Awaitable[None]]) -> Callable[[Turn], Awaitable[None]]:
    """Register something to do before a person's data is erased (it runs in the erasure's transaction)."""
    ERASURE_HOOKS.append(fn)
    return fn


def on_unread(fn: Callable[[Turn], Awaitable[bool]]) -> Callable[[Turn], Awaitable[bool]]:
    """Register a reader of the messages no question understood (a fact given in passing)."""
    UNREAD_READERS.append(fn)
    return fn


def step(name: str) -> Step:
    """The registered step called ``name``."""
    try:
        return STEPS[name]
    except KeyError:
        raise KeyError(f"no step called {name}") from None


def options_payload(options: Sequence[Option]) -> list[list[Any]]:
    """Options as stored in the conversation state, to recognise a typed answer later."""
    return [[o.value, o.label, list(o.aliases)] for o in options]
