"""Assembling the assistant from the configuration: keys, database, data files, NLU, engine."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.config import AppConfig
from bot.keys import install_keys
from bot.live_offers import live_offers_from
from flows.assistant import build_engine
from flows.data.catalogue import load_catalogue
from flows.data.opening_hours import seed_agenda
from flows.data.rome import load_rome
from flows.data.structures import StructureDirectory
from flows.data.territory import Territory, load_territory
from flows.engine.buttons import ButtonSigner
from flows.engine.engine import Engine
from flows.engine.world import World
from flows.rules.clock import Clock, SystemClock
from nlu import load_backend
from storage import Database

log = logging.getLogger(__name__)


@dataclass
class Assistant:
    """Everything a channel needs to run the conversation."""

    cfg: AppConfig
    db: Database
    world: World
    engine: Engine

    async def close(self) -> None:
        """Release the database connections (and the live offers' HTTP client)."""
        if self.world.offers is not None:
            await self.world.offers.close()
        await self.db.dispose()


def load_world_data(cfg: AppConfig) -> Territory:
    """The territory files, validated (a problem raises DataFileError naming file, entry and field): the communes,
    and the structures imported for the first set-up (the conversation reads the database's: ``open_world``)."""
    data = cfg.settings.data
    return load_territory(cfg.path(data.communes), cfg.path(data.missions_locales))


class WithoutUnderstanding:
    """For what reads no message (the advisors' desk): loading an NLU there would only cost time."""

    async def parse(self, text: str, now: Any = None) -> Any:
        raise RuntimeError("this process reads no young person's message")


async def open_assistant(cfg: AppConfig, *, clock: Clock | None = None, migrate: bool | None = None,
                         understanding: bool = True) -> Assistant:
    """Build the assistant; on the embedded default, bring the database schema up to date first.

    ``understanding=False``: no NLU (the desk's process)."""
    # The data key is checked against the database first: a changed or lost key stops here (KeyRefused).
    keys = await install_keys(cfg, migrate=migrate if migrate is not None else cfg.settings.database.auto_migrate)
    territory = load_world_data(cfg)
    # Validated at start: a bad entry stops here with the file, the entry and the field named.
    catalogue = load_catalogue(cfg.path(cfg.settings.data.catalogue), territory)
    rome = load_rome(cfg.path(cfg.settings.data.rome))
    nlu_settings = cfg.settings.nlu
    nlu = WithoutUnderstanding() if not understanding else load_backend(
        cfg.nlu_backend,
        rasa_url=cfg.rasa_url,
        timeout=nlu_settings.rasa_timeout_seconds,
        circuit_open_seconds=nlu_settings.rasa_pause_seconds,
        cache_dir=cfg.path(nlu_settings.cache_dir),
        timezone=cfg.settings.timezone,
    )
    world = World(
        settings=cfg.conversation(),
        territory=territory,
        clock=clock or SystemClock(),
        signer=ButtonSigner(keys.button_key),
        nlu=nlu,
        catalogue=catalogue,
        email_handoffs=cfg.secrets.smtp_url is not None,  # bot/telegram_app.py runs the e-mail sender then
        rome=rome,
        offers=live_offers_from(cfg),  # None without credentials: the ideas come from the catalogue alone
        structures=StructureDirectory(territory),
    )
    db = await open_database(cfg, territory)
    async with db.transaction() as uow:
        await world.refresh(uow)  # from the first turn on, the database's structures
    return Assistant(cfg=cfg, db=db, world=world, engine=build_engine(db, world))


async def open_database(cfg: AppConfig, territory: Territory) -> Database:
    """The database with the structures of the data files imported while it has none ever imported, and the
    example agendas seeded when it has none (idempotent: an operator's edits stay). The schema must be up to
    date."""
    db = Database(cfg.database_url, echo=cfg.settings.database.echo)
    async with db.transaction() as uow:
        await seed_agenda(uow, territory, cfg.path(cfg.settings.data.opening_hours), cfg.settings.tz)
    return db
