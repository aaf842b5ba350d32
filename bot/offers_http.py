"""The two live offers APIs over HTTP, each turned into ``flows.data.live_offers.LiveOffer``.

- France Travail "Offres d'emploi v2": OAuth2 client credentials (realm ``/partenaire``, scopes
  ``api_offresdemploiv2 o2dsoffre``); ``GET /offres/search`` by ``commune`` (INSEE code, ``distance`` only
  with it), ``codeROME``, ``experienceExigence=D`` (beginners accepted), ``natureContrat=E2`` (apprenticeship);
  pages of at most 150 through ``range``: 206 means more, 204 means none.
- La bonne alternance (the apprenticeship API, api.apprentissage.beta.gouv.fr): a Bearer token from an
  account; ``GET /job/v1/search`` by ``latitude``, ``longitude``, ``radius`` (km, 0 to 200) and ``romes``
  (comma-separated), answering ``{"jobs": [...], "recruiters": [...], "warnings": [...]}``. The shape is
  the published one: the route and response schema of the API's SDK (mission-apprentissage/api-apprentissage,
  ``sdk/src/routes/job.routes.ts``, ``sdk/src/models/job/job.model.ts``), which relays La bonne alternance's
  ``/v3/jobs/search`` (mission-apprentissage/labonnealternance, ``shared/src/routes/v3/jobs/jobs.routes.v3.model.ts``).
  Its jobs include France Travail's (``identifier.partner_label`` "France Travail", ``partner_job_id`` its
  id): those keep France Travail's id, so ``bot/live_offers.py`` sees them as the same offer. The
  ``recruiters`` (companies likely to hire an apprentice, with no offer) are not shown: they are not offers.

An answer that is not what the documentation says (not JSON, not the expected shape) raises
``SourceFailure("malformed")``; a single malformed offer in a good answer is skipped.
``niveauFormation`` is not sent: it keeps only offers asking for that very level, which would hide offers
asking for less.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
import unicodedata
from typing import Any

import httpx

from flows.data.live_offers import LiveOffer, OfferQuery

FT_SCOPES = "api_offresdemploiv2 o2dsoffre"
FT_PAGE = 150  # the API's largest page
FT_PARTNER = "France Travail"  # La bonne alternance's partner_label for France Travail's offers
CONTENT_RANGE = re.compile(r"(\d+)-(\d+)/(\d+)")


class SourceFailure(Exception):
    """A search that did not give offers; ``cause`` labels the metric (status, rate_limited, malformed...)."""

    def __init__(self, cause: str, detail: str = "") -> None:
        super().__init__(f"{cause}: {detail}" if detail else cause)
        self.cause = cause


class RateLimiter:
    """At most ``per_second`` calls a second for this process: calls are spaced, never bunched."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self, deadline: float) -> None:
        """Wait for this call's turn; a turn after the deadline is a failure rather than a longer wait."""
        async with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            if start > deadline:
                raise SourceFailure("rate_limited", "local limit")
            self._next = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise SourceFailure("malformed", "not JSON") from exc


def _check(response: httpx.Response, ok: tuple[int, ...]) -> None:
    if response.status_code == 429:
        raise SourceFailure("rate_limited", response.headers.get("Retry-After", ""))
    if response.status_code not in ok:
        raise SourceFailure("status", str(response.status_code))


def _text(value: Any, limit: int) -> str | None:
    return str(value).strip()[:limit] or None if isinstance(value, str | int | float) else None


class FranceTravail:
    """France Travail's "Offres d'emploi v2"."""

    name = "france_travail"

    def __init__(self, client: httpx.AsyncClient, *, url: str, token_url: str, client_id: str, secret: str,
                 per_second: float, pages: int = 1) -> None:
        self.client, self.url, self.token_url = client, url.rstrip("/"), token_url
        self.client_id, self.secret, self.pages = client_id, secret, pages
        self.limiter = RateLimiter(per_second)
        self._token: str | None = None
        self._token_until = 0.0

    async def _access_token(self, deadline: float) -> str:
        if self._token and time.monotonic() < self._token_until:
            return self._token
        await self.limiter.wait(deadline)
        response = await self.client.post(
            self.token_url, params={"realm": "/partenaire"},
            data={"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.secret,
                  "scope": FT_SCOPES})
        _check(response, (200,))
        body = _json(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise SourceFailure("malformed", "no access_token")
        expires = body.get("expires_in")
        lifetime = float(expires) if isinstance(expires, int | float) else 1499.0
        # Renewed a minute early: a search must not start with a token about to expire.
        self._token_until = time.monotonic() + max(0.0, lifetime - 60)
        self._token = token
        return token

    def applies(self, query: OfferQuery) -> bool:
        return bool(query.romes)

    def params(self, query: OfferQuery, first: int) -> dict[str, str]:
        params = {"commune": query.insee, "distance": str(query.radius_km), "codeROME": ",".join(query.romes),
                  "experienceExigence": "D", "range": f"{first}-{first + FT_PAGE - 1}"}
        if query.alternance:
            params["natureContrat"] = "E2"
        return params

    async def search(self, query: OfferQuery, deadline: float) -> list[LiveOffer]:
        found: list[LiveOffer] = []
        first = 0
        for _ in range(self.pages):
            token = await self._access_token(deadline)
            await self.limiter.wait(deadline)
            response = await self.client.get(f"{self.url}/offres/search", params=self.params(query, first),
                                             headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
            if response.status_code == 401:  # revoked early: a new token next time
                self._token = None
            if response.status_code == 204:
                break
            _check(response, (200, 206))
            body = _json(response)
            results = body.get("resultats") if isinstance(body, dict) else None
            if not isinstance(results, list):
                raise SourceFailure("malformed", "no resultats")
            found.extend(o for o in (parse_france_travail(r) for r in results) if o is not None)
            match = CONTENT_RANGE.search(response.headers.get("Content-Range", ""))
            if response.status_code != 206 or match is None or int(match.group(2)) + 1 >= int(match.group(3)):
                break
            first = int(match.group(2)) + 1
        return found


# France Travail's formation levels (``formations[].niveauLibelle``), highest first, to our diploma codes.
FT_LEVELS = ((re.compile(r"bac ?\+ ?[3-9]"), "bac_plus_3"), (re.compile(r"bac ?\+ ?2"), "bac_plus_2"),
             (re.compile(r"\bbac\b"), "bac"), (re.compile(r"\b(cap|bep)\b"), "cap_bep"),
             (re.compile(r"\b(brevet|cfg|3e|3eme)\b"), "brevet"))


def required_level(formations: Any) -> str | None:
    """The highest level among the formations the offer requires (``exigence`` "E"; "S" is only wished)."""
    found: list[str] = []
    for formation in formations if isinstance(formations, list) else ():
        if not isinstance(formation, dict) or formation.get("exigence") != "E":
            continue
        label = str(formation.get("niveauLibelle") or "").lower()
        found.extend(next(([code] for pattern, code in FT_LEVELS if pattern.search(label)), []))
    order = [code for _, code in FT_LEVELS]
    return min(found, key=order.index) if found else None


def parse_france_travail(raw: Any) -> LiveOffer | None:
    """One offer of ``resultats``; None when it lacks an id or a title."""
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not isinstance(raw.get("intitule"), str):
        return None
    where = raw.get("lieuTravail") if isinstance(raw.get("lieuTravail"), dict) else {}
    company = raw.get("entreprise") if isinstance(raw.get("entreprise"), dict) else {}
    contact = raw.get("contact") if isinstance(raw.get("contact"), dict) else {}
    origin = raw.get("origineOffre") if isinstance(raw.get("origineOffre"), dict) else {}
    place = _text(where.get("libelle"), 80)
    if place and " - " in place:  # "92 - GENNEVILLIERS"
        place = place.split(" - ", 1)[1].title()
    contract = _text(raw.get("typeContratLibelle"), 80) or _text(raw.get("typeContrat"), 80)
    url = _text(contact.get("urlPostulation"), 500) or _text(origin.get("urlOrigine"), 500)
    return LiveOffer(
        source="france_travail", id=raw["id"][:80], title=raw["intitule"].strip()[:120] or "Offre",
        employer=_text(company.get("nom"), 120), place=place, insee=_text(where.get("commune"), 5),
        contract=contract, hours=_text(raw.get("dureeTravailLibelleConverti"), 80),
        url=url or f"https://candidat.francetravail.fr/offres/recherche/detail/{raw['id']}",
        rome=_text(raw.get("romeCode"), 5), beginner=raw.get("experienceExige") == "D",
        alternance=bool(raw.get("alternance")) or raw.get("natureContrat") == "E2",
        level_required=required_level(raw.get("formations")),
    )


class LaBonneAlternance:
    """La bonne alternance's jobs search (apprenticeship and professionalisation offers)."""

    name = "la_bonne_alternance"

    def __init__(self, client: httpx.AsyncClient, *, url: str, token: str, per_second: float) -> None:
        self.client, self.url, self.token = client, url.rstrip("/"), token
        self.limiter = RateLimiter(per_second)

    def applies(self, query: OfferQuery) -> bool:
        """It searches by coordinates, and only apprenticeships: asked for someone looking for one."""
        return query.alternance and query.latitude is not None and query.longitude is not None \
            and bool(query.romes)

    async def search(self, query: OfferQuery, deadline: float) -> list[LiveOffer]:
        if not self.applies(query):
            return []
        await self.limiter.wait(deadline)
        response = await self.client.get(
            f"{self.url}/job/v1/search",
            params={"latitude": str(query.latitude), "longitude": str(query.longitude),
                    "radius": str(min(query.radius_km, LBA_MAX_RADIUS)), "romes": ",".join(query.romes)},
            headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"})
        _check(response, (200,))
        body = _json(response)
        jobs = body.get("jobs") if isinstance(body, dict) else None
        if not isinstance(jobs, list):
            raise SourceFailure("malformed", "no jobs")
        origin = (query.latitude, query.longitude) if query.latitude is not None and query.longitude is not None \
            else None
        return [o for o in (parse_la_bonne_alternance(j, origin) for j in jobs) if o is not None]


LBA_MAX_RADIUS = 200  # the API's largest radius (km)
POSTCODE_CITY = re.compile(r"\b\d{5}\s+(?P<city>[^,\d][^,]*?)\s*(?:,|$)")


def city_of(address: str | None) -> str | None:
    """The commune of a postal address ("12 rue de la Gare 92230 Gennevilliers" -> "Gennevilliers")."""
    match = POSTCODE_CITY.search(address or "")
    if match is None:
        return None
    city = re.sub(r"\s+cedex(\s*\d*)?$", "", match.group("city").strip(), flags=re.IGNORECASE)
    return (city.title() if city.isupper() else city)[:80] or None


def distance_km(origin: tuple[float, float], geopoint: Any) -> float | None:
    """Great-circle distance from (latitude, longitude) to a GeoJSON point ([longitude, latitude])."""
    coordinates = geopoint.get("coordinates") if isinstance(geopoint, dict) else None
    if not isinstance(coordinates, list) or len(coordinates) != 2 \
            or not all(isinstance(c, int | float) for c in coordinates):
        return None
    (lat1, lon1), (lon2, lat2) = origin, coordinates
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return round(2 * 6371.0 * math.asin(min(1.0, math.sqrt(a))), 1)


def parse_la_bonne_alternance(raw: Any, origin: tuple[float, float] | None = None) -> LiveOffer | None:
    """One job of ``jobs``; France Travail's keep France Travail's id (the same offer, found twice).
    None when it lacks an id or a title, or is no longer open (``offer.status`` other than "Active")."""
    if not isinstance(raw, dict):
        return None
    ident = raw.get("identifier") if isinstance(raw.get("identifier"), dict) else {}
    offer = raw.get("offer") if isinstance(raw.get("offer"), dict) else {}
    workplace = raw.get("workplace") if isinstance(raw.get("workplace"), dict) else {}
    contract = raw.get("contract") if isinstance(raw.get("contract"), dict) else {}
    apply = raw.get("apply") if isinstance(raw.get("apply"), dict) else {}
    title = _text(offer.get("title"), 120)
    partner, partner_id = _text(ident.get("partner_label"), 60), _text(ident.get("partner_job_id"), 70)
    if partner == FT_PARTNER and partner_id:
        source, offer_id = "france_travail", partner_id
    else:  # its own id; the partner's when it has none (the schema lets it be null)
        source = "la_bonne_alternance"
        offer_id = _text(ident.get("id"), 80) or (f"{partner}:{partner_id}" if partner and partner_id else None)
    if not title or not offer_id or offer.get("status", "Active") != "Active":
        return None
    location = workplace.get("location") if isinstance(workplace.get("location"), dict) else {}
    types = contract.get("type") if isinstance(contract.get("type"), list) else []
    romes = offer.get("rome_codes") if isinstance(offer.get("rome_codes"), list) else []
    start = _text(contract.get("start"), 40)
    employer = _text(workplace.get("name"), 120) or _text(workplace.get("brand"), 120) \
        or _text(workplace.get("legal_name"), 120)
    return LiveOffer(
        source=source, id=offer_id[:80], title=title, employer=employer,
        place=city_of(_text(location.get("address"), 300)),
        distance_km=distance_km(origin, location.get("geopoint")) if origin else None,
        contract=", ".join(str(t) for t in types if isinstance(t, str))[:80] or "Apprentissage",
        start=start[:10] if start else None, url=_text(apply.get("url"), 500),
        rome=_text(romes[0], 5) if romes else None, beginner=True, alternance=True,
    )


def folded(text: str | None) -> str:
    """Lower case, no accents, words only: how two sources' spellings of one name are compared."""
    plain = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


GENDER_MARK = re.compile(r"\(?\b[hf]\s*/\s*[hf]\b\)?|\(?\bf\s*/\s*h\b\)?", re.IGNORECASE)


def same_offer_key(offer: LiveOffer) -> tuple[str, str, str] | None:
    """Employer, title and commune, compared across sources; None when the employer or the place is unknown
    (two anonymous offers with the same title are not taken for one)."""
    employer, place = folded(offer.employer), folded(offer.place)
    title = folded(GENDER_MARK.sub(" ", offer.title))
    return (employer, title, place) if employer and place and title else None
