"""A whole journey through the real engine and the real embedded NLU: onboarding, ideas, booking, move,
cancellation, hand-off, an advisor's answer and the reply, a second booking, the export.

It fails on any bot message repeated more than twice in a row (and any question left at the end of three turns in
a row), on a return to the ideas' "Tu veux d'autres idées ?" once a flow they offered is over (the conversation
rests on the home menu, docs/booking.md), on any text breaking the voice rules (tests/flows/test_polish_voice.py),
and on any line of an advisor's summary contradicting the data.

``JOURNEY_TRANSCRIPT=/tmp/journey.txt`` writes the transcript there (what each side wrote and read, in order).
Tuesday 1 December 2026, 11 h in Paris; the agenda is tests/flows/test_handoff_kit.py's.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import re
from pathlib import Path

from flows.engine.events import Reply
from nlu.embedded import EmbeddedBackend
from storage import Database
from storage.appointments import EXCUSED, UNKNOWN, Appointment
from storage.handoffs import BOOKED, Handoff
from tests.flows.test_handoff_kit import NADIA, THOMAS, AdvisorChat, advisor, button_in, make, sent_to
from tests.flows.test_polish_voice import ADVISOR, YOUNG, problems
from tests.kit import Chat, Harness

HOME_MENU = "Qu'est-ce que je peux faire pour toi ?"
MORE_IDEAS = "Tu veux d'autres idées ?"


class Journey:
    """The young person and the advisors, and everything each read, in order."""

    def __init__(self, h: Harness, chat: Chat) -> None:
        self.h, self.chat = h, chat
        self.lines: list[str] = []
        self.seen = 0  # messages of h.sender.sent already written to the transcript
        self.turn_ends: list[Reply] = []  # the last message of each of the young person's turns

    def _record(self, who: str, said: str) -> list[Reply]:
        self.lines.append(f"\n{who} > {said}")
        new = self.h.sender.sent[self.seen:]
        self.seen = len(self.h.sender.sent)
        mine = []
        for chat, reply, _, _ in new:
            to = "Inès" if chat == self.chat.user else {NADIA: "Nadia", THOMAS: "Thomas"}.get(chat, chat)
            text = reply.text.replace("\n", "\n      ")
            self.lines.append(f"  → {to}: {text}" + (f"  📎 {reply.document.filename}" if reply.document else ""))
            labels = [b.label for row in reply.buttons for b in row]
            if labels:
                self.lines.append("      " + " ".join(f"[{label}]" for label in labels))
            if chat == self.chat.user:
                mine.append(reply)
        if mine:
            self.turn_ends.append(mine[-1])
        return mine

    async def send(self, text: str) -> list[Reply]:
        await self.chat.send(text)
        return self._record("Inès", text)

    async def press(self, label: str) -> list[Reply]:
        await self.chat.press(label)
        return self._record("Inès", f"[{label}]")

    async def press_received(self, label: str) -> list[Reply]:
        """Press a button of a message that came from someone else (an advisor's answer)."""
        button, _ = button_in(self.h, self.chat.user, label)
        await self.chat.tap(button)
        return self._record("Inès", f"[{label}]")

    async def command(self, name: str) -> list[Reply]:
        await self.chat.command(name)
        return self._record("Inès", f"/{name}")

    async def advisor_reply(self, nadia: AdvisorChat, text: str, to: int) -> None:
        await nadia.reply(text, to)
        self._record("Nadia (répond à la fiche)", text)

    async def advisor_command(self, nadia: AdvisorChat, text: str) -> None:
        await nadia.cmd(text)
        self._record("Nadia", f"/{text}")

    def transcript(self) -> str:
        return "\n".join(self.lines).strip() + "\n"


def repeated_in_a_row(texts: list[str], limit: int = 2) -> list[str]:
    """The messages said more than ``limit`` times in a row."""
    found, run = [], 1
    for before, text in itertools.pairwise(texts):
        run = run + 1 if text == before else 1
        if run == limit + 1:
            found.append(text)
    return found


async def _data(h: Harness, user: str) -> tuple[list[Appointment], list[Handoff]]:
    async with h.db.transaction() as uow:
        person = await uow.people.find("test", user)
        return await uow.appointments.for_person(person.id), await uow.handoffs.of_person(person.id)


def summary_lies(summary: str, appointments: list[Appointment], handoffs: list[Handoff], now: object) -> list[str]:
    """The lines of an advisor's summary that the data contradict."""
    lies = []
    numbers = [int(n) for n in re.findall(r"Demande n° (\d+)", summary)]
    requests = {h.id for h in handoffs if h.reason != BOOKED}
    if summary.startswith("📅 Rendez-vous réservé") and numbers:
        lies.append("a booking's summary is numbered as a request")
    lies += [f"Demande n° {n} is no request of the person" for n in numbers if n not in requests]
    to_come = [a for a in appointments if a.status == UNKNOWN and a.starts_at > now]  # type: ignore[operator]
    cancelled = [a for a in appointments if a.status == EXCUSED]
    past_line = next((line for line in summary.splitlines() if line.startswith("• passés")), "")
    if cancelled and "annul" in past_line:
        lies.append(f"cancelled appointments counted as past: {past_line}")
    if cancelled and not any(line.startswith("• annulés") for line in summary.splitlines()):
        lies.append("the cancelled appointments are not said")
    has_next = any(line.startswith("• prochain") for line in summary.splitlines())
    if has_next != bool(to_come):
        lies.append(f"next appointment said: {has_next}, appointments to come: {len(to_come)}")
    for line in summary.splitlines():
        if line.startswith("Accompagnement") and "personne" in line and re.search(r"avec|conseill", line):
            lies.append(f"contradiction: {line}")
    return lies


async def test_a_whole_journey_reads_right(db: Database, tmp_path: Path, real_nlu: EmbeddedBackend) -> None:
    h = await make(db, tmp_path)
    h.world = dataclasses.replace(h.world, nlu=real_nlu)
    h.engine.world = h.world
    j = Journey(h, h.chat("ines"))
    nadia = advisor(h, NADIA)

    # Onboarding, in words and buttons.
    await j.send("salut")
    await j.press("D'accord")
    await j.send("Inès")
    await j.send("19 ans")
    await j.send("nanterre")
    await j.press("CAP ou BEP")
    await j.send("je cherche du travail")
    await j.press("Oui")
    await j.press("Non, personne")
    await j.press("Logement")
    await j.press("C'est tout")
    await j.press("Logistique")
    await j.press("C'est tout")
    assert j.chat.labels == ["Montre-moi", "Plus tard"], j.transcript()

    # Ideas, then an appointment from them.
    await j.press("Montre-moi")
    await j.press("Ça m'intéresse")
    await j.press("Prendre rendez-vous")
    await j.press("Autres jours")
    await j.press(j.chat.labels[0])
    booked = await j.press("Oui, je réserve")
    assert booked[-1].text == HOME_MENU, j.transcript()  # docs/booking.md: the home menu after a booking

    # Move it, then cancel it.
    await j.command("rdv")
    await j.press("Le déplacer")
    await j.press(j.chat.labels[1])
    moved = await j.press(j.chat.labels[0])
    assert moved[0].text.startswith("C'est fait ! Ton rendez-vous est maintenant le"), j.transcript()
    await j.command("rdv")
    await j.press("L'annuler")
    await j.press("Oui, annuler")

    # The ideas again; a person; the advisor answers, the young person replies.
    await j.command("idees")
    await j.send("je veux parler à quelqu'un")
    [summary_id] = [i for r, i in sent_to(h, NADIA) if r.text.startswith("📩")]
    await j.advisor_reply(nadia, "Bonjour Inès, je suis Nadia. On se voit bientôt ?", summary_id)
    await j.press_received("Répondre à Nadia")
    await j.send("oui avec plaisir, plutôt le matin")
    await j.advisor_command(nadia, "aide")

    # A second booking: its summary to the advisor; then the export.
    await j.send("je veux prendre un rendez-vous")
    await j.press("Autres jours")
    await j.press(j.chat.labels[0])
    await j.press("Oui, je réserve")
    await j.command("mes_donnees")

    transcript = j.transcript()
    if path := os.environ.get("JOURNEY_TRANSCRIPT"):
        Path(path).write_text(transcript, encoding="utf-8")
    print(f"\n{transcript}")

    young = [reply.text for chat, reply, _, _ in h.sender.sent if chat == "ines"]
    assert repeated_in_a_row(young) == []
    assert repeated_in_a_row([r.text for r in j.turn_ends]) == []  # the same question left after 3 turns in a row
    assert MORE_IDEAS not in [r.text for r in j.turn_ends]  # no flow of this journey goes back to the ideas' menu
    assert not [t for t in young if MORE_IDEAS in t], transcript
    broken = [f"{text!r}: {problem}" for text in young if not text.startswith("💡")  # cards: catalogue data
              for problem in problems(text, YOUNG)]
    to_advisors = [reply.text for chat, reply, _, _ in h.sender.sent if chat in (NADIA, THOMAS)]
    broken += [f"{text!r}: {problem}" for text in to_advisors for problem in problems(text, ADVISOR)]
    assert broken == [], transcript
    appointments, handoffs = await _data(h, "ines")
    summaries = list(dict.fromkeys(text for text in to_advisors if text.startswith(("📩", "📅 Rendez-vous réservé"))))
    assert len(summaries) == 3  # two bookings, one request (to Nadia and Thomas)
    # Each summary against the data as it is at the end, for what cannot have changed since (numbers, the past).
    lies = [lie for text in summaries[-1:] for lie in summary_lies(text, appointments, handoffs, h.clock.now())]
    lies += [lie for text in summaries for lie in summary_lies(text, [], handoffs, h.clock.now())
             if "Demande n°" in lie or "numbered" in lie or "contradiction" in lie]
    assert lies == [], transcript
