"""Export and erasure across every table, on SQLite and on PostgreSQL.

The scan after an erasure reads the database as it is (tables reflected, every column, encrypted
values decrypted), not a list of tables written here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json

from sqlalchemy import inspect, select, text

from storage import Database
from storage.erasure import (
    ANONYMISED,
    NOT_PERSONAL,
    UNCOVERED,
    coverage,
    encrypted_columns,
    find_traces,
    person_columns,
    personal_tables,
)
from storage.migrate import downgrade, upgrade
from storage.models import metadata
from storage.outbox import OutboxMessage
from storage.stats import DailyCounter
from tests.kit import make_harness
from tests.privacy_kit import inbox_chat, raw_matches, realistic_profile, scan

MAELYS, BILAL = "7301234567", "7309876543"  # made-up Telegram ids


# --- Every table is covered -----------------------------------------------------------------


def test_every_table_is_erased_anonymised_or_declared_impersonal() -> None:
    found = coverage()
    uncovered = [name for name, kind in found.items() if kind == UNCOVERED]
    assert not uncovered, (
        f"{uncovered}: give each a person_id column (erased with the person), or declare it "
        "__table_args__ = {'info': {'personal': False, 'why': ...}} if it holds nothing about a young person"
    )
    assert found["people"] == "the person"
    assert {"message_log", "outbox", "inbox", "conversations", "consents"} <= {
        name for name, kind in found.items() if kind == "deleted"
    }


def test_anonymised_tables_can_lose_their_person_and_clear_what_they_say() -> None:
    for name, cleared in ANONYMISED.items():
        table = metadata.tables[name]
        assert person_columns(table), f"{name} is listed as anonymised but has no person column"
        for column in [*person_columns(table), *(table.c[c] for c in cleared)]:
            assert column.nullable, f"{name}.{column.name} must be nullable to be anonymised"
        assert not [c for c in table.columns if c.name in {"first_name", "chat_id", "external_id"}]
    assert not set(NOT_PERSONAL) & set(ANONYMISED)


def test_free_text_is_only_encrypted_in_tables_about_a_person() -> None:
    personal = {t.name for t in personal_tables()}
    for table, column in encrypted_columns():
        assert table.name in personal, f"{table.name}.{column.name} is encrypted free text with no person_id"


async def test_the_database_has_no_table_the_models_do_not_know(db: Database) -> None:
    async with db.engine.connect() as connection:
        tables = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    assert tables - {"alembic_version"} == set(metadata.tables), "a migration creates a table without a model"


# --- Export ---------------------------------------------------------------------------------


async def test_export_lists_every_table_with_the_text_decrypted(db: Database) -> None:
    harness = make_harness(db)
    await realistic_profile(harness, MAELYS, "Maëlys")
    async with db.transaction() as uow:
        person = await uow.people.find("test", MAELYS)
        exported = await uow.personal_data.export(person.id)
    assert exported["person"]["first_name"] == "Maëlys"
    assert exported["person"]["consent_version"] == "2026-11-27"
    assert set(exported["tables"]) == {t.name for t in personal_tables()}
    texts = [m["text"] for m in exported["tables"]["message_log"]]
    assert "je dors chez une copine depuis trois semaines" in texts
    assert [(c["given"], c["notice_version"]) for c in exported["tables"]["consents"]] == [(True, "2026-11-27")]
    json.dumps(exported)  # plain JSON all the way down
    assert "[fichier, non recopié]" in json.dumps(exported["tables"]["outbox"], ensure_ascii=False)


async def test_access_names_the_places_and_the_advisors_who_answered_never_their_contacts(db: Database) -> None:
    harness = make_harness(db)
    await realistic_profile(harness, MAELYS, "Maëlys")
    async with db.transaction() as uow:
        person = await uow.people.find("test", MAELYS)
        agent = await uow.structures.agent_by_telegram_id(7309990001)
        handoff = await uow.handoffs.open_for(person.id)
        await uow.handoffs.add_message(handoff, channel="test", kind="relay", now=harness.clock.now(),
                                       agent_id=agent.id, text="Je vous rappelle demain.")
        access = await uow.personal_data.access(person.id)
    assert access["names"]["agents"] == {agent.id: "Conseillère d'essai"}
    assert access["names"]["lieux"] == {"ml-test-1": {"name": "Antenne", "address": "1 rue d'Essai"}}
    assert access["names"]["motifs"] and access["names"]["structures"]["ml-test"] == "Mission locale d'essai"
    names = json.dumps(access["names"], ensure_ascii=False)
    assert "7309990001" not in names and "conseillere@exemple.fr" not in names


# --- Erasure --------------------------------------------------------------------------------


async def test_after_erasure_nothing_about_the_person_is_left_anywhere(db: Database) -> None:
    harness = make_harness(db)
    maelys = await realistic_profile(harness, MAELYS, "Maëlys")
    bilal = inbox_chat(harness, BILAL, "Bilal")
    await bilal.send("bonjour")
    await bilal.press("D'accord")
    await bilal.send("Bilal")
    async with db.transaction() as uow:
        maelys_id = (await uow.people.find("test", MAELYS)).id
        bilal_id = (await uow.people.find("test", BILAL)).id
    before = await scan(harness, maelys_id, MAELYS, "Maëlys")
    assert {t.table for t in before.traces} >= {t.name for t in personal_tables()} | {"people"}

    await maelys.command("supprimer")
    assert maelys.labels == ["Oui, tout effacer", "Non, je garde"]
    replies = await maelys.press("Oui, tout effacer")

    assert replies[0].text == "C'est fait : j'ai tout effacé."
    after = await scan(harness, maelys_id, MAELYS, "Maëlys")
    assert after.traces == []
    assert after.tables >= len(metadata.tables) and after.decrypted > 0  # it did read, and decrypt, Bilal's rows
    still_bilal = await scan(harness, bilal_id, BILAL, "Bilal")
    assert {"people", "conversations", "consents", "message_log"} <= {t.table for t in still_bilal.traces}
    async with db.transaction() as uow:
        counters = {c.name: c.count for c in await uow.session.scalars(select(DailyCounter))}
        if "appointments" in metadata.tables:  # the structure keeps the freed place, with no one in it
            from storage.appointments import Appointment

            places = list(await uow.session.scalars(select(Appointment)))
            assert places and all(p.person_id is None for p in places)
            assert places[0].status == "excused"  # cancelled by the booking's erasure hook...
            told = await uow.session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == "7309990001"))
            assert [m.person_id for m in told] == [None]  # ...which told the advisor (the scan found no name in it)
    assert counters["erasures_requested"] == 1
    assert counters["consents_given"] == 2 and counters["onboardings_completed"] == 1


async def test_after_erasure_the_raw_sqlite_files_hold_nothing_of_the_person(sqlite_db: Database) -> None:
    """Not only what SQL reads: the bytes of the database, its -wal and -shm, right after the erasure commits
    (a process killed then leaves exactly these files) and after a clean stop. Deleted rows stay in the
    file and in the WAL unless SQLite overwrites them (secure_delete) and the WAL is emptied (checkpoint)."""
    harness = make_harness(sqlite_db)
    maelys = await realistic_profile(harness, MAELYS, "Maëlys")
    await inbox_chat(harness, BILAL, "Bilal").send("bonjour")
    database = sqlite_db.engine.url.database
    assert raw_matches(database, MAELYS, "Maëlys")  # the scan can fail: before the erasure, she is in the files

    await maelys.command("supprimer")
    await maelys.press("Oui, tout effacer")

    assert raw_matches(database, MAELYS, "Maëlys") == {}  # as a kill -9 right now would leave them
    assert raw_matches(database, BILAL)  # what was not erased is still there
    await sqlite_db.dispose()
    assert raw_matches(database, MAELYS, "Maëlys") == {}


async def test_erasure_reports_what_it_removed_and_leaves_the_session_usable(db: Database) -> None:
    harness = make_harness(db)
    await realistic_profile(harness, MAELYS, "Maëlys")
    async with db.transaction() as uow:
        person = await uow.people.find("test", MAELYS)
        await uow.conversations.load(person.id, harness.clock.now())
        counts = await uow.personal_data.erase(person.id)
        assert await uow.people.find("test", MAELYS) is None  # the session no longer returns the erased person
    assert counts["people"] == 1 and counts["message_log"] >= 2 and counts["inbox"] >= 10
    async with db.transaction() as uow:
        report = await find_traces(uow.session, person_id=person.id, texts=[MAELYS, "Maëlys"])
        assert await uow.personal_data.export(person.id) is None
    assert report.traces == []  # the repository's erasure alone (no flow's hook) leaves nothing of her
    assert report.tables >= len(metadata.tables) and report.values > 0  # it did read what is left (structures...)


async def test_the_scan_finds_what_deleting_only_the_profile_leaves(db: Database) -> None:
    """The scan can fail: deleting the people row alone (as the onboarding once did) leaves traces."""
    harness = make_harness(db)
    await realistic_profile(harness, MAELYS, "Maëlys")
    async with db.transaction() as uow:
        person = await uow.people.find("test", MAELYS)
        person_id = person.id
        await uow.people.delete(person)  # foreign keys cascade to some tables, not to all
    left = await scan(harness, person_id, MAELYS, "Maëlys")
    assert {"inbox"} <= {t.table for t in left.traces}
    assert any(t.found == "person id" for t in left.traces)


async def test_migration_starts_the_consent_history_from_what_people_said(database_url: str) -> None:
    await asyncio.to_thread(upgrade, database_url, "0004")
    database = Database(database_url)
    try:
        async with database.engine.begin() as connection:
            await connection.execute(text(
                "INSERT INTO people (channel, external_id, chat_id, obstacles, sectors, consent_at, consent_version,"
                " consent_refused, notifications, nudges_paused, created_at, last_seen_at) VALUES"
                " ('telegram', '1', '1', '[]', '[]', :at, 'v1', false, 'all', false, :at, :at),"
                " ('telegram', '2', '2', '[]', '[]', NULL, NULL, false, 'all', false, :at, :at)"
            ), {"at": dt.datetime(2026, 11, 30, 8, 0)})
        await asyncio.to_thread(upgrade, database_url)
        async with database.transaction() as uow:
            person = await uow.people.find("telegram", "1")
            history = await uow.consents.history(person.id)
            other = await uow.people.find("telegram", "2")
            assert await uow.consents.history(other.id) == []
        assert [(c.given, c.notice_version, c.at) for c in history] == [
            (True, "v1", dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC))
        ]
        await asyncio.to_thread(downgrade, database_url, "0004")
        async with database.engine.connect() as connection:
            tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
        assert "consents" not in tables and "daily_stats" not in tables
    finally:
        await database.dispose()
