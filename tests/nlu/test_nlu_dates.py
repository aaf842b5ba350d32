"""Dates and times in Europe/Paris, relative to a frozen ``now``, across the DST changes."""

from __future__ import annotations

import datetime as dt

import pytest

from nlu.dates import find_parts_of_day, find_times
from tests.nlu.conftest import NOW, PARIS


def times(text: str, now: dt.datetime = NOW, entity: str = "time") -> list[tuple[str, str]]:
    return [(m.value, text[m.start : m.end]) for m in find_times(text, now) if m.entity == entity]


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
        ("pas le matin", ["apres_midi"]),  # ruled out: the other one
        ("je peux pas l'aprem", ["matin"]),
        ("mardi matin c'est pas possible", ["apres_midi"]),
        ("je peux pas mardi, jeudi matin ?", ["matin"]),  # the negation is about Tuesday
    ],
)
def test_parts_of_day(text: str, expected: list[str]) -> None:
    assert [m.value for m in find_parts_of_day(text)] == expected


def test_the_midi_of_apres_midi_is_not_noon() -> None:
    assert times("plutôt l'après-midi") == []
    assert times("l'apres midi") == []
    assert times("demain après-midi") == [("2026-11-28", "demain")]
    assert times("à midi") == [("2026-11-27T12:00:00+01:00", "midi")]


@pytest.mark.parametrize(
    ("text", "clock"),
    [("10h", "10:00"), ("10h30", "10:30"), ("à 14h", "14:00"), ("vers 15h", "15:00"), ("à midi", "12:00"),
     ("jeudi 10h", None), ("demain à 9h", None), ("pas à 10h", None)],
)
def test_a_time_said_alone_is_also_a_clock_time(text: str, clock: str | None) -> None:
    assert [m.value for m in find_times(text, NOW) if m.entity == "clock"] == ([clock] if clock else [])


# Friday 27 November: mardi is 1 December, mercredi 2, jeudi 3, lundi 30 November.
@pytest.mark.parametrize(
    ("text", "excluded", "kept"),
    [
        ("je peux pas mardi, tu peux le mettre jeudi matin ?", ["2026-12-01"], ["2026-12-03"]),
        ("sauf mardi", ["2026-12-01"], []),
        ("pas le mardi", ["2026-12-01"], []),
        ("mardi c'est pas possible", ["2026-12-01"], []),
        ("Mardi, c’est pas possible", ["2026-12-01"], []),
        ("je suis pas dispo lundi", ["2026-11-30"], []),
        ("je ne pourrai pas venir le jeudi", ["2026-12-03"], []),
        ("jpeu pa mercredi", ["2026-12-02"], []),
        ("mardi je peux pas, jeudi ça va", ["2026-12-01"], ["2026-12-03"]),
        ("pas mardi ni mercredi", ["2026-12-01", "2026-12-02"], []),
        ("je peux pas lundi ni mardi, mercredi ça va", ["2026-11-30", "2026-12-01"], ["2026-12-02"]),
        ("sauf lundi, mardi et mercredi", ["2026-11-30", "2026-12-01", "2026-12-02"], []),
        ("mardi et mercredi c'est mort", ["2026-12-01", "2026-12-02"], []),
        ("n'importe quel jour sauf lundi", ["2026-11-30"], []),
        ("jeudi, pas mardi", ["2026-12-01"], ["2026-12-03"]),
        ("pas mardi mais jeudi", ["2026-12-01"], ["2026-12-03"]),
        ("je bosse lundi", ["2026-11-30"], []),
        ("j'ai cours mercredi", ["2026-12-02"], []),
        ("je suis occupé jeudi", ["2026-12-03"], []),
        ("mardi non", ["2026-12-01"], []),
        ("je peux plus mardi", ["2026-12-01"], []),
        # Words that look negative and rule nothing out:
        ("je bosse pas lundi", [], ["2026-11-30"]),
        ("mardi j'ai pas cours", [], ["2026-12-01"]),
        ("je peux pas de la semaine, sauf jeudi", [], ["2026-12-03"]),
        ("pourquoi pas mardi", [], ["2026-12-01"]),
        ("pas de souci pour mardi", [], ["2026-12-01"]),
        ("mardi ça me dérange pas", [], ["2026-12-01"]),
        ("je suis pas dispo avant jeudi", [], ["2026-12-03"]),
        ("je sais pas si mardi ça va", [], ["2026-12-01"]),
        ("mardi c'est bon ou pas ?", [], ["2026-12-01"]),
        ("je veux un rdv pour parler de formation mardi", [], ["2026-12-01"]),
    ],
)
def test_days_ruled_out(text: str, excluded: list[str], kept: list[str]) -> None:
    assert [v for v, _ in times(text, entity="excluded_time")] == excluded
    assert [v for v, _ in times(text)] == kept


def test_a_time_ruled_out_keeps_its_value() -> None:
    assert times("je suis pas dispo mardi 10h", entity="excluded_time") == [
        ("2026-12-01T10:00:00+01:00", "mardi 10h")]
    assert times("jeudi vers 10h pas avant") == [("2026-12-03T10:00:00+01:00", "jeudi vers 10h")]
