"""Live job and apprenticeship offers: what a search asks, what an offer says, and the one interface a source
implements (France Travail, La bonne alternance: bot/offers_*.py; none without credentials).

The conversation never waits on the network for nothing: a source answers within its timeout or returns
``None`` (it logged and counted the failure), and each source's results are cached in the database by the
caller (storage/offer_searches.py), keyed by ``OfferQuery.key(source)``: a failing source then answers
from its own last search kept while the others answer fresh.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field


@dataclass(frozen=True)
class OfferQuery:
    """The criteria of one search: the same criteria are one cache entry, whoever asks."""

    insee: str  # where the person lives (France Travail searches by commune code)
    romes: tuple[str, ...]  # ROME 4.0 codes (flows/data/rome.py), of the sectors chosen
    radius_km: int
    alternance: bool  # apprenticeship and work-study contracts only
    latitude: float | None = None  # La bonne alternance searches by coordinates
    longitude: float | None = None

    def key(self, source: str) -> str:
        """A stable key of the criteria and the source (no person in it): each source's results are cached,
        fresh and kept on their own, so one failing source does not hide the others' fresh offers."""
        raw = "|".join([self.insee, ",".join(sorted(self.romes)), str(self.radius_km), str(self.alternance), source])
        return hashlib.sha1(raw.encode()).hexdigest()[:20]


class LiveOffer(BaseModel):
    """One offer, with the practical facts a card shows; free text from outside is kept short."""

    model_config = ConfigDict(frozen=True)

    source: str  # "france_travail" | "la_bonne_alternance"
    id: str = Field(min_length=1, max_length=80)
    title: str = Field(min_length=1, max_length=120)
    employer: str | None = Field(None, max_length=120)
    place: str | None = Field(None, max_length=80)  # the commune's name as the source gives it
    insee: str | None = None
    distance_km: float | None = None
    contract: str | None = Field(None, max_length=80)  # "CDD - 6 mois", "Apprentissage"
    hours: str | None = Field(None, max_length=80)
    start: str | None = Field(None, max_length=40)
    url: str | None = Field(None, max_length=500)
    rome: str | None = None
    beginner: bool = False  # "débutant accepté"
    alternance: bool = False
    # The lowest diploma the offer requires (flows.data.catalogue.LEVELS, or "bac_plus_3" for higher), if any.
    level_required: str | None = None


class OfferSearch(Protocol):
    """The live offers sources together (bot/live_offers.py), each searched and cached on its own."""

    timeout_seconds: float
    radius_km: int
    fresh_for: dt.timedelta  # the same criteria are not searched again on a source before this
    keep_for: dt.timedelta  # a source's older search still answers this long when that source fails

    def sources_for(self, query: OfferQuery) -> tuple[str, ...]:
        """The names of the sources that search for such criteria, in the order their offers are shown."""
        ...

    async def search(self, query: OfferQuery, sources: Collection[str]) -> dict[str, list[LiveOffer] | None]:
        """Each of these sources' offers (those that apply), searched at once within one timeout; ``None`` for
        a source that failed or is paused (already logged and counted)."""
        ...

    def merged(self, found: Sequence[Sequence[LiveOffer]]) -> list[LiveOffer]:
        """The sources' offers in this order, each offer once (a source relays another's offers)."""
        ...

    async def close(self) -> None: ...
