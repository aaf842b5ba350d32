"""Logging set-up. Message text, names and tokens never go to the logs, at any level."""

from __future__ import annotations

import logging
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
    for noisy in ("httpx", "httpcore", "telegram.ext.Application", "apscheduler", "aiosqlite", "asyncio",
                  "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
