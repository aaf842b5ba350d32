"""The two live offers APIs over HTTP, each turned into ``flows.data.live_offers.LiveOffer``.

- France Travail "Offres d'emploi v2": OAuth2 client credentials (realm ``/partenaire``, scopes
  ``api_offresdemploiv2 o2dsoffre``); ``GET /offres/search`` by ``commune`` (INSEE code, ``distance`` only
  with it), ``codeROME``, ``experienceExigence=D`` (beginners accepted), ``natureContrat=E2`` (apprenticeship);
  pages of at most 150 through ``range``: 206 means more, 204 means none.
- La bonne alternance: a token from an account; ``GET /job/v1/search`` by ``latitude``, ``longitude``,
  ``radius`` and ``romes``. Its jobs include France Travail's offers: those keep France Travail's id, so
  ``bot/live_offers.py`` sees them as the same offer.

An answer that is not what the documentation says (not JSON, not the expected shape) raises
``SourceFailure("malformed")``; a single malformed offer in a good answer is skipped.
``niveauFormation`` is not sent: it keeps only offers asking for that very level, which would hide offers
asking for less.
"""

from __future__ import annotations

import asyncio
import re
import time
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
    """La bonne alternance's jobs search (apprenticeship offers)."""

    name = "la_bonne_alternance"

    def __init__(self, client: httpx.AsyncClient, *, url: str, token: str, per_second: float) -> None:
        self.client, self.url, self.token = client, url.rstrip("/"), token
        self.limiter = RateLimiter(per_second)

    async def search(self, query: OfferQuery, deadline: float) -> list[LiveOffer]:
        if query.latitude is None or query.longitude is None or not query.alternance:
            return []  # it searches by coordinates, and only apprenticeships
        await self.limiter.wait(deadline)
        response = await self.client.get(
            f"{self.url}/job/v1/search",
            params={"latitude": str(query.latitude), "longitude": str(query.longitude),
                    "radius": str(query.radius_km), "romes": ",".join(query.romes)},
            headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"})
        _check(response, (200,))
        body = _json(response)
        jobs = body.get("jobs") if isinstance(body, dict) else None
        if not isinstance(jobs, list):
            raise SourceFailure("malformed", "no jobs")
        return [o for o in (parse_la_bonne_alternance(j) for j in jobs) if o is not None]


def parse_la_bonne_alternance(raw: Any) -> LiveOffer | None:
    """One job of ``jobs``; France Travail's keep France Travail's id (the same offer, found twice)."""
    if not isinstance(raw, dict):
        return None
    ident = raw.get("identifier") if isinstance(raw.get("identifier"), dict) else {}
    offer = raw.get("offer") if isinstance(raw.get("offer"), dict) else {}
    workplace = raw.get("workplace") if isinstance(raw.get("workplace"), dict) else {}
    contract = raw.get("contract") if isinstance(raw.get("contract"), dict) else {}
    apply = raw.get("apply") if isinstance(raw.get("apply"), dict) else {}
    title = _text(offer.get("title"), 120)
    if ident.get("partner_label") == FT_PARTNER and isinstance(ident.get("partner_job_id"), str):
        source, offer_id = "france_travail", ident["partner_job_id"]
    else:
        source, offer_id = "la_bonne_alternance", _text(ident.get("id"), 80)
    if not title or not offer_id:
        return None
    location = workplace.get("location") if isinstance(workplace.get("location"), dict) else {}
    types = contract.get("type") if isinstance(contract.get("type"), list) else []
    romes = offer.get("rome_codes") if isinstance(offer.get("rome_codes"), list) else []
    start = _text(contract.get("start"), 40)
    return LiveOffer(
        source=source, id=offer_id[:80], title=title, employer=_text(workplace.get("name"), 120),
        place=_text(location.get("address"), 80), contract=", ".join(str(t) for t in types)[:80] or "Apprentissage",
        start=start[:10] if start else None, url=_text(apply.get("url"), 500),
        rome=_text(romes[0], 5) if romes else None, beginner=True, alternance=True,
    )
