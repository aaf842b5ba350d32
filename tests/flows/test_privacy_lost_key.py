"""/supprimer and /mes_donnees when some encrypted values cannot be read (a data key changed or lost):
erasure deletes by person and never needs to decrypt; access says what it could not read."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from storage import Database, crypto
from tests.flows.test_privacy import SETTINGS
from tests.kit import Harness, make_harness
from tests.privacy_kit import realistic_profile, scan

NORA = "7305550042"  # made-up Telegram id


@pytest.fixture
def harness(db: Database) -> Harness:
    return make_harness(db, settings=SETTINGS)


@pytest.fixture
def another_key(data_key: str) -> Iterator[None]:
    """What was written so far needs the session's key; from the test's next step on, only another key is
    configured. The session's key is put back afterwards."""
    yield
    crypto.use_keys(data_key)


async def test_erasure_works_when_encrypted_values_cannot_be_read(harness: Harness, another_key: None) -> None:
    chat = await realistic_profile(harness, NORA, "Nora")  # encrypted rows in every table that has some
    crypto.use_keys(crypto.new_key())
    await chat.command("supprimer")
    replies = await chat.press("Oui, tout effacer")
    assert [r.text for r in replies] == [
        "C'est fait : j'ai tout effacé.", "Si tu m'écris à nouveau, on repart de zéro. Prends soin de toi !",
    ]
    report = await scan(harness, None, NORA, "Nora")
    assert report.traces == []  # the unreadable values went too


async def test_my_data_says_what_it_could_not_read(harness: Harness, another_key: None) -> None:
    chat = await realistic_profile(harness, NORA, "Nora")
    crypto.use_keys(crypto.new_key())
    replies = await chat.command("mes_donnees")
    assert "Prénom : Nora" in replies[0].text
    summary = replies[1].text
    assert "Je n'arrive plus à lire" in summary and "« illisible »" in summary and "/supprimer" in summary
    document = replies[1].document
    assert document is not None
    content = json.loads(document.content)
    assert content["profil"]["prenom"] == "Nora"  # what is not encrypted is all there
    assert crypto.UNREADABLE in [m["texte"] for m in content["messages_que_tu_m_as_ecrits"]]
    assert "je dors chez une copine" not in document.content.decode()
