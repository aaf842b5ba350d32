"""*Demandes*: the open requests of the structure, urgent ones first, with how long each has waited; "je m'en
occupe", close with what became of it. The list refreshes by itself (web/static/desk.js asks for the fragment)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import RedirectResponse, Response

from flows.advisors import requests as operations
from flows.advisors.desk import request as request_in_scope
from flows.advisors.requests import REASONS
from flows.handoff.names import young_name
from storage.handoffs import CLOSE_REASONS, Handoff
from web.access import STAFF_OF_A_STRUCTURE, Visit, not_found, page
from web.render import render

SHOWN = 50


@dataclass(frozen=True)
class RequestRow:
    """One line of the list."""

    handoff: Handoff
    name: str
    age: int | None
    reason: str
    waiting: str
    taker: str | None
    paused: bool


def waited(visit: Visit, handoff: Handoff) -> str:
    """"12 min", "3 h", "2 jours"."""
    minutes = int((visit.now - handoff.opened_at).total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 0)} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} jours"


async def _rows(visit: Visit) -> list[RequestRow]:
    assert visit.structure_id is not None
    rows = []
    for handoff in await visit.uow.handoffs.open_for_structure(visit.structure_id, limit=SHOWN):
        person = await visit.uow.people.get(handoff.person_id)
        if person is None:
            continue
        taker = await visit.uow.structures.agent(handoff.agent_id) if handoff.agent_id else None
        rows.append(RequestRow(handoff, young_name(person), person.age, REASONS.get(handoff.reason, handoff.reason),
                               waited(visit, handoff), taker.display_name if taker else None,
                               handoff.paused_at(visit.now)))
    return rows


@page(*STAFF_OF_A_STRUCTURE)
async def requests_page(visit: Visit) -> Response:
    """GET /demandes."""
    return render(visit.request, "requests.html", {"title": "Demandes", "rows": await _rows(visit),
                                                   "reasons": CLOSE_REASONS})


@page(*STAFF_OF_A_STRUCTURE)
async def requests_list(visit: Visit) -> Response:
    """GET /demandes/liste: the list alone (what the page's script refreshes every few seconds)."""
    return render(visit.request, "requests_list.html", {"rows": await _rows(visit), "reasons": CLOSE_REASONS})


async def _request(visit: Visit) -> Handoff:
    handoff = await request_in_scope(visit.desk(), int(visit.request.path_params["number"]))
    if handoff is None:
        raise not_found()
    return handoff


@page(*STAFF_OF_A_STRUCTURE)
async def take(visit: Visit) -> Response:
    """POST /demandes/{number}/prendre: "je m'en occupe"."""
    handoff = await _request(visit)
    assert visit.structure_id is not None
    await visit.uow.handoffs.take(handoff, visit.agent.id, visit.structure_id)
    return RedirectResponse("/demandes", status_code=303)


@page(*STAFF_OF_A_STRUCTURE)
async def close(visit: Visit) -> Response:
    """POST /demandes/{number}/clore, with what became of it."""
    handoff = await _request(visit)
    reason = str(visit.request.state.form.get("reason", ""))
    if reason not in CLOSE_REASONS:
        return render(visit.request, "requests.html", {
            "title": "Demandes", "rows": await _rows(visit), "reasons": CLOSE_REASONS,
            "error": "Choisissez ce que la demande est devenue avant de la clore."}, status_code=400)
    answer = await operations.close(visit.desk(), handoff.id, reason)
    visit.request.state.planned = answer.planned
    return RedirectResponse("/demandes", status_code=303)
