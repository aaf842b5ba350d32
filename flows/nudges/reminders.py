"""Appointment reminders, the follow-up after an appointment, and "on replanifie ?" after a no-show.

The script, as the young person lives it (times from ``reminders:`` in config.yml, moved out of the
quiet hours by flows/rules/quiet_hours.py; the rules are in docs/nudges.md):

1. booked more than ``days_before`` (7) days ahead: a first reminder 7 days before, at
   ``day_before_at`` (18:00);
2. the day before at 18:00: "Rappel : ton rendez-vous à la mission locale, c'est demain à 14 h.", with
   the address. When that evening is a Sunday or a public holiday, it is said on the last allowed
   evening before ("c'est le lundi 7 décembre à 10 h"): moved literally to the next allowed time, it
   would land on the morning of the appointment, next to the same-day reminder, saying "demain";
3. the same morning at ``same_day_at`` (08:30, so 09:00 once the quiet hours end): "C'est
   aujourd'hui !", dropped when it could not arrive an hour before the start (the day before said it);
4. each with "Je viens" / "Je ne peux plus" (the booking's cancellation: status ``excused``, the place
   freed, the .ics removed) / "Changer l'heure" (the booking's move), run by name as the booking's
   action buttons (this module never imports the booking);
5. ``follow_up_after_hours`` (2 h) after the end: "Comment s'est passé ton rendez-vous ?";
6. an advisor marks a no-show: the same day (or the next allowed morning), "Tu n'as pas pu venir ?
   Ça arrive. On replanifie ?" with fresh times of the same motif at the same lieu.

Every message is an outbox row (category ``appointment``) carrying the appointment's id, with a key
built from the appointment's id and ``sequence``: ``rmd:<id>:<sequence>:<j7|j1|h0|after|noshow>``.
Two processes planning the same thing write one row; a move bumps the sequence, and
``flows.booking.changes.appointment_changed`` cancels the old rows before emitting ``APPOINTMENT_CHANGED``,
which plans these new ones (``on_appointment_changed``). Each row
expires at the end of its allowed window and never later than the start: a reminder missed while the
bot was down is sent if there is still time, otherwise dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from flows.booking import agenda
from flows.engine.events import Button, Reply
from flows.engine.reactions import APPOINTMENT_CHANGED, AppointmentChange, reacts_to
from flows.engine.script import ACTION_HANDLERS, INTENT_HANDLERS, ActionButton, Next, on_action
from flows.engine.turn import Turn, reply_payload
from flows.engine.world import World
from flows.rules.formatting import clock, short_when, when
from flows.rules.quiet_hours import QuietHours, local_moment
from flows.rules.settings import ConversationSettings
from storage.appointments import (
    BOOKED,
    BY_YOUNG,
    CANCELLED_STATUSES,
    MOVED,
    NOSHOW,
    SEEN,
    STATUS_CHANGED,
    Appointment,
)
from storage.db import UnitOfWork
from storage.outbox import APPOINTMENT
from storage.people import Person

J7, J1, H0, AFTER, NOSHOW_STEP = "j7", "j1", "h0", "after", "noshow"
KIND_REMINDER, KIND_FOLLOW_UP, KIND_RESCHEDULE = "reminder", "follow_up", "reschedule"
MIN_LEAD = dt.timedelta(hours=1)  # a reminder later than this before the start no longer helps anyone get there
JUST_SAID = dt.timedelta(hours=2)  # the booking's confirmation said it all: no reminder this soon after it
CONFIRMED = "confirmed"  # history line of "Je viens" (read by the advisors)
SLOTS_OFFERED = 3
# The booking's action buttons that the reminders' buttons run (by name: flows/booking registers them).
BOOKING_CANCEL, BOOKING_MOVE, BOOKING_AGAIN = "rdv_cancel", "rdv_move", "rdv_again"


# --- When (pure) --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """When one planned message goes out, and after when it is no longer worth sending."""

    step: str
    due_at: dt.datetime
    expires_at: dt.datetime


def reminder_timings(starts_at: dt.datetime, now: dt.datetime, settings: ConversationSettings) -> list[Timing]:
    """The reminders of an appointment starting at ``starts_at``, booked (or moved) at ``now``.

    Rules (docs/nudges.md): every time is moved out of the quiet hours; the day-before reminder that
    would fall on the appointment's day is said on the last allowed evening before instead; the
    same-morning one is dropped unless it arrives ``MIN_LEAD`` before the start; nothing is planned
    less than ``JUST_SAID`` after the booking; nothing expires after the start.
    """
    quiet = QuietHours.of(settings)
    tz, rules = settings.tz, settings.reminders
    day = starts_at.astimezone(tz).date()
    soonest = now + JUST_SAID
    timings: list[Timing] = []

    # The day before: moved literally, a Sunday or holiday evening would land on the appointment's own
    # morning (saying "demain"); it is said on the last allowed evening before instead.
    day_before: dt.datetime | None = quiet.next_allowed(
        local_moment(day - dt.timedelta(days=1), rules.day_before_at, tz))
    if day_before is not None and (day_before.astimezone(tz).date() >= day or day_before > starts_at - MIN_LEAD):
        day_before = quiet.latest_allowed_before(day, rules.day_before_at)
    if day_before is not None and day_before <= soonest:
        day_before = None

    if starts_at - now > dt.timedelta(days=rules.days_before):
        week_before = quiet.next_allowed(
            local_moment(day - dt.timedelta(days=rules.days_before), rules.day_before_at, tz))
        later = day_before or starts_at
        if soonest < week_before and week_before.astimezone(tz).date() < later.astimezone(tz).date():
            timings.append(Timing(J7, week_before, min(quiet.allowed_until(week_before), later)))

    if day_before is not None:
        timings.append(Timing(J1, day_before, min(quiet.allowed_until(day_before), starts_at)))

    # The same morning: moved to the end of the quiet hours, it must still leave time to get there.
    same_day = quiet.next_allowed(local_moment(day, rules.same_day_at, tz))
    if same_day.astimezone(tz).date() == day and soonest < same_day <= starts_at - MIN_LEAD:
        timings.append(Timing(H0, same_day, min(quiet.allowed_until(same_day), starts_at)))
    return timings


def follow_up_timing(ends_at: dt.datetime, now: dt.datetime, settings: ConversationSettings) -> Timing:
    """"Comment ça s'est passé ?": ``follow_up_after_hours`` after the end, at an allowed time."""
    quiet = QuietHours.of(settings)
    nominal = max(ends_at + dt.timedelta(hours=settings.reminders.follow_up_after_hours), now)
    due = quiet.next_allowed(nominal)
    return Timing(AFTER, due, quiet.allowed_until(due))


def reschedule_timing(now: dt.datetime, settings: ConversationSettings) -> Timing:
    """"On replanifie ?" after a no-show: now, or the next allowed time (the next morning after 20:00)."""
    quiet = QuietHours.of(settings)
    due = quiet.next_allowed(now)
    return Timing(NOSHOW_STEP, due, quiet.allowed_until(due))


# --- Planning -----------------------------------------------------------------------------------


async def plan_message(
    uow: UnitOfWork,
    world: World,
    person: Person,
    *,
    key: str,
    text: str,
    due_at: dt.datetime,
    now: dt.datetime,
    kind: str,
    category: str,
    buttons: Sequence[ActionButton] = (),
    appointment_id: int | None = None,
    expires_at: dt.datetime | None = None,
) -> int | None:
    """Queue a message for ``person`` (not necessarily the one whose turn this is: an advisor's "absent"
    plans for the young person). Buttons are signed for that person. Idempotent by ``key``."""
    rows = tuple((Button(b.label, world.signer.action(person.id, b.name, b.argument)),) for b in buttons)
    return await uow.outbox.add(
        key=key, channel=person.channel, chat_id=person.chat_id, kind=kind, category=category,
        payload=reply_payload(Reply(text=text, buttons=rows)), due_at=due_at, now=now, person_id=person.id,
        appointment_id=appointment_id, expires_at=expires_at,
    )


async def _queue(t: Turn, person: Person, appointment: Appointment, timing: Timing, *, kind: str, text: str,
                 buttons: Sequence[ActionButton]) -> int | None:
    message_id = await plan_message(
        t.uow, t.world, person, key=f"rmd:{appointment.id}:{appointment.sequence}:{timing.step}", text=text,
        due_at=timing.due_at, now=t.now, kind=kind, category=APPOINTMENT, buttons=buttons,
        appointment_id=appointment.id, expires_at=timing.expires_at,
    )
    if message_id is not None and timing.due_at <= t.now:
        t.planned.append(message_id)  # due now: delivered right after this turn's commit
    return message_id


@reacts_to(APPOINTMENT_CHANGED)
async def on_appointment_changed(t: Turn, changed: AppointmentChange) -> None:
    """What follows a booking, a move or a status change (emitted by ``flows.booking.changes.appointment_changed``,
    in the same transaction, after it has cancelled what was planned about the old time)."""
    appointment, change = changed.appointment, changed.kind
    if appointment.person_id is None:
        return
    person = t.person if t.person.id == appointment.person_id else await t.uow.people.get(appointment.person_id)
    if person is None:
        return
    if change in (BOOKED, MOVED) and appointment.live:
        await plan_reminders(t, person, appointment)
    elif change == STATUS_CHANGED:
        if appointment.status == NOSHOW:
            await t.uow.outbox.cancel_pending(appointment_id=appointment.id)  # no "comment ça s'est passé ?"
            await plan_reschedule(t, person, appointment)
        elif appointment.status in CANCELLED_STATUSES:
            await t.uow.outbox.cancel_pending(appointment_id=appointment.id)
        elif appointment.status == SEEN:
            # Came (maybe a no-show corrected): no more reminders, no "on replanifie ?"; the follow-up stays.
            await t.uow.outbox.cancel_pending(appointment_id=appointment.id, kinds=[KIND_REMINDER, KIND_RESCHEDULE])


async def plan_reminders(t: Turn, person: Person, appointment: Appointment) -> None:
    """Plan the reminders and the follow-up of a live appointment (its current time and sequence)."""
    settings = t.world.settings
    place = await agenda.place_of(t.uow, appointment)
    buttons = reminder_buttons(appointment)
    for timing in reminder_timings(appointment.starts_at, t.now, settings):
        await _queue(t, person, appointment, timing, kind=KIND_REMINDER,
                     text=reminder_text(timing, appointment, person, place, settings), buttons=buttons)
    follow_up = follow_up_timing(appointment.ends_at, t.now, settings)
    await _queue(t, person, appointment, follow_up, kind=KIND_FOLLOW_UP,
                 text="Comment s'est passé ton rendez-vous à la mission locale ?",
                 buttons=[ActionButton("Très bien", "rmd_after", f"{appointment.id}:good"),
                          ActionButton("Bof", "rmd_after", f"{appointment.id}:meh"),
                          ActionButton("Pas pu venir", "rmd_after", f"{appointment.id}:missed")])


async def plan_reschedule(t: Turn, person: Person, appointment: Appointment) -> None:
    """After a no-show: "on replanifie ?" with fresh times, the same day (or the next allowed morning)."""
    timing = reschedule_timing(t.now, t.world.settings)
    tz = t.world.settings.tz
    today = timing.due_at.astimezone(tz).date()
    missed = "aujourd'hui" if appointment.starts_at.astimezone(tz).date() == today else (
        f"du {when(appointment.starts_at, tz)}")
    hello = f"Salut {person.first_name} ! " if person.first_name else ""
    text, buttons = await _fresh_times(t, appointment, since=timing.due_at)
    await _queue(t, person, appointment, timing, kind=KIND_RESCHEDULE, buttons=buttons,
                 text=f"{hello}Tu n'as pas pu venir à ton rendez-vous {missed} ? Ça arrive, pas de souci.\n{text}")


async def _fresh_times(t: Turn, appointment: Appointment, *, since: dt.datetime) -> tuple[str, list[ActionButton]]:
    """"On replanifie ?" and the next free times of the same motif at the same lieu, as buttons."""
    motif = await t.uow.structures.motif(appointment.motif_id)
    slots = []
    if motif is not None:
        # Counted from when the message is read (it may wait for the morning), not from now.
        slots = await agenda.offer(t.uow, lieu_id=appointment.lieu_id, motif=motif, now=max(t.now, since),
                                   tz=t.world.settings.tz, count=SLOTS_OFFERED)
    if not slots:
        return ("On replanifie ? Écris-moi quand tu veux, on trouvera une date.",
                [ActionButton("Prendre rendez-vous", "rmd_more", str(appointment.id))])
    buttons = [ActionButton(short_when(s.starts_at, t.world.settings.tz), "rmd_slot",
                            f"{appointment.id}:{int(s.starts_at.timestamp()) // 60}") for s in slots]
    buttons += [ActionButton("Autres dates", "rmd_more", str(appointment.id)),
                ActionButton("Plus tard", "rmd_later", str(appointment.id))]
    return "On replanifie ? Voici des créneaux libres :", buttons


# --- Words --------------------------------------------------------------------------------------


def reminder_buttons(appointment: Appointment) -> list[ActionButton]:
    """"Je viens" / "Je ne peux plus" / "Changer l'heure" (action buttons: valid until the start)."""
    argument = str(appointment.id)
    return [ActionButton("Je viens", "rmd_yes", argument), ActionButton("Je ne peux plus", "rmd_no", argument),
            ActionButton("Changer l'heure", "rmd_move", argument)]


def spoken_from(starts_at: dt.datetime, said_on: dt.datetime, tz: dt.tzinfo) -> str:
    """"demain à 14 h", "aujourd'hui à 9 h 30", or "le mardi 8 décembre à 14 h", as read on ``said_on``."""
    phrase = when(starts_at, tz, today=said_on.astimezone(tz).date())  # type: ignore[arg-type]
    return phrase if phrase.startswith(("aujourd'hui", "demain")) else f"le {phrase}"


def reminder_text(timing: Timing, appointment: Appointment, person: Person, place: agenda.Place | None,
                  settings: ConversationSettings) -> str:
    """The reminder as read when it arrives (one message: when, then where)."""
    tz = settings.tz
    moment = spoken_from(appointment.starts_at, timing.due_at, tz)
    where = ""
    if place is not None:
        where = f"\n📍 {place.lieu.name}, {place.lieu.address}"
        if place.lieu.access:
            where += f"\n🚇 {place.lieu.access}"
    if timing.step == H0:
        at = clock(appointment.starts_at.astimezone(tz))
        return f"C'est aujourd'hui ! Ton rendez-vous à la mission locale est à {at}.{where}"
    if timing.step == J1:
        return f"Rappel : ton rendez-vous à la mission locale, c'est {moment}.{where}"
    hello = f"Salut {person.first_name} ! " if person.first_name else ""
    return f"{hello}Petit rappel : tu as rendez-vous à la mission locale {moment}."


# --- The buttons --------------------------------------------------------------------------------


async def _mine(t: Turn, argument: str) -> Appointment | None:
    """The appointment named by a button argument ("12" or "12:..."), if it is this person's."""
    head = argument.split(":", 1)[0]
    if not head.isdigit():
        return None
    appointment = await t.uow.appointments.get(int(head))
    return appointment if appointment is not None and appointment.person_id == t.person.id else None


async def _booking_action(t: Turn, name: str) -> Next:
    """The booking's action button ``name``, with this button's argument (the appointment's id first)."""
    return await ACTION_HANDLERS[name](t)


@on_action("rmd_yes")
async def coming(t: Turn) -> Next:
    """"Je viens": noted in the appointment's history (once per time), for the advisor."""
    appointment = await _mine(t, t.argument)
    if appointment is None:
        return t.resume("Je ne trouve pas ce rendez-vous. Tape /rdv pour voir les tiens.")
    if appointment.status in CANCELLED_STATUSES:
        return t.resume("Ce rendez-vous est annulé. Tape /rdv pour en prendre un autre.")
    if not appointment.live or appointment.starts_at <= t.now:
        return t.resume("Ce rendez-vous est passé. Tape /rdv pour voir les prochains.")
    history = await t.uow.appointments.history(appointment.id)
    if not any(h.event == CONFIRMED and h.sequence == appointment.sequence for h in history):
        await t.uow.appointments.record(appointment, event=CONFIRMED, by=BY_YOUNG, now=t.now)
    moment = spoken_from(appointment.starts_at, t.now, t.world.settings.tz)
    return t.resume(f"Super, c'est noté ! Rendez-vous {moment}.")


@on_action("rmd_no")
async def cannot_come(t: Turn) -> Next:
    """"Je ne peux plus": the booking's cancellation (confirmation, limits, .ics), place freed."""
    return await _booking_action(t, BOOKING_CANCEL)


@on_action("rmd_move")
async def change_time(t: Turn) -> Next:
    """"Changer l'heure": the booking's move (new times at the same lieu, limits)."""
    return await _booking_action(t, BOOKING_MOVE)


@on_action("rmd_after")
async def how_it_went(t: Turn) -> Next:
    """The answer to "comment s'est passé ton rendez-vous ?"."""
    appointment = await _mine(t, t.argument)
    answer = t.argument.partition(":")[2]
    if answer == "good":
        return t.resume("Tant mieux ! Si tu as une question, écris-moi.")
    if answer == "meh":
        if "talk_to_advisor" in INTENT_HANDLERS:
            t.say("Merci de me le dire. Tu veux en parler à quelqu'un de la mission locale ?",
                  buttons=[t.action("Oui, à quelqu'un", "intent", "talk_to_advisor"),
                           t.action("Non merci", "resume")])
            return t.stay()
        return t.resume("Merci de me le dire. Parles-en à la mission locale la prochaine fois.")
    if appointment is None:
        return t.resume("Pas de souci. Tape /rdv pour prendre un autre rendez-vous.")
    text, buttons = await _fresh_times(t, appointment, since=t.now)
    t.say(f"Pas de souci, ça arrive. {text}", buttons=buttons)
    return t.stay()


@on_action("rmd_slot")
async def take_time(t: Turn) -> Next:
    """A time offered by "on replanifie ?" ("<id>:<minutes>"): the booking's confirmation ("Je réserve ?")."""
    return await _booking_action(t, BOOKING_AGAIN)


@on_action("rmd_more")
async def other_times(t: Turn) -> Next:
    """"Autres dates" ("<id>"): the booking's choice of times, same lieu and motif as the missed appointment."""
    return await _booking_action(t, BOOKING_AGAIN)


@on_action("rmd_later")
async def later(t: Turn) -> Next:
    """"Plus tard"."""
    return t.resume("D'accord. Écris-moi quand tu veux pour un nouveau rendez-vous.")
