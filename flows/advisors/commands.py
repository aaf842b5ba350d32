"""The advisors' Telegram commands, buttons and replies: each read into a call to an operation of
flows/advisors/requests.py or flows/advisors/agenda.py, whose answer is shown here.

They are registered with the engine for its second audience (``on_advisor_command`` ...,
flows/engine/script.py): the engine runs them only for a registered, active advisor, checked at every event
(flows/engine/advisor_turn.py), in the same transaction, inbox and outbox as a young person's message.

What an advisor can do (they are professionals: *vous*):

- ``/jeunes``: the open requests of their structure, urgent first, one card each (Fiche, Clore);
- ``/rdv_jour``: today's appointments, one card each with "Venu" / "Absent";
- reply (Telegram "reply") to a summary, a card or a forwarded message, or ``/repondre <n> <texte>``:
  the text goes to the young person as "👤 Réponse de Nadia (…)";
- ``/pause_bot [n]`` / ``/reprendre_bot [n]``: the bot stays silent for that young person and forwards
  what they write here (flows/handoff/pause.py), for a while; then it answers again;
- ``/pause_relances [n]`` / ``/reprendre_relances [n]``: the bot stops (starts again) writing first to them;
- ``/dispos``: their next opening hours (plages d'ouverture minus absences), with the appointments booked.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from functools import partial

from flows.advisors import agenda, requests
from flows.advisors.desk import Answer, Desk, not_found, request
from flows.engine.advisor_turn import STALE, TELEGRAM, AdvisorTurn
from flows.engine.events import MEDIA, TEXT
from flows.engine.script import (
    ADVISOR_COMMAND_DESCRIPTIONS,
    on_advisor_action,
    on_advisor_command,
    on_advisor_message,
)
from flows.handoff.names import the
from storage.appointments import NOSHOW, SEEN
from storage.handoffs import NOTICE, Handoff

NUMBER = re.compile(r"^(?:n°|no|#)?\s*(\d{1,9})$", re.IGNORECASE)  # a request's number as typed: 12, n°12, #12

Operation = Callable[[Desk, int], Awaitable[Answer]]


# --- From Telegram to the operations, and back ----------------------------------------------------


def desk_of(t: AdvisorTurn) -> Desk:
    """The advisor at work; what this update writes to young people is keyed by it (written once)."""
    return Desk(t.uow, t.world, t.agent, t.now, t.event.key)


def show(t: AdvisorTurn, answer: Answer) -> None:
    """An operation's answer on Telegram: its messages, with buttons signed for the advisor; its notice as the
    button's acknowledgement; what it wrote to young people delivered after the commit."""
    if answer.notice is not None:
        t.ack = answer.notice
    t.planned.extend(answer.planned)
    for said in answer.said:
        rows = [[t.button(b.label, b.name, b.argument) for b in row] for row in said.buttons]
        t.say(said.text, rows, edit_of=t.event.message_id if said.replaces else None, person_id=said.person_id,
              on_written=_linked(t, said.about) if said.about is not None else None)


def _linked(t: AdvisorTurn, handoff: Handoff) -> Callable[[int], Awaitable[None]]:
    """Record the message against the request, once written: the advisor replying to it writes to the young person."""
    async def link(outbox_id: int) -> None:
        await t.uow.handoffs.add_message(handoff, channel=TELEGRAM, kind=NOTICE, now=t.now, agent_id=t.agent.id,
                                         outbox_id=outbox_id)
    return link


async def _replied_request(t: AdvisorTurn, desk: Desk) -> Handoff | None:
    """The request of the message the advisor is replying to (a summary, a card, a forwarded message)."""
    if not t.event.reply_to:
        return None
    answered = await t.uow.handoffs.message_answered(TELEGRAM, t.event.person.chat_id, t.event.reply_to,
                                                     agent_id=t.agent.id)
    return await request(desk, answered.handoff_id) if answered is not None else None


async def _named_request(t: AdvisorTurn, desk: Desk, usage: str) -> Handoff | None:
    """The request named by the command's number, or by the message it replies to; None once said why not."""
    word = t.rest.split(maxsplit=1)[0] if t.rest else ""
    if word:
        match = NUMBER.match(word)
        handoff = await request(desk, int(match.group(1))) if match else None
        if handoff is None:
            show(t, not_found(word.lstrip("n°#")))
        return handoff
    if t.event.reply_to:
        handoff = await _replied_request(t, desk)
        if handoff is None:
            show(t, not_found())
        return handoff
    t.say(usage)
    return None


async def _on_request(t: AdvisorTurn, usage: str, operation: Operation) -> None:
    desk = desk_of(t)
    handoff = await _named_request(t, desk, usage)
    if handoff is not None:
        show(t, await operation(desk, handoff.id))


async def _pressed(t: AdvisorTurn, operation: Operation) -> None:
    """A button naming a request or an appointment by its number: stale when it is not (or no more) theirs."""
    answer = await operation(desk_of(t), int(t.argument)) if t.argument.isdigit() else Answer(refused=True)
    if answer.refused:
        t.ack = STALE
        return
    show(t, answer)


# --- Commands -------------------------------------------------------------------------------------


@on_advisor_command("aide", "Vos commandes")
@on_advisor_command("start")
@on_advisor_command("help")  # Telegram's global command (flows/home/global_commands.py for young people)
async def help_(t: AdvisorTurn) -> None:
    """What an advisor can do here."""
    lines = [f"/{name} : {description}" for name, description in ADVISOR_COMMAND_DESCRIPTIONS.items()
             if name not in ("aide", "start", "help")]
    t.say(f"Bonjour {t.agent.display_name}. Vous répondez ici pour {the(desk_of(t).structure_name)}.\n"
          + "\n".join(lines)
          + "\nPour écrire à une personne, vous pouvez aussi répondre à sa fiche ou à son message.")


@on_advisor_command("jeunes", "Les demandes ouvertes de votre structure")
async def open_requests(t: AdvisorTurn) -> None:
    show(t, await requests.open_requests(desk_of(t)))


@on_advisor_command("rdv_jour", "Les rendez-vous du jour, avec Venu / Absent")
async def todays_appointments(t: AdvisorTurn) -> None:
    show(t, await agenda.todays_appointments(desk_of(t)))


@on_advisor_command("repondre", "Écrire à une personne : /repondre <n> <texte>")
async def answer(t: AdvisorTurn) -> None:
    """"/repondre 12 Bonjour Inès…" (or the command in reply to a card, without the number)."""
    usage = "Écrivez /repondre <n° de la demande> <votre texte>. Les numéros : /jeunes."
    desk, rest = desk_of(t), t.rest
    word, _, text = rest.partition(" ")
    handoff = None
    if match := NUMBER.match(word or ""):
        handoff = await request(desk, int(match.group(1)))
        if handoff is None:
            show(t, not_found(word.lstrip("n°#")))
            return
    elif t.event.reply_to:
        handoff, text = await _replied_request(t, desk), rest
        if handoff is None:
            show(t, not_found())
            return
    if handoff is None or not text.strip():
        t.say(usage)
        return
    show(t, await requests.reply(desk, handoff.id, text))


@on_advisor_command("pause_bot", "Le robot se tait pour une personne : /pause_bot <n>")
async def pause_bot(t: AdvisorTurn) -> None:
    """"/pause_bot 12", or in reply to a card."""
    await _on_request(t, "Écrivez /pause_bot <n° de la demande>, ou répondez /pause_bot à sa fiche.",
                      requests.pause_bot)


@on_advisor_command("reprendre_bot", "Le robot reprend avec une personne : /reprendre_bot <n>")
async def resume_bot(t: AdvisorTurn) -> None:
    """"/reprendre_bot 12", or in reply to a card."""
    await _on_request(t, "Écrivez /reprendre_bot <n° de la demande>, ou répondez /reprendre_bot à sa fiche.",
                      requests.resume_bot)


@on_advisor_command("pause_relances", "Plus de relances pour une personne : /pause_relances <n>")
async def pause_nudges(t: AdvisorTurn) -> None:
    """The bot stops writing first to this young person (their appointment reminders stay)."""
    await _on_request(t, "Écrivez /pause_relances <n° de la demande>, ou répondez /pause_relances à sa fiche.",
                      partial(requests.pause_nudges, paused=True))


@on_advisor_command("reprendre_relances", "Les relances reprennent : /reprendre_relances <n>")
async def resume_nudges(t: AdvisorTurn) -> None:
    """Undo ``/pause_relances``."""
    await _on_request(t, "Écrivez /reprendre_relances <n° de la demande>, ou répondez /reprendre_relances à sa fiche.",
                      partial(requests.pause_nudges, paused=False))


@on_advisor_command("dispos", "Vos prochaines plages d'ouverture")
async def availability(t: AdvisorTurn) -> None:
    show(t, await agenda.availability(desk_of(t)))


# --- Buttons --------------------------------------------------------------------------------------


@on_advisor_action("pause")
async def pause_button(t: AdvisorTurn) -> None:
    """"Pause du robot" under a summary."""
    await _pressed(t, requests.pause_bot)


@on_advisor_action("reprendre")
async def resume_button(t: AdvisorTurn) -> None:
    """"Relancer le robot" under the pause's confirmation."""
    await _pressed(t, requests.resume_bot)


@on_advisor_action("fiche")
async def summary_button(t: AdvisorTurn) -> None:
    """"Fiche" under a card: the summary again."""
    await _pressed(t, requests.show_summary)


@on_advisor_action("clore")
async def close_button(t: AdvisorTurn) -> None:
    """"Clore" under a card or a summary."""
    await _pressed(t, requests.close)


@on_advisor_action("venu")
async def came_button(t: AdvisorTurn) -> None:
    """"Venu" under an appointment's card."""
    await _pressed(t, partial(agenda.mark_attendance, status=SEEN))


@on_advisor_action("absent")
async def missed_button(t: AdvisorTurn) -> None:
    """"Absent" under an appointment's card (what follows a no-show is planned by the booking's hook)."""
    await _pressed(t, partial(agenda.mark_attendance, status=NOSHOW))


# --- Anything else ----------------------------------------------------------------------------------


@on_advisor_message
async def message(t: AdvisorTurn) -> None:
    """A reply to a card or a forwarded message goes to that young person; anything else is explained."""
    event = t.event
    if event.kind == TEXT and event.reply_to:
        desk = desk_of(t)
        handoff = await _replied_request(t, desk)
        if handoff is None:
            t.say("Je ne retrouve pas la demande de ce message. Utilisez /repondre <n> <texte> (voir /jeunes).")
            return
        show(t, await requests.reply(desk, handoff.id, event.text))
    elif event.kind == MEDIA:
        t.say("Je ne transmets que du texte. Écrivez votre message en réponse à la fiche de la personne.")
    else:
        t.say("Pour écrire à une personne : répondez à sa fiche ou à son message, ou /repondre <n> <texte>. "
              "Les demandes ouvertes : /jeunes.")
