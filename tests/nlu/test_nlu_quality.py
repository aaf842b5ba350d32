"""The quality gate on the held-out test set (never used for training): CI fails if it drops.

Thresholds sit slightly below the figures measured when they were set (see docs/nlu.md), so a
change that makes the embedded backend worse on unseen messages fails the build.
"""

from __future__ import annotations

import asyncio

import pytest

from nlu.embedded import EmbeddedBackend
from nlu.evaluation import HELDOUT, Report, evaluate, load_examples

MIN_ACCURACY = 0.92  # measured 0.939
MIN_MACRO_F1 = 0.92  # measured 0.938
MIN_ENTITY_F1 = {"commune": 0.97, "secteur": 0.94}  # measured 1.000 and 0.958
MAX_HELDOUT_FALSE_ALARMS = 3  # measured 1


@pytest.fixture(scope="module")
def report(embedded: EmbeddedBackend) -> Report:
    assert HELDOUT.exists(), f"{HELDOUT} is missing: the quality gate needs the held-out test set"
    examples = load_examples(HELDOUT)
    assert len(examples) >= 300
    return asyncio.run(evaluate(embedded, examples, embedded.gazetteer, name="embedded", data=str(HELDOUT)))


def test_intent_accuracy_and_macro_f1(report: Report) -> None:
    assert report.accuracy >= MIN_ACCURACY, report.format()
    assert report.macro_f1 >= MIN_MACRO_F1, report.format()


def test_entity_f1(report: Report) -> None:
    for kind, minimum in MIN_ENTITY_F1.items():
        assert report.entities[kind].f1 >= minimum, report.format()


def test_distress_is_never_missed(report: Report) -> None:
    """Every distress message raises the alarm as the engine decides it (nlu.safety.raises_alarm)."""
    assert report.distress_recall == 1.0, f"{len(report.missed_alarms)} distress message(s) missed"
    assert report.missed_alarms == []


def test_false_alarms_are_counted_and_the_false_alarm_file_raises_none(report: Report) -> None:
    # Held-out messages of other intents may raise it (a wide net is the price of never missing one):
    # measured 1 of 436 ("je me deco la", the classifier's distress at 0.85).
    assert len(report.false_alarms) <= MAX_HELDOUT_FALSE_ALARMS, report.false_alarms
    assert report.false_alarm_file == "nlu/false_alarms.yml" and report.false_alarm_checked >= 2500
    assert report.false_alarm_hits == [], report.false_alarm_hits
