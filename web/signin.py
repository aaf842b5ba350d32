"""Signing in with a single-use link sent by e-mail, and signing out.

The answer to "send me a link" is the same whether the address is known or not, and so is its timing (the
e-mail is written to the outbox and sent after the answer). Links and requests are limited per address and
per IP address. Opening a link shows a button: the link is used only when it is pressed, so that a mail
scanner that follows links does not use it up.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from urllib.parse import urlsplit

from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from storage import UnitOfWork
from storage.staff import ROLES, digest
from storage.structures import Agent
from web.access import SESSION_COOKIE, Visit, home_of, page
from web.mail import queue_email
from web.render import render

SENT = ("Si cette adresse est celle d'un compte, un lien de connexion vient d'y être envoyé. Il est valable "
        "{minutes} minutes et ne sert qu'une fois.")


def _same_origin(request: Request) -> bool:
    """A form posted from this site (no session yet: the Origin header stands in for the CSRF token): the desk's
    public address (``web.public_url``; behind a proxy the Host it passes may lack the port), or the address
    the request came to."""
    origin = request.headers.get("origin")
    public = urlsplit(request.app.state.settings.public_url)
    return origin is None or origin in (f"{public.scheme}://{public.netloc}",
                                        f"{request.url.scheme}://{request.url.netloc}")


async def sign_in_form(request: Request) -> Response:
    """GET /connexion."""
    return render(request, "signin.html", {"title": "Connexion"})


async def ask_for_link(request: Request) -> Response:
    """POST /connexion: a link to a registered address, within the limits; the same answer in every case."""
    if not _same_origin(request):
        raise HTTPException(403, "Formulaire refusé.")
    state: Any = request.app.state
    form = await request.form()
    address = str(form.get("email", "")).strip().lower()[:254]
    settings = state.settings
    valid = dt.timedelta(minutes=settings.link_minutes)
    written: list[int] = []
    if "@" in address:
        ip = request.client.host if request.client else "?"
        async with state.db.transaction() as uow:
            now = state.clock.now()
            within = (await uow.staff.count_requests(f"email:{address}", now - valid) < settings.links_per_address
                      and await uow.staff.count_requests(f"ip:{ip}", now - valid) < settings.links_per_ip)
            await uow.staff.record_request([f"email:{address}", f"ip:{ip}"], now)
            agent = await uow.structures.agent_by_email(address)
            if within and agent is not None and agent.active and agent.role in ROLES:
                written = await _write_link(uow, state, agent.id, address, now, valid)
    minutes = settings.link_minutes
    task = BackgroundTask(state.deliver, written) if written and state.deliver is not None else None
    return render(request, "signin.html", {"title": "Connexion", "sent": SENT.format(minutes=minutes)},
                  background=task)


async def _write_link(uow: UnitOfWork, state: Any, agent_id: int, address: str, now: dt.datetime,
                      valid: dt.timedelta) -> list[int]:
    token = secrets.token_urlsafe(32)
    await uow.staff.add_link(agent_id, token, now, valid)
    link = f"{state.settings.public_url.rstrip('/')}/connexion/lien/{token}"
    minutes = int(valid.total_seconds() // 60)
    text = (f"Bonjour,\n\nPour ouvrir le bureau des conseillers de Tremplin, suivez ce lien dans les {minutes} "
            f"minutes :\n{link}\n\nIl ne sert qu'une fois. Si vous n'avez rien demandé, ignorez ce message.")
    return await queue_email(uow, to=address, subject="Votre lien de connexion à Tremplin", text=text,
                             key=f"signin:{digest(token)[:32]}", kind="sign_in", now=now, expires_at=now + valid)


async def open_link(request: Request) -> Response:
    """GET /connexion/lien/{token}: a button that uses the link (nothing is used by merely opening it)."""
    return render(request, "signin_link.html", {"title": "Connexion", "token": request.path_params["token"]})


async def use_link(request: Request) -> Response:
    """POST /connexion/lien: the link signs in once; a session cookie is set."""
    if not _same_origin(request):
        raise HTTPException(403, "Formulaire refusé.")
    state: Any = request.app.state
    form = await request.form()
    async with state.db.transaction() as uow:
        now = state.clock.now()
        agent = await uow.staff.use_link(str(form.get("token", ""))[:100], now)
        if agent is None:
            return render(request, "signin.html", {
                "title": "Connexion", "error": "Ce lien n'est plus valable (déjà utilisé, ou trop ancien). "
                                               "Demandez-en un autre."}, status_code=400)
        return await _signed_in(request, uow, agent, now)


async def _signed_in(request: Request, uow: UnitOfWork, agent: Agent, now: dt.datetime) -> Response:
    """A new session for this account, its cookie, and its first page."""
    token = secrets.token_urlsafe(32)
    await uow.staff.open_session(agent.id, token, now)
    response = RedirectResponse(home_of(agent), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, secure=request.app.state.settings.secure_cookies,
                        samesite="lax", max_age=12 * 3600, path="/")  # lax: back from an identity provider
    return response


async def open_session_for(request: Request, address: str) -> Response | None:
    """Signed in as the active account of this address (an identity provider vouched for it); None: no account."""
    state: Any = request.app.state
    async with state.db.transaction() as uow:
        agent = await uow.structures.agent_by_email(address)
        if agent is None or not agent.active or agent.role not in ROLES:
            return None
        return await _signed_in(request, uow, agent, state.clock.now())


@page(*ROLES)
async def sign_out(visit: Visit) -> Response:
    """POST /deconnexion."""
    await visit.uow.staff.close_session(visit.session_token)
    response = RedirectResponse("/connexion", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
