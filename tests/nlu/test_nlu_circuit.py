"""The circuit breaker of the Rasa backend: a server that accepts and never answers costs a few timeouts, not
one per message forever (issue 16)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot import cli_nlu
from bot.config import load_settings
from nlu.embedded import EmbeddedBackend
from nlu.rasa_backend import RasaBackend
from tests.nlu.conftest import FakeRasa

TIMEOUT = 0.5  # per message, kept as it is: each hanging request costs this much
SECRET = "merci beaucoup Colombes"  # the fake Rasa says greet, the embedded backend says thanks


class FakeClock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def backend_for(fake: FakeRasa, embedded: EmbeddedBackend, clock: FakeClock) -> RasaBackend:
    return RasaBackend(fake.url, embedded, timeout=TIMEOUT, circuit_failures=3, circuit_open_seconds=60.0,
                       clock=clock)


async def open_circuit(backend: RasaBackend, fake: FakeRasa) -> None:
    fake.hang = True
    for _ in range(3):
        assert (await backend.parse(SECRET)).intent.name == "thanks"  # each one waited for the timeout
    assert len(fake.requests) == 3


async def test_an_open_circuit_keeps_messages_away_from_a_hanging_rasa(
    embedded: EmbeddedBackend, fake_rasa: FakeRasa, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    backend = backend_for(fake_rasa, embedded, clock)
    with caplog.at_level(logging.DEBUG):
        await open_circuit(backend, fake_rasa)
        for _ in range(5):
            clock.now += 10.0  # still within the 60 s
            assert await backend.parse(SECRET) == embedded.parse_sync(SECRET)
        assert backend.parse_sync(SECRET) == embedded.parse_sync(SECRET)
    assert len(fake_rasa.requests) == 3  # none of the later messages reached Rasa
    opened = [r for r in caplog.records if "circuit open" in r.getMessage()]
    assert len(opened) == 1 and opened[0].levelno == logging.WARNING
    for record in caplog.records:
        assert "Colombes" not in record.getMessage() and "merci" not in record.getMessage()
    await backend.aclose()


async def test_one_probe_after_the_open_period_and_rasa_is_used_again(
    embedded: EmbeddedBackend, fake_rasa: FakeRasa, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    backend = backend_for(fake_rasa, embedded, clock)
    await open_circuit(backend, fake_rasa)
    clock.now += 59.0
    assert (await backend.parse(SECRET)).intent.name == "thanks"
    assert len(fake_rasa.requests) == 3  # not yet
    clock.now += 1.0
    fake_rasa.hang = False
    with caplog.at_level(logging.INFO):
        # Four messages at once: the three others arrive while the first one (the probe) waits for Rasa.
        results = await asyncio.gather(*(backend.parse(SECRET) for _ in range(4)))
    assert len(fake_rasa.requests) == 4  # exactly one probe
    assert sorted(r.intent.name for r in results) == ["greet", "thanks", "thanks", "thanks"]
    for _ in range(3):
        assert (await backend.parse(SECRET)).intent.name == "greet"
    assert len(fake_rasa.requests) == 7  # the circuit is closed: every message goes to Rasa again
    changes = [r.getMessage() for r in caplog.records if "Rasa circuit" in r.getMessage()]
    assert [c.split(":")[0] for c in changes] == [  # one line per change of state
        "Rasa circuit open after 3 failure(s) in a row", "Rasa circuit half-open", "Rasa circuit closed"]
    await backend.aclose()


async def test_a_failed_probe_opens_the_circuit_again(embedded: EmbeddedBackend, fake_rasa: FakeRasa) -> None:
    clock = FakeClock()
    backend = backend_for(fake_rasa, embedded, clock)
    await open_circuit(backend, fake_rasa)
    clock.now += 60.0
    assert (await backend.parse(SECRET)).intent.name == "thanks"  # the probe timed out
    assert len(fake_rasa.requests) == 4
    clock.now += 30.0
    for _ in range(3):
        assert (await backend.parse(SECRET)).intent.name == "thanks"
    assert len(fake_rasa.requests) == 4  # open again, for another 60 s from the failed probe
    clock.now += 30.0
    fake_rasa.hang = False
    assert (await backend.parse(SECRET)).intent.name == "greet"  # the next probe, answered
    assert len(fake_rasa.requests) == 5
    await backend.aclose()


def test_the_sync_path_shares_the_circuit(embedded: EmbeddedBackend, fake_rasa: FakeRasa) -> None:
    clock = FakeClock()
    backend = backend_for(fake_rasa, embedded, clock)
    fake_rasa.hang = True
    for _ in range(5):
        assert backend.parse_sync(SECRET).intent.name == "thanks"
    assert len(fake_rasa.requests) == 3
    clock.now += 60.0
    fake_rasa.hang = False
    assert backend.parse_sync(SECRET).intent.name == "greet"
    assert backend.parse_sync(SECRET).intent.name == "greet"
    assert len(fake_rasa.requests) == 5


def test_the_pause_is_a_setting_of_config_yml(
    monkeypatch: pytest.MonkeyPatch, nlu_cache: Path, real_nlu: EmbeddedBackend,
) -> None:
    """`nlu.rasa_pause_seconds` (config.yml, or TREMPLIN_NLU__RASA_PAUSE_SECONDS) reaches the breaker."""
    monkeypatch.setenv("TREMPLIN_NLU__CACHE_DIR", str(nlu_cache))  # the run's trained model
    monkeypatch.setenv("TREMPLIN_NLU__RASA_PAUSE_SECONDS", "5")
    backend = cli_nlu._backend(load_settings(), cli_nlu.Backend.rasa)
    assert isinstance(backend, RasaBackend) and backend.circuit.open_seconds == 5
    assert load_settings().settings.nlu.rasa_pause_seconds == 5
