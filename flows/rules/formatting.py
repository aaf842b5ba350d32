"""Dates, times and lists spelled out in French, the way people say them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from zoneinfo import ZoneInfo

DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
SHORT_MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")


def clock(moment: dt.datetime | dt.time) -> str:
    """"14 h", "9 h 30"."""
    return f"{moment.hour} h" if moment.minute == 0 else f"{moment.hour} h {moment.minute:02d}"


def day(moment: dt.date | dt.datetime, *, today: dt.date | None = None, year: bool = False) -> str:
    """"mardi 3 décembre" ("aujourd'hui", "demain" when ``today`` is given)."""
    date = moment.date() if isinstance(moment, dt.datetime) else moment
    if today is not None:
        if date == today:
            return "aujourd'hui"
        if date == today + dt.timedelta(days=1):
            return "demain"
    number = "1er" if date.day == 1 else str(date.day)
    text = f"{DAYS[date.weekday()]} {number} {MONTHS[date.month - 1]}"
    return f"{text} {date.year}" if year else text


def when(moment: dt.datetime, tz: ZoneInfo, *, today: dt.date | None = None) -> str:
    """"mardi 3 décembre à 14 h", in the given time zone."""
    local = moment.astimezone(tz)
    return f"{day(local, today=today)} à {clock(local)}"


def short_day(moment: dt.date | dt.datetime) -> str:
    """"3 déc.", "1er déc."."""
    date = moment.date() if isinstance(moment, dt.datetime) else moment
    return f"{'1er' if date.day == 1 else date.day} {SHORT_MONTHS[date.month - 1]}"


def short_when(moment: dt.datetime, tz: dt.tzinfo) -> str:
    """"mardi 3 déc. 14 h", in the given time zone: a time on a button."""
    local = moment.astimezone(tz)
    return f"{DAYS[local.weekday()]} {short_day(local)} {clock(local)}"


def compact_when(moment: dt.datetime, tz: dt.tzinfo) -> str:
    """"lun. 30 nov. 18 h", "lun. 1 déc. 18 h" (a plain day number), in the given time zone: a line of a list."""
    local = moment.astimezone(tz)
    return f"{DAYS[local.weekday()][:3]}. {local.day} {SHORT_MONTHS[local.month - 1]} {clock(local)}"


def join(items: Sequence[str], last: str = "et") -> str:
    """"a, b et c"."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def months(count: int) -> str:
    """"2 ans", "18 mois", "1 an"."""
    if count % 12 == 0:
        years = count // 12
        return f"{years} an" + ("s" if years > 1 else "")
    return f"{count} mois"


# Control characters (but line breaks and tabs) and the invisible marks that reorder text: a message
# with U+202E shows an advisor "evil.exe" as "exe.live", or hides words of the summary.
_HIDDEN = re.compile("[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def as_typed_for_advisors(text: str) -> str:
    """A young person's words as an advisor reads them (summary, forwards, e-mail): the characters that
    control or reorder the display removed, everything visible kept."""
    return _HIDDEN.sub("", text)
