"""Onboarding, by buttons and by free text, with a scripted NLU and a fixed clock."""

from __future__ import annotations

import pytest

from storage import Database
from tests.kit import make_harness


@pytest.fixture
def harness(sqlite_db: Database):  # type: ignore[no-untyped-def]
    return make_harness(sqlite_db)


async def test_onboarding_with_buttons_only(harness) -> None:  # type: ignore[no-untyped-def]
    chat = harness.chat()
    first = await chat.send("salut")
    assert "Tremplin" in first[0].text
    assert chat.labels == ["D'accord", "Non merci", "En savoir plus"]
    await chat.press("D'accord")
    assert "prénom" in chat.last.text
    await chat.send("inès")
    assert "Bienvenue, Inès !" in chat.texts
    await chat.press("19")
    await chat.press("Nanterre")
    assert "Noté : Nanterre." in chat.texts
    await chat.press("CAP ou BEP")
    await chat.press("Je cherche une formation")
    await chat.press("Non")
    await chat.press("Mission locale")
    await chat.press("Me déplacer")
    assert "✅ Me déplacer" in chat.labels
    await chat.press("Logement")
    await chat.press("C'est tout")
    assert "Noté : me déplacer et logement." in chat.texts
    await chat.press("Logistique")
    await chat.press("C'est tout")
    assert any("C'est fini pour les questions" in t for t in chat.texts)
    async with harness.db.transaction() as uow:
        person = await uow.people.find("test", "ines")
    assert person is not None
    assert (person.first_name, person.age, person.commune, person.schooling) == ("Inès", 19, "92050", "cap_bep")
    assert (person.situation, person.rsa, person.followed_by) == ("formation", False, "mission_locale")
    assert person.obstacles == ["mobilite", "logement"]
    assert person.sectors == ["logistique"]
    assert person.onboarded_at is not None and person.consent_at is not None


async def test_profile_names_each_answer_in_the_words_of_its_question(harness) -> None:  # type: ignore[no-untyped-def]
    # "aucun" is both "Aucun diplôme" and "Non, personne" (who follows them): each keeps its own words.
    chat = harness.chat()
    await chat.send("salut")
    await chat.press("D'accord")
    await chat.send("karim")
    await chat.press("19")
    await chat.press("Nanterre")
    await chat.press("Aucun diplôme")
    await chat.press("Je cherche un emploi")
    await chat.press("Non")
    await chat.press("Non, personne")
    await chat.command("profil")
    assert "Diplôme : Aucun diplôme" in chat.last.text
    assert "Accompagnement : Non, personne" in chat.last.text
    assert "Situation : Je cherche un emploi" in chat.last.text
