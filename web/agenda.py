"""*Agenda*: the structure's appointments of a day or of a week, by advisor and place, with their statuses;
those starting within a quarter of an hour (or past) can be marked seen or no-show from here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from starlette.responses import Response

from flows.advisors.agenda import STATUS_WORDS
from flows.handoff.names import young_name
from flows.rules.formatting import clock, day
from storage.appointments import Appointment
from web.access import STAFF_OF_A_STRUCTURE, Visit, page
from web.record import marks_for
from web.render import render


@dataclass(frozen=True)
class Line:
    appointment: Appointment
    time: str
    person: str
    motif: str
    place: str
    status: str
    marks: list[tuple[str, str]]  # what may be said of it now: (status, button)


def _first_day(visit: Visit) -> tuple[dt.date, bool]:
    """The day asked for (?jour=2026-12-07; today otherwise) and whether the whole week is (?vue=semaine)."""
    today = visit.now.astimezone(visit.world.settings.tz).date()
    try:
        chosen = dt.date.fromisoformat(visit.request.query_params.get("jour", ""))
    except ValueError:
        chosen = today
    week = visit.request.query_params.get("vue") == "semaine"
    return (chosen - dt.timedelta(days=chosen.weekday()) if week else chosen), week


@page(*STAFF_OF_A_STRUCTURE)
async def agenda(visit: Visit) -> Response:
    """GET /agenda."""
    tz = visit.world.settings.tz
    first, week = _first_day(visit)
    days = 7 if week else 1
    start = dt.datetime.combine(first, dt.time(0), tzinfo=tz)
    end = start + dt.timedelta(days=days)
    assert visit.structure_id is not None
    appointments = await visit.uow.appointments.of_structure(visit.structure_id, start.astimezone(dt.UTC),
                                                             end.astimezone(dt.UTC))
    # Read once for the page (a week holds hundreds of appointments): a statement per kind, not per line.
    uow = visit.uow
    people = {p.id: p for p in await uow.people.many({a.person_id for a in appointments if a.person_id})}
    agents = {a.id: a for a in await uow.structures.agents(ids={a.agent_id for a in appointments})}
    motifs = {m.id: m for m in await uow.structures.motifs(visit.structure_id)}
    lieux = {lieu.id: lieu for lieu in await uow.structures.lieux(visit.structure_id)}
    by_day: dict[str, dict[str, list[Line]]] = {}
    for appointment in sorted(appointments, key=lambda a: (a.starts_at, a.id)):
        local = appointment.starts_at.astimezone(tz)
        person = people.get(appointment.person_id or 0)
        motif = motifs.get(appointment.motif_id) or await uow.structures.motif(appointment.motif_id)
        lieu = lieux.get(appointment.lieu_id)
        agent = agents.get(appointment.agent_id)
        line = Line(appointment, clock(local), young_name(person) if person else "(données effacées)",
                    motif.name if motif else "Rendez-vous", lieu.name if lieu else "",
                    STATUS_WORDS.get(appointment.status, appointment.status), marks_for(visit, appointment))
        by_day.setdefault(day(local.date()), {}).setdefault(agent.display_name if agent else "?", []).append(line)
    step = dt.timedelta(days=days)
    return render(visit.request, "agenda.html", {
        "title": "Agenda", "by_day": by_day, "week": week, "heading": day(first) if not week
        else f"Semaine du {day(first)}", "previous": (first - step).isoformat(), "next": (first + step).isoformat(),
        "first": first.isoformat(),
    })
