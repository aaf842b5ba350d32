"""Test kit of the hand-off: a mission locale with advisors on Telegram, young people, and what each received.

It holds no test (its name only keeps it with the hand-off tests): tests/flows/test_handoff*.py and
tests/bot/test_handoff_e2e.py import it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path

from bot.delivery import Delivery
from flows.data.opening_hours import seed_agenda
from flows.engine.events import BUTTON, COMMAND, TEXT, Button, Event, PersonRef, Reply
from storage import Database
from storage.appointments import NOSHOW, SEEN
from storage.outbox import OutboxMessage
from tests.kit import Chat, Harness, RecordingSender, make_harness

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)  # Tuesday 1 December 2026, 11 h in Paris
NADIA, THOMAS, JULIEN = "7301", "7302", "7401"  # made-up Telegram ids of advisors
UNKNOWN_COMMAND = "Je ne connais pas cette commande. Tape /aide pour voir ce que je sais faire."
STALE = "Ce bouton ne marche plus."

AGENDA = """\
motifs:
  - {code: premier-accueil, name: Premier rendez-vous, duration_minutes: 45, min_delay_hours: 24, max_delay_days: 42}
  - {code: suivi, name: Rendez-vous de suivi, duration_minutes: 30, min_delay_hours: 0, max_delay_days: 42}
agents:
  - {email: nadia@ml-nanterre.exemple.fr, structure: ml-nanterre, name: Nadia}
  - {email: thomas@ml-nanterre.exemple.fr, structure: ml-nanterre, name: Thomas}
  - {email: julien@ml-boucle-nord.exemple.fr, structure: ml-boucle-nord, name: Julien}
plages:
  - {id: nadia-matin, agent: nadia@ml-nanterre.exemple.fr, lieu: nanterre-prefecture,
     motifs: [premier-accueil, suivi], first_day: 2026-11-02, start_time: "09:00", end_time: "12:00",
     rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20270630"}
  - {id: thomas-apres-midi, agent: thomas@ml-nanterre.exemple.fr, lieu: nanterre-prefecture,
     motifs: [premier-accueil, suivi], first_day: 2026-11-02, start_time: "14:00", end_time: "17:00",
     rrule: "FREQ=WEEKLY;BYDAY=MO,TU,TH,FR;UNTIL=20270630"}
  - {id: julien-matin, agent: julien@ml-boucle-nord.exemple.fr, lieu: colombes-centre,
     motifs: [premier-accueil, suivi], first_day: 2026-11-02, start_time: "09:00", end_time: "12:00",
     rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20270630"}
absences:
  - {id: nadia-formation, agent: nadia@ml-nanterre.exemple.fr, first_day: 2026-12-03}
"""


class AllChannels(RecordingSender):
    """Records what goes to the young people ("test"), to the advisors' Telegram chats and e-mails."""

    channels = ("test", "telegram", "email")


@dataclass
class AdvisorChat(Chat):
    """Someone on Telegram (an advisor, or not): commands with arguments, replies to a message."""

    @property
    def ref(self) -> PersonRef:
        return PersonRef("telegram", self.user, self.user)

    async def cmd(self, text: str) -> list[Reply]:
        """Send "/<text>", e.g. cmd("repondre 12 Bonjour")."""
        name = text.split()[0]
        return await self._handle(Event(self.ref, COMMAND, text=f"/{text}", command=name, key=uuid.uuid4().hex))

    async def reply(self, text: str, to: int | str) -> list[Reply]:
        """Reply (Telegram "reply") to the message ``to`` (its outbox id is its channel id here)."""
        return await self._handle(Event(self.ref, TEXT, text=text, reply_to=str(to), key=uuid.uuid4().hex))

    async def press_data(self, data: str, message_id: int | str | None = None) -> list[Reply]:
        """Press a button with this data (from any message, or forged)."""
        return await self._handle(Event(self.ref, BUTTON, payload=data, key=uuid.uuid4().hex,
                                        message_id=str(message_id) if message_id is not None else None))


def sent_to(h: Harness, chat: str) -> list[tuple[Reply, int]]:
    """Every message sent to this chat (a Telegram chat id or an e-mail address), with its id."""
    return [(reply, message_id) for to, reply, _, message_id in h.sender.sent if to == chat]


def texts_to(h: Harness, chat: str) -> list[str]:
    return [reply.text for reply, _ in sent_to(h, chat)]


def button_in(h: Harness, chat: str, label: str) -> tuple[Button, int]:
    """The newest button with this label sent to ``chat``, and the id of its message."""
    for reply, message_id in reversed(sent_to(h, chat)):
        for row in reply.buttons:
            for button in row:
                if button.label == label:
                    return button, message_id
    raise AssertionError(f"no button {label!r} sent to {chat}")


async def make(db: Database, tmp_path: Path, *, email: bool = False, at: dt.datetime = NOW,
               advisors: bool = True) -> Harness:
    """A harness with the agenda above; Nadia and Thomas (Nanterre) and Julien (Boucle Nord) on Telegram."""
    h = make_harness(db, at=at)
    if email:
        h.world = dataclasses.replace(h.world, email_handoffs=True)
        h.engine.world = h.world
    h.sender = AllChannels()
    h.delivery = Delivery(db, [h.sender], h.clock)
    path = tmp_path / "agenda.yml"
    path.write_text(AGENDA, encoding="utf-8")
    async with db.transaction() as uow:
        await seed_agenda(uow, h.world.territory, path, h.world.settings.tz)
        if advisors:
            for email_address, telegram_id in (("nadia@ml-nanterre.exemple.fr", NADIA),
                                               ("thomas@ml-nanterre.exemple.fr", THOMAS),
                                               ("julien@ml-boucle-nord.exemple.fr", JULIEN)):
                agent = await uow.structures.agent_by_email(email_address)
                await uow.structures.upsert_agent(structure_id=agent.structure_id, email=email_address,
                                                  telegram_id=int(telegram_id))
    h.nlu.learn("je veux parler à un conseiller", "talk_to_advisor")
    h.nlu.learn("j'en peux plus de cette vie", "distress")
    h.nlu.learn("je dors chez une copine depuis trois semaines", "social_support")
    h.nlu.learn("jveux un taf dans la logistique", "find_job", secteur="logistique")
    return h


def advisor(h: Harness, telegram_id: str) -> AdvisorChat:
    return AdvisorChat(h, telegram_id)


async def onboarded(h: Harness, user: str = "ines", *, commune: str | None = "92050", first_name: str = "Inès",
                    consent: bool = True, **profile: object) -> Chat:
    """Someone who consented and answered the onboarding, back on the home question."""
    now = h.clock.now()
    async with h.db.transaction() as uow:
        person = await uow.people.find_or_create("test", user, user, now)
        await uow.people.update(person, first_name=first_name, age=19, commune=commune,
                                consent_at=now if consent else None, onboarded_at=now if consent else None,
                                **profile)
        conversation = await uow.conversations.load(person.id, now)
        conversation.step = "home" if consent else None
        await uow.conversations.save(conversation)
    return h.chat(user)


async def realistic(h: Harness, user: str = "ines") -> Chat:
    """Inès, 19, Nanterre: a full profile, ideas saved, appointments past and to come, her own words."""
    chat = await onboarded(h, user, schooling="cap_bep", situation="emploi", rsa=True, followed_by="mission_locale",
                           obstacles=["logement", "mobilite"], sectors=["logistique", "hotellerie_restauration"])
    now = h.clock.now()
    async with h.db.transaction() as uow:
        person = await uow.people.find("test", user)
        for entry, kind, title in (("formation:caces", "training", "CACES R489 à Gennevilliers (4 semaines, payé)"),
                                   ("emploi:preparateur", "job", "Préparateur de commandes à Nanterre"),
                                   ("service:logement-jeunes", "service", "Le logement des jeunes (FJT)")):
            await uow.suggestions.save(person.id, entry, kind, title, now - dt.timedelta(days=2))
        nadia = await uow.structures.agent_by_email("nadia@ml-nanterre.exemple.fr")
        motif = await uow.structures.motif_by_code("ml-nanterre", "suivi")
        for days_ago, status in ((21, SEEN), (14, NOSHOW)):
            starts = dt.datetime(2026, 11, 10, 9, 0, tzinfo=dt.UTC) + dt.timedelta(days=21 - days_ago)
            appointment = await uow.appointments.add(
                person_id=person.id, structure_id="ml-nanterre", lieu_id="nanterre-prefecture", motif_id=motif.id,
                agent_id=nadia.id, collective=False, starts_at=starts, ends_at=starts + dt.timedelta(minutes=30),
                now=starts - dt.timedelta(days=3))
            await uow.appointments.set_status(appointment, status, starts)
        starts = dt.datetime(2026, 12, 4, 8, 0, tzinfo=dt.UTC)
        await uow.appointments.add(
            person_id=person.id, structure_id="ml-nanterre", lieu_id="nanterre-prefecture", motif_id=motif.id,
            agent_id=nadia.id, collective=False, starts_at=starts, ends_at=starts + dt.timedelta(minutes=30), now=now)
        for hours_ago, text, intent in (
            (50, "inès", "inform"),
            (49, "jveux un taf dans la logistique", "find_job"),
            (26, "je dors chez une copine depuis trois semaines", "social_support"),
            (25, "oui", "affirm"),
        ):
            await uow.messages.add(person.id, "in", text, intent, now - dt.timedelta(hours=hours_ago))
    return chat


async def outbox_rows(h: Harness, **where: object) -> list[OutboxMessage]:
    from sqlalchemy import select

    async with h.db.transaction() as uow:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        for name, value in where.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        return list(await uow.session.scalars(query))
