"""Delivery of the outbox: claim, send through the channel, record the result.

At-least-once: a row is claimed in one transaction, sent, then marked in another. If the process dies
in between, the row is released after ``stale_after`` and sent once more, never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.group_commit import GroupCommit
from bot.metrics import DELIVERIES_FAILED
from flows.engine.events import Reply
from flows.engine.turn import payload_reply
from flows.handoff.channel import KEEP_TRYING_EVERY, requests_still_open, tell_delivery_stuck
from flows.nudges.policy import withhold
from flows.rules.clock import Clock
from storage import Database, UnitOfWork
from storage.handoffs import Handoff
from storage.outbox import APPOINTMENT, ESSENTIAL, FAILED, FAREWELL, NUDGE, OutboxMessage

log = logging.getLogger(__name__)
Claim = Callable[[UnitOfWork, dt.datetime], Awaitable[list[OutboxMessage]]]


class SendError(Exception):
    """A channel could not deliver a message; says whether and when to try again."""

    def __init__(
        self, reason: str, *, retry_after: float | None = None, blocked: bool = False, permanent: bool = False
    ) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.blocked = blocked
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class Sent:
    """A message the channel had to send in several pieces (a text too long for one): the id that stands
    for it (the piece with the buttons) and the ids of every piece, so that a reply to any of them is understood."""

    external_id: str
    pieces: tuple[str, ...]


class Sender(Protocol):
    """A channel's way of sending one message."""

    channels: tuple[str, ...]

    async def send(self, message: OutboxMessage, reply: Reply, edit_message_id: str | None) -> str | Sent | None:
        """Send (or edit) and return the channel's message id (``Sent`` when in pieces); raise SendError on failure."""
        ...


@dataclass
class _Result:
    message: OutboxMessage
    external_id: str | None = None
    pieces: tuple[str, ...] = ()
    error: SendError | None = None
    crashed: str | None = None
    deferred: bool = False  # not tried: an earlier message of the same chat failed, it goes after it


async def _own_chat(uow: UnitOfWork, message: OutboxMessage) -> bool:
    """The message went to its person's own chat (not to an advisor's, about them)."""
    person = await uow.people.get(message.person_id) if message.person_id is not None else None
    return person is not None and (person.channel, person.chat_id) == (message.channel, message.chat_id)


def _cause(result: _Result) -> str:
    """The metrics' word for why a delivery failed."""
    error = result.error
    if error is None:
        return "crash"
    if error.blocked:
        return "blocked"
    if error.retry_after is not None:
        return "rate_limited"
    return "refused" if error.permanent else "unavailable"


class Delivery:
    """Sends what is due in the outbox through the registered senders."""

    def __init__(
        self,
        db: Database,
        senders: Sequence[Sender],
        clock: Clock,
        *,
        batch_size: int = 100,
        max_attempts: int = 8,
        stale_after: dt.timedelta = dt.timedelta(seconds=60),
        concurrency: int = 32,
        fresh_grace: dt.timedelta = dt.timedelta(0),
    ) -> None:
        self.db = db
        self.clock = clock
        self.senders = {channel: sender for sender in senders for channel in sender.channels}
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.stale_after = stale_after
        # Rows younger than this are left to the process that wrote them (it delivers them right after
        # its commit); the periodic tick only picks them up if that process did not.
        self.fresh_grace = fresh_grace
        self._slots = asyncio.Semaphore(concurrency)
        self._recording = GroupCommit(self._write_groups, name="delivery-record")  # see _record

    @property
    def channels(self) -> frozenset[str]:
        """The channels this delivery can send on."""
        return frozenset(self.senders)

    async def send(self, messages: Sequence[OutboxMessage]) -> int:
        """Send replies the engine wrote already taken for delivery (``Engine.handle(send_now=...)``).

        Nothing to claim, and nothing to check: a reply to what the person just did is always wanted
        (``ESSENTIAL``, no expiry). Only the results are recorded.
        """
        if not messages:
            return 0
        await self._send_and_record(list(messages))
        return len(messages)

    async def deliver(self, ids: Iterable[int]) -> int:
        """Send these messages now (the replies just written by the engine)."""
        ids = list(ids)
        if not ids:
            return 0
        return await self._run(lambda uow, now: uow.outbox.claim(ids, now, self.senders.keys()))

    async def deliver_due(self, *, fresh: bool = False) -> int:
        """Send every message that has come due (planned ones, retries, leftovers of a crash).

        ``fresh`` includes the rows written in the last ``fresh_grace`` (at start, nobody else will send them).
        """
        now = self.clock.now()
        async with self.db.transaction() as uow:
            released = await uow.outbox.release_stale(now - self.stale_after)
        if released:
            log.info("released %d messages left claimed by a stopped process", released)
        created_before = None if fresh or not self.fresh_grace else now - self.fresh_grace
        total = 0
        while True:
            sent = await self._run(
                lambda uow, now: uow.outbox.claim_due(now, self.batch_size, self.senders.keys(), created_before)
            )
            total += sent
            if sent < self.batch_size:
                return total

    async def recover(self, *, sole_instance: bool) -> int:
        """At start: send what a stopped process left behind.

        ``sole_instance`` (one polling process per bot, Telegram enforces it) means every message still
        claimed on our channels was claimed by a process that is gone: release it now rather than after
        ``stale_after``. It may have been sent just before the stop: it is then sent once more, at most.
        """
        if sole_instance:
            async with self.db.transaction() as uow:
                released = await uow.outbox.release_stale(self.clock.now() + dt.timedelta(seconds=1),
                                                          self.senders.keys())
            if released:
                log.info("released %d messages claimed before the restart", released)
        # With other processes alive, their replies just written are theirs to send (in order).
        return await self.deliver_due(fresh=sole_instance)

    async def _run(self, claim: Claim) -> int:
        now = self.clock.now()
        async with self.db.transaction() as uow:
            rows = await claim(uow, now)
            rows = await self._still_wanted(uow, rows, now)
        if not rows:
            return 0
        await self._send_and_record(rows)
        return len(rows)

    async def _send_and_record(self, rows: list[OutboxMessage]) -> None:
        by_chat: dict[tuple[str, str], list[OutboxMessage]] = defaultdict(list)
        for row in rows:
            by_chat[(row.channel, row.chat_id)].append(row)
        # One chat's messages in order; different chats side by side (the usual case, the replies to one
        # update, is one chat: sent from this task, without a task of its own). Chats with an urgent message
        # start first and never wait for a free slot: a distress summary does not queue behind nudges.
        if len(by_chat) == 1:
            groups = [await self._send_chat(rows)]
        else:
            chats = sorted(by_chat.values(), key=lambda messages: not any(m.urgent for m in messages))
            groups = await asyncio.gather(*(self._send_chat(messages) for messages in chats))
        results = [result for group in groups for result in group]
        await self._record(results)

    async def _still_wanted(self, uow: UnitOfWork, rows: list[OutboxMessage], now: dt.datetime) -> list[OutboxMessage]:
        # Essential messages (replies, above all) go whatever the person's choices: no need to read them.
        people = {p.id: p for p in await uow.people.many({r.person_id for r in rows
                                                          if r.person_id and r.category != ESSENTIAL})}
        kept = []
        for row in rows:
            # Whether it may still go is the nudges capability's decision (flows/nudges/policy.py).
            withheld = withhold(row, people.get(row.person_id) if row.person_id is not None else None, now)
            if withheld is not None:
                await uow.outbox.mark_final(row.id, withheld.status, withheld.reason)
            else:
                kept.append(row)
        return kept

    async def _send_chat(self, messages: list[OutboxMessage]) -> list[_Result]:
        results = []
        async with contextlib.nullcontext() if any(m.urgent for m in messages) else self._slots:
            for index, message in enumerate(messages):
                sender = self.senders[message.channel]
                payload = message.payload or {}
                try:
                    sent = await sender.send(message, payload_reply(payload), payload.get("edit_message_id"))
                    if isinstance(sent, Sent):
                        results.append(_Result(message, external_id=sent.external_id, pieces=sent.pieces))
                    else:
                        results.append(_Result(message, external_id=sent))
                    continue
                except SendError as error:
                    result = _Result(message, error=error)
                except Exception as exc:  # a channel bug must not stop the other chats
                    log.exception("sending outbox message %s failed", message.id)
                    result = _Result(message, crashed=type(exc).__name__)
                results.append(result)
                if result.error is None or not result.error.permanent:
                    # The rest of this chat waits for the failed message, so that it is never read out of order.
                    results.extend(
                        _Result(later, error=result.error, crashed=result.crashed, deferred=True)
                        for later in messages[index + 1:]
                    )
                    break
        return results

    async def _record(self, results: list[_Result]) -> None:
        """Record these results; returns once they are committed.

        Results that arrive while a transaction is being written wait for the next one, which takes all
        of them: under load, one transaction records what many chats sent (a "group commit"). A message
        sent but not yet recorded when the process dies is released and sent once more, as before.
        """
        await self._recording.submit(results)

    async def _write_groups(self, groups: list[list[_Result]]) -> list[None]:
        await self._write_results([result for results in groups for result in results])
        return [None] * len(groups)

    async def _write_results(self, results: list[_Result]) -> None:
        now = self.clock.now()
        if all(r.error is None and r.crashed is None and r.message.kind != FAREWELL for r in results):
            # The usual case, everything delivered: one UPDATE for all the rows, committed by itself (PostgreSQL:
            # no BEGIN, no COMMIT; the rows change together or not at all).
            async with self.db.single_statement() as uow:
                await uow.outbox.mark_sent_many([(r.message, r.external_id) for r in results], now,
                                                {r.message.id: r.pieces for r in results if r.pieces})
            return
        retry_at: dict[tuple[str, str], dt.datetime] = {}  # when a chat's failed message is tried again
        async with self.db.transaction() as uow:
            # Out of attempts but about a request still open: never given up (flows/handoff/channel.py).
            # Those waiting behind a failed message of their chat count too: they are as late.
            worn = [r.message.id for r in results if (r.error is not None or r.crashed is not None)
                    and not (r.error is not None and (r.error.permanent or r.error.blocked))
                    and r.message.attempts >= self.max_attempts]
            still_open = await requests_still_open(uow, worn) if worn else {}
            delivered = [r for r in results if r.error is None and r.crashed is None]
            await uow.outbox.mark_sent_many([(r.message, r.external_id) for r in delivered], now,
                                            {r.message.id: r.pieces for r in delivered if r.pieces})
            for result in results:
                message = result.message
                if result.error is None and result.crashed is None:
                    continue
                error = result.error
                reason = str(error) if error else f"crash: {result.crashed}"
                if not result.deferred:
                    DELIVERIES_FAILED.labels(message.channel, _cause(result)).inc()
                chat = (message.channel, message.chat_id)
                if result.deferred and not (error is not None and error.blocked):
                    # Same due time as the failed message: claimed in id order, after it.
                    await uow.outbox.retry_later(message.id, retry_at.get(chat, now), f"waiting: {reason}")
                    if (handoff := still_open.get(message.id)) is not None:
                        await self._tell_if_stuck(uow, message, handoff, now)
                    continue
                if error is not None and error.blocked:
                    await uow.outbox.mark_final(message.id, FAILED, reason)
                    # Only the person's own chat refusing makes them unreachable: a message about them
                    # to an advisor who blocked the bot says nothing about the young person.
                    if message.person_id is not None and await _own_chat(uow, message):
                        await uow.people.mark_unreachable(message.person_id, now)
                        await uow.outbox.cancel_pending(person_id=message.person_id, categories=[NUDGE, APPOINTMENT])
                elif error is not None and error.retry_after is not None:
                    retry_at[chat] = now + dt.timedelta(seconds=error.retry_after)
                    await uow.outbox.retry_later(message.id, retry_at[chat], reason)
                elif (handoff := still_open.get(message.id)) is not None:
                    retry_at[chat] = now + KEEP_TRYING_EVERY
                    await uow.outbox.retry_later(message.id, retry_at[chat], reason)
                    await self._tell_if_stuck(uow, message, handoff, now)
                elif (error is not None and error.permanent) or message.attempts >= self.max_attempts:
                    await uow.outbox.mark_final(message.id, FAILED, reason)
                else:
                    backoff = min(3600, 5 * 2 ** max(0, message.attempts - 1))
                    retry_at[chat] = now + dt.timedelta(seconds=backoff)
                    await uow.outbox.retry_later(message.id, retry_at[chat], reason)

    async def _tell_if_stuck(self, uow: UnitOfWork, message: OutboxMessage, handoff: Handoff, now: dt.datetime) -> None:
        """A message about an open request has just used its usual attempts: its advisors are told (once)."""
        if message.attempts == self.max_attempts:
            log.warning("outbox message %s about request %s still not sent: keeps trying", message.id, handoff.id)
            await tell_delivery_stuck(uow, handoff, message.channel, now)  # sent by the next tick
