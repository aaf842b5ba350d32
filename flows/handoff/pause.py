"""While an advisor has taken over: the bot paused for the young person, and back.

An advisor may pause the bot for them (``/pause_bot``): they are told a person has taken over and
when the bot comes back at the latest (``PAUSE_HOURS``). While paused, the engine asks
``before_dispatch`` first: what they write goes to that advisor and the bot says nothing, except for
what must never wait: distress (the numbers again, the advisors alerted) and their privacy rights
(/supprimer, /mes_donnees, /confidentialite). When the advisor resumes the bot, or the pause expires,
they are told the bot is back.
"""

from __future__ import annotations

import datetime as dt

from flows.engine.events import BUTTON, COMMAND, MEDIA, TEXT, Outcome
from flows.engine.script import intercepts
from flows.engine.turn import Turn
from flows.handoff.channel import tell_advisor
from flows.handoff.names import short_name, the, young_name
from flows.handoff.relay import pass_on, send_to_advisor
from flows.rules.formatting import when
from storage.handoffs import ASKED, NOTICE, RELAY, Handoff
from storage.structures import Agent

PAUSE_HOURS = 48  # the bot never stays silent longer than this for someone (an advisor may forget)
# What still reaches the bot while an advisor has paused it: rights that cannot wait.
PRIVACY_COMMANDS = ("supprimer", "mes_donnees", "confidentialite")
PRIVACY_STEP = "privacy.erase"


@intercepts
async def before_dispatch(t: Turn, outcome: Outcome) -> bool:
    """Called by the engine before anything else for a young person: True when it handled the event.

    - the bot is paused by an advisor: forward the message to them and say nothing (unless it is
      distress or a privacy right, which the conversation still answers); an expired pause ends here;
    - the person replies (Telegram "reply") to an advisor's message: it goes to that advisor.
    """
    paused = await t.uow.handoffs.paused_for(t.person.id) if t.paused is not False else None
    if paused is not None:
        agent = await t.uow.structures.agent(paused.paused_by) if paused.paused_by else None
        if not paused.paused_at(t.now) or agent is None or not agent.active or agent.telegram_id is None:
            await end_pause(t, paused, expired=True)
        elif not _still_for_the_bot(t):
            await _forward_while_paused(t, paused, agent, outcome)
            return True
    if t.event.reply_to and t.event.kind == TEXT and t.text:
        answered = await t.uow.handoffs.message_answered(t.person.channel, t.person.chat_id, t.event.reply_to,
                                                         person_id=t.person.id)
        if answered is not None and answered.kind == RELAY and answered.agent_id is not None:
            handoff = await t.uow.handoffs.get(answered.handoff_id)
            agent = await t.uow.structures.agent(answered.agent_id)
            if handoff is not None and agent is not None:
                t.say(await pass_on(t, handoff, agent))
                return True
    return False


def _still_for_the_bot(t: Turn) -> bool:
    """What the bot answers even while paused: distress, and the privacy rights."""
    event = t.event
    if event.kind == COMMAND:
        return (event.command or "") in PRIVACY_COMMANDS
    if t.conversation.step == PRIVACY_STEP and event.kind in (TEXT, BUTTON):
        return True
    return event.kind == TEXT and t.parsed is not None and t.parsed.intent.name == "distress" and not t.typed_a_label()


async def _forward_while_paused(t: Turn, handoff: Handoff, agent: Agent, outcome: Outcome) -> None:
    if t.event.kind == BUTTON:
        outcome.ack = f"{short_name(agent)} a pris le relais : écris-lui ici."
        return
    if t.event.kind == MEDIA:
        t.say(f"Je ne peux transmettre que du texte à {short_name(agent)}. Tu peux l'écrire ?")
    await send_to_advisor(t, handoff, agent)


async def end_pause(t: Turn, handoff: Handoff, *, expired: bool) -> None:
    """The bot answers again: the young person is told, and the advisor when the pause simply ran out."""
    agent = await t.uow.structures.agent(handoff.paused_by) if handoff.paused_by else None
    await t.uow.handoffs.resume(handoff)
    announce_back(t, agent)
    if expired and agent is not None:
        text = (f"⏸ Fin de la pause du robot pour {young_name(t.person)} (n° {handoff.id}) : "
                f"{PAUSE_HOURS} h sont passées. Le robot lui répond de nouveau.")
        await tell_advisor(t, handoff, agent, text, kind=NOTICE, key=f"{t.event.key}:unpaused:{agent.id}")


def announce_pause(t: Turn, agent: Agent, structure_name: str, until: dt.datetime) -> None:
    """An advisor has taken over: who, and when the bot is back at the latest."""
    name = short_name(agent)
    t.say(f"👤 {name}, de {the(structure_name)}, prend le relais. Le robot se met en pause.")
    t.say(f"Tes messages vont directement à {name}. Le robot revient au plus tard {when(until, t.world.settings.tz)}.")


def announce_back(t: Turn, agent: Agent | None) -> None:
    """The bot answers again."""
    who = f"{short_name(agent)} a fini pour l'instant. " if agent is not None else ""
    t.say(f"🤖 C'est de nouveau Tremplin, le robot. {who}Pour reparler à quelqu'un, appuie ici.",
          buttons=[t.action("Parler à quelqu'un", "handoff", ASKED)])
