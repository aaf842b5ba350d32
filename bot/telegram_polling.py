"""Long polling that loses nothing: an update is recorded before Telegram is told we have it.

PTB's built-in ``Updater`` confirms updates (the next ``getUpdates`` offset) as soon as it has queued
them in memory; a ``kill -9`` just after would lose them. Here the offset only moves past a batch once
the batch is committed to the inbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from typing import Any

from telegram import Bot
from telegram.error import Conflict, InvalidToken, RetryAfter
from telegram.warnings import PTBUserWarning

from bot.telegram_channel import TelegramChannel
from bot.telegram_sender import retry_seconds
from bot.telegram_updates import ALLOWED_UPDATES

log = logging.getLogger(__name__)
POLL_TIMEOUT = 25  # seconds Telegram holds a getUpdates open when there is nothing new
MAX_BACKOFF = 30.0

# We ask for the raw JSON on purpose (recorded as Telegram sent it, unknown fields included).
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.getUpdates'", category=PTBUserWarning)


async def fetch(bot: Bot, offset: int | None, timeout: int) -> list[dict[str, Any]]:
    """One ``getUpdates``: the updates as raw JSON (confirms every update below ``offset``)."""
    kwargs: dict[str, Any] = {"timeout": timeout, "allowed_updates": list(ALLOWED_UPDATES)}
    if offset is not None:
        kwargs["offset"] = offset
    result = await bot.do_api_request("getUpdates", api_kwargs=kwargs, read_timeout=timeout + 10)
    return [u for u in result or [] if isinstance(u, dict) and isinstance(u.get("update_id"), int)]


async def poll(bot: Bot, channel: TelegramChannel, stop: asyncio.Event, *, timeout: int = POLL_TIMEOUT) -> None:
    """Fetch, record, then (and only then) ask for what comes next; until ``stop`` is set."""
    offset = await channel.resume_offset()
    backoff = 1.0
    stopping = asyncio.create_task(stop.wait())
    try:
        while not stop.is_set():
            request = asyncio.create_task(fetch(bot, offset, timeout))
            await asyncio.wait({request, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not request.done():  # stopping: an unanswered getUpdates confirms nothing, it can go
                request.cancel()
                await asyncio.gather(request, return_exceptions=True)
                return
            try:
                updates = request.result()
            except InvalidToken:
                raise
            except RetryAfter as error:
                await _pause(stop, retry_seconds(error))
                continue
            except Conflict:
                log.warning("another process is polling with this token (or a webhook is set): waiting")
                await _pause(stop, 5.0)
                continue
            except Exception as error:  # network trouble, Telegram down: never stop polling for it
                log.warning("getUpdates failed (%s): trying again in %.0f s", type(error).__name__, backoff)
                await _pause(stop, backoff)
                backoff = min(MAX_BACKOFF, backoff * 2)
                continue
            backoff = 1.0
            if not updates:
                continue
            try:
                await channel.receive(updates)
            except Exception:  # not recorded: the same offset fetches the same updates again
                log.exception("recording %d updates failed: fetching them again", len(updates))
                await _pause(stop, 2.0)
                continue
            offset = max(u["update_id"] for u in updates) + 1
    finally:
        stopping.cancel()


async def _pause(stop: asyncio.Event, delay: float) -> None:
    """Sleep, but wake up at once when asked to stop."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), delay)
