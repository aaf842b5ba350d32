"""Inactivity nudges (flows/nudges/nudges.py), with a frozen clock: onboarding abandoned (1 day, 3 days, then
stop), silent for 7 days, only to inactive people (checked again at delivery), at humane hours, at most
``max_per_week``, rotating words with the first name; /rappels, "stop", an advisor's pause, the CLI."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from flows.booking import agenda
from flows.booking.changes import appointment_changed
from flows.data.opening_hours import seed_agenda
from flows.engine.events import Button, Reply
from flows.nudges import nudges
from flows.nudges.nudges import DueNudge, due_nudge, pause_nudges, resume_nudges, run_planning
from flows.privacy.privacy import system_turn
from flows.rules.settings import ConversationSettings, NudgeSettings
from storage import Database
from storage.appointments import BOOKED, SEEN
from storage.nudges import NudgeLog
from storage.outbox import CANCELLED, DROPPED, SENT, OutboxMessage
from tests.kit import Chat, Harness, make_harness

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)  # Tuesday 1 December 2026, 11 h in Paris
RULES = NudgeSettings()


def paris(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS).astimezone(dt.UTC)


# --- The rules (pure) -----------------------------------------------------------------------------


def test_onboarding_abandoned_after_one_day_then_three_then_nothing() -> None:
    seen = NOW

    def at(**delta: float) -> str | None:
        due = due_nudge(last_seen_at=seen, onboarded_at=None, last_appointment_end=None,
                        now=seen + dt.timedelta(**delta), settings=RULES)
        return due.rule if due else None

    assert at(hours=23) is None
    assert at(days=1) == "onboarding1"
    assert at(days=1, hours=23) == "onboarding1"
    assert at(days=2, hours=1) is None  # more than a day late: not planned late
    assert at(days=3) == "onboarding2"
    assert at(days=4, hours=1) is None
    assert at(days=10) is None


def test_silent_for_seven_days_since_the_last_message_or_appointment() -> None:
    seen = NOW
    onboarded = NOW - dt.timedelta(hours=1)
    assert due_nudge(last_seen_at=seen, onboarded_at=onboarded, last_appointment_end=None,
                     now=seen + dt.timedelta(days=6, hours=23), settings=RULES) is None
    assert due_nudge(last_seen_at=seen, onboarded_at=onboarded, last_appointment_end=None,
                     now=seen + dt.timedelta(days=7), settings=RULES) == DueNudge(
        "inactive", seen, seen + dt.timedelta(days=7))
    # An appointment after the last message: the seven days count from its end.
    ended = seen + dt.timedelta(days=3)
    assert due_nudge(last_seen_at=seen, onboarded_at=onboarded, last_appointment_end=ended,
                     now=seen + dt.timedelta(days=7), settings=RULES) is None
    assert due_nudge(last_seen_at=seen, onboarded_at=onboarded, last_appointment_end=ended,
                     now=ended + dt.timedelta(days=7), settings=RULES).anchor == ended  # type: ignore[union-attr]


def test_the_wording_rotates_and_uses_the_first_name() -> None:
    texts = [nudges.nudge_message("inactive", "Inès", i)[0] for i in range(4)]
    assert len(set(texts[:3])) == 3 and texts[3] == texts[0]
    assert all("Inès" in text for text in texts)
    anonymous, buttons = nudges.nudge_message("onboarding1", None, 0)
    assert anonymous.startswith("Salut ! ")
    assert [b.label for b in buttons] == ["On reprend", "Ne plus me relancer"]
    for rule in ("onboarding1", "inactive"):
        for i in range(3):
            text, buttons = nudges.nudge_message(rule, "Inès", i)
            assert all(len(sentence.split()) <= 15 for sentence in text.replace("!", ".").replace("?", ".").split(".")
                       ), text
            assert all(1 <= len(b.label.split()) <= 4 for b in buttons)


# --- Planning and delivery --------------------------------------------------------------------------


async def person(h: Harness, user: str = "ines", *, onboarded: bool, seen: dt.datetime, first_name: str = "Inès",
                 **values: object) -> int:
    """Someone who consented and was last active at ``seen`` (in the onboarding, or done with it)."""
    async with h.db.transaction() as uow:
        found = await uow.people.find_or_create("test", user, user, seen)
        fields: dict[str, object] = {"first_name": first_name, "consent_at": seen, "last_seen_at": seen,
                                     "onboarded_at": seen if onboarded else None}
        await uow.people.update(found, **(fields | values))
        conversation = await uow.conversations.load(found.id, seen)
        conversation.step = "home" if onboarded else "onboarding.commune"
        await uow.conversations.save(conversation)
        return found.id


async def plan_at(h: Harness, moment: dt.datetime) -> nudges.PlanningReport:
    h.clock.set(moment)
    return await run_planning(h.db, h.world)


async def nudge_rows(h: Harness) -> list[OutboxMessage]:
    async with h.db.transaction() as uow:
        return list(await uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "nudge").order_by(OutboxMessage.id)))


async def deliver_at(h: Harness, moment: dt.datetime, user: str = "ines") -> list[Reply]:
    h.clock.set(moment)
    before = len(h.sender.sent)
    await h.delivery.deliver_due()
    return [reply for chat, reply, _, _ in h.sender.sent[before:] if chat == user]


def buttons_of(reply: Reply) -> dict[str, Button]:
    return {b.label: b for row in reply.buttons for b in row}


@pytest.fixture
def harness(db: Database) -> Harness:
    return make_harness(db, at=NOW)


async def test_onboarding_abandoned_gets_two_nudges_then_nothing(harness: Harness) -> None:
    pid = await person(harness, onboarded=False, seen=NOW)
    assert (await plan_at(harness, NOW + dt.timedelta(hours=20))).planned == 0
    report = await plan_at(harness, NOW + dt.timedelta(days=1, minutes=5))
    assert (report.planned, report.looked_at) == (1, 1)
    [first] = await nudge_rows(harness)
    assert first.key == f"nudge:{pid}:onboarding1:2026-12-01"
    assert (first.category, first.due_at) == ("nudge", NOW + dt.timedelta(days=1, minutes=5))
    assert first.expires_at == paris(2026, 12, 2, 20, 0)
    [message] = await deliver_at(harness, NOW + dt.timedelta(days=1, minutes=6))
    assert message.text == "Salut Inès ! On n'a pas fini de faire connaissance. On reprend ? Ça prend deux minutes."
    assert list(buttons_of(message)) == ["On reprend", "Ne plus me relancer"]
    # Planning again, and again: nothing more.
    assert (await plan_at(harness, NOW + dt.timedelta(days=1, minutes=10))).planned == 0
    assert (await plan_at(harness, NOW + dt.timedelta(days=2))).planned == 0
    await plan_at(harness, NOW + dt.timedelta(days=3, minutes=5))
    [message] = await deliver_at(harness, NOW + dt.timedelta(days=3, minutes=6))
    assert message.text == "Coucou Inès ! Il reste quelques questions. Après, je te montre des idées pour toi."
    for day in (4, 5, 7, 10, 20):
        assert (await plan_at(harness, NOW + dt.timedelta(days=day, minutes=5))).planned == 0
    assert [r.key.split(":")[2] for r in await nudge_rows(harness)] == ["onboarding1", "onboarding2"]
    assert {r.status for r in await nudge_rows(harness)} == {SENT}


async def test_on_reprend_asks_the_question_where_the_person_stopped(harness: Harness) -> None:
    await person(harness, onboarded=False, seen=NOW)
    await plan_at(harness, NOW + dt.timedelta(days=1, minutes=5))
    [message] = await deliver_at(harness, NOW + dt.timedelta(days=1, minutes=6))
    chat = harness.chat("ines")
    replies = await chat.tap(buttons_of(message)["On reprend"])
    assert [r.text for r in replies] == ["C'est parti !", "Tu habites dans quelle ville ? Écris son nom."]


async def test_a_nudge_due_at_night_or_on_sunday_waits_for_the_morning(harness: Harness) -> None:
    # Last seen on Saturday 5 December at 21:30: the nudge comes due on Sunday at 21:30.
    seen = paris(2026, 12, 5, 21, 30)
    await person(harness, onboarded=False, seen=seen)
    await plan_at(harness, seen + dt.timedelta(days=1, minutes=5))
    [row] = await nudge_rows(harness)
    assert (row.due_at, row.expires_at) == (paris(2026, 12, 7, 9, 0), paris(2026, 12, 7, 20, 0))
    assert await deliver_at(harness, paris(2026, 12, 7, 8, 59)) == []
    assert len(await deliver_at(harness, paris(2026, 12, 7, 9, 0))) == 1


async def test_someone_who_wrote_since_the_nudge_was_planned_does_not_get_it(harness: Harness) -> None:
    seen = paris(2026, 12, 5, 21, 30)
    await person(harness, onboarded=False, seen=seen)
    await plan_at(harness, seen + dt.timedelta(days=1, minutes=5))  # Sunday night: due Monday 9:00
    # Monday 8:10, before it goes: Inès writes.
    harness.clock.set(paris(2026, 12, 7, 8, 10))
    harness.nlu.learn("Nanterre", "inform", commune="Nanterre")
    await harness.chat("ines").send("Nanterre")
    sent_before = [c for c, *_ in harness.sender.sent]
    assert await deliver_at(harness, paris(2026, 12, 7, 9, 0)) == []
    assert [c for c, *_ in harness.sender.sent] == sent_before
    [row] = await nudge_rows(harness)
    assert (row.status, row.last_error) == (DROPPED, "the person was active since it was planned")


async def test_the_planner_withdraws_pending_nudges_of_people_active_again(harness: Harness) -> None:
    seen = paris(2026, 12, 5, 21, 30)
    await person(harness, onboarded=False, seen=seen)
    await plan_at(harness, seen + dt.timedelta(days=1, minutes=5))
    harness.clock.set(paris(2026, 12, 7, 8, 10))
    harness.nlu.learn("Nanterre", "inform", commune="Nanterre")
    await harness.chat("ines").send("Nanterre")
    report = await plan_at(harness, paris(2026, 12, 7, 8, 15))
    assert report.cancelled == 1
    [row] = await nudge_rows(harness)
    assert row.status == CANCELLED


async def test_silent_for_a_week_after_the_onboarding(harness: Harness) -> None:
    pid = await person(harness, onboarded=True, seen=NOW)
    assert (await plan_at(harness, NOW + dt.timedelta(days=6, hours=23))).planned == 0
    await plan_at(harness, NOW + dt.timedelta(days=7, minutes=5))
    [message] = await deliver_at(harness, NOW + dt.timedelta(days=7, minutes=6))
    assert message.text == "Salut Inès ! Ça fait une semaine. Comment ça va ? Je suis là si tu as besoin."
    assert list(buttons_of(message)) == ["Voir des idées", "Prendre rendez-vous", "Ne plus me relancer"]
    [row] = await nudge_rows(harness)
    assert row.key == f"nudge:{pid}:inactive:2026-12-01"
    for day in (8, 14, 15, 30):
        assert (await plan_at(harness, NOW + dt.timedelta(days=day))).planned == 0, "once per silence"
    # She writes again, and goes quiet again: a new count, and the next words.
    harness.clock.set(NOW + dt.timedelta(days=20))
    harness.nlu.learn("merci", "thanks")
    await harness.chat("ines").send("merci")
    await plan_at(harness, NOW + dt.timedelta(days=27, minutes=5))
    [message] = await deliver_at(harness, NOW + dt.timedelta(days=27, minutes=6))
    assert message.text.startswith("Coucou Inès ! Tu avances dans tes recherches ?")


AGENDA = """\
motifs:
  - {code: premier-accueil, name: Premier rendez-vous, duration_minutes: 45, min_delay_hours: 24, max_delay_days: 42}
agents:
  - {email: nadia@ml-nanterre.exemple.fr, structure: ml-nanterre, name: Nadia}
plages:
  - {id: nadia, agent: nadia@ml-nanterre.exemple.fr, lieu: nanterre-prefecture, motifs: [premier-accueil],
     first_day: 2026-11-02, start_time: "14:00", end_time: "17:00",
     rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20270630"}
"""


async def book(h: Harness, tmp_path: Path, starts_at: dt.datetime) -> int:
    path = tmp_path / "agenda.yml"
    path.write_text(AGENDA, encoding="utf-8")
    async with h.db.transaction() as uow:
        await seed_agenda(uow, h.world.territory, path, h.world.settings.tz)
        found = await uow.people.find("test", "ines")
        motif = await uow.structures.motif_by_code("ml-nanterre", "premier-accueil")
        assert found is not None and motif is not None
        appointment = await agenda.book(uow, person_id=found.id, lieu_id="nanterre-prefecture", motif=motif,
                                        starts_at=starts_at, now=h.clock.now(), tz=h.world.settings.tz)
        assert appointment is not None
        turn = await system_turn(uow, h.world, found, h.clock.now(), key="book")
        await appointment_changed(turn, appointment, BOOKED, by="young")
        return appointment.id


async def test_an_appointment_to_come_holds_the_nudges_and_its_end_restarts_the_count(
    harness: Harness, tmp_path: Path
) -> None:
    await person(harness, onboarded=True, seen=NOW)
    appointment_id = await book(harness, tmp_path, paris(2026, 12, 10, 14, 0))
    # A week of silence, but an appointment to come: its reminders speak, no nudge.
    assert (await plan_at(harness, NOW + dt.timedelta(days=7, minutes=5))).planned == 0
    async with harness.db.transaction() as uow:
        appointment = await uow.appointments.get(appointment_id)
        assert appointment is not None
        await uow.appointments.set_status(appointment, SEEN, paris(2026, 12, 10, 15, 0))
    # Seven days after the appointment's end (14:45 on the 10th), not after the last message.
    assert (await plan_at(harness, paris(2026, 12, 17, 14, 0))).planned == 0
    assert (await plan_at(harness, paris(2026, 12, 17, 14, 50))).planned == 1
    [row] = await nudge_rows(harness)
    assert row.key.endswith(":inactive:2026-12-10")


async def test_at_most_max_per_week(db: Database) -> None:
    capped = make_harness(db, at=NOW, settings=ConversationSettings.model_validate(
        {"nudges": {"max_per_week": 1, "onboarding_after_days": [1, 3]}}))
    await person(capped, onboarded=False, seen=NOW)
    assert (await plan_at(capped, NOW + dt.timedelta(days=1, minutes=5))).planned == 1
    report = await plan_at(capped, NOW + dt.timedelta(days=3, minutes=5))
    assert (report.planned, report.capped) == (0, 1)
    assert len(await nudge_rows(capped)) == 1


async def test_a_dropped_nudge_does_not_count_towards_the_week(db: Database) -> None:
    capped = make_harness(db, at=NOW, settings=ConversationSettings.model_validate(
        {"nudges": {"max_per_week": 1, "onboarding_after_days": [1, 3], "inactive_after_days": 1}}))
    await person(capped, onboarded=False, seen=NOW)
    await plan_at(capped, NOW + dt.timedelta(days=1, hours=10))  # 21:00: due tomorrow 9:00
    capped.clock.set(NOW + dt.timedelta(days=1, hours=11))
    capped.nlu.learn("Nanterre", "inform", commune="Nanterre")
    await capped.chat("ines").send("Nanterre")  # active again: the first nudge will not go
    report = await plan_at(capped, NOW + dt.timedelta(days=2, hours=11, minutes=5))
    assert report.planned == 1, "a new silence: its first nudge is allowed (the dropped one did not count)"


async def test_no_nudge_to_who_did_not_consent_chose_less_is_paused_or_unreachable(harness: Harness) -> None:
    await person(harness, "a", onboarded=True, seen=NOW, notifications="appointments")
    await person(harness, "b", onboarded=True, seen=NOW, notifications="none")
    await person(harness, "c", onboarded=True, seen=NOW, nudges_paused=True)
    await person(harness, "d", onboarded=True, seen=NOW, unreachable_at=NOW)
    await person(harness, "e", onboarded=False, seen=NOW, consent_at=None)
    await person(harness, "f", onboarded=True, seen=NOW)
    report = await plan_at(harness, NOW + dt.timedelta(days=7, minutes=5))
    assert (report.looked_at, report.planned) == (1, 1)
    assert [r.chat_id for r in await nudge_rows(harness)] == ["f"]
    zero = make_harness(harness.db, at=NOW, settings=ConversationSettings.model_validate(
        {"nudges": {"max_per_week": 0}}))
    await person(zero, "g", onboarded=True, seen=NOW)
    assert (await plan_at(zero, NOW + dt.timedelta(days=7, minutes=10))).planned == 0


async def test_the_first_start_does_not_nudge_everyone_silent_for_long(harness: Harness) -> None:
    for i in range(5):
        await person(harness, f"old{i}", onboarded=True, seen=NOW - dt.timedelta(days=30 + i))
    assert (await plan_at(harness, NOW)).planned == 0


async def test_two_planners_at_once_plan_each_nudge_once(db: Database) -> None:
    """On both backends: two processes plan at the same moment (PostgreSQL: the leader lock; both: the keys)."""
    h = make_harness(db, at=NOW)
    for i in range(30):
        await person(h, f"p{i}", onboarded=i % 2 == 0, seen=NOW)
    other = Database(db.url)
    try:
        h.clock.set(NOW + dt.timedelta(days=1, minutes=5))
        first, second = await asyncio.gather(run_planning(db, h.world), run_planning(other, h.world))
        again = await run_planning(other, h.world)
    finally:
        await other.dispose()
    assert first.planned + second.planned + again.planned == 15
    rows = await nudge_rows(h)
    assert len(rows) == 15 and len({r.key for r in rows}) == 15
    async with db.transaction() as uow:
        assert len(list(await uow.session.scalars(select(NudgeLog)))) == 15


# --- Choosing: /rappels, "stop", "Ne plus me relancer", an advisor's pause -----------------------------


async def onboarded_chat(h: Harness) -> Chat:
    await person(h, onboarded=True, seen=NOW)
    return h.chat("ines")


async def notifications(h: Harness) -> tuple[str, bool]:
    async with h.db.transaction() as uow:
        found = await uow.people.find("test", "ines")
        assert found is not None
        return found.notifications, found.nudges_paused


async def test_rappels_lets_the_person_choose(harness: Harness) -> None:
    chat = await onboarded_chat(harness)
    replies = await chat.command("rappels")
    assert [r.text for r in replies] == [
        "Je peux t'écrire de moi-même : pour tes rendez-vous, et parfois pour prendre de tes nouvelles.",
        "Pour l'instant, tu reçois les rappels de tes rendez-vous et, parfois, des nouvelles de ma part. "
        "Qu'est-ce que tu veux recevoir ?",
    ]
    assert chat.labels == ["Tout", "Seulement mes rendez-vous", "Rien"]
    replies = await chat.press("Seulement mes rendez-vous")
    assert replies[0].text == "C'est noté : je t'écris seulement pour rappeler tes rendez-vous."
    assert await notifications(harness) == ("appointments", False)
    await chat.command("rappels")
    assert chat.last.text.startswith("Pour l'instant, tu reçois seulement les rappels de tes rendez-vous.")
    await chat.send("rien")  # typed works too
    assert await notifications(harness) == ("none", False)
    await chat.command("rappels")
    await chat.press("Tout")
    assert await notifications(harness) == ("all", False)


async def test_stop_stops_at_once_and_says_how_to_choose_more_finely(harness: Harness) -> None:
    chat = await onboarded_chat(harness)
    await plan_at(harness, NOW + dt.timedelta(days=7, minutes=5))
    harness.clock.set(NOW + dt.timedelta(days=7, minutes=5, seconds=1))  # before its delivery
    harness.nlu.learn("stop", "stop_nudges")
    replies = await chat.send("stop")
    assert [r.text for r in replies[:2]] == [
        "C'est noté : je ne t'envoie plus de messages de moi-même. Ni rappels, ni nouvelles.",
        "Je te réponds toujours quand tu m'écris. Pour choisir plus finement, par exemple garder les rappels de "
        "rendez-vous : /rappels.",
    ]
    assert len(replies) <= 3
    assert await notifications(harness) == ("none", False)
    [row] = await nudge_rows(harness)
    assert row.status == CANCELLED
    assert await deliver_at(harness, NOW + dt.timedelta(days=8)) == []


async def test_ne_plus_me_relancer_keeps_the_appointment_reminders(harness: Harness) -> None:
    chat = await onboarded_chat(harness)
    await plan_at(harness, NOW + dt.timedelta(days=7, minutes=5))
    [message] = await deliver_at(harness, NOW + dt.timedelta(days=7, minutes=6))
    [said, *_] = await chat.tap(buttons_of(message)["Ne plus me relancer"])
    assert said.text == ("D'accord, je ne te relance plus. Je te rappelle seulement tes rendez-vous. "
                         "Pour changer : /rappels.")
    assert await notifications(harness) == ("appointments", False)


async def test_voir_des_idees_under_a_nudge(harness: Harness) -> None:
    chat = await onboarded_chat(harness)
    await plan_at(harness, NOW + dt.timedelta(days=7, minutes=5))
    [message] = await deliver_at(harness, NOW + dt.timedelta(days=7, minutes=6))
    replies = await chat.tap(buttons_of(message)["Voir des idées"])
    assert replies, "the ideas (flows/suggestions/ideas.py) answer"


async def test_an_advisor_pauses_the_nudges_of_one_person(harness: Harness) -> None:
    pid = await person(harness, onboarded=True, seen=NOW)
    await plan_at(harness, NOW + dt.timedelta(days=7, minutes=5))
    async with harness.db.transaction() as uow:
        assert await pause_nudges(uow, pid, by="agent:7")
        assert not await pause_nudges(uow, pid, by="agent:7"), "already paused"
    assert await notifications(harness) == ("all", True)
    [row] = await nudge_rows(harness)
    assert row.status == CANCELLED
    async with harness.db.transaction() as uow:
        assert await resume_nudges(uow, pid, by="agent:7")
        assert not await pause_nudges(uow, 99999, by="agent:7"), "nobody"
    assert await notifications(harness) == ("all", False)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """The CLI sets up logging on the stream CliRunner captures (closed afterwards): put the set-up back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


async def test_operator_cli_pauses_and_resumes_one_person(harness: Harness, data_key: str,
                                                         monkeypatch: pytest.MonkeyPatch, restore_logging: None
                                                         ) -> None:
    from bot.cli import app

    pid = await person(harness, onboarded=True, seen=NOW)
    monkeypatch.setenv("DATABASE_URL", harness.db.url)
    monkeypatch.setenv("TREMPLIN_DATA_KEY", data_key)
    runner = CliRunner()
    result = await asyncio.to_thread(runner.invoke, app, ["nudges", "pause", "--person", str(pid), "--by", "agent:3"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == f"Nudges paused for person {pid}."
    assert await notifications(harness) == ("all", True)
    result = await asyncio.to_thread(runner.invoke, app, ["nudges", "resume", "--telegram-id", "nobody"])
    assert result.exit_code == 1
    result = await asyncio.to_thread(runner.invoke, app, ["nudges", "resume", "--person", str(pid)])
    assert result.output.splitlines()[-1] == f"Nudges resumed for person {pid}."
    result = await asyncio.to_thread(runner.invoke, app, ["nudges", "plan"])
    assert result.exit_code == 0 and result.output.splitlines()[-2:][0].startswith("nudge planning:"), result.output
    assert result.output.splitlines()[-1] == "outcome questions: 0 planned"
    result = await asyncio.to_thread(runner.invoke, app, ["nudges", "status"])
    assert result.exit_code == 0, result.output


async def test_the_nudge_log_is_erased_with_the_person(harness: Harness) -> None:
    pid = await person(harness, onboarded=True, seen=NOW)
    assert (await plan_at(harness, NOW + dt.timedelta(days=7, minutes=5))).planned == 1
    [row] = await nudge_rows(harness)
    async with harness.db.transaction() as uow:
        assert [(n.person_id, n.key) for n in await uow.nudges.for_person(pid)] == [(pid, row.key)]  # to erase
        await uow.personal_data.erase(pid)
        assert list(await uow.session.scalars(select(NudgeLog))) == []
        assert list(await uow.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "nudge"))) == []
