"""What an advisor does with the requests (hand-offs) of their structure: see them, answer a young person,
pause the bot or its nudges for them, show a request's summary again, close it.

Each operation takes a ``Desk`` and the request's number (and a text), and returns an ``Answer``
(flows/advisors/desk.py): Telegram's commands and buttons call them (flows/advisors/commands.py), and so can
a web desk. A request of another structure is "not found", like one that does not exist.

Each message about one young person carries their id, so that erasing them also erases what was said about
them to the advisor.
"""

from __future__ import annotations

import datetime as dt

from flows.advisors.desk import Answer, Desk, not_found, request, young_person
from flows.engine.buttons import advisor_subject
from flows.engine.script import ActionButton
from flows.handoff.channel import send_summary
from flows.handoff.names import young_name
from flows.handoff.pause import PAUSE_HOURS, announce_back, announce_pause
from flows.handoff.relay import relay_to_young, send_young_turn, young_turn
from flows.handoff.summary import commune_words, short_moment
from flows.nudges import nudges
from flows.profile.report_events import record_event
from flows.rules.formatting import when
from storage.handoffs import ASKED, BOOKED, DISTRESS, LOST, RELAY, Handoff
from storage.people import Person
from storage.report_events import HANDOFF_ANSWERED

SHOWN = 10  # cards per list of open requests
REASONS = {DISTRESS: "détresse", ASKED: "veut parler à quelqu'un", LOST: "le robot n'a pas compris",
           BOOKED: "rendez-vous réservé"}


async def open_requests(desk: Desk) -> Answer:
    """The open requests of the advisor's structure, urgent first: one card each (Fiche, Clore)."""
    answer = Answer()
    handoffs = await desk.uow.handoffs.open_for_structure(desk.agent.structure_id, limit=SHOWN + 1)
    if not handoffs:
        return answer.say(f"Aucune demande ouverte pour {desk.structure_name}.")
    more = f" (les {SHOWN} premières)" if len(handoffs) > SHOWN else ""
    answer.say(f"Demandes ouvertes{more}, les urgentes d'abord. Répondez à une carte pour écrire à la personne.")
    for handoff in handoffs[:SHOWN]:
        person = await desk.uow.people.get(handoff.person_id)
        if person is None:
            continue
        actions = (ActionButton("Fiche", "fiche", str(handoff.id)), ActionButton("Clore", "clore", str(handoff.id)))
        answer.say(await _card(desk, handoff, person), (actions,), person_id=person.id, about=handoff)
    return answer


async def _card(desk: Desk, handoff: Handoff, person: Person) -> str:
    age = f", {person.age} ans" if person.age else ""
    commune = commune_words(desk.world, person)
    where = f", {commune}" if commune != "pas dit" else ""
    lines = [f"{'🔴 URGENT · ' if handoff.urgent else ''}n° {handoff.id} · {young_name(person)}{age}{where}",
             f"{REASONS.get(handoff.reason, handoff.reason)} · {short_moment(handoff.opened_at, desk.now, desk.tz)}"]
    if handoff.paused_at(desk.now) and handoff.paused_by is not None:
        pauser = await desk.uow.structures.agent(handoff.paused_by)
        lines.append(f"⏸ robot en pause ({pauser.display_name if pauser else '?'})")
    if handoff.agent_id is not None:
        taker = await desk.uow.structures.agent(handoff.agent_id)
        lines.append(f"suivi par {taker.display_name if taker else '?'}")
    statuses = await desk.uow.handoffs.delivery_statuses(handoff.id)
    if statuses.get("failed") and not statuses.get("sent"):
        lines.append("⚠️ fiche non délivrée")
    return "\n".join(lines)


async def reply(desk: Desk, number: int, text: str) -> Answer:
    """The advisor's words to the young person of the request, shown as a person's; they can answer back."""
    handoff = await request(desk, number)
    if handoff is None:
        return not_found(number)
    if handoff.ended:
        return Answer().say(f"La demande n° {handoff.id} est close : votre message n'est pas envoyé.")
    text = text.strip()
    if not text:
        return Answer().say("Votre message est vide.")
    person = await young_person(desk, handoff)
    if person is None:
        return not_found(handoff.id)
    await desk.uow.handoffs.take(handoff, desk.agent.id, desk.agent.structure_id)
    t = await young_turn(desk.uow, desk.world, person, desk.now, key=f"{desk.key}:young")
    relay_to_young(t, handoff, desk.agent, desk.structure_name, text)
    ids = await send_young_turn(t)
    if ids:
        first = not await desk.uow.handoffs.messages(handoff.id, kinds=[RELAY])
        await desk.uow.handoffs.add_message(handoff, channel=person.channel, kind=RELAY, now=desk.now,
                                            agent_id=desk.agent.id, outbox_id=ids[0], text=text)
        if first:  # the report's time to an advisor's first answer
            await record_event(desk.uow, desk.world.territory, person, HANDOFF_ANSWERED, desk.now,
                               value=(desk.now - handoff.opened_at).total_seconds(), about_at=handoff.opened_at,
                               item=f"h:{handoff.id}", structure=handoff.structure_id)
    answer = Answer(planned=ids)
    answer.say(f"Envoyé à {young_name(person)} (n° {handoff.id}).", person_id=person.id, about=handoff)
    if person.unreachable_at is not None:
        answer.say("⚠️ Cette personne a bloqué le robot : votre message risque de ne pas arriver.", person_id=person.id)
    return answer


async def pause_bot(desk: Desk, number: int) -> Answer:
    """The bot stays silent for the young person of an open request, at most ``PAUSE_HOURS``; what they write
    goes to the advisor (flows/handoff/pause.py)."""
    handoff = await request(desk, number)
    if handoff is None:
        return not_found(number)
    if not handoff.is_open:
        return Answer().say(
            f"La demande n° {handoff.id} est close : le robot ne se met en pause que pour une demande ouverte.")
    person = await young_person(desk, handoff)
    if person is None:
        return not_found(handoff.id)
    if handoff.paused_at(desk.now) and handoff.paused_by not in (None, desk.agent.id):
        pauser = await desk.uow.structures.agent(handoff.paused_by or 0)
        return Answer().say(f"Le robot est déjà en pause pour {young_name(person)}, par "
                            f"{pauser.display_name if pauser else 'un collègue'}.", person_id=person.id)
    already = handoff.paused_at(desk.now)
    until = desk.now + dt.timedelta(hours=PAUSE_HOURS)
    await desk.uow.handoffs.take(handoff, desk.agent.id, desk.agent.structure_id)
    await desk.uow.handoffs.pause(handoff, desk.agent.id, until)
    # Nudges are not touched: the pause lasts two days at most, and pausing them is the advisor's own
    # choice (``pause_nudges``), which resuming the bot must not undo.
    answer = Answer()
    if not already:
        t = await young_turn(desk.uow, desk.world, person, desk.now, key=f"{desk.key}:young")
        announce_pause(t, desk.agent, desk.structure_name, until)
        answer.planned.extend(await send_young_turn(t))
    return answer.say(
        f"⏸ Robot en pause pour {young_name(person)} (n° {handoff.id}) jusqu'au {when(until, desk.tz)}. "
        "Ses messages vous arrivent ici ; répondez-y pour lui écrire.",
        ((ActionButton("Relancer le robot", "reprendre", str(handoff.id)),),), person_id=person.id, about=handoff)


async def resume_bot(desk: Desk, number: int) -> Answer:
    """The bot answers the young person again; they are told."""
    handoff = await request(desk, number)
    if handoff is None:
        return not_found(number)
    person = await young_person(desk, handoff)
    if person is None:
        return not_found(handoff.id)
    if not handoff.paused_at(desk.now):
        return Answer().say(f"Le robot n'est pas en pause pour {young_name(person)} (n° {handoff.id}).",
                            person_id=person.id)
    pauser = await desk.uow.structures.agent(handoff.paused_by or 0)
    await desk.uow.handoffs.resume(handoff)
    t = await young_turn(desk.uow, desk.world, person, desk.now, key=f"{desk.key}:young")
    announce_back(t, pauser)
    answer = Answer(planned=await send_young_turn(t))
    return answer.say(f"▶️ Le robot reprend la conversation avec {young_name(person)} (n° {handoff.id}).",
                      person_id=person.id)


async def pause_nudges(desk: Desk, number: int, *, paused: bool) -> Answer:
    """The bot stops (or starts again) writing first to the young person; their appointment reminders stay."""
    handoff = await request(desk, number)
    if handoff is None:
        return not_found(number)
    person = await young_person(desk, handoff)
    if person is None:
        return not_found(handoff.id)
    # The nudges capability's own switch (it also cancels the nudges already planned).
    changed = await nudges.pause_nudges(desk.uow, person, by=advisor_subject(desk.agent.id), paused=paused)
    state = "en pause" if paused else "actives"
    already = "" if changed else "déjà "
    return Answer().say(f"Relances {already}{state} pour {young_name(person)} (n° {handoff.id}). "
                        "Les rappels de rendez-vous ne changent pas.", person_id=person.id)


async def show_summary(desk: Desk, number: int) -> Answer:
    """The request's summary, as it is now, again (replying to it writes to the young person)."""
    handoff = await request(desk, number)
    person = await desk.uow.people.get(handoff.person_id) if handoff is not None else None
    if handoff is None or person is None:
        return not_found(number)
    answer = Answer()
    # Written by the hand-off, as when the request was made: to the advisor's chat, linked to the request.
    await send_summary(desk.uow, desk.world, person, handoff, [desk.agent], key=f"{desk.key}:fiche", now=desk.now,
                       planned=answer.planned, email=False)
    return answer


async def close(desk: Desk, number: int, reason: str | None = None) -> Answer:
    """The request is dealt with (``reason``: what became of it, CLOSE_REASONS); a paused bot answers again."""
    handoff = await request(desk, number)
    if handoff is None:
        return not_found(number)
    person = await young_person(desk, handoff)
    was_paused = handoff.paused_at(desk.now)
    pauser = await desk.uow.structures.agent(handoff.paused_by or 0) if was_paused else None
    if not await desk.uow.handoffs.close(handoff, desk.agent.id, desk.now, reason):
        return Answer(notice="Déjà close.")
    answer = Answer(notice=f"Demande n° {handoff.id} close.")
    if person is not None and was_paused:
        t = await young_turn(desk.uow, desk.world, person, desk.now, key=f"{desk.key}:young")
        announce_back(t, pauser)
        answer.planned.extend(await send_young_turn(t))
    return answer.say(f"Demande n° {handoff.id} close.", person_id=handoff.person_id)
