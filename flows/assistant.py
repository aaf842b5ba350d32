"""The whole conversation script: importing a module registers its steps and handlers."""

from __future__ import annotations

# Importing a capability registers its steps and handlers: a new capability adds one line here.
from flows.advisors import commands as advisors  # noqa: F401
from flows.advisors import linking  # noqa: F401
from flows.booking import cancelling, choosing, moving, my_appointments, new_appointment  # noqa: F401
from flows.engine.engine import Engine
from flows.engine.world import World
from flows.handoff import appointments, asking, distress, pause, relay  # noqa: F401
from flows.home import global_commands, help, home  # noqa: F401
from flows.nudges import nudges, reminders  # noqa: F401
from flows.onboarding import confirmations, profile  # noqa: F401
from flows.onboarding import questions as onboarding  # noqa: F401
from flows.outcomes import appointment_events, questions  # noqa: F401
from flows.privacy import privacy  # noqa: F401
from flows.suggestions import alerts, applying, ideas  # noqa: F401
from storage.db import Database


def build_engine(db: Database, world: World) -> Engine:
    """The engine with every step and handler of the assistant registered."""
    return Engine(db, world)
