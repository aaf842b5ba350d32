"""Booking in the conversation: choose, confirm, .ics; /rdv to move or cancel; the limits; erasure; CLI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from icalendar import Calendar
from typer.testing import CliRunner

from flows.booking.cancelling import cancel_before_erasure
from flows.data.opening_hours import read_agenda_file, seed_agenda
from flows.engine.events import Reply
from flows.engine.script import INTENT_HANDLERS
from flows.privacy.privacy import system_turn
from storage import Database
from storage.appointments import EXCUSED, UNKNOWN
from tests.kit import Chat, Harness, make_harness

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)  # Tuesday 1 December 2026, 11 h in Paris

# A small agenda, so that every time below can be worked out by hand.
AGENDA = """\
motifs:
  - {code: premier-accueil, name: Premier rendez-vous, duration_minutes: 45, min_delay_hours: 24, max_delay_days: 42}
  - {code: suivi, name: Rendez-vous de suivi, duration_minutes: 30, min_delay_hours: 4, max_delay_days: 42}
  - {code: atelier-cv, name: Atelier CV, duration_minutes: 120, collective: true, seats: 2}
agents:
  - {email: nadia@ml-nanterre.exemple.fr, structure: ml-nanterre, name: Nadia}
  - {email: julien@ml-boucle-nord.exemple.fr, structure: ml-boucle-nord, name: Julien}
plages:
  - {id: nadia-matin, agent: nadia@ml-nanterre.exemple.fr, lieu: nanterre-prefecture,
     motifs: [premier-accueil, suivi], first_day: 2026-11-02, start_time: "09:00", end_time: "12:00",
     rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20270630"}
  - {id: nadia-apres-midi, agent: nadia@ml-nanterre.exemple.fr, lieu: nanterre-prefecture,
     motifs: [premier-accueil, suivi], first_day: 2026-11-02, start_time: "14:00", end_time: "17:00",
     rrule: "FREQ=WEEKLY;BYDAY=MO,TU,TH,FR;UNTIL=20270630"}
  - {id: nadia-atelier, agent: nadia@ml-nanterre.exemple.fr, lieu: nanterre-prefecture, motifs: [atelier-cv],
     first_day: 2026-11-04, start_time: "14:00", end_time: "16:00", rrule: "FREQ=WEEKLY;BYDAY=WE;UNTIL=20270630"}
  - {id: julien-matin, agent: julien@ml-boucle-nord.exemple.fr, lieu: colombes-centre,
     motifs: [premier-accueil, suivi], first_day: 2026-11-02, start_time: "09:00", end_time: "12:00",
     rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20270630"}
  - {id: julien-apres-midi, agent: julien@ml-boucle-nord.exemple.fr, lieu: colombes-centre,
     motifs: [premier-accueil, suivi], first_day: 2026-11-02, start_time: "14:00", end_time: "17:00",
     rrule: "FREQ=WEEKLY;BYDAY=MO,TU,TH,FR;UNTIL=20270630"}
"""
FIRST_FOUR = ["mercredi 2 déc. 11 h 15", "jeudi 3 déc. 9 h", "jeudi 3 déc. 9 h 45", "jeudi 3 déc. 10 h 30"]


@pytest.fixture
async def harness(db: Database, tmp_path: Path) -> Harness:
    h = make_harness(db, at=NOW)
    path = tmp_path / "agenda.yml"
    path.write_text(AGENDA, encoding="utf-8")
    async with db.transaction() as uow:
        await seed_agenda(uow, h.world.territory, path, h.world.settings.tz)
    h.nlu.learn("je veux un rdv", "book_appointment")
    return h


async def onboarded(h: Harness, user: str = "ines", commune: str = "92050") -> Chat:
    """Someone who has consented and answered the onboarding, back on the home question."""
    async with h.db.transaction() as uow:
        person = await uow.people.find_or_create("test", user, user, h.clock.now())
        await uow.people.update(person, first_name="Inès", age=19, commune=commune, consent_at=h.clock.now(),
                                onboarded_at=h.clock.now())
        conversation = await uow.conversations.load(person.id, h.clock.now())
        conversation.step = "home"
        await uow.conversations.save(conversation)
    return h.chat(user)


def calendar_of(reply: Reply) -> Calendar:
    assert reply.document is not None
    assert reply.document.mime_type == "text/calendar"
    assert reply.document.filename.endswith(".ics")
    return Calendar.from_ical(reply.document.content)


def event_of(cal: Calendar) -> dict[str, str]:
    [event] = cal.walk("VEVENT")
    return {key: event.get(key).to_ical().decode() if hasattr(event.get(key), "to_ical") else str(event.get(key))
            for key in ("UID", "SEQUENCE", "DTSTART", "DTEND", "STATUS", "LOCATION")}


async def book_thursday(chat: Chat, label: str = "jeudi 3 déc. 9 h 45") -> list[Reply]:
    """Book Thursday 3 December, 9 h 45 (less than 48 hours ahead: it can be cancelled, not moved)."""
    await chat.send("je veux un rdv")
    await chat.press(label)
    return await chat.press("Oui, je réserve")


async def book_next_week(h: Harness, chat: Chat) -> list[Reply]:
    """Book Thursday 10 December, 9 h 45 (more than 48 hours ahead: it can be moved)."""
    h.nlu.learn("un rdv jeudi 10", "book_appointment", time="2026-12-10")
    await chat.send("un rdv jeudi 10")
    await chat.press("jeudi 10 déc. 9 h 45")
    return await chat.press("Oui, je réserve")


async def appointments_of(h: Harness, user: str = "ines") -> list:
    async with h.db.transaction() as uow:
        person = await uow.people.find("test", user)
        assert person is not None
        found = await uow.appointments.for_person(person.id)
        return [(a, await uow.appointments.history(a.id)) for a in found]


# --- Booking ------------------------------------------------------------------------------------


async def test_the_structure_of_the_commune_is_proposed_and_booking_ends_with_an_ics(harness: Harness) -> None:
    chat = await onboarded(harness)
    replies = await chat.send("je veux un rdv")
    assert [r.text for r in replies] == [
        "La plus proche de chez toi : Mission locale de Nanterre et des communes voisines.",
        "Premier rendez-vous (45 min), à Nanterre. Quel créneau te va ?",
    ]
    assert chat.labels[:4] == FIRST_FOUR
    assert {"Autres jours", "Plutôt le matin", "Plutôt l'après-midi", "Autre lieu", "Autre type de rdv"} <= set(
        chat.labels)
    await chat.press("jeudi 3 déc. 9 h 45")
    assert chat.last.text == "Premier rendez-vous le jeudi 3 décembre à 9 h 45, à Nanterre. Je réserve ?"
    replies = await chat.press("Oui, je réserve")
    assert len(replies) <= 3
    assert replies[0].text == (
        "C'est réservé ! Premier rendez-vous le jeudi 3 décembre à 9 h 45.\n"
        "📍 Mission locale de Nanterre, 3 rue de l'Exemple, 92000 Nanterre\n"
        "🚇 RER A : Nanterre-Préfecture, puis 6 minutes à pied"
    )
    assert "/rdv" in replies[1].text
    cal = calendar_of(replies[1])
    assert str(cal.get("METHOD")) == "REQUEST"
    event = event_of(cal)
    assert (event["SEQUENCE"], event["DTSTART"], event["DTEND"], event["STATUS"]) == (
        "0", "20261203T084500Z", "20261203T093000Z", "CONFIRMED")
    [(appointment, history)] = await appointments_of(harness)
    assert (appointment.status, appointment.uid, appointment.created_by) == (UNKNOWN, event["UID"], "young")
    assert [h.event for h in history] == ["booked"]


async def test_other_days_and_parts_of_the_day(harness: Harness) -> None:
    chat = await onboarded(harness)
    await chat.send("je veux un rdv")
    await chat.press("Plutôt l'après-midi")
    assert chat.labels[:4] == ["jeudi 3 déc. 14 h", "jeudi 3 déc. 14 h 45", "jeudi 3 déc. 15 h 30",
                               "jeudi 3 déc. 16 h 15"]
    assert "Plutôt le matin" in chat.labels and "Toute la journée" in chat.labels
    await chat.press("Autres jours")
    assert chat.labels[0] == "vendredi 4 déc. 14 h"
    await chat.press("Toute la journée")
    assert chat.labels[0] == "vendredi 4 déc. 9 h"
    await chat.press("Laisser tomber")
    assert chat.received[-1].text.startswith("D'accord. Reviens quand tu veux")


async def test_free_text_names_the_day_the_part_of_the_day_and_the_town(harness: Harness) -> None:
    chat = await onboarded(harness)
    harness.nlu.learn("je veux un rdv mardi aprem à Colombes", "book_appointment", time="2026-12-08",
                      part_of_day="apres_midi", commune="Colombes")
    replies = await chat.send("je veux un rdv mardi aprem à Colombes")
    assert [r.text for r in replies] == ["Premier rendez-vous (45 min), à Colombes. Quel créneau te va ?"]
    assert chat.labels[:2] == ["mardi 8 déc. 14 h", "mardi 8 déc. 14 h 45"]
    harness.nlu.learn("plutôt jeudi 10h", "inform", time="2026-12-10T10:00:00+01:00")
    await chat.send("plutôt jeudi 10h")
    assert chat.last.text.startswith("Pas de place le jeudi 10 décembre à 10 h. Voici les plus proches.")
    assert chat.labels[:2] == ["jeudi 10 déc. 9 h 45", "jeudi 10 déc. 10 h 30"]  # closest first, morning again
    harness.nlu.learn("jeudi 10h30", "inform", time="2026-12-10T10:30:00+01:00")
    await chat.send("jeudi 10h30")  # one of the times shown: straight to the confirmation
    assert chat.last.text == "Premier rendez-vous le jeudi 10 décembre à 10 h 30, à Colombes. Je réserve ?"
    replies = await chat.send("ok")
    assert replies[0].text.startswith("C'est réservé ! Premier rendez-vous le jeudi 10 décembre à 10 h 30.")
    assert "2 avenue de l'Exemple, 92700 Colombes" in replies[0].text


async def test_a_day_without_slots_says_so_and_offers_the_next_ones(harness: Harness) -> None:
    chat = await onboarded(harness)
    harness.nlu.learn("rdv samedi", "book_appointment", time="2026-12-05")
    await chat.send("rdv samedi")
    assert chat.last.text.startswith("Rien de libre le samedi 5. Voici les suivants.")
    assert chat.labels[0] == "lundi 7 déc. 9 h"


async def test_a_slot_taken_meanwhile_gets_fresh_options(harness: Harness) -> None:
    ines, karim = await onboarded(harness, "ines"), await onboarded(harness, "karim")
    for chat in (ines, karim):
        await chat.send("je veux un rdv")
        await chat.press("jeudi 3 déc. 9 h 45")
    await ines.press("Oui, je réserve")
    replies = await karim.press("Oui, je réserve")
    assert replies[0].text == "Ce créneau vient d'être pris."
    assert "jeudi 3 déc. 9 h 45" not in karim.labels
    assert karim.labels[:3] == ["mercredi 2 déc. 11 h 15", "jeudi 3 déc. 9 h", "jeudi 3 déc. 10 h 30"]
    assert len(await appointments_of(harness, "karim")) == 0


async def test_a_workshop_is_another_type_of_appointment(harness: Harness) -> None:
    chat = await onboarded(harness)
    await chat.send("je veux un rdv")
    await chat.press("Autre type de rdv")
    assert chat.labels == ["Premier rendez-vous", "Rendez-vous de suivi", "Atelier CV", "Retour"]
    await chat.press("Atelier CV")
    assert chat.last.text.startswith("Atelier CV (2 h), à Nanterre.")
    await chat.press("mercredi 2 déc. 14 h")
    await chat.press("Oui, je réserve")
    [(appointment, _)] = await appointments_of(harness)
    assert appointment.collective and appointment.ends_at - appointment.starts_at == dt.timedelta(hours=2)


async def test_booking_needs_consent_first(harness: Harness) -> None:
    chat = harness.chat("nouveau")
    await chat.command("rdv")
    assert chat.last.text == "Tu n'as pas de rendez-vous prévu."
    replies = await chat.press("Prendre rendez-vous")
    assert len(replies) <= 3
    assert replies[-1].text.endswith("Tu es d'accord ?")  # the consent question of the onboarding


async def test_someone_outside_the_departement_picks_a_lieu(harness: Harness) -> None:
    chat = await onboarded(harness, commune="hors92")
    await chat.send("je veux un rdv")
    assert chat.last.text == "Dans quelle ville veux-tu ton rendez-vous ?"
    assert "Nanterre" in chat.labels and "Colombes" in chat.labels
    await chat.press("Colombes")
    assert chat.last.text == "Premier rendez-vous (45 min), à Colombes. Quel créneau te va ?"


# --- /rdv: move and cancel -----------------------------------------------------------------------


async def test_rdv_lists_and_moving_keeps_the_uid_and_bumps_the_sequence(harness: Harness) -> None:
    chat = await onboarded(harness)
    booked = await book_next_week(harness, chat)
    uid = event_of(calendar_of(booked[1]))["UID"]
    await chat.command("rdv")
    assert chat.last.text == "Ton prochain rendez-vous : Premier rendez-vous le jeudi 10 décembre à 9 h 45, à Nanterre."
    assert chat.labels == ["Le déplacer", "L'annuler"]
    replies = await chat.press("Le déplacer")
    assert [r.text for r in replies] == ["Ton rendez-vous est le jeudi 10 décembre à 9 h 45.",
                                         "Quel autre créneau te va, à Nanterre ?"]
    assert chat.labels[:4] == FIRST_FOUR and "Autre lieu" not in chat.labels
    await chat.send("un rdv jeudi 10")  # a day typed while choosing
    assert chat.labels[:4] == ["jeudi 10 déc. 9 h", "jeudi 10 déc. 10 h 30", "jeudi 10 déc. 11 h 15",
                               "jeudi 10 déc. 14 h"]  # its own time, 9 h 45, is no move
    await chat.press("Autres jours")
    await chat.press("vendredi 11 déc. 9 h")
    assert chat.last.text == "Je déplace ton rendez-vous au vendredi 11 décembre à 9 h ?"
    replies = await chat.press("Oui, je déplace")
    assert replies[0].text.startswith("C'est fait ! Ton rendez-vous est maintenant le vendredi 11 décembre à 9 h.")
    cal = calendar_of(replies[1])
    event = event_of(cal)
    assert (str(cal.get("METHOD")), event["UID"], event["SEQUENCE"], event["DTSTART"]) == (
        "REQUEST", uid, "1", "20261211T080000Z")
    [(_, history)] = await appointments_of(harness)
    assert [h.event for h in history] == ["booked", "moved"]
    assert history[1].previous_starts_at == dt.datetime(2026, 12, 10, 8, 45, tzinfo=dt.UTC)


async def test_cancelling_sends_method_cancel_and_old_buttons_stay_harmless(harness: Harness) -> None:
    chat = await onboarded(harness)
    booked = await book_thursday(chat)
    uid = event_of(calendar_of(booked[1]))["UID"]
    await chat.command("rdv")
    cancel = chat.button("L'annuler")
    await chat.tap(cancel)
    assert chat.last.text == ("Tu veux annuler ton rendez-vous ? Premier rendez-vous le jeudi 3 décembre à 9 h 45, "
                              "à Nanterre.")
    replies = await chat.press("Oui, annuler")
    assert replies[0].text == "C'est annulé. Ton rendez-vous du jeudi 3 décembre à 9 h 45 est libéré."
    cal = calendar_of(replies[1])
    event = event_of(cal)
    assert (str(cal.get("METHOD")), event["UID"], event["SEQUENCE"], event["STATUS"]) == (
        "CANCEL", uid, "1", "CANCELLED")
    again = await chat.tap(cancel)
    assert again[0].text == "Ce rendez-vous est déjà annulé."
    [(appointment, history)] = await appointments_of(harness)
    assert appointment.status == EXCUSED
    assert [(h.event, h.by) for h in history] == [("booked", "young"), ("cancelled", "young")]
    await chat.send("je veux un rdv")  # the place is free again
    assert "jeudi 3 déc. 9 h 45" in chat.labels


async def test_moving_and_cancelling_close_kindly_when_it_is_too_late(harness: Harness) -> None:
    chat = await onboarded(harness)
    await book_thursday(chat)  # Thursday 3 December, 9 h 45 in Paris
    await chat.command("rdv")
    move, cancel = chat.button("Le déplacer"), chat.button("L'annuler")
    harness.clock.set(dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC))  # 22 h 45 before
    replies = await chat.tap(move)
    assert replies[0].text == "Ton rendez-vous est dans moins de 2 jours : je ne peux plus le déplacer ici."
    assert replies[1].text == "La mission locale peut t'aider à trouver une autre date."
    assert chat.labels[0] == "L'annuler"
    assert ("Parler à quelqu'un" in chat.labels) == ("talk_to_advisor" in INTENT_HANDLERS)
    harness.clock.set(dt.datetime(2026, 12, 3, 6, 0, tzinfo=dt.UTC))  # 2 h 45 before
    replies = await chat.tap(cancel)
    assert replies[0].text == "Ton rendez-vous est dans moins de 4 heures : je ne peux plus l'annuler ici."
    assert replies[1].text == ("Si tu ne peux pas venir, préviens la mission locale au 01 00 00 00 02. "
                               "On trouvera une autre date.")
    [(appointment, _)] = await appointments_of(harness)
    assert appointment.status == UNKNOWN


async def test_cancel_and_reschedule_intents_go_to_the_one_appointment(harness: Harness) -> None:
    chat = await onboarded(harness)
    await book_next_week(harness, chat)
    harness.nlu.learn("je peux décaler mon rdv à vendredi ?", "reschedule_appointment", time="2026-12-04")
    await chat.send("je peux décaler mon rdv à vendredi ?")
    assert chat.labels[0] == "vendredi 4 déc. 9 h"
    harness.nlu.learn("en fait j'annule mon rdv", "cancel_appointment")
    await chat.send("en fait j'annule mon rdv")
    assert chat.last.text.startswith("Tu veux annuler ton rendez-vous ?")
    await chat.press("Non, le garder")
    assert chat.received[-1].text.startswith("D'accord, je garde ton rendez-vous.")
    await chat.send("je veux un rdv")
    assert chat.last.text == "Tu as déjà rendez-vous le jeudi 10 décembre à 9 h 45."
    assert chat.labels == ["Le déplacer", "Un autre rendez-vous"]


# --- Before an erasure --------------------------------------------------------------------------


async def test_erasure_cancels_future_appointments_and_tells_the_advisor(harness: Harness) -> None:
    chat = await onboarded(harness)
    await book_thursday(chat)
    async with harness.db.transaction() as uow:
        await uow.structures.upsert_agent(structure_id="ml-nanterre", email="nadia@ml-nanterre.exemple.fr",
                                          telegram_id=999)
        person = await uow.people.find("test", "ines")
        assert person is not None
        [appointment] = await uow.appointments.for_person(person.id)
        reminder = await uow.outbox.add(key="reminder", channel="test", chat_id="ines", kind="reminder",
                                        payload={"text": "demain"}, due_at=NOW + dt.timedelta(days=1), now=NOW,
                                        person_id=person.id, appointment_id=appointment.id)
        turn = await system_turn(uow, harness.world, person, harness.clock.now(), "erase-test")
        await cancel_before_erasure(turn)
        assert appointment.status == EXCUSED
        history = await uow.appointments.history(appointment.id)
        assert history[-1].note == "données effacées : conseillers prévenus"
        assert (await uow.outbox.get(reminder)).status == "cancelled"
        [notice_id] = turn.planned
        notice = await uow.outbox.get(notice_id)
        assert (notice.chat_id, notice.person_id, notice.kind) == ("999", None, "advisor_notice")
        assert notice.payload["text"].startswith("Rendez-vous annulé : Premier rendez-vous à Mission locale")
        await uow.personal_data.erase(person.id)
    async with harness.db.transaction() as uow:
        assert await uow.appointments.count_live() == 0
        assert (await uow.outbox.get(notice_id)) is not None  # the advisor's notice outlives the erasure


# --- Out of the box, and for the operator -------------------------------------------------------


async def test_the_shipped_seed_lets_anyone_book_out_of_the_box(db: Database) -> None:
    h = make_harness(db, at=NOW)
    async with db.transaction() as uow:
        await seed_agenda(uow, h.world.territory, ROOT / "data/opening_hours.yml", h.world.settings.tz)
    h.nlu.learn("je veux un rdv", "book_appointment")
    chat = await onboarded(h, commune="92002")  # Antony
    await chat.send("je veux un rdv")
    assert chat.last.text == "Premier rendez-vous (45 min), à Antony. Quel créneau te va ?"
    await chat.press(chat.labels[0])
    replies = await chat.press("Oui, je réserve")
    assert "10 rue de l'Exemple, 92160 Antony" in replies[0].text


def test_slots_import_and_list_on_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.cli import app

    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.db")
    runner = CliRunner()
    seed = tmp_path / "agenda.yml"
    seed.write_text(AGENDA, encoding="utf-8")
    result = runner.invoke(app, ["slots", "import", str(seed)])
    assert result.exit_code == 0, result.output
    assert "2 agent(s), 5 plage(s) d'ouverture" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("type,id,agent,lieu,motifs,first_day,start_time,end_time\n"
                   "plage,p1,nadia@ml-nanterre.exemple.fr,nanterre-prefecture,suivi,2026-12-01,09:00,12:00\n"
                   "plage,p2,nadia@ml-nanterre.exemple.fr,nulle-part,suivi,2026-12-01,14:00,17:00\n",
                   encoding="utf-8")
    result = runner.invoke(app, ["slots", "import", str(bad)])
    assert result.exit_code == 2
    assert "bad.csv: line 3 (plage p2): lieu: 'nulle-part' is not a lieu" in result.output
    assert read_agenda_file(bad).plages  # the file itself is well formed: the reference is what is wrong
    result = runner.invoke(app, ["slots", "list", "--structure", "ml-nanterre", "--days", "7", "--from",
                                 "2030-01-07"])
    assert result.exit_code == 0, result.output
    assert "Mission locale de Nanterre (nanterre-prefecture)" in result.output
    result = runner.invoke(app, ["slots", "list", "--structure", "ml-nulle-part"])
    assert result.exit_code == 2 and "unknown structure 'ml-nulle-part'" in result.output
