"""Appointments and agendas in the database, on SQLite and PostgreSQL: no double booking, history,
agents, imports, and 50 bookings racing for one slot on PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect

from flows.booking import agenda
from flows.data.opening_hours import import_agenda, read_agenda_file, seed_agenda
from flows.rules.slots import Slot
from storage import Database
from storage.appointments import EXCUSED, MOVED, SEEN
from storage.migrate import downgrade, upgrade
from storage.structures import AgentConflict, Motif
from tests.kit import territory

ROOT = Path(__file__).resolve().parents[2]
PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)  # Tuesday 1 December, 11 h in Paris
BOOKING_TABLES = {"structures", "lieux", "motifs", "agents", "plages_ouverture", "plage_ouverture_motifs",
                  "absences", "appointments", "appointment_history"}


async def seed(db: Database) -> None:
    """The shipped example agendas (data/opening_hours.yml)."""
    async with db.transaction() as uow:
        await seed_agenda(uow, territory(), ROOT / "data/opening_hours.yml", PARIS)


async def people(db: Database, count: int) -> list[int]:
    async with db.transaction() as uow:
        return [(await uow.people.find_or_create("test", f"p{i}", f"p{i}", NOW)).id for i in range(count)]


async def first_slot(
    db: Database, code: str = "premier-accueil", lieu: str = "nanterre-prefecture"
) -> tuple[Motif, Slot]:
    async with db.transaction() as uow:
        motif = await uow.structures.motif_by_code("ml-nanterre", code)
        assert motif is not None
        [slot] = await agenda.offer(uow, lieu_id=lieu, motif=motif, now=NOW, tz=PARIS, count=1)
    return motif, slot


async def test_migration_creates_the_booking_tables_and_removes_them(database_url: str) -> None:
    await asyncio.to_thread(upgrade, database_url)
    database = Database(database_url)
    try:
        async with database.engine.connect() as connection:
            tables = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
            indexes = await connection.run_sync(lambda c: inspect(c).get_indexes("appointments"))
        assert tables >= BOOKING_TABLES
        unique = {i["name"]: i["column_names"] for i in indexes if i["unique"]}
        assert unique["uq_appointments_agent_live_start"] == ["agent_id", "starts_at"]
        await database.dispose()
        await asyncio.to_thread(downgrade, database_url, "0001")
        async with database.engine.connect() as connection:
            tables = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
        assert not tables & BOOKING_TABLES and "people" in tables
        await asyncio.to_thread(upgrade, database_url)
    finally:
        await database.dispose()


async def test_the_seed_gives_every_lieu_something_to_book(db: Database) -> None:
    await seed(db)
    await seed(db)  # idempotent: a second start changes nothing
    async with db.transaction() as uow:
        assert await uow.structures.count_agents() == 12
        for lieu in await uow.structures.lieux():
            motif = await uow.structures.motif_by_code(lieu.structure_id, "premier-accueil")
            assert motif is not None
            assert await agenda.offer(uow, lieu_id=lieu.id, motif=motif, now=NOW, tz=PARIS), lieu.id


async def test_the_database_refuses_two_live_appointments_on_one_agent_at_one_time(db: Database) -> None:
    await seed(db)
    ines, karim = await people(db, 2)
    motif, slot = await first_slot(db)
    common = dict(structure_id="ml-nanterre", lieu_id=slot.lieu_id, motif_id=motif.id, agent_id=slot.agent_id,
                  collective=False, starts_at=slot.starts_at, ends_at=slot.ends_at, now=NOW)
    async with db.transaction() as uow:
        first = await uow.appointments.add(person_id=ines, **common)
        assert first is not None
        # Straight to the database, no check in Python: the partial unique index says no.
        assert await uow.appointments.add(person_id=karim, **common) is None
        # The transaction is still usable after the refusal (the insert ran in a savepoint).
        assert await uow.appointments.count_live() == 1
        await uow.appointments.set_status(first, EXCUSED, NOW)
        # Only live appointments hold the place: once cancelled, it can be booked again.
        assert await uow.appointments.add(person_id=karim, **common) is not None


async def test_a_person_cannot_hold_two_places_at_the_same_moment(db: Database) -> None:
    await seed(db)
    [ines] = await people(db, 1)
    motif, slot = await first_slot(db)
    async with db.transaction() as uow:
        other = await uow.structures.agent_by_email("thomas@ml-nanterre.exemple.fr")
        assert other is not None
        base = dict(structure_id="ml-nanterre", motif_id=motif.id, collective=False, starts_at=slot.starts_at,
                    ends_at=slot.ends_at, now=NOW, person_id=ines)
        assert await uow.appointments.add(lieu_id=slot.lieu_id, agent_id=slot.agent_id, **base) is not None
        assert await uow.appointments.add(lieu_id="rueil-centre", agent_id=other.id, **base) is None


async def test_a_collective_session_takes_people_up_to_its_seats(db: Database) -> None:
    await seed(db)
    ids = await people(db, 9)
    motif, slot = await first_slot(db, "atelier-cv")
    assert motif.max_participants == 8
    booked = []
    for person_id in ids:
        async with db.transaction() as uow:
            booked.append(await agenda.book(uow, person_id=person_id, lieu_id=slot.lieu_id, motif=motif,
                                            starts_at=slot.starts_at, now=NOW, tz=PARIS))
    assert sum(a is not None for a in booked) == 8
    assert booked[-1] is None


async def test_booking_moving_and_cancelling_keep_a_history_and_bump_the_sequence(db: Database) -> None:
    await seed(db)
    [ines] = await people(db, 1)
    motif, slot = await first_slot(db, "suivi")
    async with db.transaction() as uow:
        appointment = await agenda.book(uow, person_id=ines, lieu_id=slot.lieu_id, motif=motif,
                                        starts_at=slot.starts_at, now=NOW, tz=PARIS)
        assert appointment is not None and appointment.sequence == 0
        await uow.appointments.record(appointment, event="booked", by="young", now=NOW)
        later = slot.starts_at + dt.timedelta(days=2)  # Tuesday 15 h to Thursday 15 h
        before = appointment.starts_at
        assert await agenda.move(uow, appointment, starts_at=later, now=NOW, tz=PARIS)
        assert (appointment.starts_at, appointment.sequence) == (later, 1)
        await uow.appointments.record(appointment, event=MOVED, by="young", now=NOW, previous_starts_at=before)
        assert await agenda.cancel(uow, appointment, now=NOW)
        assert not await agenda.cancel(uow, appointment, now=NOW)  # twice: nothing more happens
        await uow.appointments.record(appointment, event="cancelled", by="young", now=NOW, previous_status="unknown")
        history = await uow.appointments.history(appointment.id)
    assert [(h.event, h.status, h.sequence) for h in history] == [
        ("booked", "unknown", 0), ("moved", "unknown", 1), ("cancelled", EXCUSED, 2)]
    assert history[1].previous_starts_at == before
    async with db.transaction() as uow:
        fresh = await uow.appointments.get(appointment.id)
        assert fresh is not None and fresh.uid == appointment.uid and fresh.status == EXCUSED
        with pytest.raises(ValueError):
            await uow.appointments.set_status(fresh, "unknown", NOW)
        assert await uow.appointments.set_status(fresh, SEEN, NOW)


async def test_moving_onto_a_taken_slot_is_refused_and_changes_nothing(db: Database) -> None:
    await seed(db)
    ines, karim = await people(db, 2)
    motif, slot = await first_slot(db, "suivi")
    async with db.transaction() as uow:
        taken = await agenda.book(uow, person_id=ines, lieu_id=slot.lieu_id, motif=motif, starts_at=slot.starts_at,
                                  now=NOW, tz=PARIS)
        later = slot.starts_at + dt.timedelta(days=2)  # Tuesday 15 h to Thursday 15 h
        mine = await agenda.book(uow, person_id=karim, lieu_id=slot.lieu_id, motif=motif, starts_at=later, now=NOW,
                                 tz=PARIS)
        assert taken is not None and mine is not None
        # Nadia and Thomas work at different lieux: at Nanterre only Nadia takes this time.
        assert not await agenda.move(uow, mine, starts_at=slot.starts_at, now=NOW, tz=PARIS)
        assert (mine.starts_at, mine.sequence) == (later, 0)


async def test_agents_are_found_by_telegram_id_or_email(db: Database) -> None:
    await seed(db)
    async with db.transaction() as uow:
        nadia = await uow.structures.upsert_agent(structure_id="ml-nanterre", email="Nadia@ml-nanterre.exemple.fr",
                                                  telegram_id=111)
        assert nadia.display_name == "Nadia (exemple)"  # the seeded agent, found by e-mail, case aside
        again = await uow.structures.upsert_agent(structure_id="ml-nanterre", telegram_id=111, display_name="Nadia B.")
        assert again.id == nadia.id and again.email == "nadia@ml-nanterre.exemple.fr"
        new = await uow.structures.upsert_agent(structure_id="ml-la-defense", telegram_id=222)
        assert new.id != nadia.id and new.email is None
        with pytest.raises(AgentConflict):
            await uow.structures.upsert_agent(structure_id="ml-nanterre", telegram_id=222,
                                              email="nadia@ml-nanterre.exemple.fr")


async def test_an_import_checks_references_and_prunes_what_the_file_dropped(db: Database, tmp_path: Path) -> None:
    await seed(db)
    path = tmp_path / "nanterre.yml"
    path.write_text("""\
plages:
  - id: nadia-nanterre-prefecture-matin
    agent: nadia@ml-nanterre.exemple.fr
    lieu: nanterre-prefecture
    motifs: [suivi]
    first_day: 2026-12-01
    start_time: "10:00"
    end_time: "11:00"
    rrule: FREQ=WEEKLY;BYDAY=MO;UNTIL=20270101
  - id: nadia-rueil
    agent: nadia@ml-nanterre.exemple.fr
    lieu: rueil-centre
    motifs: [suivi]
    first_day: 2026-12-01
    start_time: "14:00"
    end_time: "15:00"
""", encoding="utf-8")
    async with db.transaction() as uow:
        report = await import_agenda(uow, read_agenda_file(path), PARIS, prune=True)
        # ml-nanterre had 5 plages: 1 kept (updated), 4 pruned, 1 new; its absences are not in question.
        assert (report.plages, report.pruned_plages, report.pruned_absences) == (2, 4, 0)
        plages = await uow.structures.plages(first_day=dt.date(2026, 12, 1), last_day=dt.date(2027, 1, 31),
                                             structure_id="ml-nanterre")
        assert sorted(p.ref for p in plages) == ["nadia-nanterre-prefecture-matin", "nadia-rueil"]
        assert await uow.structures.plages(first_day=dt.date(2026, 12, 1), last_day=dt.date(2027, 1, 31),
                                           structure_id="ml-boucle-nord")  # other structures untouched
    path.write_text(path.read_text().replace("rueil-centre", "gennevilliers-centre"), encoding="utf-8")
    from flows.data.datafile import DataFileError

    with pytest.raises(DataFileError, match=r"line 10 \(plage nadia-rueil\): lieu: 'gennevilliers-centre' belongs"):
        async with db.transaction() as uow:
            await import_agenda(uow, read_agenda_file(path), PARIS)


async def test_many_attempts_on_one_slot_give_one_appointment(db: Database) -> None:
    await seed(db)
    ids = await people(db, 20)
    motif, slot = await first_slot(db)

    async def attempt(person_id: int) -> bool:
        async with db.transaction() as uow:
            return await agenda.book(uow, person_id=person_id, lieu_id=slot.lieu_id, motif=motif,
                                     starts_at=slot.starts_at, now=NOW, tz=PARIS) is not None

    results = await asyncio.gather(*(attempt(i) for i in ids))
    assert sum(results) == 1
    async with db.transaction() as uow:
        assert await uow.appointments.count_live() == 1


# --- PostgreSQL: 50 separate connections racing ---------------------------------------------------


async def _race(pg_url: str, count: int, attempt_in: object) -> list[bool]:
    """Open ``count`` connections, start a transaction on each, then let them all go at once."""
    databases = [Database(pg_url) for _ in range(count)]
    ready = asyncio.Barrier(count)

    async def one(index: int) -> bool:
        async with databases[index].transaction() as uow:
            await uow.session.connection()  # the connection is taken and the transaction begun
            await ready.wait()
            return await attempt_in(uow, index)  # type: ignore[operator]

    try:
        return list(await asyncio.gather(*(one(i) for i in range(count))))
    finally:
        await asyncio.gather(*(d.dispose() for d in databases))


@pytest.mark.postgres
async def test_fifty_concurrent_bookings_of_one_slot_on_postgresql_give_exactly_one(pg_url: str) -> None:
    await asyncio.to_thread(upgrade, pg_url)
    db = Database(pg_url)
    try:
        await seed(db)
        ids = await people(db, 50)
        motif, slot = await first_slot(db)
    finally:
        await db.dispose()

    async def book(uow, index: int) -> bool:  # type: ignore[no-untyped-def]
        found = await agenda.book(uow, person_id=ids[index], lieu_id=slot.lieu_id, motif=motif,
                                  starts_at=slot.starts_at, now=NOW, tz=PARIS)
        return found is not None

    results = await _race(pg_url, 50, book)
    assert sum(results) == 1
    db = Database(pg_url)
    try:
        async with db.transaction() as uow:
            assert await uow.appointments.count_live() == 1
            live = await uow.appointments.live_between(agent_ids=[slot.agent_id], starts_at=slot.starts_at,
                                                       ends_at=slot.ends_at)
        assert [(a.starts_at, a.agent_id) for a in live] == [(slot.starts_at, slot.agent_id)]
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_fifty_concurrent_raw_inserts_are_stopped_by_the_unique_index_alone(pg_url: str) -> None:
    """No lock, no re-check in Python: the database itself keeps one appointment per agent and time."""
    await asyncio.to_thread(upgrade, pg_url)
    db = Database(pg_url)
    try:
        await seed(db)
        ids = await people(db, 50)
        motif, slot = await first_slot(db)
    finally:
        await db.dispose()

    async def insert(uow, index: int) -> bool:  # type: ignore[no-untyped-def]
        found = await uow.appointments.add(
            person_id=ids[index], structure_id="ml-nanterre", lieu_id=slot.lieu_id, motif_id=motif.id,
            agent_id=slot.agent_id, collective=False, starts_at=slot.starts_at, ends_at=slot.ends_at, now=NOW,
        )
        return found is not None

    assert sum(await _race(pg_url, 50, insert)) == 1


@pytest.mark.postgres
async def test_thirty_concurrent_bookings_of_a_workshop_on_postgresql_fill_its_seats_exactly(pg_url: str) -> None:
    await asyncio.to_thread(upgrade, pg_url)
    db = Database(pg_url)
    try:
        await seed(db)
        ids = await people(db, 30)
        motif, slot = await first_slot(db, "atelier-cv")
    finally:
        await db.dispose()

    async def book(uow, index: int) -> bool:  # type: ignore[no-untyped-def]
        found = await agenda.book(uow, person_id=ids[index], lieu_id=slot.lieu_id, motif=motif,
                                  starts_at=slot.starts_at, now=NOW, tz=PARIS)
        return found is not None

    assert sum(await _race(pg_url, 30, book)) == motif.max_participants == 8
