"""Whether a planned message may still go when it comes due: the person's choices, and its relevance.

Decided here, applied by delivery (bot/delivery.py only delivers). Replies (``ESSENTIAL``) always go.
Appointment reminders go to who chose "tout" or "seulement mes rendez-vous" (/rappels); inactivity
nudges only to who chose "tout" and whose advisor did not pause them; nothing planned goes to someone
who blocked the bot. A message past its ``expires_at`` (a reminder of an appointment already started, a
nudge past its allowed hours) is dropped, and so is a nudge to someone who wrote since it was planned.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from storage.outbox import APPOINTMENT, CANCELLED, DROPPED, ESSENTIAL, NUDGE, OutboxMessage
from storage.people import Person

ALL, APPOINTMENTS, NONE = "all", "appointments", "none"  # people.notifications, chosen with /rappels
# "Ça s'est passé comment ?" days after "Je postule" (flows/suggestions/applying.py): wanted as a nudge is,
# but not dropped because the person wrote since (it asks about something they did, not whether they are there).
FOLLOW_UP = "follow_up"


def wanted(person: Person | None, category: str) -> bool:
    """Whether the person still wants (and can receive) a message of this category."""
    if category == ESSENTIAL:
        return True
    if person is None or person.unreachable_at is not None:
        return False
    if category in (NUDGE, FOLLOW_UP):
        return person.notifications == ALL and not person.nudges_paused
    if category == APPOINTMENT:
        return person.notifications in (ALL, APPOINTMENTS)
    return True


@dataclass(frozen=True)
class Withheld:
    """A message that will not go: its final status (``DROPPED``: no longer relevant; ``CANCELLED``: not
    wanted), and why, for the outbox row."""

    status: str
    reason: str


def withhold(message: OutboxMessage, person: Person | None, now: dt.datetime) -> Withheld | None:
    """Why this message, come due, must not be sent now; None when it goes.

    ``person`` is the one the message is about (None when there is none, or for a reply, which needs no look-up).
    """
    if message.expires_at is not None and message.expires_at <= now:
        return Withheld(DROPPED, "no longer relevant")
    if message.category == NUDGE and person is not None and person.last_seen_at > message.created_at:
        return Withheld(DROPPED, "the person was active since it was planned")
    if message.person_id is not None and not wanted(person, message.category):
        return Withheld(CANCELLED, "the person does not want it")
    return None
