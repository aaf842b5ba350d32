"""Slot computation: recurrence, absences, appointments, holidays, booking delays, DST; agenda files."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from flows.data.datafile import DataFileError
from flows.data.opening_hours import read_agenda_file
from flows.rules.slots import (
    Busy,
    MotifRules,
    Opening,
    RRuleError,
    compute_slots,
    first_per_start,
    in_part_of_day,
    normalise_rrule,
    occurrence_days,
)

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC
HALF_HOUR = MotifRules(motif_id=1, duration=dt.timedelta(minutes=30))


def at(text: str) -> dt.datetime:
    """A Paris wall-clock time, "2026-12-07 09:00", as an aware UTC datetime."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=PARIS).astimezone(UTC)


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def weekly(days: str, start: str, end: str, *, first_day: str = "2026-01-05", until: str = "20271231",
           agent: int = 1, extra: str = "") -> Opening:
    rule, _ = normalise_rrule(f"FREQ=WEEKLY;BYDAY={days};UNTIL={until}{extra}", dt.date.fromisoformat(first_day))
    return Opening(agent, "nanterre-prefecture", dt.date.fromisoformat(first_day), dt.time.fromisoformat(start),
                   dt.time.fromisoformat(end), rule)


def local_starts(slots: list, tz: ZoneInfo = PARIS) -> list[str]:
    return [s.starts_at.astimezone(tz).strftime("%a %d %H:%M") for s in slots]


# --- Recurrence -----------------------------------------------------------------------------------


def test_a_weekly_plage_occurs_on_its_days_from_its_first_day_to_its_end_date_included() -> None:
    plage = weekly("MO,TH", "09:00", "10:00", first_day="2026-12-03", until="20261217")
    days = list(occurrence_days(plage, dt.date(2026, 11, 1), dt.date(2027, 1, 31)))
    assert days == [dt.date(2026, 12, 3), dt.date(2026, 12, 7), dt.date(2026, 12, 10), dt.date(2026, 12, 14),
                    dt.date(2026, 12, 17)]


def test_every_other_week_and_a_single_day_plage() -> None:
    fortnightly = weekly("TU", "09:00", "10:00", first_day="2026-12-01", until="20270131", extra=";INTERVAL=2")
    days = list(occurrence_days(fortnightly, dt.date(2026, 12, 1), dt.date(2026, 12, 31)))
    assert days == [dt.date(2026, 12, 1), dt.date(2026, 12, 15), dt.date(2026, 12, 29)]
    once = Opening(1, "x", dt.date(2026, 12, 9), dt.time(9), dt.time(10), None)
    assert list(occurrence_days(once, dt.date(2026, 12, 1), dt.date(2026, 12, 31))) == [dt.date(2026, 12, 9)]
    assert list(occurrence_days(once, dt.date(2026, 12, 10), dt.date(2026, 12, 31))) == []


def test_a_plage_is_cut_by_the_motif_duration_and_a_slot_never_runs_past_its_end() -> None:
    plage = weekly("MO", "09:00", "11:00")
    forty_five = MotifRules(motif_id=1, duration=dt.timedelta(minutes=45))
    slots = compute_slots([plage], forty_five, [], now=at("2026-12-01 08:00"), tz=PARIS,
                          until=at("2026-12-08 00:00"))
    assert local_starts(slots) == ["Mon 07 09:00", "Mon 07 09:45"]  # 10:30 + 45 min would end at 11:15
    assert all(s.ends_at - s.starts_at == dt.timedelta(minutes=45) for s in slots)


def test_slots_stay_within_the_booking_delays() -> None:
    plage = weekly("MO,TU,WE,TH,FR", "09:00", "12:00")
    rules = MotifRules(motif_id=1, duration=dt.timedelta(hours=1), min_delay=dt.timedelta(hours=24),
                       max_delay=dt.timedelta(days=3))
    now = at("2026-12-01 10:30")  # a Tuesday
    slots = compute_slots([plage], rules, [], now=now, tz=PARIS)
    assert slots[0].starts_at == at("2026-12-02 11:00")  # not before now + 24 h
    assert slots[-1].starts_at == at("2026-12-04 10:00")  # not after now + 3 days
    assert all(now + rules.min_delay <= s.starts_at <= now + rules.max_delay for s in slots)


def test_rrules_are_checked_and_stored_with_an_inclusive_end_date() -> None:
    start = dt.date(2026, 9, 7)
    assert normalise_rrule("RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20270630", start) == (
        "FREQ=WEEKLY;BYDAY=MO;UNTIL=20270630T235959", dt.date(2027, 6, 30))
    assert normalise_rrule("freq=weekly;byday=mo,tu;until=20270630T000000Z", start)[1] == dt.date(2027, 6, 30)
    for bad, reason in (
        ("FREQ=DAILY;UNTIL=20270630", "FREQ=WEEKLY"),
        ("FREQ=WEEKLY;COUNT=10", "UNTIL"),
        ("FREQ=WEEKLY;BYDAY=MO", "end date"),
        ("FREQ=WEEKLY;UNTIL=20260101", "before the first day"),
        ("FREQ=WEEKLY;BYDAY=XX;UNTIL=20270630", "."),
    ):
        with pytest.raises(RRuleError, match=reason):
            normalise_rrule(bad, start)


# --- Minus absences, appointments and holidays ----------------------------------------------------


def test_an_absence_removes_the_slots_it_overlaps_for_that_agent_only() -> None:
    nadia, thomas = weekly("MO", "09:00", "11:00", agent=1), weekly("MO", "09:00", "11:00", agent=2)
    away = Busy(at("2026-12-07 09:15"), at("2026-12-07 10:00"), agent_id=1)
    slots = compute_slots([nadia, thomas], HALF_HOUR, [away], now=at("2026-12-01 08:00"), tz=PARIS,
                          until=at("2026-12-08 00:00"))
    by_agent = {agent: local_starts([s for s in slots if s.agent_id == agent]) for agent in (1, 2)}
    assert by_agent[1] == ["Mon 07 10:00", "Mon 07 10:30"]
    assert by_agent[2] == ["Mon 07 09:00", "Mon 07 09:30", "Mon 07 10:00", "Mon 07 10:30"]


def test_a_closure_of_the_structure_removes_every_agent_s_slots() -> None:
    plages = [weekly("MO,TU", "09:00", "10:00", agent=1), weekly("MO,TU", "09:00", "10:00", agent=2)]
    closed = Busy(at("2026-12-07 00:00"), at("2026-12-08 00:00"), agent_id=None)
    slots = compute_slots(plages, HALF_HOUR, [closed], now=at("2026-12-06 08:00"), tz=PARIS,
                          until=at("2026-12-09 00:00"))
    assert {s.starts_at.astimezone(PARIS).date() for s in slots} == {dt.date(2026, 12, 8)}


def test_booked_appointments_take_their_slot_and_a_longer_one_its_neighbours() -> None:
    plage = weekly("MO", "09:00", "11:00")
    booked = [Busy(at("2026-12-07 09:00"), at("2026-12-07 09:30"), agent_id=1, motif_id=1),
              Busy(at("2026-12-07 10:00"), at("2026-12-07 10:45"), agent_id=1, motif_id=2)]
    slots = compute_slots([plage], HALF_HOUR, booked, now=at("2026-12-01 08:00"), tz=PARIS,
                          until=at("2026-12-08 00:00"))
    assert local_starts(slots) == ["Mon 07 09:30"]


def test_a_collective_session_counts_its_seats() -> None:
    workshop = MotifRules(motif_id=7, duration=dt.timedelta(hours=2), seats=3)
    plage = weekly("WE", "14:00", "16:00")
    one = Busy(at("2026-12-09 14:00"), at("2026-12-09 16:00"), agent_id=1, motif_id=7)
    now = at("2026-12-03 08:00")  # the next session is on Wednesday 9 December
    until = at("2026-12-10 00:00")
    [slot] = compute_slots([plage], workshop, [one, one], now=now, tz=PARIS, until=until)
    assert slot.seats_left == 1
    assert compute_slots([plage], workshop, [one, one, one], now=now, tz=PARIS, until=until) == []
    individual = Busy(at("2026-12-09 15:00"), at("2026-12-09 15:30"), agent_id=1, motif_id=1)
    assert compute_slots([plage], workshop, [individual], now=now, tz=PARIS, until=until) == []


def test_french_public_holidays_are_never_offered() -> None:
    plage = weekly("MO,TU,WE,TH,FR", "09:00", "10:00")
    slots = compute_slots([plage], HALF_HOUR, [], now=at("2026-12-21 08:00"), tz=PARIS,
                          until=at("2027-01-05 00:00"))
    days = {s.starts_at.astimezone(PARIS).date() for s in slots}
    assert dt.date(2026, 12, 24) in days
    assert dt.date(2026, 12, 25) not in days  # Noël
    assert dt.date(2027, 1, 1) not in days  # Jour de l'an
    may = compute_slots([plage], HALF_HOUR, [], now=at("2027-04-30 08:00"), tz=PARIS, until=at("2027-05-15 00:00"))
    may_days = {s.starts_at.astimezone(PARIS).date() for s in may}
    assert dt.date(2027, 5, 6) not in may_days  # Ascension 2027
    assert {dt.date(2027, 5, 5), dt.date(2027, 5, 7)} <= may_days


# --- Daylight saving time: both changes of 2026 and of 2027 ---------------------------------------


@pytest.mark.parametrize(
    ("friday", "after", "winter_side"),
    [
        ("2026-03-27", "2026-03-30", "before"),  # clocks go forward on Sunday 29 March 2026
        ("2026-10-23", "2026-10-26", "after"),  # clocks go back on Sunday 25 October 2026
        ("2027-03-26", "2027-03-30", "before"),  # forward on Sunday 28 March 2027 (Monday 29th is Easter Monday)
        ("2027-10-29", "2027-11-02", "after"),  # back on Sunday 31 October 2027 (Monday 1st is Toussaint)
    ],
)
def test_a_weekly_plage_keeps_its_wall_clock_time_across_dst(friday: str, after: str, winter_side: str) -> None:
    plage = weekly("MO,TU,FR", "09:00", "10:00")
    slots = compute_slots([plage], HALF_HOUR, [], now=at(f"{friday} 00:00"), tz=PARIS,
                          until=at(f"{after} 23:00"))
    firsts = [s for s in slots if s.starts_at.astimezone(PARIS).strftime("%H:%M") == "09:00"]
    assert [s.starts_at.astimezone(PARIS).date().isoformat() for s in firsts] == [friday, after]
    winter, summer = utc(f"{friday} 08:00"), utc(f"{after} 07:00")
    if winter_side == "after":
        winter, summer = utc(f"{after} 08:00"), utc(f"{friday} 07:00")
    assert {s.starts_at for s in firsts} == {winter, summer}  # 9 h CET = 8 h UTC, 9 h CEST = 7 h UTC
    assert all(s.ends_at - s.starts_at == dt.timedelta(minutes=30) for s in slots)


@pytest.mark.parametrize("sunday", ["2026-03-29", "2027-03-28"])
def test_the_hour_that_does_not_exist_is_skipped(sunday: str) -> None:
    night = weekly("SU", "01:00", "04:00")
    slots = compute_slots([night], HALF_HOUR, [], now=at(f"{sunday} 00:00"), tz=PARIS, until=at(f"{sunday} 12:00"))
    assert [s.starts_at.astimezone(PARIS).strftime("%H:%M") for s in slots] == ["01:00", "01:30", "03:00", "03:30"]
    # 1 h and 1 h 30 in winter time (UTC+1), 3 h and 3 h 30 in summer time (UTC+2): back to back in real time
    assert [s.starts_at for s in slots] == [utc(f"{sunday} 00:00") + dt.timedelta(minutes=m) for m in (0, 30, 60, 90)]
    assert slots[-1].ends_at == at(f"{sunday} 04:00")  # the plage really is two hours long that night


@pytest.mark.parametrize("sunday", ["2026-10-25", "2027-10-31"])
def test_the_hour_that_happens_twice_is_offered_once_and_slots_never_overlap(sunday: str) -> None:
    night = weekly("SU", "01:00", "04:00")
    day_before = (dt.date.fromisoformat(sunday) - dt.timedelta(days=1)).isoformat()
    slots = compute_slots([night], HALF_HOUR, [], now=at(f"{day_before} 12:00"), tz=PARIS,
                          until=at(f"{sunday} 12:00"))
    walls = [s.starts_at.astimezone(PARIS).strftime("%H:%M") for s in slots]
    assert walls == ["01:00", "01:30", "02:00", "02:30", "03:00", "03:30"]
    assert all(a.ends_at <= b.starts_at for a, b in itertools.pairwise(slots))
    assert slots[2].starts_at == utc(f"{day_before} 00:00") + dt.timedelta(hours=24)  # 2 h CEST = 0 h UTC


# --- Helpers used by the conversation -------------------------------------------------------------


def test_one_slot_per_time_and_parts_of_the_day() -> None:
    plages = [weekly("MO", "09:00", "10:00", agent=1), weekly("MO", "09:00", "10:00", agent=2),
              weekly("MO", "14:00", "15:00", agent=1)]
    slots = compute_slots(plages, HALF_HOUR, [], now=at("2026-12-01 08:00"), tz=PARIS, until=at("2026-12-08 00:00"))
    assert len(slots) == 6
    offered = first_per_start(slots)
    assert local_starts(offered) == ["Mon 07 09:00", "Mon 07 09:30", "Mon 07 14:00", "Mon 07 14:30"]
    assert local_starts([s for s in offered if in_part_of_day(s, "matin", PARIS)]) == ["Mon 07 09:00", "Mon 07 09:30"]
    assert len([s for s in offered if in_part_of_day(s, "apres_midi", PARIS)]) == 2


# --- Agenda files: errors name the line and the field ---------------------------------------------


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_seed_file_is_valid() -> None:
    agenda = read_agenda_file(Path(__file__).resolve().parents[2] / "data/opening_hours.yml")
    assert {m.code for _, m in agenda.motifs} == {"premier-accueil", "suivi", "atelier-cv"}
    assert len(agenda.plages) >= 11 and agenda.agents


def test_a_yaml_error_names_the_line_and_the_field(tmp_path: Path) -> None:
    path = write(tmp_path, "agenda.yml", """\
plages:
  - id: nadia-matin
    agent: nadia@ml.exemple.fr
    lieu: nanterre-prefecture
    motifs: [suivi]
    first_day: 2026-12-01
    start_time: "09:00"
    end_time: "12:00"
    rrule: FREQ=WEEKLY;BYDAY=MO;UNTIL=20270101
  - id: nadia-soir
    agent: nadia@ml.exemple.fr
    lieu: nanterre-prefecture
    motifs: [suivi]
    first_day: 2026-12-01
    start_time: "18:00"
    end_time: "17:00"
""")
    with pytest.raises(DataFileError, match=r"agenda.yml: line 10 \(plage nadia-soir\): end_time: must be after"):
        read_agenda_file(path)


def test_a_bad_rrule_and_an_unknown_key_are_named(tmp_path: Path) -> None:
    path = write(tmp_path, "agenda.yml", """\
plages:
  - id: p1
    agent: nadia@ml.exemple.fr
    lieu: nanterre-prefecture
    motifs: suivi
    first_day: 2026-12-01
    start_time: "09:00"
    end_time: "12:00"
    rrule: FREQ=WEEKLY;COUNT=3
""")
    with pytest.raises(DataFileError, match=r"line 2 \(plage p1\): rrule: give an end date"):
        read_agenda_file(path)
    with pytest.raises(DataFileError, match=r"line 1: plage: unknown key"):
        read_agenda_file(write(tmp_path, "other.yml", "plage: []\n"))


def test_a_csv_error_names_the_line_and_the_field(tmp_path: Path) -> None:
    path = write(tmp_path, "agenda.csv", """\
type,id,agent,structure,lieu,motifs,first_day,end_day,start_time,end_time,rrule,title
plage,nadia-matin,nadia@ml.exemple.fr,,nanterre-prefecture,premier-accueil|suivi,2026-12-01,,09:00,12:00,FREQ=WEEKLY;BYDAY=MO;UNTIL=20270101,
absence,conges,nadia@ml.exemple.fr,,,,2026-12-32,,,,,Congés
""")
    with pytest.raises(DataFileError, match=r"agenda.csv: line 3 \(absence conges\): first_day: "):
        read_agenda_file(path)
    good = write(tmp_path, "good.csv", path.read_text().replace("2026-12-32", "2026-12-24"))
    agenda = read_agenda_file(good)
    assert [p.motifs for _, p in agenda.plages] == [["premier-accueil", "suivi"]]
    assert [a.id for _, a in agenda.absences] == ["conges"]
    with pytest.raises(DataFileError, match=r"line 2 \(absence x\): agent: give either an agent or a structure"):
        read_agenda_file(write(tmp_path, "both.csv", "type,id,first_day\nabsence,x,2026-12-24\n"))
