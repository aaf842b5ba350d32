"""Time, injectable: rules that depend on the hour are tested with a fixed clock."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    """Gives the current time, aware."""

    def now(self) -> dt.datetime: ...


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FixedClock:
    """A clock that only moves when told to (tests, time-travel in the console)."""

    def __init__(self, at: dt.datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.at = at

    def now(self) -> dt.datetime:
        return self.at

    def advance(self, **delta: float) -> dt.datetime:
        """Move forward by ``timedelta(**delta)`` and return the new time."""
        self.at = self.at + dt.timedelta(**delta)
        return self.at

    def set(self, at: dt.datetime) -> None:
        """Jump to ``at``."""
        self.at = at
