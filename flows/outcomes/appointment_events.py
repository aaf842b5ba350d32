"""The report's events about appointments (storage/report_events.py): booked, and how each one went.

Listens to every change of an appointment (flows/booking/changes.py), so that a booking by the young person,
by an advisor on the desk, a cancellation or an advisor's "venu" / "absent" are counted where they happen.
A move is not a new booking: the appointment keeps its events.
"""

from __future__ import annotations

from flows.engine.reactions import APPOINTMENT_CHANGED, AppointmentChange, reacts_to
from flows.engine.turn import Turn
from flows.profile.report_events import record_event
from storage.appointments import BOOKED, BY_YOUNG, CANCELLED, STATUS_CHANGED
from storage.report_events import APPOINTMENT_BOOKED, APPOINTMENT_STATUS, BOOKED_BY_ADVISOR, BOOKED_BY_BOT


@reacts_to(APPOINTMENT_CHANGED)
async def count_appointment(t: Turn, change: AppointmentChange) -> None:
    appointment = change.appointment
    if appointment.person_id != t.person.id:
        return
    where = {"about_at": appointment.starts_at, "item": f"a:{appointment.id}", "structure": appointment.structure_id}
    if change.kind == BOOKED:
        # From the first contact (the person's row was made then) to this appointment: the report's delay.
        waited = (appointment.starts_at - t.person.created_at).total_seconds()
        await record_event(t.uow, t.world.territory, t.person, APPOINTMENT_BOOKED, t.now, value=waited,
                           detail=BOOKED_BY_BOT if change.by == BY_YOUNG else BOOKED_BY_ADVISOR, **where)
    elif change.kind in (CANCELLED, STATUS_CHANGED):
        await record_event(t.uow, t.world.territory, t.person, APPOINTMENT_STATUS, t.now, detail=appointment.status,
                           **where)
