"""What the conversation knows of the world outside one person: settings, territory, clock, NLU."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from flows.data.catalogue import Catalogue
from flows.data.live_offers import OfferSearch
from flows.data.rome import Rome
from flows.data.structures import StructureDirectory
from flows.data.territory import Territory
from flows.engine.buttons import ButtonSigner
from flows.rules.clock import Clock
from flows.rules.settings import ConversationSettings
from nlu.result import ParseResult
from storage import UnitOfWork


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
    # The database's structures (flows/data/structures.py): ``refresh`` puts them in ``territory``. None: the
    # territory given is used as it is (a replay of dialogues, tests that need no database of structures).
    structures: StructureDirectory | None = None

    async def refresh(self, uow: UnitOfWork) -> None:
        """Before a turn: the territory read again from the database when the last read is too old.

        ``territory`` is the one field that changes, and only as a whole: each snapshot is immutable, so a turn
        running meanwhile reads either the old one or the new one, never a mixture."""
        if self.structures is not None:
            fresh = await self.structures.current(uow)
            if fresh is not self.territory:
                object.__setattr__(self, "territory", fresh)
