"""Every route of the desk, as every role and as nobody, with the ids of another structure's records: the
expected answer for each (403 for a role that may not, 404 for a record of another structure, exactly like
one that does not exist), and nothing of the other structure's young person in any answer.

The matrix is built from ``web.app.routes()``: a new route without an expected answer fails the test."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from starlette.routing import Mount, Route

from storage import Database
from tests.web.desk_kit import (
    DEPARTEMENT_EMAIL,
    JULIEN_EMAIL,
    NADIA_EMAIL,
    OPERATOR_EMAIL,
    THOMAS_EMAIL,
    Desk,
    csrf_of,
    make_desk,
)
from web.access import CSRF_FIELD
from web.app import routes

NOBODY, ADVISOR, MANAGER, DEPARTEMENT, OPERATOR = "personne", "conseiller", "responsable", "département", "exploitation"
ACCOUNTS = {ADVISOR: NADIA_EMAIL, MANAGER: THOMAS_EMAIL, DEPARTEMENT: DEPARTEMENT_EMAIL, OPERATOR: OPERATOR_EMAIL}
ROLES = (NOBODY, ADVISOR, MANAGER, DEPARTEMENT, OPERATOR)
PUBLIC = 200

# (method, path) -> expected status for each role, with the ids of the OTHER structure (Boucle Nord) in the path.
# 303: a redirection (nobody signed in: to /connexion; an action done: back to its page).
EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("GET", "/"): dict.fromkeys(ROLES, 303),
    ("GET", "/healthz"): dict.fromkeys(ROLES, PUBLIC),
    ("GET", "/accessibilite"): dict.fromkeys(ROLES, PUBLIC),
    ("GET", "/connexion"): dict.fromkeys(ROLES, PUBLIC),
    ("POST", "/connexion"): dict.fromkeys(ROLES, PUBLIC),  # the same answer for any address
    ("GET", "/connexion/lien/{token}"): dict.fromkeys(ROLES, PUBLIC),  # a button; nothing used
    ("POST", "/connexion/lien"): dict.fromkeys(ROLES, 400),  # an unknown token
    ("GET", "/connexion/oidc"): dict.fromkeys(ROLES, 404),  # no identity provider configured here
    ("GET", "/connexion/oidc/retour"): dict.fromkeys(ROLES, 400),  # no sign-in started
    ("POST", "/deconnexion"): {NOBODY: 403, ADVISOR: 303, MANAGER: 303, DEPARTEMENT: 303, OPERATOR: 303},
    ("GET", "/demandes"): {NOBODY: 303, ADVISOR: 200, MANAGER: 200, DEPARTEMENT: 403, OPERATOR: 403},
    ("GET", "/demandes/liste"): {NOBODY: 303, ADVISOR: 200, MANAGER: 200, DEPARTEMENT: 403, OPERATOR: 403},
    ("POST", "/demandes/{number}/prendre"): {NOBODY: 403, ADVISOR: 404, MANAGER: 404, DEPARTEMENT: 403,
                                             OPERATOR: 403},
    ("POST", "/demandes/{number}/clore"): {NOBODY: 403, ADVISOR: 404, MANAGER: 404, DEPARTEMENT: 403, OPERATOR: 403},
    ("GET", "/jeunes/{person_id}"): {NOBODY: 303, ADVISOR: 404, MANAGER: 404, DEPARTEMENT: 403, OPERATOR: 403},
    ("POST", "/jeunes/{person_id}/repondre"): {NOBODY: 403, ADVISOR: 404, MANAGER: 404, DEPARTEMENT: 403,
                                              OPERATOR: 403},
    ("POST", "/jeunes/{person_id}/pause"): {NOBODY: 403, ADVISOR: 404, MANAGER: 404, DEPARTEMENT: 403, OPERATOR: 403},
    ("POST", "/jeunes/{person_id}/reprise"): {NOBODY: 403, ADVISOR: 404, MANAGER: 404, DEPARTEMENT: 403,
                                             OPERATOR: 403},
    ("POST", "/jeunes/{person_id}/situation"): {NOBODY: 403, ADVISOR: 404, MANAGER: 404, DEPARTEMENT: 403,
                                               OPERATOR: 403},
    ("POST", "/rendez-vous/{appointment_id}/statut"): {NOBODY: 403, ADVISOR: 404, MANAGER: 404, DEPARTEMENT: 403,
                                                       OPERATOR: 403},
    ("GET", "/jeunes/{person_id}/rendez-vous"): {NOBODY: 303, ADVISOR: 404, MANAGER: 404, DEPARTEMENT: 403,
                                                 OPERATOR: 403},
    ("POST", "/jeunes/{person_id}/rendez-vous"): {NOBODY: 403, ADVISOR: 404, MANAGER: 404, DEPARTEMENT: 403,
                                                  OPERATOR: 403},
    ("GET", "/rendez-vous/{appointment_id}/deplacer"): {NOBODY: 303, ADVISOR: 404, MANAGER: 404, DEPARTEMENT: 403,
                                                        OPERATOR: 403},
    ("POST", "/rendez-vous/{appointment_id}/deplacer"): {NOBODY: 403, ADVISOR: 404, MANAGER: 404, DEPARTEMENT: 403,
                                                         OPERATOR: 403},
    ("GET", "/agenda"): {NOBODY: 303, ADVISOR: 200, MANAGER: 200, DEPARTEMENT: 403, OPERATOR: 403},
    ("GET", "/agenda/calendrier"): {NOBODY: 303, ADVISOR: 200, MANAGER: 200, DEPARTEMENT: 403, OPERATOR: 403},
    ("POST", "/agenda/calendrier"): {NOBODY: 403, ADVISOR: 200, MANAGER: 200, DEPARTEMENT: 403, OPERATOR: 403},
    ("POST", "/agenda/calendrier/revoquer"): {NOBODY: 403, ADVISOR: 200, MANAGER: 200, DEPARTEMENT: 403,
                                             OPERATOR: 403},
    ("GET", "/calendrier/{token}.ics"): dict.fromkeys(ROLES, 404),  # an address that is not one
    ("GET", "/disponibilites"): {NOBODY: 303, ADVISOR: 403, MANAGER: 200, DEPARTEMENT: 403, OPERATOR: 403},
    ("POST", "/disponibilites/absences"): {NOBODY: 403, ADVISOR: 403, MANAGER: 400, DEPARTEMENT: 403,
                                          OPERATOR: 403},  # an empty form
    ("POST", "/disponibilites/absences/{absence_id}/supprimer"): {NOBODY: 403, ADVISOR: 403, MANAGER: 404,
                                                                  DEPARTEMENT: 403, OPERATOR: 403},
    ("POST", "/disponibilites/plages"): {NOBODY: 403, ADVISOR: 403, MANAGER: 400, DEPARTEMENT: 403,
                                        OPERATOR: 403},  # an empty form
    ("POST", "/disponibilites/plages/{plage_id}/supprimer"): {NOBODY: 403, ADVISOR: 403, MANAGER: 404,
                                                              DEPARTEMENT: 403, OPERATOR: 403},
    ("GET", "/equipe"): {NOBODY: 303, ADVISOR: 403, MANAGER: 200, DEPARTEMENT: 403, OPERATOR: 200},
    ("POST", "/equipe"): {NOBODY: 403, ADVISOR: 403, MANAGER: 400, DEPARTEMENT: 403, OPERATOR: 400},  # empty form
    # The operator manages every account: Julien's is theirs to remove; a manager of Nanterre may not.
    ("POST", "/equipe/{agent_id}/retirer"): {NOBODY: 403, ADVISOR: 403, MANAGER: 404, DEPARTEMENT: 403,
                                             OPERATOR: 303},
    ("GET", "/acces"): {NOBODY: 303, ADVISOR: 403, MANAGER: 200, DEPARTEMENT: 403, OPERATOR: 403},
    ("GET", "/compte"): {NOBODY: 303, ADVISOR: 200, MANAGER: 200, DEPARTEMENT: 200, OPERATOR: 200},
    ("POST", "/compte/telegram"): {NOBODY: 403, ADVISOR: 200, MANAGER: 200, DEPARTEMENT: 200, OPERATOR: 200},
    ("GET", "/offres"): {NOBODY: 303, ADVISOR: 403, MANAGER: 403, DEPARTEMENT: 200, OPERATOR: 200},
    ("POST", "/offres"): {NOBODY: 403, ADVISOR: 403, MANAGER: 403, DEPARTEMENT: 400, OPERATOR: 400},  # no file
    ("POST", "/offres/{offer_id}/retirer"): {NOBODY: 403, ADVISOR: 403, MANAGER: 403, DEPARTEMENT: 404,
                                            OPERATOR: 404},  # no such offer
    ("GET", "/statistiques"): {NOBODY: 303, ADVISOR: 403, MANAGER: 403, DEPARTEMENT: 200, OPERATOR: 200},
    ("GET", "/rapport"): {NOBODY: 303, ADVISOR: 403, MANAGER: 403, DEPARTEMENT: 200, OPERATOR: 200},
    ("GET", "/rapport.csv"): {NOBODY: 303, ADVISOR: 403, MANAGER: 403, DEPARTEMENT: 200, OPERATOR: 200},
    # The structures are the operator's only; {structure_id} is Boucle Nord (not the managers' own).
    ("GET", "/structures"): {NOBODY: 303, ADVISOR: 403, MANAGER: 403, DEPARTEMENT: 403, OPERATOR: 200},
    ("POST", "/structures"): {NOBODY: 403, ADVISOR: 403, MANAGER: 403, DEPARTEMENT: 403, OPERATOR: 400},  # empty form
    ("GET", "/structures/{structure_id}"): {NOBODY: 303, ADVISOR: 403, MANAGER: 403, DEPARTEMENT: 403, OPERATOR: 200},
    ("POST", "/structures/{structure_id}"): {NOBODY: 403, ADVISOR: 403, MANAGER: 403, DEPARTEMENT: 403,
                                             OPERATOR: 400},  # an empty form
    # It serves communes (give them to another first); it has appointments and requests (never deleted).
    ("POST", "/structures/{structure_id}/desactiver"): {NOBODY: 403, ADVISOR: 403, MANAGER: 403, DEPARTEMENT: 403,
                                                        OPERATOR: 400},
    ("POST", "/structures/{structure_id}/reactiver"): {NOBODY: 403, ADVISOR: 403, MANAGER: 403, DEPARTEMENT: 403,
                                                       OPERATOR: 303},  # already active: nothing to do
    ("POST", "/structures/{structure_id}/supprimer"): {NOBODY: 403, ADVISOR: 403, MANAGER: 403, DEPARTEMENT: 403,
                                                       OPERATOR: 400},
    # A manager keeps their own structure's contacts (no id in the path: theirs only).
    ("GET", "/ma-structure"): {NOBODY: 303, ADVISOR: 403, MANAGER: 200, DEPARTEMENT: 403, OPERATOR: 403},
    ("POST", "/ma-structure"): {NOBODY: 403, ADVISOR: 403, MANAGER: 400, DEPARTEMENT: 403, OPERATOR: 403},  # empty
}


def declared() -> list[tuple[str, str]]:
    """Every (method, path) the application serves (static files apart)."""
    found = []
    for route in routes():
        if isinstance(route, Mount):
            continue
        assert isinstance(route, Route)
        path = re.sub(r"\{(\w+)(:\w+)?\}", r"{\1}", route.path)
        found += [(method, path) for method in sorted(route.methods or ()) if method != "HEAD"]
    return found


def concrete(path: str, desk: Desk) -> str:
    return (path.replace("{number}", str(desk.ids["other_request"]))
            .replace("{person_id}", str(desk.ids["other_person"]))
            .replace("{appointment_id}", str(desk.ids["other_appointment"]))
            .replace("{agent_id}", str(desk.ids["other_agent"]))
            .replace("{absence_id}", str(desk.ids["other_absence"]))
            .replace("{plage_id}", str(desk.ids["other_plage"]))
            .replace("{offer_id}", "pas-une-offre")
            .replace("{structure_id}", "ml-boucle-nord")
            .replace("{token}", "pas-un-jeton"))


async def _call(client: httpx.AsyncClient, method: str, path: str, csrf: str | None) -> httpx.Response:
    if method == "GET":
        return await client.get(path)
    data = {CSRF_FIELD: csrf} if csrf else {}
    if path.endswith("/statut"):
        data["status"] = "seen"
    if path.endswith("/clore"):
        data["reason"] = "answered"
    if path.endswith("/repondre"):
        data["text"] = "Bonjour"
    if path == "/connexion/lien":
        data["token"] = "pas-un-jeton"
    if path == "/connexion":
        data["email"] = JULIEN_EMAIL
    return await client.post(path, data=data)


async def test_every_route_as_every_role_with_another_structures_ids(db: Database, tmp_path: Path) -> None:
    desk = await make_desk(db, tmp_path)
    assert set(declared()) == set(EXPECTED), "every route has its expected answers, and only the routes served"
    got: dict[tuple[str, str], dict[str, int]] = {}
    for role in ROLES:
        for method, path in declared():
            if (method, path) == ("POST", "/deconnexion") or path == "/equipe/{agent_id}/retirer":
                continue  # they end the session / remove the account: played last, below
            client = desk.client() if role == NOBODY else await desk.signed_in(ACCOUNTS[role])
            async with client:
                csrf = None if role == NOBODY else await _token(client, role)
                answer = await _call(client, method, concrete(path, desk), csrf)
            got.setdefault((method, path), {})[role] = answer.status_code
            assert "Sami" not in answer.text, (method, path, role)  # Boucle Nord's young person, never shown
    for role in ROLES:
        for method, path in (("POST", "/equipe/{agent_id}/retirer"), ("POST", "/deconnexion")):
            client = desk.client() if role == NOBODY else await desk.signed_in(ACCOUNTS[role])
            async with client:
                answer = await _call(client, method, concrete(path, desk),
                                     None if role == NOBODY else await _token(client, role))
            got.setdefault((method, path), {})[role] = answer.status_code
    width = max(len(f"{m} {p}") for m, p in EXPECTED)
    print("\n" + f"{'route':<{width}}  " + "  ".join(f"{r:>12}" for r in ROLES))
    for key in EXPECTED:
        print(f"{key[0] + ' ' + key[1]:<{width}}  " + "  ".join(f"{got[key][r]:>12}" for r in ROLES))
    assert got == EXPECTED


async def _token(client: httpx.AsyncClient, role: str) -> str:
    """A valid CSRF token for this session, read from a page the role can open."""
    page = {ADVISOR: "/demandes", MANAGER: "/demandes", DEPARTEMENT: "/statistiques", OPERATOR: "/equipe"}[role]
    return await csrf_of(client, page)


async def test_own_structure_records_open_and_act(db: Database, tmp_path: Path) -> None:
    """The same routes with the viewer's own records work (the matrix's 404s are about the structure)."""
    desk = await make_desk(db, tmp_path)
    client = await desk.signed_in(NADIA_EMAIL)
    async with client:
        person, request = desk.ids["own_person"], desk.ids["own_request"]
        page = await client.get(f"/jeunes/{person}")
        assert page.status_code == 200 and "Inès" in page.text
        for agenda in ("/agenda", "/agenda?vue=semaine"):
            day = (await client.get(agenda)).text
            assert "Inès" in day and "Rendez-vous de suivi" in day and "Sami" not in day and "Nadia" in day
        csrf = await csrf_of(client, f"/jeunes/{person}")
        assert (await client.post(f"/demandes/{request}/prendre", data={CSRF_FIELD: csrf})).status_code == 303
        marked = await client.post(f"/rendez-vous/{desk.ids['own_appointment']}/statut",
                                   data={CSRF_FIELD: csrf, "status": "seen"})
        assert marked.status_code == 303
        closed = await client.post(f"/demandes/{request}/clore", data={CSRF_FIELD: csrf, "reason": "answered"})
        assert closed.status_code == 303
        assert "Inès" not in (await client.get("/demandes/liste")).text
    async with db.transaction() as uow:
        handoff = await uow.handoffs.get(request)
        appointment = await uow.appointments.get(desk.ids["own_appointment"])
        log = await uow.staff.accesses("ml-nanterre")
    assert (handoff.status, handoff.close_reason, handoff.agent_id) == ("closed", "answered", desk.accounts[
        NADIA_EMAIL].id)
    assert appointment.status == "seen"
    assert [(a.person_id, a.agent_id) for a in log] == [(person, desk.accounts[NADIA_EMAIL].id)] * 2


async def test_the_home_page_leads_each_role_to_its_first_page(db: Database, tmp_path: Path) -> None:
    desk = await make_desk(db, tmp_path)
    for role, first in ((ADVISOR, "/demandes"), (MANAGER, "/demandes"), (DEPARTEMENT, "/statistiques"),
                        (OPERATOR, "/equipe")):
        client = await desk.signed_in(ACCOUNTS[role])
        async with client:
            answer = await client.get("/")
            assert answer.headers["location"] == first, role
            assert (await client.get(first)).status_code == 200
    async with desk.client() as nobody:
        assert (await nobody.get("/")).headers["location"] == "/connexion"
