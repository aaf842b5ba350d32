"""The nightly retention job on a frozen clock, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from bot.housekeeping import HousekeepingReport, run_housekeeping, schedule_housekeeping
from storage import Database
from storage.inbox import InboxUpdate
from storage.outbox import OutboxMessage
from tests.kit import make_harness
from tests.privacy_kit import inbox_chat, raw_matches, scan

NOW = dt.datetime(2026, 12, 1, 2, 30, tzinfo=dt.UTC)  # 3 h 30 in Paris: the nightly run
OLD, DORMANT, RECENT = "7300000001", "7300000002", "7300000003"  # made-up Telegram ids


async def _talk(harness, telegram_id: str, name: str, at: dt.datetime, *texts: str):  # type: ignore[no-untyped-def]
    harness.clock.set(at)
    chat = inbox_chat(harness, telegram_id, name)
    if not chat.received:
        await chat.send("bonjour")
        await chat.press("D'accord")
        await chat.send(name)
    for text in texts:
        await chat.send(text)
    return chat


async def test_a_retention_erasure_leaves_no_bytes_in_the_sqlite_files(sqlite_db: Database) -> None:
    """The nightly erasure, like /supprimer, leaves nothing in the raw files (database, -wal, -shm) even if
    the process is killed right after it (the files are read before any clean stop)."""
    harness = make_harness(sqlite_db, at=NOW)
    await _talk(harness, OLD, "Tiago", NOW - relativedelta(months=24) - dt.timedelta(days=1), "je cherche un cap")
    await _talk(harness, RECENT, "Moussa", NOW - dt.timedelta(days=10), "texte de novembre")
    database = sqlite_db.engine.url.database
    assert raw_matches(database, OLD, "Tiago")

    harness.clock.set(NOW)
    assert (await run_housekeeping(sqlite_db, harness.world)).profiles == 1

    assert raw_matches(database, OLD, "Tiago") == {}
    assert raw_matches(database, RECENT, "Moussa")


async def test_retention_on_a_frozen_clock(db: Database) -> None:
    harness = make_harness(db, at=NOW)
    # Silent for 24 months and a day: erased entirely.
    await _talk(harness, OLD, "Tiago", NOW - relativedelta(months=24) - dt.timedelta(days=1), "je cherche un cap")
    # Silent for 23 months: kept, but its message text is far older than 90 days.
    await _talk(harness, DORMANT, "Lina", NOW - relativedelta(months=23), "je veux bosser dans la vente")
    # Wrote 100 days ago and 10 days ago.
    recent = await _talk(harness, RECENT, "Moussa", NOW - dt.timedelta(days=100), "texte de septembre")
    harness.clock.set(NOW - dt.timedelta(days=10))
    await recent.send("texte de novembre")
    harness.clock.set(NOW - dt.timedelta(hours=1))
    await recent.send("texte de cette nuit")
    async with db.transaction() as uow:
        old_id = (await uow.people.find("test", OLD)).id
        await uow.outbox.add(key="later", channel="test", chat_id=RECENT, kind="nudge", payload={"text": "plus tard"},
                             due_at=NOW + dt.timedelta(days=2), now=NOW - dt.timedelta(days=30))

    harness.clock.set(NOW)
    report = await run_housekeeping(db, harness.world)

    print(f"\n{report}")
    assert report.profiles == 1
    assert report.messages == 6  # two each (the first name typed, then a text) older than 90 days
    assert (await scan(harness, old_id, OLD, "Tiago")).traces == []
    async with db.transaction() as uow:
        dormant = await uow.people.find("test", DORMANT)
        moussa = await uow.people.find("test", RECENT)
        assert dormant is not None and dormant.first_name == "Lina"
        assert await uow.messages.for_person(dormant.id) == []
        assert [m.text for m in await uow.messages.for_person(moussa.id)] == [
            "texte de novembre", "texte de cette nuit",
        ]
        inbox = list(await uow.session.scalars(select(InboxUpdate)))
        outbox = list(await uow.session.scalars(select(OutboxMessage)))
        totals = await uow.stats.totals()
    processed_before = NOW - dt.timedelta(days=7)
    assert inbox and all(u.processed_at >= processed_before for u in inbox)
    assert all(m.created_at >= processed_before or m.status == "pending" for m in outbox)
    assert any(m.key == "later" for m in outbox)  # planned, not yet sent: kept
    assert totals["erasures_retention"] == 1

    again = await run_housekeeping(db, harness.world)
    assert (again.messages, again.profiles, again.inbox, again.outbox) == (0, 0, 0, 0)


async def test_someone_who_came_back_meanwhile_is_not_erased(db: Database) -> None:
    harness = make_harness(db, at=NOW)
    chat = await _talk(harness, OLD, "Tiago", NOW - relativedelta(months=30))
    harness.clock.set(NOW)
    await chat.send("re")  # writes again just before the night
    assert (await run_housekeeping(db, harness.world)).profiles == 0
    async with db.transaction() as uow:
        assert await uow.people.find("test", OLD) is not None


def test_the_job_is_scheduled_every_night(db: Database) -> None:
    from bot.config import Settings
    from bot.scheduler import Scheduler

    harness = make_harness(db)
    scheduler = Scheduler(Settings())
    schedule_housekeeping(scheduler, db, harness.world)
    job = scheduler.aps.get_job("housekeeping")
    assert job is not None and "hour='3'" in str(job.trigger) and "minute='30'" in str(job.trigger)
    assert str(HousekeepingReport(ran=False)).startswith("housekeeping skipped")
