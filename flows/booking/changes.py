"""The one place every change of an appointment goes through: the history line, then the reactions.

What follows a booking, a move or a cancellation elsewhere (the advisor told, the reminders planned
again) listens to ``APPOINTMENT_CHANGED`` (flows/engine/reactions.py): booking imports none of it.
"""

from __future__ import annotations

import datetime as dt

from flows.engine.reactions import APPOINTMENT_CHANGED, AppointmentChange, emit
from flows.engine.turn import Turn
from storage.appointments import CANCELLED, MOVED, Appointment


async def appointment_changed(
    t: Turn,
    appointment: Appointment,
    change: str,
    *,
    by: str,
    previous_starts_at: dt.datetime | None = None,
    previous_status: str | None = None,
    note: str | None = None,
) -> None:
    """Called once after every change of an appointment, in the same transaction as the change.

    ``change`` is ``BOOKED``, ``MOVED``, ``CANCELLED`` or ``STATUS_CHANGED`` (from storage.appointments);
    ``by`` says who (``BY_YOUNG``, ``BY_AGENT``, ``BY_SYSTEM``). It writes the history line and, when the
    appointment moved or was cancelled, drops the messages still planned about it (their
    ``appointment_id`` is set); then it emits ``APPOINTMENT_CHANGED``.

    The listeners: the hand-off (flows/handoff/appointments.py) sends the advisors the summary of a
    booking and tells them what the young person moved or cancelled; the reminders
    (flows/nudges/reminders.py) plan, on BOOKED and MOVED, with ``appointment_id=appointment.id`` and
    keys built from ``appointment.id`` and ``appointment.sequence`` (a move bumps the sequence, so the
    new reminders never collide with the cancelled ones), and a no-show plans "on replanifie ?". The
    advisors' "venu" / "absent" buttons call this with STATUS_CHANGED after ``uow.appointments.set_status``.
    """
    await t.uow.appointments.record(
        appointment, event=change, by=by, now=t.now, previous_status=previous_status,
        previous_starts_at=previous_starts_at, note=note,
    )
    if change in (MOVED, CANCELLED):
        await t.uow.outbox.cancel_pending(appointment_id=appointment.id)
    await emit(t, APPOINTMENT_CHANGED, AppointmentChange(
        appointment, change, by, previous_starts_at=previous_starts_at, previous_status=previous_status, note=note,
    ))
