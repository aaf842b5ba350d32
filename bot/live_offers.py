"""The live offers sources together, as the conversation sees them (``flows.data.live_offers.OfferSearch``).

Why each rule:
- one deadline for the whole search (``timeout_seconds``): the person never waits longer, whatever a
  source does (slow, down, rate limited);
- a source that failed is not asked again for ``pause_seconds``: a down API costs nothing per message, and
  it is logged once when it starts failing and once when it is back, counted each time in /metrics;
- each source answers on its own: a failing (or paused) one gives ``None`` for itself only, and the caller
  (flows/suggestions/live.py) answers for it from that source's last search kept in the database while
  the others' fresh offers are shown and cached under their own keys; a revoked La bonne alternance token
  does not hide France Travail's fresh offers;
- only the sources that search for such criteria are asked (La bonne alternance: someone looking for an
  apprenticeship, in a commune with coordinates), and only the sources whose cache is stale;
- the same offer from both sources is shown once (France Travail's copy first): La bonne alternance
  relays France Travail's offers under France Travail's id, and an offer of the same employer with the
  same title in the same commune is taken for the same (``same_offer_key``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Collection, Sequence
from typing import Protocol

import httpx

from bot.config import AppConfig
from bot.metrics import OFFERS_SOURCE_FAILED
from bot.offers_http import FranceTravail, LaBonneAlternance, SourceFailure, same_offer_key
from flows.data.live_offers import LiveOffer, OfferQuery

log = logging.getLogger(__name__)


class Source(Protocol):
    name: str

    def applies(self, query: OfferQuery) -> bool:
        """Whether this source searches for such criteria (else it is not asked)."""
        ...

    async def search(self, query: OfferQuery, deadline: float) -> list[LiveOffer]: ...


class LiveOffers:
    """Every configured source, searched at once within one deadline."""

    def __init__(self, sources: Sequence[Source], *, timeout_seconds: float, radius_km: int,
                 fresh_for: dt.timedelta, keep_for: dt.timedelta, pause_seconds: float,
                 client: httpx.AsyncClient | None = None) -> None:
        self.sources = list(sources)
        self.timeout_seconds, self.radius_km = timeout_seconds, radius_km
        self.fresh_for, self.keep_for, self.pause_seconds = fresh_for, keep_for, pause_seconds
        self.client = client
        self._paused_until: dict[str, float] = {}
        self._failing: set[str] = set()

    def sources_for(self, query: OfferQuery) -> tuple[str, ...]:
        return tuple(s.name for s in self.sources if s.applies(query))  # the sources' order: France Travail's first

    async def search(self, query: OfferQuery, sources: Collection[str]) -> dict[str, list[LiveOffer] | None]:
        now = time.monotonic()
        asked = [s for s in self.sources if s.name in sources and s.applies(query)]
        found: dict[str, list[LiveOffer] | None] = {s.name: None for s in asked}  # paused: None, not asked
        deadline = now + self.timeout_seconds
        tasks = {asyncio.create_task(self._one(s, query, deadline)): s
                 for s in asked if self._paused_until.get(s.name, 0.0) <= now}
        if not tasks:
            return found
        done, late = await asyncio.wait(tasks, timeout=self.timeout_seconds)
        for task in late:  # only the sources still working are blamed for the wait
            task.cancel()
            self._failed(tasks[task].name, "timeout", "no answer in time")
        for task in done:
            found[tasks[task].name] = task.result()
        return found

    def merged(self, found: Sequence[Sequence[LiveOffer]]) -> list[LiveOffer]:
        return merged(found)

    async def _one(self, source: Source, query: OfferQuery, deadline: float) -> list[LiveOffer] | None:
        try:
            found = await source.search(query, deadline)
        except SourceFailure as exc:
            self._failed(source.name, exc.cause, str(exc))
            return None
        except httpx.HTTPError as exc:
            self._failed(source.name, "unreachable", type(exc).__name__)
            return None
        if source.name in self._failing:
            self._failing.discard(source.name)
            log.info("live offers: %s answers again", source.name)
        return found

    def _failed(self, name: str, cause: str, detail: str) -> None:
        OFFERS_SOURCE_FAILED.labels(name, cause).inc()
        self._paused_until[name] = time.monotonic() + self.pause_seconds
        if name not in self._failing:  # once per run of failures, not once per message
            self._failing.add(name)
            log.warning("live offers: %s failed (%s), answering from its cache or without it", name, detail)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()


def merged(results: Sequence[Sequence[LiveOffer]]) -> list[LiveOffer]:
    """The sources' offers in their order, each offer once: the same source and id (La bonne alternance's copy
    of a France Travail offer carries its id), or, from another source, the same employer, title and commune.
    The source is the offer's own, not the list's: La bonne alternance's list alone (France Travail failing)
    carries France Travail's offers, and its own copy of one of them is still the same offer."""
    by_id: dict[tuple[str, str], LiveOffer] = {}
    by_facts: dict[tuple[str, str, str], str] = {}  # -> the source of the offer that gave them first
    for found in results:
        for offer in found:
            facts = same_offer_key(offer)
            if (offer.source, offer.id) in by_id or (
                    facts is not None and by_facts.get(facts, offer.source) != offer.source):
                continue
            by_id[(offer.source, offer.id)] = offer
            if facts is not None:
                by_facts.setdefault(facts, offer.source)
    return list(by_id.values())


def live_offers_from(cfg: AppConfig) -> LiveOffers | None:
    """The sources whose credentials are in the environment; None without any (the catalogue alone)."""
    s, secrets = cfg.settings.offers, cfg.secrets
    if not (secrets.france_travail_client_id and secrets.france_travail_client_secret) \
            and not secrets.la_bonne_alternance_token:
        return None
    # The client's own timeout is a backstop: the deadline of each search is the real bound.
    client = httpx.AsyncClient(timeout=httpx.Timeout(s.timeout_seconds), follow_redirects=False)
    sources: list[Source] = []
    if secrets.france_travail_client_id and secrets.france_travail_client_secret:
        sources.append(FranceTravail(
            client, url=s.france_travail_url, token_url=s.france_travail_token_url,
            client_id=secrets.france_travail_client_id,
            secret=secrets.france_travail_client_secret.get_secret_value(),
            per_second=s.france_travail_per_second, pages=s.pages))
    if secrets.la_bonne_alternance_token:
        sources.append(LaBonneAlternance(
            client, url=s.la_bonne_alternance_url, token=secrets.la_bonne_alternance_token.get_secret_value(),
            per_second=s.la_bonne_alternance_per_second))
    return LiveOffers(sources, timeout_seconds=s.timeout_seconds, radius_km=s.radius_km,
                      fresh_for=dt.timedelta(hours=s.fresh_hours), keep_for=dt.timedelta(days=s.keep_days),
                      pause_seconds=s.pause_seconds, client=client)
