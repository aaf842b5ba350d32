"""Webhook mode: Telegram POSTs each update; we answer 200 only once it is recorded in the inbox.

Every request must carry the ``X-Telegram-Bot-Api-Secret-Token`` header set with ``setWebhook``
(``WEBHOOK_SECRET``): a wrong or missing one gets 403 and nothing is recorded. A failure to record
answers 500, and Telegram delivers the update again later. ``GET /healthz`` says whether this process
and its database answer (and, after ``--allow-examples``, that examples are on); ``GET /readyz`` whether it
should get traffic: the database answers and accepts a write, its schema is current, no example is left.
``GET /metrics`` is for the operator's Prometheus.

Served by Tornado, which python-telegram-bot's ``webhooks`` extra already installs; it runs in the
bot's event loop, next to the scheduler and the delivery.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web
from sqlalchemy import text

from bot.delivery import Delivery
from bot.examples import Example
from bot.metrics import CONTENT_TYPE, exposition
from bot.serve import inherited_sockets
from bot.startup import StartupFailure, port_taken
from bot.telegram_channel import TelegramChannel
from storage import Database

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
READY_TIMEOUT = 5.0  # seconds: a database that takes longer is not ready
METRICS_PATH = "/metrics"
MAX_BODY = 1024 * 1024  # an update is a few kilobytes


class _Base(tornado.web.RequestHandler):
    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.finish({"ok": False, "status": status_code})  # never a traceback, never the body back


class UpdateHandler(_Base):
    """POST {webhook_path}: one update."""

    def initialize(self, channel: TelegramChannel, secret: str) -> None:
        self.channel = channel
        self.secret = secret.encode()

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            self.set_status(403)
            self.finish({"ok": False})
            return
        try:
            update = json.loads(self.request.body)
        except ValueError:
            update = None
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            self.set_status(400)
            self.finish({"ok": False})
            return
        try:
            await self.channel.receive([update])
        except Exception:  # not recorded: Telegram will deliver it again
            log.exception("recording webhook update %s failed", update["update_id"])
            self.set_status(500)
            self.finish({"ok": False})
            return
        self.finish({"ok": True})


class HealthHandler(_Base):
    """GET /healthz: 200 when the database answers, 503 otherwise."""

    def initialize(self, db: Database, examples: list[Example]) -> None:
        self.db = db
        self.examples = examples

    async def get(self) -> None:
        try:
            # A transaction of Database's: on SQLite, the engine's own connection would wait for the lock of a
            # transaction this process has open, inline, holding the event loop — and that transaction with it.
            async with self.db.transaction() as uow:
                await uow.session.execute(text("SELECT 1"))
        except Exception as error:
            log.warning("health check: database unavailable (%s)", type(error).__name__)
            self.set_status(503)
            self.finish({"status": "unavailable"})
            return
        if self.examples:  # started with --allow-examples: alive, and saying so
            self.finish({"status": "ok", "examples": len(self.examples),
                         "warning": "started with --allow-examples: data or settings young people read are "
                                    "still examples (tremplin check)"})
            return
        self.finish({"status": "ok"})


class ReadyHandler(_Base):
    """GET /readyz: 200 when the database answers and accepts a write, the schema is current and no example is
    left; 503 with the failed checks otherwise."""

    def initialize(self, db: Database, examples: list[Example]) -> None:
        self.db = db
        self.examples = examples

    async def get(self) -> None:
        from storage.migrate import head_revision
        from storage.readiness import probe

        problems: list[str] = []
        try:
            readiness = await asyncio.wait_for(probe(self.db), READY_TIMEOUT)
        except TimeoutError:
            problems.append(f"database did not answer within {READY_TIMEOUT:g} s")
        else:
            if readiness.problem:
                problems.append(readiness.problem)
            elif readiness.revision != (head := head_revision()):
                problems.append(f"schema at {readiness.revision}, this version needs {head} (tremplin db upgrade)")
        if self.examples:
            problems.append(f"{len(self.examples)} examples left (tremplin check)")
        if problems:
            log.warning("not ready: %s", "; ".join(problems))
            self.set_status(503)
            self.finish({"status": "not ready", "problems": problems})
            return
        self.finish({"status": "ready"})


class MetricsHandler(_Base):
    """GET /metrics: the Prometheus text (bot/metrics.py)."""

    def initialize(self, delivery: Delivery) -> None:
        self.delivery = delivery

    async def get(self) -> None:
        body = await exposition(self.delivery.db, self.delivery.clock.now(), max_attempts=self.delivery.max_attempts)
        self.set_header("Content-Type", CONTENT_TYPE)
        self.finish(body)


class WebhookServer:
    """The HTTP server of webhook mode."""

    def __init__(self, channel: TelegramChannel, db: Database, *, listen: str, port: int, path: str,
                 secret: str, examples: list[Example] | None = None) -> None:
        self.listen = listen
        self.port = port
        self.path = path if path.startswith("/") else f"/{path}"
        application = tornado.web.Application([
            (self.path, UpdateHandler, {"channel": channel, "secret": secret}),
            (HEALTH_PATH, HealthHandler, {"db": db, "examples": examples or []}),
            (READY_PATH, ReadyHandler, {"db": db, "examples": examples or []}),
            (METRICS_PATH, MetricsHandler, {"delivery": channel.delivery}),
        ])
        self._server = tornado.httpserver.HTTPServer(application, max_body_size=MAX_BODY, xheaders=True)

    async def start(self) -> int:
        """Listen; returns the port (useful when ``port`` is 0). A port taken raises StartupFailure (one line).
        Under ``tremplin serve``, the socket the workers share is inherited, already listening (bot/serve.py)."""
        sockets = inherited_sockets()
        try:
            sockets = sockets or tornado.netutil.bind_sockets(self.port, self.listen)
        except OSError as error:
            raise StartupFailure(port_taken(self.listen, self.port, error)) from error
        self._server.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]
        log.info("webhook listening on %s:%d%s", self.listen, self.port, self.path)
        return self.port

    async def stop(self) -> None:
        """Stop accepting requests; let the ones in progress finish."""
        self._server.stop()
        await self._server.close_all_connections()
