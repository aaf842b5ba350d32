"""Handing a young person to a human advisor: asking for it, and the summary sent to the advisors.

The script, as the young person lives it:

1. "je veux parler à quelqu'un" (intent ``talk_to_advisor``), the menu's "Parler à quelqu'un", the
   "Oui, à quelqu'un" the engine offers after three misunderstandings, or a message of distress
   (``raise_urgent``, called by flows/handoff/distress.py once the emergency numbers are said);
2. the advisors of the structure serving them (their commune's mission locale, else the one of their
   appointments) get the summary (flows/handoff/summary.py) on Telegram, and by e-mail when the bot
   has an e-mail sender; each delivery is an outbox row (status, retries) linked to the hand-off
   (flows/handoff/channel.py);
3. the young person is told who will answer, and roughly when (from the advisors' opening hours,
   flows/handoff/opening.py).

What follows, an advisor's answer and the pause of the bot, is in relay.py and pause.py. Advisors are
``agents`` with a Telegram id (``tremplin advisors add``); their side is flows/advisors/.
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.data.contacts import all_structures
from flows.data.territory import OUTSIDE
from flows.engine.events import TEXT
from flows.engine.script import Next, Option, Question, Step, on_action, on_erasure, on_intent
from flows.engine.turn import Turn
from flows.handoff.channel import KIND_NOTICE, TELEGRAM, advisors_of, send_summary, structure_of, tell_advisor
from flows.handoff.names import names, the, young_name
from flows.handoff.opening import when_they_answer
from flows.profile.report_events import record_event
from storage.handoffs import ASKED, DISTRESS, FORWARD, LOST, Handoff
from storage.report_events import HANDOFF_OPENED
from storage.structures import Agent

STATE = "handoff"  # this capability's scratch data in the conversation (also flows/handoff/relay.py's)

where_step = Step("handoff.where")


@dataclass
class Raised:
    """What raising a hand-off did."""

    handoff: Handoff
    agents: list[Agent]
    new: bool


async def raise_handoff(t: Turn, reason: str, structure_id: str | None, *, urgent: bool = False) -> Raised:
    """Open a hand-off for the person (or reuse their open one) and alert the advisors of ``structure_id``
    (every advisor when it is None: only distress gets there without knowing where the person lives).

    An open hand-off is not opened twice: asking again only says it is already on its way. Distress
    on an open hand-off makes it urgent (the summary goes again, flagged) or, when it already is,
    sends the new message to the advisors at once.
    """
    consented = t.person.consent_at is not None
    current = t.text if t.event.kind == TEXT and t.text else None
    existing = await t.uow.handoffs.open_for(t.person.id)
    if existing is None:
        handoff = await t.uow.handoffs.open(person_id=t.person.id, structure_id=structure_id, reason=reason,
                                            urgent=urgent, now=t.now, request=current if consented else None)
        agents = await advisors_of(t.uow, structure_id)
        _, open_now = await when_they_answer(t.uow, t.world, agents, t.world.territory.structure(structure_id),
                                             t.now)
        await record_event(t.uow, t.world.territory, t.person, HANDOFF_OPENED, t.now, item=f"h:{handoff.id}",
                           detail="urgent" if urgent else "normal", value=0.0 if open_now else 1.0,
                           structure=structure_id)
        await send_summary(t.uow, t.world, t.person, handoff, agents, key=f"{t.event.key}:ho{handoff.id}",
                           now=t.now, planned=t.planned, current_text=current)
        return Raised(handoff, agents, True)
    if existing.structure_id is None and structure_id is not None:
        existing.structure_id = structure_id
    agents = await advisors_of(t.uow, existing.structure_id)
    if urgent and not existing.urgent:
        await t.uow.handoffs.mark_urgent(existing)
        await send_summary(t.uow, t.world, t.person, existing, agents, key=f"{t.event.key}:ho{existing.id}",
                           now=t.now, planned=t.planned, current_text=current)
    elif urgent:
        words = f"\n« {current} »" if current and consented else " (texte non gardé : pas d'accord donné)"
        text = f"🔴 URGENT · {young_name(t.person)} · n° {existing.id} : nouveau message de détresse.{words}"
        for agent in agents:
            await tell_advisor(t, existing, agent, text, kind=FORWARD, key=f"{t.event.key}:urgent:{agent.id}",
                               urgent=True)
    return Raised(existing, agents, False)


async def raise_urgent(t: Turn) -> None:
    """Distress (flows/handoff/distress.py, after the numbers): an urgent hand-off, and one message saying so.

    Nobody knows where the person lives? Every advisor gets it: the first to act takes it.
    """
    raised = await raise_handoff(t, DISTRESS, await structure_of(t), urgent=True)
    structure = t.world.territory.structure(raised.handoff.structure_id)
    if not raised.agents:
        if structure is not None:
            t.say(f"Tu peux aussi appeler la mission locale au {structure.phone}. Elle t'aidera.")
        return
    where = the(structure.name) if structure else "la mission locale"
    _, open_now = await when_they_answer(t.uow, t.world, raised.agents, structure, t.now)
    later = "" if open_now else " Elle est fermée maintenant : si c'est urgent, appelle un numéro ci-dessus."
    t.say(f"J'ai aussi prévenu {where}. Une personne va t'écrire ici.{later}")


async def ask_for_someone(t: Turn, reason: str) -> Next:
    """The young person wants a human: hand off, and say who will answer and roughly when."""
    if t.person.consent_at is None:
        t.say("Pour qu'une personne t'écrive ici, j'ai besoin de ton accord d'abord.")
        t.say(f"Tu peux aussi appeler une mission locale :\n{all_structures(t.world.territory)}")
        if t.conversation.step is None:
            t.conversation.step = "onboarding.start"
        return t.resume()
    structure_id = await structure_of(t)
    if structure_id is None:
        if t.person.commune == OUTSIDE:
            return _outside(t)
        t.data[STATE] = {"reason": reason}
        return t.call(where_step.name)
    await _hand_off_and_tell(t, reason, structure_id)
    return t.resume()


def _outside(t: Turn) -> Next:
    t.say("Je peux seulement prévenir les missions locales des Hauts-de-Seine.")
    t.say("La mission locale de ta ville peut t'aider. Ta mairie te donne son adresse.")
    return t.resume()


async def _hand_off_and_tell(t: Turn, reason: str, structure_id: str) -> None:
    raised = await raise_handoff(t, reason, structure_id)
    structure = t.world.territory.structure(raised.handoff.structure_id)
    name = the(structure.name) if structure else "la mission locale"
    if not raised.agents:
        t.say(f"Je ne peux pas encore prévenir {name} par ici.")
        if structure is not None:
            t.say(f"Appelle-la au {structure.phone}. C'est ouvert {structure.opening_hours}.")
        return
    already = "" if raised.new else "déjà "
    t.say(f"C'est {already}transmis à {name}. {names(raised.agents)} va te répondre ici, dans cette conversation.")
    timing, _ = await when_they_answer(t.uow, t.world, raised.agents, structure, t.now)
    t.say(f"{timing} Quand c'est une personne qui t'écrit, tu vois « Réponse de » et son prénom.")


@on_intent("talk_to_advisor", offer="Parler à quelqu'un")
async def talk_to_advisor(t: Turn) -> Next:
    """"je veux parler à quelqu'un", the menu's "Parler à quelqu'un"."""
    return await ask_for_someone(t, ASKED)


@on_action("handoff")
async def handoff_button(t: Turn) -> Next:
    """"Oui, à quelqu'un" (after three misunderstandings: ``lost``) and other "Parler à quelqu'un" buttons."""
    return await ask_for_someone(t, t.argument if t.argument in (ASKED, LOST) else ASKED)


@where_step.ask
async def _(t: Turn) -> Question:
    biggest = t.world.territory.largest_communes(6)
    return Question("Tu habites dans quelle ville ? Je préviens la bonne mission locale.",
                    options=[Option(c.insee, c.name) for c in biggest] + [Option(OUTSIDE, "Hors Hauts-de-Seine")])


@where_step.answer
async def _(t: Turn) -> Next:
    chosen = t.choice()
    if chosen is None and (named := t.entity("commune")):
        commune = t.world.territory.commune_named(named)
        chosen = commune.insee if commune else None
    if chosen is None:
        guesses = t.world.territory.guess_communes(t.text)
        chosen = guesses[0].insee if len(guesses) == 1 else None
    if chosen is None:
        return t.not_understood()
    reason = (t.data.pop(STATE, None) or {}).get("reason", ASKED)
    await t.uow.people.update(t.person, commune=chosen)  # they told us: it is their profile's answer too
    if chosen == OUTSIDE:
        t.say("Je peux seulement prévenir les missions locales des Hauts-de-Seine.")
        return t.done("La mission locale de ta ville peut t'aider. Ta mairie te donne son adresse.")
    structure = t.world.territory.structure_for(chosen)
    if structure is None:
        return t.not_understood()
    await _hand_off_and_tell(t, reason, structure.id)
    return t.done()


# --- Before a person's data is erased -------------------------------------------------------------


@on_erasure(order=20)
async def close_before_erasure(t: Turn) -> None:
    """Tell the advisors who received an open hand-off that it is closed (without naming the person)."""
    for handoff in await t.uow.handoffs.of_person(t.person.id):
        if not handoff.is_open:
            continue
        told = {m.agent_id for m in await t.uow.handoffs.messages(handoff.id) if m.agent_id is not None}
        for agent in await t.uow.structures.agents(ids=sorted(told)):
            if agent.telegram_id is None:
                continue
            await t.send_to(channel=TELEGRAM, chat_id=str(agent.telegram_id),
                            text=f"Demande n° {handoff.id} close : la personne a effacé ses données. "
                                 "Sa fiche n'existe plus.",
                            key=f"{t.event.key}:erased:{handoff.id}:{agent.id}", kind=KIND_NOTICE, person_id=None)
