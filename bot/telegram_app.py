"""``tremplin run``: the assistant on Telegram, by long polling (default) or webhook.

Python-telegram-bot 22's ``Application`` makes the Bot API calls (``base_url`` from
``TELEGRAM_API_BASE_URL``, ``AIORateLimiter`` for the overall rate); its own ``Updater`` is left out
because it confirms updates before we could record them (see bot/telegram_polling.py). The path of
an update: bot/telegram_channel.py. At start, before any new update: the menu is published, what a
stopped process left in the outbox is sent, and the updates it recorded but did not handle are handled.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import os
import re
import signal
from contextlib import AsyncExitStack

from telegram.error import InvalidToken, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot.cli_common import fail
from bot.config import AppConfig
from bot.delivery import Delivery
from bot.email_sender import EmailSender, SmtpUrlError
from bot.examples import Example
from bot.housekeeping import schedule_housekeeping
from bot.runtime import Assistant, open_assistant
from bot.scheduler import Scheduler, install_jobs
from bot.startup import StartupFailure
from bot.telegram_channel import TelegramChannel
from bot.telegram_commands import register_commands
from bot.telegram_http import AiohttpRequest
from bot.telegram_polling import POLL_TIMEOUT, poll
from bot.telegram_sender import ChatPacer, TelegramSender
from bot.telegram_updates import ALLOWED_UPDATES
from bot.telegram_webhook import WebhookServer
from flows.nudges.nudges import run_planning
from flows.outcomes.questions import run_outcome_questions
from flows.suggestions.alerts import run_offer_alerts

log = logging.getLogger(__name__)
WEBHOOK_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as secret_token
FRESH_GRACE = dt.timedelta(seconds=30)  # replies just written are delivered by their own worker


class StartError(Exception):
    """The bot cannot start; the message is the one line the operator reads."""


def build_application(cfg: AppConfig) -> Application:
    """A PTB Application for the Bot API calls only (no Updater, no job queue of its own)."""
    token = cfg.secrets.telegram_bot_token
    if token is None:
        raise StartError("TELEGRAM_BOT_TOKEN is not set")
    telegram = cfg.settings.telegram
    builder = (
        ApplicationBuilder()
        .token(token.get_secret_value())
        .updater(None)
        # A bucket of one call refilled every 1/rate s: a steady cap with no start-up burst (a bucket of
        # `rate` calls per second lets up to twice the rate through in one second). A 429 goes back to
        # the outbox, which waits.
        .rate_limiter(AIORateLimiter(overall_max_rate=1, overall_time_period=1 / telegram.overall_per_second,
                                     max_retries=0))
        # aiohttp rather than PTB's default httpx: a tenth of the CPU per call (bot/telegram_http.py).
        .request(AiohttpRequest(pool_size=64, connect_timeout=10, read_timeout=20, pool_timeout=10))
        # getUpdates has its own connection (a long poll must not wait behind replies); it passes its own
        # read timeout (bot/telegram_polling.py).
        .get_updates_request(AiohttpRequest(pool_size=1, connect_timeout=10, pool_timeout=10))
    )
    if cfg.secrets.telegram_api_base_url:
        base = cfg.secrets.telegram_api_base_url.rstrip("/")
        builder = builder.base_url(base).base_file_url(base.replace("/bot", "/file/bot", 1))
    return builder.build()


def webhook_secret(cfg: AppConfig) -> str | None:
    """``WEBHOOK_SECRET``; StartError in webhook mode when it is missing or not what Telegram accepts."""
    secret = cfg.secrets.webhook_secret.get_secret_value() if cfg.secrets.webhook_secret else None
    if cfg.settings.telegram.mode == "webhook" and (secret is None or not WEBHOOK_SECRET_SHAPE.match(secret)):
        raise StartError("webhook mode needs WEBHOOK_SECRET (1-256 characters: letters, digits, _ and -)")
    return secret


def quieten_telegram_logs() -> None:
    """PTB logs request results (message texts) at DEBUG and every handled 429 at ERROR: keep both out."""
    root = logging.getLogger().level
    logging.getLogger("telegram").setLevel(max(logging.INFO, root))
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)  # ours say it once
    logging.getLogger("tornado.access").setLevel(max(logging.WARNING, root))


class TelegramBot:
    """One bot process: polling or webhook, delivery and the periodic jobs, until ``stop()``."""

    def __init__(self, cfg: AppConfig, *, assistant: Assistant | None = None,
                 examples: list[Example] | None = None) -> None:
        self.cfg = cfg
        self.assistant = assistant
        self.examples = examples or []  # allowed by --allow-examples: /healthz says so, /readyz is 503
        self.ready = asyncio.Event()  # set once new updates are being taken (tests wait for it)
        self.webhook_port: int | None = None
        self.channel: TelegramChannel | None = None
        self._stop = asyncio.Event()

    def stop(self) -> None:
        """Ask the bot to stop after the updates in hand (safe from a signal handler)."""
        self._stop.set()

    async def run(self) -> None:
        """Run until ``stop()``; raise StartError if the bot cannot start."""
        cfg = self.cfg
        telegram = cfg.settings.telegram
        secret = webhook_secret(cfg)
        quieten_telegram_logs()
        # PTB 22 durations (retry_after...) as timedeltas now, as in its next major version: no warnings.
        os.environ.setdefault("PTB_TIMEDELTA", "1")
        async with AsyncExitStack() as stack:
            assistant = self.assistant or await open_assistant(cfg)
            if self.assistant is None:
                stack.push_async_callback(assistant.close)
            application = build_application(cfg)
            try:
                await application.initialize()  # getMe: checks the token and learns the bot's name
            except InvalidToken as error:
                await application.bot.shutdown()  # its HTTP sessions, opened before getMe failed
                raise StartError("Telegram refused TELEGRAM_BOT_TOKEN") from error
            except TelegramError as error:
                await application.bot.shutdown()
                where = cfg.secrets.telegram_api_base_url or "api.telegram.org"
                raise StartError(f"cannot reach the Telegram Bot API at {where} ({type(error).__name__}; "
                                 "TELEGRAM_API_BASE_URL, or the network and its proxy)") from error
            stack.push_async_callback(application.shutdown)
            bot = application.bot
            sender = TelegramSender(bot, ChatPacer(telegram.per_chat_interval_seconds))
            try:  # the advisors' e-mail (hand-off summaries) goes through the same outbox when SMTP_URL is set
                mail = [EmailSender.from_url(cfg.secrets.smtp_url.get_secret_value())] if cfg.secrets.smtp_url else []
            except SmtpUrlError as error:
                raise StartError(str(error)) from error
            delivery = Delivery(
                assistant.db, [sender, *mail], assistant.world.clock, batch_size=cfg.settings.delivery.batch_size,
                max_attempts=cfg.settings.delivery.max_attempts, fresh_grace=FRESH_GRACE,
                stale_after=dt.timedelta(seconds=cfg.settings.delivery.stale_after_seconds),
            )
            channel = TelegramChannel(assistant.db, assistant.engine, delivery, sender,
                                      bot_username=bot.username)
            self.channel = channel
            stack.push_async_callback(channel.close)
            await register_commands(bot)
            polling = telegram.mode == "polling"
            # What a stopped process left behind, queued before anything new (each chat stays in order).
            # Polling is one process by construction (Telegram refuses two): its claimed rows can be
            # released at once.
            await delivery.recover(sole_instance=polling)
            await channel.replay_pending()
            if polling:
                await bot.delete_webhook(drop_pending_updates=False)
            else:
                assert secret is not None
                server = WebhookServer(channel, assistant.db, listen=telegram.webhook_listen,
                                       port=telegram.webhook_port, path=telegram.webhook_path, secret=secret,
                                       examples=self.examples)
                self.webhook_port = await server.start()
                stack.push_async_callback(server.stop)
                if telegram.webhook_public_url:
                    await bot.set_webhook(telegram.webhook_public_url, secret_token=secret,
                                          allowed_updates=list(ALLOWED_UPDATES))
            scheduler = Scheduler(cfg.settings)
            install_jobs(scheduler, cfg.settings, delivery=delivery,
                         plan_nudges=functools.partial(run_planning, assistant.db, assistant.world),
                         outcome_questions=functools.partial(run_outcome_questions, assistant.db, assistant.world),
                         offer_alerts=(functools.partial(run_offer_alerts, assistant.db, assistant.world)
                                       if assistant.world.offers is not None else None))
            scheduler.every(10, "telegram_inbox_retry", channel.retry_pending)
            schedule_housekeeping(scheduler, assistant.db, assistant.world)  # nightly retention purge
            scheduler.start()
            stack.push_async_callback(scheduler.stop)
            log.info("Tremplin on Telegram as @%s (%s)", bot.username, telegram.mode)
            self.ready.set()
            if polling:
                await poll(bot, channel, self._stop, timeout=POLL_TIMEOUT)
            else:
                await self._stop.wait()
            log.info("stopping")


async def _main(cfg: AppConfig, examples: list[Example]) -> None:
    bot = TelegramBot(cfg, examples=examples)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, bot.stop)
    await bot.run()


def run_telegram(cfg: AppConfig, *, examples: list[Example] | None = None) -> None:
    """Entry point of ``tremplin run`` (the CLI has already checked that a token is set and bot/startup.py's
    checks passed; ``examples``: those --allow-examples let through)."""
    try:
        asyncio.run(_main(cfg, examples or []))
    except (StartError, StartupFailure) as error:
        fail(str(error))
    except InvalidToken:
        fail("Telegram refused TELEGRAM_BOT_TOKEN")
