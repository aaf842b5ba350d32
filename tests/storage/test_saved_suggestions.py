"""Saved suggestions, the same tests on SQLite and on PostgreSQL; the 0003 migration up and down."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import inspect, text

from storage import Database
from storage.migrate import downgrade, upgrade

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


async def _person(db: Database, external_id: str = "42") -> int:
    async with db.transaction() as uow:
        person = await uow.people.find_or_create("telegram", external_id, external_id, NOW)
        return person.id


async def test_saving_twice_keeps_one_row(db: Database) -> None:
    person_id = await _person(db)
    async with db.transaction() as uow:
        first = await uow.suggestions.save(person_id, "pg-e2c", "programme", "École de la 2e chance (E2C)", NOW)
        again = await uow.suggestions.save(person_id, "pg-e2c", "programme", "École de la 2e chance (E2C)",
                                           NOW + dt.timedelta(minutes=5))
    assert (first, again) == (True, False)
    async with db.transaction() as uow:
        saved = await uow.suggestions.for_person(person_id)
        assert await uow.suggestions.is_saved(person_id, "pg-e2c")
        assert not await uow.suggestions.is_saved(person_id, "tr-bafa")
    assert [(s.entry_id, s.kind, s.title, s.saved_at) for s in saved] == [
        ("pg-e2c", "programme", "École de la 2e chance (E2C)", NOW)
    ]


async def test_the_handoff_reads_them_oldest_first_and_per_person(db: Database) -> None:
    ines, karim = await _person(db, "1"), await _person(db, "2")
    async with db.transaction() as uow:
        await uow.suggestions.save(ines, "tr-bafa", "training", "BAFA", NOW + dt.timedelta(hours=1))
        await uow.suggestions.save(ines, "sv-115", "service", "115", NOW)
        await uow.suggestions.save(karim, "pg-cej", "programme", "CEJ", NOW)
    async with db.transaction() as uow:
        assert [s.entry_id for s in await uow.suggestions.for_person(ines)] == ["sv-115", "tr-bafa"]
        assert [s.entry_id for s in await uow.suggestions.for_person(karim)] == ["pg-cej"]


async def test_the_title_is_encrypted_at_rest(db: Database) -> None:
    person_id = await _person(db)
    async with db.transaction() as uow:
        await uow.suggestions.save(person_id, "sv-mda-ecoute", "service", "Écoute et soins à la Maison des ados", NOW)
    async with db.engine.connect() as connection:
        stored = (await connection.execute(text("SELECT title, entry_id FROM saved_suggestions"))).one()
    assert "Maison" not in stored.title and stored.entry_id == "sv-mda-ecoute"


async def test_forget_and_erasure(db: Database) -> None:
    person_id = await _person(db)
    async with db.transaction() as uow:
        for entry in ("a", "b", "c"):
            await uow.suggestions.save(person_id, entry, "job", entry.upper(), NOW)
    async with db.transaction() as uow:
        assert await uow.suggestions.forget(person_id, "a") is True
        assert await uow.suggestions.forget(person_id, "a") is False
        assert await uow.suggestions.delete_for_person(person_id) == 2
        assert await uow.suggestions.for_person(person_id) == []


async def test_rows_go_with_the_person(db: Database) -> None:
    person_id = await _person(db)
    async with db.transaction() as uow:
        await uow.suggestions.save(person_id, "pg-cej", "programme", "CEJ", NOW)
        person = await uow.people.get(person_id)
        assert person is not None
        await uow.people.delete(person)
    async with db.engine.connect() as connection:
        count = (await connection.execute(text("SELECT count(*) FROM saved_suggestions"))).scalar()
    assert count == 0


async def test_migration_0003_up_down_and_up_again(database_url: str) -> None:
    async def tables() -> set[str]:
        database = Database(database_url)
        try:
            async with database.engine.connect() as connection:
                return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
        finally:
            await database.dispose()

    await asyncio.to_thread(upgrade, database_url, "0003")
    assert "saved_suggestions" in await tables()
    await asyncio.to_thread(downgrade, database_url, "0002")
    assert "saved_suggestions" not in await tables() and "people" in await tables()
    await asyncio.to_thread(upgrade, database_url)
    assert "saved_suggestions" in await tables()
