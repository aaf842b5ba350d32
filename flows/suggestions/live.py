"""Live offers among the ideas: the search for a person's sectors near their commune, cached by its criteria.

The search is made only when the person chose a sector (its ROME codes, flows/data/rome.py) and lives in
a known commune. Each source's answer is kept in the database on its own (storage/offer_searches.py, keyed
by the criteria and the source) and the same criteria are not searched again on a source while its answer
is fresh, whoever asks. The search itself waits outside the person's transaction (``Turn.outside``): no
connection or lock is held while the APIs answer. A source that fails or is slow answers ``None`` within
the timeout: that source's last search kept answers for it (or nothing), next to the others' fresh offers;
with nothing from any source, the catalogue alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from flows.data.catalogue import LEVELS, Offer, level_rank
from flows.data.employer_offers import LOCAL, EmployerOffer
from flows.data.live_offers import LiveOffer, OfferQuery, OfferSearch
from flows.data.territory import Commune
from flows.engine.turn import Turn
from flows.suggestions.matching import LEVEL_WORDS, SECTOR_INTEREST, Profile, Reason, Request, Suggestion
from storage.db import UnitOfWork

log = logging.getLogger(__name__)

RADIUS_KM = 10  # the local employers' offers without a live source: communes around, like the API's default
W_LIVE = 100  # live offers are placed by suggest(), not by score; this only orders their reasons
SHOWN_AT_MOST = 6  # offers among the ideas; the rest is on the source's site


def query_for(t: Turn, profile: Profile, request: Request) -> tuple[OfferQuery, tuple[str, ...]] | None:
    """The search for this person and request, and its sectors; None when there is nothing to search."""
    rome, source = t.world.rome, t.world.offers
    if rome is None or request.topics:
        return None
    if request.kinds and "job" not in request.kinds and not request.alternance_only:
        return None  # "une formation": offers are not trainings
    sectors = (request.secteur,) if request.secteur else profile.sectors
    commune = t.world.territory.commune(request.commune or profile.commune)
    if not sectors or commune is None:
        return None
    alternance = request.alternance_only or (request.situation or profile.situation) == "alternance"
    radius = source.radius_km if source is not None else RADIUS_KM
    query = OfferQuery(insee=commune.insee, romes=rome.codes_for(sectors), radius_km=radius,
                       alternance=alternance, latitude=commune.latitude, longitude=commune.longitude)
    return query, tuple(sectors)


async def live_offers(t: Turn, query: OfferQuery) -> list[LiveOffer]:
    """The offers for these criteria, source by source: its fresh cache, else the source (and its cache
    updated), else its old cache; merged, each offer once."""
    source = t.world.offers
    if source is None:
        return []
    kept, stale = await cached_searches(t.uow, source, query, t.now)
    if stale:
        # Within the timeout, and outside the person's transaction (the turn is handled again with it; the
        # same stale sources are the same work). None for a source: failed, logged and counted there.
        work = f"offers:{','.join(stale)}:{query.key('')}"
        found = await t.outside(work, lambda: source.search(query, stale))
        kept.update(await keep_found(t.uow, source, query, found, t.now))
    return merged_offers(source, query, kept)


async def cached_searches(uow: UnitOfWork, source: OfferSearch, query: OfferQuery, now: dt.datetime
                          ) -> tuple[dict[str, list[Any]], list[str]]:
    """Each source's cached offers still kept (fresh or not), and the sources to search again (not fresh)."""
    kept: dict[str, list[Any]] = {}
    stale: list[str] = []
    for name in source.sources_for(query):
        cached = await uow.offer_searches.find(query.key(name), now)
        if cached is not None and now - cached.fetched_at <= source.keep_for:
            kept[name] = cached.offers
        if cached is None or not cached.fresh:
            stale.append(name)
    return kept, stale


async def keep_found(uow: UnitOfWork, source: OfferSearch, query: OfferQuery,
                     found: Mapping[str, list[LiveOffer] | None], now: dt.datetime) -> dict[str, list[Any]]:
    """Cache each source that answered, under its own key (a failed one keeps its last search); their offers."""
    answered = {name: [o.model_dump() for o in offers] for name, offers in found.items() if offers is not None}
    for name, raw in answered.items():
        await uow.offer_searches.store(query.key(name), raw, now, source.fresh_for)
    if answered:
        await uow.offer_searches.purge(now - source.keep_for)
    return answered


def merged_offers(source: OfferSearch, query: OfferQuery, kept: Mapping[str, list[Any]]) -> list[LiveOffer]:
    """The sources' offers in their order (France Travail's first), each offer once."""
    return source.merged([parse_offers(kept.get(name, [])) for name in source.sources_for(query)])


def parse_offers(raw: list[Any]) -> list[LiveOffer]:
    """The offers of a cached search (a row written by an older version is skipped, not fatal)."""
    offers = []
    for item in raw:
        try:
            offers.append(LiveOffer.model_validate(item))
        except ValidationError:
            continue
    return offers


def fits(offer: LiveOffer, query: OfferQuery, schooling: str | None = None) -> bool:
    """Shown only when it fits: alternance when looked for, near enough when the source says how far, and a
    diploma the person has when one is required (unknown diploma: left out, as in flows.suggestions.matching)."""
    if query.alternance and not offer.alternance:
        return False
    if offer.level_required is not None and (
            offer.level_required not in LEVELS or level_rank(schooling) < LEVELS.index(offer.level_required)):
        return False
    return offer.distance_km is None or offer.distance_km <= query.radius_km


def commune_of(t: Turn, offer: LiveOffer) -> Commune | None:
    """The offer's commune: by its INSEE code (France Travail), else by its name (La bonne alternance gives an
    address, read by bot/offers_http.py)."""
    territory = t.world.territory
    return territory.commune(offer.insee) or (territory.commune_named(offer.place) if offer.place else None)


def as_suggestion(t: Turn, offer: LiveOffer, query: OfferQuery, sector: str) -> Suggestion:
    """A live offer as an idea: its reasons in the person's words, its facts on the card."""
    home = t.world.territory.commune(query.insee)
    there = commune_of(t, offer)
    reasons = []
    if there is not None and home is not None and there.insee == home.insee:
        reasons.append(Reason(W_LIVE, "same_commune", f"C'est à {home.name}, ta ville."))
    elif there is not None and home is not None and there.name in home.neighbours:
        reasons.append(Reason(W_LIVE, "neighbour", f"C'est à {there.name}, juste à côté."))
    elif offer.distance_km is not None:
        reasons.append(Reason(W_LIVE, "near", f"C'est à {max(1, round(offer.distance_km))} km de chez toi."))
    elif there is not None and home is not None and there.territory_code == home.territory_code:
        reasons.append(Reason(W_LIVE, "territory", f"C'est à {there.name}, pas loin."))
    if offer.alternance and query.alternance:
        reasons.append(Reason(W_LIVE, "alternance", "C'est en alternance, comme tu le cherches."))
    if offer.beginner:
        reasons.append(Reason(W_LIVE, "beginner", "Pas besoin d'expérience."))
    if offer.level_required in LEVEL_WORDS and offer.level_required != "aucun":
        reasons.append(Reason(W_LIVE, "level", f"Il faut {LEVEL_WORDS[offer.level_required]} : tu l'as."))
    reasons.append(Reason(W_LIVE, "sector", f"Tu t'intéresses {SECTOR_INTEREST[sector]}."))
    return Suggestion(_offer(offer, sector), W_LIVE, tuple(reasons))


def live_ref(full_id: str) -> str:
    """A live offer's button ref: "o" and a stable hash of "source:id" (ids from outside are not button-safe)."""
    return "o" + hashlib.sha1(full_id.encode()).hexdigest()[:15]


def _offer(live: LiveOffer, sector: str) -> Offer:
    full_id = f"{live.source}:{live.id}"
    summary = f"Chez {live.employer}." if live.employer else "Une offre publiée par un employeur près de chez toi."
    if live.source == LOCAL:
        summary += " Une offre réservée aux jeunes, avec le Département."
    return Offer(
        id=full_id, ref=live_ref(full_id), kind="offer", role="path",
        title=live.title, summary=summary, secteur=sector, place=None, via_mission_locale=False, zone=(),
        age_min=16, age_max=99, level_required="aucun", level_max=None, rsa="any", situations=(),
        situations_excluded=(), topics=(), publics=(), paid=True, alternance=live.alternance,
        needs_driving_licence=False, boarding=False, night_work=False, reading_required=False, sessions=(),
        rolling=False, ends_on=None, example=False, entry=live,
    )


async def local_offers(t: Turn, query: OfferQuery, sectors: tuple[str, ...], schooling: str | None
                       ) -> list[tuple[LiveOffer, str]]:
    """The Département's employers' offers for these sectors, not expired, in a commune near home."""
    territory = t.world.territory
    home = territory.commune(query.insee)
    if home is None:
        return []
    today = t.now.astimezone(t.world.settings.tz).date()
    found = []
    for offer in [EmployerOffer.model_validate(data) for data in await t.uow.employer_offers.current(today)]:
        there = territory.commune(offer.commune)
        near = there is not None and (there.insee == home.insee or there.name in home.neighbours
                                      or there.territory_code == home.territory_code)
        live = offer.as_live(territory)
        if offer.secteur in sectors and near and fits(live, query, schooling):
            found.append((live, offer.secteur))
    return found


def _nearness(t: Turn, offer: LiveOffer, query: OfferQuery) -> tuple[int, float]:
    home = t.world.territory.commune(query.insee)
    there = commune_of(t, offer)
    if offer.insee == query.insee or (there is not None and there.insee == query.insee):
        return 0, 0.0
    if there is not None and home is not None and there.name in home.neighbours:
        return 1, 0.0
    return 2, offer.distance_km if offer.distance_km is not None else 99.0


async def live_suggestions(t: Turn, profile: Profile, request: Request) -> list[Suggestion]:
    """The live and local employers' offers that fit this person and request, nearest first."""
    asked = query_for(t, profile, request)
    if asked is None:
        return []
    query, sectors = asked
    rome = t.world.rome
    found = [(o, (rome.sector_of(o.rome) if rome and o.rome else None) or sectors[0])
             for o in await live_offers(t, query) if fits(o, query, profile.schooling)]
    found = [*await local_offers(t, query, sectors, profile.schooling), *found]
    found.sort(key=lambda item: (*_nearness(t, item[0], query), not item[0].beginner, item[0].source != LOCAL,
                                 item[0].source, item[0].id))
    return [as_suggestion(t, o, query, sector if sector in sectors else sectors[0])
            for o, sector in found[:SHOWN_AT_MOST]]
