"""Calendar files (.ics, RFC 5545 with iTIP methods, RFC 5546) for an appointment.

The young person adds the appointment to their phone's calendar with one tap. Calendar apps
recognise the same event across files by its UID, which never changes, and take the file with the
highest SEQUENCE as the latest: booking sends SEQUENCE 0 with METHOD:REQUEST, each move sends the same
UID with SEQUENCE + 1, and a cancellation sends METHOD:CANCEL (STATUS:CANCELLED) with SEQUENCE + 1,
which removes the event. Times are written in UTC (``...Z``), so no VTIMEZONE is needed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//Departement des Hauts-de-Seine//Tremplin//FR"
MIME_TYPE = "text/calendar"
REQUEST, CANCEL = "REQUEST", "CANCEL"


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """What the calendar file says about one appointment."""

    uid: str
    sequence: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    summary: str
    location: str
    description: str
    organizer_name: str
    organizer_email: str | None
    stamp: dt.datetime  # when this version of the appointment was made (DTSTAMP)


def _event(entry: CalendarEntry, method: str) -> Event:
    event = Event()
    event.add("uid", entry.uid)
    event.add("sequence", entry.sequence)
    event.add("dtstamp", entry.stamp.astimezone(dt.UTC))
    event.add("dtstart", entry.starts_at.astimezone(dt.UTC))
    event.add("dtend", entry.ends_at.astimezone(dt.UTC))
    event.add("summary", entry.summary)
    event.add("location", entry.location)
    event.add("description", entry.description)
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    event.add("transp", "OPAQUE")
    if entry.organizer_email:
        organizer = vCalAddress(f"mailto:{entry.organizer_email}")
        organizer.params["cn"] = vText(entry.organizer_name)
        event["organizer"] = organizer
    return event


def feed(entries: list[CalendarEntry], name: str) -> bytes:
    """A calendar to subscribe to (an advisor's appointments): no iTIP method, every event confirmed."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    for entry in entries:
        cal.add_component(_event(entry, REQUEST))
    return cal.to_ical()


def calendar(entry: CalendarEntry, method: str = REQUEST) -> bytes:
    """The .ics text: METHOD:REQUEST for a booking or a move, METHOD:CANCEL for a cancellation."""
    if method not in (REQUEST, CANCEL):
        raise ValueError(f"unsupported iTIP method {method!r}")
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add_component(_event(entry, method))
    return cal.to_ical()


def filename(entry: CalendarEntry, method: str = REQUEST) -> str:
    """The name of the .ics file sent with the message ("rendez-vous-2026-12-09.ics")."""
    local_day = entry.starts_at.strftime("%Y-%m-%d")
    return f"rendez-vous-{local_day}{'-annule' if method == CANCEL else ''}.ics"
