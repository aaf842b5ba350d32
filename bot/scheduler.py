"""Periodic jobs of the bot process: APScheduler 3 (``AsyncIOScheduler``) in the bot's event loop.

The database is the only state (docs/architecture.md): jobs are plain ticks in APScheduler's in-memory store, so a
restart loses nothing. Every job is a coroutine function without arguments; a job still running when
its next tick comes is skipped quietly rather than run twice side by side, and ``stop()`` lets running
jobs finish (APScheduler's own shutdown would cancel them halfway).

To add a job: one ``scheduler.every(...)`` line in ``install_jobs`` (or from the code that owns the
job, as bot/telegram_app.py does for the inbox retry).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import Settings
from bot.delivery import Delivery

log = logging.getLogger(__name__)
Job = Callable[[], Awaitable[Any]]
OFFER_ALERTS_SECONDS = 3600
NUDGE_PLANNING_SECONDS = 300  # nudges count in days: planning every 5 minutes is on time


class Scheduler:
    """An ``AsyncIOScheduler`` for the running event loop, in the operator's time zone."""

    def __init__(self, settings: Settings) -> None:
        self.aps = AsyncIOScheduler(timezone=settings.tz)
        self._running: dict[str, asyncio.Task[Any]] = {}

    def every(self, seconds: float, name: str, job: Job, *, now: bool = False) -> None:
        """Run ``job`` every ``seconds`` (and once at start with ``now``); a failure is logged and the
        next tick tries again."""

        async def tick() -> None:
            if name in self._running:  # the previous tick is still at work (a long delivery)
                return
            task = asyncio.current_task()
            assert task is not None
            self._running[name] = task
            try:
                await job()
            except Exception:
                log.exception("periodic job %s failed", name)
            finally:
                self._running.pop(name, None)

        # max_instances > 1 so that APScheduler does not warn at each overlap: ``tick`` skips them itself.
        first = {"next_run_time": dt.datetime.now(self.aps.timezone)} if now else {}
        self.aps.add_job(tick, "interval", seconds=seconds, id=name, name=name, max_instances=3, coalesce=True,
                         misfire_grace_time=max(1, int(seconds)), **first)

    def start(self) -> None:
        """Start ticking (inside the running event loop)."""
        self.aps.start()

    async def stop(self, timeout: float = 30.0) -> None:
        """No new ticks; wait for the running ones, then shut down."""
        if not self.aps.running:
            return
        self.aps.pause()
        running = list(self._running.values())
        if running:
            await asyncio.wait(running, timeout=timeout)
        self.aps.shutdown(wait=False)


def install_jobs(scheduler: Scheduler, settings: Settings, *, delivery: Delivery, plan_nudges: Job | None = None,
                 offer_alerts: Job | None = None, outcome_questions: Job | None = None) -> None:
    """The jobs every bot process runs."""
    # Planned messages (reminders, nudges, advisor notices), retries and leftovers of a crash.
    scheduler.every(settings.delivery.tick_seconds, "deliver_due", delivery.deliver_due)
    # Inactivity nudges become outbox rows (flows/nudges/nudges.py); on PostgreSQL one process plans at a time
    # (leader lock), and the keys make a second planning harmless anyway. Once at start, then regularly.
    if plan_nudges is not None:
        scheduler.every(NUDGE_PLANNING_SECONDS, "plan_nudges", plan_nudges, now=True)
    # "Tu en es où aujourd'hui ?" (flows/outcomes/questions.py), planned the same way.
    if outcome_questions is not None:
        scheduler.every(NUDGE_PLANNING_SECONDS, "outcome_questions", outcome_questions, now=True)
    # "Préviens-moi": each alert is checked once a day (flows/suggestions/alerts.py); hourly is on time.
    if offer_alerts is not None:
        scheduler.every(OFFER_ALERTS_SECONDS, "offer_alerts", offer_alerts)
    # Add jobs here, one line each (housekeeping: retention purge, digests...). A job that must run in
    # one process only takes ``uow.try_leader_lock(...)`` in its own transaction.
