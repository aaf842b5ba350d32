"""What both backends do around the classifier: Telegram commands, the distress net, extra entities.

The alarm itself (emergency numbers, advisors alerted) is decided by ``nlu.safety.raises_alarm`` on the
result, not by the top intent alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from nlu.age import find_ages
from nlu.dates import find_parts_of_day, find_times
from nlu.names import find_first_name
from nlu.result import Entity, IntentScore, ParseResult
from nlu.safety import DISTRESS, looks_like_distress

__all__ = ["DISTRESS", "NET_CONFIDENCE", "apply_safety_net", "command_result", "extra_entities", "is_command",
           "merge_entities"]
# The confidence given to distress when only the safety net saw it: above any sensible threshold.
NET_CONFIDENCE = 0.9


def is_command(text: str) -> bool:
    """Telegram commands ("/start", "/aide") are the bot's business, never the classifier's."""
    return text.lstrip().startswith("/")


def command_result(text: str) -> ParseResult:
    """The result for a command: ``out_of_scope`` at confidence 0, no entities."""
    return ParseResult(text=text, intent=IntentScore("out_of_scope", 0.0), entities=(),
                       intent_ranking=(IntentScore("out_of_scope", 0.0),))


def apply_safety_net(normalised: str, ranking: Sequence[IntentScore]) -> tuple[IntentScore, ...]:
    """Put ``distress`` first when the patterns see danger, whatever the classifier ranked first."""
    if not ranking or ranking[0].name == DISTRESS or not looks_like_distress(normalised):
        return tuple(ranking)
    current = next((r.confidence for r in ranking if r.name == DISTRESS), 0.0)
    boosted = max(current, NET_CONFIDENCE)
    rest = [r for r in ranking if r.name != DISTRESS]
    total = sum(r.confidence for r in rest) or 1.0
    scale = (1.0 - boosted) / total
    return (IntentScore(DISTRESS, boosted), *(IntentScore(r.name, r.confidence * scale) for r in rest))


def extra_entities(text: str, now: dt.datetime | None, timezone: str) -> list[Entity]:
    """Dates and times, parts of the day, ages and the first name (no Duckling in our Rasa: both backends
    use these). ``first_name`` is given when the message introduces a name ("je m'appelle Inès et je
    cherche…", "moi c yanis", "c'est Sami") or is a known first name and nothing else ("Moussa",
    "Fatoumata et toi ?"); never for a bare unknown word. A bare "Antony" is both a first name and a
    commune: the step that asked decides which it is."""
    found = [*find_times(text, now, timezone), *find_parts_of_day(text), *find_ages(text)]
    entities = [Entity(m.entity, m.value, m.start, m.end) for m in found]
    name = find_first_name(text)
    if name is not None:
        entities.append(Entity("first_name", name.value, name.start, name.end))
    return entities


def merge_entities(primary: Iterable[Entity], secondary: Iterable[Entity]) -> tuple[Entity, ...]:
    """``primary`` (communes, sectors) plus the ``secondary`` ones that do not overlap them, by position."""
    kept = list(primary)
    spans = [(e.start, e.end) for e in kept]
    for e in secondary:
        if e.entity in ("time", "age") and any(s < e.end and e.start < t for s, t in spans):
            continue  # "92600" is a postcode, not a time
        kept.append(e)
    return tuple(sorted(kept, key=lambda e: (e.start, e.end, e.entity)))
