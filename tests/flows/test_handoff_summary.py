"""The hand-off summary: one screen for Telegram (<= 4,096 characters, the way to answer always there),
plain text and escaped HTML for e-mail."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

from sqlalchemy import select

from flows.handoff.summary import TELEGRAM_LIMIT, Summary, for_email, for_telegram, gather, telegram_footer
from storage import Database
from storage.handoffs import Handoff
from tests.flows.test_handoff_kit import NADIA, make, realistic, texts_to
from tests.kit import Harness


async def summary_of(h: Harness, user: str = "ines") -> Summary:
    async with h.db.transaction() as uow:
        person = await uow.people.find("test", user)
        handoff = await uow.session.scalar(select(Handoff).where(Handoff.person_id == person.id))
        return await gather(uow, h.world, person, handoff, h.clock.now())


async def test_the_summary_of_a_realistic_profile(db: Database, tmp_path: Path) -> None:
    h = await make(db, tmp_path, email=True)
    chat = await realistic(h)
    await chat.send("je veux parler à un conseiller")
    text = texts_to(h, NADIA)[0]
    print(f"\n{text}\n")  # the closing note of the issue quotes it
    assert text == f"""📩 Demande de contact : la personne veut parler à quelqu'un.
Demande n° 1 · Mission locale de Nanterre et des communes voisines
👤 Inès, 19 ans, Nanterre
Situation : cherche un emploi
Diplôme : CAP ou BEP
RSA : oui
Accompagnement : mission locale, avec Nadia
Difficultés : logement · mobilité
Intérêts : logistique · cuisine, restauration
Idées gardées :
• CACES R489 à Gennevilliers (4 semaines, payé)
• Préparateur de commandes à Nanterre
• Le logement des jeunes (FJT)
Rendez-vous :
• prochain : vendredi 4 décembre à 9 h, Rendez-vous de suivi, Mission locale de Nanterre (avec Nadia)
• passés : 1 venu, 1 absence (mardi 17 novembre)
Ses mots :
• dim. 29 nov. 10 h : « jveux un taf dans la logistique »
• hier 9 h : « je dors chez une copine depuis trois semaines »
• aujourd'hui 11 h : « je veux parler à un conseiller »

{telegram_footer(await summary_of(h))}"""
    assert "inès" not in text.split("Ses mots")[1] and "« oui »" not in text  # bare answers are not quoted


async def test_a_long_story_is_shortened_to_one_telegram_message_with_the_way_to_answer(
    db: Database, tmp_path: Path,
) -> None:
    h = await make(db, tmp_path)
    chat = await realistic(h)
    now = h.clock.now()
    async with h.db.transaction() as uow:
        person = await uow.people.find("test", "ines")
        for i in range(40):
            await uow.suggestions.save(person.id, f"formation:{i}", "training", f"Formation numéro {i} " + "x" * 80,
                                       now)
        for i in range(12):
            await uow.messages.add(person.id, "in", f"message {i} " + "très long récit " * 250, "out_of_scope",
                                   now - dt.timedelta(minutes=60 - i))
    await chat.send("je veux parler à un conseiller")
    text = texts_to(h, NADIA)[0]
    assert len(text) <= TELEGRAM_LIMIT
    assert text.endswith(telegram_footer(await summary_of(h)))
    assert "👤 Inès, 19 ans, Nanterre" in text and "Rendez-vous :" in text
    assert "« je veux parler à un conseiller »" in text  # the newest words are kept, the oldest go first
    assert re.search(r"\+ \d+ autres", text)


async def test_the_email_is_plain_text_and_escaped_html(db: Database, tmp_path: Path) -> None:
    h = await make(db, tmp_path, email=True)
    chat = await realistic(h)
    h.nlu.learn("<script>alert('x')</script> & moi je veux parler à quelqu'un", "talk_to_advisor")
    async with h.db.transaction() as uow:
        person = await uow.people.find("test", "ines")
        await uow.people.update(person, first_name="Inès <b>")
    await chat.send("<script>alert('x')</script> & moi je veux parler à quelqu'un")
    subject, plain, document = for_email(await summary_of(h))
    assert subject == "[Tremplin] demande n° 1 : Inès <b>, 19 ans, Nanterre"
    assert "« <script>alert('x')</script> & moi je veux parler à quelqu'un »" in plain
    assert "<script>" not in document and "<b>," not in document
    assert html.escape("<script>alert('x')</script> & moi") in document
    assert "<strong>Situation</strong> : cherche un emploi" in document
    assert document.startswith("<!DOCTYPE html>") and 'lang="fr"' in document
    assert "Répondre à cet e-mail ne parvient pas à la personne." in plain


async def test_urgent_is_the_first_line_everywhere(db: Database, tmp_path: Path) -> None:
    h = await make(db, tmp_path, email=True)
    chat = await realistic(h)
    await chat.send("j'en peux plus de cette vie")
    summary = await summary_of(h)
    assert for_telegram(summary).startswith("🔴 URGENT · message de détresse.")
    subject, plain, document = for_email(summary)
    assert subject.startswith("[Tremplin] URGENT – demande n° 1")
    assert plain.startswith("🔴 URGENT")
    assert document.index("URGENT") < document.index("Situation")


HIDDEN = ("\u202e", "\u2066", "\u200f", "\x07", "\x1b")


async def test_characters_that_reorder_or_control_the_display_never_reach_an_advisor(
    db: Database, tmp_path: Path,
) -> None:
    """A right-to-left override in a message ("gnp.exe") or an escape code would show an advisor words
    other than those written: they are removed from the summary (Telegram and e-mail) and the forwards."""
    h = await make(db, tmp_path, email=True)
    chat = await realistic(h)
    typed = "je veux parler \u202eà quelqu'un\u202c \x1b[31mvite\x07 svp"
    h.nlu.learn(typed, "talk_to_advisor")
    async with h.db.transaction() as uow:
        person = await uow.people.find("test", "ines")
        await uow.people.update(person, first_name="In\u2066ès")
    await chat.send(typed)
    summary = await summary_of(h)
    subject, plain, document = for_email(summary)
    for text in (for_telegram(summary), subject, plain, document, *texts_to(h, NADIA)):
        assert not any(c in text for c in HIDDEN), repr(text)
    assert "« je veux parler à quelqu'un [31mvite svp »" in plain  # what is visible stays
    assert subject.startswith("[Tremplin] demande n° 1 : Inès,")
