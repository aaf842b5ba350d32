"""What became of them (flows/outcomes/): "Tu en es où aujourd'hui ?" at three and six months and a month after an
appointment attended, under a frozen clock (quiet hours, the weekly cap shared with the nudges, /rappels), answered
by buttons or in the person's own words through the real NLU, kept with the person and counted for the report."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.housekeeping import run_housekeeping
from flows.handoff.summary import for_telegram, gather
from flows.outcomes import questions
from flows.outcomes.questions import record_by_advisor, run_outcome_questions
from flows.outcomes.reading import JOB, read_outcome
from flows.profile.report_events import record_event
from nlu.embedded import EmbeddedBackend
from storage import Database
from storage.appointments import SEEN
from storage.outbox import CANCELLED, OutboxMessage
from storage.outcomes import Outcome
from storage.report_events import ReportEvent
from tests.flows.test_nudges import book, buttons_of, deliver_at
from tests.kit import Harness, make_harness

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)  # Tuesday 1 December 2026, 11 h in Paris
THREE_MONTHS_AGO = NOW - dt.timedelta(days=91, minutes=5)


def paris(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS).astimezone(dt.UTC)


# --- Reading the person's words (pure) ----------------------------------------------------------------

WORDS = [
    ("J'ai signé un CDI !", "durable_job"),
    ("j'ai été embauchée", "durable_job"),
    ("un cdd de 8 mois", "durable_job"),
    ("CDD de un an chez Leclerc", "durable_job"),
    ("un cdd de 3 mois", "short_job"),
    ("je fais de l'intérim", "short_job"),
    ("je travaille en cdd", "short_job"),
    ("j'ai trouvé du taf", JOB),
    ("je bosse chez mcdo", JOB),
    ("je suis auto-entrepreneur", "business"),
    ("j'ai créé ma boîte", "business"),
    ("je suis en formation depuis septembre", "training"),
    ("je fais un stage à l'AFPA", "training"),
    ("je suis en alternance chez Carrefour", "apprenticeship"),
    ("apprentie en boulangerie", "apprenticeship"),
    ("je suis retournée au lycée", "school"),
    ("j'ai repris mes études", "school"),
    ("je fais un service civique", "civic_service"),
    ("toujours rien", "looking"),
    ("je cherche encore", "looking"),
    ("rien", "looking"),
    ("pas de cdi pour l'instant", "looking"),
    ("jsuis au chômage", "looking"),
    ("bof", None),
    ("salut ça va", None),
    ("je veux un rendez-vous", None),
    ("un cdd en attendant ma formation", None),  # two at once: the buttons decide
]


@pytest.mark.parametrize(("text", "category"), WORDS)
def test_the_persons_words_say_where_they_are(text: str, category: str | None) -> None:
    assert read_outcome(text) == category


# --- Planning, asking, answering --------------------------------------------------------------------


async def onboarded(h: Harness, user: str = "ines", *, at: dt.datetime = THREE_MONTHS_AGO, **values: object) -> int:
    """Someone who consented and finished the onboarding at ``at`` (Nanterre, 19, on the RSA), at home since."""
    async with h.db.transaction() as uow:
        found = await uow.people.find_or_create("test", user, user, at)
        fields: dict[str, object] = {"first_name": "Inès", "consent_at": at, "last_seen_at": at, "onboarded_at": at,
                                     "commune": "92050", "age": 19, "rsa": True}
        await uow.people.update(found, **(fields | values))
        conversation = await uow.conversations.load(found.id, at)
        conversation.step = "home"
        await uow.conversations.save(conversation)
        return found.id


async def plan_at(h: Harness, moment: dt.datetime) -> int:
    h.clock.set(moment)
    return await run_outcome_questions(h.db, h.world)


async def rows(h: Harness, model: type) -> list:  # type: ignore[type-arg]
    async with h.db.transaction() as uow:
        return list(await uow.session.scalars(select(model).order_by(model.id)))  # type: ignore[attr-defined]


@pytest.fixture
def harness(db: Database) -> Harness:
    return make_harness(db, at=NOW)


@pytest.fixture
def talking(db: Database, real_nlu: EmbeddedBackend) -> Harness:
    """The same, understanding words with the real (embedded) NLU."""
    h = make_harness(db, at=NOW)
    h.world = dataclasses.replace(h.world, nlu=real_nlu)
    h.engine.world = h.world
    return h


async def test_three_months_on_the_question_comes_once_and_buttons_answer_it(harness: Harness) -> None:
    pid = await onboarded(harness)
    assert await plan_at(harness, NOW) == 1
    assert await plan_at(harness, NOW + dt.timedelta(minutes=5)) == 0  # once
    [question] = await deliver_at(harness, NOW + dt.timedelta(minutes=1))
    assert question.text.startswith("Salut Inès ! Ça fait trois mois qu'on se connaît. Tu en es où aujourd'hui ?")
    assert "sans ton nom" in question.text  # why it is asked
    assert list(buttons_of(question)) == ["Je travaille", "Je me forme", "Service civique", "Je cherche encore",
                                          "Autre chose", "Ne plus me relancer"]
    chat = harness.chat("ines")
    [which] = await chat.tap(buttons_of(question)["Je travaille"])
    assert which.text == "Bravo ! C'est un contrat de combien de temps ?"
    replies = await chat.tap(buttons_of(which)["CDI, ou 6 mois et plus"])
    assert replies[0].text == "Bravo ! 🎉 Je le note pour ta mission locale."
    [row] = await rows(harness, Outcome)
    assert (row.person_id, row.horizon, row.category, row.recorded_by) == (pid, "3m", "durable_job", "person")
    events = {(e.kind, e.detail) for e in await rows(harness, ReportEvent)}
    assert events == {("outcome_asked", "3m"), ("outcome", "3m:durable_job")}
    [event] = [e for e in await rows(harness, ReportEvent) if e.kind == "outcome"]
    assert (event.territory, event.age_band, event.rsa, event.structure) == ("200057982", "18-21", True,
                                                                             "ml-nanterre")


async def test_six_months_and_a_month_after_an_appointment_attended(harness: Harness, tmp_path: Path) -> None:
    later = paris(2026, 12, 3, 11, 0)
    await onboarded(harness, "six", at=later - dt.timedelta(days=182, hours=1))
    pid = await onboarded(harness, "ines", at=paris(2026, 10, 1, 10, 0))
    harness.clock.set(paris(2026, 10, 30, 10, 0))
    appointment_id = await book(harness, tmp_path, paris(2026, 11, 2, 14, 0))  # Monday 2 November, 14 h
    async with harness.db.transaction() as uow:
        appointment = await uow.appointments.get(appointment_id)
        assert appointment is not None
        await uow.appointments.set_status(appointment, SEEN, paris(2026, 11, 2, 15, 0))
    assert await plan_at(harness, paris(2026, 12, 2, 11, 0)) == 0  # not a month yet since its end (14:45)
    assert await plan_at(harness, later) == 2
    await deliver_at(harness, later + dt.timedelta(minutes=1))
    texts = {chat: reply.text.split("\n")[0] for chat, reply, _, _ in harness.sender.sent}
    assert texts["six"] == "Coucou Inès ! Ça fait six mois qu'on se connaît. Tu en es où aujourd'hui ?"
    assert texts["ines"] == ("Salut Inès ! Ton rendez-vous à la mission locale date d'un mois. "
                             "Tu en es où aujourd'hui ?")
    assert await plan_at(harness, later + dt.timedelta(days=1)) == 0
    booked = [e for e in await rows(harness, ReportEvent) if e.kind == "appointment_booked"]
    assert [(e.detail, e.item, e.value) for e in booked] == [
        ("bot", f"a:{appointment_id}", (paris(2026, 11, 2, 14, 0) - paris(2026, 10, 1, 10, 0)).total_seconds())]
    assert pid


async def test_at_night_the_question_waits_for_the_morning(harness: Harness) -> None:
    night = paris(2026, 12, 5, 22, 30)  # Saturday night: Sunday is quiet too
    await onboarded(harness, at=night - dt.timedelta(days=91, minutes=5))
    assert await plan_at(harness, night) == 1
    [row] = [r for r in await rows(harness, OutboxMessage) if r.kind == "outcome_question"]
    assert row.due_at == paris(2026, 12, 7, 9, 0)
    assert await deliver_at(harness, paris(2026, 12, 7, 8, 59)) == []
    assert len(await deliver_at(harness, paris(2026, 12, 7, 9, 0))) == 1


async def test_the_weekly_cap_is_shared_with_the_nudges_and_the_question_comes_later(harness: Harness) -> None:
    pid = await onboarded(harness)
    async with harness.db.transaction() as uow:  # two nudges this week already (max_per_week: 2)
        for day in (1, 2):
            await uow.nudges.record(person_id=pid, key=f"nudge:{pid}:inactive:{day}", rule="inactive",
                                    anchor=NOW.date(), due_at=NOW - dt.timedelta(days=day), now=NOW)
    assert await plan_at(harness, NOW) == 0
    assert await plan_at(harness, NOW + dt.timedelta(days=6, hours=23)) == 1  # the week passed, still in time
    async with harness.db.transaction() as uow:  # and it counts against the next nudges
        assert await uow.nudges.count_since(pid, NOW) == 1


async def test_rappels_decides(harness: Harness) -> None:
    await onboarded(harness, "rdv_only", notifications="appointments")
    await onboarded(harness, "paused", nudges_paused=True)
    await onboarded(harness, "ines")
    assert await plan_at(harness, NOW) == 1  # only Inès chose "tout"
    chat = harness.chat("ines")
    await chat.command("rappels")
    await chat.press("Rien")
    assert await deliver_at(harness, NOW + dt.timedelta(minutes=1)) == []
    [row] = [r for r in await rows(harness, OutboxMessage) if r.kind == "outcome_question"]
    assert row.status == CANCELLED


async def test_answered_in_own_words_through_the_real_nlu(talking: Harness) -> None:
    h = talking
    await onboarded(h)
    await onboarded(h, "karim")
    await onboarded(h, "lea")
    await plan_at(h, NOW)
    h.clock.set(NOW + dt.timedelta(minutes=1))
    await h.delivery.deliver_due()
    h.clock.set(NOW + dt.timedelta(hours=2))
    [thanks] = await h.chat("ines").send("j'ai signé un CDI la semaine dernière !")
    assert thanks.text == "Bravo ! 🎉 Je le note pour ta mission locale."
    [still] = await h.chat("karim").send("toujours rien... je galère")
    assert still.text == "Merci de me le dire. On cherche ensemble ?"
    assert list(buttons_of(still)) == ["Voir des idées", "Prendre rendez-vous"]
    [which] = await h.chat("lea").send("j'ai trouvé du taf")
    assert list(buttons_of(which)) == ["CDI, ou 6 mois et plus", "Moins de 6 mois", "J'ai créé mon activité"]
    answers = {r.person_id: r.category for r in await rows(h, Outcome)}
    assert sorted(c for c in answers.values() if c) == ["durable_job", "looking"]


async def test_words_that_are_not_an_answer_go_on_as_usual(talking: Harness) -> None:
    h = talking
    await onboarded(h)
    await plan_at(h, NOW)
    h.clock.set(NOW + dt.timedelta(minutes=1))
    await h.delivery.deliver_due()
    h.clock.set(NOW + dt.timedelta(hours=1))
    replies = await h.chat("ines").send("je veux plus vivre, j'en peux plus de chercher")
    assert any("3114" in r.text for r in replies)  # the crisis path, not "on cherche ensemble"
    assert [r.category for r in await rows(h, Outcome)] == [None]
    # A request that also says "still looking": noted, and the request is done as usual.
    h.clock.set(NOW + dt.timedelta(hours=2))
    replies = await h.chat("ines").send("je cherche toujours un taf dans la logistique")
    assert "On cherche ensemble" not in " ".join(r.text for r in replies)
    assert any("logistique" in r.text.lower() for r in replies), [r.text for r in replies]
    assert [r.category for r in await rows(h, Outcome)] == ["looking"]


async def test_an_advisor_records_or_corrects_it_and_erasure_takes_it_not_the_report(harness: Harness) -> None:
    pid = await onboarded(harness)
    await plan_at(harness, NOW)
    async with harness.db.transaction() as uow:
        person = await uow.people.get(pid)
        assert person is not None
        await record_by_advisor(uow, harness.world.territory, person, "training", 7, NOW + dt.timedelta(hours=1))
    [row] = await rows(harness, Outcome)
    assert (row.horizon, row.category, row.recorded_by) == ("3m", "training", "agent:7")
    chat = harness.chat("ines")
    summary = " ".join(r.text for r in await chat.command("mes_donnees"))
    assert "1 réponse sur ta situation" in summary
    await chat.command("supprimer")
    await chat.press("Oui, tout effacer")
    assert await rows(harness, Outcome) == []
    kinds = [(e.kind, e.detail) for e in await rows(harness, ReportEvent)]
    assert ("outcome", "3m:training") in kinds  # the report's past months do not change


async def test_the_report_events_outlive_the_profile_retention_and_go_after_their_own(harness: Harness) -> None:
    pid = await onboarded(harness, at=NOW - dt.timedelta(days=800))  # silent longer than profile_months (24)
    async with harness.db.transaction() as uow:
        person = await uow.people.get(pid)
        assert person is not None
        for months_ago in (80, 70, 30):
            await record_event(uow, harness.world.territory, person, "consent",
                               NOW - dt.timedelta(days=30.5 * months_ago))
    await run_housekeeping(harness.db, harness.world)
    async with harness.db.transaction() as uow:
        assert await uow.people.get(pid) is None  # the person went with the profile retention
    kept = sorted(round((NOW - e.at).days / 30.5) for e in await rows(harness, ReportEvent))
    assert kept == [30, 70]  # keep_months: 72



async def test_the_advisors_summary_says_the_latest_answer(harness: Harness) -> None:
    pid = await onboarded(harness)
    await plan_at(harness, NOW)
    [question] = await deliver_at(harness, NOW + dt.timedelta(minutes=1))
    chat = harness.chat("ines")
    [which] = await chat.tap(buttons_of(question)["Je me forme"])
    await chat.tap(buttons_of(which)["L'alternance"])
    async with harness.db.transaction() as uow:
        person = await uow.people.get(pid)
        assert person is not None
        handoff = await uow.handoffs.open(person_id=pid, structure_id="ml-nanterre", reason="asked", urgent=False,
                                          now=NOW + dt.timedelta(hours=1))
        text = for_telegram(await gather(uow, harness.world, person, handoff, NOW + dt.timedelta(hours=1)))
    assert "Dernière nouvelle de sa situation : alternance (apprentissage ou contrat de professionnalisation)" in text


def test_every_situation_has_its_label_thanks_and_words_for_the_advisors() -> None:
    # A category added to one table and not the others would fail only when someone answers with it.
    categories = set(questions.CATEGORIES)
    assert set(questions.LABELS) == set(questions.THANKS) == set(questions.WORDS_FOR_ADVISORS) == categories
