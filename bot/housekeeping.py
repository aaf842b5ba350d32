"""The nightly retention job: personal data is kept no longer than ``config.yml`` says.

- message text (``message_log``) older than ``retention.message_text_days`` is deleted;
- a person whose last message is older than ``retention.profile_months`` is erased entirely, with
  the same generic erasure as /supprimer (the capabilities' erasure hooks first);
- handled inbox rows and finished outbox rows older than ``retention.processed_updates_days`` go.

``run_housekeeping`` is a plain coroutine: the bot's scheduler runs it every night
(``schedule_housekeeping``, registered in bot/telegram_app.py),
``tremplin data purge`` runs it now. On PostgreSQL only the process holding the leader lock does the
work; the others return at once. Everything is idempotent: a job stopped half-way is run again.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

from bot.scheduler import Scheduler
from flows.engine.world import World
from flows.privacy.privacy import erase_everything, system_turn
from storage import Database
from storage.db import LeaderJob

log = logging.getLogger(__name__)

NIGHTLY_AT = dt.time(3, 30)  # local time: after the day's last reminders, before the morning's


@dataclass
class HousekeepingReport:
    """What one run removed (counts only: never who)."""

    ran: bool = True  # False: another process holds the leader lock
    messages: int = 0
    profiles: int = 0
    inbox: int = 0
    outbox: int = 0
    report_events: int = 0

    def __str__(self) -> str:
        if not self.ran:
            return "housekeeping skipped: another process is doing it"
        return (f"housekeeping: {self.messages} message texts, {self.profiles} inactive profiles, "
                f"{self.inbox} inbox rows, {self.outbox} outbox rows, {self.report_events} report events removed")


async def run_housekeeping(db: Database, world: World, *, batch: int = 200) -> HousekeepingReport:
    """Apply the retention periods now (``world.clock`` says when now is)."""
    now = world.clock.now()
    retention = world.settings.retention
    report = HousekeepingReport()
    async with db.transaction() as uow:
        if not await uow.try_leader_lock(LeaderJob.HOUSEKEEPING):
            report.ran = False
            return report
        report.messages = await uow.messages.purge_before(now - dt.timedelta(days=retention.message_text_days))
        # Hand-off texts (the words that started one, advisors' relayed answers) follow the same period.
        report.messages += await uow.handoffs.forget_texts_before(now - dt.timedelta(days=retention.message_text_days))
        processed_before = now - dt.timedelta(days=retention.processed_updates_days)
        report.inbox = await uow.inbox.purge_processed(processed_before)
        report.outbox = await uow.outbox.purge_sent(processed_before)
        # The report's events have their own, longer period: they are not about anyone once the person is gone.
        report.report_events = await uow.report_events.purge_before(
            now - relativedelta(months=world.settings.report.keep_months))
    silent_since = now - relativedelta(months=retention.profile_months)
    while True:
        async with db.transaction() as uow:
            ids = await uow.personal_data.inactive(silent_since, limit=batch)
        if not ids:
            break
        for person_id in ids:  # one transaction each: a failing hook stops one erasure, not the night
            report.profiles += await _erase_if_still_silent(db, world, person_id, silent_since, now)
        if len(ids) < batch:
            break
    log.info("%s", report)
    return report


async def _erase_if_still_silent(
    db: Database, world: World, person_id: int, silent_since: dt.datetime, now: dt.datetime
) -> int:
    async with db.transaction() as uow:
        await uow.lock_person(person_id)
        person = await uow.people.get(person_id)
        if person is None or person.last_seen_at >= silent_since:  # erased meanwhile, or came back
            return 0
        turn = await system_turn(uow, world, person, now, key=f"retention:{person_id}:{now.date().isoformat()}")
        await erase_everything(turn, "erasures_retention")
        return 1


def schedule_housekeeping(scheduler: Scheduler, db: Database, world: World, at: dt.time = NIGHTLY_AT) -> None:
    """Run the retention job every night at ``at``, in the operator's time zone; failures are logged.

    A stop in the middle of a run loses nothing: every step is its own transaction and the next run
    picks up what is left.
    """

    async def nightly() -> None:
        try:
            await run_housekeeping(db, world)
        except Exception:
            log.exception("housekeeping failed")

    scheduler.aps.add_job(nightly, "cron", hour=at.hour, minute=at.minute, id="housekeeping", name="housekeeping",
                          max_instances=1, coalesce=True, misfire_grace_time=3600)
