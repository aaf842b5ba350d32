"""Evaluation of a backend on an annotated Rasa NLU file (by default the held-out test set).

Intent accuracy, per-intent precision / recall / F1 and their macro average, entity precision /
recall / F1 per entity type (gold and predicted values compared after canonicalisation, per
message), the most frequent confusions and the parse latency percentiles; and the distress alarm as
the engine raises it (``nlu.safety.raises_alarm``): its recall on the distress messages, the false
alarms on the other messages, and on every message of ``nlu/false_alarms.yml`` (first names, button
labels, communes, trades, diplomas, short answers, ages: never an alarm).
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from nlu.entities import Gazetteer
from nlu.result import ParseResult
from nlu.safety import DISTRESS, raises_alarm
from nlu.training_data import Example, load_files

HELDOUT = Path(__file__).resolve().parent / "heldout" / "heldout.yml"
FALSE_ALARMS = Path(__file__).resolve().parent / "false_alarms.yml"


class _Parser(Protocol):
    async def parse(self, text: str, now: Any = None) -> ParseResult: ...


@dataclass
class Scores:
    """Precision, recall and F1 of one class or entity type, with its support."""

    precision: float
    recall: float
    f1: float
    support: int

    @classmethod
    def of(cls, tp: int, fp: int, fn: int) -> Scores:
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return cls(p, r, f, tp + fn)


@dataclass
class Report:
    """Everything ``tremplin nlu evaluate`` prints."""

    backend: str
    data: str
    examples: int
    accuracy: float
    macro_f1: float
    intents: dict[str, Scores]
    entities: dict[str, Scores]
    confusions: list[tuple[str, str, int]]
    p50_ms: float
    p99_ms: float
    distress_recall: float  # share of the distress messages that raise the alarm (nlu.safety.raises_alarm)
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (text, gold, predicted)
    missed_alarms: list[str] = field(default_factory=list)  # distress messages that raise no alarm
    false_alarms: list[str] = field(default_factory=list)  # other messages of the data that raise one
    other_messages: int = 0  # the messages of the data that are not distress
    false_alarm_file: str = ""  # nlu/false_alarms.yml, when it was checked
    false_alarm_checked: int = 0  # how many of its messages were parsed
    false_alarm_hits: list[tuple[str, str]] = field(default_factory=list)  # (section, text) raising the alarm

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures (the misclassified texts are left out)."""
        def scores(d: dict[str, Scores]) -> dict[str, dict[str, float]]:
            return {k: {"precision": round(v.precision, 4), "recall": round(v.recall, 4), "f1": round(v.f1, 4),
                        "support": v.support} for k, v in d.items()}

        return {
            "backend": self.backend, "data": self.data, "examples": self.examples,
            "intent_accuracy": round(self.accuracy, 4), "intent_macro_f1": round(self.macro_f1, 4),
            "distress_recall": round(self.distress_recall, 4),
            "distress_alarm": {
                "recall": round(self.distress_recall, 4), "missed": len(self.missed_alarms),
                "false_alarms": len(self.false_alarms), "other_messages": self.other_messages,
            },
            "false_alarm_file": {
                "path": self.false_alarm_file, "messages": self.false_alarm_checked,
                "alarms": len(self.false_alarm_hits),
                "hits": [{"section": sec, "text": text} for sec, text in self.false_alarm_hits],
            },
            "per_intent": scores(self.intents), "entities": scores(self.entities),
            "confusions": [{"gold": g, "predicted": p, "count": n} for g, p, n in self.confusions],
            "latency_ms": {"p50": round(self.p50_ms, 3), "p99": round(self.p99_ms, 3)},
        }

    def format(self) -> str:
        """A short human-readable report."""
        lines = [
            f"NLU evaluation — backend: {self.backend} — data: {self.data} ({self.examples} messages)",
            f"intent accuracy   {self.accuracy:.3f}",
            f"intent macro-F1   {self.macro_f1:.3f}",
            f"distress recall   {self.distress_recall:.3f}   (alarms raised by nlu.safety.raises_alarm)",
            f"false alarms      {len(self.false_alarms)} of {self.other_messages} other messages",
        ]
        if self.false_alarm_file:
            lines.append(f"                  {len(self.false_alarm_hits)} of {self.false_alarm_checked:,} messages of "
                         f"{self.false_alarm_file}")
            lines += [f"                    [{sec}] {text}" for sec, text in self.false_alarm_hits[:20]]
        lines += [
            f"latency           p50 {self.p50_ms:.2f} ms   p99 {self.p99_ms:.2f} ms",
            "",
            "per-intent            precision recall    F1  support",
        ]
        for name, s in sorted(self.intents.items()):
            lines.append(f"  {name:<22}{s.precision:>7.3f}{s.recall:>7.3f}{s.f1:>7.3f}{s.support:>7d}")
        lines += ["", "entities              precision recall    F1  support"]
        for name, s in sorted(self.entities.items()):
            lines.append(f"  {name:<22}{s.precision:>7.3f}{s.recall:>7.3f}{s.f1:>7.3f}{s.support:>7d}")
        lines += ["", "most frequent confusions (gold -> predicted)"]
        lines += [f"  {n:>3} × {g} -> {p}" for g, p, n in self.confusions] or ["  none"]
        return "\n".join(lines)


def canonical_gold(example: Example, gazetteer: Gazetteer) -> set[tuple[str, str]]:
    """The gold (entity, value) pairs, values made canonical like the backends' output."""
    known = {v for v in gazetteer.phrases.values() if v}
    pairs = set()
    for ent in example.entities:
        if (ent.entity, ent.value) in known:
            pairs.add((ent.entity, ent.value))
            continue
        values = {m.value for m in gazetteer.find(ent.value, about_work=True) if m.entity == ent.entity}
        pairs.add((ent.entity, values.pop() if len(values) == 1 else ent.value))
    return pairs


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[k]


def load_false_alarms(path: Path = FALSE_ALARMS) -> dict[str, list[str]]:
    """The sections of ``nlu/false_alarms.yml``: section name -> messages that must raise no alarm."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(section): [str(m) for m in messages or []] for section, messages in doc.items()}


async def check_false_alarms(backend: _Parser, path: Path = FALSE_ALARMS) -> tuple[int, list[tuple[str, str]]]:
    """How many messages of ``path`` were parsed, and the (section, text) of those that raise the alarm."""
    checked = 0
    hits = []
    for section, messages in load_false_alarms(path).items():
        for text in messages:
            checked += 1
            if raises_alarm(await backend.parse(text)):
                hits.append((section, text))
    return checked, hits


async def evaluate(backend: _Parser, examples: list[Example], gazetteer: Gazetteer, *, name: str = "",
                   data: str = "", false_alarm_file: Path | None = FALSE_ALARMS) -> Report:
    """Parse every example with ``backend`` and score the answers; then check ``false_alarm_file``
    (``None``, or a missing file, skips it)."""
    gold_types = sorted({e.entity for ex in examples for e in ex.entities})
    intent_tp: Counter[str] = Counter()
    intent_fp: Counter[str] = Counter()
    intent_fn: Counter[str] = Counter()
    ent_tp: Counter[str] = Counter()
    ent_fp: Counter[str] = Counter()
    ent_fn: Counter[str] = Counter()
    confusions: Counter[tuple[str, str]] = Counter()
    latencies: list[float] = []
    errors = []
    missed_alarms: list[str] = []
    false_alarms: list[str] = []
    correct = 0
    for ex in examples:
        start = time.perf_counter()
        result = await backend.parse(ex.text)
        latencies.append((time.perf_counter() - start) * 1000)
        alarm = raises_alarm(result)
        if ex.intent == DISTRESS and not alarm:
            missed_alarms.append(ex.text)
        elif ex.intent != DISTRESS and alarm:
            false_alarms.append(ex.text)
        predicted = result.intent.name
        if predicted == ex.intent:
            correct += 1
            intent_tp[ex.intent] += 1
        else:
            intent_fp[predicted] += 1
            intent_fn[ex.intent] += 1
            confusions[(ex.intent, predicted)] += 1
            errors.append((ex.text, ex.intent, predicted))
        gold = canonical_gold(ex, gazetteer)
        got = {(e.entity, e.value) for e in result.entities if e.entity in gold_types}
        for kind in gold_types:
            g = {p for p in gold if p[0] == kind}
            p = {q for q in got if q[0] == kind}
            ent_tp[kind] += len(g & p)
            ent_fp[kind] += len(p - g)
            ent_fn[kind] += len(g - p)
    checked, hits = 0, []
    if false_alarm_file is not None and false_alarm_file.exists():
        checked, hits = await check_false_alarms(backend, false_alarm_file)
    distress_total = sum(1 for ex in examples if ex.intent == DISTRESS)
    labels = sorted({ex.intent for ex in examples})
    intents = {label: Scores.of(intent_tp[label], intent_fp[label], intent_fn[label]) for label in labels}
    entities = {kind: Scores.of(ent_tp[kind], ent_fp[kind], ent_fn[kind]) for kind in gold_types}
    return Report(
        backend=name, data=data, examples=len(examples),
        accuracy=correct / len(examples) if examples else 0.0,
        macro_f1=statistics.fmean(s.f1 for s in intents.values()) if intents else 0.0,
        intents=intents, entities=entities,
        confusions=[(g, p, n) for (g, p), n in confusions.most_common(10)],
        p50_ms=_percentile(latencies, 0.5), p99_ms=_percentile(latencies, 0.99),
        distress_recall=1.0 - len(missed_alarms) / distress_total if distress_total else 1.0,
        errors=errors, missed_alarms=missed_alarms, false_alarms=false_alarms,
        other_messages=len(examples) - distress_total,
        false_alarm_file=_shown(false_alarm_file) if checked else "", false_alarm_checked=checked,
        false_alarm_hits=hits,
    )


def _shown(path: Path | None) -> str:
    """``nlu/false_alarms.yml`` rather than an absolute path, when it is the project's file."""
    if path is None:
        return ""
    try:
        return str(path.resolve().relative_to(FALSE_ALARMS.parent.parent))
    except ValueError:
        return str(path)


def load_examples(path: Path = HELDOUT) -> list[Example]:
    """The annotated examples of a Rasa NLU file."""
    return load_files([path]).examples
