"""Logging set-up. Message text, names and tokens never go to the logs, at any level."""

from __future__ import annotations

import logging
import os
import sys


def setup_logging(level: str) -> None:
    """Log to stderr at ``level``; quieten the chatty HTTP libraries that log URLs with tokens."""
    logging.basicConfig(
        level=getattr(logging, level),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    # httpx logs every request URL at INFO, and Telegram URLs carry the bot token.
    # Alembic says "Context impl SQLiteImpl" at every start; `tremplin db upgrade` reports what it did.
    for noisy in ("httpx", "httpcore", "telegram.ext.Application", "apscheduler", "aiosqlite", "asyncio", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    # SQLAlchemy logs statements at INFO and result rows (first names, chat ids) at DEBUG: warnings only
    # (database.echo still shows the statements, with their values hidden: storage.db). python-telegram-bot
    # logs every Bot API call with its parameters (message texts) and the API URL (the token) at DEBUG.
    logging.getLogger("sqlalchemy").setLevel(max(logging.WARNING, logging.getLogger().level))
    logging.getLogger("telegram").setLevel(max(logging.INFO, logging.getLogger().level))
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactSecrets())


SECRET_VARIABLES = ("TELEGRAM_BOT_TOKEN", "TREMPLIN_DATA_KEY", "WEBHOOK_SECRET", "SMTP_URL")


class RedactSecrets(logging.Filter):
    """Last line of defence: a secret of the environment that reaches a log line is masked.

    The rules above keep secrets out of the logs in the first place; this catches what a library
    might still print (an exception quoting a URL with the bot token, say).
    """

    def __init__(self, secrets: list[str] | None = None) -> None:
        super().__init__()
        found = secrets if secrets is not None else [os.environ.get(name, "") for name in SECRET_VARIABLES]
        # TREMPLIN_DATA_KEY may hold several keys separated by commas: mask each one.
        parts = [p.strip() for value in found for p in [value, *value.split(",")]]
        self.secrets = sorted({p for p in parts if len(p) >= 8}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        text = message
        for secret in self.secrets:
            text = text.replace(secret, "[secret]")
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            for secret in self.secrets:
                record.exc_text = record.exc_text.replace(secret, "[secret]")
        if text != message:
            record.msg, record.args = text, ()
        return True
