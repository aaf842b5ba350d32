"""Handing a young person to a human advisor: the young person's side of it.

The script, as the young person lives it:

1. "je veux parler à quelqu'un" (intent ``talk_to_advisor``), the menu's "Parler à quelqu'un", the
   "Oui, à quelqu'un" the engine offers after three misunderstandings, or a message of distress
   (``raise_urgent``, called by flows/handoff/distress.py once the emergency numbers are said);
2. the advisors of the structure serving them (their commune's mission locale, else the one of their
   appointments) get the summary (flows/handoff/summary.py) on Telegram, and by e-mail when the bot
   has an e-mail sender; each delivery is an outbox row (status, retries) linked to the hand-off;
3. the young person is told who will answer, and roughly when (from the advisors' opening hours);
4. an advisor's answer arrives prefixed "👤 Réponse de Nadia (Mission locale …)", with a "Répondre à
   Nadia" button; replying to it (or pressing the button) sends their words to that advisor;
5. an advisor may pause the bot for them (``/pause_bot``): they are told a person has taken over and
   when the bot comes back at the latest (``PAUSE_HOURS``). While paused, the engine asks
   ``before_dispatch`` first: what they write goes to that advisor and the bot says nothing, except
   for what must never wait: distress (the numbers again, the advisors alerted) and their privacy
   rights (/supprimer, /mes_donnees, /confidentialite). When the advisor resumes the bot, or the pause
   expires, they are told the bot is back.

A booked appointment also sends the summary that prepares it (``prepare_appointment``, called by
``flows.booking.booking.appointment_changed``), to the appointment's advisor, else to the structure's.
Advisors are ``agents`` with a Telegram id (``tremplin advisors add``); their side is flows/advisors/advisors.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flows.data.territory import OUTSIDE, MissionLocale
from flows.engine.buttons import advisor_subject
from flows.engine.events import BUTTON, COMMAND, MEDIA, TEXT, Button, Event, Outcome, PersonRef, Reply
from flows.engine.script import Next, Option, Question, Step, on_action, on_erasure, on_intent
from flows.engine.turn import Turn, reply_payload
from flows.engine.world import World
from flows.handoff.contacts import all_structures
from flows.handoff.summary import for_email, for_telegram, gather
from flows.rules.agenda import opening_of
from flows.rules.formatting import clock, day, when
from flows.rules.slots import is_public_holiday, local_moment, occurrence_days
from storage.appointments import Appointment
from storage.db import UnitOfWork
from storage.handoffs import ASKED, BOOKED, CLOSED, DISTRESS, FORWARD, LOST, NOTICE, RELAY, SUMMARY, Handoff
from storage.people import Person
from storage.structures import Agent

TELEGRAM, EMAIL = "telegram", "email"
PAUSE_HOURS = 48  # the bot never stays silent longer than this for someone (an advisor may forget)
STATE = "handoff"  # this script's scratch data in the conversation
# What still reaches the bot while an advisor has paused it: rights that cannot wait.
PRIVACY_COMMANDS = ("supprimer", "mes_donnees", "confidentialite")
PRIVACY_STEP = "privacy.erase"
MEDIA_WORDS = {
    "voice": "un message vocal", "audio": "un son", "video": "une vidéo", "video_note": "une vidéo",
    "photo": "une photo", "sticker": "un autocollant", "animation": "un GIF", "document": "un fichier",
    "location": "une position", "contact": "un contact", "emoji": "des emoji",
}
# Outbox kinds (what a row is for; delivery does not care).
KIND_SUMMARY, KIND_FORWARD, KIND_RELAY, KIND_NOTICE = "handoff", "handoff_forward", "advisor_relay", "advisor_notice"

where_step = Step("handoff.where")
write_step = Step("handoff.write", free_text=True)


# --- Names ----------------------------------------------------------------------------------------


def short_name(agent: Agent) -> str:
    """"Nadia" from "Nadia (exemple)" or "Nadia B.": what the young person reads."""
    return agent.display_name.split("(")[0].strip() or "ton conseiller"


def young_name(person: Person) -> str:
    """The young person's first name for an advisor (never their Telegram id)."""
    return person.first_name or "La personne"


def the(structure_name: str) -> str:
    """"la Mission locale de Nanterre": the names of the missions locales start with "Mission locale"."""
    return f"la {structure_name}" if structure_name.lower().startswith("mission locale") else structure_name


def names(agents: Sequence[Agent]) -> str:
    """"Nadia", "Nadia ou Thomas", or "Une personne de la mission locale" for a crowd."""
    shown = list(dict.fromkeys(short_name(a) for a in agents))
    if not shown or len(shown) > 3:
        return "Une personne de la mission locale"
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} ou {shown[-1]}"


# --- Who answers, and when ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    """An advisor at work: one occurrence of a plage d'ouverture, minus absences (UTC)."""

    agent_id: int
    lieu_id: str
    starts_at: dt.datetime
    ends_at: dt.datetime


async def opening_periods(uow: UnitOfWork, agents: Sequence[Agent], since: dt.datetime, days: int, tz: ZoneInfo
                          ) -> list[Period]:
    """When these advisors are at work from ``since`` for ``days`` days, soonest first.

    Their plages d'ouverture (flows/rules/slots.py's recurrence rules, public holidays skipped), with their
    absences and their structure's closures cut out.
    """
    if not agents:
        return []
    first = since.astimezone(tz).date()
    last = first + dt.timedelta(days=days)
    wanted = {a.id for a in agents}
    start = dt.datetime.combine(first, dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    periods: list[Period] = []
    for structure_id in sorted({a.structure_id for a in agents}):
        ids = sorted(a.id for a in agents if a.structure_id == structure_id)
        plages = [p for p in await uow.structures.plages(first_day=first, last_day=last, structure_id=structure_id)
                  if p.agent_id in wanted]
        absences = await uow.structures.absences(structure_id=structure_id, agent_ids=ids, starts_at=start,
                                                 ends_at=end)
        for plage in plages:
            away = [(a.starts_at, a.ends_at) for a in absences if a.agent_id in (None, plage.agent_id)]
            for occurrence in occurrence_days(opening_of(plage), first, last):
                if is_public_holiday(occurrence):
                    continue
                begins = local_moment(occurrence, plage.start_time, tz)
                ends = local_moment(occurrence, plage.end_time, tz)
                if begins is None or ends is None:
                    continue  # a DST night: that plage is skipped rather than guessed
                for piece_start, piece_end in _minus(begins, ends, away):
                    if piece_end > since:
                        periods.append(Period(plage.agent_id, plage.lieu_id, piece_start, piece_end))
    return sorted(periods, key=lambda p: (p.starts_at, p.agent_id))


def _minus(start: dt.datetime, end: dt.datetime, away: list[tuple[dt.datetime, dt.datetime]]
           ) -> list[tuple[dt.datetime, dt.datetime]]:
    pieces = [(start, end)]
    for away_start, away_end in away:
        kept = []
        for piece_start, piece_end in pieces:
            if away_end <= piece_start or away_start >= piece_end:
                kept.append((piece_start, piece_end))
                continue
            if piece_start < away_start:
                kept.append((piece_start, away_start))
            if away_end < piece_end:
                kept.append((away_end, piece_end))
        pieces = kept
    return pieces


async def when_they_answer(uow: UnitOfWork, world: World, agents: Sequence[Agent],
                           structure: MissionLocale | None, now: dt.datetime) -> tuple[str, bool]:
    """("Quelqu'un est au bureau aujourd'hui jusqu'à 17 h…", open now) from the advisors' opening hours."""
    tz = world.settings.tz
    periods = await opening_periods(uow, agents, now, 14, tz)
    current = [p for p in periods if p.starts_at <= now < p.ends_at]
    if current:
        until = max(p.ends_at for p in current).astimezone(tz)
        return f"Quelqu'un est au bureau aujourd'hui jusqu'à {clock(until)}. Réponse dans la journée, en général.", True
    upcoming = [p for p in periods if p.starts_at > now]
    if upcoming:
        back = upcoming[0].starts_at.astimezone(tz)
        today = now.astimezone(tz).date()
        return f"Personne n'est au bureau en ce moment. Retour {day(back, today=today)} à {clock(back)}.", False
    if structure is not None:
        return f"La mission locale est ouverte {structure.opening_hours}. Réponse pendant ces heures.", False
    return "Réponse dès que possible, aux heures d'ouverture.", False


# --- Recipients and deliveries --------------------------------------------------------------------


async def advisors_of(uow: UnitOfWork, structure_id: str | None) -> list[Agent]:
    """The registered advisors (active agents with a Telegram id) of a structure, or of all (None)."""
    return [a for a in await uow.structures.agents(structure_id) if a.telegram_id is not None]


async def structure_of(t: Turn) -> str | None:
    """The structure serving the person: their commune's, else the one of their latest appointment."""
    structure = t.world.territory.structure_for(t.person.commune)
    if structure is not None:
        return structure.id
    appointments = await t.uow.appointments.for_person(t.person.id)
    return appointments[-1].structure_id if appointments else None


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
                payload=reply_payload(reply), due_at=now, now=now, person_id=person.id,
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
                person_id=person.id,
            )
            if outbox_id is not None:
                planned.append(outbox_id)
                queued += 1
                await uow.handoffs.add_message(handoff, channel=EMAIL, kind=SUMMARY, now=now, agent_id=agent.id,
                                               outbox_id=outbox_id)
    return queued


async def tell_advisor(t: Turn, handoff: Handoff, agent: Agent, text: str, *, kind: str, key: str) -> int | None:
    """A message about the person to one advisor's Telegram chat, recorded so that they can reply to it."""
    if agent.telegram_id is None:
        return None
    outbox_id = await t.send_to(channel=TELEGRAM, chat_id=str(agent.telegram_id), text=text, key=key,
                                kind=KIND_FORWARD if kind == FORWARD else KIND_NOTICE, person_id=t.person.id)
    if outbox_id is not None:
        await t.uow.handoffs.add_message(handoff, channel=TELEGRAM, kind=kind, now=t.now, agent_id=agent.id,
                                         outbox_id=outbox_id)
    return outbox_id


# --- Raising a hand-off ---------------------------------------------------------------------------


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
            await tell_advisor(t, existing, agent, text, kind=FORWARD, key=f"{t.event.key}:urgent:{agent.id}")
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


@on_intent("talk_to_advisor")
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


# --- A booked appointment -------------------------------------------------------------------------


async def prepare_appointment(t: Turn, appointment: Appointment) -> None:
    """Send the summary that prepares a booked appointment: to its advisor if registered, else the structure's.

    Recorded as a hand-off already closed (nothing to answer), so that a reply to it still reaches
    the young person.
    """
    agents = await advisors_of(t.uow, appointment.structure_id)
    targets = [a for a in agents if a.id == appointment.agent_id] or agents
    if not targets:
        return
    handoff = await t.uow.handoffs.open(person_id=t.person.id, structure_id=appointment.structure_id, reason=BOOKED,
                                        urgent=False, now=t.now, appointment_id=appointment.id, status=CLOSED)
    await send_summary(t.uow, t.world, t.person, handoff, targets,
                       key=f"{t.event.key}:rdv{appointment.id}.{appointment.sequence}", now=t.now, planned=t.planned)


async def tell_appointment_change(t: Turn, appointment: Appointment, moved_from: dt.datetime | None) -> None:
    """The young person moved or cancelled: the appointment's advisor (else the structure's) hears of it."""
    agents = await advisors_of(t.uow, appointment.structure_id)
    targets = [a for a in agents if a.id == appointment.agent_id] or agents
    tz = t.world.settings.tz
    name = young_name(t.person)
    if moved_from is not None:
        text = (f"📅 {name} a déplacé son rendez-vous du {when(moved_from, tz)} : "
                f"c'est maintenant le {when(appointment.starts_at, tz)}.")
    else:
        text = f"📅 {name} a annulé son rendez-vous du {when(appointment.starts_at, tz)}. Le créneau est libre."
    for agent in targets:
        if agent.telegram_id is not None:
            await t.send_to(channel=TELEGRAM, chat_id=str(agent.telegram_id), text=text, kind=KIND_NOTICE,
                            key=f"{t.event.key}:rdv{appointment.id}.{appointment.sequence}.a{agent.id}",
                            person_id=t.person.id)


# --- While an advisor has taken over --------------------------------------------------------------


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
            if handoff is not None and agent is not None and agent.active and agent.telegram_id is not None:
                await send_to_advisor(t, handoff, agent)
                t.say(f"C'est envoyé à {short_name(agent)}. La réponse arrivera ici.")
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


async def send_to_advisor(t: Turn, handoff: Handoff, agent: Agent) -> int | None:
    """What the young person just sent, to one advisor ("💬 Inès · n° 12")."""
    event = t.event
    if event.kind == MEDIA:
        body = f"[{MEDIA_WORDS.get(event.media or '', 'un message')} : non transmis]"
    else:
        body = event.text.strip()
    text = f"💬 {young_name(t.person)} · n° {handoff.id}\n{body}"
    return await tell_advisor(t, handoff, agent, text, kind=FORWARD, key=f"{event.key}:fwd:{agent.id}")


async def end_pause(t: Turn, handoff: Handoff, *, expired: bool) -> None:
    """The bot answers again: the young person is told, and the advisor when the pause simply ran out."""
    agent = await t.uow.structures.agent(handoff.paused_by) if handoff.paused_by else None
    await t.uow.handoffs.resume(handoff)
    announce_back(t, agent)
    if expired and agent is not None:
        text = (f"⏸ Fin de la pause du robot pour {young_name(t.person)} (n° {handoff.id}) : "
                f"{PAUSE_HOURS} h sont passées. Le robot lui répond de nouveau.")
        await tell_advisor(t, handoff, agent, text, kind=NOTICE, key=f"{t.event.key}:unpaused:{agent.id}")


# --- What the young person reads when an advisor acts ---------------------------------------------


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


def relay_text(agent: Agent, structure_name: str, text: str) -> str:
    """An advisor's words, shown as a person's, not the bot's."""
    return f"👤 Réponse de {short_name(agent)} ({structure_name}) :\n\n{text}"


def relay_to_young(t: Turn, handoff: Handoff, agent: Agent, structure_name: str, text: str) -> None:
    """The advisor's answer, with a button to answer back."""
    t.say(relay_text(agent, structure_name, text),
          buttons=[t.action(f"Répondre à {short_name(agent)}"[:40], "hreply", f"{handoff.id}-{agent.id}")])


async def young_turn(uow: UnitOfWork, world: World, person: Person, now: dt.datetime, key: str) -> Turn:
    """A turn of the young person that they did not start (an advisor acted): what it says goes to them."""
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
    if handoff is None or handoff.person_id != t.person.id or agent is None or agent.telegram_id is None \
            or not agent.active:
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
    name = short_name(found[1]) if found else "ton conseiller"
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
    await send_to_advisor(t, handoff, agent)
    t.data.pop(STATE, None)
    return t.done(f"C'est envoyé à {short_name(agent)}. La réponse arrivera ici.")


# --- Before a person's data is erased -------------------------------------------------------------


@on_erasure
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
