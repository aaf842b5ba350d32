"""Logging set-up. Message text, names and tokens never go to the logs, at any level."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
from pathlib import Path
from typing import TextIO

PROCESS_NAME = "TREMPLIN_PROCESS"  # set by `tremplin serve` for each child ("worker 2", "desk"): said on each line


class CurrentStderr:
    """The process's stderr as it is when a line is written: a command run inside another program (a test's
    CliRunner) gets a stderr that is closed once it returns, and later log lines must not go there."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def setup_logging(level: str, *, file: Path | None = None, json_lines: bool = False) -> None:
    """Log to stderr at ``level`` (or append to ``file``, mode 0600); quieten the chatty HTTP libraries that
    log URLs with tokens. ``json_lines``: one JSON object a line (``logging.format: json``), for a log
    collector.

    ``tremplin chat`` logs to a file: in a terminal, stderr is the screen of the conversation.
    """
    stream = _private_log(file) if file is not None else CurrentStderr()
    process = os.environ.get(PROCESS_NAME)
    logging.basicConfig(
        level=getattr(logging, level),
        stream=stream,
        format=f"%(asctime)s %(levelname)s {f'[{process}] ' if process else ''}%(name)s: %(message)s",
        force=True,
    )
    if json_lines:
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonFormatter(process))
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


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, process id (and its name under
    `tremplin serve`), and the exception (type and traceback) when there is one. The same rules hold: no
    message text, name or secret."""

    def __init__(self, process: str | None = None) -> None:
        super().__init__()
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        if self.process:
            entry["process"] = self.process
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def _private_log(file: Path) -> TextIO:
    """``file`` opened for appending, readable by this user only (logs name no one, but say what happened)."""
    from storage.sqlite_inline import private_folder  # here: every `tremplin` command imports this module

    private_folder(file.parent)
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.fchmod(fd, 0o600)  # a file made before, or under another umask
    return os.fdopen(fd, "a", encoding="utf-8", buffering=1)


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
