"""The backends: commands, the Rasa server over HTTP, its fallback, logs without message text."""

from __future__ import annotations

import logging

import pytest

from nlu import ParseResult, load_backend
from nlu.embedded import EmbeddedBackend
from nlu.rasa_backend import RasaBackend
from tests.nlu.conftest import NOW, FakeRasa


def test_parse_result_has_the_rasa_shape(embedded: EmbeddedBackend) -> None:
    data = embedded.parse_sync("jcherche un taf a asnieres", NOW).to_dict()
    assert data["intent"]["name"] == "find_job"
    assert 0.5 < data["intent"]["confidence"] <= 1.0
    assert data["entities"] == [{"entity": "situation", "value": "emploi", "start": 0, "end": 15},
                                {"entity": "commune", "value": "Asnières-sur-Seine", "start": 18, "end": 26}]
    ranking = data["intent_ranking"]
    assert len(ranking) == 22 and ranking[0]["name"] == "find_job"
    assert ranking == sorted(ranking, key=lambda r: -r["confidence"])
    assert abs(sum(r["confidence"] for r in ranking) - 1.0) < 1e-4
    assert ParseResult.from_dict(data).to_dict() == data


async def test_async_parse_with_a_reference_time(embedded: EmbeddedBackend) -> None:
    result = await embedded.parse("rdv mardi prochain à 14h stp", now=NOW)
    assert result.intent.name == "book_appointment"
    assert result.entity("time") == "2026-12-01T14:00:00+01:00"


@pytest.mark.parametrize("text", ["/start", "/aide", "  /stop", "/supprimer_mes_donnees"])
def test_commands_are_never_classified(embedded: EmbeddedBackend, text: str) -> None:
    result = embedded.parse_sync(text)
    assert (result.intent.name, result.intent.confidence, result.entities) == ("out_of_scope", 0.0, ())


def test_distress_wins_over_the_classifier(embedded: EmbeddedBackend) -> None:
    # Wordings the classifier may not place first: the safety net does.
    for text in ["ma mère m'a mis dehors, je dors où ce soir", "j'ai rien mangé depuis hier soir",
                 "jveux plus vivre", "mon copain me frappe quand il boit"]:
        assert embedded.parse_sync(text).intent.name == "distress", text


async def test_commands_never_reach_rasa(embedded: EmbeddedBackend, fake_rasa: FakeRasa) -> None:
    backend = RasaBackend(fake_rasa.url, embedded, timeout=2.0)
    result = await backend.parse("/start")
    assert result.intent.name == "out_of_scope" and result.intent.confidence == 0.0
    assert backend.parse_sync("/aide").intent.confidence == 0.0
    assert fake_rasa.requests == []
    await backend.parse("salut")
    assert fake_rasa.requests == [{"path": "/model/parse", "body": {"text": "salut"}}]
    await backend.aclose()


async def test_rasa_answers_are_canonicalised(embedded: EmbeddedBackend, fake_rasa: FakeRasa) -> None:
    text = "jcherche un taf de serveur a asniere demain 14h, j'ai 19 ans"
    s, c = text.index("serveur"), text.index("asniere")
    fake_rasa.answer = {
        "text": text, "intent": {"name": "find_job", "confidence": 0.91},
        "entities": [
            {"entity": "secteur", "value": "serveur", "start": s, "end": s + 7, "extractor": "DIETClassifier"},
            {"entity": "commune", "value": "asniere", "start": c, "end": c + 7, "extractor": "DIETClassifier"},
            {"entity": "commune", "value": "Asnières-sur-Seine", "start": c, "end": c + 7,
             "extractor": "RegexEntityExtractor"},
            {"entity": "commune", "value": "paris", "start": 0, "end": 3, "extractor": "DIETClassifier"},
        ],
        "intent_ranking": [{"name": "find_job", "confidence": 0.91}, {"name": "inform", "confidence": 0.09}],
    }
    backend = load_backend("rasa", rasa_url=fake_rasa.url, timeout=2.0)
    result = await backend.parse(text, now=NOW)
    assert result.intent.name == "find_job"
    pairs = [(e.entity, e.value, text[e.start : e.end]) for e in result.entities]
    assert pairs == [
        ("secteur", "hotellerie_restauration", "serveur"),
        ("commune", "Asnières-sur-Seine", "asniere"),
        ("time", "2026-11-28T14:00:00+01:00", "demain 14h"),
        ("age", "19", "19"),
    ]
    await backend.aclose()


async def test_rasa_down_falls_back_with_a_warning_and_no_text(
    embedded: EmbeddedBackend, caplog: pytest.LogCaptureFixture
) -> None:
    with FakeRasa() as fake:
        url = fake.url
    backend = RasaBackend(url, embedded, timeout=1.0)  # nothing listens there any more
    secret = "je cherche un taf a Colombes"
    with caplog.at_level(logging.DEBUG):
        result = await backend.parse(secret)
        sync_result = backend.parse_sync(secret)
    assert result == sync_result == embedded.parse_sync(secret)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings and "embedded" in warnings[0].getMessage()
    for record in caplog.records:
        assert "Colombes" not in record.getMessage() and "taf" not in record.getMessage()
    await backend.aclose()


async def test_rasa_timeout_and_errors_fall_back(embedded: EmbeddedBackend, fake_rasa: FakeRasa,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    backend = RasaBackend(fake_rasa.url, embedded, timeout=0.3)
    fake_rasa.delay = 1.0
    with caplog.at_level(logging.WARNING):
        assert (await backend.parse("merci beaucoup")).intent.name == "thanks"
    fake_rasa.delay = 0.0
    fake_rasa.status = 500
    with caplog.at_level(logging.WARNING):
        assert (await backend.parse("au revoir")).intent.name == "goodbye"
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2
    await backend.aclose()


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown NLU backend"):
        load_backend("watson")
