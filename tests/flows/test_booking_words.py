"""Booking in words: days ruled out, a time alone, parts of the day, "plutôt jeudi" — with the REAL NLU.

Every message here goes through the embedded NLU (trained from nlu/data, cached in a temporary folder),
so these tests say something about understanding, unlike the scripted NLU of tests/kit.py.
Tuesday 1 December 2026, 11 h in Paris; the agenda is tests/flows/test_booking.py's.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from flows.booking import agenda
from flows.data.opening_hours import seed_agenda
from flows.rules.slots import Slot, in_part_of_day
from nlu.embedded import EmbeddedBackend
from storage import Database
from tests.flows.test_booking import AGENDA, FIRST_FOUR, NOW, onboarded
from tests.kit import Chat, Harness, make_harness

PARIS = ZoneInfo("Europe/Paris")
# One-hour slots from 8 h to 19 h every weekday: every boundary of the parts of the day is a slot.
LONG_DAYS = """\
motifs:
  - {code: premier-accueil, name: Premier rendez-vous, duration_minutes: 60, min_delay_hours: 24, max_delay_days: 42}
agents:
  - {email: nadia@ml-nanterre.exemple.fr, structure: ml-nanterre, name: Nadia}
plages:
  - {id: nadia-journee, agent: nadia@ml-nanterre.exemple.fr, lieu: nanterre-prefecture, motifs: [premier-accueil],
     first_day: 2026-11-02, start_time: "08:00", end_time: "19:00",
     rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20270630"}
"""


@pytest.fixture
def embedded(real_nlu: EmbeddedBackend) -> EmbeddedBackend:
    """The run's embedded NLU (tests/conftest.py)."""
    return real_nlu


async def _harness(db: Database, embedded: EmbeddedBackend, tmp_path: Path, agenda_text: str) -> Harness:
    h = make_harness(db, nlu=embedded, at=NOW)
    path = tmp_path / "agenda.yml"
    path.write_text(agenda_text, encoding="utf-8")
    async with db.transaction() as uow:
        await seed_agenda(uow, h.world.territory, path, h.world.settings.tz)
    return h


@pytest.fixture
async def harness(db: Database, embedded: EmbeddedBackend, tmp_path: Path) -> Harness:
    return await _harness(db, embedded, tmp_path, AGENDA)


async def booked_next_week(h: Harness) -> Chat:
    """Someone with an appointment on Thursday 10 December, 9 h 45 (it can be moved), back home."""
    chat = await onboarded(h)
    await chat.send("je veux un rdv")
    await chat.send("jeudi 10")
    await chat.press("jeudi 10 déc. 9 h 45")
    replies = await chat.press("Oui, je réserve")
    assert replies[0].text.startswith("C'est réservé ! Premier rendez-vous le jeudi 10 décembre à 9 h 45.")
    return chat


async def moving(h: Harness) -> Chat:
    """The same person, choosing a new time for it."""
    chat = await booked_next_week(h)
    await chat.command("rdv")
    await chat.press("Le déplacer")
    assert chat.labels[:4] == FIRST_FOUR
    return chat


def times_of(chat: Chat) -> list[str]:
    return [label for label in chat.labels if label[0].islower() and " déc. " in label]


# --- Days ruled out ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ruled_out", "first"),
    [
        ("je peux pas mardi, tu peux le mettre jeudi matin ?", ["mardi 8 décembre"], "jeudi 3 déc. 9 h"),
        ("sauf mercredi", ["mercredi 2 décembre"], "jeudi 3 déc. 9 h"),
        ("pas le jeudi", ["jeudi 3 décembre"], "mercredi 2 déc. 11 h 15"),
        ("jeudi c'est pas possible", ["jeudi 3 décembre"], "mercredi 2 déc. 11 h 15"),
        ("mercredi, je peux pas", ["mercredi 2 décembre"], "jeudi 3 déc. 9 h"),
        ("je suis pas dispo mercredi", ["mercredi 2 décembre"], "jeudi 3 déc. 9 h"),
        ("je bosse jeudi", ["jeudi 3 décembre"], "mercredi 2 déc. 11 h 15"),
        ("ni mercredi ni jeudi", ["mercredi 2 décembre", "jeudi 3 décembre"], "vendredi 4 déc. 9 h"),
        ("mercredi et jeudi je peux pas", ["mercredi 2 décembre", "jeudi 3 décembre"], "vendredi 4 déc. 9 h"),
    ],
)
async def test_a_day_ruled_out_is_left_out_never_chosen(
    harness: Harness, text: str, ruled_out: list[str], first: str,
) -> None:
    chat = await moving(harness)
    replies = await chat.send(text)
    assert replies[-1].text.startswith("C'est noté : pas le " + ", ni le ".join(ruled_out) + ".")
    shown = times_of(chat)
    assert shown[0] == first
    for day in ruled_out:
        weekday, number, _ = day.split()
        assert not [label for label in shown if label.startswith(f"{weekday} {number} ")]


async def test_ruled_out_days_add_up_and_a_day_named_again_comes_back(harness: Harness) -> None:
    chat = await onboarded(harness)
    await chat.send("je veux un rdv")
    await chat.send("je peux pas mercredi")
    assert times_of(chat)[0] == "jeudi 3 déc. 9 h"
    await chat.send("jeudi non plus")
    assert times_of(chat)[0] == "vendredi 4 déc. 9 h"
    await chat.send("bon finalement mercredi")
    assert times_of(chat)[0] == "mercredi 2 déc. 11 h 15"


@pytest.mark.parametrize(
    "text", ["pourquoi pas jeudi", "pas de souci pour jeudi", "jeudi ça me gêne pas", "je bosse pas jeudi"])
async def test_words_that_only_look_negative_choose_the_day(harness: Harness, text: str) -> None:
    chat = await moving(harness)
    await chat.send(text)
    assert times_of(chat)[0] == "jeudi 3 déc. 9 h"
    assert not any(t.startswith("C'est noté") for t in chat.texts)


# --- A time alone is a time of the day shown ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10h", "Pas de place le jeudi 10 décembre à 10 h. Voici les plus proches."),
        ("vers 15h", "Pas de place le jeudi 10 décembre à 15 h. Voici les plus proches."),
        ("à 14h", "Premier rendez-vous (45 min), à Nanterre. Quel créneau te va ?"),
    ],
)
async def test_a_time_alone_is_on_the_day_shown(harness: Harness, text: str, expected: str) -> None:
    chat = await onboarded(harness)
    await chat.send("je veux un rdv")
    await chat.send("jeudi 10")  # Thursday 10 December is shown
    replies = await chat.send(text)
    assert replies[-1].text.startswith(expected)
    assert times_of(chat)[0].startswith("jeudi 10 déc. ")


async def test_a_time_alone_that_is_shown_goes_to_the_confirmation(harness: Harness) -> None:
    chat = await onboarded(harness)
    await chat.send("je veux un rdv")
    await chat.send("jeudi 10")
    await chat.send("10h30")
    assert chat.last.text == "Premier rendez-vous le jeudi 10 décembre à 10 h 30, à Nanterre. Je réserve ?"


async def test_a_time_alone_while_confirming_a_move_keeps_its_day(harness: Harness) -> None:
    chat = await moving(harness)
    await chat.press("jeudi 3 déc. 9 h")
    await chat.send("plutôt 10h30")
    assert chat.last.text == "Je déplace ton rendez-vous au jeudi 3 décembre à 10 h 30 ?"


# --- Parts of the day: morning 8 h - 12 h, afternoon 13 h - 18 h ---------------------------------


@pytest.fixture
async def long_days(db: Database, embedded: EmbeddedBackend, tmp_path: Path) -> Harness:
    return await _harness(db, embedded, tmp_path, LONG_DAYS)


async def test_the_afternoon_starts_at_13h_and_the_morning_ends_before_noon(long_days: Harness) -> None:
    chat = await onboarded(long_days)
    await chat.send("je veux un rdv")
    assert times_of(chat)[:3] == ["mercredi 2 déc. 11 h", "mercredi 2 déc. 12 h", "mercredi 2 déc. 13 h"]
    replies = await chat.send("plutôt l'après-midi")
    assert replies[-1].text == "Premier rendez-vous (1 h), à Nanterre. Quel créneau te va ?"  # no "12 h" asked
    assert times_of(chat)[0] == "mercredi 2 déc. 13 h"
    await chat.send("plutôt le matin")
    assert times_of(chat)[:3] == ["mercredi 2 déc. 11 h", "jeudi 3 déc. 8 h", "jeudi 3 déc. 9 h"]
    await chat.send("je peux pas le matin")  # ruling the morning out leaves the afternoon
    assert times_of(chat)[0] == "mercredi 2 déc. 13 h"


async def test_offer_keeps_the_boundaries_of_the_parts_of_the_day(long_days: Harness) -> None:
    async with long_days.db.transaction() as uow:
        [motif] = await uow.structures.motifs("ml-nanterre", public_only=True)
        since = dt.datetime(2026, 12, 3, 0, 0, tzinfo=PARIS)
        walls = {}
        for part in ("matin", "apres_midi"):
            slots = await agenda.offer(uow, lieu_id="nanterre-prefecture", motif=motif, now=NOW, tz=PARIS,
                                       since=since, part_of_day=part, count=20)
            walls[part] = [s.starts_at.astimezone(PARIS).strftime("%H:%M") for s in slots
                           if s.starts_at.astimezone(PARIS).date() == since.date()]
    assert walls == {"matin": ["08:00", "09:00", "10:00", "11:00"],
                     "apres_midi": ["13:00", "14:00", "15:00", "16:00", "17:00"]}


@pytest.mark.parametrize(
    ("wall", "matin", "apres_midi"),
    [("07:59", False, False), ("08:00", True, False), ("11:59", True, False), ("12:00", False, False),
     ("12:59", False, False), ("13:00", False, True), ("17:59", False, True), ("18:00", False, False)],
)
def test_parts_of_the_day_boundaries(wall: str, matin: bool, apres_midi: bool) -> None:
    starts = dt.datetime.combine(dt.date(2026, 12, 3), dt.time.fromisoformat(wall), tzinfo=PARIS).astimezone(dt.UTC)
    slot = Slot(starts, 1, "nanterre-prefecture", starts + dt.timedelta(minutes=30))
    assert (in_part_of_day(slot, "matin", PARIS), in_part_of_day(slot, "apres_midi", PARIS)) == (matin, apres_midi)
    assert in_part_of_day(slot, None, PARIS)


# --- "plutôt jeudi" works in the move as in the first booking ------------------------------------


async def test_plutot_jeudi_while_choosing_a_new_time(harness: Harness) -> None:
    chat = await moving(harness)
    await chat.send("plutôt jeudi")
    assert times_of(chat) == ["jeudi 3 déc. 9 h", "jeudi 3 déc. 9 h 45", "jeudi 3 déc. 10 h 30", "jeudi 3 déc. 11 h 15"]


async def test_plutot_jeudi_while_confirming(harness: Harness) -> None:
    chat = await moving(harness)
    await chat.press("mercredi 2 déc. 11 h 15")
    assert chat.last.text == "Je déplace ton rendez-vous au mercredi 2 décembre à 11 h 15 ?"
    await chat.send("plutôt jeudi")
    assert chat.last.text == "Quel autre créneau te va, à Nanterre ?"
    assert times_of(chat)[0] == "jeudi 3 déc. 9 h"
    await chat.press("jeudi 3 déc. 9 h")
    replies = await chat.press("Oui, je déplace")
    assert replies[0].text.startswith("C'est fait ! Ton rendez-vous est maintenant le jeudi 3 décembre à 9 h.")


async def test_plutot_jeudi_while_confirming_a_first_booking(harness: Harness) -> None:
    chat = await onboarded(harness)
    await chat.send("je veux un rdv")
    await chat.press("mercredi 2 déc. 11 h 15")
    await chat.send("plutôt jeudi")
    assert times_of(chat)[0] == "jeudi 3 déc. 9 h"


async def test_plutot_jeudi_when_told_there_is_already_an_appointment(harness: Harness) -> None:
    chat = await moving(harness)
    await chat.send("je veux un rdv")  # asked again in the middle of the move
    assert chat.last.text == "Tu as déjà rendez-vous le jeudi 10 décembre à 9 h 45."
    assert chat.labels == ["Le déplacer", "Un autre rendez-vous"]
    replies = await chat.send("plutôt jeudi")
    assert [r.text for r in replies] == ["Ton rendez-vous est le jeudi 10 décembre à 9 h 45.",
                                         "Quel autre créneau te va, à Nanterre ?"]
    assert times_of(chat)[0] == "jeudi 3 déc. 9 h"


@pytest.mark.parametrize("text", ["jeudi ça me dérange pas", "mercredi et jeudi c'est mort"])
async def test_a_day_said_in_strong_words_is_an_answer_not_a_cry_for_help(harness: Harness, text: str) -> None:
    chat = await moving(harness)
    await chat.send(text)
    assert not any(reply.startswith("Je suis là. Ce que tu vis compte.") for reply in chat.texts)
