"""Dates and times in Europe/Paris, relative to a frozen ``now``, across the DST changes."""

from __future__ import annotations

import datetime as dt

import pytest

from nlu.dates import find_parts_of_day, find_times
from tests.nlu.conftest import NOW, PARIS


def times(text: str, now: dt.datetime = NOW) -> list[tuple[str, str]]:
    return [(m.value, text[m.start : m.end]) for m in find_times(text, now)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mardi", [("2026-12-01", "mardi")]),
        ("mardi prochain", [("2026-12-01", "mardi prochain")]),
        ("vendredi", [("2026-12-04", "vendredi")]),  # today is Friday: the next one
        ("mardi en huit", [("2026-12-08", "mardi en huit")]),
        ("demain 14h", [("2026-11-28T14:00:00+01:00", "demain 14h")]),
        ("rdv dem1 à 9h30", [("2026-11-28T09:30:00+01:00", "dem1 à 9h30")]),
        ("aujourd'hui", [("2026-11-27", "aujourd'hui")]),
        ("après-demain", [("2026-11-29", "après-demain")]),
        ("le 3 decembre", [("2026-12-03", "le 3 decembre")]),
        ("le 3 décembre à 14h", [("2026-12-03T14:00:00+01:00", "le 3 décembre à 14h")]),
        ("le 1er janvier", [("2027-01-01", "le 1er janvier")]),
        ("le 12/01", [("2027-01-12", "le 12/01")]),
        ("dans 3 jours", [("2026-11-30", "dans 3 jours")]),
        ("jeudi aprem vers 15h", [("2026-12-03T15:00:00+01:00", "jeudi aprem vers 15h")]),
        ("à 16h", [("2026-11-27T16:00:00+01:00", "16h")]),  # later today
        ("à 9h", [("2026-11-28T09:00:00+01:00", "9h")]),  # already past: tomorrow
        ("lundi à 2h", [("2026-11-30T14:00:00+01:00", "lundi à 2h")]),  # office hours: 14:00
        ("lundi 8h du matin", [("2026-11-30T08:00:00+01:00", "lundi 8h du matin")]),
        ("aprem", []),  # a part of the day, not a time
        ("je bosse 35h par semaine", []),
        ("je cherche depuis 2h", []),
        ("j'ai 19 ans", []),
    ],
)
def test_dates(text: str, expected: list[tuple[str, str]]) -> None:
    assert times(text) == expected


def test_spring_forward() -> None:
    # Sunday 29 March 2026, 02:00 -> 03:00 in Paris: the offset changes from +01:00 to +02:00.
    friday = dt.datetime(2026, 3, 27, 18, 0, tzinfo=PARIS)
    assert times("lundi 10h", friday) == [("2026-03-30T10:00:00+02:00", "lundi 10h")]
    assert times("demain 10h", friday) == [("2026-03-28T10:00:00+01:00", "demain 10h")]
    saturday_night = dt.datetime(2026, 3, 28, 23, 30, tzinfo=PARIS)
    assert times("demain 14h", saturday_night) == [("2026-03-29T14:00:00+02:00", "demain 14h")]


def test_fall_back() -> None:
    # Sunday 25 October 2026, 03:00 -> 02:00: +02:00 before, +01:00 after.
    saturday = dt.datetime(2026, 10, 24, 12, 0, tzinfo=PARIS)
    assert times("demain 15h", saturday) == [("2026-10-25T15:00:00+01:00", "demain 15h")]
    assert times("aujourd'hui 15h", saturday) == [("2026-10-24T15:00:00+02:00", "aujourd'hui 15h")]


def test_now_in_another_zone_is_converted() -> None:
    utc = dt.datetime(2026, 11, 27, 23, 30, tzinfo=dt.UTC)  # already Saturday 00:30 in Paris
    assert times("demain", utc) == [("2026-11-29", "demain")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("le matin", ["matin"]),
        ("plutôt l'aprem", ["apres_midi"]),
        ("l'après-midi", ["apres_midi"]),
        ("apres midi", ["apres_midi"]),
        ("en fin de journée", ["apres_midi"]),
        ("demain", []),
    ],
)
def test_parts_of_day(text: str, expected: list[str]) -> None:
    assert [m.value for m in find_parts_of_day(text)] == expected
