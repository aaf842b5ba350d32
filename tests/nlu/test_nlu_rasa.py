"""The real Rasa server, trained from nlu/ in its own Python 3.10 environment (cached between runs).

First run on a machine: about 2 minutes to install Rasa and 2.5 to train; then about 40 s to start.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from nlu.embedded import EmbeddedBackend
from nlu.entities import PROFILE_ENTITIES
from nlu.evaluation import HELDOUT, evaluate, load_examples
from nlu.rasa_backend import RasaBackend
from nlu.rasa_server import ensure_model, free_port, start_server, stop_server, wait_ready
from tests.nlu.conftest import NOW

pytestmark = pytest.mark.rasa


@pytest.fixture(scope="module")
def rasa_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Rasa server on a free port of 127.0.0.1, stopped after the module."""
    model = ensure_model()
    port = free_port()
    log = Path(tmp_path_factory.mktemp("rasa")) / "rasa.log"
    process = start_server(model, port, log_file=log)
    try:
        wait_ready(port, process, timeout=300)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(process)


async def test_rasa_parses_like_the_embedded_backend(rasa_url: str, embedded: EmbeddedBackend) -> None:
    backend = RasaBackend(rasa_url, embedded, timeout=10.0)
    text = "jcherche un taf a asnieres demain"
    result = await backend.parse(text, now=NOW)
    assert result.intent.name == "find_job"
    assert result.intent_ranking[0] == result.intent
    assert [(e.entity, e.value, text[e.start : e.end]) for e in result.entities] == [
        ("situation", "emploi", "jcherche un taf"),
        ("commune", "Asnières-sur-Seine", "asnieres"),
        ("time", "2026-11-28", "demain"),
    ]
    assert backend.parse_sync("/start").intent.confidence == 0.0
    assert (await backend.parse("bonjour")).intent.name == "greet"
    await backend.aclose()


async def test_embedded_is_at_least_as_accurate_as_rasa(rasa_url: str, embedded: EmbeddedBackend) -> None:
    examples = load_examples(HELDOUT)
    backend = RasaBackend(rasa_url, embedded, timeout=10.0)
    rasa = await evaluate(backend, examples, embedded.gazetteer, name="rasa")
    await backend.aclose()
    local = await evaluate(embedded, examples, embedded.gazetteer, name="embedded")
    assert rasa.accuracy >= 0.8, rasa.format()  # the server really answers (fallbacks would be embedded's)
    assert local.accuracy >= rasa.accuracy, (local.format(), rasa.format())


def test_rasa_itself_extracts_the_profile_entities(rasa_url: str) -> None:
    """The server's own answer (DIET + lookup tables) has them, before our gazetteer checks them."""
    text = "jai pas le bac, jsuis au rsa et suivi par la mission locale, jcherche un taf mais jai pas le permis"
    answer = httpx.post(f"{rasa_url}/model/parse", json={"text": text}, timeout=10.0).json()
    kinds = {e["entity"] for e in answer["entities"]}
    assert set(PROFILE_ENTITIES) <= kinds, answer["entities"]


async def test_rasa_profile_entities_are_canonical_and_checked(rasa_url: str, embedded: EmbeddedBackend) -> None:
    backend = RasaBackend(rasa_url, embedded, timeout=10.0)
    text = "pas le permis et pas de thune, g un cap cuisine"
    result = await backend.parse(text)
    assert result.entity_values("obstacle") == ["mobilite", "argent"]
    assert result.entity_values("diplome") == ["cap_bep"]
    assert result.entity_values("secteur") == ["hotellerie_restauration"]
    work = await backend.parse("je veux bosser dans le transport")
    assert work.entity_values("obstacle") == []  # the regex sees "transport"; the phrase rules it out
    await backend.aclose()


async def test_rasa_profile_entity_f1(rasa_url: str, embedded: EmbeddedBackend) -> None:
    backend = RasaBackend(rasa_url, embedded, timeout=10.0)
    report = await evaluate(backend, load_examples(HELDOUT), embedded.gazetteer, name="rasa")
    await backend.aclose()
    for kind in PROFILE_ENTITIES:
        assert report.entities[kind].f1 >= 0.85, report.format()
