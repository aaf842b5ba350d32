"""Humane hours (flows/rules/quiet_hours.py): 20:00-09:00, Sundays and public holidays are quiet; a message
due then moves to the next allowed time, in local wall-clock time, across both changes of the clocks."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.rules.quiet_hours import QuietHours, is_public_holiday
from flows.rules.settings import ConversationSettings, QuietHoursSettings

PARIS = ZoneInfo("Europe/Paris")
DEFAULT = QuietHours.of(ConversationSettings())


def paris(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def hours(**values: object) -> QuietHours:
    return QuietHours(QuietHoursSettings(**values), PARIS)  # type: ignore[arg-type]


@pytest.mark.parametrize(("due", "sent"), [
    # Tuesday 1 December 2026, an ordinary day.
    (paris(2026, 12, 1, 14, 0), paris(2026, 12, 1, 14, 0)),
    (paris(2026, 12, 1, 9, 0), paris(2026, 12, 1, 9, 0)),  # the quiet hours end at 9:00 sharp
    (paris(2026, 12, 1, 19, 59), paris(2026, 12, 1, 19, 59)),
    (paris(2026, 12, 1, 20, 0), paris(2026, 12, 2, 9, 0)),  # and start at 20:00 sharp
    (paris(2026, 12, 1, 21, 30), paris(2026, 12, 2, 9, 0)),
    (paris(2026, 12, 2, 0, 10), paris(2026, 12, 2, 9, 0)),
    (paris(2026, 12, 2, 8, 30), paris(2026, 12, 2, 9, 0)),
    # Saturday evening and Sunday: Monday morning.
    (paris(2026, 12, 5, 20, 30), paris(2026, 12, 7, 9, 0)),
    (paris(2026, 12, 6, 11, 0), paris(2026, 12, 7, 9, 0)),
    (paris(2026, 12, 5, 11, 0), paris(2026, 12, 5, 11, 0)),  # Saturday daytime is allowed
    # Public holidays: Christmas (Friday 25), Easter Monday after its Sunday, 14 July (a Tuesday).
    (paris(2026, 12, 24, 21, 0), paris(2026, 12, 26, 9, 0)),
    (paris(2026, 12, 25, 10, 0), paris(2026, 12, 26, 9, 0)),
    (paris(2026, 4, 4, 20, 30), paris(2026, 4, 7, 9, 0)),
    (paris(2026, 7, 14, 15, 0), paris(2026, 7, 15, 9, 0)),
    (paris(2026, 12, 31, 22, 0), paris(2027, 1, 2, 9, 0)),  # New Year's Day, then Saturday
])
def test_a_message_due_in_quiet_hours_moves_to_the_next_allowed_time(due: dt.datetime, sent: dt.datetime) -> None:
    assert DEFAULT.next_allowed(due) == sent.astimezone(dt.UTC)
    assert DEFAULT.next_allowed(due).tzinfo == dt.UTC


def test_french_public_holidays_are_known() -> None:
    assert all(is_public_holiday(d) for d in (dt.date(2026, 1, 1), dt.date(2026, 4, 6), dt.date(2026, 5, 1),
                                               dt.date(2026, 5, 8), dt.date(2026, 5, 14), dt.date(2026, 5, 25),
                                               dt.date(2026, 7, 14), dt.date(2026, 8, 15), dt.date(2026, 11, 11),
                                               dt.date(2026, 12, 25)))
    assert not is_public_holiday(dt.date(2026, 12, 24))
    assert not is_public_holiday(dt.date(2026, 12, 26))  # Saint-Étienne is only a holiday in Alsace-Moselle


def test_spring_forward_nine_stays_nine_on_the_wall_clock() -> None:
    # Saturday 28 March 2026, 21:00 CET; the clocks go forward in the night of Saturday to Sunday.
    saturday_night = paris(2026, 3, 28, 21, 0)
    assert saturday_night.utcoffset() == dt.timedelta(hours=1)
    # Sundays quiet (default): Monday 30 March, 9:00 CEST = 7:00 UTC (it was 8:00 UTC in winter).
    assert DEFAULT.next_allowed(saturday_night) == utc(2026, 3, 30, 7, 0)
    # Sundays allowed: Sunday 9:00 CEST, 12 real hours after 20:00 CET (13 on an ordinary night).
    sundays_open = hours(sundays=False)
    sunday_nine = sundays_open.next_allowed(saturday_night)
    assert sunday_nine == utc(2026, 3, 29, 7, 0)
    assert sunday_nine.astimezone(PARIS).hour == 9
    assert sunday_nine - paris(2026, 3, 28, 20, 0) == dt.timedelta(hours=12)
    assert not sundays_open.is_allowed(utc(2026, 3, 29, 6, 59))
    assert sundays_open.allowed_until(sunday_nine) == utc(2026, 3, 29, 18, 0)  # 20:00 CEST


def test_fall_back_nine_stays_nine_on_the_wall_clock() -> None:
    # Saturday 24 October 2026, 21:00 CEST; the clocks go back in the night of Saturday to Sunday.
    saturday_night = paris(2026, 10, 24, 21, 0)
    assert DEFAULT.next_allowed(saturday_night) == utc(2026, 10, 26, 8, 0)  # Monday 9:00 CET
    sundays_open = hours(sundays=False)
    sunday_nine = sundays_open.next_allowed(saturday_night)
    assert sunday_nine == utc(2026, 10, 25, 8, 0)
    assert sunday_nine - paris(2026, 10, 24, 20, 0) == dt.timedelta(hours=14)  # the night has an extra hour
    # The repeated hour (2:00-3:00 twice) is quiet both times.
    assert not sundays_open.is_allowed(utc(2026, 10, 25, 0, 30)) and not sundays_open.is_allowed(
        utc(2026, 10, 25, 1, 30))


def test_the_operator_can_open_sundays_holidays_and_change_the_hours() -> None:
    sunday = paris(2026, 12, 6, 11, 0)
    christmas = paris(2026, 12, 25, 11, 0)
    assert hours(sundays=False).next_allowed(sunday) == sunday.astimezone(dt.UTC)
    assert hours(public_holidays=False).next_allowed(christmas) == christmas.astimezone(dt.UTC)
    late = hours(start=dt.time(21, 30), end=dt.time(8, 0))
    assert late.is_allowed(paris(2026, 12, 1, 21, 0)) and late.is_allowed(paris(2026, 12, 2, 8, 0))
    assert late.next_allowed(paris(2026, 12, 1, 22, 0)) == paris(2026, 12, 2, 8, 0).astimezone(dt.UTC)
    # A quiet period inside the day (lunch), not over midnight.
    lunch = hours(start=dt.time(12, 0), end=dt.time(14, 0))
    assert lunch.next_allowed(paris(2026, 12, 1, 12, 30)) == paris(2026, 12, 1, 14, 0).astimezone(dt.UTC)
    assert lunch.is_allowed(paris(2026, 12, 1, 23, 0))
    # No quiet hours at all: start == end.
    never = hours(start=dt.time(9, 0), end=dt.time(9, 0))
    assert never.is_allowed(paris(2026, 12, 1, 3, 0))
    # "18:00" as YAML 1.1 reads it unquoted (a base-60 integer) is understood too.
    assert QuietHoursSettings(start=1200, end=540).start == dt.time(20, 0)  # type: ignore[arg-type]


def test_allowed_until_is_the_end_of_the_window_a_moment_is_in() -> None:
    assert DEFAULT.allowed_until(paris(2026, 12, 1, 14, 0)) == paris(2026, 12, 1, 20, 0).astimezone(dt.UTC)
    assert DEFAULT.allowed_until(paris(2026, 12, 5, 10, 0)) == paris(2026, 12, 5, 20, 0).astimezone(dt.UTC)
    night = paris(2026, 12, 1, 22, 0)
    assert DEFAULT.allowed_until(night) == night.astimezone(dt.UTC)  # not allowed: ends at once
    # Without quiet hours, the window runs until the next Sunday.
    never = hours(start=dt.time(9, 0), end=dt.time(9, 0))
    assert never.allowed_until(paris(2026, 12, 4, 10, 0)) == paris(2026, 12, 6, 0, 0).astimezone(dt.UTC)
    lunch = hours(start=dt.time(12, 0), end=dt.time(14, 0))
    assert lunch.allowed_until(paris(2026, 12, 1, 15, 0)) == paris(2026, 12, 2, 12, 0).astimezone(dt.UTC)


def test_latest_allowed_before_walks_back_over_sundays_and_holidays() -> None:
    six = dt.time(18, 0)
    # Monday 7 December: the Sunday evening is quiet, Saturday's is not.
    assert DEFAULT.latest_allowed_before(dt.date(2026, 12, 7), six) == paris(2026, 12, 5, 18, 0).astimezone(dt.UTC)
    # Tuesday 7 April 2026: Easter Monday and Sunday are closed.
    assert DEFAULT.latest_allowed_before(dt.date(2026, 4, 7), six) == paris(2026, 4, 4, 18, 0).astimezone(dt.UTC)
    # A time that is itself quiet is never allowed.
    assert DEFAULT.latest_allowed_before(dt.date(2026, 12, 7), dt.time(21, 0)) is None


moments = st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2028, 12, 31),
                       timezones=st.just(dt.UTC))


@settings(max_examples=300, deadline=None)
@given(moments)
def test_next_allowed_is_the_first_allowed_minute_from_then(moment: dt.datetime) -> None:
    sent = DEFAULT.next_allowed(moment)
    assert sent >= moment
    assert DEFAULT.is_allowed(sent)
    assert DEFAULT.next_allowed(sent) == sent
    if sent > moment:
        # Nothing allowed in between: the minute before is still quiet, and so was the moment itself.
        assert not DEFAULT.is_allowed(moment)
        assert not DEFAULT.is_allowed(max(moment, sent - dt.timedelta(minutes=1)))
        assert sent.astimezone(PARIS).time() == dt.time(9, 0)  # a moved message goes out when the day opens
    until = DEFAULT.allowed_until(sent)
    assert until > sent and not DEFAULT.is_allowed(until)
    assert DEFAULT.is_allowed(until - dt.timedelta(microseconds=1))
