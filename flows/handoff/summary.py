"""The hand-off summary: what an advisor needs to know before saying hello, on one screen.

``gather`` reads everything about the person once (profile, saved ideas, appointments, their last
messages in their own words when they agreed to keep them, what advisors already answered) into a
``Summary``; the renderings are pure functions of it:

- ``for_telegram``: plain text (the sender sends no parse mode, so nothing needs escaping), at most
  4,096 characters: the quotes are shortened, then the oldest quotes and the longest lists go, and
  the last lines (how to answer) are always there;
- ``for_email``: a subject, a plain-text body and an HTML body (every value escaped).

Advisors are professionals: *vous*. The young person's words are quoted as they wrote them.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from flows.booking import agenda
from flows.data.territory import OUTSIDE
from flows.engine.world import World
from flows.outcomes.questions import WORDS_FOR_ADVISORS
from flows.profile.fields import SECTORS as SECTOR_OPTIONS
from flows.profile.fields import label as answer_label
from flows.profile.values import (
    FOLLOWED_FOR_ADVISORS,
    OBSTACLES_FOR_ADVISORS,
    SCHOOLING_FOR_ADVISORS,
    SITUATION_FOR_ADVISORS,
)
from flows.rules.formatting import as_typed_for_advisors, clock, compact_when, join, when
from storage.appointments import EXCUSED, NOSHOW, REVOKED, SEEN, UNKNOWN, Appointment
from storage.db import UnitOfWork
from storage.handoffs import ASKED, BOOKED, DISTRESS, LOST, Handoff
from storage.message_log import INCOMING
from storage.people import Person

TELEGRAM_LIMIT = 4096
QUOTE_LIMIT = 280  # one quote of the young person, in characters
WORDS_SHOWN = 5  # their last messages quoted
SMALL_TALK = {"greet", "goodbye", "thanks", "affirm", "deny", "inform"}
NOT_SAID = "pas dit"

HEADLINES = {
    DISTRESS: "🔴 URGENT · message de détresse. Les numéros d'urgence lui ont été donnés.",
    ASKED: "📩 Demande de contact : la personne veut parler à quelqu'un.",
    LOST: "📩 Le robot n'a pas compris trois fois : la personne accepte de parler à quelqu'un.",
    BOOKED: "📅 Rendez-vous réservé.",
}


@dataclass
class Quote:
    """One message of the young person, as written."""

    at: dt.datetime
    text: str


@dataclass
class Summary:
    """Everything the summary says, already in words."""

    number: int
    reason: str
    urgent: bool
    structure: str | None
    first_name: str
    age: str
    commune: str
    situation: str
    schooling: str
    rsa: str
    followed: str  # who follows them, as they answered
    advisor: str | None  # the advisor they already deal with: of a hand-off, else of an appointment they came to
    obstacles: list[str]
    interests: list[str]
    saved: list[str]
    next_appointment: str | None
    past_appointments: str | None
    cancelled_appointments: str | None  # cancelled ones, past or to come: never counted as held
    booked: str | None  # the appointment a BOOKED summary prepares
    outcome: str | None  # their latest answer to "Tu en es où aujourd'hui ?" (flows/outcomes/), and when
    quotes: list[Quote] = field(default_factory=list)
    quotes_note: str | None = None  # why there are none
    answered: list[str] = field(default_factory=list)  # what advisors already relayed
    paused_by: str | None = None
    unreachable: bool = False
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Paris"))
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def who(self) -> str:
        """"Inès, 19 ans, Nanterre"."""
        parts = [self.first_name]
        if self.age != NOT_SAID:
            parts.append(self.age)
        if self.commune != NOT_SAID:
            parts.append(self.commune)
        return ", ".join(parts)


# --- Reading the person ---------------------------------------------------------------------------


def short_moment(moment: dt.datetime, now: dt.datetime, tz: ZoneInfo) -> str:
    """"aujourd'hui 11 h", "hier 18 h", "lun. 30 nov. 18 h"."""
    local, today = moment.astimezone(tz), now.astimezone(tz).date()
    if local.date() == today:
        return f"aujourd'hui {clock(local)}"
    if local.date() == today - dt.timedelta(days=1):
        return f"hier {clock(local)}"
    return compact_when(local, tz)


def commune_words(world: World, person: Person) -> str:
    """The commune's name, "hors Hauts-de-Seine", or "pas dit"."""
    if person.commune == OUTSIDE:
        return "hors Hauts-de-Seine"
    commune = world.territory.commune(person.commune)
    return commune.name if commune else NOT_SAID


def _worth_quoting(text: str, intent: str | None) -> bool:
    """A sentence in their words, not a bare answer to a question ("19", "oui", "Nanterre")."""
    words = len(text.split())
    return words >= 3 or (words >= 2 and intent not in SMALL_TALK)


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


async def _describe_appointment(uow: UnitOfWork, appointment: Appointment, tz: ZoneInfo) -> str:
    place = await agenda.place_of(uow, appointment)
    advisor = await uow.structures.agent(appointment.agent_id)
    what = f", {place.motif.name}, {place.lieu.name}" if place else ""
    with_whom = f" (avec {advisor.display_name})" if advisor else ""
    return f"{when(appointment.starts_at, tz)}{what}{with_whom}"


CANCELLED_BY = {EXCUSED: "par la personne", REVOKED: "par la structure"}


def _day(moment: dt.datetime, tz: ZoneInfo) -> str:
    return when(moment, tz).split(" à ")[0]


async def _appointments(uow: UnitOfWork, person: Person, now: dt.datetime, tz: ZoneInfo
                        ) -> tuple[str | None, str | None, str | None]:
    """The next appointment; the past ones in one line (how many came, the no-shows by date); the cancelled
    ones, by date and by whom (a cancelled appointment is neither past nor to come: it did not take place)."""
    found = await uow.appointments.for_person(person.id)
    upcoming = [a for a in found if a.status == UNKNOWN and a.ends_at > now]
    nxt = await _describe_appointment(uow, upcoming[0], tz) if upcoming else None
    seen = [a for a in found if a.status == SEEN]
    missed = [a for a in found if a.status == NOSHOW]
    parts = []
    if seen:
        parts.append(f"{len(seen)} venu{'s' if len(seen) > 1 else ''}")
    if missed:
        days = join([_day(a.starts_at, tz) for a in missed[-3:]])
        parts.append(f"{len(missed)} absence{'s' if len(missed) > 1 else ''} ({days})")
    cancelled = [f"{_day(a.starts_at, tz)} ({CANCELLED_BY[a.status]})" for a in found if a.status in CANCELLED_BY]
    return nxt, ", ".join(parts) or None, join(cancelled[-3:]) or None


async def _current_advisor(uow: UnitOfWork, person: Person, handoff: Handoff, now: dt.datetime) -> str | None:
    """Who already follows the person: the advisor of this or an earlier hand-off, else of their appointments."""
    agent_id = handoff.agent_id
    if agent_id is None:
        earlier = [h.agent_id for h in await uow.handoffs.of_person(person.id) if h.agent_id is not None]
        agent_id = earlier[-1] if earlier else None
    if agent_id is None:  # an appointment they came to (one only booked is said with the next appointment)
        met = [a for a in await uow.appointments.for_person(person.id) if a.status == SEEN]
        agent_id = met[-1].agent_id if met else None
    agent = await uow.structures.agent(agent_id) if agent_id is not None else None
    return agent.display_name if agent else None


async def gather(
    uow: UnitOfWork, world: World, person: Person, handoff: Handoff, now: dt.datetime, *,
    current_text: str | None = None,
) -> Summary:
    """Everything the summary of ``handoff`` says about ``person``, read now.

    ``current_text`` is the message being handled (not in the message log yet); it is quoted like
    the others when the person agreed to keep their messages.
    """
    tz = world.settings.tz
    structure = world.territory.structure(handoff.structure_id)
    consented = person.consent_at is not None
    quotes: list[Quote] = []
    note = None
    if consented:
        logged = await uow.messages.last(person.id, 20, INCOMING)
        quotes = [Quote(m.created_at, as_typed_for_advisors(m.text))
                  for m in logged if _worth_quoting(m.text, m.intent)]
        current = as_typed_for_advisors(current_text or "")
        if current and _worth_quoting(current, None) and not (quotes and quotes[-1].text == current):
            quotes.append(Quote(now, current))
        quotes = quotes[-WORDS_SHOWN:]
        if not quotes:
            note = "pas de message écrit, seulement des boutons"
    else:
        note = "pas gardés : la personne n'a pas encore donné son accord"
    saved = [s.title for s in await uow.suggestions.for_person(person.id)]
    nxt, past, cancelled = await _appointments(uow, person, now, tz)
    booked = None
    if handoff.appointment_id is not None:
        appointment = await uow.appointments.get(handoff.appointment_id)
        booked = await _describe_appointment(uow, appointment, tz) if appointment else None
    answered = []
    for relay in await uow.handoffs.relays_of_person(person.id, limit=2):
        agent = await uow.structures.agent(relay.agent_id) if relay.agent_id else None
        name = agent.display_name if agent else "la mission locale"
        answered.append(f"{name}, {short_moment(relay.created_at, now, tz)} : « {_shorten(relay.text or '', 160)} »")
    paused_by = None
    if handoff.paused_at(now) and handoff.paused_by is not None:
        pauser = await uow.structures.agent(handoff.paused_by)
        paused_by = pauser.display_name if pauser else "la mission locale"
    rsa = NOT_SAID if person.rsa is None else ("oui" if person.rsa else "non")
    latest = await uow.outcomes.latest_answer(person.id)
    outcome = (f"{WORDS_FOR_ADVISORS.get(latest.category or '', latest.category)}, "
               f"{short_moment(latest.answered_at, now, tz)}" if latest and latest.answered_at else None)
    return Summary(
        number=handoff.id, reason=handoff.reason, urgent=handoff.urgent,
        structure=structure.name if structure else None,
        first_name=as_typed_for_advisors(person.first_name or "") or "Prénom non donné",
        age=f"{person.age} ans" if person.age else NOT_SAID,
        commune=commune_words(world, person),
        situation=SITUATION_FOR_ADVISORS.get(person.situation or "", NOT_SAID),
        schooling=SCHOOLING_FOR_ADVISORS.get(person.schooling or "", NOT_SAID),
        rsa=rsa,
        followed=FOLLOWED_FOR_ADVISORS.get(person.followed_by or "", NOT_SAID),
        advisor=await _current_advisor(uow, person, handoff, now),
        obstacles=[OBSTACLES_FOR_ADVISORS.get(o, o) for o in person.obstacles or []],
        interests=[_sector(s) for s in person.sectors or []],
        saved=saved, next_appointment=nxt, past_appointments=past,
        cancelled_appointments=cancelled, booked=booked, outcome=outcome, quotes=quotes, quotes_note=note,
        answered=answered, paused_by=paused_by, unreachable=person.unreachable_at is not None, tz=tz, now=now,
    )


def _sector(code: str) -> str:
    return answer_label(SECTOR_OPTIONS, code).lower()


# --- Rendering ------------------------------------------------------------------------------------


@dataclass
class _Block:
    """A part of the summary: a title and its lines (a title alone is one line)."""

    title: str
    lines: list[str] = field(default_factory=list)


def _blocks(s: Summary, *, quotes: list[Quote], quote_limit: int, list_limit: int) -> list[_Block]:
    head = [HEADLINES[DISTRESS]] if s.urgent else []
    if s.reason != DISTRESS or not s.urgent:
        head.append(HEADLINES[s.reason])
    # A booking's summary is no request: it is not numbered as one (its number only serves to answer it).
    number = "" if s.reason == BOOKED else f"Demande n° {s.number} · "
    blocks = [_Block(line) for line in head]
    if s.booked:
        blocks.append(_Block(f"Rendez-vous : {s.booked}. Ce résumé le prépare."))
    blocks.append(_Block(number + (s.structure or "structure inconnue")))
    blocks.append(_Block(f"👤 {s.who}"))
    for title, value in (("Situation", s.situation), ("Diplôme", s.schooling), ("RSA", s.rsa)):
        blocks.append(_Block(f"{title} : {value}"))
    if s.outcome:
        blocks.append(_Block(f"Dernière nouvelle de sa situation : {s.outcome}"))
    blocks.extend(_Block(line) for line in _followed(s))
    for title, items, empty in (("Difficultés", s.obstacles, "aucune dite"), ("Intérêts", s.interests, NOT_SAID)):
        blocks.append(_Block(f"{title} : {' · '.join(items) if items else empty}"))
    if s.saved:
        shown = s.saved[:list_limit]
        more = len(s.saved) - len(shown)
        extra = [f"+ {more} autre{'s' if more > 1 else ''}"] if more else []
        blocks.append(_Block("Idées gardées", [*shown, *extra]))
    appointments = []
    if s.next_appointment:
        appointments.append(f"prochain : {s.next_appointment}")
    if s.past_appointments:
        appointments.append(f"passés : {s.past_appointments}")
    if s.cancelled_appointments:
        appointments.append(f"annulés : {s.cancelled_appointments}")
    blocks.append(_Block("Rendez-vous", appointments or ["aucun"]))
    if quotes:
        lines = [f"{short_moment(q.at, s.now, s.tz)} : « {_shorten(q.text, quote_limit)} »" for q in quotes]
        blocks.append(_Block("Ses mots", lines))
    else:
        blocks.append(_Block(f"Ses mots : {s.quotes_note or 'aucun'}"))
    if s.answered:
        blocks.append(_Block("Déjà répondu", s.answered))
    if s.paused_by:
        blocks.append(_Block(f"⏸ Robot en pause pour cette personne ({s.paused_by})."))
    if s.unreachable:
        blocks.append(_Block("⚠️ La personne a bloqué le robot : vos messages risquent de ne pas arriver."))
    return blocks


def _followed(s: Summary) -> list[str]:
    """Who follows them, as they said, and the advisor they already deal with: one line when both agree ("mission
    locale, avec Nadia"), two when their answer names nobody at the mission locale (no "personne · Nadia")."""
    if s.advisor is None:
        return [f"Accompagnement : {s.followed}"]
    if "mission locale" in s.followed:
        return [f"Accompagnement : {s.followed}, avec {s.advisor}"]
    return [f"Accompagnement d'après ses réponses : {s.followed}",
            f"Déjà en contact à la mission locale avec {s.advisor}"]


def _text(blocks: list[_Block]) -> str:
    out = []
    for block in blocks:
        out.append(block.title if not block.lines else f"{block.title} :")
        out.extend(f"• {line}" for line in block.lines)
    return "\n".join(out)


def telegram_footer(s: Summary) -> str:
    """How to answer, from Telegram (a booking's summary is answered by replying to it: it is no request)."""
    first = s.first_name if s.first_name != "Prénom non donné" else "la personne"
    if s.reason == BOOKED:
        return f"Pour écrire à {first} : répondez à ce message. Toutes les demandes : /jeunes."
    return (f"Pour répondre : répondez à ce message (transmis à {first}), ou /repondre {s.number} votre texte.\n"
            f"Le robot se tait pendant que vous parlez : /pause_bot {s.number}. Toutes les demandes : /jeunes.")


def email_footer(s: Summary) -> str:
    """How to answer, for someone reading the e-mail."""
    if s.reason == BOOKED:
        return ("Pour écrire à la personne : dans Telegram, répondez au message du robot Tremplin.\n"
                "Répondre à cet e-mail ne parvient pas à la personne.")
    return ("Pour répondre : dans Telegram, répondez au message du robot Tremplin, "
            f"ou écrivez /repondre {s.number} votre texte.\n"
            "Répondre à cet e-mail ne parvient pas à la personne.")


def _fit(s: Summary, footer: str, limit: int) -> str:
    """The text with its footer within ``limit`` characters: shorter quotes, fewer quotes, shorter lists, then cut."""
    quotes = list(s.quotes)
    attempts = [(QUOTE_LIMIT, 6), (160, 4), (100, 3), (60, 2)]
    for quote_limit, list_limit in attempts:
        while True:
            body = _text(_blocks(s, quotes=quotes, quote_limit=quote_limit, list_limit=list_limit))
            text = f"{body}\n\n{footer}"
            if len(text) <= limit:
                return text
            if len(quotes) <= 1:
                break
            quotes = quotes[1:]  # the oldest goes first
    room = limit - len(footer) - 3
    return f"{body[:room].rstrip()}…\n\n{footer}"


def for_desk(s: Summary) -> list[tuple[str, list[str]]]:
    """The summary for the web desk: (title, lines) blocks, every quote whole, no Telegram instructions."""
    return [(block.title, list(block.lines))
            for block in _blocks(s, quotes=s.quotes, quote_limit=QUOTE_LIMIT, list_limit=len(s.saved) or 1)]


def for_telegram(s: Summary) -> str:
    """The summary as one Telegram message (<= 4,096 characters, the footer always whole)."""
    return _fit(s, telegram_footer(s), TELEGRAM_LIMIT)


def subject(s: Summary) -> str:
    """The e-mail's subject."""
    flag = "URGENT – " if s.urgent else ""
    kind = "rendez-vous réservé" if s.reason == BOOKED else f"demande n° {s.number}"
    return f"[Tremplin] {flag}{kind} : {s.who}"


def for_email(s: Summary) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of the summary e-mail."""
    blocks = _blocks(s, quotes=s.quotes, quote_limit=QUOTE_LIMIT * 2, list_limit=20)
    footer = email_footer(s)
    plain = f"{_text(blocks)}\n\n{footer}\n"
    parts = []
    for block in blocks:
        if block.lines:
            items = "".join(f"<li>{html.escape(line)}</li>" for line in block.lines)
            parts.append(f"<p><strong>{html.escape(block.title)}</strong></p><ul>{items}</ul>")
        else:
            label, sep, value = block.title.partition(" : ")
            if sep and len(label) <= 20:
                parts.append(f"<p><strong>{html.escape(label)}</strong> : {html.escape(value)}</p>")
            else:
                parts.append(f"<p>{html.escape(block.title)}</p>")
    footer_html = "<br>".join(html.escape(line) for line in footer.splitlines())
    body = "\n".join(parts)
    document = (
        "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(subject(s))}</title></head>\n<body>\n{body}\n<hr>\n<p>{footer_html}</p>\n</body></html>\n"
    )
    return subject(s), plain, document
