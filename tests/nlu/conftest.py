"""NLU fixtures: one embedded backend for the session, a fake Rasa server, a frozen clock."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from nlu.embedded import EmbeddedBackend

PARIS = ZoneInfo("Europe/Paris")
# Friday 27 November 2026, 10:00 in Paris: the reference time of relative dates in these tests.
NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=PARIS)


@pytest.fixture(scope="session")
def embedded(real_nlu: EmbeddedBackend) -> EmbeddedBackend:
    """The embedded backend trained from nlu/data (the run's one, tests/conftest.py)."""
    return real_nlu


class FakeRasa:
    """A tiny HTTP server on 127.0.0.1 that answers /model/parse and records every request.

    ``hang = True``: it accepts the connection, reads and records the request, and never answers.
    """

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answer: dict[str, Any] | None = None
        self.delay = 0.0
        self.status = 200
        self.hang = False
        self._closing = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                fake.requests.append({"path": self.path, "body": body})
                if fake.hang:
                    fake._closing.wait()  # until the server stops; the client has long given up
                    return
                if fake.delay:
                    time.sleep(fake.delay)
                answer = fake.answer or {
                    "text": body.get("text", ""), "intent": {"name": "greet", "confidence": 0.8},
                    "entities": [], "intent_ranking": [{"name": "greet", "confidence": 0.8}],
                }
                data = json.dumps(answer).encode()
                self.send_response(fake.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeRasa:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_rasa() -> Iterator[FakeRasa]:
    """A fake Rasa server for one test."""
    with FakeRasa() as fake:
        yield fake
