"""French dates, times and parts of the day, resolved in Europe/Paris relative to a reference time.

A cheap regex finds the candidate spans on the folded text; weekdays, "demain" and clock times are
resolved here (dateparser gets "14h" and "mardi prochain" wrong), and dateparser, which is slow, is
only called on spans that look like a calendar date ("3 décembre", "12/01", "dans 3 jours").

Conventions (documented in docs/nlu.md):
- "mardi" and "mardi prochain" are the next Tuesday after today (never today); "mardi en huit" a week later.
- a clock time alone is the next such time (today if still to come, else tomorrow);
- "2h", "5h30" without "du matin" are afternoon hours (offices close at night): 14:00, 17:30.
- "aprem" alone is a part of the day, not a time.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from nlu.normalise import fold

WEEKDAYS = {
    "lundi": 0, "mardi": 1, "mercredi": 2, "mercerdi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5,
    "dimanche": 6,
}
MONTHS = {
    "janvier": 1, "janv": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "avril": 4, "avr": 4, "mai": 5,
    "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9, "octobre": 10, "oct": 10,
    "novembre": 11, "nov": 11, "decembre": 12, "dec": 12,
}
SMALL_NUMBERS = {
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8,
    "dix": 10, "quinze": 15,
}

_WD = r"(?P<wd>lundi|mardi|mercredi|mercerdi|jeudi|vendredi|samedi|dimanche)s?"
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_REL = r"(?P<rel>apres[ -]?demain|apres[ -]?dem1|aujourd ?'? ?hui|aujourdhui|auj|ajd|aujd|ojd|demain|dem1|2m1|dm1)"
_DATE = re.compile(
    r"(?<![\w])(?:"
    rf"(?:(?:le|ce)\s+)?(?:{_WD}\s+)?(?P<day>1er|premier|[0-3]?\d)(?:er|eme)?\s+{_MONTH}(?:\s+(?P<year>20\d\d))?"
    r"|(?:(?:le|ce)\s+)?(?:(?P<wd2>lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\s+)?"
    r"(?P<nday>[0-3]?\d)\s?/\s?(?P<nmonth>[01]?\d)(?:/(?P<nyear>(?:20)?\d\d))?"
    r"|le\s+(?P<dday>[0-3]?\d)[.-](?P<dmonth>[01]?\d)(?:[.-](?P<dyear>(?:20)?\d\d))?"
    r"|dans\s+(?P<in_n>\d{1,2}|un|une|deux|trois|quatre|cinq|six|sept|huit|dix|quinze)\s+(?P<in_unit>jours?|semaines?)"
    rf"|{_REL}"
    rf"|(?:(?:ce|le)\s+)?(?P<wd3>lundi|mardi|mercredi|mercerdi|jeudi|vendredi|samedi|dimanche)s?"
    r"(?:\s+(?P<wdday>[0-3]?\d)(?:er)?(?!\s*[h:\d]))?(?:\s+(?P<next>prochain|qui vient|en huit))?"
    r")(?![\w])"
)
_TIME = re.compile(
    r"(?<![\w/])(?:(?:a|vers|pour|des|a partir de)\s+)?(?:"
    r"(?P<h>[0-2]?\d)\s?(?:h|heures?|:)\s?(?P<m>[0-5]\d)?(?!\d)"
    r"(?P<pm>\s+(?:de l ?'?\s?apres[ -]?midi|de l ?'?\s?aprem|du soir))?"
    r"(?P<am>\s+du mat(?:in)?)?"
    r"|(?P<midi>midi)(?:\s+et\s+(?P<demi>demi|quart))?)(?![\w/])"
)
# Durations and frequencies that look like a clock time: "35h par semaine", "depuis 2h".
_NOT_A_TIME_BEFORE = re.compile(r"(?:depuis|pendant|dans|en|fait|fais|faire|plus de|moins de|de|sur|les|que)\s*$")
_NOT_A_TIME_AFTER = re.compile(
    r"^\s*(?:par|/|de (?:route|trajet|transport|retard|travail|boulot|taf)|d ?'?affilee|sur 24)"
)
_PART_OF_DAY = re.compile(
    r"(?<![\w])(?:(?P<am>matin|matinee|du mat)|(?P<pm>apres[ -]?midi|aprem|aprm|apm|fin de journee|fin d ?'?aprem"
    r"|fin d ?'?apres[ -]?midi|soir|soiree))(?![\w])"
)
# The cheap test run before anything else: no digit and no date word, no date.
_MAY_HAVE_DATE = re.compile(
    r"\d|lundi|mardi|mercre|mercerdi|jeudi|vendredi|samedi|dimanche|demain|dem1|dm1|auj|ajd|ojd|midi|"
    r"janv|fev|mars|avr|mai|juin|juil|aout|sept|oct|nov|dec|premier|dans"
)
_JOIN_PART_OF_DAY = re.compile(r"^\s*(?:matin|apres[ -]?midi|aprem|soir)?\s*(?:a|vers)?\s*$")
_JOIN = re.compile(r"^\s*(?:,|-|a|vers|pour|le|des|,\s*a|matin a|apres[ -]?midi a|aprem a|soir a)?\s*$")


@dataclass(frozen=True, slots=True)
class TimeMatch:
    """A date or date-time found in the text: ISO value and span in the original text."""

    entity: str
    value: str
    start: int
    end: int


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_now(now: dt.datetime | None, timezone: str) -> dt.datetime:
    """``now`` in ``timezone`` (a naive ``now`` is taken as local time there)."""
    tz = _zone(timezone)
    if now is None:
        return dt.datetime.now(tz)
    return now.replace(tzinfo=tz) if now.tzinfo is None else now.astimezone(tz)


def _next_weekday(today: dt.date, weekday: int) -> dt.date:
    ahead = (weekday - today.weekday()) % 7 or 7
    return today + dt.timedelta(days=ahead)


def _future_day_month(today: dt.date, day: int, month: int, year: int | None) -> dt.date | None:
    try:
        if year is not None:
            return dt.date(year if year > 100 else 2000 + year, month, day)
        candidate = dt.date(today.year, month, day)
        return candidate if candidate >= today else dt.date(today.year + 1, month, day)
    except ValueError:
        return None


def _dateparser(span: str, ref: dt.datetime) -> dt.date | None:
    import dateparser  # slow to import and to run: only for spans that look like a calendar date

    parsed = dateparser.parse(
        span, languages=["fr"],
        settings={"RELATIVE_BASE": ref.replace(tzinfo=None), "PREFER_DATES_FROM": "future", "DATE_ORDER": "DMY"},
    )
    return parsed.date() if parsed else None


def _resolve_date(m: re.Match[str], folded: str, ref: dt.datetime) -> dt.date | None:
    today = ref.date()
    g = m.groupdict()
    if g["rel"]:
        rel = g["rel"].replace(" ", "").replace("-", "").replace("'", "")
        if rel.startswith("apres"):
            return today + dt.timedelta(days=2)
        if rel in ("demain", "dem1", "2m1", "dm1"):
            return today + dt.timedelta(days=1)
        return today
    if g["month"]:
        day = 1 if g["day"] in ("1er", "premier") else int(g["day"])
        year = int(g["year"]) if g["year"] else None
        own = _future_day_month(today, day, MONTHS[g["month"]], year)
        if own is None:
            return None
        parsed = _dateparser(f"{day} {g['month']} {year or ''}".strip(), ref)
        return parsed if parsed == own or parsed is None else own
    if g["nday"] or g["dday"]:
        day, month = (int(g["nday"]), int(g["nmonth"])) if g["nday"] else (int(g["dday"]), int(g["dmonth"]))
        year_text = g["nyear"] or g["dyear"]
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return None
        own = _future_day_month(today, day, month, int(year_text) if year_text else None)
        if own is None:
            return None
        parsed = _dateparser(f"{day}/{month}" + (f"/{year_text}" if year_text else ""), ref)
        return parsed or own
    if g["in_n"]:
        n = int(g["in_n"]) if g["in_n"].isdigit() else SMALL_NUMBERS[g["in_n"]]
        days = n * 7 if g["in_unit"].startswith("semaine") else n
        return today + dt.timedelta(days=days)
    weekday = WEEKDAYS.get(g["wd3"] or "")
    if weekday is None:
        return None
    if g["wdday"]:
        # "mardi 3": the next 3rd of a month, preferring the one that is a Tuesday.
        day = int(g["wdday"])
        for months_ahead in range(0, 12):
            month = (today.month - 1 + months_ahead) % 12 + 1
            year = today.year + (today.month - 1 + months_ahead) // 12
            try:
                candidate = dt.date(year, month, day)
            except ValueError:
                continue
            if candidate >= today and candidate.weekday() == weekday:
                return candidate
        return _future_day_month(today, day, today.month, None)
    target = _next_weekday(today, weekday)
    if g["next"] == "en huit":
        target += dt.timedelta(days=7)
    return target


def _resolve_time(m: re.Match[str], folded: str) -> dt.time | None:
    if m.group("midi"):
        minute = {"demi": 30, "quart": 15}.get(m.group("demi") or "", 0)
        return dt.time(12, minute)
    hour, minute = int(m.group("h")), int(m.group("m") or 0)
    if hour > 23:
        return None
    before = folded[: m.start()]
    after = folded[m.end() :]
    if (_NOT_A_TIME_BEFORE.search(before) and not re.search(r"(?:^|\s)(?:a|vers|pour|des)\s*$", before)
            and not re.match(r"\s*(?:a|h)", folded[m.start() :])):
        return None
    if _NOT_A_TIME_AFTER.match(after):
        return None
    morning = bool(m.group("am")) or bool(re.search(r"\bmatin\b", folded))
    if 1 <= hour <= 7 and (m.group("pm") or not morning):
        hour += 12
    return dt.time(hour, minute)


def find_times(text: str, now: dt.datetime | None = None, timezone: str = "Europe/Paris") -> list[TimeMatch]:
    """Dates ("2026-12-01") and date-times ("2026-12-01T14:00:00+01:00") in ``text``."""
    folded, index = fold(text)
    if not _MAY_HAVE_DATE.search(folded):
        return []
    ref = local_now(now, timezone)
    tz = _zone(timezone)
    dates: list[tuple[int, int, dt.date]] = []
    for m in _DATE.finditer(folded):
        resolved = _resolve_date(m, folded, ref)
        if resolved is not None:
            dates.append((m.start(), m.end(), resolved))
    times: list[tuple[int, int, dt.time]] = []
    for m in _TIME.finditer(folded):
        if any(s <= m.start() < e for s, e, _ in dates):
            continue
        clock = _resolve_time(m, folded)
        if clock is not None:  # the span starts at the hour, not at "à" / "vers"
            times.append((m.start("h") if m.group("h") else m.start("midi"), m.end(), clock))
    out: list[tuple[int, int, str]] = []
    used: set[int] = set()
    for ds, de, day in dates:
        pair = None
        for k, (ts, te, _clock) in enumerate(times):
            if k in used:
                continue
            gap = folded[de:ts] if ts >= de else folded[te:ds]
            if _JOIN.match(gap) or (ts >= de and _JOIN_PART_OF_DAY.match(gap)):
                pair = k
                break
        if pair is None:
            out.append((ds, de, day.isoformat()))
            continue
        used.add(pair)
        ts, te, clock = times[pair]
        moment = dt.datetime.combine(day, clock, tzinfo=tz)
        out.append((min(ds, ts), max(de, te), moment.isoformat()))
    for k, (ts, te, clock) in enumerate(times):
        if k in used:
            continue
        moment = dt.datetime.combine(ref.date(), clock, tzinfo=tz)
        if moment <= ref:
            moment = dt.datetime.combine(ref.date() + dt.timedelta(days=1), clock, tzinfo=tz)
        out.append((ts, te, moment.isoformat()))
    out.sort()
    return [TimeMatch("time", value, index[s], index[e]) for s, e, value in out]


def find_parts_of_day(text: str) -> list[TimeMatch]:
    """``matin`` or ``apres_midi`` ("aprem", "en fin de journée" count as the afternoon)."""
    folded, index = fold(text)
    found = []
    for m in _PART_OF_DAY.finditer(folded):
        value = "matin" if m.group("am") else "apres_midi"
        found.append(TimeMatch("part_of_day", value, index[m.start()], index[m.end()]))
    return found
