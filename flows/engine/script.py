"""The vocabulary of a conversation script: questions, steps, and the handlers of intents, commands
and action buttons. Capability modules register theirs at import time; ``flows.engine.engine`` runs them.

A step is a question (``ask``) and what to do with the answer (``answer``)::

    commune = Step("onboarding.commune", back=age.name)

    @commune.ask
    async def _(t: Turn) -> Question:
        return Question("Tu habites dans quelle ville ?", options=[...])

    @commune.answer
    async def _(t: Turn) -> Next:
        ...
        return t.goto(schooling.name, say="Noté.")

A step is named by its object (``age.name``); where only a string will do (a cycle between capabilities, the
engine, which sits below them), tests/flows/test_declarations.py checks that it names a registered step.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from flows.engine.advisor_turn import AdvisorTurn
    from flows.engine.events import Outcome
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
    # A choice of what to do next (the home menu, the ideas), not a question waiting for an answer: "non, autre
    # chose" to a guess is asked in other words there, and the question is simply resumed elsewhere.
    open_ended: bool = False
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
# The intents offered in "Tu voulais dire… ?" when the NLU hesitates, and their button label (``on_intent(offer=)``).
OFFERS: dict[str, str] = {}
COMMAND_HANDLERS: dict[str, HandlerFn] = {}
ACTION_HANDLERS: dict[str, HandlerFn] = {}
# The young people's command menu, listed by /aide and published to Telegram (``command_menu``).
COMMAND_DESCRIPTIONS: dict[str, str] = {}
COMMAND_RANKS: dict[str, int] = {}  # each described command's place in that menu, smallest first
# Run before a person's data is erased (cancel their appointments, tell the structure...).
ERASURE_HOOKS: list[Callable[[Turn], Awaitable[None]]] = []
# Run before anything else for a young person's event; True when one of them handled it (a person has taken
# over the conversation: flows/handoff/).
INTERCEPTORS: list[Callable[[Turn, Outcome], Awaitable[bool]]] = []
# Read a message that the question on screen did not understand; True when they kept something of it.
UNREAD_READERS: list[Callable[[Turn], Awaitable[bool]]] = []

# The advisors' side (flows/engine/advisor_turn.py): tables of their own, run only once the engine has checked
# that the sender is a registered advisor, so that a young person's /jeunes is an unknown command like any other.
AdvisorHandlerFn = Callable[["AdvisorTurn"], Awaitable[None]]
ADVISOR_COMMAND_HANDLERS: dict[str, AdvisorHandlerFn] = {}
ADVISOR_COMMAND_DESCRIPTIONS: dict[str, str] = {}
ADVISOR_ACTION_HANDLERS: dict[str, AdvisorHandlerFn] = {}
# What an advisor writes that is neither a command nor a button (a reply to a card, a photo...).
ADVISOR_MESSAGE_HANDLERS: list[AdvisorHandlerFn] = []

Handler = TypeVar("Handler", bound=Callable[..., Awaitable[Any]])


def _register(table: dict[str, Handler], kind: str, names: tuple[str, ...]) -> Callable[[Handler], Handler]:
    def decorate(fn: Handler) -> Handler:
        for name in names:
            if name in table:
                raise ValueError(f"{kind} {name} has two handlers")
            table[name] = fn
        return fn

    return decorate


def on_intent(*names: str, offer: str | None = None) -> Callable[[HandlerFn], HandlerFn]:
    """Register the handler of one or more intents (free text understood by the NLU).

    ``offer``: the label of the intent's button in "Tu voulais dire… ?" (one intent per declaration; without
    it the intent is never offered: small talk, bare facts).
    """
    if offer is not None:
        if len(names) != 1:
            raise ValueError(f"intents {', '.join(names)}: an offer labels one intent, declare them one by one")
        if names[0] in OFFERS:
            raise ValueError(f"intent {names[0]} is offered twice")
        OFFERS[names[0]] = offer
    return _register(INTENT_HANDLERS, "intent", names)


def on_command(name: str, description: str | None = None, *, rank: int | None = None
               ) -> Callable[[HandlerFn], HandlerFn]:
    """Register a /command; with a description and its ``rank`` it is in the young people's menu (/aide and
    Telegram's, ``command_menu``)."""
    if (description is None) != (rank is None):
        raise ValueError(f"command {name}: a description goes with its rank in the menu")
    if description is not None and rank is not None:
        if rank in COMMAND_RANKS.values():
            raise ValueError(f"command {name}: rank {rank} is already taken")
        COMMAND_DESCRIPTIONS[name] = description
        COMMAND_RANKS[name] = rank
    return _register(COMMAND_HANDLERS, "command", (name,))


def command_menu() -> list[tuple[str, str]]:
    """The young people's commands and what they do, in the menu's order: what /aide lists and Telegram shows."""
    return sorted(COMMAND_DESCRIPTIONS.items(), key=lambda item: COMMAND_RANKS[item[0]])


def on_action(name: str) -> Callable[[HandlerFn], HandlerFn]:
    """Register the handler of an action button (``a.<name>.<argument>``)."""
    return _register(ACTION_HANDLERS, "action", (name,))


ErasureHook = Callable[["Turn"], Awaitable[None]]
_ERASURE_ORDER: dict[ErasureHook, int] = {}


def on_erasure(order: int) -> Callable[[ErasureHook], ErasureHook]:
    """Register something to do before a person's data is erased (it runs in the erasure's transaction).

    ``order`` says when, lowest first, whatever the order the modules were imported in: the booking's
    cancellation (10) tells the structure before the hand-off's notice closes the request (20)."""
    def register(fn: ErasureHook) -> ErasureHook:
        _ERASURE_ORDER[fn] = order
        ERASURE_HOOKS.append(fn)
        ERASURE_HOOKS.sort(key=_ERASURE_ORDER.__getitem__)
        return fn

    return register


def intercepts(fn: Callable[[Turn, Outcome], Awaitable[bool]]) -> Callable[[Turn, Outcome], Awaitable[bool]]:
    """Register a function that sees every young person's event first and may handle it alone."""
    INTERCEPTORS.append(fn)
    return fn


def on_unread(fn: Callable[[Turn], Awaitable[bool]]) -> Callable[[Turn], Awaitable[bool]]:
    """Register a reader of the messages no question understood (a fact given in passing)."""
    UNREAD_READERS.append(fn)
    return fn


def on_advisor_command(name: str, description: str | None = None) -> Callable[[AdvisorHandlerFn], AdvisorHandlerFn]:
    """Register an advisor's /command; with a description it is listed in their /aide."""
    if description:
        ADVISOR_COMMAND_DESCRIPTIONS[name] = description
    return _register(ADVISOR_COMMAND_HANDLERS, "advisor command", (name,))


def on_advisor_action(name: str) -> Callable[[AdvisorHandlerFn], AdvisorHandlerFn]:
    """Register the handler of an advisor's button (``a.<name>.<argument>``, signed for the advisor)."""
    return _register(ADVISOR_ACTION_HANDLERS, "advisor action", (name,))


def on_advisor_message(fn: AdvisorHandlerFn) -> AdvisorHandlerFn:
    """Register a handler of what an advisor writes or sends that is neither a command nor a button."""
    ADVISOR_MESSAGE_HANDLERS.append(fn)
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
