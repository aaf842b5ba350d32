"""The advisor's summary tells the truth (issue 20, item 4), and what the young person's export counts too."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from storage import Database
from storage.appointments import SEEN
from storage.handoffs import BOOKED
from tests.flows.test_handoff_kit import NADIA, THOMAS, advisor, make, onboarded, texts_to
from tests.kit import Chat, Harness

ASK = "je veux parler à un conseiller"


async def book_and_cancel(h: Harness) -> Chat:
    """Inès books the first time on Friday 4 December, then cancels it: still to come, cancelled."""
    h.nlu.learn("je veux un rdv", "book_appointment")
    chat = await onboarded(h, followed_by="aucun")
    await chat.send("je veux un rdv")
    await chat.press("Autres jours")
    await chat.press(chat.labels[0])
    await chat.press("Oui, je réserve")
    await chat.command("rdv")
    await chat.press("L'annuler")
    await chat.press("Oui, annuler")
    return chat


def request_summary(h: Harness) -> str:
    return next(t for t in texts_to(h, NADIA) + texts_to(h, THOMAS) if t.startswith("📩"))


async def test_a_cancelled_appointment_to_come_is_not_a_past_one(db: Database, tmp_path: Path) -> None:
    """Before: "• passés : 1 annulé" for an appointment cancelled the day before it was to take place."""
    h = await make(db, tmp_path)
    chat = await book_and_cancel(h)
    await chat.send(ASK)
    text = request_summary(h)
    assert "• passés" not in text and "• prochain" not in text
    assert "• annulés : vendredi 4 décembre (par la personne)" in text


async def test_a_booking_is_no_numbered_request(db: Database, tmp_path: Path) -> None:
    """Before: the booking's summary said "Demande n° 1" (its hand-off row) and the real request was n° 2."""
    h = await make(db, tmp_path)
    chat = await book_and_cancel(h)
    booking = next(t for t in texts_to(h, NADIA) + texts_to(h, THOMAS) if t.startswith("📅 Rendez-vous réservé"))
    assert "Demande n°" not in booking and "/repondre" not in booking
    assert "Pour écrire à Inès : répondez à ce message." in booking
    await chat.send(ASK)
    async with h.db.transaction() as uow:
        person = await uow.people.find("test", "ines")
        [request] = [r for r in await uow.handoffs.of_person(person.id) if r.reason != BOOKED]
    assert f"Demande n° {request.id} · Mission locale de Nanterre" in request_summary(h)


async def test_no_contradiction_between_who_follows_them_and_their_advisor(db: Database, tmp_path: Path) -> None:
    """Before: "Accompagnement : personne · conseiller·e : Nadia" for someone who said nobody follows them
    and came once to Nadia."""
    h = await make(db, tmp_path)
    chat = await onboarded(h, followed_by="aucun")
    async with h.db.transaction() as uow:
        person = await uow.people.find("test", "ines")
        nadia = await uow.structures.agent_by_email("nadia@ml-nanterre.exemple.fr")
        motif = await uow.structures.motif_by_code("ml-nanterre", "suivi")
        starts = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
        appointment = await uow.appointments.add(
            person_id=person.id, structure_id="ml-nanterre", lieu_id="nanterre-prefecture", motif_id=motif.id,
            agent_id=nadia.id, collective=False, starts_at=starts, ends_at=starts + dt.timedelta(minutes=30),
            now=starts - dt.timedelta(days=3))
        await uow.appointments.set_status(appointment, SEEN, starts)
    await chat.send(ASK)
    lines = request_summary(h).splitlines()
    assert "Accompagnement d'après ses réponses : personne" in lines
    assert "Déjà en contact à la mission locale avec Nadia" in lines
    assert not [line for line in lines if "personne" in line and "Nadia" in line]
    assert "·e" not in request_summary(h)


async def test_an_appointment_only_booked_names_no_advisor_who_follows_them(db: Database, tmp_path: Path) -> None:
    """An advisor they have not met yet is the next appointment's, not "their" advisor."""
    h = await make(db, tmp_path)
    h.nlu.learn("je veux un rdv", "book_appointment")
    chat = await onboarded(h, followed_by="aucun")
    await chat.send("je veux un rdv")
    await chat.press("Autres jours")
    await chat.press(chat.labels[0])
    await chat.press("Oui, je réserve")
    await chat.send(ASK)
    lines = request_summary(h).splitlines()
    assert "Accompagnement : personne" in lines
    assert any(line.startswith("• prochain : ") and "(avec " in line for line in lines)


async def test_the_advisors_help_names_their_structure_with_its_article(db: Database, tmp_path: Path) -> None:
    """Before: "Vous êtes conseiller·e de Mission locale Boucle Nord de Seine"."""
    h = await make(db, tmp_path)
    [text] = [r.text for r in await advisor(h, "7401").cmd("aide")]
    assert text.startswith("Bonjour Julien. Vous répondez ici pour la Mission locale Boucle Nord de Seine.")
    assert "·" not in text.splitlines()[0]


async def test_the_export_counts_requests_apart_from_booking_summaries(db: Database, tmp_path: Path) -> None:
    """Before: "• 3 demandes à la mission locale" after two bookings and one request."""
    h = await make(db, tmp_path)
    chat = await book_and_cancel(h)
    await chat.send(ASK)
    replies = await chat.command("mes_donnees")
    said = next(r for r in replies if r.document is not None)
    assert "• 1 demande à la mission locale" in said.text
    assert "• 1 fiche envoyée pour un rendez-vous" in said.text
    content = json.loads(said.document.content)  # type: ignore[union-attr]
    assert sorted(r["demande"].split(" le ")[0] for r in content["demandes_a_la_mission_locale"]) == [
        "ta fiche envoyée à la mission locale", "une demande à la mission locale"]
