"""Pages from templates (web/templates/), with what every page needs: the viewer, their menu, the CSRF token,
a fresh key for each form (a second submit of the same form does nothing twice), French dates."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import jinja2
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from flows.rules.formatting import when
from storage.staff import ADVISOR, DEPARTEMENT, MANAGER, OPERATOR
from web.access import CSRF_FIELD, ROLE_WORDS, csrf_token

# Every value is escaped (what young people wrote included); the templates add no markup of their own to it.
TEMPLATES = Jinja2Templates(env=jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True))
# The menu of each role: (path, label).
MENUS = {
    ADVISOR: [("/demandes", "Demandes"), ("/agenda", "Agenda")],
    MANAGER: [("/demandes", "Demandes"), ("/agenda", "Agenda"), ("/disponibilites", "Disponibilités"),
              ("/equipe", "Équipe"), ("/acces", "Consultations des fiches"), ("/ma-structure", "Ma structure")],
    DEPARTEMENT: [("/statistiques", "Statistiques"), ("/rapport", "Rapport"), ("/offres", "Offres des employeurs")],
    OPERATOR: [("/equipe", "Comptes"), ("/structures", "Structures"), ("/statistiques", "Statistiques"),
               ("/offres", "Offres des employeurs")],
}


def _moment(moment: dt.datetime | None, request: Request) -> str:
    """"mardi 3 décembre à 14 h", in the service's time zone."""
    return when(moment, request.app.state.world.settings.tz) if moment is not None else ""


TEMPLATES.env.filters["moment"] = _moment


def render(request: Request, name: str, context: dict[str, Any], *, status_code: int = 200,
           background: BackgroundTask | None = None) -> Response:
    viewer = getattr(request.state, "viewer", None)
    token = request.cookies.get("tremplin_session")
    full = {
        "viewer": viewer,
        "role_words": ROLE_WORDS.get(viewer.role, "") if viewer else "",
        "menu": MENUS.get(viewer.role, []) if viewer else [],
        "csrf_field": CSRF_FIELD,
        "csrf": csrf_token(request.app.state.secret, token) if viewer and token else "",
        "action_key": uuid.uuid4().hex,
        "path": request.url.path,
        **context,
    }
    return TEMPLATES.TemplateResponse(request, name, full, status_code=status_code, background=background)
