"""Appointment reminders (flows/nudges/reminders.py), with a frozen clock: when they are planned (quiet hours,
Sundays, public holidays, both changes of the clocks), re-planned on a move, cancelled on a
cancellation, dropped once the appointment has started; their buttons; the follow-up; and
"on replanifie ?" after a no-show marked by an advisor."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from flows.booking import agenda
from flows.booking.changes import appointment_changed
from flows.data.opening_hours import seed_agenda
from flows.engine.events import Button, Reply
from flows.nudges.reminders import H0, J1, J7, Timing, follow_up_timing, plan_reminders, reminder_timings
from flows.privacy.privacy import system_turn
from flows.rules.quiet_hours import QuietHours
from flows.rules.settings import ConversationSettings
from storage import Database
from storage.appointments import BOOKED, BY_AGENT, EXCUSED, NOSHOW, SEEN, STATUS_CHANGED, UNKNOWN
from storage.outbox import CANCELLED, DROPPED, PENDING, SENT, OutboxMessage
from tests.kit import Chat, Harness, make_harness

PARIS = ZoneInfo("Europe/Paris")
SETTINGS = ConversationSettings()
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)  # Tuesday 1 December 2026, 11 h in Paris

AGENDA = """\
motifs:
  - {code: premier-accueil, name: Premier rendez-vous, duration_minutes: 45, min_delay_hours: 24, max_delay_days: 42}
agents:
  - {email: nadia@ml-nanterre.exemple.fr, structure: ml-nanterre, name: Nadia}
plages:
  - {id: nadia-matin, agent: nadia@ml-nanterre.exemple.fr, lieu: nanterre-prefecture, motifs: [premier-accueil],
     first_day: 2026-11-02, start_time: "09:00", end_time: "12:00",
     rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20270630"}
  - {id: nadia-apres-midi, agent: nadia@ml-nanterre.exemple.fr, lieu: nanterre-prefecture, motifs: [premier-accueil],
     first_day: 2026-11-02, start_time: "14:00", end_time: "17:00",
     rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20270630"}
"""


def paris(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS).astimezone(dt.UTC)


def plan(starts_at: dt.datetime, now: dt.datetime) -> dict[str, tuple[dt.datetime, dt.datetime]]:
    """The reminders as {step: (due, expires)}, in Paris time for readable expectations."""
    return {t.step: (t.due_at.astimezone(PARIS), t.expires_at.astimezone(PARIS))
            for t in reminder_timings(starts_at, now, SETTINGS)}


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


# --- The planning rules (pure, frozen time) -------------------------------------------------------


def test_an_appointment_ten_days_ahead_gets_three_reminders() -> None:
    # Booked Tuesday 1 December for Thursday 10 December at 14:00.
    timings = plan(paris(2026, 12, 10, 14, 0), NOW)
    assert timings == {
        J7: (local(2026, 12, 3, 18, 0), local(2026, 12, 3, 20, 0)),  # 7 days before, 18:00; gone at 20:00
        J1: (local(2026, 12, 9, 18, 0), local(2026, 12, 9, 20, 0)),
        H0: (local(2026, 12, 10, 9, 0), local(2026, 12, 10, 14, 0)),  # 8:30 is quiet: 9:00; never after the start
    }
    after = follow_up_timing(paris(2026, 12, 10, 14, 45), NOW, SETTINGS)
    assert after.due_at == paris(2026, 12, 10, 16, 45) and after.expires_at == paris(2026, 12, 10, 20, 0)


def test_booked_less_than_seven_days_ahead_no_week_reminder() -> None:
    assert set(plan(paris(2026, 12, 4, 14, 0), NOW)) == {J1, H0}
    # Exactly seven days and a bit: the week reminder would be today at 18:00.
    assert set(plan(paris(2026, 12, 8, 14, 0), NOW)) == {J7, J1, H0}


def test_a_monday_appointment_is_recalled_on_saturday_evening_not_on_sunday() -> None:
    # Monday 7 December at 10:00: Sunday 18:00 is quiet; moved literally it would land on Monday 9:00,
    # next to the same-morning reminder, saying "demain". It is said on Saturday at 18:00 instead.
    timings = plan(paris(2026, 12, 7, 10, 0), NOW)
    assert timings[J1] == (local(2026, 12, 5, 18, 0), local(2026, 12, 5, 20, 0))
    assert timings[H0] == (local(2026, 12, 7, 9, 0), local(2026, 12, 7, 10, 0))


def test_after_a_public_holiday_the_reminder_comes_before_it() -> None:
    # Saturday 26 December at 10:00: Christmas evening is quiet, the 24th at 18:00 is not.
    assert {step: due for step, (due, _) in plan(paris(2026, 12, 26, 10, 0), NOW).items()} == {
        J7: local(2026, 12, 19, 18, 0), J1: local(2026, 12, 24, 18, 0), H0: local(2026, 12, 26, 9, 0)}
    # Tuesday 7 April 2026, after Easter Sunday and Monday: Saturday 4 April.
    timings = plan(paris(2026, 4, 7, 14, 0), paris(2026, 3, 20, 10, 0))
    assert timings[J1][0] == local(2026, 4, 4, 18, 0)
    assert timings[J7][0] == local(2026, 3, 31, 18, 0)


def test_an_early_appointment_gets_no_same_morning_reminder() -> None:
    # 9:30: at 9:00 (the end of the quiet hours) it would be too late to help; the day before said it.
    assert set(plan(paris(2026, 12, 10, 9, 30), NOW)) == {J7, J1}
    # 10:00: 9:00 still leaves an hour.
    assert plan(paris(2026, 12, 10, 10, 0), NOW)[H0][0] == local(2026, 12, 10, 9, 0)


def test_nothing_just_after_the_booking_and_nothing_in_the_past() -> None:
    # Booked at 17:30 the day before for 14:00: no reminder at 18:00 (the confirmation just said it).
    assert set(plan(paris(2026, 12, 10, 14, 0), paris(2026, 12, 9, 17, 30))) == {H0}
    # Booked on the day at 10:00 for 16:00: nothing (9:00 is past).
    assert plan(paris(2026, 12, 10, 16, 0), paris(2026, 12, 10, 10, 0)) == {}


def test_spring_forward_reminders_keep_their_wall_clock_times() -> None:
    # Monday 30 March 2026 at 10:00 CEST, booked Monday 16 March (CET). The clocks change on Sunday 29.
    timings = {t.step: t for t in reminder_timings(paris(2026, 3, 30, 10, 0), paris(2026, 3, 16, 10, 0), SETTINGS)}
    assert timings[J7].due_at == dt.datetime(2026, 3, 23, 17, 0, tzinfo=dt.UTC)  # 18:00 CET
    assert timings[J1].due_at == dt.datetime(2026, 3, 28, 17, 0, tzinfo=dt.UTC)  # Saturday 18:00 CET
    assert timings[H0].due_at == dt.datetime(2026, 3, 30, 7, 0, tzinfo=dt.UTC)  # Monday 9:00 CEST
    assert timings[H0].expires_at == dt.datetime(2026, 3, 30, 8, 0, tzinfo=dt.UTC)


def test_fall_back_reminders_keep_their_wall_clock_times() -> None:
    # Tuesday 27 October 2026 at 11:00 CET, booked Tuesday 13 October (CEST). The clocks change on Sunday 25.
    timings = {t.step: t for t in reminder_timings(paris(2026, 10, 27, 11, 0), paris(2026, 10, 13, 10, 0), SETTINGS)}
    assert timings[J7].due_at == dt.datetime(2026, 10, 20, 16, 0, tzinfo=dt.UTC)  # 18:00 CEST
    assert timings[J1].due_at == dt.datetime(2026, 10, 26, 17, 0, tzinfo=dt.UTC)  # Monday 18:00 CET
    assert timings[H0].due_at == dt.datetime(2026, 10, 27, 8, 0, tzinfo=dt.UTC)  # 9:00 CET


def test_the_times_come_from_the_settings() -> None:
    custom = ConversationSettings.model_validate(
        {"reminders": {"day_before_at": "17:00", "same_day_at": "07:45", "days_before": 3},
         "quiet_hours": {"start": "21:00", "end": "07:30"}})
    timings = {t.step: t for t in reminder_timings(paris(2026, 12, 10, 14, 0), NOW, custom)}
    assert timings[J7].due_at == paris(2026, 12, 7, 17, 0)
    assert timings[J1].due_at == paris(2026, 12, 9, 17, 0)
    assert timings[H0].due_at == paris(2026, 12, 10, 7, 45)


starts = st.datetimes(min_value=dt.datetime(2026, 1, 5), max_value=dt.datetime(2027, 12, 20),
                      timezones=st.just(PARIS)).map(lambda d: d.replace(minute=d.minute // 15 * 15, second=0,
                                                                          microsecond=0))
ahead = st.timedeltas(min_value=dt.timedelta(minutes=30), max_value=dt.timedelta(days=40))


@settings(max_examples=300, deadline=None)
@given(starts, ahead)
def test_every_reminder_is_at_an_allowed_time_before_the_start(start: dt.datetime, lead: dt.timedelta) -> None:
    quiet = QuietHours.of(SETTINGS)
    now = start - lead
    timings: list[Timing] = reminder_timings(start.astimezone(dt.UTC), now.astimezone(dt.UTC), SETTINGS)
    dues = [t.due_at for t in timings]
    assert dues == sorted(dues) and len({d.astimezone(PARIS).date() for d in dues}) == len(dues)  # one a day
    for timing in timings:
        assert now < timing.due_at < timing.expires_at <= start
        assert quiet.is_allowed(timing.due_at)
        assert not quiet.is_allowed(timing.expires_at) or timing.expires_at == start or timing.step == J7


# --- In the conversation ---------------------------------------------------------------------------


@pytest.fixture
async def harness(db: Database, tmp_path: Path) -> Harness:
    h = make_harness(db, at=NOW)
    path = tmp_path / "agenda.yml"
    path.write_text(AGENDA, encoding="utf-8")
    async with db.transaction() as uow:
        await seed_agenda(uow, h.world.territory, path, h.world.settings.tz)
    return h


async def onboarded(h: Harness, user: str = "ines", first_name: str = "Inès") -> Chat:
    async with h.db.transaction() as uow:
        person = await uow.people.find_or_create("test", user, user, h.clock.now())
        await uow.people.update(person, first_name=first_name, age=19, commune="92050", consent_at=h.clock.now(),
                                onboarded_at=h.clock.now())
        conversation = await uow.conversations.load(person.id, h.clock.now())
        conversation.step = "home"
        await uow.conversations.save(conversation)
    return h.chat(user)


async def book_at(h: Harness, starts_at: dt.datetime, user: str = "ines") -> int:
    """Book through the agenda and ``appointment_changed``, as the booking conversation does."""
    async with h.db.transaction() as uow:
        person = await uow.people.find("test", user)
        assert person is not None
        motif = await uow.structures.motif_by_code("ml-nanterre", "premier-accueil")
        assert motif is not None
        appointment = await agenda.book(uow, person_id=person.id, lieu_id="nanterre-prefecture", motif=motif,
                                        starts_at=starts_at, now=h.clock.now(), tz=h.world.settings.tz)
        assert appointment is not None, "the slot should be free"
        turn = await system_turn(uow, h.world, person, h.clock.now(), key=f"test:{starts_at.isoformat()}")
        await appointment_changed(turn, appointment, BOOKED, by="young")
        return appointment.id


async def planned(h: Harness, appointment_id: int | None = None) -> dict[str, OutboxMessage]:
    """The outbox rows about appointments, by key, soonest first."""
    query = select(OutboxMessage).where(OutboxMessage.key.like("rmd:%"))
    if appointment_id is not None:
        query = query.where(OutboxMessage.appointment_id == appointment_id)
    async with h.db.transaction() as uow:
        rows = await uow.session.scalars(query.order_by(OutboxMessage.due_at, OutboxMessage.id))
        return {row.key: row for row in rows}


async def deliver_at(h: Harness, moment: dt.datetime, user: str = "ines") -> list[Reply]:
    """Move the clock to ``moment``, deliver what is due, and return what this person received."""
    h.clock.set(moment)
    before = len(h.sender.sent)
    await h.delivery.deliver_due()
    return [reply for chat, reply, _, _ in h.sender.sent[before:] if chat == user]


def buttons_of(reply: Reply) -> dict[str, Button]:
    return {b.label: b for row in reply.buttons for b in row}


async def test_booking_in_the_chat_plans_the_reminders_with_deterministic_keys(harness: Harness) -> None:
    chat = await onboarded(harness)
    harness.nlu.learn("un rdv jeudi 10 à 14h", "book_appointment", time="2026-12-10T14:00:00+01:00")
    await chat.send("un rdv jeudi 10 à 14h")
    await chat.press("jeudi 10 déc. 14 h")
    replies = await chat.press("Oui, je réserve")
    assert len(replies) <= 3, "the reminders are for later, not more messages now"
    rows = await planned(harness)
    [appointment_id] = {row.appointment_id for row in rows.values()}
    assert list(rows) == [f"rmd:{appointment_id}:0:{step}" for step in ("j7", "j1", "h0", "after")]
    assert [(r.kind, r.category, r.status) for r in rows.values()] == [
        ("reminder", "appointment", PENDING)] * 3 + [("follow_up", "appointment", PENDING)]
    j7, j1, h0, after = rows.values()
    assert (j7.due_at, j1.due_at, h0.due_at, after.due_at) == (
        paris(2026, 12, 3, 18, 0), paris(2026, 12, 9, 18, 0), paris(2026, 12, 10, 9, 0), paris(2026, 12, 10, 16, 45))
    assert h0.expires_at == paris(2026, 12, 10, 14, 0)
    assert j7.payload["text"] == "Salut Inès ! Petit rappel : tu as rendez-vous à la mission locale le jeudi 10 " \
                                 "décembre à 14 h."
    assert j1.payload["text"].startswith("Rappel : ton rendez-vous à la mission locale, c'est demain à 14 h.\n📍 ")
    assert h0.payload["text"].startswith("C'est aujourd'hui ! Ton rendez-vous à la mission locale est à 14 h.\n📍 ")
    assert [b["label"] for row in h0.payload["buttons"] for b in row] == ["Je viens", "Je ne peux plus",
                                                                          "Changer l'heure"]
    # Planning the same thing again (another process, a replay) writes nothing more.
    async with harness.db.transaction() as uow:
        appointment = await uow.appointments.get(appointment_id)
        person = await uow.people.find("test", "ines")
        assert appointment is not None and person is not None
        turn = await system_turn(uow, harness.world, person, NOW, key="again")
        await plan_reminders(turn, person, appointment)
    assert len(await planned(harness)) == 4


async def test_reminders_arrive_on_time_and_never_after_the_start(harness: Harness) -> None:
    await onboarded(harness)
    appointment_id = await book_at(harness, paris(2026, 12, 10, 14, 0))
    assert await deliver_at(harness, paris(2026, 12, 3, 17, 59)) == []
    [week] = await deliver_at(harness, paris(2026, 12, 3, 18, 0))
    assert week.text.startswith("Salut Inès ! Petit rappel")
    # The bot was down on Wednesday evening and comes back on Thursday at 9:30: the day-before reminder
    # (it says "demain") is no longer relevant; the same-morning one still is.
    [morning] = await deliver_at(harness, paris(2026, 12, 10, 9, 30))
    assert morning.text.startswith("C'est aujourd'hui !")
    rows = await planned(harness, appointment_id)
    assert rows[f"rmd:{appointment_id}:0:j1"].status == DROPPED
    assert rows[f"rmd:{appointment_id}:0:h0"].status == SENT


async def test_a_reminder_is_dropped_once_the_appointment_has_started(harness: Harness) -> None:
    await onboarded(harness)
    appointment_id = await book_at(harness, paris(2026, 12, 10, 14, 0))
    # Down from Wednesday 17:00 to Thursday 14:05: every reminder is late; none goes out.
    assert await deliver_at(harness, paris(2026, 12, 3, 18, 5)) != []  # the week reminder went out before
    assert await deliver_at(harness, paris(2026, 12, 10, 14, 5)) == []
    rows = await planned(harness, appointment_id)
    assert {key.rsplit(":", 1)[1]: row.status for key, row in rows.items()} == {
        "j7": SENT, "j1": DROPPED, "h0": DROPPED, "after": PENDING}


async def test_moving_replans_and_cancelling_cancels(harness: Harness) -> None:
    chat = await onboarded(harness)
    appointment_id = await book_at(harness, paris(2026, 12, 10, 14, 0))
    await chat.command("rdv")
    await chat.press("Le déplacer")
    harness.nlu.learn("vendredi 11 à 15h30", "inform", time="2026-12-11T15:30:00+01:00")
    await chat.send("vendredi 11 à 15h30")
    await chat.press("vendredi 11 déc. 15 h 30")
    await chat.press("Oui, je déplace")
    rows = await planned(harness, appointment_id)
    old = {k: r.status for k, r in rows.items() if k.startswith(f"rmd:{appointment_id}:0:")}
    new = {k: r for k, r in rows.items() if k.startswith(f"rmd:{appointment_id}:1:")}
    assert set(old.values()) == {CANCELLED} and len(old) == 4
    assert {k.rsplit(":", 1)[1]: r.due_at for k, r in new.items()} == {
        "j7": paris(2026, 12, 4, 18, 0), "j1": paris(2026, 12, 10, 18, 0), "h0": paris(2026, 12, 11, 9, 0),
        "after": paris(2026, 12, 11, 18, 15)}
    assert "vendredi 11 décembre" not in new[f"rmd:{appointment_id}:1:j1"].payload["text"]  # "demain à 15 h 30"
    assert "demain à 15 h 30" in new[f"rmd:{appointment_id}:1:j1"].payload["text"]

    await chat.command("rdv")
    await chat.press("L'annuler")
    await chat.press("Oui, annuler")
    rows = await planned(harness, appointment_id)
    assert {r.status for r in rows.values()} == {CANCELLED}
    assert await deliver_at(harness, paris(2026, 12, 10, 18, 0)) == []


async def test_the_buttons_of_a_reminder(harness: Harness) -> None:
    chat = await onboarded(harness)
    appointment_id = await book_at(harness, paris(2026, 12, 10, 14, 0))
    [week] = await deliver_at(harness, paris(2026, 12, 3, 18, 0))
    buttons = buttons_of(week)
    assert list(buttons) == ["Je viens", "Je ne peux plus", "Changer l'heure"]

    [said, *_] = await chat.tap(buttons["Je viens"])
    assert said.text == "Super, c'est noté ! Rendez-vous le jeudi 10 décembre à 14 h."
    await chat.tap(buttons["Je viens"])  # twice: one line in the history
    async with harness.db.transaction() as uow:
        history = [h.event for h in await uow.appointments.history(appointment_id)]
    assert history == ["booked", "confirmed"]

    replies = await chat.tap(buttons["Changer l'heure"])  # the booking's move flow
    assert any(r.text == "Ton rendez-vous est le jeudi 10 décembre à 14 h." for r in replies)
    assert "Laisser tomber" in chat.labels
    await chat.press("Laisser tomber")

    replies = await chat.tap(buttons["Je ne peux plus"])  # the booking's cancellation, confirmed first
    assert replies[-1].text.startswith("Tu veux annuler ton rendez-vous ?")
    replies = await chat.press("Oui, annuler")
    assert replies[0].text == "C'est annulé. Ton rendez-vous du jeudi 10 décembre à 14 h est libéré."
    async with harness.db.transaction() as uow:
        appointment = await uow.appointments.get(appointment_id)
        motif = await uow.structures.motif_by_code("ml-nanterre", "premier-accueil")
        assert appointment is not None and motif is not None
        assert appointment.status == EXCUSED
        free = await agenda.offer(uow, lieu_id="nanterre-prefecture", motif=motif, now=harness.clock.now(),
                                  tz=harness.world.settings.tz, since=paris(2026, 12, 10, 14, 0), count=1)
    assert free[0].starts_at == paris(2026, 12, 10, 14, 0), "the place is free again"
    # Pressed again on the old reminder: kind, and nothing happens.
    [again, *_] = await chat.tap(buttons["Je viens"])
    assert again.text == "Ce rendez-vous est annulé. Tape /rdv pour en prendre un autre."


async def test_reminders_respect_the_persons_choice_at_delivery(harness: Harness) -> None:
    chat = await onboarded(harness)
    await book_at(harness, paris(2026, 12, 10, 14, 0))
    await chat.command("rappels")
    await chat.press("Rien")
    assert await deliver_at(harness, paris(2026, 12, 3, 18, 0)) == []
    await chat.command("rappels")
    await chat.press("Seulement mes rendez-vous")
    [reminder] = await deliver_at(harness, paris(2026, 12, 9, 18, 0))
    assert reminder.text.startswith("Rappel : ton rendez-vous")


async def test_after_the_appointment_comment_ca_s_est_passe(harness: Harness) -> None:
    chat = await onboarded(harness)
    await book_at(harness, paris(2026, 12, 10, 14, 0))
    await deliver_at(harness, paris(2026, 12, 10, 9, 0))
    [follow_up] = await deliver_at(harness, paris(2026, 12, 10, 16, 45))
    assert follow_up.text == "Comment s'est passé ton rendez-vous à la mission locale ?"
    buttons = buttons_of(follow_up)
    assert list(buttons) == ["Très bien", "Bof", "Pas pu venir"]
    [said, *_] = await chat.tap(buttons["Très bien"])
    assert said.text == "Tant mieux ! Si tu as une question, écris-moi."
    [said] = await chat.tap(buttons["Pas pu venir"])
    assert said.text.startswith("Pas de souci, ça arrive. On replanifie ?")
    assert [b.label for row in said.buttons for b in row][:3] == [
        "lundi 14 déc. 9 h", "lundi 14 déc. 9 h 45", "lundi 14 déc. 10 h 30"]


async def mark(h: Harness, appointment_id: int, status: str) -> list[int]:
    """An advisor marks the appointment (their own turn: the message must still go to the young person)."""
    async with h.db.transaction() as uow:
        advisor = await uow.people.find_or_create("test", "nadia", "nadia", h.clock.now())
        appointment = await uow.appointments.get(appointment_id)
        assert appointment is not None
        previous = appointment.status
        await uow.appointments.set_status(appointment, status, h.clock.now())
        turn = await system_turn(uow, h.world, advisor, h.clock.now(), key=f"mark:{appointment_id}:{status}")
        await appointment_changed(turn, appointment, STATUS_CHANGED, by=BY_AGENT, previous_status=previous)
        return turn.planned


async def test_a_no_show_gets_on_replanifie_the_same_day_with_fresh_times(harness: Harness) -> None:
    chat = await onboarded(harness)
    appointment_id = await book_at(harness, paris(2026, 12, 10, 14, 0))
    harness.clock.set(paris(2026, 12, 10, 15, 0))
    due_now = await mark(harness, appointment_id, NOSHOW)
    assert len(due_now) == 1, "due now: delivered right after the advisor's turn"
    before = len(harness.sender.sent)
    await harness.delivery.deliver(due_now)
    [(to, message, _, _)] = harness.sender.sent[before:]
    assert to == "ines", "to the young person, not to the advisor"
    assert message.text == ("Salut Inès ! Tu n'as pas pu venir à ton rendez-vous aujourd'hui ? Ça arrive, pas de "
                            "souci.\nOn replanifie ? Voici des créneaux libres :")
    labels = [b.label for row in message.buttons for b in row]
    # Fresh times: at least 24 hours ahead (the motif's delay), the missed 14:00 free again is not offered.
    assert labels == ["vendredi 11 déc. 15 h 30", "vendredi 11 déc. 16 h 15", "lundi 14 déc. 9 h", "Autres dates",
                      "Plus tard"]
    rows = await planned(harness, appointment_id)
    assert rows[f"rmd:{appointment_id}:0:after"].status == CANCELLED, "no 'comment ça s'est passé ?' after a no-show"
    # Pressing a time goes to the booking's confirmation; the new appointment is booked.
    replies = await chat.tap(buttons_of(message)["lundi 14 déc. 9 h"])
    assert replies[-1].text == "Premier rendez-vous le lundi 14 décembre à 9 h, à Nanterre. Je réserve ?"
    replies = await chat.press("Oui, je réserve")
    assert replies[0].text.startswith("C'est réservé ! Premier rendez-vous le lundi 14 décembre à 9 h.")
    async with harness.db.transaction() as uow:
        person = await uow.people.find("test", "ines")
        assert person is not None
        statuses = [(a.starts_at, a.status) for a in await uow.appointments.for_person(person.id)]
    assert statuses == [(paris(2026, 12, 10, 14, 0), NOSHOW), (paris(2026, 12, 14, 9, 0), UNKNOWN)]


async def test_a_no_show_marked_in_the_evening_waits_for_the_morning(harness: Harness) -> None:
    await onboarded(harness)
    appointment_id = await book_at(harness, paris(2026, 12, 10, 14, 0))
    harness.clock.set(paris(2026, 12, 10, 21, 0))
    assert await mark(harness, appointment_id, NOSHOW) == []
    row = (await planned(harness, appointment_id))[f"rmd:{appointment_id}:0:noshow"]
    assert (row.due_at, row.expires_at) == (paris(2026, 12, 11, 9, 0), paris(2026, 12, 11, 20, 0))
    assert "du jeudi 10 décembre à 14 h" in row.payload["text"]
    labels = [b["label"] for r in row.payload["buttons"] for b in r]
    assert labels[0] == "lundi 14 déc. 9 h", "times counted from when it is read (Friday 9:00 + 24 h)"
    assert await deliver_at(harness, paris(2026, 12, 10, 23, 0)) == []
    [message] = await deliver_at(harness, paris(2026, 12, 11, 9, 0))
    assert "On replanifie ?" in message.text
    # Corrected to "seen" later: nothing more about it is sent.
    harness.clock.set(paris(2026, 12, 11, 10, 0))
    await mark(harness, appointment_id, SEEN)


async def test_a_seen_appointment_keeps_its_follow_up_and_a_corrected_no_show_is_withdrawn(harness: Harness) -> None:
    await onboarded(harness)
    appointment_id = await book_at(harness, paris(2026, 12, 10, 14, 0))
    harness.clock.set(paris(2026, 12, 10, 21, 0))
    await mark(harness, appointment_id, NOSHOW)
    harness.clock.set(paris(2026, 12, 10, 22, 0))
    await mark(harness, appointment_id, SEEN)
    rows = await planned(harness, appointment_id)
    assert rows[f"rmd:{appointment_id}:0:noshow"].status == CANCELLED
    assert await deliver_at(harness, paris(2026, 12, 11, 9, 0)) == []
