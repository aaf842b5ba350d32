"""The advisors' channel: who receives a hand-off, and what is written to them (Telegram, e-mail).

Every delivery is an outbox row recorded against the hand-off (``uow.handoffs.add_message``), so that
an advisor's reply to it reaches the young person (flows/advisors/).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from flows.engine.buttons import advisor_subject
from flows.engine.events import Button, Reply
from flows.engine.turn import Turn, reply_payload
from flows.engine.world import World
from flows.handoff.summary import for_email, for_telegram, gather
from storage.db import UnitOfWork
from storage.handoffs import FORWARD, SUMMARY, Handoff
from storage.people import Person
from storage.structures import Agent

TELEGRAM, EMAIL = "telegram", "email"
# Outbox kinds (what a row is for; delivery does not care).
KIND_SUMMARY, KIND_FORWARD, KIND_RELAY, KIND_NOTICE = "handoff", "handoff_forward", "advisor_relay", "advisor_notice"


async def advisors_of(uow: UnitOfWork, structure_id: str | None) -> list[Agent]:
    """The registered advisors (active agents with a Telegram id) of a structure, or of all (None)."""
    return [a for a in await uow.structures.agents(structure_id) if a.telegram_id is not None]


async def structure_of(t: Turn) -> str | None:
    """The structure serving the person: their commune's, else the one of their latest appointment (if it still
    receives people: a deactivated structure serves nobody)."""
    structure = t.world.territory.structure_for(t.person.commune)
    if structure is not None:
        return structure.id
    for appointment in reversed(await t.uow.appointments.for_person(t.person.id)):
        latest = t.world.territory.structure(appointment.structure_id)
        if latest is not None and latest.active:
            return latest.id
    return None


def advisor_button(world: World, agent: Agent, label: str, name: str, argument: str) -> Button:
    """A button signed for this advisor (nobody else can press it)."""
    return Button(label, world.signer.action(advisor_subject(agent.id), name, argument))


def summary_buttons(world: World, agent: Agent, handoff: Handoff) -> tuple[tuple[Button, ...], ...]:
    """Under a summary: pause the bot, close the request."""
    if not handoff.is_open:
        return ()
    return ((advisor_button(world, agent, "Pause du robot", "pause", str(handoff.id)),
             advisor_button(world, agent, "Clore la demande", "clore", str(handoff.id))),)


async def send_summary(
    uow: UnitOfWork, world: World, person: Person, handoff: Handoff, agents: Sequence[Agent], *, key: str,
    now: dt.datetime, planned: list[int], current_text: str | None = None, email: bool = True,
) -> int:
    """Write the summary to each advisor's Telegram chat (and e-mail), recorded against the hand-off.

    Returns how many deliveries were queued; their ids go to ``planned`` (sent right after the commit).
    """
    summary = await gather(uow, world, person, handoff, now, current_text=current_text)
    text = for_telegram(summary)
    mail = for_email(summary) if email and world.email_handoffs else None
    queued = 0
    for agent in agents:
        if agent.telegram_id is not None:
            reply = Reply(text, summary_buttons(world, agent, handoff))
            outbox_id = await uow.outbox.add(
                key=f"{key}:{agent.id}:tg", channel=TELEGRAM, chat_id=str(agent.telegram_id), kind=KIND_SUMMARY,
                payload=reply_payload(reply), due_at=now, now=now, person_id=person.id, urgent=handoff.urgent,
            )
            if outbox_id is not None:
                planned.append(outbox_id)
                queued += 1
                await uow.handoffs.add_message(handoff, channel=TELEGRAM, kind=SUMMARY, now=now, agent_id=agent.id,
                                               outbox_id=outbox_id)
        if mail is not None and agent.email:
            subject, plain, html = mail
            outbox_id = await uow.outbox.add(
                key=f"{key}:{agent.id}:mail", channel=EMAIL, chat_id=agent.email, kind=KIND_SUMMARY,
                payload={"text": plain, "html": html, "subject": subject, "buttons": []}, due_at=now, now=now,
                person_id=person.id, urgent=handoff.urgent,
            )
            if outbox_id is not None:
                planned.append(outbox_id)
                queued += 1
                await uow.handoffs.add_message(handoff, channel=EMAIL, kind=SUMMARY, now=now, agent_id=agent.id,
                                               outbox_id=outbox_id)
    return queued


async def tell_advisor(
    t: Turn, handoff: Handoff, agent: Agent, text: str, *, kind: str, key: str, urgent: bool = False,
) -> int | None:
    """A message about the person to one advisor's Telegram chat, recorded so that they can reply to it."""
    if agent.telegram_id is None:
        return None
    outbox_id = await t.send_to(channel=TELEGRAM, chat_id=str(agent.telegram_id), text=text, key=key,
                                kind=KIND_FORWARD if kind == FORWARD else KIND_NOTICE, person_id=t.person.id,
                                urgent=urgent)
    if outbox_id is not None:
        await t.uow.handoffs.add_message(handoff, channel=TELEGRAM, kind=kind, now=t.now, agent_id=agent.id,
                                         outbox_id=outbox_id)
    return outbox_id


# A message about an open request is never given up while the request is open: tried again at most every
# quarter of an hour, and the structure's advisors told once, on Telegram, that it has not left yet.
KEEP_TRYING_EVERY = dt.timedelta(minutes=15)
STUCK = {EMAIL: "l'e-mail", TELEGRAM: "le message Telegram"}


async def requests_still_open(uow: UnitOfWork, outbox_ids: Sequence[int]) -> dict[int, Handoff]:
    """Of these outbox rows that failed too often, those about a request still open: not to give up."""
    return await uow.handoffs.open_by_outbox(outbox_ids)


async def tell_delivery_stuck(uow: UnitOfWork, handoff: Handoff, channel: str, now: dt.datetime) -> list[int]:
    """Tell the request's structure's advisors that one of its deliveries has not left yet (once per row)."""
    what = STUCK.get(channel, "un envoi")
    text = (f"⚠️ Demande n° {handoff.id} : {what} à l'équipe n'est pas encore parti (le serveur ne répond "
            "pas). J'essaie encore tant que la demande est ouverte. Elle est dans /jeunes.")
    ids = []
    for agent in await advisors_of(uow, handoff.structure_id):
        outbox_id = await uow.outbox.add(
            key=f"stuck:{handoff.id}:{channel}:{agent.id}", channel=TELEGRAM, chat_id=str(agent.telegram_id),
            kind=KIND_NOTICE, payload=reply_payload(Reply(text)), due_at=now, now=now, person_id=handoff.person_id,
        )
        if outbox_id is not None:
            ids.append(outbox_id)
    return ids
