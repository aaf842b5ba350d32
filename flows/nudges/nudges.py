"""Inactivity nudges, and what the young person (or their advisor) decides about messages.

The script, as the young person lives it:

1. They stopped in the middle of the onboarding questions: one day later (``onboarding_after_days``:
   [1, 3]), "Salut Inès ! On n'a pas fini de faire connaissance. On reprend ?"; three days later, once
   more in other words; then nothing.
2. Onboarded, and nothing since (no message, no button, no appointment) for ``inactive_after_days``
   (7) days: "Coucou Inès ! Tu avances dans tes recherches ?" with "Voir des idées", "Prendre
   rendez-vous". Once per silence: writing again starts a new count.
3. Never more than ``max_per_week`` (2) nudges in seven days (appointment reminders do not count),
   never in the quiet hours (flows/rules/quiet_hours.py), never to someone with an appointment to come (the
   reminders speak then), never to someone who said "stop", chose less with /rappels, blocked the bot or
   whose advisor paused them. The wording rotates and uses the first name.
4. Every nudge has "Ne plus me relancer" (keeps the appointment reminders). /rappels chooses: tout /
   seulement mes rendez-vous / rien; "stop" (the ``stop_nudges`` intent) stops everything the assistant
   would send of its own accord, at once, and says how to choose more finely.

Planning is a periodic job (``run_planning``, bot/scheduler.py), one process at a time on PostgreSQL.
Each nudge is an outbox row with the deterministic key ``nudge:<person>:<rule>:<anchor day>`` and a
line in the nudge log (storage/nudges.py), so that a nudge is planned once, by one process, ever. What
may still go when it comes due (the person's choice, a nudge to someone who wrote since it was planned
is dropped) is decided in flows/nudges/policy.py, which delivery applies.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from flows.engine.script import (
    COMMAND_HANDLERS,
    INTENT_HANDLERS,
    ActionButton,
    Next,
    Option,
    Question,
    Step,
    on_action,
    on_command,
    on_intent,
)
from flows.engine.turn import Turn
from flows.engine.world import World
from flows.nudges.policy import ALL, APPOINTMENTS, NONE
from flows.nudges.reminders import plan_message
from flows.rules.quiet_hours import QuietHours
from flows.rules.settings import NudgeSettings
from storage.db import Database, LeaderJob, UnitOfWork
from storage.outbox import NUDGE
from storage.people import Person

log = logging.getLogger(__name__)

KIND_NUDGE = "nudge"
ONBOARDING, INACTIVE = "onboarding", "inactive"
CATCH_UP = dt.timedelta(days=1)  # a rule whose time passed longer ago is not planned late (bot down, first start)
# Planned rows are dated this much earlier: a message of the person's that started just before the
# planning and was committed just after still counts as "active since planned" at delivery.
RACE_MARGIN = dt.timedelta(minutes=5)
WEEK = dt.timedelta(days=7)
PAGE = 200  # people looked at per transaction

ONBOARDING_TEXTS = (
    "Salut{name} ! On n'a pas fini de faire connaissance. On reprend ? Ça prend deux minutes.",
    "Coucou{name} ! Il reste quelques questions. Après, je te montre des idées pour toi.",
    "Bonjour{name} ! Je garde tes réponses. Tu veux finir quand tu as un moment ?",
)
INACTIVE_TEXTS = (
    "Salut{name} ! Ça fait une semaine. Comment ça va ? Je suis là si tu as besoin.",
    "Coucou{name} ! Tu avances dans tes recherches ? J'ai peut-être de nouvelles idées pour toi.",
    "Bonjour{name} ! Quelqu'un de la mission locale peut t'aider. Tu veux un rendez-vous ?",
)


# --- Which rule, when (pure) --------------------------------------------------------------------


@dataclass(frozen=True)
class DueNudge:
    """A rule that has come due for a person: its name, the activity it counts from, and when."""

    rule: str
    anchor: dt.datetime
    nominal: dt.datetime


def onboarding_days(settings: NudgeSettings) -> list[int]:
    """The onboarding reminders' delays, in order (zero or negative values make no sense and are ignored)."""
    return sorted({days for days in settings.onboarding_after_days if days > 0})


def due_nudge(
    *,
    last_seen_at: dt.datetime,
    onboarded_at: dt.datetime | None,
    last_appointment_end: dt.datetime | None,
    now: dt.datetime,
    settings: NudgeSettings,
) -> DueNudge | None:
    """The nudge due now for someone in this situation, if any.

    Not onboarded: the latest onboarding rule reached since the last activity (``onboarding1`` after
    1 day, ``onboarding2`` after 3), then nothing. Onboarded: ``inactive`` once the last activity (last
    message, end of the last appointment) is ``inactive_after_days`` old. A rule whose time passed more
    than ``CATCH_UP`` ago is not planned any more: a late nudge is worse than none.
    """
    if onboarded_at is None:
        anchor = last_seen_at
        for index, days in reversed(list(enumerate(onboarding_days(settings), start=1))):
            nominal = anchor + dt.timedelta(days=days)
            if nominal <= now:
                return DueNudge(f"{ONBOARDING}{index}", anchor, nominal) if now - nominal <= CATCH_UP else None
        return None
    anchor = max(d for d in (last_seen_at, onboarded_at, last_appointment_end) if d is not None)
    nominal = anchor + dt.timedelta(days=settings.inactive_after_days)
    if nominal <= now and now - nominal <= CATCH_UP:
        return DueNudge(INACTIVE, anchor, nominal)
    return None


def nudge_message(rule: str, first_name: str | None, rotation: int) -> tuple[str, list[ActionButton]]:
    """The words of a nudge (rotating with ``rotation``) and its buttons."""
    name = f" {first_name}" if first_name else ""
    stop = ActionButton("Ne plus me relancer", "nudge_stop")
    if rule.startswith(ONBOARDING):
        text = ONBOARDING_TEXTS[rotation % len(ONBOARDING_TEXTS)].format(name=name)
        return text, [ActionButton("On reprend", "nudge_resume"), stop]
    text = INACTIVE_TEXTS[rotation % len(INACTIVE_TEXTS)].format(name=name)
    return text, [ActionButton("Voir des idées", "nudge_go", "idees"),
                  ActionButton("Prendre rendez-vous", "nudge_go", "rdv"), stop]


# --- Planning (the periodic job) ----------------------------------------------------------------


@dataclass
class PlanningReport:
    """What one planning run did (counts only: never who)."""

    ran: bool = True  # False: another process holds the leader lock
    looked_at: int = 0
    planned: int = 0
    capped: int = 0  # due but over max_per_week this week
    cancelled: int = 0  # pending nudges of people who wrote since

    def __str__(self) -> str:
        if not self.ran:
            return "nudge planning skipped: another process is doing it"
        return (f"nudge planning: {self.looked_at} people looked at, {self.planned} nudges planned, "
                f"{self.capped} over the weekly limit, {self.cancelled} cancelled (active again)")


async def run_planning(db: Database, world: World) -> PlanningReport:
    """Plan the nudges that have come due (``world.clock`` says when now is). Idempotent, and cheap
    when nothing is due: run it every few minutes. On PostgreSQL one process works, the others return."""
    now = world.clock.now()
    settings = world.settings.nudges
    report = PlanningReport()
    days = onboarding_days(settings)
    onboarding_seen = ((now - dt.timedelta(days=days[-1]) - CATCH_UP, now - dt.timedelta(days=days[0]))
                       if days else (now, now))
    inactive = dt.timedelta(days=settings.inactive_after_days)
    inactive_seen = (now - inactive - CATCH_UP, now - inactive)
    after_id: int | None = 0
    while after_id is not None:
        async with db.transaction() as uow:
            if not await uow.try_leader_lock(LeaderJob.NUDGES):
                report.ran = False
                return report
            if after_id == 0:
                report.cancelled = await uow.nudges.cancel_if_active()
            if settings.max_per_week <= 0:
                break
            people = await uow.nudges.candidates(onboarding_seen=onboarding_seen, inactive_seen=inactive_seen,
                                                 now=now, after_id=after_id, limit=PAGE)
            ends = await uow.nudges.last_appointment_ends([p.id for p in people], now)
            for person in people:
                report.looked_at += 1
                due = due_nudge(last_seen_at=person.last_seen_at, onboarded_at=person.onboarded_at,
                                last_appointment_end=ends.get(person.id), now=now, settings=settings)
                if due is None:
                    continue
                outcome = await plan_nudge(uow, world, person, due, now)
                if outcome == "planned":
                    report.planned += 1
                elif outcome == "capped":
                    report.capped += 1
        after_id = people[-1].id if len(people) == PAGE else None
    if report.planned or report.cancelled:
        log.info("%s", report)
    return report


async def plan_nudge(uow: UnitOfWork, world: World, person: Person, due: DueNudge, now: dt.datetime) -> str:
    """Plan one due nudge: "planned", "already" (planned before) or "capped" (max_per_week reached)."""
    quiet = QuietHours.of(world.settings)
    tz = world.settings.tz
    anchor_day = due.anchor.astimezone(tz).date()
    key = f"nudge:{person.id}:{due.rule}:{anchor_day.isoformat()}"
    due_at = quiet.next_allowed(now)
    if await uow.nudges.count_since(person.id, due_at - WEEK) >= world.settings.nudges.max_per_week:
        return "capped"
    rotation = await uow.nudges.count_for(person.id)
    if not await uow.nudges.record(person_id=person.id, key=key, rule=due.rule, anchor=anchor_day, due_at=due_at,
                                   now=now):
        return "already"
    text, buttons = nudge_message(due.rule, person.first_name, rotation)
    await plan_message(uow, world, person, key=key, text=text, due_at=due_at, now=now - RACE_MARGIN,
                       kind=KIND_NUDGE, category=NUDGE, buttons=buttons, expires_at=quiet.allowed_until(due_at))
    return "planned"


# --- Who decides ---------------------------------------------------------------------------------


async def set_notifications(uow: UnitOfWork, person: Person, choice: str) -> None:
    """The person's choice: ``all``, ``appointments`` (reminders only) or ``none``.

    Pending nudges are cancelled at once when they are no longer wanted. Pending reminders stay
    planned: delivery checks the choice when they come due (so choosing "tout" again before then
    brings them back).
    """
    if choice not in (ALL, APPOINTMENTS, NONE):
        raise ValueError(f"unknown notification choice {choice!r}")
    await uow.people.update(person, notifications=choice)
    if choice != ALL:
        await uow.outbox.cancel_pending(person_id=person.id, categories=[NUDGE])


async def pause_nudges(uow: UnitOfWork, person: Person | int, *, by: str, paused: bool = True) -> bool:
    """An advisor (or the operator) pauses the inactivity nudges of one person, or resumes them.

    Appointment reminders are not affected (they follow the person's own choice, /rappels). Pending
    nudges are cancelled at once. ``by`` says who, for the log: an id such as ``agent:7`` or
    ``operator``, never a name. Returns False when there is no such person or nothing changed.
    """
    target = person if isinstance(person, Person) else await uow.people.get(person)
    if target is None:
        return False
    changed = bool(target.nudges_paused) != paused
    await uow.people.update(target, nudges_paused=paused)
    if paused:
        await uow.outbox.cancel_pending(person_id=target.id, categories=[NUDGE])
    log.info("nudges %s for person %s by %s", "paused" if paused else "resumed", target.id, by)
    return changed


async def resume_nudges(uow: UnitOfWork, person: Person | int, *, by: str) -> bool:
    """Undo ``pause_nudges``."""
    return await pause_nudges(uow, person, by=by, paused=False)


# --- /rappels, "stop", and the nudges' buttons ----------------------------------------------------

choose = Step("nudges.choose")
CHOICES = (
    Option(ALL, "Tout", ("tout", "tous", "tout recevoir", "les deux")),
    Option(APPOINTMENTS, "Seulement mes rendez-vous",
           ("rdv", "mes rdv", "rendez vous", "mes rendez vous", "seulement les rdv", "juste les rdv",
            "seulement les rendez vous", "que les rendez vous")),
    Option(NONE, "Rien", ("rien", "aucun", "plus rien", "aucun message")),
)
NOW_RECEIVING = {
    ALL: "tu reçois les rappels de tes rendez-vous et, parfois, des nouvelles de ma part",
    APPOINTMENTS: "tu reçois seulement les rappels de tes rendez-vous",
    NONE: "tu ne reçois aucun message de ma part, sauf mes réponses",
}
CHOSEN = {
    ALL: "C'est noté : je te rappelle tes rendez-vous, et je prends parfois de tes nouvelles.",
    APPOINTMENTS: "C'est noté : je t'écris seulement pour rappeler tes rendez-vous.",
    NONE: "C'est noté : je ne t'écris plus de moi-même. Je réponds toujours à tes messages.",
}


def _enter(t: Turn, step: str) -> Next:
    current = t.conversation.step
    if current in (None, "home") or current == step:
        return t.goto(step)
    return t.call(step)


@on_command("rappels", "Choisir tes rappels", rank=60)
async def reminders_command(t: Turn) -> Next:
    """/rappels: what the assistant may send of its own accord."""
    return _enter(t, choose.name)


@choose.ask
async def _(t: Turn) -> Question:
    current = t.person.notifications if t.person.notifications in NOW_RECEIVING else ALL
    return Question(
        f"Pour l'instant, {NOW_RECEIVING[current]}. Qu'est-ce que tu veux recevoir ?",
        options=CHOICES,
        before=("Je peux t'écrire de moi-même : pour tes rendez-vous, et parfois pour prendre de tes "
                "nouvelles.",),
        columns=1,
    )


@choose.answer
async def _(t: Turn) -> Next:
    choice = t.choice()
    if choice is None:
        return t.not_understood()
    await set_notifications(t.uow, t.person, choice)
    return t.done(CHOSEN[choice])


@on_intent("stop_nudges", offer="Arrêter les rappels")
async def stop_nudges(t: Turn) -> Next:
    """"stop", "arrête de m'écrire": nothing of the assistant's own accord any more, at once."""
    await set_notifications(t.uow, t.person, NONE)
    t.say("C'est noté : je ne t'envoie plus de messages de moi-même. Ni rappels, ni nouvelles.")
    t.say("Je te réponds toujours quand tu m'écris. Pour choisir plus finement, par exemple garder les "
          "rappels de rendez-vous : /rappels.")
    return t.resume()


@on_action("nudge_stop")
async def stop_nudging(t: Turn) -> Next:
    """"Ne plus me relancer" under a nudge: no more nudges; the appointment reminders stay."""
    if t.person.notifications == ALL:
        await set_notifications(t.uow, t.person, APPOINTMENTS)
    return t.resume("D'accord, je ne te relance plus. Je te rappelle seulement tes rendez-vous. "
                    "Pour changer : /rappels.")


@on_action("nudge_resume")
async def resume_onboarding(t: Turn) -> Next:
    """"On reprend": the question where the person stopped."""
    if t.conversation.step is None:
        return t.goto("onboarding.start")
    return t.resume("C'est parti !")


@on_action("nudge_go")
async def go(t: Turn) -> Next:
    """"Voir des idées" / "Prendre rendez-vous" under a nudge."""
    handler = COMMAND_HANDLERS.get("idees") if t.argument == "idees" else INTENT_HANDLERS.get("book_appointment")
    if handler is None:
        return t.resume("Dis-moi ce que tu cherches, avec tes mots.")
    return await handler(t)
