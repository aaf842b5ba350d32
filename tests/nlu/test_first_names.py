"""First names: the lexicon, reading the answer to "c'est quoi ton prénom ?", the ``first_name``
entity of both backends, and the alarm rule around names (nlu.safety)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.embedded import EmbeddedBackend
from nlu.names import LEXICON, NameReading, first_names, is_known_name, read_first_name
from nlu.rasa_backend import RasaBackend
from nlu.result import Entity, IntentScore, ParseResult
from nlu.safety import ALARM_CONFIDENCE, SHORT_ALARM_CONFIDENCE, certain_danger, raises_alarm
from tests.nlu.conftest import FakeRasa

# --- The lexicon --------------------------------------------------------------------------------


def test_the_lexicon_is_large_with_its_source_and_licence() -> None:
    text = LEXICON.read_text(encoding="utf-8")
    assert len(first_names()) >= 9000
    assert "GNU Free Documentation License" in text and "Jörg MICHAEL" in text
    folder = LEXICON.parent
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "gender-guesser" in readme and "GNU Free Documentation License" in readme
    assert "GNU Free Documentation License" in (folder / "GFDL-1.2.txt").read_text(encoding="utf-8")
    assert (Path(__file__).resolve().parents[2] / "scripts" / "extract_first_names.py").exists()


@pytest.mark.parametrize("name", [
    "Mamadou", "Fatoumata", "Kadiatou", "Oumou", "Aminata", "Moussa", "Ibrahima", "Aïssatou", "Mariam", "Yanis",
    "Rayan", "Ilyes", "Wassim", "Inaya", "Nahia", "Inès", "Chloé", "Maëlys", "Mohamed", "Aïcha", "Kylian", "Zeynep",
    "Jean", "Marie", "Pierre", "Rose", "Abdelkader", "Souleymane", "Maëva", "Teddy",
])
def test_frequent_names_of_every_origin_are_known(name: str) -> None:
    assert is_known_name(name)
    assert is_known_name(name.lower()) and is_known_name(name.upper())


@pytest.mark.parametrize("word", ["rien", "bien", "salam", "parfait", "de", "le", "tu", "bac", "mai", "an"])
def test_ordinary_words_are_not_in_the_lexicon(word: str) -> None:
    assert not is_known_name(word)


# --- Reading an answer ------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "name", "known"), [
    ("Inès", "Inès", True),
    ("yanis", "Yanis", True),
    ("AÏCHA", "Aïcha", True),
    ("MAMADOU", "Mamadou", True),
    ("moi c'est Jean-Marc", "Jean-Marc", True),
    ("moi c yanis", "Yanis", True),
    ("moi c’est Fatoumata !", "Fatoumata", True),
    ("je m'appelle Marie Claire et toi ?", "Marie Claire", True),
    ("jm'appelle sami", "Sami", True),
    ("jmappelle kadiatou", "Kadiatou", True),
    ("Je m’appelle Inès", "Inès", True),
    ("mon prénom c'est Maëlys", "Maëlys", True),
    ("on m'appelle Ibrahima", "Ibrahima", True),
    ("appelle-moi Oumou", "Oumou", True),
    ("c'est Sami", "Sami", True),
    ("Wassim et toi", "Wassim", True),
    ("Inaya et vous ?", "Inaya", True),
    ("salut, moi c'est Rayan", "Rayan", True),
    ("jean-baptiste", "Jean-Baptiste", True),
    ("Mohamed Amine", "Mohamed Amine", True),
    ("Zyrielle", "Zyrielle", False),
    ("je m'appelle Zorglub", "Zorglub", False),
])
def test_reading_a_first_name(text: str, name: str, known: bool) -> None:
    assert read_first_name(text) == NameReading(name, known)


@pytest.mark.parametrize("text", [
    "salut", "bonjour", "oui", "non", "ok", "nan", "jsp", "je sais pas", "rien", "merci", "prendre rdv",
    "Prendre rendez-vous", "16", "19 ans", "j'ai 19 ans", "licence", "bof", "mdr", "je cherche un taf",
    "c'est nul", "c'est bon", "moi c'est pareil", "je suis perdue", "jsuis", "chui", "Nanterre", "stop", "aide",
    "pourquoi tu veux savoir", "je veux pas le dire", "a b c d e", "", "   ", "???", "/start",
])
def test_what_is_not_a_first_name(text: str) -> None:
    assert read_first_name(text) is None


# --- The first_name entity, both backends ------------------------------------------------------


@pytest.mark.parametrize(("text", "name", "span"), [
    ("je m'appelle Inès et je cherche un taf à Nanterre", "Inès", "Inès"),
    ("bonjour jm'appelle yanis jcherche une formation", "Yanis", "yanis"),
    ("moi c yanis", "Yanis", "yanis"),
    ("c'est Sami", "Sami", "Sami"),
    ("Moussa", "Moussa", "Moussa"),
    ("Fatoumata et toi ?", "Fatoumata", "Fatoumata"),
    ("je m'appelle Zorglub", "Zorglub", "Zorglub"),
])
def test_the_first_name_entity(embedded: EmbeddedBackend, text: str, name: str, span: str) -> None:
    result = embedded.parse_sync(text)
    found = [e for e in result.entities if e.entity == "first_name"]
    assert [(e.value, text[e.start:e.end]) for e in found] == [(name, span)]


@pytest.mark.parametrize("text", ["Zorglub", "licence", "c'est nul", "jcherche un taf a asnieres", "oui",
                                  "je m'appelle comment ça marche ici", "je veux qu'on m'appelle demain"])
def test_no_first_name_entity(embedded: EmbeddedBackend, text: str) -> None:
    assert embedded.parse_sync(text).entity("first_name") is None


async def test_the_rasa_backend_gives_the_first_name_too(embedded: EmbeddedBackend, fake_rasa: FakeRasa) -> None:
    text = "moi c'est Aminata et je cherche un job"
    fake_rasa.answer = {"text": text, "intent": {"name": "inform", "confidence": 0.8}, "entities": [],
                        "intent_ranking": [{"name": "inform", "confidence": 0.8}]}
    backend = RasaBackend(fake_rasa.url, embedded, timeout=2.0)
    result = await backend.parse(text)
    assert result.entity("first_name") == "Aminata"
    await backend.aclose()


# --- The alarm rule -----------------------------------------------------------------------------


def test_a_name_does_not_hide_certain_danger(embedded: EmbeddedBackend) -> None:
    text = "je m'appelle Inès et je veux mourir"
    assert certain_danger(text)
    result = embedded.parse_sync(text)
    assert result.intent.name == "distress" and raises_alarm(result)
    assert result.entity("first_name") == "Inès"
    assert not certain_danger("je m'appelle Inès")


def _parsed(text: str, confidence: float, *entities: Entity, intent: str = "distress") -> ParseResult:
    return ParseResult(text=text, intent=IntentScore(intent, confidence), entities=entities,
                       intent_ranking=(IntentScore(intent, confidence),))


def test_the_alarm_rule() -> None:
    long = "franchement tout part en vrille en ce moment"  # no words of danger: the classifier decides
    assert raises_alarm(_parsed(long, ALARM_CONFIDENCE))
    assert not raises_alarm(_parsed(long, ALARM_CONFIDENCE - 0.01))
    assert not raises_alarm(_parsed(long, 0.9, intent="social_support"))
    # A classifier that hesitates on a word it never saw is no alarm.
    assert not raises_alarm(_parsed("Moussa", 0.14))
    assert not raises_alarm(_parsed("licence", 0.16))
    assert not raises_alarm(_parsed("tout me va", SHORT_ALARM_CONFIDENCE - 0.01))
    assert raises_alarm(_parsed("tout me va", SHORT_ALARM_CONFIDENCE))
    # An answer made only of a trade, a commune, a name or an age is not one either, however sure.
    assert not raises_alarm(_parsed("vidange", 0.95, Entity("secteur", "automobile", 0, 7)))
    assert not raises_alarm(_parsed("la sécurité", 0.95, Entity("secteur", "securite", 3, 11)))
    assert not raises_alarm(_parsed("Moussa et toi ?", 0.95, Entity("first_name", "Moussa", 0, 6)))
    assert raises_alarm(_parsed("Moussa 😭😭 aide", 0.95, Entity("first_name", "Moussa", 0, 6)))
    # The net wins whatever the classifier says.
    assert raises_alarm(_parsed("je veux mourir", 0.01, intent="inform"))
    assert raises_alarm(_parsed("je m'appelle Inès et je veux mourir", 0.0, Entity("first_name", "Inès", 13, 17),
                                intent="inform"))
