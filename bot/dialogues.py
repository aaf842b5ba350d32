"""Whole conversations played through the real engine and NLU: how well onboarding understands.

A dialogue (``nlu/dialogues/*.yml``, format in its README) is what a young person types, in order,
free text only, and the profile it must end with. Each is played as a new person on a scratch SQLite
database, with the NLU backend under test and a fixed clock; the report gives field accuracy,
completion, turns per onboarding, misunderstandings, crisis alarms (false and missed) and the worst
conversations.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.delivery import Delivery
from flows.assistant import build_engine
from flows.data.catalogue import Catalogue
from flows.data.territory import OUTSIDE, Territory, fold
from flows.engine.buttons import ButtonSigner
from flows.engine.events import TEXT, Event, PersonRef, Reply
from flows.engine.world import World
from flows.profile.fields import FIELDS
from flows.rules.clock import FixedClock
from flows.rules.settings import ConversationSettings
from nlu.training_data import DATA_DIR
from storage import Database, crypto
from storage.migrate import upgrade
from storage.outbox import OutboxMessage

DIALOGUES = DATA_DIR.parent / "dialogues"  # nlu/dialogues
CHANNEL = "dialogue"
CRISIS_OPENING = "Je suis là. Ce que tu vis compte."  # flows/handoff/distress.py's first words
START = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)  # a Tuesday morning


@dataclass(frozen=True)
class Dialogue:
    """One conversation of the corpus."""

    id: str
    turns: tuple[str, ...]
    profile: dict[str, Any]
    complete: bool = True
    distress: bool = False
    erased: bool = False  # nothing must be kept at the end (an age confirmed outside 16-25)
    tags: tuple[str, ...] = ()
    source: str = ""


@dataclass
class Played:
    """What happened when one dialogue was played."""

    dialogue: Dialogue
    stored: dict[str, Any]
    wrong: dict[str, tuple[Any, Any]]  # field -> (expected, stored)
    completed: bool
    turns_to_complete: int | None
    misunderstood: int
    alarms: int
    transcript: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def right(self) -> int:
        return self.expected - len(self.wrong)

    @property
    def expected(self) -> int:
        """How many facts are checked: the fields, or that nothing was kept."""
        return len(self.dialogue.profile) + self.dialogue.erased

    @property
    def errors(self) -> int:
        """How bad it went: wrong fields, an onboarding not finished, a false or missed alarm."""
        missed = self.dialogue.distress and not self.alarms
        false = not self.dialogue.distress and self.alarms
        return len(self.wrong) + (self.dialogue.complete and not self.completed) + 3 * (missed or false)


@dataclass
class DialogueReport:
    """The figures of a corpus, for one backend."""

    backend: str
    played: list[Played]

    @property
    def field_accuracy(self) -> float:
        total = sum(p.expected for p in self.played)
        return sum(p.right for p in self.played) / total if total else 1.0

    @property
    def completion(self) -> float:
        expected = [p for p in self.played if p.dialogue.complete]
        return sum(p.completed for p in expected) / len(expected) if expected else 1.0

    @property
    def false_alarms(self) -> int:
        return sum(p.alarms for p in self.played if not p.dialogue.distress)

    @property
    def missed_alarms(self) -> int:
        return sum(1 for p in self.played if p.dialogue.distress and not p.alarms)

    @property
    def misunderstood(self) -> int:
        return sum(p.misunderstood for p in self.played)

    def turns(self, tag: str | None = None) -> float:
        """Average messages typed until the onboarding was complete (``tag``: those dialogues only)."""
        done = [p.turns_to_complete for p in self.played
                if p.turns_to_complete is not None and (tag is None or tag in p.dialogue.tags)]
        return sum(done) / len(done) if done else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend, "dialogues": len(self.played), "field_accuracy": round(self.field_accuracy, 4),
            "completion": round(self.completion, 4), "turns_per_onboarding": round(self.turns(), 2),
            "turns_several_facts": round(self.turns("several_facts"), 2), "questions": len(FIELDS) + 1,
            "misunderstood": self.misunderstood, "false_alarms": self.false_alarms,
            "missed_alarms": self.missed_alarms,
        }

    def format(self, worst: int = 8) -> str:
        figures = self.to_dict()
        lines = [
            f"Dialogues: {figures['dialogues']} played on the {self.backend} backend",
            f"  field accuracy        {self.field_accuracy:.3f}",
            f"  completion            {self.completion:.1%}",
            f"  turns per onboarding  {self.turns():.1f} (opening with several facts: "
            f"{self.turns('several_facts'):.1f}; questions: {len(FIELDS) + 1} with the consent)",
            f"  misunderstandings     {self.misunderstood}",
            f"  false crisis alarms   {self.false_alarms}",
            f"  missed crisis alarms  {self.missed_alarms}",
        ]
        bad = sorted((p for p in self.played if p.errors), key=lambda p: -p.errors)[:worst]
        if bad:
            lines.append("Worst conversations:")
        for p in bad:
            wrong = ", ".join(f"{name}: {want!r} -> {got!r}" for name, (want, got) in p.wrong.items())
            state = "complete" if p.completed else "NOT complete"
            lines.append(f"  {p.dialogue.id} ({p.dialogue.source}): {state}; {wrong or 'fields right'}; "
                         f"{p.misunderstood} misunderstood, {p.alarms} alarm(s)")
        return "\n".join(lines)


def load_dialogues(path: Path = DIALOGUES) -> list[Dialogue]:
    """Every dialogue of a file or of the ``*.yml`` files of a folder."""
    files = sorted(path.glob("*.yml")) if path.is_dir() else [path]
    found: list[Dialogue] = []
    for file in files:
        doc = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        for item in doc.get("dialogues") or []:
            found.append(Dialogue(
                id=str(item["id"]), turns=tuple(str(t) for t in item["turns"]), profile=dict(item.get("profile") or {}),
                complete=bool(item.get("complete", True)), distress=bool(item.get("distress", False)),
                erased=bool(item.get("erased", False)),
                tags=tuple(item.get("tags") or ()), source=file.name,
            ))
    ids = [d.id for d in found]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"dialogue ids used twice: {sorted(duplicates)}")
    return found


class _Inbox:
    """A channel that keeps the texts sent to each chat."""

    channels = (CHANNEL,)

    def __init__(self) -> None:
        self.texts: dict[str, list[str]] = {}

    async def send(self, message: OutboxMessage, reply: Reply, edit_message_id: str | None) -> str | None:
        self.texts.setdefault(message.chat_id, []).append(reply.text)
        return str(message.id)


def _expected(name: str, value: Any, territory: Territory) -> Any:
    if name == "commune" and isinstance(value, str):
        if fold(value) in ("hors92", "hors 92", OUTSIDE):
            return OUTSIDE
        found = territory.commune_named(value)
        return found.insee if found else value
    if name in ("obstacles", "sectors"):
        return sorted(value or [])
    if name == "first_name" and isinstance(value, str):
        return fold(value).replace("-", " ")
    return value


def _stored(name: str, value: Any) -> Any:
    if name in ("obstacles", "sectors"):
        return sorted(value or [])
    if name == "first_name" and isinstance(value, str):
        return fold(value).replace("-", " ")
    return value


async def play(dialogues: list[Dialogue], nlu: Any, territory: Territory, catalogue: Catalogue | None,
               *, backend: str, database_url: str | None = None) -> DialogueReport:
    """Play every dialogue as a new person, on a scratch database unless one is given."""
    if not crypto.has_keys():
        crypto.use_keys(crypto.new_key())  # a throwaway key for the scratch database
    with tempfile.TemporaryDirectory(prefix="tremplin-dialogues-") as scratch:
        url = database_url or f"sqlite+aiosqlite:///{scratch}/dialogues.db"
        await asyncio.to_thread(upgrade, url)
        db = Database(url)
        try:
            return DialogueReport(backend, [await _play_one(d, db, nlu, territory, catalogue) for d in dialogues])
        finally:
            await db.dispose()


async def _play_one(dialogue: Dialogue, db: Database, nlu: Any, territory: Territory,
                    catalogue: Catalogue | None) -> Played:
    clock = FixedClock(START)
    world = World(settings=ConversationSettings(), territory=territory, clock=clock,
                  signer=ButtonSigner(b"dialogues"), nlu=nlu, catalogue=catalogue)
    engine = build_engine(db, world)
    inbox = _Inbox()
    user = f"{dialogue.id}-{uuid.uuid4().hex[:6]}"
    ref = PersonRef(CHANNEL, user, user)
    delivery = Delivery(db, [inbox], clock)
    transcript: list[tuple[str, list[str]]] = []
    completed_at: int | None = None
    misunderstood = alarms = 0
    for number, text in enumerate(dialogue.turns, start=1):
        before = len(inbox.texts.get(user, []))
        outcome = await engine.handle(Event(ref, TEXT, text=text, key=uuid.uuid4().hex))
        await delivery.deliver(outcome.outbox_ids)
        said = inbox.texts.get(user, [])[before:]
        transcript.append((text, said))
        misunderstood += outcome.misunderstood
        alarms += sum(1 for s in said if s.startswith(CRISIS_OPENING))
        if completed_at is None and await _onboarded(db, user):
            completed_at = number
        clock.advance(seconds=40)
    stored = await _profile(db, user)
    wrong = {}
    for name, want in dialogue.profile.items():
        expected, got = _expected(name, want, territory), _stored(name, stored.get(name))
        if expected != got:
            wrong[name] = (want, stored.get(name))
    if dialogue.erased and stored:
        wrong["erased"] = (True, False)
    return Played(dialogue, stored, wrong, completed_at is not None, completed_at, misunderstood, alarms,
                  transcript)


async def _onboarded(db: Database, user: str) -> bool:
    async with db.transaction() as uow:
        person = await uow.people.find(CHANNEL, user)
        return person is not None and person.onboarded_at is not None


async def _profile(db: Database, user: str) -> dict[str, Any]:
    async with db.transaction() as uow:
        person = await uow.people.find(CHANNEL, user)
        if person is None:
            return {}
        return {f.name: getattr(person, f.name) for f in FIELDS}
