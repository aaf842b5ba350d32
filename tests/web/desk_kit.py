"""Test kit of the desk: the hand-off kit's mission locale (Nanterre: Nadia, Thomas; Boucle Nord: Julien), an
account for every role, a young person of each structure with a request and an appointment, and an HTTP
client on the ASGI application (https://desk.test: the session cookie is Secure)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import select

from bot.config import WebSettings
from storage import Database
from storage.handoffs import Handoff
from storage.staff import DEPARTEMENT, MANAGER, OPERATOR
from storage.structures import Agent
from tests.flows.test_handoff_kit import Harness, make, onboarded
from web.access import CSRF_FIELD, SESSION_COOKIE
from web.app import create_app

BASE = "https://desk.test"
NADIA_EMAIL, THOMAS_EMAIL = "nadia@ml-nanterre.exemple.fr", "thomas@ml-nanterre.exemple.fr"
JULIEN_EMAIL = "julien@ml-boucle-nord.exemple.fr"
DEPARTEMENT_EMAIL, OPERATOR_EMAIL = "stats@hauts-de-seine.exemple.fr", "exploitation@hauts-de-seine.exemple.fr"


@dataclass
class Desk:
    """The desk on the harness's database, with what it delivered."""

    h: Harness
    app: object
    delivered: list[int] = field(default_factory=list)
    accounts: dict[str, Agent] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)  # "own_person", "other_request", ...

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=BASE,  # type: ignore[arg-type]
                                 follow_redirects=False)

    async def signed_in(self, email: str) -> httpx.AsyncClient:
        """A client with a live session of this account (as the link would open it)."""
        token = secrets.token_urlsafe(16)
        async with self.h.db.transaction() as uow:
            agent = await uow.structures.agent_by_email(email)
            assert agent is not None
            await uow.staff.open_session(agent.id, token, self.h.clock.now())
        client = self.client()
        client.cookies.set(SESSION_COOKIE, token, domain="desk.test")
        return client


async def csrf_of(client: httpx.AsyncClient, path: str = "/demandes") -> str:
    """The CSRF token in a page's forms."""
    page = await client.get(path)
    found = re.search(rf'name="{CSRF_FIELD}" value="([0-9a-f]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


async def make_desk(db: Database, tmp_path: Path, *, at: dt.datetime | None = None) -> Desk:
    """Accounts of every role, and one young person with an open request and an appointment in each structure."""
    h = await make(db, tmp_path, **({"at": at} if at else {}))
    desk = Desk(h, None)

    async def deliver(ids: list[int]) -> None:
        desk.delivered.extend(ids)
        await h.delivery.deliver(ids)

    settings = WebSettings(public_url=BASE)
    desk.app = create_app(db, h.world, settings, clock=h.clock, deliver=deliver)
    ines = await onboarded(h, "ines", first_name="Inès", commune="92050")  # Nanterre
    await ines.send("je veux parler à un conseiller")
    sami = await onboarded(h, "sami", first_name="Sami", commune="92025")  # Colombes: Boucle Nord
    await sami.send("je veux parler à un conseiller")
    now = h.clock.now()
    async with db.transaction() as uow:
        thomas = await uow.structures.agent_by_email(THOMAS_EMAIL)
        await uow.staff.set_role(thomas, MANAGER)
        for email, role in ((DEPARTEMENT_EMAIL, DEPARTEMENT), (OPERATOR_EMAIL, OPERATOR)):
            agent = await uow.structures.upsert_agent(structure_id=None, display_name=role, email=email, now=now)
            await uow.staff.set_role(agent, role)
        for email in (NADIA_EMAIL, THOMAS_EMAIL, JULIEN_EMAIL, DEPARTEMENT_EMAIL, OPERATOR_EMAIL):
            desk.accounts[email] = await uow.structures.agent_by_email(email)
        for user, prefix in (("ines", "own"), ("sami", "other")):
            person = await uow.people.find("test", user)
            handoff = await uow.session.scalar(select(Handoff).where(Handoff.person_id == person.id))
            desk.ids[f"{prefix}_person"], desk.ids[f"{prefix}_request"] = person.id, handoff.id
            structure = "ml-nanterre" if prefix == "own" else "ml-boucle-nord"
            motif = await uow.structures.motif_by_code(structure, "suivi")
            agent = desk.accounts[NADIA_EMAIL if prefix == "own" else JULIEN_EMAIL]
            lieu = "nanterre-prefecture" if prefix == "own" else "colombes-centre"
            starts = now - dt.timedelta(minutes=5)
            appointment = await uow.appointments.add(
                person_id=person.id, structure_id=structure, lieu_id=lieu, motif_id=motif.id, agent_id=agent.id,
                collective=False, starts_at=starts, ends_at=starts + dt.timedelta(minutes=30),
                now=now - dt.timedelta(days=2))
            desk.ids[f"{prefix}_appointment"] = appointment.id
            desk.ids[f"{prefix}_agent"] = agent.id
            absence = await uow.structures.upsert_absence(
                f"{prefix}-closure", agent_id=None, structure_id=structure, starts_at=now + dt.timedelta(days=20),
                ends_at=now + dt.timedelta(days=21), title="Fermeture")
            desk.ids[f"{prefix}_absence"] = absence.id
            [plage, *_] = await uow.availability.plages_of_structure(structure)
            desk.ids[f"{prefix}_plage"] = plage.id
    return desk
