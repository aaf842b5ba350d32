"""``tremplin nudges ...``: the operator's hand on reminders and nudges.

- ``pause --person ID`` / ``--telegram-id ID``: no more inactivity nudges for this person (what an
  advisor asks when they follow someone closely); appointment reminders still go, as the person chose;
- ``resume``: the same person gets nudges again;
- ``plan``: run the planning of nudges now (the bot does it every few minutes);
- ``status``: how many reminders and nudges are planned, sent, dropped (counts only, never who).

See docs/nudges.md.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from bot.cli_common import config_of, open_world
from bot.cli_data import PersonOption, TelegramOption, find_person

nudges_app = typer.Typer(help="Reminders and nudges: pause or resume one person, plan now, counts.",
                         no_args_is_help=True)
ByOption = Annotated[str, typer.Option("--by", help="Who asks, for the log: an id such as agent:7, never a name.")]


def _pause(ctx: typer.Context, person: int | None, telegram_id: str | None, by: str, paused: bool) -> None:
    from flows.nudges.nudges import pause_nudges

    async def go() -> tuple[int, bool]:
        db, _ = await open_world(config_of(ctx))
        try:
            async with db.transaction() as uow:
                found = await find_person(uow, person, telegram_id)
                return found.id, await pause_nudges(uow, found, by=by, paused=paused)
        finally:
            await db.dispose()

    person_id, changed = asyncio.run(go())
    state = "paused" if paused else "resumed"
    typer.echo(f"Nudges {state} for person {person_id}." if changed else f"Nudges were already {state} for "
               f"person {person_id}.")


@nudges_app.command("pause")
def pause(ctx: typer.Context, person: PersonOption = None, telegram_id: TelegramOption = None,
          by: ByOption = "operator") -> None:
    """Stop the inactivity nudges of one person (appointment reminders still go, as the person chose)."""
    _pause(ctx, person, telegram_id, by, True)


@nudges_app.command("resume")
def resume(ctx: typer.Context, person: PersonOption = None, telegram_id: TelegramOption = None,
           by: ByOption = "operator") -> None:
    """Give one person their nudges back."""
    _pause(ctx, person, telegram_id, by, False)


@nudges_app.command("plan")
def plan(ctx: typer.Context) -> None:
    """Plan the nudges and outcome questions that have come due now (the bot does it every few minutes)."""
    from flows.nudges.nudges import run_planning
    from flows.outcomes.questions import run_outcome_questions

    async def go() -> str:
        db, world = await open_world(config_of(ctx))
        try:
            nudges = await run_planning(db, world)
            return f"{nudges}\noutcome questions: {await run_outcome_questions(db, world)} planned"
        finally:
            await db.dispose()

    typer.echo(asyncio.run(go()))


@nudges_app.command("status")
def status(ctx: typer.Context) -> None:
    """How many reminders and nudges are in the outbox, by kind and status."""

    async def go() -> list[tuple[str, str, int]]:
        db, _ = await open_world(config_of(ctx))
        try:
            async with db.transaction() as uow:
                return await uow.nudges.outbox_counts()
        finally:
            await db.dispose()

    rows = asyncio.run(go())
    if not rows:
        typer.echo("Nothing planned or sent yet.")
    for kind, state, count in rows:
        typer.echo(f"{kind:<12} {state:<10} {count}")
