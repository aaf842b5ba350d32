"""What became of them: "Tu en es où aujourd'hui ?", three and six months after the onboarding, and a month
after the last appointment attended (docs/outcomes.md).

The script, as the young person lives it:

1. Three months after the last onboarding question: "Salut Inès ! Ça fait trois mois qu'on se connaît. Tu en
   es où aujourd'hui ?", why it is asked, and five buttons: "Je travaille", "Je me forme", "Service civique",
   "Je cherche encore", "Autre chose" ("Je travaille" then asks how long, "Je me forme" how).
2. Or in their own words ("j'ai signé un CDI", "toujours rien"): read (flows/outcomes/reading.py) while the
   question is open (``OPEN_FOR``) and the conversation is at a point where they choose what to do next;
   work of unsaid length asks its length with two buttons. Anything else goes on as usual.
3. The answer is kept with the person (``outcomes``: /mes_donnees shows it, erasure removes it, the advisor sees
   it on the desk) and counted for the report (storage/report_events.py). Someone still looking gets ideas
   and an appointment offered.

The questions are planned like the nudges (flows/nudges/nudges.py): a periodic job, one process at a time,
each question once (its key in the nudge log and in ``outcomes``), never in the quiet hours, within the
weekly nudge cap (``nudges.max_per_week``, counted with the other nudges: the questions are logged there
too), only to who chose "tout" in /rappels and whose advisor did not pause them. They are planned before
the offer alerts (flows/suggestions/alerts.py runs this first), so an alert never takes their place in the cap.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from flows.data.territory import Territory
from flows.engine.events import TEXT
from flows.engine.events import Outcome as Handled
from flows.engine.script import STEPS, ActionButton, Next, intercepts, on_action
from flows.engine.turn import Turn
from flows.engine.world import World
from flows.nudges.policy import FOLLOW_UP, wanted
from flows.nudges.reminders import plan_message
from flows.outcomes.reading import JOB, read_outcome
from flows.profile.report_events import record_event
from flows.rules.quiet_hours import QuietHours
from nlu.safety import certain_danger, raises_alarm
from storage.db import Database, LeaderJob, UnitOfWork
from storage.outcomes import (
    ADVISOR,
    AFTER_APPOINTMENT,
    CATEGORIES,
    SAID,
    SIX_MONTHS,
    THREE_MONTHS,
    Outcome,
)
from storage.people import Person
from storage.report_events import OUTCOME, OUTCOME_ASKED

log = logging.getLogger(__name__)

KIND_OUTCOME = "outcome_question"
HORIZON_DAYS = {THREE_MONTHS: 91, SIX_MONTHS: 182}
AFTER_APPOINTMENT_DAYS = 30
# A question whose day passed is still asked within this window (the cap, the quiet hours, the bot stopped).
CATCH_UP = dt.timedelta(days=14)
OPEN_FOR = dt.timedelta(days=14)  # how long words are read as the answer to a question
WEEK = dt.timedelta(days=7)
PAGE = 200
# The youngest question is a month after an appointment, itself after the onboarding: before that, no
# question can be open, and a message is not looked at (no query per message for the newcomers).
NO_QUESTION_BEFORE = dt.timedelta(days=AFTER_APPOINTMENT_DAYS)
# Requests that say "still looking" and ask for something at once: the answer is noted, the request is done.
ASKS_FOR_SOMETHING = frozenset({"find_job", "find_training", "find_apprenticeship", "book_appointment",
                                "talk_to_advisor", "social_support", "financial_aid"})

OPENINGS = {
    THREE_MONTHS: "Salut{name} ! Ça fait trois mois qu'on se connaît. Tu en es où aujourd'hui ?",
    SIX_MONTHS: "Coucou{name} ! Ça fait six mois qu'on se connaît. Tu en es où aujourd'hui ?",
    AFTER_APPOINTMENT: "Salut{name} ! Ton rendez-vous à la mission locale date d'un mois. Tu en es où aujourd'hui ?",
}
WHY = ("Ta réponse aide ta mission locale à t'accompagner. "
       "Elle compte aussi dans les chiffres du Département, sans ton nom.")
# The first buttons: a word each, then "work" and "learn" ask which one.
FIRST = (("work", "Je travaille"), ("learn", "Je me forme"), ("civic_service", "Service civique"),
         ("looking", "Je cherche encore"), ("other", "Autre chose"))
WORK = (("durable_job", "CDI, ou 6 mois et plus"), ("short_job", "Moins de 6 mois"),
        ("business", "J'ai créé mon activité"))
LEARN = (("training", "Une formation"), ("apprenticeship", "L'alternance"), ("school", "Je reprends mes études"))
WHICH = {"work": ("Bravo ! C'est un contrat de combien de temps ?", WORK),
         "learn": ("Super ! Tu te formes comment ?", LEARN)}
# Each answer in the person's own words (their data, /mes_donnees): the label of its button.
LABELS = {code: label for code, label in (*FIRST, *WORK, *LEARN) if code in CATEGORIES}
# What the person reads back, and what the advisor reads on the desk.
THANKS = {
    "durable_job": "Bravo ! 🎉 Je le note pour ta mission locale.",
    "business": "Bravo ! 🎉 Je le note pour ta mission locale.",
    "short_job": "Bravo ! Je le note pour ta mission locale. Elle peut t'aider pour la suite.",
    "training": "Super ! Je le note pour ta mission locale.",
    "apprenticeship": "Super ! Je le note pour ta mission locale.",
    "school": "Super ! Je le note pour ta mission locale.",
    "civic_service": "Super ! Je le note pour ta mission locale.",
    "looking": "Merci de me le dire. On cherche ensemble ?",
    "other": "Merci ! Je le note. Je suis là si tu as besoin.",
}
WORDS_FOR_ADVISORS = {
    "durable_job": "emploi durable (CDI, ou contrat de 6 mois ou plus)",
    "business": "création d'activité",
    "short_job": "emploi de moins de 6 mois",
    "training": "formation",
    "apprenticeship": "alternance (apprentissage ou contrat de professionnalisation)",
    "school": "reprise d'études",
    "civic_service": "service civique",
    "looking": "en recherche",
    "other": "autre situation",
}


def question_buttons(row_id: int) -> list[ActionButton]:
    """The first buttons under a question (``row_id``: its row in ``outcomes``)."""
    return [*(ActionButton(label, "oc", f"{row_id}-{code}") for code, label in FIRST),
            ActionButton("Ne plus me relancer", "nudge_stop")]


def question_text(horizon: str, first_name: str | None) -> str:
    """The question's words."""
    name = f" {first_name}" if first_name else ""
    return f"{OPENINGS[horizon].format(name=name)}\n\n{WHY}"


# --- Planning (the periodic job) ----------------------------------------------------------------


async def run_outcome_questions(db: Database, world: World) -> int:
    """Plan the questions that have come due; returns how many. One process at a time (PostgreSQL)."""
    now = world.clock.now()
    tz = world.settings.tz
    planned = 0
    for horizon, days in HORIZON_DAYS.items():
        due = now - dt.timedelta(days=days)

        async def onboarded(uow: UnitOfWork, after_id: int, horizon: str = horizon, due: dt.datetime = due
                            ) -> list[tuple[Person, str, str]]:
            people = await uow.outcomes.onboarded_between(horizon, (due - CATCH_UP, due), after_id=after_id,
                                                          limit=PAGE)
            return [(person, horizon, f"outcome:{person.id}:{horizon}") for person in people]

        done = await _plan_pages(db, world, onboarded, now)
        if done is None:
            return planned
        planned += done
    due = now - dt.timedelta(days=AFTER_APPOINTMENT_DAYS)

    async def attended(uow: UnitOfWork, after_id: int) -> list[tuple[Person, str, str]]:
        found = await uow.outcomes.last_attended_between((due - CATCH_UP, due), after_id=after_id, limit=PAGE)
        return [(person, AFTER_APPOINTMENT, f"outcome:{person.id}:{AFTER_APPOINTMENT}:{ended.astimezone(tz).date()}")
                for person, ended in found]

    planned += await _plan_pages(db, world, attended, now) or 0
    if planned:
        log.info("outcome questions: %d planned", planned)
    return planned


Candidates = Callable[[UnitOfWork, int], Awaitable[list[tuple[Person, str, str]]]]


async def _plan_pages(db: Database, world: World, candidates: Candidates, now: dt.datetime) -> int | None:
    """Ask every candidate (person, horizon, key), a page a transaction; None when another process plans."""
    planned, after_id = 0, 0
    while True:
        async with db.transaction() as uow:
            if not await uow.try_leader_lock(LeaderJob.OUTCOME_QUESTIONS):
                return None
            page = await candidates(uow, after_id)
            for person, horizon, key in page:
                planned += await ask(uow, world, person, horizon, key, now)
        if len(page) < PAGE:
            return planned
        after_id = page[-1][0].id


async def ask(uow: UnitOfWork, world: World, person: Person, horizon: str, key: str, now: dt.datetime) -> bool:
    """Plan one question; False when it may not go (their choice, the weekly cap) or already went."""
    if person.consent_at is None or not wanted(person, FOLLOW_UP):
        return False
    quiet = QuietHours.of(world.settings)
    due_at = quiet.next_allowed(now)
    if await uow.nudges.count_since(person.id, due_at - WEEK) >= world.settings.nudges.max_per_week:
        return False  # asked at a later run, within CATCH_UP
    if not await uow.nudges.record(person_id=person.id, key=key, rule=f"outcome_{horizon}",
                                   anchor=due_at.astimezone(world.settings.tz).date(), due_at=due_at, now=now):
        return False
    row_id = await uow.outcomes.plan(person.id, horizon, key, due_at)
    if row_id is None:
        return False
    await plan_message(uow, world, person, key=key, text=question_text(horizon, person.first_name), due_at=due_at,
                       now=now, kind=KIND_OUTCOME, category=FOLLOW_UP, buttons=question_buttons(row_id),
                       expires_at=quiet.allowed_until(due_at))
    await record_event(uow, world.territory, person, OUTCOME_ASKED, due_at, detail=horizon)
    return True


# --- The answer ----------------------------------------------------------------------------------


async def record_answer(uow: UnitOfWork, territory: Territory, person: Person, question: Outcome | None,
                        category: str, now: dt.datetime, *, by: str) -> Outcome:
    """Keep an answer: in its question's row, or on its own (said without a question, or by an advisor);
    and count it for the report, at the question's horizon."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown outcome category {category!r}")
    if question is not None:
        await uow.outcomes.answer(question, category, now, by)
        row = question
    else:
        row = await uow.outcomes.add_answer(person.id, ADVISOR if by != "person" else SAID, category, now, by)
    await record_event(uow, territory, person, OUTCOME, now, detail=f"{row.horizon}:{category}")
    return row


async def record_by_advisor(uow: UnitOfWork, territory: Territory, person: Person, category: str, agent_id: int,
                            now: dt.datetime) -> Outcome:
    """An advisor records or corrects where the person is (the desk's record): the open question's answer if
    there is one, else an answer of its own."""
    question = await uow.outcomes.open_question(person.id, now - OPEN_FOR, now)
    return await record_answer(uow, territory, person, question, category, now, by=f"agent:{agent_id}")


async def _answer(t: Turn, question: Outcome | None, category: str) -> None:
    await record_answer(t.uow, t.world.territory, t.person, question, category, t.now, by="person")
    if category == "looking":  # still looking: what the assistant can do about it, at once
        t.say(THANKS[category], buttons=[t.action("Voir des idées", "nudge_go", "idees"),
                                         t.action("Prendre rendez-vous", "nudge_go", "rdv")])
    else:
        t.say(THANKS[category])


def _ask_which(t: Turn, question_id: int | str, code: str) -> None:
    text, choices = WHICH[code]
    t.say(text, buttons=[t.action(label, "oc", f"{question_id}-{value}") for value, label in choices])


@on_action("oc")
async def answered(t: Turn) -> Next:
    """A button under the question ("<row id>-<code>")."""
    row_id, _, code = t.argument.partition("-")
    if code in WHICH:
        _ask_which(t, row_id, code)
        return t.stay()
    if code not in CATEGORIES:
        return t.stay()
    question = await t.uow.outcomes.get(t.person.id, int(row_id)) if row_id.isdigit() else None
    await _answer(t, question, code)
    return t.stay()


@intercepts
async def answered_in_words(t: Turn, handled: Handled) -> bool:
    """Words that answer an open question, written where the person chooses what to do next."""
    if t.event.kind != TEXT or not t.text or t.person.onboarded_at is None \
            or t.now - t.person.onboarded_at < NO_QUESTION_BEFORE:
        return False
    step = STEPS.get(t.conversation.step or "")
    if step is not None and not step.open_ended:
        return False  # a question on screen: its answer first
    if certain_danger(t.text) or (t.parsed is not None and raises_alarm(t.parsed)):
        return False  # the crisis path, as everywhere
    category = read_outcome(t.text)
    if category is None:
        return False
    question = await t.uow.outcomes.open_question(t.person.id, t.now - OPEN_FOR, t.now)
    if question is None:
        return False
    if category == "looking" and t.sure and t.intent in ASKS_FOR_SOMETHING:
        # "je cherche un taf dans la logistique": still looking, noted, and the request is done as usual.
        await record_answer(t.uow, t.world.territory, t.person, question, category, t.now, by="person")
        return False
    if category == JOB:
        _ask_which(t, question.id, "work")
    else:
        await _answer(t, question, category)
    return True
