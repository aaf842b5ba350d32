"""The desk's e-mails to the staff (a sign-in link, an invitation): written to the outbox like every message, on
the e-mail channel the hand-off summaries use, and sent by whichever process has the SMTP settings."""

from __future__ import annotations

import datetime as dt

from flows.handoff.channel import EMAIL
from storage import UnitOfWork
from storage.outbox import ESSENTIAL


async def queue_email(uow: UnitOfWork, *, to: str, subject: str, text: str, key: str, kind: str, now: dt.datetime,
                      expires_at: dt.datetime | None = None) -> list[int]:
    """One e-mail to send now (idempotent by ``key``); the outbox ids to deliver."""
    outbox_id = await uow.outbox.add(key=key, channel=EMAIL, chat_id=to, kind=kind, category=ESSENTIAL,
                                     payload={"text": text, "subject": subject, "buttons": []}, due_at=now, now=now,
                                     expires_at=expires_at)
    return [outbox_id] if outbox_id is not None else []
