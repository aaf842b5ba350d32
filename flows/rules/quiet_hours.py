"""Humane hours: when the assistant may write first to a young person.

Nothing that the person did not just ask for (a reminder, a nudge, a follow-up) is sent in the quiet
hours (``quiet_hours.start`` to ``quiet_hours.end``, 20:00-09:00 by default), on Sundays or on French
public holidays (``holidays.France()``), each configurable in ``config.yml``. A message due then moves
to the next allowed time (``next_allowed``); planned messages also stop at the end of the allowed
window they fall in (``allowed_until``), so that a message missed while the bot was down never goes out
in the middle of the night.

Everything is computed in local wall-clock time (Europe/Paris by default) and returned in UTC: 9:00 is
9:00 in winter and in summer, the nights the clocks change included. Pure: no database, no clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from flows.rules.settings import ConversationSettings, QuietHoursSettings

MIDNIGHT = dt.time(0, 0)
MAX_DAYS = 14  # no sensible configuration closes more than this in a row (checked, not assumed)


@lru_cache(maxsize=16)
def _french_holidays(year: int) -> holidays.HolidayBase:
    return holidays.France(years=year)


def is_public_holiday(day: dt.date) -> bool:
    """A French public holiday (national list: 1er janvier, lundi de Pâques, 1er mai, 8 mai, Ascension...)."""
    return day in _french_holidays(day.year)


def local_moment(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    """``day`` at ``time`` on the local wall clock, in UTC.

    A time that does not exist (the spring night the clocks go forward) comes out just after the gap;
    a time that happens twice (the autumn night) is its first occurrence.
    """
    return dt.datetime.combine(day, time, tzinfo=tz).astimezone(dt.UTC)


@dataclass(frozen=True)
class QuietHours:
    """The operator's quiet hours in a time zone; every method takes and returns aware datetimes."""

    settings: QuietHoursSettings
    tz: ZoneInfo

    @classmethod
    def of(cls, settings: ConversationSettings) -> QuietHours:
        """The quiet hours of the conversation settings."""
        return cls(settings.quiet_hours, settings.tz)

    # --- Days and times -----------------------------------------------------------------------

    def day_allowed(self, day: dt.date) -> bool:
        """Not a Sunday nor a public holiday (when those are quiet)."""
        if self.settings.sundays and day.weekday() == 6:
            return False
        return not (self.settings.public_holidays and is_public_holiday(day))

    def quiet_time(self, time: dt.time) -> bool:
        """Whether this time of day is in the quiet hours (which may run over midnight)."""
        start, end = self.settings.start, self.settings.end
        if start == end:  # no quiet hours
            return False
        if start > end:  # 20:00-09:00: over midnight
            return time >= start or time < end
        return start <= time < end

    def is_allowed(self, moment: dt.datetime) -> bool:
        """The assistant may write first at this moment."""
        local = moment.astimezone(self.tz)
        return self.day_allowed(local.date()) and not self.quiet_time(local.time())

    # --- Moving a message ---------------------------------------------------------------------

    def next_allowed(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` if allowed, else the first allowed moment after it (UTC)."""
        start, end = self.settings.start, self.settings.end
        current = moment
        for _ in range(3 * MAX_DAYS):
            local = current.astimezone(self.tz)
            day, time = local.date(), local.time()
            if not self.day_allowed(day):
                current = local_moment(day + dt.timedelta(days=1), MIDNIGHT, self.tz)
            elif not self.quiet_time(time):
                return current.astimezone(dt.UTC)
            elif start > end and time >= start:  # the evening: the quiet hours end tomorrow morning
                current = local_moment(day + dt.timedelta(days=1), end, self.tz)
            else:  # the early morning (or a quiet period inside the day): it ends today
                current = local_moment(day, end, self.tz)
        raise ValueError(f"quiet_hours leave no allowed time within {MAX_DAYS} days of {moment.isoformat()}")

    def allowed_until(self, moment: dt.datetime) -> dt.datetime:
        """The end of the allowed window ``moment`` is in: the next moment the quiet hours begin (UTC).

        ``moment`` itself when it is not allowed. Without quiet hours, Sundays or holidays in sight,
        ``MAX_DAYS`` later.
        """
        if not self.is_allowed(moment):
            return moment.astimezone(dt.UTC)
        start, end = self.settings.start, self.settings.end
        local = moment.astimezone(self.tz)
        today, time = local.date(), local.time()
        for offset in range(MAX_DAYS):
            day = today + dt.timedelta(days=offset)
            if offset and not self.day_allowed(day):
                return local_moment(day, MIDNIGHT, self.tz)
            if start != end and (start > end or offset or time < start):
                return local_moment(day, start, self.tz)
        return local_moment(today + dt.timedelta(days=MAX_DAYS), MIDNIGHT, self.tz)

    def latest_allowed_before(self, day: dt.date, time: dt.time, *, days: int = 7) -> dt.datetime | None:
        """``time`` on the last allowed day before ``day`` (at most ``days`` back), if it is allowed then."""
        for back in range(1, days + 1):
            moment = local_moment(day - dt.timedelta(days=back), time, self.tz)
            if self.is_allowed(moment):
                return moment
        return None
