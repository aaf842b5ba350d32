"""What an advisor does with their structure's agenda: today's appointments, marking one "venu" or "absent",
their next opening hours.

Operations on a ``Desk`` returning an ``Answer`` (flows/advisors/desk.py), like flows/advisors/requests.py.
A no-show goes through ``flows.booking.changes.appointment_changed``, so that what follows it (the "on
replanifie ?" message) is planned by its owner.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from flows.advisors.desk import Answer, Desk, Said
from flows.booking.changes import appointment_changed
from flows.engine.script import ActionButton
from flows.handoff.names import young_name
from flows.handoff.opening import opening_periods
from flows.handoff.relay import send_young_turn, young_turn
from flows.rules.formatting import clock, day
from storage.appointments import (
    BY_AGENT,
    CANCELLED_STATUSES,
    EXCUSED,
    NOSHOW,
    SEEN,
    STATUS_CHANGED,
    UNKNOWN,
    Appointment,
)

DAY_SHOWN = 25  # cards of today's appointments
EARLY = dt.timedelta(minutes=15)  # "venu" / "absent" can be said from 15 minutes before the start
STATUS_WORDS = {UNKNOWN: "à venir", SEEN: "✅ venu", NOSHOW: "❌ absent", "excused": "annulé par la personne",
                "revoked": "annulé par la structure"}
MARKS = (SEEN, NOSHOW)  # what an advisor may say of an appointment that has come (the Telegram buttons)
# And the desk: "excusé", the person said beforehand they would not come (RDV-Service-Public's statuses): any
# time, and the place is free again.
DESK_MARKS = (SEEN, EXCUSED, NOSHOW)


async def todays_appointments(desk: Desk) -> Answer:
    """One card per appointment of the structure today, the advisor's own first, "Venu" / "Absent" under those
    still to mark."""
    answer = Answer()
    today = desk.now.astimezone(desk.tz).date()
    start = dt.datetime.combine(today, dt.time(0), tzinfo=desk.tz).astimezone(dt.UTC)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), tzinfo=desk.tz).astimezone(dt.UTC)
    appointments = [a for a in await desk.uow.appointments.of_structure(desk.agent.structure_id, start, end)
                    if a.status not in CANCELLED_STATUSES]
    if not appointments:
        return answer.say(f"Aucun rendez-vous aujourd'hui ({day(today)}) à {desk.structure_name}.")
    appointments.sort(key=lambda a: (a.agent_id != desk.agent.id, a.starts_at, a.id))
    more = f" ({DAY_SHOWN} premiers)" if len(appointments) > DAY_SHOWN else ""
    answer.say(f"Rendez-vous du {day(today)}{more} : les vôtres d'abord.")
    for appointment in appointments[:DAY_SHOWN]:
        answer.said.append(await appointment_card(desk, appointment))
    return answer


async def appointment_card(desk: Desk, appointment: Appointment) -> Said:
    """When, who, why, with whom, how it went; "Venu" / "Absent" while nobody has said."""
    person = await desk.uow.people.get(appointment.person_id) if appointment.person_id else None
    age = f", {person.age} ans" if person is not None and person.age else ""
    who = "(données effacées)" if person is None else f"{young_name(person)}{age}"
    motif = await desk.uow.structures.motif(appointment.motif_id)
    agent = await desk.uow.structures.agent(appointment.agent_id)
    parts = [clock(appointment.starts_at.astimezone(desk.tz)), who, motif.name if motif else "rendez-vous",
             f"avec {agent.display_name}" if agent else ""]
    text = " · ".join(p for p in parts if p) + f"\n{STATUS_WORDS.get(appointment.status, appointment.status)}"
    buttons: tuple[tuple[ActionButton, ...], ...] = ()
    if appointment.status == UNKNOWN:
        argument = str(appointment.id)
        buttons = ((ActionButton("Venu", "venu", argument), ActionButton("Absent", "absent", argument)),)
    return Said(text, buttons, person_id=appointment.person_id)


async def mark_attendance(desk: Desk, appointment_id: int, status: str) -> Answer:
    """The appointment is ``seen`` or ``noshow`` (from 15 minutes before its start); its card, redrawn."""
    if status not in DESK_MARKS:
        raise ValueError(f"an advisor marks an appointment {DESK_MARKS}, not {status!r}")
    appointment = await desk.uow.appointments.get(appointment_id)
    if appointment is None or appointment.structure_id != desk.agent.structure_id:
        return Answer(refused=True).say("Je ne trouve pas ce rendez-vous dans votre structure.")
    if appointment.status != UNKNOWN:
        return Answer(notice=f"Déjà noté : {STATUS_WORDS.get(appointment.status, appointment.status)}.")
    if status != EXCUSED and appointment.starts_at - desk.now > EARLY:
        return Answer(notice=f"Ce rendez-vous commence à {clock(appointment.starts_at.astimezone(desk.tz))}.")
    answer = Answer(notice={SEEN: "Noté : venu.", NOSHOW: "Noté : absent.", EXCUSED: "Noté : excusé."}[status])
    person = await desk.uow.people.get(appointment.person_id) if appointment.person_id else None
    if person is not None:
        await desk.uow.lock_person(person.id)
        t = await young_turn(desk.uow, desk.world, person, desk.now, key=f"{desk.key}:young")
        await desk.uow.appointments.set_status(appointment, status, desk.now)
        # The booking's single hook: history, and whatever the other capabilities plan after a no-show.
        await appointment_changed(t, appointment, STATUS_CHANGED, by=BY_AGENT, previous_status=UNKNOWN)
        answer.planned.extend(await send_young_turn(t))
    else:  # the person erased their data since: the structure's agenda still says how it went
        await desk.uow.appointments.set_status(appointment, status, desk.now)
        await desk.uow.appointments.record(appointment, event=STATUS_CHANGED, by=BY_AGENT, now=desk.now,
                                           previous_status=UNKNOWN)
    answer.said.append(dataclasses.replace(await appointment_card(desk, appointment), replaces=True))
    return answer


async def availability(desk: Desk, days: int = 14) -> Answer:
    """The advisor's next opening hours, with how many appointments each already holds."""
    periods = await opening_periods(desk.uow, [desk.agent], desk.now, days, desk.tz)
    if not periods:
        return Answer().say(f"Aucune plage d'ouverture dans les {days} prochains jours. "
                            "L'opérateur les charge avec « tremplin slots import ».")
    lines = []
    today = desk.now.astimezone(desk.tz).date()
    for period in periods[:12]:
        start, end = period.starts_at.astimezone(desk.tz), period.ends_at.astimezone(desk.tz)
        lieu = await desk.uow.structures.lieu(period.lieu_id)
        booked = await desk.uow.appointments.live_between(agent_ids=[desk.agent.id], starts_at=period.starts_at,
                                                          ends_at=period.ends_at)
        count = f" · {len(booked)} rdv" if booked else ""
        lines.append(f"• {day(start, today=today)}, {clock(start)} – {clock(end)}"
                     f"{f' ({lieu.name})' if lieu else ''}{count}")
    return Answer().say("Vos prochaines plages :\n" + "\n".join(lines))
