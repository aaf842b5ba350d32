"""*Disponibilités*: the structure's opening hours (as imported) and its absences and closures, which the
structure's manager adds and removes here with the same rules as the import (flows/data/opening_hours.py).
An absence takes its slots out of what the bot offers at once: the bot reads them at every search."""

from __future__ import annotations

import datetime as dt
import secrets

from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from flows.booking.agenda import opening_of
from flows.data.opening_hours import AbsenceEntry, PlageEntry
from flows.rules.formatting import clock, day
from flows.rules.slots import Opening, first_shared_day
from web.access import MANAGERS, Visit, not_found, page
from web.render import render


async def _page(visit: Visit, *, error: str | None = None, notice: str | None = None, status: int = 200
                ) -> Response:
    assert visit.structure_id is not None
    tz = visit.world.settings.tz
    agents = {a.id: a for a in await visit.uow.structures.agents(visit.structure_id) if a.active}
    plages = []
    lieux = {lieu.id: lieu for lieu in await visit.uow.structures.lieux(visit.structure_id)}
    for plage in await visit.uow.availability.plages_of_structure(visit.structure_id):
        agent = agents.get(plage.agent_id)
        lieu = lieux.get(plage.lieu_id)
        plages.append((plage.id, agent.display_name if agent else "?", lieu.name if lieu else plage.lieu_id,
                       f"{clock(plage.start_time)} – {clock(plage.end_time)}", _days(plage.rrule),
                       day(plage.last_day, year=True)))
    absences = []
    for absence in await visit.uow.availability.absences_of_structure(visit.structure_id, visit.now):
        who = agents[absence.agent_id].display_name if absence.agent_id in agents else "Toute la structure"
        absences.append((absence.id, who, absence.title, _period(absence.starts_at, absence.ends_at, tz)))
    return render(visit.request, "availability.html", {
        "title": "Disponibilités", "plages": plages, "absences": absences, "agents": list(agents.values()),
        "lieux": list(lieux.values()), "motifs": await visit.uow.structures.motifs(visit.structure_id),
        "weekdays": list(WEEKDAYS.items())[:6], "error": error, "notice": notice,
        "today": visit.now.astimezone(tz).date().isoformat()}, status_code=status)


WEEKDAYS = {"MO": "lundi", "TU": "mardi", "WE": "mercredi", "TH": "jeudi", "FR": "vendredi", "SA": "samedi",
            "SU": "dimanche"}


def _days(rrule: str | None) -> str:
    """"lundi, mardi" from FREQ=WEEKLY;BYDAY=MO,TU (a single day when there is no rule)."""
    if not rrule:
        return "une fois"
    parts = dict(part.split("=", 1) for part in rrule.split(";") if "=" in part)
    days = [WEEKDAYS.get(code, code) for code in parts.get("BYDAY", "").split(",") if code]
    return ", ".join(days) or "chaque semaine"


def _period(starts_at: dt.datetime, ends_at: dt.datetime, tz: dt.tzinfo) -> str:
    """"lundi 28 décembre, toute la journée", "du lundi 28 au mercredi 30 décembre", or with the hours."""
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    if start.time() == end.time() == dt.time(0):
        last = end.date() - dt.timedelta(days=1)
        return f"{day(start.date())}, toute la journée" if last == start.date() else \
            f"du {day(start.date())} au {day(last)}, toute la journée"
    return f"du {day(start.date())} {clock(start)} au {day(end.date())} {clock(end)}"


@page(*MANAGERS)
async def availability(visit: Visit) -> Response:
    """GET /disponibilites."""
    return await _page(visit)


@page(*MANAGERS)
async def add_absence(visit: Visit) -> Response:
    """POST /disponibilites/absences: an advisor away, or the whole structure closed."""
    form = visit.request.state.form
    assert visit.structure_id is not None
    tz = visit.world.settings.tz
    who = str(form.get("who", ""))
    agents = {str(a.id): a for a in await visit.uow.structures.agents(visit.structure_id) if a.active}
    if who != "structure" and who not in agents:
        return await _page(visit, error="Choisissez qui est absent. Rien n'a changé.", status=400)
    try:
        entry = AbsenceEntry(
            id=f"desk-{secrets.token_hex(6)}", title=str(form.get("title", ""))[:120],
            agent=agents[who].email or str(agents[who].id) if who != "structure" else None,
            structure=visit.structure_id if who == "structure" else None,
            first_day=str(form.get("first_day", "")), end_day=str(form.get("end_day", "")) or None,
            start_time=str(form.get("start_time", "")) or None, end_time=str(form.get("end_time", "")) or None,
        )
    except ValidationError:
        return await _page(visit, error="Les dates ne sont pas valides : le dernier jour ne peut pas être avant le "
                                        "premier. Rien n'a changé.", status=400)
    starts_at, ends_at = entry.period(tz)
    if ends_at <= visit.now:
        return await _page(visit, error="Cette absence est déjà passée. Rien n'a changé.", status=400)
    if starts_at >= ends_at:
        return await _page(visit, error="La fin doit être après le début. Rien n'a changé.", status=400)
    await visit.uow.structures.upsert_absence(
        entry.id, agent_id=agents[who].id if who != "structure" else None,
        structure_id=visit.structure_id if who == "structure" else None, starts_at=starts_at, ends_at=ends_at,
        title=entry.title)
    return RedirectResponse("/disponibilites", status_code=303)


@page(*MANAGERS)
async def remove_absence(visit: Visit) -> Response:
    """POST /disponibilites/absences/{absence_id}/supprimer."""
    assert visit.structure_id is not None
    if not await visit.uow.availability.remove_absence(int(visit.request.path_params["absence_id"]),
                                                     visit.structure_id):
        raise not_found()
    return RedirectResponse("/disponibilites", status_code=303)


@page(*MANAGERS)
async def add_plage(visit: Visit) -> Response:
    """POST /disponibilites/plages: an advisor receives at a place, on some weekdays, from a day to a day."""
    form = visit.request.state.form
    assert visit.structure_id is not None
    agents = {str(a.id): a for a in await visit.uow.structures.agents(visit.structure_id) if a.active}
    lieux = {lieu.id: lieu for lieu in await visit.uow.structures.lieux(visit.structure_id)}
    motifs = {str(m.id): m for m in await visit.uow.structures.motifs(visit.structure_id)}
    agent, lieu = agents.get(str(form.get("agent", ""))), lieux.get(str(form.get("lieu", "")))
    days = [code for code in WEEKDAYS if form.get(f"day_{code}")]
    chosen = [motifs[m] for m in form.getlist("motifs") if m in motifs]
    if agent is None or lieu is None or not days or not chosen:
        return await _page(visit, error="Choisissez la personne, le lieu, au moins un jour et un motif. "
                                        "Rien n'a changé.", status=400)
    try:
        entry = PlageEntry(
            id=f"desk-{secrets.token_hex(6)}", agent=agent.email or str(agent.id), lieu=lieu.id,
            motifs=[m.code for m in chosen], first_day=str(form.get("first_day", "")),
            start_time=str(form.get("start_time", "")), end_time=str(form.get("end_time", "")),
            rrule=f"FREQ=WEEKLY;BYDAY={','.join(days)};UNTIL={str(form.get('last_day', '')).replace('-', '')}")
        rrule, last_day = entry.stored_rule()
    except (ValidationError, ValueError):
        return await _page(visit, error="Les dates ou les heures ne vont pas : la fin doit être après le début, et le "
                                        "dernier jour après le premier. Rien n'a changé.", status=400)
    if last_day < visit.now.astimezone(visit.world.settings.tz).date():
        return await _page(visit, error="Ces horaires sont déjà passés. Rien n'a changé.", status=400)
    new = Opening(agent.id, lieu.id, entry.first_day, entry.start_time, entry.end_time, rrule)
    for plage in await visit.uow.availability.plages_of_structure(visit.structure_id, agent.id):
        clash = first_shared_day(new, opening_of(plage), min(last_day, plage.last_day))
        if clash is not None:
            return await _page(visit, error=f"{agent.display_name} reçoit déjà à ce moment-là (par exemple le "
                                            f"{day(clash)}, {clock(plage.start_time)} – {clock(plage.end_time)}). "
                                            "Rien n'a changé.", status=400)
    await visit.uow.structures.upsert_plage(
        entry.id, agent_id=agent.id, lieu_id=lieu.id, motif_ids=[m.id for m in chosen], first_day=entry.first_day,
        start_time=entry.start_time, end_time=entry.end_time, rrule=rrule, last_day=last_day)
    return RedirectResponse("/disponibilites", status_code=303)


@page(*MANAGERS)
async def remove_plage(visit: Visit) -> Response:
    """POST /disponibilites/plages/{plage_id}/supprimer: the slots still free go; booked appointments stay."""
    assert visit.structure_id is not None
    if not await visit.uow.availability.remove_plage(int(visit.request.path_params["plage_id"]), visit.structure_id):
        raise not_found()
    return RedirectResponse("/disponibilites", status_code=303)
