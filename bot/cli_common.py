"""Helpers shared by the ``tremplin`` sub-commands."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import typer

from bot.config import AppConfig
from flows.engine.world import World
from storage import Database, UnitOfWork

T = TypeVar("T")


def config_of(ctx: typer.Context) -> AppConfig:
    """The validated configuration loaded by the main callback."""
    return ctx.find_root().obj


def fail(message: str, code: int = 2) -> NoReturn:
    """Stop with one line on stderr and the given exit code."""
    typer.echo(message, err=True)
    raise typer.Exit(code)


class _NoUnderstanding:
    """Operator commands read no message: the NLU is not loaded (it is the slow part of a start)."""

    async def parse(self, text: str, now: Any = None) -> Any:
        raise RuntimeError("operator commands do not understand messages")


async def open_database(cfg: AppConfig) -> Database:
    """The database for an operator command: data keys, schema up to date (when configured so), the
    structures and lieux of the data files, the example agendas if there are none yet."""
    from bot.keys import install_keys
    from bot.runtime import load_world_data
    from bot.runtime import open_database as open_seeded

    await install_keys(cfg, migrate=cfg.settings.database.auto_migrate)
    return await open_seeded(cfg, load_world_data(cfg))


async def open_world(cfg: AppConfig) -> tuple[Database, World]:
    """The database and a world without NLU: enough for the flows an operator command runs (erasure
    hooks, planning nudges)."""
    from bot.keys import button_key, configured_keys
    from bot.runtime import load_world_data  # also registers every capability's steps and hooks
    from flows.data.structures import StructureDirectory
    from flows.engine.buttons import ButtonSigner
    from flows.rules.clock import SystemClock

    db = await open_database(cfg)
    territory = load_world_data(cfg)
    world = World(settings=cfg.conversation(), territory=territory, clock=SystemClock(),
                  signer=ButtonSigner(button_key(configured_keys(cfg))), nlu=_NoUnderstanding(),
                  structures=StructureDirectory(territory))
    async with db.transaction() as uow:
        await world.refresh(uow)  # the database's structures, as the bot's
    return db, world


def run_in_transaction(cfg: AppConfig, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """Open the database, run ``work`` in one transaction, close."""

    async def go() -> T:
        db = await open_database(cfg)
        try:
            async with db.transaction() as uow:
                return await work(uow)
        finally:
            await db.dispose()

    return asyncio.run(go())
