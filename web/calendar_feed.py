"""An advisor's private calendar: a secret address their usual calendar subscribes to, so that bookings show
there. It carries the time, the place, the kind of appointment and the young person's first name only. A new
address revokes the previous one; every fetch is counted and logged (no personal data in the log)."""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from flows.rules.ics import MIME_TYPE, CalendarEntry, feed
from storage.appointments import CANCELLED_STATUSES
from web.access import STAFF_OF_A_STRUCTURE, Visit, page
from web.render import render

log = logging.getLogger(__name__)
PAST, AHEAD = dt.timedelta(days=7), dt.timedelta(days=90)


@page(*STAFF_OF_A_STRUCTURE)
async def calendar_page(visit: Visit) -> Response:
    """GET /agenda/calendrier: whether a private address exists (it is shown once, when made)."""
    live = await visit.uow.staff.live_feed(visit.agent.id)
    return render(visit.request, "calendar.html", {"title": "Mon agenda dans mon calendrier", "live": live})


@page(*STAFF_OF_A_STRUCTURE)
async def new_address(visit: Visit) -> Response:
    """POST /agenda/calendrier: a new private address (the previous one stops working)."""
    token = secrets.token_urlsafe(32)
    await visit.uow.staff.new_feed(visit.agent.id, token, visit.now)
    url = f"{visit.request.app.state.settings.public_url.rstrip('/')}/calendrier/{token}.ics"
    return render(visit.request, "calendar.html", {"title": "Mon agenda dans mon calendrier", "url": url,
                                                   "live": await visit.uow.staff.live_feed(visit.agent.id)})


@page(*STAFF_OF_A_STRUCTURE)
async def revoke(visit: Visit) -> Response:
    """POST /agenda/calendrier/revoquer."""
    await visit.uow.staff.revoke_feeds(visit.agent.id, visit.now)
    return render(visit.request, "calendar.html", {"title": "Mon agenda dans mon calendrier", "live": None,
                                                   "notice": "L'adresse ne fonctionne plus."})


async def calendar_file(request: Request) -> Response:
    """GET /calendrier/{token}.ics: the advisor's appointments from a week ago to three months ahead."""
    state = request.app.state
    async with state.db.transaction() as uow:
        now = state.clock.now()
        agent = await uow.staff.fetch_feed(request.path_params["token"][:100], now)
        if agent is None or agent.structure_id is None:
            raise HTTPException(404, "Cette adresse ne fonctionne pas, ou plus.")
        log.info("calendar feed of agent %s fetched", agent.id)
        appointments = await uow.appointments.of_structure(agent.structure_id, now - PAST, now + AHEAD)
        entries = []
        for appointment in appointments:
            if appointment.agent_id != agent.id or appointment.status in CANCELLED_STATUSES:
                continue
            person = await uow.people.get(appointment.person_id) if appointment.person_id else None
            motif = await uow.structures.motif(appointment.motif_id)
            lieu = await uow.structures.lieu(appointment.lieu_id)
            first_name = person.first_name if person is not None and person.first_name else "Rendez-vous"
            entries.append(CalendarEntry(
                uid=f"tremplin-appointment-{appointment.id}@tremplin", sequence=0, starts_at=appointment.starts_at,
                ends_at=appointment.ends_at, summary=f"{first_name} · {motif.name if motif else 'Rendez-vous'}",
                location=f"{lieu.name}, {lieu.address}" if lieu else "", description="Tremplin",
                organizer_name=agent.display_name, organizer_email=None, stamp=now))
        body = feed(entries, f"Tremplin · {agent.display_name}")
    return Response(body, media_type=MIME_TYPE, headers={"Cache-Control": "private, max-age=300"})
