"""Choosing a backend: ``load_backend("embedded")`` (default) or ``load_backend("rasa", rasa_url=...)``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Protocol, runtime_checkable

from nlu.embedded import EmbeddedBackend
from nlu.rasa_backend import RasaBackend
from nlu.result import ParseResult
from nlu.training_data import DATA_DIR


@runtime_checkable
class NluBackend(Protocol):
    """What the dialogue engine needs from a backend."""

    name: str

    async def parse(self, text: str, now: dt.datetime | None = None) -> ParseResult:
        """Understand one message; ``now`` is the reference time of relative dates."""
        ...

    def parse_sync(self, text: str, now: dt.datetime | None = None) -> ParseResult:
        """The same, blocking."""
        ...


def load_backend(
    kind: str = "embedded",
    *,
    rasa_url: str = "http://127.0.0.1:5005",
    timeout: float = 2.0,
    circuit_open_seconds: float = 60.0,
    cache_dir: Path | None = None,
    timezone: str = "Europe/Paris",
    data_dir: Path = DATA_DIR,
) -> NluBackend:
    """The embedded backend, or the Rasa server backend (which falls back to the embedded one, and leaves a
    failing server alone for ``circuit_open_seconds`` after 3 failures in a row)."""
    embedded = EmbeddedBackend.load(data_dir=data_dir, cache_dir=cache_dir, timezone=timezone)
    if kind == "embedded":
        return embedded
    if kind == "rasa":
        return RasaBackend(rasa_url, embedded, timeout=timeout, circuit_open_seconds=circuit_open_seconds)
    raise ValueError(f"unknown NLU backend {kind!r} (expected 'embedded' or 'rasa')")
