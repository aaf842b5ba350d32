"""The desk's ASGI application: routes, security headers, error pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.config import WebSettings
from flows.engine.world import World
from flows.rules.clock import Clock
from storage import Database
from web import (
    account,
    agenda,
    availability,
    booking,
    calendar_feed,
    offers,
    oidc,
    record,
    report_page,
    requests_page,
    signin,
    stats,
    structures,
    team,
)
from web.access import SESSION_COOKIE, home_of
from web.oidc import Provider
from web.render import render

Deliver = Callable[[Sequence[int]], Awaitable[Any]]
# No inline script or style, nothing from elsewhere, no framing, forms to this site only.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        headers = response.headers
        headers["Content-Security-Policy"] = CSP
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "same-origin"  # "no-referrer" makes browsers send "Origin: null" on our forms
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if not request.url.path.startswith("/static/"):
            headers["Cache-Control"] = "no-store"  # pages hold personal data: never kept by the browser
        if request.app.state.settings.secure_cookies:
            headers["Strict-Transport-Security"] = "max-age=31536000"
        return response


async def _error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) and status < 500 else "Une erreur est survenue."
    request.state.viewer = None  # its transaction is over: the error page shows no account
    return render(request, "error.html", {"title": "Erreur", "status": status, "detail": detail},
                  status_code=status)


async def home(request: Request) -> Response:
    """GET /: the viewer's first page (web/access.py ``home_of``), or the sign-in page."""
    token = request.cookies.get(SESSION_COOKIE)
    state = request.app.state
    target = "/connexion"
    if token:
        async with state.db.transaction() as uow:
            agent = await uow.staff.session_agent(token, state.clock.now(), state.idle)
            target = home_of(agent) if agent is not None else target
    return RedirectResponse(target, status_code=303)


async def accessibility(request: Request) -> Response:
    """GET /accessibilite: the accessibility statement (public)."""
    return render(request, "accessibility.html", {"title": "Accessibilité"})


async def health(request: Request) -> Response:
    """GET /healthz: the process and its database answer."""
    try:
        async with request.app.state.db.transaction() as uow:
            await uow.structures.count_agents()
    except Exception:
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


def routes() -> list[BaseRoute]:
    """Every route of the desk (the permission test walks this list)."""
    return [
        Route("/", home),
        Route("/healthz", health),
        Route("/accessibilite", accessibility),
        Route("/connexion", signin.sign_in_form, methods=["GET"]),
        Route("/connexion", signin.ask_for_link, methods=["POST"]),
        Route("/connexion/lien/{token}", signin.open_link, methods=["GET"]),
        Route("/connexion/lien", signin.use_link, methods=["POST"]),
        Route("/connexion/oidc", oidc.start, methods=["GET"]),
        Route("/connexion/oidc/retour", oidc.finish, methods=["GET"]),
        Route("/deconnexion", signin.sign_out, methods=["POST"]),
        Route("/demandes", requests_page.requests_page, methods=["GET"]),
        Route("/demandes/liste", requests_page.requests_list, methods=["GET"]),
        Route("/demandes/{number:int}/prendre", requests_page.take, methods=["POST"]),
        Route("/demandes/{number:int}/clore", requests_page.close, methods=["POST"]),
        Route("/jeunes/{person_id:int}", record.record, methods=["GET"]),
        Route("/jeunes/{person_id:int}/repondre", record.reply, methods=["POST"]),
        Route("/jeunes/{person_id:int}/pause", record.pause, methods=["POST"]),
        Route("/jeunes/{person_id:int}/reprise", record.resume, methods=["POST"]),
        Route("/jeunes/{person_id:int}/situation", record.situation, methods=["POST"]),
        Route("/rendez-vous/{appointment_id:int}/statut", record.mark, methods=["POST"]),
        Route("/jeunes/{person_id:int}/rendez-vous", booking.book_page, methods=["GET"]),
        Route("/jeunes/{person_id:int}/rendez-vous", booking.book, methods=["POST"]),
        Route("/rendez-vous/{appointment_id:int}/deplacer", booking.move_page, methods=["GET"]),
        Route("/rendez-vous/{appointment_id:int}/deplacer", booking.move, methods=["POST"]),
        Route("/agenda", agenda.agenda, methods=["GET"]),
        Route("/agenda/calendrier", calendar_feed.calendar_page, methods=["GET"]),
        Route("/agenda/calendrier", calendar_feed.new_address, methods=["POST"]),
        Route("/agenda/calendrier/revoquer", calendar_feed.revoke, methods=["POST"]),
        Route("/calendrier/{token}.ics", calendar_feed.calendar_file, methods=["GET"]),
        Route("/disponibilites", availability.availability, methods=["GET"]),
        Route("/disponibilites/absences", availability.add_absence, methods=["POST"]),
        Route("/disponibilites/absences/{absence_id:int}/supprimer", availability.remove_absence, methods=["POST"]),
        Route("/disponibilites/plages", availability.add_plage, methods=["POST"]),
        Route("/disponibilites/plages/{plage_id:int}/supprimer", availability.remove_plage, methods=["POST"]),
        Route("/equipe", team.team, methods=["GET"]),
        Route("/equipe", team.invite, methods=["POST"]),
        Route("/equipe/{agent_id:int}/retirer", team.remove, methods=["POST"]),
        Route("/acces", team.access_log, methods=["GET"]),
        Route("/statistiques", stats.statistics, methods=["GET"]),
        Route("/rapport", report_page.report_page, methods=["GET"]),
        Route("/rapport.csv", report_page.report_csv, methods=["GET"]),
        Route("/offres", offers.offers, methods=["GET"]),
        Route("/offres", offers.import_offers, methods=["POST"]),
        Route("/offres/{offer_id}/retirer", offers.remove, methods=["POST"]),
        Route("/structures", structures.structures, methods=["GET"]),
        Route("/structures", structures.create, methods=["POST"]),
        Route("/structures/{structure_id}", structures.structure, methods=["GET"]),
        Route("/structures/{structure_id}", structures.update, methods=["POST"]),
        Route("/structures/{structure_id}/desactiver", structures.deactivate, methods=["POST"]),
        Route("/structures/{structure_id}/reactiver", structures.reactivate, methods=["POST"]),
        Route("/structures/{structure_id}/supprimer", structures.delete, methods=["POST"]),
        Route("/ma-structure", structures.my_structure, methods=["GET"]),
        Route("/ma-structure", structures.update_contacts, methods=["POST"]),
        Route("/compte", account.account, methods=["GET"]),
        Route("/compte/telegram", account.telegram_code, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static"),
    ]


def create_app(db: Database, world: World, settings: WebSettings, *, clock: Clock | None = None,
               deliver: Deliver | None = None, oidc: Provider | None = None) -> Starlette:
    """The desk on this database. ``deliver`` sends outbox rows just written (a sign-in link, a reply); without
    it, the bot's next tick does."""
    app = Starlette(routes=routes(), middleware=[Middleware(SecurityHeaders)],
                    exception_handlers={HTTPException: _error, 500: _error})
    app.state.db = db
    app.state.world = world
    app.state.settings = settings
    app.state.clock = clock or world.clock
    app.state.secret = world.signer.derived("desk-csrf")  # the same in every worker
    app.state.idle = dt.timedelta(minutes=settings.idle_minutes)
    app.state.deliver = deliver
    app.state.oidc = oidc
    return app
