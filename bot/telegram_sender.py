"""Sending on Telegram: one outbox row → sendMessage / editMessageText / sendDocument, paced.

Pacing follows Telegram's limits: about one message per second in one chat (``ChatPacer``, ours) and
about 30 per second overall (PTB's ``AIORateLimiter``, set up in bot/telegram_app.py). Telegram's
answers become ``SendError``s that bot/delivery.py understands: 429 → try again after ``retry_after``,
403 (the person blocked the bot) → unreachable, other refusals → give up on that message.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning, PTBUserWarning

from bot.delivery import SendError, Sent
from bot.metrics import TELEGRAM_RATE_LIMITED
from bot.telegram_updates import CHANNEL, MAX_TEXT
from flows.engine.events import Button, Reply
from storage.outbox import OutboxMessage

log = logging.getLogger(__name__)
# The calls of the hot path are made with Bot.do_api_request on purpose (TelegramSender._call).
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.(sendMessage|editMessageText|editMessageReplyMarkup|"
                        r"answerCallbackQuery)'", category=PTBUserWarning)
MAX_CAPTION = 1024
NOT_MODIFIED = "message is not modified"
EDIT_IMPOSSIBLE = ("message to edit not found", "message can't be edited", "there is no text in the message to edit")


class ChatPacer:
    """At most one message every ``interval`` seconds in each chat; chats do not wait for each other."""

    def __init__(
        self,
        interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, float] = {}

    @contextlib.asynccontextmanager
    async def turn(self, chat_id: str) -> AsyncIterator[None]:
        """Wait for this chat's turn, send inside the block; the next one waits ``interval`` after it ends."""
        if self.interval <= 0:
            yield
            return
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        async with lock:
            last = self._last.get(chat_id)
            if last is not None:
                wait = last + self.interval - self._clock()
                if wait > 0:
                    await self._sleep(wait)
            try:
                yield
            finally:
                # Measured from the end of the request: Telegram counts messages as they arrive.
                self._last[chat_id] = self._clock()
        self._forget_idle()

    def _forget_idle(self) -> None:
        if len(self._last) < 1000:
            return
        now = self._clock()
        for chat_id, last in list(self._last.items()):
            lock = self._locks.get(chat_id)
            if now - last > self.interval and (lock is None or not lock.locked()):
                self._last.pop(chat_id, None)
                self._locks.pop(chat_id, None)


def keyboard(buttons: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    """An inline keyboard (the button data is already compact and signed by flows/engine/buttons.py)."""
    if not buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
                                 for row in buttons])


def keyboard_json(buttons: tuple[tuple[Button, ...], ...]) -> dict[str, Any] | None:
    """The same keyboard as the Bot API's JSON, for the calls made with ``_call``."""
    if not buttons:
        return None
    return {"inline_keyboard": [[{"text": b.label, "callback_data": b.data} for b in row] for row in buttons]}


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Pieces of at most ``limit`` characters, cut at a line break or a space when possible."""
    pieces = []
    while len(text) > limit:
        cut = max(text.rfind("\n", 0, limit), text.rfind(" ", 0, limit))
        cut = cut if cut > limit // 2 else limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    pieces.append(text)
    return pieces


def seconds(value: int | float | dt.timedelta) -> float:
    """Seconds, from a number or a timedelta."""
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def retry_seconds(error: RetryAfter) -> float:
    """``retry_after`` in seconds (PTB 22 warns that the attribute will become a timedelta: either is fine)."""
    with warnings.catch_warnings():  # no await inside: safe in an event loop
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        return seconds(error.retry_after)


def send_error(error: TelegramError) -> SendError:
    """Telegram's refusal in the terms of bot/delivery.py (the message text never goes in the reason)."""
    if isinstance(error, RetryAfter):
        TELEGRAM_RATE_LIMITED.inc()
        return SendError("429 too many requests", retry_after=retry_seconds(error))
    if isinstance(error, Forbidden):
        return SendError(f"403 {error.message}", blocked=True)  # blocked, deactivated, never started
    if isinstance(error, BadRequest):
        return SendError(f"400 {error.message}", permanent=True)
    if isinstance(error, InvalidToken):
        return SendError("the token was refused")
    return SendError(f"{type(error).__name__}: {error.message}")  # network trouble: try again later


class TelegramSender:
    """The ``Sender`` of bot/delivery.py for the "telegram" channel."""

    channels = (CHANNEL,)

    def __init__(self, bot: Bot, pacer: ChatPacer) -> None:
        self.bot = bot
        self.pacer = pacer

    async def _call(self, method: str, **fields: Any) -> Any:
        """A Bot API call of the hot path (a reply, an edit, a button answered), answered as raw JSON.

        It goes through PTB all the same (rate limiter, timeouts, Telegram's errors as ``RetryAfter``,
        ``Forbidden``, ``BadRequest``...), but without building a ``Message`` object from each answer:
        that costs more CPU than the call itself, and only the message id is read (bench/README.md).
        """
        return await self.bot.do_api_request(method, api_kwargs={k: v for k, v in fields.items() if v is not None})

    async def send(self, message: OutboxMessage, reply: Reply, edit_message_id: str | None) -> str | Sent | None:
        """Send or edit one message; returns Telegram's message id (``Sent``, with every piece's, for a long text)."""
        try:
            if edit_message_id and reply.document is None and len(reply.text) <= MAX_TEXT:
                edited = await self._edit(message.chat_id, int(edit_message_id), reply)
                if edited is not None:
                    return edited
            if reply.document is not None:
                return await self._send_document(message.chat_id, reply)
            return await self._send_text(message.chat_id, reply)
        except TelegramError as error:
            if isinstance(error, RetryAfter | Forbidden):
                log.warning("outbox message %s not sent: %s", message.id, type(error).__name__)
            raise send_error(error) from error

    async def _edit(self, chat_id: str, message_id: int, reply: Reply) -> str | None:
        """Edit in place; None when the message cannot be edited any more (then a new one is sent)."""
        try:
            async with self.pacer.turn(chat_id):
                await self._call("editMessageText", chat_id=chat_id, message_id=message_id, text=reply.text,
                                 reply_markup=keyboard_json(reply.buttons))
        except BadRequest as error:
            reason = error.message.lower()
            if NOT_MODIFIED in reason:
                return str(message_id)  # a double tap redraws the same thing: already as it should be
            if any(text in reason for text in EDIT_IMPOSSIBLE):
                return None
            raise
        return str(message_id)

    async def _send_text(self, chat_id: str, reply: Reply) -> str | Sent:
        """One message, or several pieces when too long: then every piece's id is kept (a reply to any of
        them must find the message), the last one (with the buttons) standing for it."""
        pieces = split_text(reply.text or "…")
        ids: list[str] = []
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            async with self.pacer.turn(chat_id):
                sent = await self._call("sendMessage", chat_id=chat_id, text=piece,
                                        reply_markup=keyboard_json(reply.buttons) if last else None)
            ids.append(str(sent["message_id"]))
        return ids[-1] if len(ids) == 1 else Sent(ids[-1], tuple(ids))

    async def _send_document(self, chat_id: str, reply: Reply) -> str | Sent:
        document = reply.document
        assert document is not None
        file = InputFile(document.content, filename=document.filename, attach=True)
        markup = keyboard(reply.buttons)
        if len(reply.text) <= MAX_CAPTION:
            async with self.pacer.turn(chat_id):
                sent = await self.bot.send_document(chat_id, file, caption=reply.text or None, reply_markup=markup)
            return str(sent.message_id)
        # Too long for a caption: the text (with its buttons) first, then the file.
        text = await self._send_text(chat_id, reply)
        async with self.pacer.turn(chat_id):
            sent = await self.bot.send_document(chat_id, file)
        if isinstance(text, Sent):
            return Sent(text.external_id, (*text.pieces, str(sent.message_id)))
        return Sent(text, (text, str(sent.message_id)))

    async def remove_keyboard(self, chat_id: str, message_id: str) -> None:
        """Take the buttons off a message that was answered (best effort: it is only tidiness)."""
        try:
            await self._call("editMessageReplyMarkup", chat_id=chat_id, message_id=int(message_id))
        except TelegramError as error:
            log.debug("keyboard not removed: %s", type(error).__name__)

    async def answer_button(self, callback_query_id: str, text: str | None) -> None:
        """Stop the button's spinner (Telegram asks for it every time), with a short note if any."""
        try:
            await self._call("answerCallbackQuery", callback_query_id=callback_query_id, text=text)
        except TelegramError as error:  # e.g. "query is too old" after a restart: nothing to do
            log.debug("button not answered: %s", type(error).__name__)

    async def leave_chat(self, chat_id: int, text: str | None) -> None:
        """Say why (if anything) and leave a group or channel; nothing about it is kept, nothing retried."""
        if text:
            try:
                await self.bot.send_message(chat_id, text)
            except TelegramError as error:  # no right to write there: leaving is what matters
                log.debug("goodbye not sent: %s", type(error).__name__)
        try:
            await self.bot.leave_chat(chat_id)
        except TelegramError as error:
            log.info("could not leave a group chat: %s", type(error).__name__)
