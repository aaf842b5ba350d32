"""Test kit: talk to the engine like a person (send text, press buttons), with a scripted NLU."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from bot.delivery import Delivery
from flows.assistant import build_engine
from flows.data.catalogue import Catalogue, load_catalogue
from flows.data.territory import Territory, fold, load_territory
from flows.engine.buttons import ButtonSigner
from flows.engine.engine import Engine
from flows.engine.events import BUTTON, COMMAND, TEXT, Button, Event, PersonRef, Reply
from flows.engine.world import World
from flows.rules.clock import FixedClock
from flows.rules.settings import ConversationSettings
from nlu.result import Entity, IntentScore, ParseResult
from storage import Database
from storage.outbox import OutboxMessage

ROOT = Path(__file__).resolve().parents[1]
PARIS = dt.timezone(dt.timedelta(hours=1))


@functools.cache
def territory() -> Territory:
    """The territory of the data files (read once: it is immutable, and reading it took 20 ms a harness)."""
    return load_territory(ROOT / "data/communes.yml", ROOT / "data/missions_locales.yml")


class ScriptedNlu:
    """An NLU that understands exactly what the test says it understands (default: nothing)."""

    def __init__(self) -> None:
        self.rules: dict[str, ParseResult] = {}

    def learn(self, text: str, intent: str, confidence: float = 0.95, **entities: str) -> None:
        """From now on, ``text`` means ``intent`` with these entities."""
        found = tuple(Entity(name, value, 0, len(text)) for name, value in entities.items())
        ranking = (IntentScore(intent, confidence), IntentScore("out_of_scope", round(1 - confidence, 3)))
        self.rules[text] = ParseResult(text, IntentScore(intent, confidence), found, ranking)

    def hesitate(self, text: str, *ranking: tuple[str, float]) -> None:
        """``text`` gets this ranking, the first one below any sensible threshold."""
        scores = tuple(IntentScore(name, conf) for name, conf in ranking)
        self.rules[text] = ParseResult(text, scores[0], (), scores)

    async def parse(self, text: str, now: object = None) -> ParseResult:
        found = self.rules.get(text)
        if found is not None:
            return found
        return ParseResult(text, IntentScore("out_of_scope", 0.1), (), (IntentScore("out_of_scope", 0.1),))


class RecordingSender:
    """A channel that keeps what it is asked to send."""

    channels = ("test",)

    def __init__(self) -> None:
        self.sent: list[tuple[str, Reply, str | None, int]] = []

    async def send(self, message: OutboxMessage, reply: Reply, edit_message_id: str | None) -> str | None:
        self.sent.append((message.chat_id, reply, edit_message_id, message.id))
        return str(message.id)


@dataclass
class Harness:
    """An engine on a database, with a fixed clock, a scripted NLU and a recording channel."""

    db: Database
    engine: Engine
    world: World
    clock: FixedClock
    nlu: ScriptedNlu
    sender: RecordingSender
    delivery: Delivery

    def chat(self, user: str = "ines") -> Chat:
        """A person talking to the assistant."""
        return Chat(self, user)


@functools.cache
def data_catalogue() -> Catalogue:
    """The catalogue of the data files (read once: it is immutable)."""
    return load_catalogue(ROOT / "data/catalogue", territory())


DATA_FILES = "data files"  # make_harness(catalogue=...) default: the real catalogue


def make_harness(db: Database, *, nlu: object | None = None, at: dt.datetime | None = None,
                 settings: ConversationSettings | None = None,
                 catalogue: Catalogue | str | None = DATA_FILES) -> Harness:
    """Everything needed to talk to the engine in a test (``catalogue=None``: a world without one)."""
    clock = FixedClock(at or dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC))
    scripted = nlu if nlu is not None else ScriptedNlu()
    world = World(
        settings=settings or ConversationSettings(),
        territory=territory(),
        clock=clock,
        signer=ButtonSigner(b"test-key"),
        nlu=scripted,  # type: ignore[arg-type]
        catalogue=data_catalogue() if catalogue == DATA_FILES else catalogue,  # type: ignore[arg-type]
    )
    sender = RecordingSender()
    return Harness(db, build_engine(db, world), world, clock, scripted, sender,  # type: ignore[arg-type]
                   Delivery(db, [sender], clock))


@dataclass
class Chat:
    """One person's side of the conversation."""

    harness: Harness
    user: str
    received: list[Reply] = field(default_factory=list)
    last_ack: str | None = None
    _keyboard_message: str | None = None

    @property
    def ref(self) -> PersonRef:
        return PersonRef("test", self.user, self.user)

    async def _handle(self, event: Event) -> list[Reply]:
        outcome = await self.harness.engine.handle(event)
        self.last_ack = outcome.ack
        before = len(self.harness.sender.sent)
        await self.harness.delivery.deliver(outcome.outbox_ids)
        mine = [(r, edit, mid) for chat, r, edit, mid in self.harness.sender.sent[before:] if chat == self.user]
        for reply, edit, message_id in mine:
            if reply.buttons:
                self._keyboard_message = edit or str(message_id)
        replies = [r for r, _, _ in mine]
        self.received.extend(replies)
        return replies

    async def send(self, text: str) -> list[Reply]:
        """Type a message."""
        return await self._handle(Event(self.ref, TEXT, text=text, key=uuid.uuid4().hex))

    async def command(self, name: str) -> list[Reply]:
        """Send /name."""
        return await self._handle(Event(self.ref, COMMAND, text=f"/{name}", command=name, key=uuid.uuid4().hex))

    def button(self, label: str) -> Button:
        """The button with this label in the latest keyboard received."""
        for reply in reversed(self.received):
            if reply.buttons:
                for row in reply.buttons:
                    for button in row:
                        if fold(button.label.removeprefix("✅ ")) == fold(label):
                            return button
                labels = [b.label for row in reply.buttons for b in row]
                raise AssertionError(f"no button {label!r} in the last keyboard: {labels}")
        raise AssertionError("no keyboard received yet")

    async def press(self, label: str) -> list[Reply]:
        """Press the button with this label in the latest keyboard."""
        return await self.tap(self.button(label))

    async def tap(self, button: Button) -> list[Reply]:
        """Press a given button (possibly an old one)."""
        return await self._handle(
            Event(self.ref, BUTTON, payload=button.data, message_id=self._keyboard_message, key=uuid.uuid4().hex)
        )

    @property
    def texts(self) -> list[str]:
        """Every text received so far."""
        return [r.text for r in self.received]

    @property
    def last(self) -> Reply:
        """The latest message received."""
        return self.received[-1]

    @property
    def labels(self) -> list[str]:
        """The labels of the latest keyboard."""
        for reply in reversed(self.received):
            if reply.buttons:
                return [b.label for row in reply.buttons for b in row]
        return []
