"""Free slots, computed: plages d'ouverture minus appointments, absences and public holidays.

Pure functions on plain data (no database, no clock): the conversation, ``tremplin slots list`` and the
tests all call ``compute_slots`` with what they loaded.

How a slot is found, as RDV-Service-Public does it:

1. each plage d'ouverture occurs on ``first_day`` and then as its RRULE (RFC 5545, read by
   ``dateutil.rrule``) says, until the end date of the rule;
2. days that are French public holidays (``holidays.France()``) are skipped;
3. each occurrence is cut into consecutive slots of the motif's duration, from the plage's start, in
   local wall-clock time (Europe/Paris): a plage "9 h - 12 h" is 9 h - 12 h in winter and in summer;
4. a slot goes if it overlaps an absence of the agent, a closure of the structure, or another live
   appointment of the agent; for a collective motif, appointments of the same session (same motif,
   same start) only use up seats;
5. only slots starting within [now + the motif's minimum delay, now + its maximum delay] are kept.

Daylight saving time: slots are wall-clock times. On the night clocks go forward, a time that does
not exist (2 h 30) is skipped; on the night they go back, a time that happens twice is offered once,
at its first occurrence. Durations are real durations (a 30-minute slot lasts 30 minutes).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from dateutil.rrule import WEEKLY, rrule, rrulestr

UTC = dt.UTC


@dataclass(frozen=True, slots=True)
class Opening:
    """A plage d'ouverture, as slot computation sees it (times are local wall-clock times)."""

    agent_id: int
    lieu_id: str
    first_day: dt.date
    start: dt.time
    end: dt.time
    rrule: str | None = None  # "FREQ=WEEKLY;BYDAY=MO,TU;UNTIL=20270630T235959"; None: first_day only


@dataclass(frozen=True, slots=True)
class Busy:
    """A period when an agent (or, with ``agent_id`` None, the whole structure) cannot take a slot."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    agent_id: int | None = None
    motif_id: int | None = None  # set for an appointment: a collective session shares its start


@dataclass(frozen=True, slots=True)
class MotifRules:
    """What slot computation needs of a motif."""

    motif_id: int
    duration: dt.timedelta
    min_delay: dt.timedelta = dt.timedelta(0)
    max_delay: dt.timedelta = dt.timedelta(days=42)
    seats: int | None = None  # a collective motif: how many people one session takes

    @property
    def collective(self) -> bool:
        return self.seats is not None


@dataclass(frozen=True, slots=True, order=True)
class Slot:
    """A free slot: when, with whom, where. Times are aware, in UTC."""

    starts_at: dt.datetime
    agent_id: int
    lieu_id: str
    ends_at: dt.datetime
    seats_left: int | None = None  # collective motifs only


class RRuleError(ValueError):
    """An RRULE that cannot describe a plage d'ouverture."""


# --- Recurrence ---------------------------------------------------------------------------------

_UNTIL = re.compile(r"UNTIL=(\d{8})(?:T\d{6}Z?)?", re.IGNORECASE)


def normalise_rrule(text: str, first_day: dt.date) -> tuple[str, dt.date]:
    """Check a plage's RRULE and return it in the form stored, with its last day.

    The rule must be weekly (``FREQ=WEEKLY``, with ``INTERVAL`` and ``BYDAY`` as needed) and end on a
    date (``UNTIL``; ``COUNT`` is refused so that the end is visible). ``UNTIL`` may be a date or a
    date-time: the plage's last day is that date, included, whatever the time of the day.
    """
    rule = text.strip().removeprefix("RRULE:").strip().upper()
    if not rule:
        raise RRuleError("empty rule")
    parts = dict(p.split("=", 1) for p in rule.split(";") if "=" in p)
    if len(parts) != len([p for p in rule.split(";") if p]):
        raise RRuleError("expected NAME=VALUE parts separated by ';'")
    if parts.get("FREQ") != "WEEKLY":
        raise RRuleError("expected FREQ=WEEKLY (a weekly recurrence)")
    if "COUNT" in parts:
        raise RRuleError("give an end date with UNTIL=YYYYMMDD rather than COUNT")
    until = _UNTIL.fullmatch(f"UNTIL={parts.get('UNTIL', '')}")
    if not until:
        raise RRuleError("expected an end date: UNTIL=YYYYMMDD")
    try:
        last_day = dt.datetime.strptime(until.group(1), "%Y%m%d").date()
    except ValueError as exc:
        raise RRuleError(f"UNTIL={parts['UNTIL']} is not a date") from exc
    if last_day < first_day:
        raise RRuleError(f"UNTIL={parts['UNTIL']} is before the first day {first_day.isoformat()}")
    parts["UNTIL"] = f"{last_day:%Y%m%d}T235959"
    normalised = ";".join(f"{k}={v}" for k, v in parts.items())
    try:
        parsed = rrulestr(f"RRULE:{normalised}", dtstart=dt.datetime.combine(first_day, dt.time(0)))
    except (ValueError, TypeError) as exc:
        raise RRuleError(str(exc) or "not an RFC 5545 RRULE") from exc
    if not isinstance(parsed, rrule) or parsed._freq != WEEKLY:
        raise RRuleError("expected one weekly RRULE")
    return normalised, last_day


def occurrence_days(opening: Opening, first: dt.date, last: dt.date) -> Iterator[dt.date]:
    """The days between ``first`` and ``last`` (included) on which the plage occurs."""
    if opening.rrule is None:
        if first <= opening.first_day <= last:
            yield opening.first_day
        return
    rule = _parsed_rrule(opening.rrule, opening.first_day)
    start = dt.datetime.combine(max(first, opening.first_day), dt.time(0))
    end = dt.datetime.combine(last, dt.time(23, 59, 59))
    for moment in rule.between(start, end, inc=True):
        yield moment.date()


def first_shared_day(a: Opening, b: Opening, last: dt.date) -> dt.date | None:
    """The first day (up to ``last``) on which two plages of one agent overlap in time: an agent cannot receive
    in two places, or twice, at once. None when they never do."""
    if a.start >= b.end or b.start >= a.end:
        return None
    first = max(a.first_day, b.first_day)
    days_b = set(occurrence_days(b, first, last))
    return next((day for day in occurrence_days(a, first, last) if day in days_b), None)


@lru_cache(maxsize=512)
def _parsed_rrule(text: str, first_day: dt.date) -> rrule:
    # Occurrences are days: the time of the plage is applied afterwards in local wall-clock time, so
    # that the recurrence never drifts by an hour across a DST change.
    return rrulestr(f"RRULE:{text}", dtstart=dt.datetime.combine(first_day, dt.time(0)))  # type: ignore[return-value]


# --- Public holidays ----------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _french_holidays(year: int) -> holidays.HolidayBase:
    return holidays.France(years=year)


def is_public_holiday(day: dt.date) -> bool:
    """A French public holiday (jour férié), from the ``holidays`` package."""
    return day in _french_holidays(day.year)


# --- Wall-clock times ---------------------------------------------------------------------------


def local_moment(day: dt.date, at: dt.time, tz: ZoneInfo) -> dt.datetime | None:
    """The moment ``day`` at ``at`` in ``tz``, in UTC; None if that wall-clock time does not exist (DST)."""
    local = dt.datetime.combine(day, at, tzinfo=tz)  # fold=0: the first of two identical times
    moment = local.astimezone(UTC)
    if moment.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return moment


def _end_of(day: dt.date, at: dt.time, tz: ZoneInfo) -> dt.datetime:
    """When a plage ending at ``at`` ends; a non-existent end time is taken one hour later (the same instant)."""
    moment = local_moment(day, at, tz)
    if moment is None:
        moment = dt.datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
    return moment


def _wall_starts(day: dt.date, start: dt.time, end: dt.time, step: dt.timedelta) -> Iterator[dt.time]:
    """Wall-clock times from ``start``, every ``step``, while a slot can still start before ``end``."""
    cursor = dt.datetime.combine(day, start)
    stop = dt.datetime.combine(day, end)
    while cursor < stop:
        yield cursor.time()
        cursor += step


# --- Slots --------------------------------------------------------------------------------------


def compute_slots(
    openings: Iterable[Opening],
    motif: MotifRules,
    busy: Iterable[Busy],
    *,
    now: dt.datetime,
    tz: ZoneInfo,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    closed: Callable[[dt.date], bool] = is_public_holiday,
) -> list[Slot]:
    """Every free slot of ``motif``, soonest first (one per agent and start).

    ``since`` / ``until`` narrow the search inside the motif's booking window (a day asked for, the
    next page of "autres jours"); they never widen it.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    earliest = now + motif.min_delay
    latest = now + motif.max_delay
    if since is not None:
        earliest = max(earliest, since)
    if until is not None:
        latest = min(latest, until)
    if earliest > latest:
        return []
    first_day = earliest.astimezone(tz).date()
    last_day = latest.astimezone(tz).date()
    busy = list(busy)
    found: list[Slot] = []
    for opening in openings:
        own = [b for b in busy if b.agent_id in (None, opening.agent_id)]
        for day in occurrence_days(opening, first_day, last_day):
            if closed(day):
                continue
            plage_end = _end_of(day, opening.end, tz)
            for wall in _wall_starts(day, opening.start, opening.end, motif.duration):
                starts_at = local_moment(day, wall, tz)
                if starts_at is None or not earliest <= starts_at <= latest:
                    continue
                ends_at = starts_at + motif.duration
                if ends_at > plage_end:
                    break
                seats_left = _seats_left(own, motif, starts_at, ends_at)
                if seats_left is None or seats_left > 0:
                    found.append(Slot(starts_at, opening.agent_id, opening.lieu_id, ends_at,
                                      seats_left if motif.collective else None))
    return sorted(set(found))


def _seats_left(busy: list[Busy], motif: MotifRules, starts_at: dt.datetime, ends_at: dt.datetime) -> int | None:
    """None for a free individual slot, the seats left for a collective one, 0 when it is taken."""
    taken = 0
    for period in busy:
        if not (period.starts_at < ends_at and starts_at < period.ends_at):
            continue
        if motif.collective and period.motif_id == motif.motif_id and period.starts_at == starts_at:
            taken += 1  # another participant of the same session
            continue
        return 0  # an absence, a closure, or the agent busy with someone else
    if motif.seats is None:
        return None
    return motif.seats - taken


# Where a slot must start (local wall-clock time, end excluded) to be in a part of the day. Noon to
# 13:00 is in neither (lunch), and so is 18:00 and later: "fin de journée" is still the afternoon.
PARTS_OF_DAY: dict[str, tuple[dt.time, dt.time]] = {
    "matin": (dt.time(8, 0), dt.time(12, 0)),
    "apres_midi": (dt.time(13, 0), dt.time(18, 0)),
}


def in_part_of_day(slot: Slot, part: str | None, tz: ZoneInfo) -> bool:
    """``matin``: starts in [08:00, 12:00); ``apres_midi``: in [13:00, 18:00) (local time); None: any time."""
    if part is None or part not in PARTS_OF_DAY:
        return True
    first, end = PARTS_OF_DAY[part]
    return first <= slot.starts_at.astimezone(tz).time() < end


def first_per_start(slots: Iterable[Slot]) -> list[Slot]:
    """One slot per start time and lieu (the person picks a time; any free agent will do)."""
    seen: set[tuple[dt.datetime, str]] = set()
    kept = []
    for slot in sorted(slots):
        key = (slot.starts_at, slot.lieu_id)
        if key not in seen:
            seen.add(key)
            kept.append(slot)
    return kept
