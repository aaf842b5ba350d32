"""The embedded backend (the default): in-process, trained from ``nlu/data``, cached on disk.

The cache (``<cache_dir>/embedded-<hash>.npz`` + ``.json``) is keyed by a hash of the training files
and of the code that turns text into features, so editing ``nlu/data`` or the normaliser retrains
at the next start and a warm start never imports scikit-learn.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from nlu import classifier, normalise
from nlu.classifier import IntentModel
from nlu.entities import Gazetteer, build_gazetteer
from nlu.postprocess import apply_safety_net, command_result, extra_entities, is_command, merge_entities
from nlu.result import Entity, IntentScore, ParseResult
from nlu.training_data import DATA_DIR, data_files, fingerprint, load_training_data

log = logging.getLogger(__name__)

_CODE_FILES = ("normalise.py", "classifier.py", "entities.py", "training_data.py", "embedded.py")
_MEMO: dict[str, tuple[IntentModel, Gazetteer]] = {}
# Intents whose messages talk about work or training: there "hôtel" or "crèche" name a sector. In
# "inform" only with a work word nearby ("j'ai un cap", "j'ai bossé"); in the intents that never
# talk about a trade, a word that looks like one is something else ("mes données en sécurité").
WORK_INTENTS = frozenset({"find_job", "find_training", "find_apprenticeship"})
WORK_CONFIDENCE = 0.6
NO_SECTOR_INTENTS = frozenset({"greet", "goodbye", "thanks", "help", "stop_nudges", "delete_data"})


def model_key(data_dir: Path = DATA_DIR) -> str:
    """The cache key: training files + the code that reads them and makes the features."""
    here = Path(__file__).resolve().parent
    code = "".join((here / name).read_text(encoding="utf-8") for name in _CODE_FILES)
    return fingerprint(data_files(data_dir), salt=classifier.CODE_VERSION + code)


def _save_gazetteer(gaz: Gazetteer, path: Path) -> None:
    doc = {
        "phrases": [[list(k), list(v) if v else None] for k, v in gaz.phrases.items()],
        "contextual": [list(k) for k in sorted(gaz.contextual)],
        "known_words": sorted(gaz.known_words),
        "max_len": gaz.max_len,
        "fuzzy": [[n, first, [list(c) for c in cands]] for (n, first), cands in gaz.fuzzy.items()],
        "groups": list(gaz.groups),
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def _load_gazetteer(path: Path) -> Gazetteer:
    doc = json.loads(path.read_text(encoding="utf-8"))
    return Gazetteer(
        phrases={tuple(k): (tuple(v) if v else None) for k, v in doc["phrases"]},  # type: ignore[misc]
        contextual=frozenset(tuple(k) for k in doc["contextual"]),
        known_words=frozenset(doc["known_words"]),
        max_len=doc["max_len"],
        fuzzy={(n, first): [tuple(c) for c in cands] for n, first, cands in doc["fuzzy"]},  # type: ignore[misc]
        groups=tuple(doc["groups"]),
    )


def train_models(data_dir: Path = DATA_DIR) -> tuple[IntentModel, Gazetteer]:
    """Train the classifier and build the gazetteer from the Rasa files (imports scikit-learn)."""
    data = load_training_data(data_dir)
    texts = [normalise.normalise(e.text) for e in data.examples]
    model = classifier.train(texts, [e.intent for e in data.examples])
    return model, build_gazetteer(data)


def load_models(data_dir: Path = DATA_DIR, cache_dir: Path | None = None, *, retrain: bool = False
                ) -> tuple[IntentModel, Gazetteer]:
    """The trained models: from memory, else from ``cache_dir``, else trained now (and cached)."""
    key = model_key(data_dir)
    model_file = cache_dir / f"embedded-{key}.npz" if cache_dir else None
    gaz_file = cache_dir / f"embedded-{key}.json" if cache_dir else None
    cached = bool(model_file and gaz_file and model_file.exists() and gaz_file.exists())
    if not retrain and key in _MEMO and (cached or cache_dir is None):
        return _MEMO[key]
    if not retrain and cached and model_file and gaz_file:
        try:
            models = IntentModel.load(model_file), _load_gazetteer(gaz_file)
            _MEMO[key] = models
            return models
        except (OSError, ValueError, KeyError) as exc:
            log.warning("NLU cache unreadable (%s): retraining", type(exc).__name__)
    if not retrain and key in _MEMO:
        models = _MEMO[key]  # trained earlier in this process: only the cache files are missing
    else:
        log.info("Training the embedded NLU model")
        models = train_models(data_dir)
    if cache_dir and model_file and gaz_file:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for old in cache_dir.glob("embedded-*"):
            if old.stem != f"embedded-{key}":
                old.unlink(missing_ok=True)
        models[0].save(model_file)
        _save_gazetteer(models[1], gaz_file)
    _MEMO[key] = models
    return models


@dataclass
class EmbeddedBackend:
    """Intent classifier + gazetteer + date/age extraction, all in process."""

    model: IntentModel
    gazetteer: Gazetteer
    timezone: str = "Europe/Paris"
    name: str = "embedded"

    @classmethod
    def load(cls, *, data_dir: Path = DATA_DIR, cache_dir: Path | None = None,
             timezone: str = "Europe/Paris") -> EmbeddedBackend:
        """Load (or train) the models and make a backend."""
        model, gaz = load_models(data_dir, cache_dir)
        return cls(model, gaz, timezone)

    def classify(self, normalised: str) -> tuple[IntentScore, ...]:
        """The intent ranking for a normalised text, distress net applied."""
        ranking = tuple(IntentScore(name, conf) for name, conf in self.model.predict(normalised))
        return apply_safety_net(normalised, ranking)

    def entities(self, text: str, tokens: list[normalise.Token] | None = None,
                 now: dt.datetime | None = None, *, about_work: bool | None = None) -> tuple[Entity, ...]:
        """Communes, sectors and profile fields, dates and times, parts of the day and ages, by position."""
        matches = self.gazetteer.find(text, tokens, about_work=about_work)
        found = [Entity(m.entity, m.value, m.start, m.end) for m in matches]
        return merge_entities(found, extra_entities(text, now, self.timezone))

    def parse_sync(self, text: str, now: dt.datetime | None = None) -> ParseResult:
        """Understand one message."""
        if is_command(text):
            return command_result(text)
        tokens = normalise.tokenise(text)
        ranking = self.classify(" ".join(t.text for t in tokens))
        intent = ranking[0].name
        sure = ranking[0].confidence >= WORK_CONFIDENCE
        # A work intent the classifier is sure of is context enough; otherwise a work word must be there.
        about_work = (True if sure else None) if intent in WORK_INTENTS else None if intent == "inform" else False
        entities = self.entities(text, tokens, now, about_work=about_work)
        if intent in NO_SECTOR_INTENTS:
            entities = tuple(e for e in entities if e.entity != "secteur")
        return ParseResult(text=text, intent=ranking[0], entities=entities, intent_ranking=ranking)

    async def parse(self, text: str, now: dt.datetime | None = None) -> ParseResult:
        """Same as ``parse_sync`` (about a tenth of a millisecond: no need for a thread)."""
        return self.parse_sync(text, now)

    async def aclose(self) -> None:
        """Nothing to release."""
