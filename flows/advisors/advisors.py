"""The advisors' side of the bot: their commands, buttons and replies, checked at every event.

An advisor is an agent (storage/structures.py) with a Telegram id, registered by the operator
(``tremplin advisors add --telegram-id N --structure X --email E``). For every event, before anything is
done for a young person (the agent's id is read with the person, nobody is created for an advisor), the
engine asks ``advisor_of``: the agent record is read again each time, so an advisor removed a second ago
is an advisor no more. Anyone else never reaches this module: their
``/jeunes`` is an unknown command like any other, and an advisor's button (signed for
``advisor_subject(agent_id)``, flows/engine/buttons.py) is a stale button in their hands.

Every action is scoped to the advisor's structure: a hand-off or an appointment of another structure
is "not found", exactly like one that does not exist. Urgent hand-offs of people nobody could place
are everybody's until one advisor acts on them (it becomes theirs and their structure's).

What an advisor can do (they are professionals: *vous*):

- ``/jeunes``: the open hand-offs of their structure, urgent first, one card each (Fiche, Clore);
- ``/rdv_jour``: today's appointments, one card each with "Venu" / "Absent" (``seen`` / ``noshow``,
  through ``appointments.set_status`` and ``flows.booking.booking.appointment_changed``, so that what follows a
  no-show, e.g. the "on replanifie ?" message, is planned by its owner);
- reply (Telegram "reply") to a summary, a card or a forwarded message, or ``/repondre <n> <texte>``:
  the text goes to the young person as "👤 Réponse de Nadia (…)";
- ``/pause_bot [n]`` / ``/reprendre_bot [n]``: the bot stays silent for that young person and forwards
  what they write here (flows/handoff/handoff.py), at most ``PAUSE_HOURS``; then it answers again;
- ``/dispos``: their next opening hours (plages d'ouverture minus absences), with the appointments booked.

Each card or message about one young person is its own outbox row carrying that person's id, so that
erasing them also erases what was said about them here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from flows.booking import booking
from flows.engine.buttons import Action, advisor_subject
from flows.engine.events import BUTTON, COMMAND, MEDIA, TEXT, Button, Event, Outcome, Reply
from flows.engine.turn import reply_payload
from flows.engine.world import World
from flows.handoff.handoff import (
    PAUSE_HOURS,
    TELEGRAM,
    announce_back,
    announce_pause,
    opening_periods,
    relay_to_young,
    send_summary,
    send_young_turn,
    young_name,
    young_turn,
)
from flows.handoff.summary import commune_words, short_moment
from flows.nudges import nudges
from flows.rules.formatting import clock, day, when
from storage.appointments import BY_AGENT, CANCELLED_STATUSES, NOSHOW, SEEN, STATUS_CHANGED, UNKNOWN, Appointment
from storage.db import UnitOfWork
from storage.handoffs import ASKED, BOOKED, DISTRESS, LOST, NOTICE, RELAY, Handoff
from storage.people import Person
from storage.structures import Agent

STALE = "Ce bouton ne marche plus."  # the same words as the engine's, for a button that is not (or no longer) theirs
SHOWN = 10  # cards per /jeunes
DAY_SHOWN = 25  # cards per /rdv_jour
EARLY = dt.timedelta(minutes=15)  # "venu" / "absent" can be said from 15 minutes before the start
REASONS = {DISTRESS: "détresse", ASKED: "veut parler à quelqu'un", LOST: "le robot n'a pas compris",
           BOOKED: "rendez-vous réservé"}
STATUS_WORDS = {UNKNOWN: "à venir", SEEN: "✅ venu", NOSHOW: "❌ absent", "excused": "annulé par la personne",
                "revoked": "annulé par la structure"}
NUMBER = re.compile(r"^(?:n°|no|#)?\s*(\d{1,9})$", re.IGNORECASE)

CommandFn = Callable[["Desk"], Awaitable[None]]
COMMANDS: dict[str, tuple[CommandFn, str]] = {}
ACTIONS: dict[str, CommandFn] = {}


def command(name: str, description: str) -> Callable[[CommandFn], CommandFn]:
    """Register an advisor command (never a young person's: they are in a table of their own)."""
    def decorate(fn: CommandFn) -> CommandFn:
        COMMANDS[name] = (fn, description)
        return fn
    return decorate


def action(name: str) -> Callable[[CommandFn], CommandFn]:
    """Register an advisor button (``a.<name>.<argument>``, signed for the advisor)."""
    def decorate(fn: CommandFn) -> CommandFn:
        ACTIONS[name] = fn
        return fn
    return decorate


# --- One event of an advisor ----------------------------------------------------------------------


@dataclass
class Desk:
    """An advisor's turn: who, what they did, and what we answer (to them, and to young people)."""

    uow: UnitOfWork
    world: World
    event: Event
    agent: Agent
    now: dt.datetime
    pressed: Action | None = None
    replies: list[tuple[Reply, str | None, int | None]] = field(default_factory=list)  # reply, edit of, person id
    planned: list[int] = field(default_factory=list)  # outbox rows to other chats, delivered after the commit
    notes: list[tuple[int, Handoff]] = field(default_factory=list)  # (reply index, hand-off) to link for replies
    ack: str | None = None

    @property
    def argument(self) -> str:
        return self.pressed.argument if self.pressed else ""

    @property
    def rest(self) -> str:
        """What follows the command: "/repondre 12 Bonjour" → "12 Bonjour"."""
        parts = self.event.text.strip().split(maxsplit=1)
        return parts[1].strip() if len(parts) > 1 else ""

    def button(self, label: str, name: str, argument: str = "") -> Button:
        """A button signed for this advisor."""
        return Button(label, self.world.signer.action(advisor_subject(self.agent.id), name, argument))

    def say(self, text: str, rows: Sequence[Sequence[Button]] = (), *, edit_of: str | None = None,
            person_id: int | None = None, about: Handoff | None = None) -> None:
        """A message to the advisor; ``person_id`` when it is about one young person (erased with them);
        ``about`` links it to a hand-off, so that replying to it reaches the young person."""
        if about is not None:
            self.notes.append((len(self.replies), about))
        self.replies.append((Reply(text, tuple(tuple(r) for r in rows if r)), edit_of, person_id))

    @property
    def tz(self) -> ZoneInfo:
        return self.world.settings.tz


def telegram_id_of(event: Event) -> int | None:
    """The Telegram id of a sender who may be an advisor; None for anyone who cannot be one.

    Only Telegram private chats (the chat is the user): an advisor's commands never run in a group.
    """
    person = event.person
    if person.channel != TELEGRAM or not person.external_id.isdigit() or person.chat_id != person.external_id:
        return None
    return int(person.external_id)


async def advisor_of(uow: UnitOfWork, event: Event, agent_id: int | None = None) -> Agent | None:
    """The registered advisor who sent this event, read now; None for anyone else.

    ``agent_id``: the id of the agent with the sender's Telegram id, when already read (the engine reads it
    with the person, ``ConversationsRepository.find``); otherwise it is looked up here.
    """
    if agent_id is not None:
        agent = await uow.structures.agent(agent_id)
    elif (telegram_id := telegram_id_of(event)) is not None:
        agent = await uow.structures.agent_by_telegram_id(telegram_id)
    else:
        return None
    return agent if agent is not None and agent.active else None


async def handle(uow: UnitOfWork, world: World, event: Event, agent: Agent, now: dt.datetime) -> Outcome:
    """Handle an advisor's event in the caller's transaction; their answers go to the outbox."""
    desk = Desk(uow, world, event, agent, now)
    outcome = Outcome()
    await _dispatch(desk)
    for index, (reply, edit_of, person_id) in enumerate(desk.replies):
        outbox_id = await uow.outbox.add(
            key=f"{event.key}:{index}", channel=event.person.channel, chat_id=event.person.chat_id, kind="advisor",
            payload=reply_payload(reply, edit_of), due_at=now, now=now, person_id=person_id,
        )
        if outbox_id is None:
            continue
        outcome.outbox_ids.append(outbox_id)
        for noted_index, handoff in desk.notes:
            if noted_index == index:
                await uow.handoffs.add_message(handoff, channel=TELEGRAM, kind=NOTICE, now=now, agent_id=agent.id,
                                               outbox_id=outbox_id)
    outcome.outbox_ids.extend(desk.planned)
    outcome.ack = desk.ack
    if event.inbox_id is not None:
        await uow.inbox.mark_done(event.inbox_id, None, now)
    outcome.handled_at = now
    return outcome


async def _dispatch(desk: Desk) -> None:
    event = desk.event
    if event.kind == COMMAND:
        found = COMMANDS.get(event.command or "")
        if found is None:
            desk.say("Je ne connais pas cette commande. Vos commandes : /aide.")
            return
        await found[0](desk)
    elif event.kind == BUTTON:
        pressed = desk.world.signer.read(advisor_subject(desk.agent.id), event.payload or "")
        if not isinstance(pressed, Action) or pressed.name not in ACTIONS:
            desk.ack = STALE
            return
        desk.pressed = pressed
        await ACTIONS[pressed.name](desk)
    elif event.kind == TEXT and event.reply_to:
        handoff = await _replied_handoff(desk)
        if handoff is None:
            desk.say("Je ne retrouve pas la demande de ce message. Utilisez /repondre <n> <texte> (voir /jeunes).")
            return
        await relay(desk, handoff, event.text.strip())
    elif event.kind == MEDIA:
        desk.say("Je ne transmets que du texte. Écrivez votre message en réponse à la fiche du jeune.")
    else:
        desk.say("Pour écrire à un jeune : répondez à sa fiche ou à son message, ou /repondre <n> <texte>. "
                 "Les demandes ouvertes : /jeunes.")


# --- Finding a hand-off the advisor may act on ----------------------------------------------------


def _in_scope(desk: Desk, handoff: Handoff | None) -> Handoff | None:
    """The hand-off if this advisor's structure may act on it (an unplaced one is everybody's)."""
    if handoff is None or handoff.structure_id not in (desk.agent.structure_id, None):
        return None
    return handoff


async def _replied_handoff(desk: Desk) -> Handoff | None:
    """The hand-off of the message the advisor is replying to (a summary, a card, a forwarded message)."""
    if not desk.event.reply_to:
        return None
    answered = await desk.uow.handoffs.message_answered(
        TELEGRAM, desk.event.person.chat_id, desk.event.reply_to, agent_id=desk.agent.id)
    if answered is None:
        return None
    return _in_scope(desk, await desk.uow.handoffs.get(answered.handoff_id))


async def _numbered(desk: Desk, text: str) -> Handoff | None:
    match = NUMBER.match(text.strip())
    return _in_scope(desk, await desk.uow.handoffs.get(int(match.group(1)))) if match else None


def _not_found(desk: Desk, what: str = "") -> None:
    shown = f" n° {what}" if what else ""
    desk.say(f"Je ne trouve pas la demande{shown} dans votre structure. Les demandes ouvertes : /jeunes.")


async def _target(desk: Desk, usage: str) -> Handoff | None:
    """The hand-off named by the command's number, or by the message it replies to."""
    word = desk.rest.split(maxsplit=1)[0] if desk.rest else ""
    if word:
        handoff = await _numbered(desk, word)
        if handoff is None:
            _not_found(desk, word.lstrip("n°#"))
        return handoff
    if desk.event.reply_to:
        handoff = await _replied_handoff(desk)
        if handoff is None:
            _not_found(desk)
        return handoff
    desk.say(usage)
    return None


async def _person(desk: Desk, handoff: Handoff) -> Person | None:
    person = await desk.uow.people.get(handoff.person_id)
    if person is not None:
        await desk.uow.lock_person(person.id)  # their own messages wait while we act on their conversation
    return person


def _structure_name(desk: Desk) -> str:
    structure = desk.world.territory.structure(desk.agent.structure_id)
    return structure.name if structure else "la mission locale"


# --- Commands -------------------------------------------------------------------------------------


@command("aide", "Vos commandes")
async def help_(desk: Desk) -> None:
    """What an advisor can do here."""
    lines = [f"/{name} : {description}" for name, (_, description) in COMMANDS.items() if name not in ("aide", "start")]
    desk.say(f"Bonjour {desk.agent.display_name}. Vous êtes conseiller·e de {_structure_name(desk)}.\n"
             + "\n".join(lines)
             + "\nPour écrire à un jeune, vous pouvez aussi répondre à sa fiche ou à son message.")


COMMANDS["start"] = (help_, "Vos commandes")


@command("jeunes", "Les demandes ouvertes de votre structure")
async def open_handoffs(desk: Desk) -> None:
    """One card per open hand-off, urgent first."""
    handoffs = await desk.uow.handoffs.open_for_structure(desk.agent.structure_id, limit=SHOWN + 1)
    if not handoffs:
        desk.say(f"Aucune demande ouverte pour {_structure_name(desk)}.")
        return
    more = " (les 10 premières)" if len(handoffs) > SHOWN else ""
    desk.say(f"Demandes ouvertes{more}, les urgentes d'abord. Répondez à une carte pour écrire au jeune.")
    for handoff in handoffs[:SHOWN]:
        person = await desk.uow.people.get(handoff.person_id)
        if person is None:
            continue
        desk.say(await _card(desk, handoff, person), [[desk.button("Fiche", "fiche", str(handoff.id)),
                                                       desk.button("Clore", "clore", str(handoff.id))]],
                 person_id=person.id, about=handoff)


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


@command("rdv_jour", "Les rendez-vous du jour, avec Venu / Absent")
async def todays_appointments(desk: Desk) -> None:
    """One card per appointment of the structure today, "Venu" / "Absent" under those still to mark."""
    today = desk.now.astimezone(desk.tz).date()
    start = dt.datetime.combine(today, dt.time(0), tzinfo=desk.tz).astimezone(dt.UTC)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), tzinfo=desk.tz).astimezone(dt.UTC)
    appointments = [a for a in await desk.uow.appointments.of_structure(desk.agent.structure_id, start, end)
                    if a.status not in CANCELLED_STATUSES]
    if not appointments:
        desk.say(f"Aucun rendez-vous aujourd'hui ({day(today)}) à {_structure_name(desk)}.")
        return
    appointments.sort(key=lambda a: (a.agent_id != desk.agent.id, a.starts_at, a.id))  # theirs first
    shown = appointments[:DAY_SHOWN]
    more = f" ({DAY_SHOWN} premiers)" if len(appointments) > DAY_SHOWN else ""
    desk.say(f"Rendez-vous du {day(today)}{more} : les vôtres d'abord.")
    for appointment in shown:
        text, rows = await _appointment_card(desk, appointment)
        desk.say(text, rows, person_id=appointment.person_id)


async def _appointment_card(desk: Desk, appointment: Appointment) -> tuple[str, list[list[Button]]]:
    person = await desk.uow.people.get(appointment.person_id) if appointment.person_id else None
    age = f", {person.age} ans" if person is not None and person.age else ""
    who = "(données effacées)" if person is None else f"{young_name(person)}{age}"
    motif = await desk.uow.structures.motif(appointment.motif_id)
    agent = await desk.uow.structures.agent(appointment.agent_id)
    parts = [clock(appointment.starts_at.astimezone(desk.tz)), who, motif.name if motif else "rendez-vous",
             f"avec {agent.display_name}" if agent else ""]
    text = " · ".join(p for p in parts if p) + f"\n{STATUS_WORDS.get(appointment.status, appointment.status)}"
    rows: list[list[Button]] = []
    if appointment.status == UNKNOWN:
        argument = str(appointment.id)
        rows = [[desk.button("Venu", "venu", argument), desk.button("Absent", "absent", argument)]]
    return text, rows


@command("repondre", "Écrire à un jeune : /repondre <n> <texte>")
async def answer(desk: Desk) -> None:
    """"/repondre 12 Bonjour Inès…" (or the command in reply to a card, without the number)."""
    usage = "Écrivez /repondre <n° de la demande> <votre texte>. Les numéros : /jeunes."
    rest = desk.rest
    word, _, text = rest.partition(" ")
    handoff = None
    if NUMBER.match(word or ""):
        handoff = await _numbered(desk, word)
        if handoff is None:
            _not_found(desk, word.lstrip("n°#"))
            return
    elif desk.event.reply_to:
        handoff, text = await _replied_handoff(desk), rest
        if handoff is None:
            _not_found(desk)
            return
    if handoff is None or not text.strip():
        desk.say(usage)
        return
    await relay(desk, handoff, text.strip())


async def relay(desk: Desk, handoff: Handoff, text: str) -> None:
    """The advisor's words to the young person, shown as a person's; they can answer back."""
    if not text:
        desk.say("Votre message est vide.")
        return
    person = await _person(desk, handoff)
    if person is None:
        _not_found(desk, str(handoff.id))
        return
    await desk.uow.handoffs.take(handoff, desk.agent.id, desk.agent.structure_id)
    t = await young_turn(desk.uow, desk.world, person, desk.now, key=f"{desk.event.key}:young")
    relay_to_young(t, handoff, desk.agent, _structure_name(desk), text)
    ids = await send_young_turn(t)
    if ids:
        await desk.uow.handoffs.add_message(handoff, channel=person.channel, kind=RELAY, now=desk.now,
                                            agent_id=desk.agent.id, outbox_id=ids[0], text=text)
    desk.planned.extend(ids)
    desk.say(f"Envoyé à {young_name(person)} (n° {handoff.id}).", person_id=person.id, about=handoff)
    if person.unreachable_at is not None:
        desk.say("⚠️ Cette personne a bloqué le robot : votre message risque de ne pas arriver.", person_id=person.id)


@command("pause_bot", "Le robot se tait pour un jeune : /pause_bot <n>")
async def pause_command(desk: Desk) -> None:
    """"/pause_bot 12", or in reply to a card."""
    handoff = await _target(desk, "Écrivez /pause_bot <n° de la demande>, ou répondez /pause_bot à sa fiche.")
    if handoff is not None:
        await pause(desk, handoff)


@action("pause")
async def pause_button(desk: Desk) -> None:
    """"Pause du robot" under a summary."""
    handoff = await _button_handoff(desk)
    if handoff is not None:
        await pause(desk, handoff)


async def pause(desk: Desk, handoff: Handoff) -> None:
    """The bot stays silent for the young person; what they write comes here."""
    if not handoff.is_open:
        desk.say(f"La demande n° {handoff.id} est close : le robot ne se met en pause que pour une demande ouverte.")
        return
    person = await _person(desk, handoff)
    if person is None:
        _not_found(desk, str(handoff.id))
        return
    if handoff.paused_at(desk.now) and handoff.paused_by not in (None, desk.agent.id):
        pauser = await desk.uow.structures.agent(handoff.paused_by or 0)
        desk.say(f"Le robot est déjà en pause pour {young_name(person)}, par "
                 f"{pauser.display_name if pauser else 'un collègue'}.", person_id=person.id)
        return
    already = handoff.paused_at(desk.now)
    until = desk.now + dt.timedelta(hours=PAUSE_HOURS)
    await desk.uow.handoffs.take(handoff, desk.agent.id, desk.agent.structure_id)
    await desk.uow.handoffs.pause(handoff, desk.agent.id, until)
    # Nudges are not touched: the pause lasts two days at most, and /pause_relances is the advisor's
    # own choice about them (flows/nudges/nudges.py), which resuming the bot must not undo.
    if not already:
        t = await young_turn(desk.uow, desk.world, person, desk.now, key=f"{desk.event.key}:young")
        announce_pause(t, desk.agent, _structure_name(desk), until)
        desk.planned.extend(await send_young_turn(t))
    desk.say(f"⏸ Robot en pause pour {young_name(person)} (n° {handoff.id}) jusqu'au {when(until, desk.tz)}. "
             "Ses messages vous arrivent ici ; répondez-y pour lui écrire.",
             [[desk.button("Relancer le robot", "reprendre", str(handoff.id))]], person_id=person.id, about=handoff)


@command("reprendre_bot", "Le robot reprend avec un jeune : /reprendre_bot <n>")
async def resume_command(desk: Desk) -> None:
    """"/reprendre_bot 12", or in reply to a card."""
    handoff = await _target(desk, "Écrivez /reprendre_bot <n° de la demande>, ou répondez /reprendre_bot à sa fiche.")
    if handoff is not None:
        await resume(desk, handoff)


@action("reprendre")
async def resume_button(desk: Desk) -> None:
    """"Relancer le robot" under the pause's confirmation."""
    handoff = await _button_handoff(desk)
    if handoff is not None:
        await resume(desk, handoff)


async def resume(desk: Desk, handoff: Handoff) -> None:
    """The bot answers the young person again; they are told."""
    person = await _person(desk, handoff)
    if person is None:
        _not_found(desk, str(handoff.id))
        return
    if not handoff.paused_at(desk.now):
        desk.say(f"Le robot n'est pas en pause pour {young_name(person)} (n° {handoff.id}).", person_id=person.id)
        return
    pauser = await desk.uow.structures.agent(handoff.paused_by or 0)
    await desk.uow.handoffs.resume(handoff)
    t = await young_turn(desk.uow, desk.world, person, desk.now, key=f"{desk.event.key}:young")
    announce_back(t, pauser)
    desk.planned.extend(await send_young_turn(t))
    desk.say(f"▶️ Le robot reprend la conversation avec {young_name(person)} (n° {handoff.id}).", person_id=person.id)


@command("pause_relances", "Plus de relances pour un jeune : /pause_relances <n>")
async def pause_nudges_command(desk: Desk) -> None:
    """The bot stops writing first to this young person (their appointment reminders stay)."""
    await _nudges(desk, paused=True)


@command("reprendre_relances", "Les relances reprennent : /reprendre_relances <n>")
async def resume_nudges_command(desk: Desk) -> None:
    """Undo ``/pause_relances``."""
    await _nudges(desk, paused=False)


async def _nudges(desk: Desk, *, paused: bool) -> None:
    name = "pause_relances" if paused else "reprendre_relances"
    handoff = await _target(desk, f"Écrivez /{name} <n° de la demande>, ou répondez /{name} à sa fiche.")
    person = await _person(desk, handoff) if handoff is not None else None
    if handoff is None or person is None:
        return
    # The nudges capability's own switch (it also cancels the nudges already planned).
    changed = await nudges.pause_nudges(desk.uow, person, by=advisor_subject(desk.agent.id), paused=paused)
    state = "en pause" if paused else "actives"
    already = "" if changed else "déjà "
    desk.say(f"Relances {already}{state} pour {young_name(person)} (n° {handoff.id}). "
             "Les rappels de rendez-vous ne changent pas.", person_id=person.id)


@command("dispos", "Vos prochaines plages d'ouverture")
async def availability(desk: Desk) -> None:
    """The advisor's next opening hours (14 days), with how many appointments each already holds."""
    periods = await opening_periods(desk.uow, [desk.agent], desk.now, 14, desk.tz)
    if not periods:
        desk.say("Aucune plage d'ouverture dans les 14 prochains jours. "
                 "L'opérateur les charge avec « tremplin slots import ».")
        return
    lines = []
    today = desk.now.astimezone(desk.tz).date()
    for period in periods[:12]:
        start, end = period.starts_at.astimezone(desk.tz), period.ends_at.astimezone(desk.tz)
        lieu = await desk.uow.structures.lieu(period.lieu_id)
        booked = await desk.uow.appointments.live_between(agent_ids=[desk.agent.id], starts_at=period.starts_at,
                                                          ends_at=period.ends_at)
        count = f" · {len(booked)} rdv" if booked else ""
        lines.append(f"• {day(start, today=today)}, {clock(start)} – {clock(end)}"
                     f"{f' ({lieu.name})' if lieu else ''}{count}")
    desk.say("Vos prochaines plages :\n" + "\n".join(lines))


# --- Buttons --------------------------------------------------------------------------------------


async def _button_handoff(desk: Desk) -> Handoff | None:
    handoff = _in_scope(desk, await desk.uow.handoffs.get(int(desk.argument))) if desk.argument.isdigit() else None
    if handoff is None:
        desk.ack = STALE
    return handoff


@action("fiche")
async def show_summary(desk: Desk) -> None:
    """"Fiche": the summary, as it is now, again (reply to it to write to the young person)."""
    handoff = await _button_handoff(desk)
    if handoff is None:
        return
    person = await desk.uow.people.get(handoff.person_id)
    if person is None:
        desk.ack = STALE
        return
    await send_summary(desk.uow, desk.world, person, handoff, [desk.agent], key=f"{desk.event.key}:fiche",
                       now=desk.now, planned=desk.planned, email=False)


@action("clore")
async def close(desk: Desk) -> None:
    """"Clore": the request is dealt with; a paused bot answers again."""
    handoff = await _button_handoff(desk)
    if handoff is None:
        return
    person = await _person(desk, handoff)
    was_paused = handoff.paused_at(desk.now)
    pauser = await desk.uow.structures.agent(handoff.paused_by or 0) if was_paused else None
    if not await desk.uow.handoffs.close(handoff, desk.agent.id, desk.now):
        desk.ack = "Déjà close."
        return
    if person is not None and was_paused:
        t = await young_turn(desk.uow, desk.world, person, desk.now, key=f"{desk.event.key}:young")
        announce_back(t, pauser)
        desk.planned.extend(await send_young_turn(t))
    desk.ack = f"Demande n° {handoff.id} close."
    desk.say(f"Demande n° {handoff.id} close.", person_id=handoff.person_id)


@action("venu")
async def came(desk: Desk) -> None:
    """"Venu": the appointment is ``seen``."""
    await _mark(desk, SEEN)


@action("absent")
async def missed(desk: Desk) -> None:
    """"Absent": the appointment is ``noshow`` (what follows is planned by ``appointment_changed``'s hooks)."""
    await _mark(desk, NOSHOW)


async def _mark(desk: Desk, status: str) -> None:
    appointment = await desk.uow.appointments.get(int(desk.argument)) if desk.argument.isdigit() else None
    if appointment is None or appointment.structure_id != desk.agent.structure_id:
        desk.ack = STALE
        return
    if appointment.status != UNKNOWN:
        desk.ack = f"Déjà noté : {STATUS_WORDS.get(appointment.status, appointment.status)}."
        return
    if appointment.starts_at - desk.now > EARLY:
        desk.ack = f"Ce rendez-vous commence à {clock(appointment.starts_at.astimezone(desk.tz))}."
        return
    person = await desk.uow.people.get(appointment.person_id) if appointment.person_id else None
    if person is not None:
        await desk.uow.lock_person(person.id)
        t = await young_turn(desk.uow, desk.world, person, desk.now, key=f"{desk.event.key}:young")
        await desk.uow.appointments.set_status(appointment, status, desk.now)
        # The booking's single hook: history, and whatever the other capabilities plan after a no-show.
        await booking.appointment_changed(t, appointment, STATUS_CHANGED, by=BY_AGENT, previous_status=UNKNOWN)
        desk.planned.extend(await send_young_turn(t))
    else:  # the person erased their data since: the structure's agenda still says how it went
        await desk.uow.appointments.set_status(appointment, status, desk.now)
        await desk.uow.appointments.record(appointment, event=STATUS_CHANGED, by=BY_AGENT, now=desk.now,
                                           previous_status=UNKNOWN)
    desk.ack = "Noté : venu." if status == SEEN else "Noté : absent."
    text, rows = await _appointment_card(desk, appointment)
    desk.say(text, rows, edit_of=desk.event.message_id, person_id=appointment.person_id)
