"""What the conversation knows of the world outside one person: settings, territory, clock, NLU."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from flows.data.catalogue import Catalogue
from flows.data.live_offers import OfferSearch
from flows.data.rome import Rome
from flows.data.territory import Territory
from flows.engine.buttons import ButtonSigner
from flows.rules.clock import Clock
from flows.rules.settings import ConversationSettings
from nlu.result import ParseResult


class Understanding(Protocol):
    """An NLU backend (see ``nlu.load_backend``)."""

    async def parse(self, text: str, now: Any = None) -> ParseResult: ...


@dataclass(frozen=True)
class World:
    """Shared, read-only dependencies of every turn."""

    settings: ConversationSettings
    territory: Territory
    clock: Clock
    signer: ButtonSigner
    nlu: Understanding
    # Capabilities that need more of the world add a typed field with a default here.
    catalogue: Catalogue | None = None  # trainings, jobs, programmes, support services (flows.data.catalogue)
    # Hand-off summaries also go to the advisors' e-mail (an "email" sender is running: SMTP_URL is set).
    email_handoffs: bool = False
    rome: Rome | None = None  # ROME 4.0 codes and the sectors' codes (flows.data.rome)
    offers: OfferSearch | None = None  # live offers (bot/live_offers.py); None: no credentials, catalogue only
