"""The heart of the Telegram channel: record every update, handle each chat's in order, deliver after commit.

1. ``receive`` records a batch of updates in the inbox (unique ``update_id``) and commits. Only then
   does polling ask Telegram for the next offset (which confirms the batch), or the webhook answer 200.
2. Each new update goes to its chat's queue: one chat's updates are handled one after the other,
   different chats side by side.
3. ``engine.handle`` marks the inbox row done in the transaction of its effects; the replies it wrote to
   the outbox are delivered after that commit; a button is always answered.

A crash at any point loses nothing: unhandled rows are replayed at start, undelivered outbox rows are
sent by ``Delivery.recover`` (a reply in flight at the crash may be sent once more, never lost).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from bot.delivery import Delivery
from bot.group_commit import GroupCommit
from bot.metrics import HANDLING_SECONDS, UPDATES_HANDLED, UPDATES_RECEIVED
from bot.telegram_sender import TelegramSender
from bot.telegram_updates import ForEngine, NotPrivate, chat_of, translate
from flows.engine.engine import Engine
from flows.engine.events import Event, Reply
from flows.engine.media import PRIVATE_ONLY, TOO_FAST, TROUBLE
from flows.engine.turn import reply_payload
from nlu.safety import certain_danger
from storage import Database
from storage.inbox import PENDING

log = logging.getLogger(__name__)

SOURCE = "telegram"
MAX_ATTEMPTS = 3  # then the update is set aside and the person told, kindly, to try again
RETRY_AFTER = dt.timedelta(seconds=20)  # a pending update older than this, not in hand, is tried again
RESUME_WINDOW = dt.timedelta(days=6)  # Telegram may restart update ids after a week without updates
# A chat that sends more than FLOOD_LIMIT messages in FLOOD_WINDOW seconds (a script, a stuck key, far more
# than anyone types) has the rest set aside, told once, kindly; other chats never wait for it. Button presses
# are not counted (several a second in a list of choices), and words of danger are always read.
FLOOD_LIMIT = 30
FLOOD_WINDOW = 60.0


class TelegramChannel:
    """Inbox → engine → outbox, for Telegram updates, in order per chat."""

    def __init__(
        self,
        db: Database,
        engine: Engine,
        delivery: Delivery,
        sender: TelegramSender,
        *,
        bot_username: str,
        concurrency: int = 16,
        retry_after: dt.timedelta = RETRY_AFTER,
    ) -> None:
        self.db = db
        self.engine = engine
        self.delivery = delivery
        self.sender = sender
        self.bot_username = bot_username
        self.clock = engine.world.clock
        self.retry_after = retry_after
        self._queues: dict[str, deque[tuple[int, dict[str, Any] | None]]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._in_hand: set[int] = set()  # inbox ids queued or being handled in this process
        self._slots = asyncio.Semaphore(concurrency)  # bounds the handling (database connections, NLU work)
        self._left: dict[int, float] = {}  # groups just left, so that a burst of updates gets one goodbye
        self._recent: dict[str, deque[float]] = {}  # when each chat's latest updates were taken (monotonic)
        self._told_too_fast: dict[str, float] = {}
        self._recording = GroupCommit(self._record, name="telegram-inbox-record")  # see receive

    # --- Receiving ----------------------------------------------------------------------------

    async def receive(self, updates: Iterable[dict[str, Any]]) -> int:
        """Record updates (committed when this returns), then queue the new ones; returns how many were new.

        Updates that arrive while a batch is being written wait for the next one, which records all of them
        in one statement, committed with it (a "group commit": a webhook gets one update a request, up to 40
        requests at once). Nothing about a group or channel is kept: only its update id, to recognise a
        redelivery.
        """
        # A failed write reaches each caller: the webhook answers 500, and Telegram sends again.
        return await self._recording.submit(list(updates))

    async def _record(self, batches: list[list[dict[str, Any]]]) -> list[int]:
        """Record these callers' updates in one statement, queue the new ones; how many were new for each."""
        now = self.clock.now()
        unique: dict[int, dict[str, Any]] = {}  # the same update twice at once (a redelivery racing): once
        for update in (u for updates in batches for u in updates):
            unique.setdefault(int(update["update_id"]), update)
        async with self.db.single_statement() as uow:  # the whole batch in one statement, committed with it
            recorded = await uow.inbox.record_many(
                SOURCE, [(update_id, u if chat_of(u)[1] else None) for update_id, u in unique.items()], now
            )
        counts = []
        for updates in batches:
            new = [(recorded.pop(int(u["update_id"])), u) for u in updates if int(u["update_id"]) in recorded]
            UPDATES_RECEIVED.labels("new").inc(len(new))
            if len(updates) > len(new):
                UPDATES_RECEIVED.labels("again").inc(len(updates) - len(new))
            for inbox_id, update in new:  # in the order Telegram gave them: each chat's updates stay in order
                self.dispatch(inbox_id, update)
            counts.append(len(new))
        return counts

    async def resume_offset(self) -> int | None:
        """The getUpdates offset after the highest update recorded recently (None: take what Telegram has)."""
        async with self.db.transaction() as uow:
            highest = await uow.inbox.max_update_id(SOURCE, received_since=self.clock.now() - RESUME_WINDOW)
        return None if highest is None else highest + 1

    async def replay_pending(self, *, older_than: dt.timedelta | None = None) -> int:
        """Queue the recorded updates not handled yet (at start; then periodically for failed attempts)."""
        before = self.clock.now() - older_than if older_than is not None else None
        async with self.db.transaction() as uow:
            rows = await uow.inbox.pending(SOURCE, received_before=before)
        queued = 0
        for row in rows:
            if row.id not in self._in_hand:
                self.dispatch(row.id, row.payload)
                queued += 1
        if queued:
            log.info("%d recorded updates queued again", queued)
        return queued

    async def retry_pending(self) -> int:
        """Periodic job: updates whose handling failed (or whose process stopped) are tried again."""
        return await self.replay_pending(older_than=self.retry_after)

    def dispatch(self, inbox_id: int, update: dict[str, Any] | None) -> None:
        """Queue a recorded update behind the others of its chat."""
        if inbox_id in self._in_hand:
            return
        self._in_hand.add(inbox_id)
        chat = chat_of(update)[0] if update else "-"
        self._queues.setdefault(chat, deque()).append((inbox_id, update))
        if chat not in self._workers:
            self._workers[chat] = asyncio.create_task(self._work(chat), name=f"telegram-chat-{chat}")

    async def _work(self, chat: str) -> None:
        queue = self._queues[chat]
        try:
            while queue:
                inbox_id, update = queue.popleft()
                try:
                    if self._flooding(chat, update):
                        await self._set_aside(inbox_id, update, chat)
                        UPDATES_HANDLED.labels("set_aside").inc()
                        continue
                    await self.process(inbox_id, update)
                except Exception:  # never lose the worker: the row stays pending and is retried
                    log.exception("inbox update %s: unexpected failure", inbox_id)
                    UPDATES_HANDLED.labels("error").inc()
                finally:
                    self._in_hand.discard(inbox_id)
        finally:
            # No await between the last empty check and here: a dispatch cannot slip in between.
            del self._workers[chat]
            del self._queues[chat]

    def _flooding(self, chat: str, update: dict[str, Any] | None) -> bool:
        """More than FLOOD_LIMIT messages of this chat in FLOOD_WINDOW seconds (words of danger always pass)."""
        message = (update or {}).get("message")
        if not isinstance(message, dict):
            return False  # buttons, edits, anything else: not counted
        now = time.monotonic()
        recent = self._recent.setdefault(chat, deque())
        while recent and now - recent[0] > FLOOD_WINDOW:
            recent.popleft()
        typed = str(message.get("text") or "")
        if len(recent) >= FLOOD_LIMIT and not certain_danger(typed):
            return True
        recent.append(now)
        return False

    async def _set_aside(self, inbox_id: int, update: dict[str, Any] | None, chat: str) -> None:
        incoming = translate(update, inbox_id=inbox_id) if update is not None else None
        if isinstance(incoming, ForEngine) and incoming.callback_query_id:
            await self.sender.answer_button(incoming.callback_query_id, None)
        await self._done(inbox_id)
        now = time.monotonic()
        if not isinstance(incoming, ForEngine) or now - self._told_too_fast.get(chat, -FLOOD_WINDOW) < FLOOD_WINDOW:
            return
        self._told_too_fast[chat] = now
        event, at = incoming.event, self.clock.now()
        async with self.db.transaction() as uow:
            message_id = await uow.outbox.add(
                key=f"{event.key}:too-fast", channel=event.person.channel, chat_id=event.person.chat_id,
                kind="reply", payload=reply_payload(Reply(TOO_FAST)), due_at=at, now=at,
            )
        if message_id is not None:
            await self.delivery.deliver([message_id])

    async def idle(self) -> None:
        """Wait until every queued update has been handled (tests, and a clean stop)."""
        while self._workers:
            await asyncio.gather(*list(self._workers.values()), return_exceptions=True)

    async def close(self, timeout: float = 10.0) -> None:
        """Let the updates in hand finish (they are recorded: whatever is cut short is replayed at start)."""
        try:
            await asyncio.wait_for(self.idle(), timeout)
        except TimeoutError:
            for task in list(self._workers.values()):
                task.cancel()
            await asyncio.gather(*list(self._workers.values()), return_exceptions=True)

    # --- Handling -----------------------------------------------------------------------------

    async def process(self, inbox_id: int, update: dict[str, Any] | None) -> None:
        """Handle one recorded update."""
        if update is None:  # a group's update (nothing kept) replayed after a restart: nothing to do
            await self._done(inbox_id)
            return
        incoming = translate(update, inbox_id=inbox_id)
        if isinstance(incoming, ForEngine):
            await self._converse(inbox_id, incoming)
            return
        if isinstance(incoming, NotPrivate):
            await self._leave(incoming)
        elif incoming.callback_query_id:
            await self.sender.answer_button(incoming.callback_query_id, None)
        await self._done(inbox_id)
        UPDATES_HANDLED.labels("ok").inc()

    async def _converse(self, inbox_id: int, incoming: ForEngine) -> None:
        event = incoming.event
        try:
            async with self._slots:  # not held while sending: pacing waits must not block other chats
                started = time.perf_counter()
                # The replies come back already taken for delivery: sent right below, by this worker.
                outcome = await self.engine.handle(event, send_now=self.delivery.channels)
                HANDLING_SECONDS.observe(time.perf_counter() - started)
                UPDATES_HANDLED.labels("ok").inc()  # committed: counted before anything else can fail
        except Exception:
            # The transaction was rolled back: the update is still pending and will be tried again.
            log.exception("handling inbox update %s failed", inbox_id)
            UPDATES_HANDLED.labels("error").inc()
            if incoming.callback_query_id:
                await self.sender.answer_button(incoming.callback_query_id, None)
            await self._failed(inbox_id, event)
            return
        if incoming.callback_query_id:
            await self.sender.answer_button(incoming.callback_query_id, outcome.ack)
        if outcome.clear_keyboard and event.message_id:
            await self.sender.remove_keyboard(event.person.chat_id, event.message_id)
        # This chat's replies are paced (one every ``per_chat_interval_seconds``); what goes to other chats (a
        # hand-off summary, an urgent one above all) must not wait behind them: both are sent side by side.
        await asyncio.gather(self.delivery.deliver(outcome.outbox_ids), self.delivery.send(outcome.to_send))

    async def _failed(self, inbox_id: int, event: Event) -> None:
        """Count the attempt; the last one sets the update aside and tells the person."""
        now = self.clock.now()
        message_id = None
        async with self.db.transaction() as uow:
            row = await uow.inbox.get(inbox_id)
            if row is None or row.status != PENDING:
                return
            give_up = row.attempts + 1 >= MAX_ATTEMPTS
            await uow.inbox.mark_attempt(inbox_id, give_up, now)
            if give_up:
                person = await uow.people.find(event.person.channel, event.person.external_id)
                message_id = await uow.outbox.add(
                    key=f"{event.key}:trouble", channel=event.person.channel, chat_id=event.person.chat_id,
                    kind="reply", payload=reply_payload(Reply(TROUBLE)), due_at=now, now=now,
                    person_id=person.id if person else None,
                )
        if message_id is not None:
            await self.delivery.deliver([message_id])

    async def _leave(self, incoming: NotPrivate) -> None:
        """Groups and channels: one short sentence (when the bot may speak there), then leave."""
        now = time.monotonic()
        self._left = {chat: at for chat, at in self._left.items() if now - at < 60}
        if incoming.callback_query_id:
            await self.sender.answer_button(incoming.callback_query_id, None)
        if incoming.chat_id in self._left:
            return
        self._left[incoming.chat_id] = now
        await self.sender.leave_chat(
            incoming.chat_id, PRIVATE_ONLY.format(bot=f"@{self.bot_username}") if incoming.say else None
        )

    async def _done(self, inbox_id: int) -> None:
        async with self.db.transaction() as uow:
            await uow.inbox.mark_done(inbox_id, None, self.clock.now())

