"""What one capability announces and others react to, without importing each other.

A ``Signal`` is a named event and the type of what it carries. A capability that reacts registers a
listener when it is imported; the capability where it happens emits, and every listener runs in the
same turn (so in the same transaction), in the order they were registered::

    @reacts_to(APPOINTMENT_CHANGED)
    async def replan(t: Turn, change: AppointmentChange) -> None:
        ...

    await emit(t, APPOINTMENT_CHANGED, AppointmentChange(appointment, MOVED, by=BY_YOUNG))

The signals are declared here, below the capabilities, so that the one that emits and the ones that
listen all import this module and never each other. A listener must not count on another one having
run: each does its own part (the advisor told, the reminders planned again).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from flows.engine.turn import Turn
    from storage.appointments import Appointment

Data = TypeVar("Data")
Listener = Callable[["Turn", Data], Awaitable[None]]


@dataclass(eq=False)
class Signal(Generic[Data]):
    """A named event; its listeners receive the turn where it happened and a ``Data``."""

    name: str
    listeners: list[Listener[Data]] = field(default_factory=list, repr=False)


def reacts_to(signal: Signal[Data]) -> Callable[[Listener[Data]], Listener[Data]]:
    """Register the decorated coroutine as a listener of ``signal`` (at import time)."""

    def register(listener: Listener[Data]) -> Listener[Data]:
        signal.listeners.append(listener)
        return listener

    return register


async def emit(t: Turn, signal: Signal[Data], data: Data) -> None:
    """Run the listeners of ``signal`` with ``data``, one after the other, in registration order."""
    for listener in list(signal.listeners):
        await listener(t, data)


# --- The signals ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AppointmentChange:
    """An appointment was booked, moved, cancelled, or its status changed (already written)."""

    appointment: Appointment
    kind: str  # BOOKED, MOVED, CANCELLED or STATUS_CHANGED (storage.appointments)
    by: str  # BY_YOUNG, BY_AGENT or BY_SYSTEM
    previous_starts_at: dt.datetime | None = None  # MOVED: the time it had
    previous_status: str | None = None
    note: str | None = None


# Emitted by flows/booking/changes.py after the history line; the hand-off tells the advisor,
# the reminders are planned again.
APPOINTMENT_CHANGED: Signal[AppointmentChange] = Signal("appointment_changed")
