"""What the operator watches, in the Prometheus format (``GET /metrics`` of the webhook server).

Counters are kept by the process that counts (prometheus-client's default registry); the outbox's state
is read from the database when the metrics are asked for, so any worker tells the same backlog.
"""

from __future__ import annotations

import datetime as dt

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, generate_latest

from storage import Database

DELIVERIES_FAILED = Counter(
    "tremplin_deliveries_failed", "Failed attempts to deliver an outbox message, by channel and cause.",
    ["channel", "cause"],
)
OUTBOX_DUE = Gauge("tremplin_outbox_due", "Outbox messages due and not sent yet.", ["channel"])
OUTBOX_OLDEST_DUE = Gauge("tremplin_outbox_oldest_due_seconds", "How long the oldest due message has waited.")
DELIVERIES_STUCK = Gauge(
    "tremplin_deliveries_stuck",
    "Messages about an open request still not sent after the usual attempts (tried again while it is open).",
    ["channel"],
)
CONTENT_TYPE = CONTENT_TYPE_LATEST


async def exposition(db: Database, now: dt.datetime, *, max_attempts: int) -> bytes:
    """The metrics as text, the outbox's gauges read now."""
    async with db.transaction() as uow:
        backlog = await uow.outbox.backlog(now, max_attempts=max_attempts)
    OUTBOX_DUE.clear()
    DELIVERIES_STUCK.clear()
    for channel, count in backlog.due.items():
        OUTBOX_DUE.labels(channel).set(count)
    for channel, count in backlog.stuck.items():
        DELIVERIES_STUCK.labels(channel).set(count)
    OUTBOX_OLDEST_DUE.set((now - backlog.oldest_due_at).total_seconds() if backlog.oldest_due_at else 0)
    return generate_latest()
