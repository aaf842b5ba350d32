"""*Offres*: the Département's team keeps the list of offers its employers reserve for the programme's public
(flows/data/employer_offers.py checks them: fields, commune, ROME code, no discriminatory criterion). An import
replaces the list, as ``tremplin offers import`` does; an expired offer disappears by itself."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from flows.data.datafile import DataFileError
from flows.data.employer_offers import CONTRACT_WORDS, EmployerOffer, read_offers
from web.access import DEPARTEMENT_ROLES, Visit, not_found, page
from web.render import render

MAX_FILE = 1_000_000  # bytes: a list of offers, not a database


async def _page(visit: Visit, *, error: str | None = None, notice: str | None = None, status: int = 200) -> Response:
    today = visit.now.astimezone(visit.world.settings.tz).date()
    offers = [EmployerOffer.model_validate(d) for d in await visit.uow.employer_offers.current(today)]
    territory = visit.world.territory
    rows = [(o, territory.commune(o.commune).name if territory.commune(o.commune) else o.commune,
             CONTRACT_WORDS[o.contract]) for o in offers]
    return render(visit.request, "offers.html", {
        "title": "Offres des employeurs", "rows": rows, "expired": await visit.uow.employer_offers.count_expired(
            today), "error": error, "notice": notice}, status_code=status)


@page(*DEPARTEMENT_ROLES)
async def offers(visit: Visit) -> Response:
    """GET /offres."""
    return await _page(visit)


@page(*DEPARTEMENT_ROLES)
async def import_offers(visit: Visit) -> Response:
    """POST /offres: a CSV or JSON file becomes the list (nothing changes when an entry is refused)."""
    upload = visit.request.state.form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await _page(visit, error="Choisissez un fichier CSV ou JSON. Rien n'a changé.", status=400)
    content = await upload.read(MAX_FILE + 1)
    if len(content) > MAX_FILE:
        return await _page(visit, error="Ce fichier dépasse 1 Mo. Rien n'a changé.", status=400)
    try:
        checked = read_offers(upload.filename, content.decode("utf-8-sig"), visit.world.territory, visit.world.rome)
    except (DataFileError, UnicodeDecodeError) as error:
        # The checker names the entry, the field and the words (in English for the operator's logs): shown as is.
        return await _page(visit, error=f"Rien n'a changé : {error}", status=400)
    await visit.uow.employer_offers.replace_all([o.model_dump(mode="json", exclude_defaults=True) for o in checked],
                                                visit.now)
    return await _page(visit, notice=f"{len(checked)} offres importées. Elles sont proposées dès maintenant.")


@page(*DEPARTEMENT_ROLES)
async def remove(visit: Visit) -> Response:
    """POST /offres/{offer_id}/retirer."""
    if not await visit.uow.employer_offers.remove(visit.request.path_params["offer_id"][:64]):
        raise not_found()
    return RedirectResponse("/offres", status_code=303)
