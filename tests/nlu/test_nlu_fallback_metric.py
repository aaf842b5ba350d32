"""Every message the embedded NLU answers instead of Rasa is counted for the operator (``GET /metrics``):
``tremplin_nlu_fallbacks_total`` by reason, error (Rasa failed) or paused (the circuit is open)."""

from __future__ import annotations

from prometheus_client import REGISTRY

from nlu.embedded import EmbeddedBackend
from nlu.rasa_backend import RasaBackend
from tests.nlu.conftest import FakeRasa


def fallbacks(reason: str) -> float:
    return REGISTRY.get_sample_value("tremplin_nlu_fallbacks_total", {"reason": reason}) or 0.0


async def test_fallbacks_are_counted_by_reason(embedded: EmbeddedBackend, fake_rasa: FakeRasa) -> None:
    backend = RasaBackend(fake_rasa.url, embedded, timeout=0.3, circuit_failures=2, circuit_open_seconds=60.0)
    errors, paused = fallbacks("error"), fallbacks("paused")
    await backend.parse("salut")  # Rasa answers: nothing counted
    assert (fallbacks("error"), fallbacks("paused")) == (errors, paused)
    fake_rasa.hang = True
    for _ in range(2):  # two timeouts open the circuit
        await backend.parse("salut")
    await backend.parse("salut")  # the circuit is open: not even tried
    backend.parse_sync("salut")
    assert fallbacks("error") - errors == 2
    assert fallbacks("paused") - paused == 2
    await backend.aclose()
