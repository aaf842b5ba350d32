"""What is checked before a process that serves people starts (``tremplin run``, and the desk's ``web``).

Every start-up failure is one line naming the cause and the setting to look at, and exit code 2
(``StartupFailure``, or ``explain`` for an exception raised deeper: the database's driver, Alembic). The
checks, in order: examples still in what young people read (refused unless ``--allow-examples``), the
listening port, the database (reachable, exists, accepts the credentials, schema current when
``database.auto_migrate`` is off), the Rasa server when ``nlu.require_rasa`` is on. The data key has its
own one-line refusal (bot/keys.py, ``KeyRefused``), raised when the assistant opens.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
import sqlite3
from collections.abc import Iterator

from bot.config import AppConfig
from bot.examples import Example, database_structures, find_examples

log = logging.getLogger(__name__)


class StartupFailure(Exception):
    """The process cannot start; the message is the one line the operator reads (exit code 2)."""


# --- Naming the setting ------------------------------------------------------------------------------


def _config_name(cfg: AppConfig | None) -> str:
    return cfg.config_path.name if cfg is not None and cfg.config_path is not None else "config.yml"


def database_setting(cfg: AppConfig | None) -> str:
    """Where the database URL comes from: ``DATABASE_URL``, or ``database.url`` in the config file."""
    if cfg is None:
        return "DATABASE_URL or database.url"
    return "DATABASE_URL" if cfg.secrets.database_url else f"database.url in {_config_name(cfg)}"


def shown_url(url: str) -> str:
    """The URL with its password hidden."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy reads: say nothing of it rather than risk a password
        return "(unreadable URL)"


def _where(cfg: AppConfig | None) -> str:
    if cfg is None:
        return database_setting(cfg)
    return f"{database_setting(cfg)} = {shown_url(cfg.secrets.database_url or cfg.settings.database.url)}"


# --- Explaining an exception raised while starting ---------------------------------------------------


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend([getattr(current, "orig", None), current.__cause__, current.__context__])


def _through_the_database_driver(exc: BaseException) -> bool:
    """A connection error is the database's only if it came through its driver (not SMTP, Rasa, Telegram)."""
    for error in _chain(exc):
        tb = error.__traceback__
        while tb is not None:
            name = tb.tb_frame.f_code.co_filename
            if "/asyncpg/" in name or "/sqlalchemy/" in name:
                return True
            tb = tb.tb_next
    return False


def metrics_folder_unusable(folder: str) -> str:
    """The one line for a ``PROMETHEUS_MULTIPROC_DIR`` that is not a writable folder."""
    return (f"PROMETHEUS_MULTIPROC_DIR={folder} is not a folder this user can write: create it, empty, before the "
            f"workers start (deploy/systemd/tremplin-prepare.service), or unset it for a single process.")


def explain(exc: BaseException, cfg: AppConfig | None) -> str | None:
    """The one line for a known start-up failure (the database, its schema, the metrics' folder), or None."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    for error in _chain(exc):
        if folder and isinstance(error, OSError) and str(getattr(error, "filename", "")).startswith(folder):
            return metrics_folder_unusable(folder)
        state = getattr(error, "sqlstate", None)
        if state == "3D000":  # invalid_catalog_name
            return (f"Database missing: {error} ({_where(cfg)}): create it (docs/deploiement.md, "
                    f"`createdb -O tremplin tremplin`) or correct {database_setting(cfg)}.")
        if state in ("28000", "28P01"):  # invalid_authorization_specification, invalid_password
            return (f"Database refused the credentials: {error} ({_where(cfg)}): check the role and its "
                    f"password in {database_setting(cfg)}.")
        if state == "57P03":  # cannot_connect_now: starting up, shutting down
            return f"Database not accepting connections yet: {error} ({_where(cfg)}): try again in a moment."
        if (isinstance(error, ConnectionRefusedError | socket.gaierror | TimeoutError) or (
                isinstance(error, OSError) and error.errno in (errno.ECONNREFUSED, errno.EHOSTUNREACH,
                                                               errno.ENETUNREACH, errno.ETIMEDOUT))
                ) and _through_the_database_driver(exc):
            reason = ("connection refused" if isinstance(error, ConnectionRefusedError)
                      else "unknown host" if isinstance(error, socket.gaierror) else type(error).__name__)
            return (f"Database unreachable ({reason}) ({_where(cfg)}): is PostgreSQL running and listening "
                    f"there?")
        if isinstance(error, sqlite3.OperationalError) and "unable to open" in str(error):
            return (f"Database file cannot be opened ({_where(cfg)}): check that its folder exists and is "
                    f"writable by this user.")
        if type(error).__name__ == "CommandError" and "Can't locate revision" in str(error):
            return (f"Database schema is newer than this version of Tremplin ({error}; {_where(cfg)}): "
                    f"install the newer version again, or downgrade the schema with it first (docs/deploiement.md).")
    return None


# --- The checks ---------------------------------------------------------------------------------------


def refuse_examples(cfg: AppConfig, *, allow: bool) -> list[Example]:
    """The examples left (the structures: the database's once imported); refused (StartupFailure) unless
    ``allow``, then a WARNING says how many."""
    examples = find_examples(cfg, asyncio.run(database_structures(cfg)))
    if examples and not allow:
        raise StartupFailure(
            f"Examples still in what young people read ({len(examples)} places, first {examples[0]}): "
            f"replace them (`tremplin check` lists them all), or start with --allow-examples for a try-out."
        )
    if examples:
        log.warning("started with --allow-examples: %d places still hold examples (`tremplin check`), first %s",
                    len(examples), examples[0])
    return examples


WEBHOOK_PORT_SETTING = "telegram.webhook_port, telegram.webhook_listen, or TREMPLIN_TELEGRAM__WEBHOOK_PORT"
WEB_PORT_SETTING = "web.port, web.host, or --port and --host"


def port_taken(listen: str, port: int, error: OSError, setting: str = WEBHOOK_PORT_SETTING) -> str:
    """The one line for a port that cannot be listened on."""
    reason = "already in use" if error.errno == errno.EADDRINUSE else (error.strerror or type(error).__name__)
    return f"Port {port} on {listen}: {reason} ({setting}): stop what listens there or choose another port."


def check_port(listen: str, port: int, setting: str = WEBHOOK_PORT_SETTING) -> None:
    """StartupFailure if ``listen:port`` cannot be listened on now (port 0: any free port, nothing to check)."""
    import tornado.netutil

    if port == 0:
        return
    try:
        sockets = tornado.netutil.bind_sockets(port, listen)
    except OSError as error:
        raise StartupFailure(port_taken(listen, port, error, setting)) from error
    for sock in sockets:
        sock.close()


async def check_database(cfg: AppConfig) -> None:
    """The database answers with these credentials; when migrations are not applied at start, the schema
    is current. Anything else raises StartupFailure (or an exception ``explain`` describes)."""
    from storage.migrate import current_revision, head_revision, known_revision

    try:
        current = await current_revision(cfg.database_url)
    except Exception as error:
        line = explain(error, cfg)
        if line is None:
            raise
        raise StartupFailure(line) from error
    head = head_revision()
    if current is not None and current != head and not known_revision(current):
        raise StartupFailure(
            f"Database schema at revision {current}, newer than this version of Tremplin (which knows up to {head}) "
            f"({_where(cfg)}): install the newer version again, or downgrade the schema with it first "
            f"(docs/deploiement.md)."
        )
    if current != head and not cfg.settings.database.auto_migrate:
        raise StartupFailure(
            f"Database schema behind: at {current or 'no migration'}, this version needs {head} ({_where(cfg)}; "
            f"database.auto_migrate is off): run `tremplin db upgrade`."
        )


async def check_rasa(cfg: AppConfig) -> None:
    """When ``nlu.require_rasa`` is on, the Rasa server must answer now."""
    import httpx

    nlu = cfg.settings.nlu
    if cfg.nlu_backend != "rasa" or not nlu.require_rasa:
        return
    setting = "RASA_URL" if cfg.secrets.rasa_url else f"nlu.rasa_url in {_config_name(cfg)}"
    try:
        async with httpx.AsyncClient(timeout=nlu.rasa_timeout_seconds, trust_env=False) as client:
            (await client.get(f"{cfg.rasa_url.rstrip('/')}/status")).raise_for_status()
    except httpx.HTTPError as error:
        raise StartupFailure(
            f"Rasa unreachable ({type(error).__name__}) at {cfg.rasa_url} ({setting}; nlu.require_rasa is on): "
            f"start it (`tremplin nlu serve-rasa`), or set nlu.require_rasa: false to let the embedded NLU answer."
        ) from error


def check_metrics_folder() -> None:
    """With ``PROMETHEUS_MULTIPROC_DIR`` set, every counter writes there: a missing folder would fail every update."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder and not (os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK)):
        raise StartupFailure(metrics_folder_unusable(folder))


def prepare_start(cfg: AppConfig, *, allow_examples: bool, listen: tuple[str, int] | None = None) -> list[Example]:
    """Every check before a serving process starts, in order; returns the examples allowed (empty when none).

    ``listen``: the (address, port) the process will listen on, if any. Raises StartupFailure."""
    examples = refuse_examples(cfg, allow=allow_examples)
    check_metrics_folder()
    if listen is not None:
        telegram = cfg.settings.telegram
        webhook = telegram.mode == "webhook" and listen == (telegram.webhook_listen, telegram.webhook_port)
        check_port(*listen, WEBHOOK_PORT_SETTING if webhook else WEB_PORT_SETTING)

    async def reachable() -> None:
        await check_database(cfg)
        await check_rasa(cfg)

    asyncio.run(reachable())
    return examples
