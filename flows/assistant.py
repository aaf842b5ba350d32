"""The whole conversation script: importing a module registers its steps and handlers."""

from __future__ import annotations

from flows import (  # noqa: F401  (registration on import)
    advisors,
    booking,
    distress,
    handoff,
    help,
    home,
    nudges,
    onboarding,
    privacy,
    profile,
    reminders,
    suggestions,
)
from flows.engine import Engine
from flows.world import World
from storage.db import Database

# A capability adds its script module to the import line above.


def build_engine(db: Database, world: World) -> Engine:
    """The engine with every step and handler of the assistant registered."""
    return Engine(db, world)
