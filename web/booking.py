"""Booking or moving an appointment for a young person, from their *Fiche*: the structure's next free times
(flows/advisors/booking_for.py), one to choose; the young person is told on their chat."""

from __future__ import annotations

import datetime as dt

from starlette.responses import RedirectResponse, Response

from flows.advisors.booking_for import FreeTime, book_for, free_times, move_for
from flows.advisors.desk import Answer
from flows.rules.formatting import when
from web.access import STAFF_OF_A_STRUCTURE, Visit, not_found, page
from web.record import person_of_structure
from web.render import render


def _choices(visit: Visit, times: list[FreeTime]) -> list[tuple[str, str]]:
    tz = visit.world.settings.tz
    return [(f"{f.lieu.id}|{f.motif.id}|{f.slot.starts_at.isoformat()}",
             f"{when(f.slot.starts_at, tz)} · {f.motif.name} · {f.lieu.name}") for f in times]


def _chosen(visit: Visit) -> tuple[str, int, dt.datetime] | None:
    try:
        lieu_id, motif_id, starts = str(visit.request.state.form.get("choice", "")).split("|")
        return lieu_id, int(motif_id), dt.datetime.fromisoformat(starts)
    except ValueError:
        return None


async def _after(visit: Visit, person_id: int, answer: Answer) -> Response:
    if answer.refused:
        raise not_found()
    visit.request.state.planned = answer.planned
    return render(visit.request, "booked.html", {"title": "Rendez-vous", "notice": answer.notice,
                                                 "person_id": person_id})


@page(*STAFF_OF_A_STRUCTURE)
async def book_page(visit: Visit) -> Response:
    """GET /jeunes/{person_id}/rendez-vous: the next free times."""
    person = await person_of_structure(visit, int(visit.request.path_params["person_id"]))
    if person is None:
        raise not_found()
    return render(visit.request, "book.html", {
        "title": f"Prendre un rendez-vous pour {person.first_name or 'la personne'}",
        "choices": _choices(visit, await free_times(visit.desk())), "action": f"/jeunes/{person.id}/rendez-vous",
        "back": f"/jeunes/{person.id}"})


@page(*STAFF_OF_A_STRUCTURE)
async def book(visit: Visit) -> Response:
    """POST /jeunes/{person_id}/rendez-vous."""
    person = await person_of_structure(visit, int(visit.request.path_params["person_id"]))
    chosen = _chosen(visit)
    if person is None:
        raise not_found()
    if chosen is None:
        return render(visit.request, "booked.html", {"title": "Rendez-vous", "person_id": person.id,
                                                     "error": "Choisissez un créneau. Rien n'a changé."},
                      status_code=400)
    lieu_id, motif_id, starts_at = chosen
    return await _after(visit, person.id, await book_for(visit.desk(), person.id, lieu_id, motif_id, starts_at))


@page(*STAFF_OF_A_STRUCTURE)
async def move_page(visit: Visit) -> Response:
    """GET /rendez-vous/{appointment_id}/deplacer: the next free times at the same place, for the same motif."""
    appointment = await visit.uow.appointments.get(int(visit.request.path_params["appointment_id"]))
    if appointment is None or appointment.structure_id != visit.structure_id or not appointment.live:
        raise not_found()
    times = await free_times(visit.desk(), lieu_id=appointment.lieu_id, motif_id=appointment.motif_id,
                             ignore_appointment=appointment.id)
    return render(visit.request, "book.html", {
        "title": f"Déplacer le rendez-vous du {when(appointment.starts_at, visit.world.settings.tz)}",
        "choices": _choices(visit, times), "action": f"/rendez-vous/{appointment.id}/deplacer",
        "back": f"/jeunes/{appointment.person_id}"})


@page(*STAFF_OF_A_STRUCTURE)
async def move(visit: Visit) -> Response:
    """POST /rendez-vous/{appointment_id}/deplacer."""
    appointment = await visit.uow.appointments.get(int(visit.request.path_params["appointment_id"]))
    chosen = _chosen(visit)
    if appointment is None or appointment.structure_id != visit.structure_id or appointment.person_id is None:
        raise not_found()
    if chosen is None:
        return RedirectResponse(f"/rendez-vous/{appointment.id}/deplacer", status_code=303)
    return await _after(visit, appointment.person_id, await move_for(visit.desk(), appointment.id, chosen[2]))
