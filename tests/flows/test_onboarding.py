"""Onboarding, by buttons and by free text, with a scripted NLU and a fixed clock."""

from __future__ import annotations

import pytest

from flows.profile.fields import FIELDS
from flows.profile.values import (
    FOLLOWED,
    FOLLOWED_FOR_ADVISORS,
    OBSTACLES,
    OBSTACLES_FOR_ADVISORS,
    SCHOOLING,
    SCHOOLING_FOR_ADVISORS,
    SITUATION_FOR_ADVISORS,
    SITUATIONS,
)
from storage import Database
from storage.people import PROFILE_FIELDS
from tests.kit import make_harness


@pytest.fixture
def harness(db: Database):  # type: ignore[no-untyped-def]
    return make_harness(db)


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


async def test_a_request_with_a_name_and_an_age_keeps_both(harness) -> None:  # type: ignore[no-untyped-def]
    """A booking asked in the first message does not hide the facts said with it (the NLU is sure of the
    request; the name and the age are still read)."""
    harness.nlu.learn("jveux un rdv moi c Sami jai 20 ans", "book_appointment", first_name="Sami", age="20")
    chat = harness.chat()
    await chat.send("jveux un rdv moi c Sami jai 20 ans")
    await chat.send("ok")
    assert "Noté : Sami, 20 ans." in chat.texts
    assert chat.last.text.startswith("Tu habites dans quelle ville")


async def test_a_first_name_at_another_flows_question_wins_over_a_greeting(harness) -> None:  # type: ignore[no-untyped-def]
    """"Glodie" typed when the hand-off asks the town: the NLU may be sure it is a greeting; the profile
    still misses a first name, so it is kept as one and the town asked again."""
    harness.nlu.learn("je veux parler a quelqu'un", "talk_to_advisor")
    harness.nlu.learn("Glodie", "greet")
    chat = harness.chat()
    await chat.send("salut")
    await chat.press("D'accord")
    await chat.send("je veux parler a quelqu'un")
    assert chat.last.text.startswith("Tu habites dans quelle ville")
    await chat.send("Glodie")
    assert "Noté : Glodie." in chat.texts
    assert chat.last.text.startswith("Tu habites dans quelle ville")


def test_the_profile_columns_are_the_declared_fields() -> None:
    """storage cannot import flows: its list of the profile's columns must follow the declarations."""
    assert tuple(field.name for field in FIELDS) == PROFILE_FIELDS


@pytest.mark.parametrize(("options", "words"), [
    (SITUATIONS, SITUATION_FOR_ADVISORS), (SCHOOLING, SCHOOLING_FOR_ADVISORS),
    (FOLLOWED, FOLLOWED_FOR_ADVISORS), (OBSTACLES, OBSTACLES_FOR_ADVISORS),
])
def test_every_answer_has_its_words_for_advisors(options: tuple, words: dict[str, str]) -> None:
    assert set(words) == {o.value for o in options}
