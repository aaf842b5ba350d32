"""Reading Rasa 3.x NLU training files (``nlu:`` intents, synonyms, lookup tables, regexes).

The embedded backend learns from exactly the files Rasa trains on; this is the small subset of
Rasa's YAML format we use: ``[text](entity)``, ``[text](entity:value)`` and
``[text]{"entity": "e", "value": "v"}`` annotations.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"

# [text](entity) / [text](entity:value) / [text]{"entity": ..., "value": ...}
_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<short>[^)]+)\)|(?P<json>\{[^}]+\}))")


@dataclass(frozen=True, slots=True)
class AnnotatedEntity:
    """An entity annotated in an example: span in the plain text and the value (canonical or raw)."""

    entity: str
    value: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Example:
    """One training or test message with its intent and annotated entities."""

    text: str
    intent: str
    entities: tuple[AnnotatedEntity, ...] = ()


@dataclass
class TrainingData:
    """Everything read from a set of Rasa NLU files."""

    examples: list[Example] = field(default_factory=list)
    synonyms: dict[str, list[str]] = field(default_factory=dict)  # canonical value -> spellings
    lookups: dict[str, list[str]] = field(default_factory=dict)  # lookup name -> entries

    @property
    def intents(self) -> list[str]:
        """Intent names in order of first appearance."""
        return list(dict.fromkeys(e.intent for e in self.examples))


def parse_example(line: str, intent: str) -> Example:
    """Strip the annotations from one example line and record the entities with their offsets."""
    plain: list[str] = []
    entities: list[AnnotatedEntity] = []
    pos = 0
    length = 0
    for m in _ANNOTATION.finditer(line):
        before = line[pos : m.start()]
        plain.append(before)
        length += len(before)
        text = m.group("text")
        if m.group("json"):
            spec = json.loads(m.group("json"))
            entity, value = spec["entity"], str(spec.get("value", text))
        else:
            entity, _, value = m.group("short").partition(":")
            value = value or text
        entities.append(AnnotatedEntity(entity.strip(), value.strip(), length, length + len(text)))
        plain.append(text)
        length += len(text)
        pos = m.end()
    plain.append(line[pos:])
    return Example("".join(plain), intent, tuple(entities))


def _items(block: str) -> list[str]:
    """The ``- item`` lines of a Rasa ``examples: |`` block."""
    out = []
    for raw in block.splitlines():
        stripped = raw.strip()
        if stripped.startswith("- "):
            out.append(stripped[2:].strip())
        elif stripped == "-":
            continue
    return [item for item in out if item]


def load_files(paths: Iterable[Path]) -> TrainingData:
    """Read Rasa NLU YAML files into one ``TrainingData``."""
    data = TrainingData()
    for path in paths:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in doc.get("nlu") or []:
            examples = _items(item.get("examples") or "")
            if "intent" in item:
                data.examples.extend(parse_example(line, str(item["intent"])) for line in examples)
            elif "synonym" in item:
                data.synonyms.setdefault(str(item["synonym"]), []).extend(examples)
            elif "lookup" in item:
                data.lookups.setdefault(str(item["lookup"]), []).extend(examples)
    for example in data.examples:  # annotated values are synonyms too, as in Rasa
        for ent in example.entities:
            spelled = example.text[ent.start : ent.end]
            if ent.value != spelled:
                data.synonyms.setdefault(ent.value, []).append(spelled)
    return data


def data_files(data_dir: Path = DATA_DIR) -> list[Path]:
    """The YAML files of a Rasa data folder (including ``lookups/``), sorted for stable hashes."""
    return sorted(p for p in data_dir.rglob("*.yml") if p.is_file())


def load_training_data(data_dir: Path = DATA_DIR) -> TrainingData:
    """The training data the embedded backend and Rasa share."""
    return load_files(data_files(data_dir))


def fingerprint(paths: Iterable[Path], salt: str = "") -> str:
    """A hash of the files' names and contents (and ``salt``, e.g. a code version)."""
    h = hashlib.sha256(salt.encode())
    for path in paths:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:20]
