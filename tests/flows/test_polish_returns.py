"""Coming back to where the person was, only when that still makes sense (issue 20, items 1 and 2).

A flow opened from the ideas (a booking, a hand-off, /mes_donnees, a move, a cancellation, a message to an
advisor) used to end on the ideas' "Tu veux d'autres idées ? [Autre chose] [Prendre rendez-vous] [Menu]" again,
even with an appointment booked. The engine now has one way back to an interrupted question (``Engine.come_back``)
for a called flow that ends and for a handler that resumes, and it asks the question's ``on_resume``: the ideas'
follow-up is a choice of what to do next, made meanwhile, so the home menu takes its place. A profile question
still waiting for its answer is asked again, as before.
"""

from __future__ import annotations

from pathlib import Path

from storage import Database
from tests.flows.test_handoff_kit import NADIA, advisor, button_in, make, onboarded, sent_to
from tests.kit import Chat, Harness

HOME_MENU = "Qu'est-ce que je peux faire pour toi ?"
MORE_IDEAS = "Tu veux d'autres idées ?"
HOME_LABELS = ["Des idées pour moi", "Un rendez-vous", "Parler à quelqu'un", "Mon profil"]


async def at_the_ideas(h: Harness) -> Chat:
    """Inès, 19, Nanterre, looking for a job in logistics, with the cards of /idees on screen."""
    chat = await onboarded(h, schooling="cap_bep", situation="emploi", sectors=["logistique"],
                           followed_by="aucun")
    await chat.command("idees")
    assert chat.last.text.startswith("💡")
    return chat


async def test_a_booking_opened_from_the_ideas_ends_on_the_home_menu(db: Database, tmp_path: Path) -> None:
    """Before: "C'est réservé !", the .ics, then "Tu veux d'autres idées ?" with "Prendre rendez-vous"."""
    h = await make(db, tmp_path)
    chat = await at_the_ideas(h)
    await chat.press("Prendre rendez-vous")
    await chat.press("Autres jours")
    await chat.press(chat.labels[0])
    replies = await chat.press("Oui, je réserve")
    assert [r.text.split(" ")[0] for r in replies] == ["C'est", "Ce", "Qu'est-ce"]  # three messages (booking.md)
    assert replies[-1].text == HOME_MENU and chat.labels == HOME_LABELS
    assert MORE_IDEAS not in chat.texts


async def test_moving_and_cancelling_from_the_ideas_end_on_the_home_menu(db: Database, tmp_path: Path) -> None:
    h = await make(db, tmp_path)
    chat = await at_the_ideas(h)
    await chat.press("Prendre rendez-vous")
    await chat.press("Autres jours")
    await chat.press("Autres jours")
    await chat.press(chat.labels[0])
    await chat.press("Oui, je réserve")
    await chat.command("idees")  # the ideas again, then /rdv from there
    await chat.command("rdv")
    await chat.press("Le déplacer")
    await chat.press(chat.labels[0])
    moved = await chat.press("Oui, je déplace")
    assert moved[-1].text == HOME_MENU
    await chat.command("idees")
    await chat.command("rdv")
    await chat.press("L'annuler")
    cancelled = await chat.press("Oui, annuler")
    assert cancelled[-1].text == HOME_MENU
    assert MORE_IDEAS not in chat.texts


async def test_a_request_made_at_the_ideas_ends_on_the_home_menu(db: Database, tmp_path: Path) -> None:
    """The hand-off, the message to an advisor and /mes_donnees resume the question on screen: at the ideas,
    the home menu's buttons come under the last message instead of "Tu veux d'autres idées ?"."""
    h = await make(db, tmp_path)
    chat = await at_the_ideas(h)
    handed = await chat.send("je veux parler à un conseiller")
    assert handed[0].text.startswith("C'est transmis à la Mission locale de Nanterre")
    assert [b.label for row in handed[-1].buttons for b in row] == HOME_LABELS
    summary_id = next(i for r, i in sent_to(h, NADIA) if r.text.startswith("📩"))
    await advisor(h, NADIA).reply("Bonjour Inès, c'est Nadia.", summary_id)
    await chat.command("idees")
    button, _ = button_in(h, "ines", "Répondre à Nadia")
    await chat.tap(button)
    sent = await chat.send("d'accord merci")
    assert sent[0].text == "C'est envoyé à Nadia. La réponse arrivera ici."
    assert sent[-1].text == HOME_MENU or [b.label for row in sent[-1].buttons for b in row] == HOME_LABELS
    await chat.command("idees")
    exported = await chat.command("mes_donnees")
    assert exported[-1].text == HOME_MENU
    assert MORE_IDEAS not in chat.texts


async def test_other_words_asked_at_the_ideas_are_not_followed_by_another_question(db: Database,
                                                                                   tmp_path: Path) -> None:
    """Before: "D'accord. Dis-moi avec d'autres mots ce que tu cherches." then "Tu veux d'autres idées ?"."""
    h = await make(db, tmp_path)
    chat = await at_the_ideas(h)
    h.nlu.hesitate("bof jsp", ("find_training", 0.31), ("talk_to_advisor", 0.22), ("greet", 0.2))
    await chat.send("bof jsp")
    assert chat.last.text == "Je ne suis pas sûr d'avoir compris. Tu voulais dire… ?"
    replies = await chat.press("Non, autre chose")
    assert [r.text for r in replies] == ["D'accord. Dis-moi avec d'autres mots ce que tu cherches."]
    assert chat.labels == HOME_LABELS  # what can be done, under the same message


async def test_a_profile_question_is_still_asked_again_after_an_interruption(db: Database, tmp_path: Path) -> None:
    """What still makes sense is kept: the onboarding's question comes back after /aide or a request."""
    h = await make(db, tmp_path)
    chat = h.chat("nour")
    h.nlu.learn("salut", "greet")
    await chat.send("salut")
    await chat.press("D'accord")
    await chat.send("Nour")
    assert chat.last.text == "Tu as quel âge ?"
    await chat.command("aide")
    assert chat.last.text == "Tu as quel âge ?"
    h.nlu.learn("merci", "thanks")
    await chat.send("merci")
    assert [r.text for r in chat.received[-2:]] == ["Avec plaisir !", "Tu as quel âge ?"]


async def test_with_an_appointment_to_come_the_ideas_offer_it_rather_than_a_new_one(db: Database,
                                                                                    tmp_path: Path) -> None:
    """Before: "Prendre rendez-vous" under the cards and in "Tu veux d'autres idées ?" with one booked."""
    h = await make(db, tmp_path)
    chat = await at_the_ideas(h)
    assert "Prendre rendez-vous" in chat.labels
    await chat.press("Prendre rendez-vous")
    await chat.press("Autres jours")
    await chat.press(chat.labels[0])
    await chat.press("Oui, je réserve")
    await chat.command("idees")
    assert "Prendre rendez-vous" not in chat.labels and "Mon rendez-vous" in chat.labels
    await chat.press("Ça m'intéresse")
    assert chat.labels == ["Mon rendez-vous"]
    replies = await chat.press("Mon rendez-vous")
    assert replies[-1].text.startswith("Tu as déjà rendez-vous le ")
