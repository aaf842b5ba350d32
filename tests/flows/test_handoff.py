"""The hand-off, young person's side: the triggers, who answers and when, relays, the pause, erasure."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from prometheus_client import REGISTRY
from sqlalchemy import select

from bot.delivery import SendError
from bot.metrics import exposition
from flows.engine.events import TEXT, Event, Reply
from flows.nudges.reminders import KIND_RESCHEDULE
from storage import Database
from storage.handoffs import ASKED, BOOKED, CLOSED, DISTRESS, LOST, OPEN, Handoff, HandoffMessage
from storage.outbox import OutboxMessage
from tests.flows.test_handoff_kit import (
    JULIEN,
    NADIA,
    NOW,
    THOMAS,
    advisor,
    button_in,
    make,
    onboarded,
    outbox_rows,
    realistic,
    sent_to,
    texts_to,
)
from tests.kit import Harness


async def handoffs(h: Harness) -> list[Handoff]:
    async with h.db.transaction() as uow:
        return list(await uow.session.scalars(select(Handoff).order_by(Handoff.id)))


# --- Triggers, and what the young person is told -----------------------------------------------


async def test_asking_for_someone_sends_the_summary_to_the_structures_advisors_and_says_who_and_when(
    db: Database, tmp_path: Path,
) -> None:
    """On SQLite and PostgreSQL: the hand-off, its deliveries on both channels, the young person's answer."""
    h = await make(db, tmp_path, email=True)
    chat = await realistic(h)
    replies = await chat.send("je veux parler à un conseiller")

    assert [r.text for r in replies[:2]] == [
        "C'est transmis à la Mission locale de Nanterre et des communes voisines. "
        "Nadia ou Thomas va te répondre ici, dans cette conversation.",
        "Quelqu'un est au bureau aujourd'hui jusqu'à 12 h. Réponse dans la journée, en général. "
        "Quand c'est une personne qui t'écrit, tu vois « Réponse de » et son prénom.",
    ]
    assert replies[2].text == "Qu'est-ce que je peux faire pour toi ?"  # then the conversation goes on
    [handoff] = await handoffs(h)
    assert (handoff.reason, handoff.status, handoff.urgent, handoff.structure_id) == (ASKED, OPEN, False, "ml-nanterre")
    assert handoff.request == "je veux parler à un conseiller"  # encrypted at rest (EncryptedText)
    for chat_id in (NADIA, THOMAS):
        [(summary, _)] = sent_to(h, chat_id)
        assert summary.text.startswith("📩 Demande de contact")
        assert f"Demande n° {handoff.id} · Mission locale de Nanterre" in summary.text
        assert [b.label for row in summary.buttons for b in row] == ["Pause du robot", "Clore la demande"]
    assert sent_to(h, JULIEN) == []  # another structure's advisor
    [(mail, _)] = sent_to(h, "nadia@ml-nanterre.exemple.fr")
    assert "Répondre à cet e-mail ne parvient pas à la personne." in mail.text
    rows = await outbox_rows(h, kind="handoff")
    assert sorted((r.channel, r.status) for r in rows) == [("email", "sent"), ("email", "sent"),
                                                           ("telegram", "sent"), ("telegram", "sent")]
    assert {r.payload["subject"] for r in rows if r.channel == "email"} == {
        f"[Tremplin] demande n° {handoff.id} : Inès, 19 ans, Nanterre"}
    async with db.transaction() as uow:
        recorded = await uow.handoffs.messages(handoff.id)
        expected = [("email", "summary")] * 2 + [("telegram", "summary")] * 2
        assert sorted((m.channel, m.kind) for m in recorded) == expected
        assert await uow.handoffs.delivery_statuses(handoff.id) == {"sent": 4}

    again = await chat.send("je veux parler à un conseiller")
    assert again[0].text.startswith("C'est déjà transmis à la Mission locale de Nanterre")
    assert len(await handoffs(h)) == 1 and len(sent_to(h, NADIA)) == 1  # not twice


async def test_out_of_hours_the_young_person_is_told_when_someone_is_back(db: Database, tmp_path: Path) -> None:
    h = await make(db, tmp_path, at=dt.datetime(2026, 12, 1, 18, 30, tzinfo=dt.UTC))  # 19 h 30, Tuesday
    chat = await onboarded(h)
    replies = await chat.send("je veux parler à un conseiller")
    assert replies[1].text.startswith("Personne n'est au bureau en ce moment. Retour demain à 9 h.")


async def test_the_next_opening_skips_absences_closures_and_public_holidays(db: Database, tmp_path: Path
                                                                          ) -> None:
    # Thursday 24 December 2026, 17 h 30: Thomas's afternoon is over; Friday 25 is Christmas; Monday 28.
    h = await make(db, tmp_path, at=dt.datetime(2026, 12, 24, 16, 30, tzinfo=dt.UTC))
    chat = await onboarded(h)
    replies = await chat.send("je veux parler à un conseiller")
    assert "Retour lundi 28 décembre à 9 h." in replies[1].text


async def test_without_a_registered_advisor_the_structures_phone_is_given(db: Database, tmp_path: Path
                                                                         ) -> None:
    h = await make(db, tmp_path, advisors=False)
    chat = await onboarded(h)
    replies = await chat.send("je veux parler à un conseiller")
    assert replies[0].text == "Je ne peux pas encore prévenir la Mission locale de Nanterre et des communes voisines " \
                              "par ici."
    assert replies[1].text.startswith("Appelle-la au 01 00 00 00 02. C'est ouvert du lundi au vendredi")
    [handoff] = await handoffs(h)
    assert handoff.status == OPEN  # kept: the first advisor registered will see it in /jeunes


async def test_an_unknown_town_is_asked_first_and_kept(db: Database, tmp_path: Path) -> None:
    h = await make(db, tmp_path)
    chat = await onboarded(h, commune=None)
    replies = await chat.send("je veux parler à un conseiller")
    assert replies[-1].text == "Tu habites dans quelle ville ? Je préviens la bonne mission locale."
    replies = await chat.send("colombes")
    assert replies[0].text.startswith("C'est transmis à la Mission locale Boucle Nord de Seine. Julien va te répondre")
    assert replies[-1].text == "Qu'est-ce que je peux faire pour toi ?"
    assert len(sent_to(h, JULIEN)) == 1 and sent_to(h, NADIA) == []
    async with h.db.transaction() as uow:
        assert (await uow.people.find("test", "ines")).commune == "92025"


async def test_outside_the_departement_nobody_here_is_bothered(db: Database, tmp_path: Path) -> None:
    h = await make(db, tmp_path)
    chat = await onboarded(h, commune="hors92")
    replies = await chat.send("je veux parler à un conseiller")
    assert replies[0].text == "Je peux seulement prévenir les missions locales des Hauts-de-Seine."
    assert await handoffs(h) == []


async def test_before_consent_nothing_is_sent_and_the_phones_are_given(db: Database, tmp_path: Path) -> None:
    h = await make(db, tmp_path)
    chat = h.chat()
    await chat.send("bonjour")  # the consent question
    replies = await chat.send("je veux parler à un conseiller")
    assert replies[0].text == "Pour qu'une personne t'écrive ici, j'ai besoin de ton accord d'abord."
    assert "01 00 00 00 02" in replies[1].text
    assert "Tu es d'accord ?" in replies[2].text
    assert await handoffs(h) == []


async def test_distress_says_the_numbers_first_then_raises_an_urgent_handoff(db: Database, tmp_path: Path
                                                                            ) -> None:
    h = await make(db, tmp_path)
    chat = await realistic(h)
    await chat.send("je veux parler à un conseiller")  # an open request, not urgent yet
    replies = await chat.send("j'en peux plus de cette vie")
    assert "112" in replies[0].text
    assert "3114" in replies[1].text and "115" in replies[1].text
    assert replies[2].text == "J'ai aussi prévenu la Mission locale de Nanterre et des communes voisines. " \
                              "Une personne va t'écrire ici."
    assert len(replies) == 3
    [handoff] = await handoffs(h)
    assert handoff.urgent and handoff.reason == ASKED  # the open request became urgent
    urgent = sent_to(h, NADIA)[-1][0].text
    assert urgent.startswith("🔴 URGENT · message de détresse. Les numéros d'urgence lui ont été donnés.")
    assert "« j'en peux plus de cette vie »" in urgent
    # A second message of distress goes to the advisors at once, flagged.
    await chat.send("j'en peux plus de cette vie")
    assert texts_to(h, THOMAS)[-1].startswith(f"🔴 URGENT · Inès · n° {handoff.id} : nouveau message de détresse.")


async def test_distress_before_consent_alerts_every_advisor_without_quoting(db: Database, tmp_path: Path
                                                                           ) -> None:
    h = await make(db, tmp_path, at=dt.datetime(2026, 12, 1, 22, 0, tzinfo=dt.UTC))  # 23 h
    chat = h.chat()
    replies = await chat.send("j'en peux plus de cette vie")
    assert "112" in replies[0].text
    assert replies[2].text.endswith("Elle est fermée maintenant : si c'est urgent, appelle un numéro ci-dessus.")
    [handoff] = await handoffs(h)
    assert (handoff.reason, handoff.urgent, handoff.structure_id, handoff.request) == (DISTRESS, True, None, None)
    for chat_id in (NADIA, THOMAS, JULIEN):  # nobody knows where they live: everybody
        text = texts_to(h, chat_id)[0]
        assert text.startswith("🔴 URGENT")
        assert "structure inconnue" in text
        assert "Ses mots : pas gardés : la personne n'a pas encore donné son accord" in text
        assert "j'en peux plus" not in text
    # The first advisor to act takes it for their structure.
    julien = advisor(h, JULIEN)
    await julien.cmd(f"repondre {handoff.id} Bonjour, je suis Julien. Je suis là.")
    [handoff] = await handoffs(h)
    assert handoff.structure_id == "ml-boucle-nord"
    nadia = advisor(h, NADIA)
    replies = await nadia.cmd(f"repondre {handoff.id} Bonjour")
    assert replies[0].text.startswith(f"Je ne trouve pas la demande n° {handoff.id} dans votre structure.")


async def test_three_misunderstandings_offer_a_person_and_the_summary_says_so(db: Database, tmp_path: Path
                                                                             ) -> None:
    h = await make(db, tmp_path)
    chat = await onboarded(h)
    for text in ("blablabla", "grmbl", "zzzz"):
        await chat.send(text)
    assert chat.labels == ["Oui, à quelqu'un", "Non, on continue"]
    await chat.press("Oui, à quelqu'un")
    [handoff] = await handoffs(h)
    assert handoff.reason == LOST
    assert texts_to(h, NADIA)[0].startswith("📩 Le robot n'a pas compris trois fois")


async def test_a_booked_appointment_sends_the_summary_that_prepares_it(db: Database, tmp_path: Path) -> None:
    h = await make(db, tmp_path)
    h.nlu.learn("je veux un rdv", "book_appointment")
    chat = await onboarded(h)
    await chat.send("je veux un rdv")
    await chat.press(chat.labels[0])
    await chat.press("Oui, je réserve")
    [handoff] = await handoffs(h)
    assert (handoff.reason, handoff.status) == (BOOKED, CLOSED)
    async with h.db.transaction() as uow:
        appointment = await uow.appointments.get(handoff.appointment_id)
        agent = await uow.structures.agent(appointment.agent_id)
    own = NADIA if agent.display_name == "Nadia" else THOMAS
    other = THOMAS if own == NADIA else NADIA
    [summary] = texts_to(h, own)
    assert summary.startswith("📅 Rendez-vous réservé.\nRendez-vous : ")
    assert "Ce résumé le prépare." in summary
    assert texts_to(h, other) == []  # the appointment's own advisor only
    await advisor(h, own).reply("Bonjour Inès, à mercredi !", sent_to(h, own)[0][1])
    assert texts_to(h, "ines")[-1].endswith("Bonjour Inès, à mercredi !")  # replying still reaches her


async def test_a_move_or_a_cancellation_by_the_young_person_is_told_to_the_advisor(db: Database,
                                                                                    tmp_path: Path) -> None:
    h = await make(db, tmp_path)
    h.nlu.learn("je veux un rdv", "book_appointment")
    chat = await onboarded(h)
    await chat.send("je veux un rdv")
    await chat.press("Autres jours")
    await chat.press(chat.labels[0])
    await chat.press("Oui, je réserve")
    [handoff] = await handoffs(h)
    async with h.db.transaction() as uow:
        appointment = await uow.appointments.get(handoff.appointment_id)
        agent = await uow.structures.agent(appointment.agent_id)
    own = NADIA if agent.display_name == "Nadia" else THOMAS
    await chat.command("rdv")
    await chat.press("Le déplacer")
    await chat.press(chat.labels[0])
    await chat.press("Oui, je déplace")
    moved = texts_to(h, own)[-1]
    assert moved.startswith("📅 Inès a déplacé son rendez-vous du ") and ": c'est maintenant le " in moved
    await chat.command("rdv")
    await chat.press("L'annuler")
    await chat.press("Oui, annuler")
    cancelled = texts_to(h, own)[-1]
    assert cancelled.startswith("📅 Inès a annulé son rendez-vous du ")
    assert cancelled.endswith("Le créneau est libre.")


# --- Relays, both ways --------------------------------------------------------------------------


async def test_relay_both_ways_by_reply_by_command_and_by_button(db: Database, tmp_path: Path) -> None:
    h = await make(db, tmp_path)
    chat = await realistic(h)
    await chat.send("je veux parler à un conseiller")
    [handoff] = await handoffs(h)
    nadia, thomas = advisor(h, NADIA), advisor(h, THOMAS)
    summary_id = sent_to(h, NADIA)[0][1]

    replies = await nadia.reply("Bonjour Inès, c'est Nadia. On en parle vendredi ?", summary_id)
    assert replies[0].text == f"Envoyé à Inès (n° {handoff.id})."
    relayed, relayed_id = sent_to(h, "ines")[-1]
    assert relayed.text == ("👤 Réponse de Nadia (Mission locale de Nanterre et des communes voisines) :\n\n"
                            "Bonjour Inès, c'est Nadia. On en parle vendredi ?")
    assert [b.label for row in relayed.buttons for b in row] == ["Répondre à Nadia"]

    # Inès answers with the button: her next message goes to Nadia, in her words.
    replies = await chat.tap(button_in(h, "ines", "Répondre à Nadia")[0])
    assert replies[-1].text == "Écris ton message pour Nadia. Je le transmets tel quel."
    replies = await chat.send("oui vendredi ça me va")
    assert replies[0].text == "C'est envoyé à Nadia. La réponse arrivera ici."
    assert texts_to(h, NADIA)[-1] == f"💬 Inès · n° {handoff.id}\noui vendredi ça me va"
    assert texts_to(h, THOMAS)[-1].startswith("📩")  # only the one who wrote

    # ... or by replying to Nadia's message (Telegram "reply").
    replies = await chat._handle(Event(chat.ref, TEXT, text="je viendrai avec mon CV", reply_to=str(relayed_id),
                                       key="reply-1"))
    assert replies[0].text == "C'est envoyé à Nadia. La réponse arrivera ici."
    forwarded, forwarded_id = sent_to(h, NADIA)[-1]
    assert forwarded.text.endswith("je viendrai avec mon CV")

    # Nadia answers the forwarded message; Thomas uses /repondre.
    await nadia.reply("Parfait, à vendredi 10 h.", forwarded_id)
    assert texts_to(h, "ines")[-1].endswith("Parfait, à vendredi 10 h.")
    replies = await thomas.cmd(f"repondre {handoff.id} Je prends le relais si Nadia est absente.")
    assert replies[0].text == f"Envoyé à Inès (n° {handoff.id})."
    assert texts_to(h, "ines")[-1].startswith("👤 Réponse de Thomas (")
    async with db.transaction() as uow:
        relays = await uow.handoffs.relays_of_person(handoff.person_id, limit=5)
        assert [m.text for m in relays] == ["Bonjour Inès, c'est Nadia. On en parle vendredi ?",
                                            "Parfait, à vendredi 10 h.", "Je prends le relais si Nadia est absente."]
        assert (await uow.handoffs.get(handoff.id)).agent_id is not None  # taken by the first who answered
    # The file, opened again from /jeunes, says what was already answered, for a colleague.
    await thomas.cmd("jeunes")
    fiche, card = button_in(h, THOMAS, "Fiche")
    await thomas.press_data(fiche.data, card)
    again = texts_to(h, THOMAS)[-1]
    assert ("Déjà répondu :\n• Nadia, aujourd'hui 11 h : « Parfait, à vendredi 10 h. »\n"
            "• Thomas, aujourd'hui 11 h : « Je prends le relais si Nadia est absente. »") in again


# --- The pause ----------------------------------------------------------------------------------


async def test_the_pause_silences_the_bot_forwards_everything_and_then_the_bot_is_back(db: Database,
                                                                                       tmp_path: Path) -> None:
    h = await make(db, tmp_path)
    h.nlu.learn("c'est quoi une mission locale", "mission_locale_info")
    chat = await realistic(h)
    await chat.send("je veux parler à un conseiller")
    [handoff] = await handoffs(h)
    nadia = advisor(h, NADIA)
    pause, pause_message = button_in(h, NADIA, "Pause du robot")
    replies = await nadia.press_data(pause.data, pause_message)
    assert replies[0].text.startswith(f"⏸ Robot en pause pour Inès (n° {handoff.id}) jusqu'au jeudi 3 décembre à 11 h.")
    assert texts_to(h, "ines")[-2:] == [
        "👤 Nadia, de la Mission locale de Nanterre et des communes voisines, prend le relais. "
        "Le robot se met en pause.",
        "Tes messages vont directement à Nadia. Le robot revient au plus tard jeudi 3 décembre à 11 h.",
    ]

    before = len(sent_to(h, "ines"))
    assert await chat.send("c'est quoi une mission locale") == []  # the bot says nothing
    assert await chat.command("idees") == []
    assert len(sent_to(h, "ines")) == before
    assert texts_to(h, NADIA)[-2:] == [f"💬 Inès · n° {handoff.id}\nc'est quoi une mission locale",
                                       f"💬 Inès · n° {handoff.id}\n/idees"]
    assert texts_to(h, THOMAS)[-1].startswith("📩")  # only to the advisor who took over
    # Another advisor cannot take the pause over.
    replies = await advisor(h, THOMAS).cmd(f"pause_bot {handoff.id}")
    assert replies[0].text == "Le robot est déjà en pause pour Inès, par Nadia."
    # Her rights never wait.
    replies = await chat.command("confidentialite")
    assert "CNIL" in replies[-1].text
    # Distress is still answered at once, and the advisors alerted.
    replies = await chat.send("j'en peux plus de cette vie")
    assert "112" in replies[0].text
    assert texts_to(h, NADIA)[-1].startswith("🔴 URGENT")

    replies = await nadia.cmd(f"reprendre_bot {handoff.id}")
    assert replies[0].text == f"▶️ Le robot reprend la conversation avec Inès (n° {handoff.id})."
    back = sent_to(h, "ines")[-1][0]
    assert back.text == ("🤖 C'est de nouveau Tremplin, le robot. Nadia a fini pour l'instant. "
                         "Pour reparler à quelqu'un, appuie ici.")
    assert [b.label for row in back.buttons for b in row] == ["Parler à quelqu'un"]
    replies = await chat.send("c'est quoi une mission locale")
    assert replies[0].text.startswith("La mission locale aide les 16-25 ans")  # the bot answers again
    replies = await nadia.cmd(f"reprendre_bot {handoff.id}")
    assert replies[0].text == f"Le robot n'est pas en pause pour Inès (n° {handoff.id})."


async def test_a_forgotten_pause_ends_by_itself_and_the_advisor_is_told(db: Database, tmp_path: Path) -> None:
    h = await make(db, tmp_path)
    h.nlu.learn("c'est quoi une mission locale", "mission_locale_info")
    chat = await realistic(h)
    await chat.send("je veux parler à un conseiller")
    [handoff] = await handoffs(h)
    await advisor(h, NADIA).cmd(f"pause_bot {handoff.id}")
    h.clock.advance(hours=49)
    replies = await chat.send("c'est quoi une mission locale")
    assert replies[0].text.startswith("🤖 C'est de nouveau Tremplin, le robot.")
    assert replies[1].text.startswith("La mission locale aide les 16-25 ans")
    assert texts_to(h, NADIA)[-1] == (f"⏸ Fin de la pause du robot pour Inès (n° {handoff.id}) : 48 h sont passées. "
                                      "Le robot lui répond de nouveau.")


async def test_a_removed_advisor_ends_their_pause(db: Database, tmp_path: Path) -> None:
    h = await make(db, tmp_path)
    chat = await realistic(h)
    await chat.send("je veux parler à un conseiller")
    [handoff] = await handoffs(h)
    await advisor(h, NADIA).cmd(f"pause_bot {handoff.id}")
    async with h.db.transaction() as uow:
        (await uow.structures.agent_by_telegram_id(int(NADIA))).telegram_id = None
    h.nlu.learn("c'est quoi une mission locale", "mission_locale_info")
    replies = await chat.send("c'est quoi une mission locale")
    assert replies[0].text.startswith("🤖 C'est de nouveau Tremplin")


async def test_closing_a_paused_request_brings_the_bot_back(db: Database, tmp_path: Path) -> None:
    h = await make(db, tmp_path)
    chat = await realistic(h)
    await chat.send("je veux parler à un conseiller")
    [handoff] = await handoffs(h)
    nadia = advisor(h, NADIA)
    await nadia.cmd(f"pause_bot {handoff.id}")
    close, message = button_in(h, NADIA, "Clore la demande")
    await nadia.press_data(close.data, message)
    assert nadia.last_ack == f"Demande n° {handoff.id} close."
    assert texts_to(h, "ines")[-1].startswith("🤖 C'est de nouveau Tremplin")
    [handoff] = await handoffs(h)
    assert handoff.status == CLOSED and handoff.paused_by is None
    await nadia.press_data(close.data, message)
    assert nadia.last_ack == "Déjà close."
    assert (await nadia.cmd("jeunes"))[0].text.startswith("Aucune demande ouverte")


# --- No-show through the booking's hook ---------------------------------------------------------


async def test_absent_goes_through_appointment_changed_so_the_reschedule_is_planned(db: Database,
                                                                                    tmp_path: Path) -> None:
    h = await make(db, tmp_path, at=dt.datetime(2026, 12, 4, 8, 20, tzinfo=dt.UTC))  # Friday 9 h 20
    await realistic(h)  # her appointment: Friday 4 December, 9 h
    nadia = advisor(h, NADIA)
    replies = await nadia.cmd("rdv_jour")
    assert replies[0].text == "Rendez-vous du vendredi 4 décembre : les vôtres d'abord."
    assert replies[1].text.startswith("9 h · Inès, 19 ans · Rendez-vous de suivi · avec Nadia\nà venir")
    absent, card = button_in(h, NADIA, "Absent")
    replies = await nadia.press_data(absent.data, card)
    assert nadia.last_ack == "Noté : absent."
    assert replies[0].text.endswith("❌ absent") and replies[0].buttons == ()
    assert h.sender.sent[-1][2] == str(card)  # the card is redrawn in place
    async with h.db.transaction() as uow:
        person = await uow.people.find("test", "ines")
        [*_, appointment] = await uow.appointments.for_person(person.id)
        history = await uow.appointments.history(appointment.id)
    assert appointment.status == "noshow"
    assert (history[-1].event, history[-1].by, history[-1].previous_status) == ("status", "agent", "unknown")
    # The reminders' hook planned "on replanifie ?" (due now, in allowed hours: delivered with the answer).
    [reschedule] = await outbox_rows(h, person_id=person.id, kind=KIND_RESCHEDULE)
    assert reschedule.status == "sent" and reschedule.id in [m for _, _, _, m in h.sender.sent]
    await nadia.press_data(absent.data, card)
    assert nadia.last_ack == "Déjà noté : ❌ absent."
    venu, _ = button_in(h, NADIA, "Venu")
    await nadia.press_data(venu.data, card)
    assert nadia.last_ack == "Déjà noté : ❌ absent."  # no second change


async def test_an_appointment_cannot_be_marked_long_before_it_starts(db: Database, tmp_path: Path) -> None:
    h = await make(db, tmp_path, at=dt.datetime(2026, 12, 4, 6, 0, tzinfo=dt.UTC))  # 7 h, start at 9 h
    await realistic(h)
    nadia = advisor(h, NADIA)
    await nadia.cmd("rdv_jour")
    venu, card = button_in(h, NADIA, "Venu")
    await nadia.press_data(venu.data, card)
    assert nadia.last_ack == "Ce rendez-vous commence à 9 h."


# --- Erasure ------------------------------------------------------------------------------------


async def test_erasure_closes_the_request_and_tells_the_advisors_without_naming_anyone(db: Database, tmp_path: Path
                                                                                      ) -> None:
    h = await make(db, tmp_path)
    chat = await realistic(h)
    await chat.send("je veux parler à un conseiller")
    [handoff] = await handoffs(h)
    await advisor(h, NADIA).reply("Bonjour Inès", sent_to(h, NADIA)[0][1])
    await chat.command("supprimer")
    await chat.press("Oui, tout effacer")
    notice = texts_to(h, NADIA)[-1]
    assert notice == f"Demande n° {handoff.id} close : la personne a effacé ses données. Sa fiche n'existe plus."
    assert texts_to(h, THOMAS)[-1] == notice
    assert await handoffs(h) == []
    async with db.transaction() as uow:
        assert list(await uow.session.scalars(select(HandoffMessage))) == []
    left = [r.payload["text"] for r in await outbox_rows(h, chat_id=NADIA)]
    assert notice in left and left[0].startswith("Rendez-vous annulé")  # the booking's notice too
    assert not [text for text in left if "Inès" in text]  # the summary and the relays went with her data
    replies = await advisor(h, NADIA).cmd(f"repondre {handoff.id} Vous êtes là ?")
    assert replies[0].text.startswith(f"Je ne trouve pas la demande n° {handoff.id}")


async def test_handoff_texts_follow_the_message_retention(db: Database, tmp_path: Path) -> None:
    h = await make(db, tmp_path)
    chat = await realistic(h)
    await chat.send("je veux parler à un conseiller")
    await advisor(h, NADIA).reply("Bonjour Inès", sent_to(h, NADIA)[0][1])
    async with h.db.transaction() as uow:
        assert await uow.handoffs.forget_texts_before(NOW) == 0
        assert await uow.handoffs.forget_texts_before(NOW + dt.timedelta(seconds=1)) == 2
        [handoff] = await uow.handoffs.of_person((await uow.people.find("test", "ines")).id)
        assert handoff.request is None
        assert await uow.handoffs.relays_of_person(handoff.person_id) == []


async def test_after_closing_nothing_is_relayed_either_way(db: Database, tmp_path: Path) -> None:
    """Before: after "Clore", the old "Répondre à Nadia" button, a reply to Nadia's message and /repondre
    still relayed in both directions."""
    h = await make(db, tmp_path)
    chat = await realistic(h)
    await chat.send("je veux parler à un conseiller")
    [handoff] = await handoffs(h)
    nadia = advisor(h, NADIA)
    await nadia.reply("Bonjour Inès, c'est Nadia.", sent_to(h, NADIA)[0][1])
    relayed_id = sent_to(h, "ines")[-1][1]
    answer = button_in(h, "ines", "Répondre à Nadia")[0]
    close, message = button_in(h, NADIA, "Clore la demande")
    await nadia.press_data(close.data, message)

    replies = await nadia.cmd(f"repondre {handoff.id} Encore une chose")
    assert replies[0].text == f"La demande n° {handoff.id} est close : votre message n'est pas envoyé."
    replies = await chat.tap(answer)
    assert replies[0].text.startswith("Cette conversation est finie.")
    replies = await chat._handle(Event(chat.ref, TEXT, text="et pour vendredi ?", reply_to=str(relayed_id),
                                       key="reply-after-close"))
    assert replies[0].text.startswith("Cette demande est close, je n'ai rien envoyé.")
    assert not [text for text in texts_to(h, NADIA) if text.startswith("💬")]  # nothing forwarded to her
    assert len([text for text in texts_to(h, "ines") if text.startswith("👤")]) == 1  # her first message only


async def test_a_message_to_a_removed_advisor_goes_to_the_structures_other_advisors(
    db: Database, tmp_path: Path,
) -> None:
    """Before: "C'est envoyé à Nadia" and nothing was sent anywhere, once the operator had removed Nadia."""
    h = await make(db, tmp_path)
    chat = await realistic(h)
    await chat.send("je veux parler à un conseiller")
    [handoff] = await handoffs(h)
    nadia = advisor(h, NADIA)
    await nadia.reply("Bonjour Inès, c'est Nadia.", sent_to(h, NADIA)[0][1])
    await chat.tap(button_in(h, "ines", "Répondre à Nadia")[0])
    async with db.transaction() as uow:  # what `tremplin advisors remove --telegram-id` does
        (await uow.structures.agent_by_telegram_id(int(NADIA))).telegram_id = None
    replies = await chat.send("je peux venir vendredi")
    assert replies[0].text == "Nadia n'est plus disponible. C'est envoyé à Thomas. La réponse arrivera ici."
    assert texts_to(h, THOMAS)[-1] == f"💬 Inès · n° {handoff.id}\nje peux venir vendredi"


def smtp_down(h: Harness) -> None:
    """From now on the SMTP server does not answer: every e-mail fails (Telegram still works)."""
    recorded = h.sender.send

    async def send(message: OutboxMessage, reply: Reply, edit: str | None) -> str | None:
        if message.channel == "email":
            raise SendError("smtp: ConnectionRefusedError")
        return await recorded(message, reply, edit)

    h.sender.send = send  # type: ignore[method-assign]


async def test_an_email_about_an_open_request_is_never_given_up_and_the_advisors_are_told(
    db: Database, tmp_path: Path,
) -> None:
    """Before: with the SMTP server down for good, the summary e-mail was marked failed after its 8th attempt
    and nobody was told. Now it is tried again (every 15 minutes at most) while the request is open, the
    structure's advisors are told once on Telegram, and it is given up only once the request is closed."""
    h = await make(db, tmp_path, email=True)
    smtp_down(h)
    failed_before = failed_emails()
    chat = await realistic(h)
    await chat.send("je veux parler à un conseiller")
    [handoff] = await handoffs(h)
    for _ in range(16):  # a day and more, tick after tick
        h.clock.advance(hours=2)
        await h.delivery.deliver_due()
    mails = await outbox_rows(h, channel="email")
    assert mails and all(m.status == "pending" and m.attempts > 8 for m in mails)
    # The operator's metrics say so too (GET /metrics, bot/metrics.py).
    metrics = (await exposition(db, h.clock.now(), max_attempts=h.delivery.max_attempts)).decode()
    assert f'tremplin_deliveries_stuck{{channel="email"}} {float(len(mails))}' in metrics
    assert failed_emails() - failed_before == sum(m.attempts for m in mails)
    warnings = [t for t in texts_to(h, NADIA) if t.startswith("⚠️")]
    assert warnings == [f"⚠️ Demande n° {handoff.id} : l'e-mail à l'équipe n'est pas encore parti (le serveur "
                        "ne répond pas). J'essaie encore tant que la demande est ouverte. Elle est dans /jeunes."]

    close, message = button_in(h, NADIA, "Clore la demande")
    await advisor(h, NADIA).press_data(close.data, message)
    h.clock.advance(hours=2)
    await h.delivery.deliver_due()
    assert {m.status for m in await outbox_rows(h, channel="email")} == {"failed"}
    metrics = (await exposition(db, h.clock.now(), max_attempts=h.delivery.max_attempts)).decode()
    assert "tremplin_deliveries_stuck{" not in metrics



async def test_each_open_request_whose_email_is_stuck_is_told_even_behind_another(db: Database, tmp_path: Path) -> None:
    """Before: e-mails to one address wait behind the first that failed ("one chat, in order"); only that
    first one was ever reported stuck, so with several requests open one warning was said, not one each."""
    h = await make(db, tmp_path, email=True)
    smtp_down(h)
    for user, name in (("ines", "Inès"), ("karim", "Karim"), ("awa", "Awa")):
        chat = await onboarded(h, user, first_name=name)
        await chat.send("je veux parler à un conseiller")
    for _ in range(8):
        h.clock.advance(hours=2)
        await h.delivery.deliver_due()
    numbers = sorted(handoff.id for handoff in await handoffs(h))
    warned = sorted(int(t.split("n° ")[1].split(" ")[0]) for t in texts_to(h, NADIA) if t.startswith("⚠️"))
    assert warned == numbers and len(numbers) == 3


def failed_emails() -> float:
    """Failed e-mail attempts counted so far in this process (the counter is the process's)."""
    return REGISTRY.get_sample_value("tremplin_deliveries_failed_total",
                                     {"channel": "email", "cause": "unavailable"}) or 0.0


async def test_a_request_never_goes_to_a_deactivated_structure(db: Database, tmp_path: Path) -> None:
    import dataclasses

    from flows.handoff.channel import structure_of
    from flows.privacy.privacy import system_turn
    from tests.flows.test_nudges import NOW, book, person
    from tests.kit import make_harness

    h = make_harness(db, at=NOW)
    pid = await person(h, onboarded=True, seen=NOW)  # no commune said: the latest appointment's structure serves
    await book(h, tmp_path, dt.datetime(2026, 12, 10, 13, 0, tzinfo=dt.UTC))

    async def served() -> str | None:
        async with h.db.transaction() as uow:
            found = await uow.people.get(pid)
            assert found is not None
            return await structure_of(await system_turn(uow, h.world, found, NOW, key="t"))

    assert await served() == "ml-nanterre"
    territory = h.world.territory
    closed = tuple(s.model_copy(update={"active": False}) if s.id == "ml-nanterre" else s for s in territory.structures)
    h.world = dataclasses.replace(h.world, territory=dataclasses.replace(territory, structures=closed))
    assert await served() is None  # asked where they live instead
