"""What the operator watches, in the Prometheus format (``GET /metrics`` of the webhook server).

Counters and histograms are kept by the process that counts (prometheus-client's default registry). With
several worker processes, set ``PROMETHEUS_MULTIPROC_DIR`` to one empty folder for all of them (emptied
before they start, e.g. by the systemd unit): each writes its counts there, and whichever worker answers
``GET /metrics`` adds up every worker's (prometheus-client's multiprocess mode). The state of the outbox
and of the hand-offs is read from the database when the metrics are asked for, never kept in a process:
any worker tells the same backlog, in both modes. The NLU counts its fallbacks itself (nlu/rasa_backend.py,
``tremplin_nlu_fallbacks_total``), in the same registry.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from storage import Database
from storage.outbox import Backlog

DELIVERIES_FAILED = Counter(
    "tremplin_deliveries_failed", "Failed attempts to deliver an outbox message, by channel and cause.",
    ["channel", "cause"],
)
OFFERS_SOURCE_FAILED = Counter(
    "tremplin_offers_source_failed",
    "Live offers searches that failed (the ideas came from the cache or the catalogue), by source and cause.",
    ["source", "cause"],
)
UPDATES_RECEIVED = Counter(
    "tremplin_updates_received",
    "Telegram updates received (polling or webhook): new ones, and ones already recorded (a redelivery).",
    ["result"],
)
UPDATES_HANDLED = Counter(
    "tremplin_updates_handled",
    "Recorded updates handled: ok, error (left pending, tried again), set_aside (a chat flooding).",
    ["result"],
)
HANDLING_SECONDS = Histogram(
    "tremplin_update_handling_seconds",
    "Time to handle one update in the conversation (understanding, one transaction, commit), sending excluded.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
TELEGRAM_RATE_LIMITED = Counter(
    "tremplin_telegram_rate_limited", "Bot API calls Telegram answered with 429 (too many requests, retry after).",
)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class _DatabaseState(Collector):
    """Gauges read from the database for one scrape (the same from any worker; nothing kept in a process)."""

    def __init__(self, backlog: Backlog, waiting: dict[bool, tuple[int, dt.datetime]], now: dt.datetime) -> None:
        self.backlog, self.waiting, self.now = backlog, waiting, now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        backlog, now = self.backlog, self.now
        due = GaugeMetricFamily("tremplin_outbox_due", "Outbox messages due and not sent yet.", labels=["channel"])
        for channel, count in backlog.due.items():
            due.add_metric([channel], count)
        yield due
        yield GaugeMetricFamily("tremplin_outbox_oldest_due_seconds", "How long the oldest due message has waited.",
                                value=(now - backlog.oldest_due_at).total_seconds() if backlog.oldest_due_at else 0)
        stuck = GaugeMetricFamily(
            "tremplin_deliveries_stuck",
            "Messages about an open request still not sent after the usual attempts (tried again while it is open).",
            labels=["channel"])
        for channel, count in backlog.stuck.items():
            stuck.add_metric([channel], count)
        yield stuck
        waiting = GaugeMetricFamily("tremplin_handoffs_waiting",
                                    "Open requests to the advisors that no advisor has taken yet, by urgency.",
                                    labels=["urgent"])
        oldest = GaugeMetricFamily("tremplin_handoffs_oldest_waiting_seconds",
                                   "How long the oldest request no advisor has taken has waited, by urgency.",
                                   labels=["urgent"])
        for urgent in (True, False):
            count, opened_at = self.waiting.get(urgent, (0, now))
            waiting.add_metric([str(urgent).lower()], count)
            oldest.add_metric([str(urgent).lower()], max(0.0, (now - opened_at).total_seconds()))
        yield waiting
        yield oldest


def _counted() -> CollectorRegistry:
    """This process's counters, or every worker's in multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``)."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    merged = CollectorRegistry()
    multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
    return merged


async def exposition(db: Database, now: dt.datetime, *, max_attempts: int) -> bytes:
    """The metrics as text: the counters, and the outbox's and hand-offs' gauges read now."""
    async with db.transaction() as uow:
        backlog = await uow.outbox.backlog(now, max_attempts=max_attempts)
        waiting = await uow.handoffs.waiting()
    state = CollectorRegistry(auto_describe=False)
    state.register(_DatabaseState(backlog, waiting, now))
    return generate_latest(_counted()) + generate_latest(state)
