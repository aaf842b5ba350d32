"""Who is at the desk, and what each route lets them do.

A route is declared with ``@page(roles)``: the session is read, the role checked, a state-changing request's
CSRF token checked, and the handler gets a ``Visit`` (the transaction, the viewer, the time). Records are then
looked up through the viewer's structure only: a record of another structure is "not found" (404), exactly
like one that does not exist, so that an id says nothing of what exists elsewhere.
"""

from __future__ import annotations

import datetime as dt
import hmac
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from flows.advisors.desk import Desk
from flows.engine.world import World
from storage import Database, UnitOfWork
from storage.staff import ADVISOR, DEPARTEMENT, MANAGER, OPERATOR, STRUCTURE_ROLES
from storage.structures import Agent

SESSION_COOKIE = "tremplin_session"
CSRF_FIELD = "csrf"
# Who may use a route (``page(...)``).
STAFF_OF_A_STRUCTURE = (ADVISOR, MANAGER)
MANAGERS = (MANAGER,)
DEPARTEMENT_ROLES = (DEPARTEMENT, OPERATOR)
OPERATORS = (OPERATOR,)
ROLE_WORDS = {ADVISOR: "Conseillère ou conseiller", MANAGER: "Responsable de structure",
              DEPARTEMENT: "Équipe du Département", OPERATOR: "Exploitation"}


@dataclass
class Visit:
    """One request of a signed-in person: their account, the transaction, the time."""

    request: Request
    uow: UnitOfWork
    agent: Agent
    world: World
    now: dt.datetime
    session_token: str

    @property
    def role(self) -> str:
        return self.agent.role

    @property
    def structure_id(self) -> str | None:
        return self.agent.structure_id if self.agent.role in STRUCTURE_ROLES else None

    def desk(self) -> Desk:
        """The advisors' operations (flows/advisors/) for this action; the form's key makes a second submit of
        the same form write nothing twice."""
        key = str(self.request.state.form.get("action_key") or uuid.uuid4().hex) if self.request.method == "POST" \
            else uuid.uuid4().hex
        return Desk(self.uow, self.world, self.agent, self.now, f"web:{self.agent.id}:{key[:40]}")

    def csrf(self) -> str:
        return csrf_token(self.request.app.state.secret, self.session_token)


def csrf_token(secret: bytes, session_token: str) -> str:
    """Tied to the session: a form of another site cannot know it."""
    return hmac.new(secret, f"csrf:{session_token}".encode(), "sha256").hexdigest()


def not_found() -> HTTPException:
    return HTTPException(404, "Cette page n'existe pas, ou elle n'est pas de votre structure.")


Handler = Callable[[Visit], Awaitable[Response]]


def page(*roles: str) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Declare a route's roles. Nobody signed in: the sign-in page (a GET) or 403 (anything else)."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            token = request.cookies.get(SESSION_COOKIE)
            state: Any = request.app.state
            db: Database = state.db
            request.state.form = await request.form() if request.method == "POST" else {}
            async with db.transaction() as uow:
                now = state.clock.now()
                agent = await uow.staff.session_agent(token, now, state.idle) if token else None
                if agent is None or token is None:
                    if request.method == "GET":
                        return RedirectResponse("/connexion", status_code=303)
                    raise HTTPException(403, "Connectez-vous d'abord.")
                if agent.role not in roles or (agent.role in STRUCTURE_ROLES and agent.structure_id is None):
                    raise HTTPException(403, "Votre rôle ne donne pas accès à cette page.")
                if request.method == "POST" and not hmac.compare_digest(
                        str(request.state.form.get(CSRF_FIELD, "")), csrf_token(state.secret, token)):
                    raise HTTPException(403, "Le formulaire a expiré. Rechargez la page.")
                request.state.viewer = agent
                request.state.planned = []
                request.state.structures_changed = False
                await state.world.refresh(uow)  # the operator's structures, as the conversation reads them
                response = await handler(Visit(request, uow, agent, state.world, now, token))
            if request.state.structures_changed and state.world.structures is not None:
                state.world.structures.expire()  # committed: this process reads them again at once
            # Committed: what the action wrote to young people (a reply, a notice) is sent now, by this process
            # when it can send on their channel, else by the bot's next tick.
            if request.state.planned and state.deliver is not None:
                response.background = BackgroundTask(state.deliver, list(request.state.planned))
            return response

        endpoint.roles = roles  # type: ignore[attr-defined]  # the permission test reads it
        endpoint.__name__ = handler.__name__
        endpoint.__doc__ = handler.__doc__
        return endpoint

    return wrap


def home_of(agent: Agent) -> str:
    """The first page of each role."""
    return {ADVISOR: "/demandes", MANAGER: "/demandes", DEPARTEMENT: "/statistiques",
            OPERATOR: "/equipe"}.get(agent.role, "/connexion")
