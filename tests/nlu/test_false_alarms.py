"""No false alarm: nothing of nlu/false_alarms.yml (first names, button labels, communes, trades,
diplomas, short answers, ages) may set off the crisis path (emergency numbers + URGENT alert to every
advisor), with the embedded backend and the alarm rule the engine applies (nlu.safety.raises_alarm)."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from nlu.embedded import EmbeddedBackend
from nlu.evaluation import FALSE_ALARMS, check_false_alarms, load_false_alarms
from nlu.names import first_names, is_known_name
from nlu.normalise import fold, normalise
from nlu.safety import certain_danger, raises_alarm
from nlu.training_data import DATA_DIR, load_files

ROOT = Path(__file__).resolve().parents[2]
MIN_NAMES = 1000


def _script() -> ModuleType:
    """scripts/extract_first_names.py, which also collects the button labels of flows/*.py."""
    spec = importlib.util.spec_from_file_location("extract_first_names", ROOT / "scripts" / "extract_first_names.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sections() -> dict[str, list[str]]:
    return load_false_alarms()


def test_the_file_has_at_least_1000_known_first_names(sections: dict[str, list[str]]) -> None:
    names = sections["first_names"]
    assert len(names) >= MIN_NAMES
    assert len({fold(n)[0] for n in names}) >= MIN_NAMES
    unknown = [n for n in names if not is_known_name(n)]
    assert unknown == [], f"not in nlu/lexicon/first_names.txt: {unknown[:20]}"
    for name in ("Mamadou", "Fatoumata", "Kadiatou", "Oumou", "Aminata", "Moussa", "Ibrahima", "Aïssatou",
                 "Mariam", "Yanis", "Rayan", "Ilyes", "Wassim", "Inaya", "Nahia", "Inès", "Chloé", "Maëlys",
                 "Mohamed", "Karim", "Sarah", "Lucas", "Emma"):
        assert name in names, name


def test_every_button_label_of_the_flows_is_listed(sections: dict[str, list[str]]) -> None:
    labels = _script().button_labels()
    assert len(labels) >= 80  # the collector still finds the labels (Option, t.action, ActionButton…)
    listed = set(sections["button_labels"])
    missing = [label for label in labels if label not in listed]
    assert missing == [], (
        f"button labels missing from nlu/false_alarms.yml (button_labels): {missing}; run "
        "scripts/extract_first_names.py NAM_DICT --false-alarms or add them by hand"
    )
    for label in ("Oui", "Non", "Je ne sais pas", "Passer", "Prendre rendez-vous", "Parler à quelqu'un"):
        assert label in listed, label


def test_the_36_communes_are_listed(sections: dict[str, list[str]]) -> None:
    doc = yaml.safe_load((ROOT / "data" / "communes.yml").read_text(encoding="utf-8"))
    communes = [c["name"] for c in doc["communes"]]
    assert len(communes) == 36
    assert set(communes) <= set(sections["communes"])


def test_trades_diplomas_short_answers_and_ages_are_listed(sections: dict[str, list[str]]) -> None:
    assert len(sections["trades"]) >= 500
    for word in ("licence", "bep", "cap", "bac pro", "bts", "brevet"):
        assert word in sections["diplomas"], word
    for word in ("oui", "non", "jsp", "rien", "ok", "nan", "bof", "mdr", "je sais pas"):
        assert word in sections["short_answers"], word
    for age in ("16", "16 ans", "dix-sept ans", "25"):
        assert age in sections["ages"], age


def test_the_training_data_never_sees_these_first_names(sections: dict[str, list[str]]) -> None:
    """The names are the unseen part of the file: training on them would make the check meaningless."""
    listed = {fold(n)[0] for n in sections["first_names"]}
    every_example = {normalise(e.text) for e in load_files(sorted(DATA_DIR.glob("*.yml"))).examples}
    assert not listed & every_example
    own = load_files([DATA_DIR / "first_names.yml"]).examples
    assert len(own) >= 30 and {e.intent for e in own} == {"inform"}
    messages = {normalise(m) for msgs in sections.values() for m in msgs}
    for example in own:
        assert normalise(example.text) not in messages, example.text
        words = [w for w in normalise(example.text).split() if w in first_names()]
        assert not set(words) & listed, example.text


def test_no_message_of_the_file_raises_the_alarm(embedded: EmbeddedBackend) -> None:
    checked, hits = asyncio.run(check_false_alarms(embedded, FALSE_ALARMS))
    assert checked >= 2500
    assert hits == [], f"{len(hits)} false alarm(s): {hits[:30]}"


def test_the_safety_net_alone_never_fires_on_them(sections: dict[str, list[str]]) -> None:
    fired = [m for msgs in sections.values() for m in msgs if certain_danger(m)]
    assert fired == []


@pytest.mark.parametrize("text", ["Moussa", "licence", "Mamadou", "Fatoumata", "vidange", "la sécurité", "police",
                                  "tout me va", "Inès", "Maëlys", "16 ans"])
def test_the_reported_cases(embedded: EmbeddedBackend, text: str) -> None:
    assert not raises_alarm(embedded.parse_sync(text))
