"""*Structures*: the operator keeps the missions locales young people are sent to: name, contacts, opening hours,
lieux (the first one's address is the one given), and the communes each serves. The database is their source
(flows/data/structures.py): the data file only seeded it. Each save is checked as the file is (the same model);
a refused form changes nothing. A structure with a history (appointments, requests, accounts) is deactivated,
never deleted; one that serves communes gives them to another structure first, so that no commune is left
without a mission locale. A structure's manager keeps its contacts (phone, e-mail, opening hours) on
*Ma structure*."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from flows.data.structures import InvalidStructure, check_structure, save_structure
from flows.data.territory import Commune
from storage.structures import Lieu, Structure
from web.access import MANAGERS, OPERATORS, Visit, page
from web.render import render

MAX_LIEUX = 12  # rows of the form: a structure's places, not a directory
# The fields of the form, as the messages name them.
FIELD_WORDS = {"id": "L'identifiant", "name": "Le nom", "phone": "Le téléphone", "email": "L'adresse e-mail",
               "opening_hours": "Les horaires d'ouverture", "communes": "Les communes desservies"}
LIEU_WORDS = {"id": "l'identifiant", "name": "le nom", "address": "l'adresse", "commune": "la commune",
              "access": "l'accès"}
# What may point to a structure (storage ``references_to``), in the words of the page.
REFERENCE_WORDS = {"appointments": ("rendez-vous", "rendez-vous"), "handoffs": ("demande", "demandes"),
                   "agents": ("compte", "comptes"), "absences": ("absence ou fermeture", "absences ou fermetures"),
                   "plages_ouverture": ("plage d'ouverture", "plages d'ouverture")}
OTHER_WORDS = ("autre enregistrement", "autres enregistrements")


def _structure_of(visit: Visit, structure: Structure | None) -> Structure:
    if structure is None:
        raise HTTPException(404, "Cette structure n'existe pas.")
    return structure


async def _lieux_of(visit: Visit, structure_id: str) -> list[Lieu]:
    return [lieu for lieu in await visit.uow.structures.all_lieux() if lieu.structure_id == structure_id
            and lieu.active]


def _communes(visit: Visit) -> list[Commune]:
    return sorted(visit.world.territory.communes, key=lambda c: c.name)


async def _list_page(visit: Visit, *, error: str | None = None, notice: str | None = None,
                     form: dict[str, Any] | None = None, status: int = 200) -> Response:
    structures = await visit.uow.structures.structures()
    served = await visit.uow.structures.served_communes()
    names = {s.id: s.name for s in structures}
    communes = _communes(visit)
    active_lieux = [lieu.structure_id for lieu in await visit.uow.structures.all_lieux() if lieu.active]
    rows = [(s, [c.name for c in communes if served.get(c.insee) == s.id], active_lieux.count(s.id))
            for s in structures]
    return render(visit.request, "structures.html", {
        "title": "Structures", "rows": rows, "unserved": [c.name for c in communes if c.insee not in served],
        "communes": communes, "served": served, "names": names, "form": form or _blank(), "lieu_rows": 1,
        "error": error, "notice": notice}, status_code=status)


async def _edit_page(visit: Visit, structure: Structure, *, error: str | None = None, notice: str | None = None,
                     form: dict[str, Any] | None = None, status: int = 200) -> Response:
    served = await visit.uow.structures.served_communes()
    names = {s.id: s.name for s in await visit.uow.structures.structures()}
    if form is None:
        lieux = await _lieux_of(visit, structure.id)
        form = {"id": structure.id, "name": structure.name, "phone": structure.phone or "",
                "email": structure.email or "", "opening_hours": structure.opening_hours or "",
                "example": structure.example, "communes": [i for i, s in served.items() if s == structure.id],
                "lieux": [{"id": lieu.id, "name": lieu.name, "address": lieu.address, "commune": lieu.commune,
                           "access": lieu.access or ""} for lieu in lieux]}
    return render(visit.request, "structure.html", {
        "title": structure.name, "structure": structure, "communes": _communes(visit), "served": served,
        "names": names, "form": form, "lieu_rows": min(len(form["lieux"]) + 1, MAX_LIEUX),
        "references": _reference_words(await visit.uow.structures.references_to(structure.id)),
        "error": error, "notice": notice}, status_code=status)


def _blank() -> dict[str, Any]:
    return {"id": "", "name": "", "phone": "", "email": "", "opening_hours": "", "example": False, "communes": [],
            "lieux": []}


def _read_form(form: FormData) -> dict[str, Any]:
    """The form as the data file's entry (``lieux`` a list), the communes apart; blank lieu rows dropped."""
    def text(name: str) -> str:
        return " ".join(str(form.get(name, "")).split())  # one line: these are shown in a chat message

    lieux = []
    for index in range(MAX_LIEUX):
        values = {key: text(f"lieu-{index}-{key}") for key in LIEU_WORDS}
        if form.get(f"lieu-{index}-remove") or not any(values[key] for key in ("id", "name", "address")):
            continue
        lieux.append(values)
    return {"id": text("id"), "name": text("name"), "phone": text("phone"), "email": text("email").lower(),
            "opening_hours": text("opening_hours"), "example": bool(form.get("example")),
            "communes": [str(c) for c in form.getlist("communes")][:200], "lieux": lieux}


def _explain(error: InvalidStructure) -> str:
    """The refused field in the words of the page (vous), and how to put it right."""
    path = error.field.split(".")
    if path[0] == "lieux" and len(path) == 1:
        return "Gardez au moins un lieu : c'est là que les jeunes sont reçus."
    if path[0] == "lieux":
        number, field = int(path[1]) + 1, path[2] if len(path) > 2 else "id"
        what = f"Lieu n° {number} : {LIEU_WORDS.get(field, field)}"
    else:
        field = path[0]
        what = FIELD_WORDS.get(field, field)
    how = {
        "id": "des lettres minuscules sans accent, des chiffres et des tirets (par exemple ml-antony)",
        "commune": "une commune du département",
        "email": "une adresse e-mail (nom@domaine.fr)",
        "phone": "un numéro de téléphone de 4 à 32 caractères",
    }
    if error.kind == "twice":
        return f"{what} est donné à deux lieux : chaque lieu a le sien."
    if error.kind == "other_structure":
        return f"{what} est déjà celui d'un lieu d'une autre structure : choisissez-en un autre."
    if error.kind in ("unknown_commune", "string_pattern_mismatch", "value_error") and field in how:
        return f"{what} n'est pas valide : indiquez {how[field]}."
    if error.kind == "missing":
        return f"{what} est à remplir."
    if error.kind == "string_too_short":
        return f"{what} est trop court ({error.limit} caractères au moins)."
    if error.kind == "string_too_long":
        return f"{what} est trop long ({error.limit} caractères au plus)."
    return f"{what} n'est pas valide."


def _reference_words(counts: dict[str, int]) -> str:
    """"2 rendez-vous, 1 demande, 3 comptes": the history first, in the order of REFERENCE_WORDS."""
    order = list(REFERENCE_WORDS)
    tables = sorted(counts, key=lambda t: (order.index(t) if t in order else len(order), t))
    return ", ".join(f"{counts[t]} {REFERENCE_WORDS.get(t, OTHER_WORDS)[counts[t] > 1]}" for t in tables)


async def _check(visit: Visit, raw: dict[str, Any]) -> tuple[Any, str | None]:
    """The checked structure, or None and the message saying what to correct."""
    entry = {key: value for key, value in raw.items() if key != "communes"}
    owners = {lieu.id: lieu.structure_id for lieu in await visit.uow.structures.all_lieux()}
    try:
        return check_structure(entry, visit.world.territory, lieu_owners=owners, communes=raw["communes"]), None
    except InvalidStructure as error:
        return None, _explain(error)


@page(*OPERATORS)
async def structures(visit: Visit) -> Response:
    """GET /structures: every structure, and the form to create one."""
    return await _list_page(visit)


@page(*OPERATORS)
async def create(visit: Visit) -> Response:
    """POST /structures: a new structure (with its first lieu and the communes it takes over)."""
    raw = _read_form(visit.request.state.form)
    if raw["id"] and await visit.uow.structures.structure(raw["id"]) is not None:
        return await _list_page(visit, error="Cet identifiant est déjà celui d'une structure : choisissez-en un "
                                "autre. Rien n'a changé.", form=raw, status=400)
    checked, error = await _check(visit, raw)
    if checked is None:
        return await _list_page(visit, error=f"{error} Rien n'a changé.", form=raw, status=400)
    await save_structure(visit.uow, checked, visit.now)
    taken = await visit.uow.structures.serve_communes(checked.id, raw["communes"])
    visit.request.state.structures_changed = True
    return await _edit_page(visit, _structure_of(visit, await visit.uow.structures.structure(checked.id)),
                            notice=f"Structure créée. Elle dessert {len(taken)} commune"
                                   f"{'s' if len(taken) > 1 else ''} ; les jeunes la voient d'ici une minute.")


@page(*OPERATORS)
async def structure(visit: Visit) -> Response:
    """GET /structures/{structure_id}: the form of one structure."""
    found = await visit.uow.structures.structure(visit.request.path_params["structure_id"][:64])
    return await _edit_page(visit, _structure_of(visit, found))


@page(*OPERATORS)
async def update(visit: Visit) -> Response:
    """POST /structures/{structure_id}: save the form (all of it, or nothing)."""
    found = _structure_of(visit, await visit.uow.structures.structure(visit.request.path_params["structure_id"][:64]))
    raw = {**_read_form(visit.request.state.form), "id": found.id}
    checked, error = await _check(visit, raw)
    if checked is None:
        return await _edit_page(visit, found, error=f"{error} Rien n'a changé.", form=raw, status=400)
    served = await visit.uow.structures.served_communes()
    dropped = [c.name for c in _communes(visit) if served.get(c.insee) == found.id and c.insee not in raw["communes"]]
    if dropped:
        return await _edit_page(visit, found, form=raw, status=400, error=(
            f"Une commune garde toujours une mission locale : pour confier {', '.join(dropped)} à une autre "
            "structure, cochez-la sur la page de celle-ci. Rien n'a changé."))
    await save_structure(visit.uow, checked, visit.now)
    await visit.uow.structures.serve_communes(found.id, raw["communes"])
    visit.request.state.structures_changed = True
    return await _edit_page(visit, found, notice="Enregistré. Les jeunes voient ces informations d'ici une minute.")


@page(*OPERATORS)
async def deactivate(visit: Visit) -> Response:
    """POST /structures/{structure_id}/desactiver: offered to nobody any more; its history stays."""
    found = _structure_of(visit, await visit.uow.structures.structure(visit.request.path_params["structure_id"][:64]))
    if (refused := await _serving(visit, found)) is not None:
        return refused
    await visit.uow.structures.set_active(found, False, visit.now)
    visit.request.state.structures_changed = True
    history = _reference_words(await visit.uow.structures.references_to(found.id))
    return await _edit_page(visit, found, notice=(
        "Structure désactivée : elle n'est plus proposée aux jeunes. Elle n'est pas supprimée"
        + (f" : ses {history} restent consultables." if history else ".")))


@page(*OPERATORS)
async def reactivate(visit: Visit) -> Response:
    """POST /structures/{structure_id}/reactiver."""
    found = _structure_of(visit, await visit.uow.structures.structure(visit.request.path_params["structure_id"][:64]))
    if not found.active:
        await visit.uow.structures.set_active(found, True, visit.now)
        visit.request.state.structures_changed = True
    return RedirectResponse(f"/structures/{found.id}", status_code=303)


@page(*OPERATORS)
async def delete(visit: Visit) -> Response:
    """POST /structures/{structure_id}/supprimer: only a structure nothing points to (created by mistake)."""
    found = _structure_of(visit, await visit.uow.structures.structure(visit.request.path_params["structure_id"][:64]))
    if (refused := await _serving(visit, found)) is not None:
        return refused
    history = _reference_words(await visit.uow.structures.references_to(found.id))
    if history:
        return await _edit_page(visit, found, status=400, error=(
            f"Cette structure ne peut pas être supprimée : elle a {history}. Désactivez-la : elle ne sera plus "
            "proposée aux jeunes, et son historique reste consultable. Rien n'a changé."))
    name = found.name
    await visit.uow.structures.delete_structure(found.id)
    visit.request.state.structures_changed = True
    return await _list_page(visit, notice=f"Structure « {name} » supprimée.")


async def _serving(visit: Visit, found: Structure) -> Response | None:
    """The refusal when the structure still serves communes (they would be left without a mission locale)."""
    served = await visit.uow.structures.served_communes()
    names = [c.name for c in _communes(visit) if served.get(c.insee) == found.id]
    if not names:
        return None
    return await _edit_page(visit, found, status=400, error=(
        f"Cette structure dessert encore {', '.join(names)} : confiez d'abord ces communes à une autre structure "
        "(cochez-les sur la page de celle-ci). Rien n'a changé."))


# --- A manager's own structure: its contacts only -------------------------------------------------------


async def _contacts_page(visit: Visit, structure: Structure, *, error: str | None = None,
                         notice: str | None = None, form: dict[str, Any] | None = None,
                         status: int = 200) -> Response:
    form = form or {"phone": structure.phone or "", "email": structure.email or "",
                    "opening_hours": structure.opening_hours or ""}
    return render(visit.request, "my_structure.html", {
        "title": structure.name, "structure": structure, "form": form, "error": error, "notice": notice},
        status_code=status)


async def _own(visit: Visit) -> Structure:
    assert visit.structure_id is not None  # a manager's (web/access.py refuses a manager without a structure)
    return _structure_of(visit, await visit.uow.structures.structure(visit.structure_id))


@page(*MANAGERS)
async def my_structure(visit: Visit) -> Response:
    """GET /ma-structure: the contacts young people are given, which the structure's manager keeps up to date."""
    return await _contacts_page(visit, await _own(visit))


@page(*MANAGERS)
async def update_contacts(visit: Visit) -> Response:
    """POST /ma-structure: phone, e-mail and opening hours, checked as the operator's form (the rest is theirs)."""
    found = await _own(visit)
    posted = _read_form(visit.request.state.form)
    contacts = {key: posted[key] for key in ("phone", "email", "opening_hours")}
    lieux = [{"id": lieu.id, "name": lieu.name, "address": lieu.address, "commune": lieu.commune,
              "access": lieu.access or ""} for lieu in await _lieux_of(visit, found.id)]
    checked, error = await _check(visit, {"id": found.id, "name": found.name, "example": found.example,
                                          "lieux": lieux, "communes": [], **contacts})
    if checked is None:
        return await _contacts_page(visit, found, error=f"{error} Rien n'a changé.", form=contacts, status=400)
    await visit.uow.structures.save_structure(found.id, name=found.name, phone=checked.phone, email=checked.email,
                                              opening_hours=checked.opening_hours, example=found.example,
                                              now=visit.now)
    visit.request.state.structures_changed = True
    return await _contacts_page(visit, found, notice="Enregistré. Les jeunes voient ces informations d'ici une "
                                                     "minute.")
