"""The result of understanding one message, in the shape of Rasa's ``/model/parse``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class IntentScore:
    """One intent and how sure the classifier is of it (0..1)."""

    name: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Entity:
    """One entity found in the text; ``value`` is canonical whatever the spelling typed."""

    entity: str
    value: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ParseResult:
    """What a backend understood of a message."""

    text: str
    intent: IntentScore
    entities: tuple[Entity, ...] = ()
    intent_ranking: tuple[IntentScore, ...] = field(default=())

    def entity(self, name: str) -> str | None:
        """The value of the first entity called ``name``, or None."""
        return next((e.value for e in self.entities if e.entity == name), None)

    def entity_values(self, name: str) -> list[str]:
        """Every distinct value of the entities called ``name``, in order of appearance."""
        seen: list[str] = []
        for e in self.entities:
            if e.entity == name and e.value not in seen:
                seen.append(e.value)
        return seen

    def to_dict(self) -> dict[str, Any]:
        """The Rasa ``/model/parse`` JSON shape."""
        return {
            "text": self.text,
            "intent": {"name": self.intent.name, "confidence": self.intent.confidence},
            "entities": [
                {"entity": e.entity, "value": e.value, "start": e.start, "end": e.end} for e in self.entities
            ],
            "intent_ranking": [{"name": i.name, "confidence": i.confidence} for i in self.intent_ranking],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ParseResult:
        """Read a Rasa ``/model/parse`` JSON answer."""
        intent = data.get("intent") or {}
        return cls(
            text=data.get("text", ""),
            intent=IntentScore(intent.get("name") or "out_of_scope", float(intent.get("confidence") or 0.0)),
            entities=tuple(
                Entity(e["entity"], str(e["value"]), int(e.get("start", 0)), int(e.get("end", 0)))
                for e in data.get("entities") or []
            ),
            intent_ranking=tuple(
                IntentScore(i["name"], float(i.get("confidence") or 0.0)) for i in data.get("intent_ranking") or []
            ),
        )
