"""Test kit for privacy: a person on a Telegram-like channel (every update goes through the inbox, as
bot/ does), a realistic profile with activity in every table, and the scan of the whole database.

No real person: the names and ids below are made up.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import or_

from flows.engine.events import Event, Reply
from storage import UnitOfWork
from storage.erasure import ScanReport, find_traces, person_columns, personal_tables
from storage.people import Person
from tests.kit import Chat, Harness

_update_ids = itertools.count(500_000)


@dataclass
class InboxChat(Chat):
    """A person whose every message is first recorded in the inbox with a Telegram-like update."""

    first_name: str = ""

    async def _handle(self, event: Event) -> list[Reply]:
        update_id = next(_update_ids)
        payload = {
            "update_id": update_id,
            "message": {
                "chat": {"id": int(self.user), "type": "private", "first_name": self.first_name},
                "from": {"id": int(self.user), "is_bot": False, "first_name": self.first_name},
                "text": event.text,
            },
        }
        async with self.harness.db.transaction() as uow:
            inbox_id = await uow.inbox.record("telegram", update_id, payload, self.harness.clock.now())
        return await super()._handle(dataclasses.replace(event, inbox_id=inbox_id))


def inbox_chat(harness: Harness, telegram_id: str, first_name: str) -> InboxChat:
    """A Telegram-like person (``telegram_id`` is their user and chat id)."""
    return InboxChat(harness, telegram_id, first_name=first_name)


async def onboard(chat: InboxChat) -> None:
    """Consent, first name, and every question of the onboarding, by buttons and text."""
    await chat.send("bonjour")
    await chat.press("D'accord")
    await chat.send(chat.first_name)
    await chat.press("19")
    await chat.press("Nanterre")
    await chat.press("CAP ou BEP")
    await chat.press("Je cherche un emploi")
    await chat.press("Oui")
    await chat.press("Mission locale")
    await chat.press("Logement")
    await chat.press("C'est tout")
    await chat.press("Logistique")
    await chat.press("C'est tout")


# Rows for the tables that a conversation does not fill yet (a capability without its flows), so
# that the scan has something to find in every table. A new personal table that no conversation
# fills gets an entry here; ``realistic_profile`` fails until it has one.
Filler = Callable[[UnitOfWork, Person, dt.datetime], Awaitable[None]]


async def _appointment(uow: UnitOfWork, person: Person, now: dt.datetime) -> None:
    from storage.appointments import BOOKED

    structures = uow.structures
    await structures.save_structure("ml-test", name="Mission locale d'essai", phone="01 00 00 00 09", email=None,
                                    opening_hours="", example=True, now=now)
    await structures.save_lieux("ml-test", [{"id": "ml-test-1", "name": "Antenne", "address": "1 rue d'Essai",
                                             "commune": "92050", "access": ""}])
    motif = await structures.upsert_motif("ml-test", "premier_accueil", name="Premier accueil",
                                          duration_minutes=45)
    agent = await structures.upsert_agent(structure_id="ml-test", display_name="Conseillère d'essai",
                                          email="conseillere@exemple.fr", telegram_id=7309990001)
    starts = now + dt.timedelta(days=3)
    appointment = await uow.appointments.add(
        person_id=person.id, structure_id="ml-test", lieu_id="ml-test-1", motif_id=motif.id, agent_id=agent.id,
        collective=False, starts_at=starts, ends_at=starts + dt.timedelta(minutes=45), now=now,
    )
    assert appointment is not None
    await uow.appointments.record(appointment, event=BOOKED, by="young", now=now, note="premier accueil")


async def _saved_suggestion(uow: UnitOfWork, person: Person, now: dt.datetime) -> None:
    await uow.suggestions.save(person.id, "formation:cap-cuisine-nanterre", "training", "CAP Cuisine à Nanterre", now)


async def _offer_alert(uow: UnitOfWork, person: Person, now: dt.datetime) -> None:
    # "Préviens-moi" (flows/suggestions/alerts.py): their commune and trades, the offers already seen.
    criteria = {"insee": "92050", "romes": ["N1103"], "radius_km": 10, "alternance": False, "latitude": None,
                "longitude": None}
    await uow.offer_alerts.subscribe(person.id, criteria, "logistique", ["france_travail:201ABCD"], now)


async def _nudge_log(uow: UnitOfWork, person: Person, now: dt.datetime) -> None:
    await uow.nudges.record(person_id=person.id, key=f"nudge:{person.id}:inactive:{now.date().isoformat()}",
                            rule="inactive", anchor=now.date(), due_at=now + dt.timedelta(days=7), now=now)


async def _handoff_relay(uow: UnitOfWork, person: Person, now: dt.datetime) -> None:
    # The distress message already opened a hand-off (nobody to send it to here): an advisor answers it.
    handoff = await uow.handoffs.open_for(person.id) or await uow.handoffs.open(
        person_id=person.id, structure_id="ml-nanterre", reason="asked", urgent=False, now=now,
        request="je veux parler à quelqu'un")
    await uow.handoffs.add_message(handoff, channel="test", kind="relay", now=now,
                                   text=f"Bonjour {person.first_name}, ici votre conseillère.")


async def _record_opened(uow: UnitOfWork, person: Person, now: dt.datetime) -> None:
    # An advisor of the desk opened the record (web/): the access log names the person.
    if await uow.structures.structure("ml-nanterre") is None:
        await uow.structures.save_structure("ml-nanterre", name="Mission locale de Nanterre", phone=None,
                                            email=None, opening_hours="", example=True, now=now)
    agent = await uow.structures.upsert_agent(structure_id="ml-nanterre", email="nadia@ml-nanterre.exemple.fr")
    await uow.staff.log_access(agent, person.id, now)


async def _outcome(uow: UnitOfWork, person: Person, now: dt.datetime) -> None:
    # "Tu en es où aujourd'hui ?" three months on (flows/outcomes/), answered "une formation".
    key = f"outcome:{person.id}:3m"
    await uow.outcomes.plan(person.id, "3m", key, now)
    row = await uow.outcomes.open_question(person.id, now - dt.timedelta(days=1), now)
    assert row is not None
    await uow.outcomes.answer(row, "training", now, "person")


FILLERS: dict[str, Filler] = {
    "outcomes": _outcome,
    "record_accesses": _record_opened,
    "handoffs": _handoff_relay,
    "handoff_messages": _handoff_relay,
    "nudge_log": _nudge_log,
    "appointments": _appointment,
    "appointment_history": _appointment,
    "saved_suggestions": _saved_suggestion,
    "offer_alerts": _offer_alert,
}


async def realistic_profile(harness: Harness, telegram_id: str, first_name: str) -> InboxChat:
    """Someone who onboarded, wrote free text and a distress message, asked for their data, has a
    nudge planned, was handed to an advisor, and has an appointment: a row in every personal table."""
    chat = inbox_chat(harness, telegram_id, first_name)
    await onboard(chat)
    harness.nlu.learn("je dors chez une copine depuis trois semaines", "social_support")
    await chat.send("je dors chez une copine depuis trois semaines")
    harness.nlu.learn("j'en peux plus de cette vie", "distress")
    await chat.send("j'en peux plus de cette vie")
    await chat.command("mes_donnees")
    now = harness.clock.now()
    async with harness.db.transaction() as uow:
        person = await uow.people.find("test", telegram_id)
        assert person is not None
        await uow.outbox.add(key=f"nudge:{person.id}", channel="test", chat_id=telegram_id, kind="nudge",
                             category="nudge", payload={"text": f"Coucou {first_name}, on en reparle ?"},
                             due_at=now + dt.timedelta(days=7), now=now, person_id=person.id)
        await uow.outbox.add(key=f"handoff:{person.id}", channel="test", chat_id="advisor-1", kind="handoff",
                             payload={"text": f"{first_name}, 19 ans, Nanterre : demande à être rappelée."},
                             due_at=now, now=now, person_id=person.id)
        filled: set[Filler] = set()
        for table in personal_tables():
            filler = FILLERS.get(table.name)
            if filler is not None and filler not in filled:
                filled.add(filler)
                await filler(uow, person, now)
        empty = []
        for table in personal_tables():
            about = [column == person.id for column in person_columns(table)]
            rows = (await uow.session.execute(table.select().where(or_(*about)))).all()
            if not rows:
                empty.append(table.name)
    assert not empty, f"no activity in {empty}: add a filler in tests/privacy_kit.py so that the scan covers them"
    return chat


async def scan(harness: Harness, person_id: int | None, *texts: str) -> ScanReport:
    """Every table and column of the database, searched for the person's id and these texts."""
    async with harness.db.transaction() as uow:
        return await find_traces(uow.session, person_id=person_id, texts=texts)


def sqlite_files(database: str) -> list[Path]:
    """The SQLite file and its companions (``-wal``, ``-shm``) as they are on disk now."""
    return [path for path in (Path(database + suffix) for suffix in ("", "-wal", "-shm")) if path.exists()]


def raw_matches(database: str, *needles: str) -> dict[str, list[str]]:
    """Which needles (a first name, a Telegram id) the raw bytes of the database files still hold, file by file.

    Read as a copy taken at this instant would be (a process killed now leaves exactly these bytes).
    """
    found: dict[str, list[str]] = {}
    for path in sqlite_files(database):
        content = path.read_bytes()
        hits = [needle for needle in needles if needle and needle.encode("utf-8") in content]
        if hits:
            found[path.name] = hits
    return found
