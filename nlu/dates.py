"""French dates, times and parts of the day, resolved in Europe/Paris relative to a reference time.

A cheap regex finds the candidate spans on the folded text; weekdays, "demain" and clock times are
resolved here (dateparser gets "14h" and "mardi prochain" wrong), and dateparser, which is slow, is
only called on spans that look like a calendar date ("3 décembre", "12/01", "dans 3 jours").

Conventions (documented in docs/nlu.md):
- "mardi" and "mardi prochain" are the next Tuesday after today (never today); "mardi en huit" a week later.
- a clock time alone is the next such time (today if still to come, else tomorrow);
- "2h", "5h30" without "du matin" are afternoon hours (offices close at night): 14:00, 17:30.
- "aprem" alone is a part of the day, not a time; the "midi" of "après-midi" is not noon.
- a clock time said without a day ("10h", "vers 15h", "à midi") is also given as ``clock`` ("10:00"),
  so that a conversation showing a day can apply it to that day;
- a day or time the person rules out ("pas mardi", "sauf le mardi", "mardi c'est pas possible", "je
  bosse lundi") is ``excluded_time`` (same value as ``time`` would be), never ``time``; a part of the
  day ruled out ("pas le matin") gives the other one. See ``_negated`` for the rules.
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
    r"|(?<!apres )(?<!apres-)(?<!apres)(?P<midi>midi)(?:\s+et\s+(?P<demi>demi|quart))?)(?![\w/])"
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
# Negation. A mention (a day, a time, a part of the day) is ruled out by the words of its clause
# before it ("je peux pas mardi", "sauf mardi") or right after it ("mardi c'est pas possible").
_BOUNDARY = re.compile(
    r"[,;.!?()\n]|\b(?:mais|plutot|sinon|par contre|du coup|alors|donc|car|parce que|puisque|et|ou)\b"
)
_NEG = re.compile(
    r"\b(?:pas|pa|ni|jamais|impossible|indispos?|indisponibles?"
    r"|(?:peux|peu|peut|pourrai|pourrais|pourra|suis|serai|serais|sera) plus)\b"
)
_NEG_AFTER = re.compile(r"\b(?:non|mort)\b")
_EXCEPT = re.compile(r"\b(?:sauf|hors|hormis|excepte|a part|en dehors d[eu]|sans)\b")
# Being busy rules a day out too ("je bosse lundi"); with a negation it does not ("je bosse pas lundi").
_BUSY = re.compile(
    r"\b(?:occupee?s?|empeche(?:e|ment)?s?"
    r"|(?:suis|serai|serais|chui|jsuis|jserai) (?:pris|prise|en cours|en formation|en stage|au (?:taf|boulot|travail))"
    r"|(?:je|j'|j) ?(?:bosse|travaille|taffe)|jbosse|jtaffe|jtravaille"
    r"|(?:j'ai|jai|j ai|g) (?:pas )?(?:cours|taf|boulot|travail|exam|examen|partiel|un exam|un examen|un partiel"
    r"|un truc|un empechement|un autre rdv|un autre rendez-vous|deja (?:un )?(?:rdv|rendez-vous|truc|quelque chose)))\b"
)
# Words with "pas" that do not rule anything out: "pourquoi pas", "pas de souci", "je sais pas".
_NOT_A_NEGATION = re.compile(
    r"\b(?:pourquoi pas|ou pas|pas de (?:souci|soucis|probleme|problemes|pb|blem|blems)|pas grave|pas mal"
    r"|pas sure?|(?:sais|sait|connais) pas|(?:derange|gene|drange|pose) pas"
    r"|pas (?:que|qu'|avant|apres|plus tot|plus tard))\b"
)
# "pas avant jeudi", "pas dispo avant 14h": a limit, not a day ruled out.
_LIMIT = re.compile(r"\b(?:(?:avant|apres|des|que)\b|a partir d|jusqu|qu')")
_CONNECTOR = re.compile(r"^\s*,?\s*(?P<word>et|ou|ni|voire)?\s*(?:le|ce|la|l ?'?)?\s*$")
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


def _polarity(window: str, *, after: bool) -> bool:
    """True if these words of the clause rule the mention out."""
    words = _NOT_A_NEGATION.sub(" ", window)
    neg = list(_NEG.finditer(words)) + (list(_NEG_AFTER.finditer(words)) if after else [])
    busy = bool(_BUSY.search(words))
    excepted = not after and bool(_EXCEPT.search(words))
    if neg and not after and _LIMIT.search(words, max(m.end() for m in neg)):
        neg = []  # "je suis pas dispo avant jeudi": from Thursday on
    return bool(neg) ^ busy ^ excepted


def _clause_start(folded: str, end: int) -> int:
    """Where the clause holding position ``end`` starts (after the last boundary before it)."""
    last = 0
    for m in _BOUNDARY.finditer(folded, 0, end):
        last = m.end()
    return last


def _negated(folded: str, spans: list[tuple[int, int]]) -> list[bool]:
    """For each mention (sorted spans of days, times, parts of the day): is it ruled out?

    - the words of its clause before it ("je peux pas mardi", "sauf le mardi", "je bosse lundi"), or
      right after it ("mardi c'est pas possible", "mardi, je peux pas"), up to the next mention;
    - "pas" and being busy cancel out ("je bosse pas lundi"), so do "pas" and "sauf" ("je peux pas,
      sauf mardi"); "pourquoi pas", "pas de souci", "je sais pas", "pas avant jeudi" rule nothing out;
    - a list joined by "et", "ou", "ni" shares its negation ("pas mardi ni mercredi",
      "mardi et mercredi c'est mort"); a comma alone does not ("pas mardi, jeudi").
    - between two mentions with no comma or "mais", a negation goes with the second one.
    """
    out = [False] * len(spans)
    chains: list[list[int]] = []  # mentions side by side or joined by a comma, "et", "ou", "ni"
    listed: list[bool] = []  # joined by at least one "et" / "ou" / "ni": they share their negation
    for k in range(len(spans)):
        joined = _CONNECTOR.match(folded[spans[k - 1][1] : spans[k][0]]) if k else None
        if joined is None or (listed[-1] and not joined.group("word")):  # "ni mardi, mercredi ça va"
            chains.append([k])
            listed.append(False)
        else:
            chains[-1].append(k)
            listed[-1] = listed[-1] or bool(joined.group("word"))
    for chain, shared in zip(chains, listed, strict=True):
        first, last = chain[0], chain[-1]
        before, after = _before(folded, spans, first), _after(folded, spans, last)
        for k in chain:
            out[k] = (before or after) if shared else (k == first and before) or (k == last and after)
    return out


def _before(folded: str, spans: list[tuple[int, int]], k: int) -> bool:
    start = spans[k][0]
    clause = _clause_start(folded, start)
    begin = max(clause, spans[k - 1][1] if k else 0)
    window = folded[begin:start]
    if _polarity(window, after=False):
        if _EXCEPT.search(window) and not (_NEG.search(window) or _BUSY.search(window)) and clause == begin > 0:
            # "je peux pas de la semaine, sauf jeudi": the clause before says what "sauf" is an exception to.
            previous = folded[_clause_start(folded, begin - 1) : begin]
            if not any(s < begin and e > _clause_start(folded, begin - 1) for s, e in spans) and (
                    _NEG.search(_NOT_A_NEGATION.sub(" ", previous)) or _BUSY.search(previous)):
                return False
        return True
    return False


def _after(folded: str, spans: list[tuple[int, int]], k: int) -> bool:
    end = spans[k][1]
    skip = re.match(r"\s*,?", folded[end:])
    begin = end + (skip.end() if skip else 0)
    stop = len(folded)
    if (boundary := _BOUNDARY.search(folded, begin)) is not None:
        stop = boundary.start()
    if k + 1 < len(spans) and spans[k + 1][0] < stop:
        return False  # the words belong to the next mention
    return _polarity(folded[begin:stop], after=True)


def find_times(text: str, now: dt.datetime | None = None, timezone: str = "Europe/Paris") -> list[TimeMatch]:
    """Dates ("2026-12-01") and date-times ("2026-12-01T14:00:00+01:00") in ``text``.

    Each is a ``time`` match, or an ``excluded_time`` one when the person rules it out ("pas mardi").
    A clock time said without a day is also a ``clock`` match ("10:00"), unless it is ruled out.
    """
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
    out: list[tuple[int, int, str, str | None]] = []  # span, value, clock time of a time alone
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
            out.append((ds, de, day.isoformat(), None))
            continue
        used.add(pair)
        ts, te, clock = times[pair]
        moment = dt.datetime.combine(day, clock, tzinfo=tz)
        out.append((min(ds, ts), max(de, te), moment.isoformat(), None))
    for k, (ts, te, clock) in enumerate(times):
        if k in used:
            continue
        moment = dt.datetime.combine(ref.date(), clock, tzinfo=tz)
        if moment <= ref:
            moment = dt.datetime.combine(ref.date() + dt.timedelta(days=1), clock, tzinfo=tz)
        out.append((ts, te, moment.isoformat(), clock.strftime("%H:%M")))
    out.sort()
    parts = [(m.start(), m.end()) for m in _PART_OF_DAY.finditer(folded)]
    spans = sorted({(s, e) for s, e, _, _ in out} | set(parts))
    ruled_out = {span for span, negated in zip(spans, _negated(folded, spans), strict=True) if negated}
    found = []
    for s, e, value, clock_time in out:
        if (s, e) in ruled_out:
            found.append(TimeMatch("excluded_time", value, index[s], index[e]))
            continue
        found.append(TimeMatch("time", value, index[s], index[e]))
        if clock_time is not None:
            found.append(TimeMatch("clock", clock_time, index[s], index[e]))
    return found


def find_parts_of_day(text: str) -> list[TimeMatch]:
    """``matin`` or ``apres_midi`` ("aprem", "en fin de journée" count as the afternoon).

    A part of the day ruled out gives the other one: "pas le matin" is ``apres_midi``.
    """
    folded, index = fold(text)
    parts = list(_PART_OF_DAY.finditer(folded))
    if not parts:
        return []
    mentions = [(m.start(), m.end()) for m in parts]
    if _MAY_HAVE_DATE.search(folded):
        mentions += [(m.start(), m.end()) for m in _DATE.finditer(folded)]
        mentions += [(m.start(), m.end()) for m in _TIME.finditer(folded)]
    spans = sorted(set(mentions))
    ruled_out = {span for span, negated in zip(spans, _negated(folded, spans), strict=True) if negated}
    found = []
    for m in parts:
        morning = bool(m.group("am")) != ((m.start(), m.end()) in ruled_out)
        found.append(TimeMatch("part_of_day", "matin" if morning else "apres_midi", index[m.start()], index[m.end()]))
    return found
