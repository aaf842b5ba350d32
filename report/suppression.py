"""Small counts are not shown: the rule of statistical confidentiality applied to every figure of the report.

- **Primary**: a count of 1 to ``threshold - 1`` people (or events) is shown as "< threshold" (default 11, as
  Insee does for statistics about persons: ``report.min_count`` in config.yml). Zero is shown.
- **Secondary** (the complement): in a breakdown whose total is shown, a single hidden cell could be recomputed
  as the total minus the others; the smallest other non-zero cell is hidden with it.
- **Rates and statistics**: a rate is not shown when its base is under the threshold, nor when its numerator or
  any count its base is made of is hidden (it would give them back); a median or a percentile is not shown when
  it is taken over fewer people than the threshold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_MIN_COUNT = 11
NOT_SHOWN = "non diffusé"


def number(value: int) -> str:
    """French digit grouping with a narrow no-break space: "12 345"."""
    return f"{value:,}".replace(",", "\u202f")


@dataclass(frozen=True)
class Count:
    """A count as published."""

    value: int
    threshold: int
    hidden: bool = False

    @property
    def text(self) -> str:
        return f"< {self.threshold}" if self.hidden else number(self.value)

    @property
    def csv(self) -> str:
        return f"< {self.threshold}" if self.hidden else str(self.value)


def count(value: int, threshold: int) -> Count:
    """A count standing alone (primary suppression only)."""
    return Count(value, threshold, 0 < value < threshold)


def breakdown(values: Sequence[int], threshold: int) -> list[Count]:
    """The cells of a breakdown whose total is shown: primary suppression, then the complement."""
    hidden = [0 < value < threshold for value in values]
    if sum(hidden) == 1 and sum(values) >= threshold:
        candidates = [(value, index) for index, value in enumerate(values) if value > 0 and not hidden[index]]
        if candidates:
            hidden[min(candidates)[1]] = True
    return [Count(value, threshold, flag) for value, flag in zip(values, hidden, strict=True)]


@dataclass(frozen=True)
class Rate:
    """A share, with its base (a rate is never published without it)."""

    numerator: int
    base: int
    threshold: int
    hidden: bool

    @property
    def value(self) -> float | None:
        return None if self.hidden or self.base == 0 else self.numerator / self.base

    @property
    def text(self) -> str:
        if self.base == 0:
            return "–"
        return NOT_SHOWN if self.value is None else f"{round(100 * self.value)}\u202f%"

    @property
    def csv(self) -> str:
        return "" if self.value is None else f"{self.value:.4f}"

    @property
    def base_text(self) -> str:
        return count(self.base, self.threshold).text


def rate(numerator: Count, base: int, threshold: int, parts: Sequence[Count] = ()) -> Rate:
    """``numerator / base``, not shown when the base is small or would give back a hidden count."""
    hidden = base < threshold or numerator.hidden or any(part.hidden for part in parts)
    return Rate(numerator.value, base, threshold, hidden)


def percentile(values: Sequence[float], fraction: float) -> float:
    """The percentile by linear interpolation (PostgreSQL's ``percentile_cont``)."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Statistic:
    """A median or a percentile of durations (seconds), over ``base`` people."""

    seconds: float | None
    base: int
    threshold: int

    @property
    def hidden(self) -> bool:
        return self.base < self.threshold

    @property
    def text(self) -> str:
        if self.base == 0 or self.seconds is None:
            return "–"
        return NOT_SHOWN if self.hidden else duration(self.seconds)

    @property
    def csv(self) -> str:
        return "" if self.hidden or self.seconds is None else f"{self.seconds / 86400:.2f}"


def statistic(values: Sequence[float], fraction: float, threshold: int) -> Statistic:
    """The percentile of these durations, hidden over fewer than ``threshold`` of them."""
    if not values:
        return Statistic(None, 0, threshold)
    return Statistic(percentile(values, fraction), len(values), threshold)


def duration(seconds: float) -> str:
    """"45 min", "3 h 20", "4,5 jours", "13 jours"."""
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h {rest:02d}" if rest else f"{hours} h"
    days = seconds / 86400
    if days >= 10:  # a tenth of a day is noise beyond ten days
        return f"{round(days)} jours"
    return f"{days:.1f} jours".replace(".", ",").replace(",0 jours", " jours")
