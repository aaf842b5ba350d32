"""*Équipe*: a structure manager's advisors (invite by e-mail, remove), every account for the operator; and
the log of who opened which record, for the structure's manager."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from flows.handoff.names import young_name
from storage.staff import ADVISOR, DEPARTEMENT, MANAGER, OPERATOR, STRUCTURE_ROLES, digest
from storage.structures import Agent, AgentConflict
from web.access import MANAGERS, ROLE_WORDS, Visit, not_found, page
from web.mail import queue_email
from web.render import render

TEAM_ROLES = (MANAGER, OPERATOR)
# What each may give: a manager, the roles of their structure; the operator, every role.
GRANTS = {MANAGER: (ADVISOR, MANAGER), OPERATOR: (ADVISOR, MANAGER, DEPARTEMENT, OPERATOR)}


def _valid_address(address: str) -> bool:
    local, _, domain = address.partition("@")
    return bool(local) and "." in domain and " " not in address and len(address) <= 254


async def _members(visit: Visit) -> list[Agent]:
    """The accounts the viewer manages (active ones)."""
    agents = await visit.uow.structures.agents(visit.structure_id if visit.role == MANAGER else None)
    return [a for a in agents if a.active]


async def _page(visit: Visit, *, error: str | None = None, notice: str | None = None, status: int = 200) -> Response:
    structures = await visit.uow.structures.structures(active_only=True)  # a deactivated one takes no new account
    return render(visit.request, "team.html", {
        "title": "Équipe" if visit.role == MANAGER else "Comptes", "members": await _members(visit),
        "grants": [(role, ROLE_WORDS[role]) for role in GRANTS[visit.role]], "role_names": ROLE_WORDS,
        "structures": structures if visit.role == OPERATOR else [], "error": error, "notice": notice,
    }, status_code=status)


@page(*TEAM_ROLES)
async def team(visit: Visit) -> Response:
    """GET /equipe."""
    return await _page(visit)


@page(*TEAM_ROLES)
async def invite(visit: Visit) -> Response:
    """POST /equipe: an account for this address (they sign in with a link sent to it)."""
    form = visit.request.state.form
    address = str(form.get("email", "")).strip().lower()
    name = str(form.get("name", "")).strip()
    role = str(form.get("role", ADVISOR))
    structure_id = visit.structure_id if visit.role == MANAGER else (str(form.get("structure", "")) or None)
    if not _valid_address(address):
        return await _page(visit, error="L'adresse e-mail n'est pas valide. Rien n'a changé.", status=400)
    if not 1 <= len(name) <= 120:
        return await _page(visit, error="Indiquez un nom de 1 à 120 caractères. Rien n'a changé.", status=400)
    if role not in GRANTS[visit.role]:
        return await _page(visit, error="Ce rôle ne peut pas être donné ici. Rien n'a changé.", status=400)
    known = {s.id for s in await visit.uow.structures.structures(active_only=True)}
    if role in STRUCTURE_ROLES and structure_id not in known:
        return await _page(visit, error="Choisissez la structure de ce compte. Rien n'a changé.", status=400)
    existing = await visit.uow.structures.agent_by_email(address)
    if existing is not None and visit.role == MANAGER and existing.structure_id != visit.structure_id:
        return await _page(visit, error="Cette adresse est celle d'un compte d'une autre structure. "
                                        "Demandez à l'exploitation.", status=400)
    try:
        agent = await visit.uow.structures.upsert_agent(structure_id=structure_id if role in STRUCTURE_ROLES else None,
                                                        display_name=name, email=address, now=visit.now)
    except AgentConflict:
        return await _page(visit, error="Cette adresse est déjà utilisée. Rien n'a changé.", status=400)
    await visit.uow.staff.set_role(agent, role)
    visit.request.state.planned = await _invite(visit, address, name, role)
    return await _page(visit, notice=f"Compte prêt pour {address} ({ROLE_WORDS[role]}). Une invitation lui est "
                                     "envoyée : la personne se connecte avec un lien reçu à cette adresse.")


async def _invite(visit: Visit, address: str, name: str, role: str) -> list[int]:
    """The e-mail that tells the new account where the desk is and how to sign in (no link: it signs in itself)."""
    desk = visit.request.app.state.settings.public_url.rstrip("/")
    text = (f"Bonjour {name},\n\n{visit.agent.display_name} vous a ouvert un compte sur le bureau des conseillers de "
            f"Tremplin ({ROLE_WORDS[role].lower()}).\n\nPour vous connecter : {desk}/connexion, puis votre adresse "
            f"{address} ; vous recevrez un lien valable quelques minutes.\n\nSi vous ne vous attendiez pas à ce "
            "message, ignorez-le.")
    return await queue_email(visit.uow, to=address, subject="Votre compte sur le bureau des conseillers de Tremplin",
                             text=text, key=f"invite:{digest(address)[:24]}:{visit.now:%Y%m%d%H%M}",
                             kind="invitation", now=visit.now)


@page(*TEAM_ROLES)
async def remove(visit: Visit) -> Response:
    """POST /equipe/{agent_id}/retirer: no more desk, no more advisor commands; the agenda stays."""
    agent = await visit.uow.structures.agent(int(visit.request.path_params["agent_id"]))
    if agent is None or not agent.active or (visit.role == MANAGER and agent.structure_id != visit.structure_id):
        raise not_found()
    if agent.id == visit.agent.id:
        return await _page(visit, error="Vous ne pouvez pas retirer votre propre compte.", status=400)
    agent.active = False
    agent.telegram_id = None
    await visit.uow.staff.close_sessions_of(agent.id)
    return RedirectResponse("/equipe", status_code=303)


@page(*MANAGERS)
async def access_log(visit: Visit) -> Response:
    """GET /acces: who opened which record of the structure, and when."""
    assert visit.structure_id is not None
    lines = []
    for access in await visit.uow.staff.accesses(visit.structure_id):
        person = await visit.uow.people.get(access.person_id)
        agent = await visit.uow.structures.agent(access.agent_id) if access.agent_id else None
        lines.append((access, agent.display_name if agent else "(compte retiré)",
                      young_name(person) if person else "(données effacées)"))
    return render(visit.request, "access_log.html", {"title": "Consultations des fiches", "lines": lines})
