"""The words between an advisor and the young person.

An advisor's answer arrives prefixed "👤 Réponse de Nadia (Mission locale …)", with a "Répondre à
Nadia" button; replying to it (or pressing the button) sends their words to that advisor.
"""

from __future__ import annotations

import datetime as dt

from flows.engine.events import BUTTON, MEDIA, TEXT, Event, PersonRef
from flows.engine.script import Next, Option, Question, Step, on_action
from flows.engine.turn import Turn, reply_payload
from flows.engine.world import World
from flows.handoff.asking import STATE
from flows.handoff.channel import KIND_RELAY, advisors_of, tell_advisor
from flows.handoff.names import names, short_name, young_name
from flows.rules.formatting import as_typed_for_advisors
from storage.db import UnitOfWork
from storage.handoffs import FORWARD, Handoff
from storage.people import Person
from storage.structures import Agent

MEDIA_WORDS = {
    "voice": "un message vocal", "audio": "un son", "video": "une vidéo", "video_note": "une vidéo",
    "photo": "une photo", "sticker": "un autocollant", "animation": "un GIF", "document": "un fichier",
    "location": "une position", "contact": "un contact", "emoji": "des emoji",
}

write_step = Step("handoff.write", free_text=True)


async def pass_on(t: Turn, handoff: Handoff, agent: Agent) -> str:
    """The young person's words about a request, to whoever can read them now; what to tell them, truly.

    The advisor they answer, while that advisor can receive messages; else the other advisors of the
    request's structure (the advisor was removed meanwhile); nobody once the request is closed."""
    if handoff.ended:
        return "Cette demande est close, je n'ai rien envoyé. Pour reparler à quelqu'un, dis-le-moi."
    if agent.active and agent.telegram_id is not None:
        await send_to_advisor(t, handoff, agent)
        return f"C'est envoyé à {short_name(agent)}. La réponse arrivera ici."
    others = [a for a in await advisors_of(t.uow, handoff.structure_id) if a.id != agent.id]
    for other in others:
        await send_to_advisor(t, handoff, other)
    if others:
        return (f"{short_name(agent)} n'est plus disponible. C'est envoyé à {names(others)}. "
                "La réponse arrivera ici.")
    return (f"{short_name(agent)} n'est plus disponible et je n'ai personne d'autre à prévenir. "
            "Appelle ta mission locale.")


async def send_to_advisor(t: Turn, handoff: Handoff, agent: Agent) -> int | None:
    """What the young person just sent, to one advisor ("💬 Inès · n° 12")."""
    event = t.event
    if event.kind == MEDIA:
        body = f"[{MEDIA_WORDS.get(event.media or '', 'un message')} : non transmis]"
    else:
        body = as_typed_for_advisors(event.text).strip()
    text = f"💬 {young_name(t.person)} · n° {handoff.id}\n{body}"
    return await tell_advisor(t, handoff, agent, text, kind=FORWARD, key=f"{event.key}:fwd:{agent.id}")


def relay_text(agent: Agent, structure_name: str, text: str) -> str:
    """An advisor's words, shown as a person's, not the bot's."""
    return f"👤 Réponse de {short_name(agent)} ({structure_name}) :\n\n{text}"


def relay_to_young(t: Turn, handoff: Handoff, agent: Agent, structure_name: str, text: str) -> None:
    """The advisor's answer, with a button to answer back."""
    t.say(relay_text(agent, structure_name, text),
          buttons=[t.action(f"Répondre à {short_name(agent)}"[:40], "hreply", f"{handoff.id}-{agent.id}")])


async def young_turn(uow: UnitOfWork, world: World, person: Person, now: dt.datetime, key: str) -> Turn:
    """A turn of the young person that they did not start (an advisor acted): what it says goes to them."""
    await world.refresh(uow)  # the operator's structures, as the engine's turns read them
    conversation = await uow.conversations.load(person.id, now)
    event = Event(PersonRef(person.channel, person.external_id, person.chat_id), "system", key=key)
    return Turn(event=event, person=person, conversation=conversation, uow=uow, world=world, parsed=None, now=now)


async def send_young_turn(t: Turn, *, kind: str = KIND_RELAY) -> list[int]:
    """Write what ``t`` said to the young person's chat (and what it planned); the outbox ids to deliver."""
    ids = []
    for index, (reply, _) in enumerate(t.replies):
        outbox_id = await t.uow.outbox.add(
            key=f"{t.event.key}:{index}", channel=t.person.channel, chat_id=t.person.chat_id, kind=kind,
            payload=reply_payload(reply), due_at=t.now, now=t.now, person_id=t.person.id,
        )
        if outbox_id is not None:
            ids.append(outbox_id)
    t.replies.clear()
    await t.uow.conversations.save(t.conversation)  # what the turn changed of it, if anything
    return [*ids, *t.planned]


# --- Answering an advisor -------------------------------------------------------------------------


@on_action("hreply")
async def answer_advisor(t: Turn) -> Next:
    """"Répondre à Nadia" under an advisor's message: the next message goes to them."""
    handoff_id, _, agent_id = t.argument.partition("-")
    handoff = await t.uow.handoffs.get(int(handoff_id)) if handoff_id.isdigit() else None
    agent = await t.uow.structures.agent(int(agent_id)) if agent_id.isdigit() else None
    if handoff is None or handoff.person_id != t.person.id or agent is None or handoff.ended:
        return t.resume("Cette conversation est finie. Pour reparler à quelqu'un, dis-le-moi.")
    t.data[STATE] = {"write": [handoff.id, agent.id]}
    return t.call(write_step.name)


async def _writing_to(t: Turn) -> tuple[Handoff, Agent] | None:
    target = (t.data.get(STATE) or {}).get("write")
    if not target:
        return None
    handoff = await t.uow.handoffs.get(int(target[0]))
    agent = await t.uow.structures.agent(int(target[1]))
    if handoff is None or agent is None or handoff.person_id != t.person.id:
        return None
    return handoff, agent


@write_step.ask
async def _(t: Turn) -> Question:
    found = await _writing_to(t)
    name = short_name(found[1]) if found else "la mission locale"
    return Question(f"Écris ton message pour {name}. Je le transmets tel quel.",
                    options=[Option("_cancel", "Laisser tomber")])


@write_step.answer
async def _(t: Turn) -> Next:
    cancelled = (t.event.kind == BUTTON and t.button == "_cancel") or t.typed_a_label()
    found = await _writing_to(t)
    if cancelled or found is None:
        t.data.pop(STATE, None)
        return t.done("D'accord.")
    if t.event.kind != TEXT or not t.text:
        return t.not_understood()
    handoff, agent = found
    t.data.pop(STATE, None)
    return t.done(await pass_on(t, handoff, agent))
