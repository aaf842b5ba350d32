"""``tremplin web``: the desk served by uvicorn, on the bot's configuration, database and data key.

The desk delivers what it writes itself (a sign-in link by e-mail; a reply on Telegram when the bot's token is
set), through the same outbox: if that fails, the bot's periodic delivery tries again.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

import uvicorn
from starlette.applications import Starlette

from bot.config import AppConfig
from bot.delivery import Delivery, Sender
from bot.email_sender import EmailSender
from bot.runtime import open_assistant
from bot.telegram_app import build_application
from bot.telegram_sender import ChatPacer, TelegramSender
from web.app import create_app
from web.oidc import Provider

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def senders(cfg: AppConfig) -> AsyncIterator[list[Sender]]:
    """The channels this process can send on: e-mail when SMTP_URL is set, Telegram when the token is."""
    found: list[Sender] = []
    if cfg.secrets.smtp_url is not None:
        found.append(EmailSender.from_url(cfg.secrets.smtp_url.get_secret_value()))
    application = build_application(cfg) if cfg.secrets.telegram_bot_token is not None else None
    if application is not None:
        await application.initialize()
        found.append(TelegramSender(application.bot, ChatPacer(cfg.settings.telegram.per_chat_interval_seconds)))
    try:
        yield found
    finally:
        if application is not None:
            await application.shutdown()


def provider(cfg: AppConfig) -> Provider | None:
    """The identity provider of ``web.oidc_*`` (its secret from OIDC_CLIENT_SECRET), if configured."""
    web = cfg.settings.web
    if not web.oidc_issuer or not web.oidc_client_id:
        return None
    secret = cfg.secrets.oidc_client_secret
    return Provider(web.oidc_issuer, web.oidc_client_id, secret.get_secret_value() if secret else "")


@contextlib.asynccontextmanager
async def desk(cfg: AppConfig) -> AsyncIterator[Starlette]:
    """The desk's application with its database, senders and delivery, for as long as the block runs."""
    assistant = await open_assistant(cfg, understanding=False)
    try:
        async with senders(cfg) as channels:
            delivery = Delivery(assistant.db, channels, assistant.world.clock,
                                max_attempts=cfg.settings.delivery.max_attempts) if channels else None

            async def deliver(ids: Sequence[int]) -> None:
                if delivery is not None:
                    try:
                        await delivery.deliver(ids)
                    except Exception:  # the rows stay in the outbox: the bot's tick sends them
                        log.exception("the desk could not send what it wrote; the bot will")

            yield create_app(assistant.db, assistant.world, cfg.settings.web, deliver=deliver, oidc=provider(cfg))
    finally:
        await assistant.close()


async def serve(cfg: AppConfig, *, host: str | None = None, port: int | None = None) -> None:
    """Serve until interrupted."""
    web = cfg.settings.web
    if cfg.secrets.smtp_url is None and provider(cfg) is None:
        log.warning("neither SMTP_URL (sign-in links) nor web.oidc_issuer is set: nobody can sign in to the desk")
    async with desk(cfg) as app:
        config = uvicorn.Config(app, host=host or web.host, port=port or web.port, log_level="warning",
                                proxy_headers=True, server_header=False, access_log=False)
        log.info("desk listening on %s:%d", config.host, config.port)
        await uvicorn.Server(config).serve()
