"""*Fiche*: one young person's record, for the staff of a structure that serves them; and what can be done
from it (reply, pause and resume the bot, mark an appointment). Every opening is written to the access log.

A person is served by a structure when one of their requests or appointments is the structure's, or when
their commune is in its area. Anyone else is "not found".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from starlette.responses import RedirectResponse, Response

from flows.advisors import agenda as agenda_operations
from flows.advisors import requests as operations
from flows.advisors.agenda import DESK_MARKS, STATUS_WORDS
from flows.advisors.desk import Answer
from flows.handoff.summary import for_desk, gather
from flows.outcomes.questions import WORDS_FOR_ADVISORS, record_by_advisor
from flows.rules.formatting import day
from storage.appointments import EXCUSED, NOSHOW, SEEN, UNKNOWN, Appointment
from storage.handoffs import RELAY, Handoff
from storage.people import Person
from web.access import STAFF_OF_A_STRUCTURE, Visit, not_found, page
from web.render import render

MAX_REPLY = 3000  # characters: a reply is a message, not a document


async def person_of_structure(visit: Visit, person_id: int) -> Person | None:
    """The person, if the viewer's structure serves them."""
    person = await visit.uow.people.get(person_id)
    if person is None or visit.structure_id is None:
        return None
    served = visit.world.territory.structure_for(person.commune)
    if served is not None and served.id == visit.structure_id:
        return person
    if any(h.structure_id == visit.structure_id for h in await visit.uow.handoffs.of_person(person.id)):
        return person
    if any(a.structure_id == visit.structure_id for a in await visit.uow.appointments.for_person(person.id)):
        return person
    return None


def _latest_request(handoffs: list[Handoff], structure_id: str) -> Handoff | None:
    """The request the page acts on: the open one, else the latest of the structure."""
    own = [h for h in handoffs if h.structure_id in (structure_id, None)]
    return next((h for h in reversed(own) if h.is_open), own[-1] if own else None)


async def _context(visit: Visit, person: Person, **extra: object) -> dict[str, object]:
    uow = visit.uow
    handoffs = await uow.handoffs.of_person(person.id)
    assert visit.structure_id is not None
    current = _latest_request(handoffs, visit.structure_id)
    summary = for_desk(await gather(uow, visit.world, person, current, visit.now)) if current else []
    appointments: list[tuple[Appointment, str, list[tuple[str, str]]]] = []
    for appointment in await uow.appointments.for_person(person.id):
        card = await agenda_operations.appointment_card(visit.desk(), appointment)  # "14 h · Inès · Suivi…"
        on = day(appointment.starts_at.astimezone(visit.world.settings.tz).date(), year=True)
        marks = marks_for(visit, appointment) if appointment.structure_id == visit.structure_id else []
        appointments.append((appointment, f"{on}, {card.text.replace(chr(10), ' · ')}", marks))
    retention = visit.world.settings.retention
    since = visit.now - dt.timedelta(days=retention.message_text_days)
    conversation = await _conversation(visit, person, handoffs, since)
    saved = await uow.suggestions.for_person(person.id)
    outcomes = [Said(WORDS_FOR_ADVISORS.get(o.category, o.category), o.answered_at,
                     "dit par la personne" if o.recorded_by == "person" else "noté par l'équipe")
                for o in await uow.outcomes.for_person(person.id) if o.category and o.answered_at]
    return {"title": f"Fiche de {person.first_name or 'la personne'}", "person": person, "handoff": current,
            "summary": summary, "appointments": appointments, "outcomes": outcomes[::-1],
            "outcome_choices": list(WORDS_FOR_ADVISORS.items()),
            "conversation": conversation[-200:], "saved": saved, "status_words": STATUS_WORDS,
            "max_reply": MAX_REPLY, "retention_days": retention.message_text_days, **extra}


MARK_WORDS = {SEEN: "Venu", NOSHOW: "Absent", EXCUSED: "Excusé"}


def marks_for(visit: Visit, appointment: Appointment) -> list[tuple[str, str]]:
    """What the advisor may say of it now: "excusé" while it is to come, "venu" / "absent" from 15 minutes before."""
    if appointment.status != UNKNOWN:
        return []
    come = appointment.starts_at - visit.now <= agenda_operations.EARLY
    return [(status, MARK_WORDS[status]) for status in DESK_MARKS if come or status == EXCUSED]


@dataclass(frozen=True)
class Said:
    """One answer about where the person is now (flows/outcomes/): what, when, by whom."""

    words: str
    at: dt.datetime
    by: str


@dataclass(frozen=True)
class Line:
    """One message of the conversation: who wrote it, when, what."""

    author: str
    at: dt.datetime
    text: str
    theirs: bool  # the young person's own words


async def _conversation(visit: Visit, person: Person, handoffs: list[Handoff], since: dt.datetime) -> list[Line]:
    """What the person wrote (kept for the retention period) and what advisors answered them, in order."""
    lines = [Line(person.first_name or "La personne", m.created_at, m.text, True)
             for m in await visit.uow.messages.for_person(person.id) if m.created_at >= since]
    names: dict[int, str] = {}
    for handoff in handoffs:
        for message in await visit.uow.handoffs.messages(handoff.id, kinds=[RELAY]):
            if message.text and message.created_at >= since:
                if message.agent_id is not None and message.agent_id not in names:
                    agent = await visit.uow.structures.agent(message.agent_id)
                    names[message.agent_id] = agent.display_name if agent else "Conseil"
                lines.append(Line(names.get(message.agent_id or 0, "Conseil"), message.created_at, message.text,
                                  False))
    return sorted(lines, key=lambda line: line.at)


@page(*STAFF_OF_A_STRUCTURE)
async def record(visit: Visit) -> Response:
    """GET /jeunes/{person_id}."""
    person = await person_of_structure(visit, int(visit.request.path_params["person_id"]))
    if person is None:
        raise not_found()
    await visit.uow.staff.log_access(visit.agent, person.id, visit.now)
    return render(visit.request, "record.html", await _context(visit, person))


async def _acted(visit: Visit, person: Person, answer: Answer) -> Response:
    """Back to the record, with what the action says (an error, as a 400 with nothing changed)."""
    visit.request.state.planned = answer.planned
    if answer.refused:
        raise not_found()
    notice = answer.notice or (answer.said[0].text if answer.said else None)
    await visit.uow.staff.log_access(visit.agent, person.id, visit.now)
    return render(visit.request, "record.html", await _context(visit, person, notice=notice))


async def _person_and_request(visit: Visit) -> tuple[Person, Handoff]:
    person = await person_of_structure(visit, int(visit.request.path_params["person_id"]))
    if person is None:
        raise not_found()
    assert visit.structure_id is not None
    handoff = _latest_request(await visit.uow.handoffs.of_person(person.id), visit.structure_id)
    if handoff is None:
        raise not_found()
    return person, handoff


@page(*STAFF_OF_A_STRUCTURE)
async def reply(visit: Visit) -> Response:
    """POST /jeunes/{person_id}/repondre: goes to the young person's chat through the outbox, like a relay."""
    person, handoff = await _person_and_request(visit)
    text = str(visit.request.state.form.get("text", ""))
    if len(text) > MAX_REPLY:
        context = await _context(visit, person, error=f"Votre message dépasse {MAX_REPLY} caractères : "
                                                      "raccourcissez-le. Rien n'a été envoyé.", draft=text)
        return render(visit.request, "record.html", context, status_code=400)
    return await _acted(visit, person, await operations.reply(visit.desk(), handoff.id, text))


@page(*STAFF_OF_A_STRUCTURE)
async def pause(visit: Visit) -> Response:
    """POST /jeunes/{person_id}/pause."""
    person, handoff = await _person_and_request(visit)
    return await _acted(visit, person, await operations.pause_bot(visit.desk(), handoff.id))


@page(*STAFF_OF_A_STRUCTURE)
async def resume(visit: Visit) -> Response:
    """POST /jeunes/{person_id}/reprise."""
    person, handoff = await _person_and_request(visit)
    return await _acted(visit, person, await operations.resume_bot(visit.desk(), handoff.id))


@page(*STAFF_OF_A_STRUCTURE)
async def mark(visit: Visit) -> Response:
    """POST /rendez-vous/{appointment_id}/statut: seen or no-show."""
    appointment = await visit.uow.appointments.get(int(visit.request.path_params["appointment_id"]))
    if appointment is None or appointment.structure_id != visit.structure_id:
        raise not_found()
    status = str(visit.request.state.form.get("status", ""))
    if status not in DESK_MARKS:
        raise not_found()
    answer = await agenda_operations.mark_attendance(visit.desk(), appointment.id, status)
    visit.request.state.planned = answer.planned
    back = str(visit.request.state.form.get("back", ""))
    own_record = f"/jeunes/{appointment.person_id}" if appointment.person_id else "/agenda"
    target = "/agenda" if back == "/agenda" else own_record
    return RedirectResponse(target, status_code=303)


@page(*STAFF_OF_A_STRUCTURE)
async def situation(visit: Visit) -> Response:
    """POST /jeunes/{person_id}/situation: the advisor records or corrects where the person is now."""
    person = await person_of_structure(visit, int(visit.request.path_params["person_id"]))
    if person is None:
        raise not_found()
    category = str(visit.request.state.form.get("category", ""))
    if category not in WORDS_FOR_ADVISORS:
        context = await _context(visit, person, error="Choisissez une situation dans la liste. Rien n'a été noté.")
        return render(visit.request, "record.html", context, status_code=400)
    await record_by_advisor(visit.uow, visit.world.territory, person, category, visit.agent.id, visit.now)
    await visit.uow.staff.log_access(visit.agent, person.id, visit.now)
    return render(visit.request, "record.html", await _context(
        visit, person, notice=f"Situation notée : {WORDS_FOR_ADVISORS[category]}."))
