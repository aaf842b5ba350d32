"""The report's periods: a calendar month (``2026-11``), quarter (``2026-T4``) or year (``2026``), nothing else.

Free date ranges are refused on purpose: two reports over overlapping ranges could be subtracted to single out
one person (docs/rapport.md).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
SHORT_MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")
QUARTER_WORDS = ("1er trimestre", "2e trimestre", "3e trimestre", "4e trimestre")
_FORMS = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|[Tt](?P<quarter>[1-4])))?$")


class PeriodError(ValueError):
    """A period that is not a calendar month, quarter or year: the message says what is expected."""


@dataclass(frozen=True)
class Period:
    """A calendar period in the service's time zone, with its bounds in UTC."""

    code: str  # "2026-11", "2026-T4", "2026"
    first_day: dt.date
    end_day: dt.date  # the day after the last
    tz: ZoneInfo

    @property
    def name(self) -> str:
        """"novembre 2026", "4e trimestre 2026 (octobre à décembre)", "année 2026"."""
        year = self.first_day.year
        if "-T" in self.code:
            quarter = (self.first_day.month - 1) // 3
            return (f"{QUARTER_WORDS[quarter]} {year} ({MONTHS[self.first_day.month - 1]} "
                    f"à {MONTHS[self.first_day.month + 1]})")
        if "-" in self.code:
            return f"{MONTHS[self.first_day.month - 1]} {year}"
        return f"année {year}"

    @property
    def during(self) -> str:
        """"En novembre 2026", "Au 4e trimestre 2026 (octobre à décembre)", "En 2026"."""
        if "-T" in self.code:
            return f"Au {self.name}"
        return f"En {self.name}" if "-" in self.code else f"En {self.first_day.year}"

    def _utc(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), self.tz).astimezone(dt.UTC)

    @property
    def since(self) -> dt.datetime:
        return self._utc(self.first_day)

    @property
    def until(self) -> dt.datetime:
        return self._utc(self.end_day)

    def months(self) -> list[dt.date]:
        """The first day of each month of the period."""
        found, day = [], self.first_day
        while day < self.end_day:
            found.append(day)
            day = _next_month(day)
        return found

    def month_bounds(self) -> list[dt.datetime]:
        """The UTC bounds of the months: the period's start, each month's start, the period's end."""
        return [self._utc(day) for day in self.months()] + [self.until]

    def weeks(self) -> list[dt.date]:
        """The first day of each week of the period (Monday, or the period's first day for the first one)."""
        found, day = [self.first_day], self.first_day + dt.timedelta(days=7 - self.first_day.weekday())
        while day < self.end_day:
            found.append(day)
            day += dt.timedelta(days=7)
        return found

    def week_bounds(self) -> list[dt.datetime]:
        return [self._utc(day) for day in self.weeks()] + [self.until]

    def in_progress(self, now: dt.datetime) -> bool:
        """The period is not over yet (its report is allowed, and says so)."""
        return now < self.until

    def started(self, now: dt.datetime) -> bool:
        return now >= self.since


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def parse_period(text: str, tz: ZoneInfo) -> Period:
    """``2026-11`` (a month), ``2026-T4`` (a quarter) or ``2026`` (a year); anything else raises PeriodError."""
    found = _FORMS.match(text.strip())
    if found is None or not 2000 <= int(found["year"]) <= 2999 or (
            found["month"] is not None and not 1 <= int(found["month"]) <= 12):
        raise PeriodError(
            f"« {text} » n'est pas une période du rapport : un mois (2026-11), un trimestre (2026-T4) ou une année "
            "(2026). Les dates libres ne sont pas possibles : deux rapports sur des dates proches, soustraits "
            "l'un de l'autre, pourraient désigner une personne.")
    year = int(found["year"])
    if found["month"] is not None:
        first = dt.date(year, int(found["month"]), 1)
        return Period(f"{year}-{first.month:02d}", first, _next_month(first), tz)
    if found["quarter"] is not None:
        quarter = int(found["quarter"])
        first = dt.date(year, 3 * quarter - 2, 1)
        return Period(f"{year}-T{quarter}", first, _next_month(_next_month(_next_month(first))), tz)
    return Period(str(year), dt.date(year, 1, 1), dt.date(year + 1, 1, 1), tz)


def spelled_day(day: dt.date) -> str:
    """"5 décembre 2026" ("1er" for the first of the month)."""
    return f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"
