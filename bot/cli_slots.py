"""``tremplin slots``: the operator loads agendas, the advisors see what is free.

- ``tremplin slots import FILE``: plages d'ouverture and absences (and, in YAML, motifs and agents)
  from a YAML or CSV file, validated first; an error names the line and the field, and nothing is
  written. Importing the same file twice changes nothing (entries are keyed by their ``id``).
- ``tremplin slots list --structure X --days 7``: the free slots a young person can book now, per lieu
  and motif, in Europe/Paris time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Annotated

import typer

from bot.cli_common import config_of, fail, open_database
from flows.booking import agenda
from flows.data.datafile import DataFileError
from flows.data.opening_hours import ImportReport, import_agenda, read_agenda_file
from flows.rules.formatting import clock, day
from flows.rules.slots import Slot

slots_app = typer.Typer(help="Opening hours of the missions locales, and their free slots.", no_args_is_help=True)


@slots_app.command("import")
def import_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A .yml/.yaml or .csv file of opening hours and absences.")],
    prune: Annotated[bool, typer.Option(
        "--prune", help="Also delete the plages and absences of the structures in the file that it no longer lists.",
    )] = False,
) -> None:
    """Load opening hours (plages d'ouverture) and absences; nothing is written if any line is wrong."""
    cfg = config_of(ctx)
    try:
        parsed = read_agenda_file(file)
    except DataFileError as exc:
        fail(str(exc))

    async def run() -> ImportReport:
        db = await open_database(cfg)
        try:
            async with db.transaction() as uow:
                return await import_agenda(uow, parsed, cfg.settings.tz, prune=prune)
        finally:
            await db.dispose()

    try:
        report = asyncio.run(run())
    except DataFileError as exc:
        fail(str(exc))
    typer.echo(f"Imported {file}: {report}.")


@slots_app.command("list")
def list_command(
    ctx: typer.Context,
    structure: Annotated[str, typer.Option("--structure", help="The structure's id, e.g. ml-nanterre.")],
    days: Annotated[int, typer.Option("--days", min=1, max=120, help="How many days to show.")] = 7,
    motif: Annotated[str | None, typer.Option("--motif", help="Only this motif (its code).")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD (default: today).")] = None,
) -> None:
    """The free slots a young person can book now (booking delays of each motif applied)."""
    cfg = config_of(ctx)
    tz = cfg.settings.tz
    now = dt.datetime.now(dt.UTC)
    try:
        first_day = dt.date.fromisoformat(start) if start else now.astimezone(tz).date()
    except ValueError:
        fail(f"--from: expected a date YYYY-MM-DD, not {start!r}")
    since = dt.datetime.combine(first_day, dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    until = dt.datetime.combine(first_day + dt.timedelta(days=days), dt.time(0), tzinfo=tz).astimezone(dt.UTC)

    async def run() -> list[str]:
        db = await open_database(cfg)
        try:
            async with db.transaction() as uow:
                found = await uow.structures.structure(structure)
                if found is None:
                    known = ", ".join(s.id for s in await uow.structures.structures())
                    raise DataFileError(f"--structure: unknown structure {structure!r} (known: {known})")
                motifs = await uow.structures.motifs(structure)
                if motif is not None:
                    motifs = [m for m in motifs if m.code == motif]
                    if not motifs:
                        raise DataFileError(f"--motif: {structure} has no motif {motif!r}")
                last = first_day + dt.timedelta(days=days - 1)
                lines = [f"{found.name} ({found.id}) : créneaux libres du {day(first_day)} au {day(last)}"]
                for lieu in await uow.structures.lieux(structure):
                    lines.append(f"\n{lieu.name} ({lieu.id})")
                    for each in motifs:
                        slots = await agenda.free_slots(uow, lieu_id=lieu.id, motif=each, now=now, tz=tz,
                                                        since=since, until=until - dt.timedelta(seconds=1))
                        lines.append(f"  {each.name} ({each.duration_minutes} min, code {each.code})")
                        lines.extend(_by_day(slots, tz) or ["    aucun créneau libre"])
                return lines
        finally:
            await db.dispose()

    try:
        lines = asyncio.run(run())
    except DataFileError as exc:
        fail(str(exc))
    typer.echo("\n".join(lines))


def _by_day(slots: list[Slot], tz: dt.tzinfo) -> list[str]:
    """"    lundi 30 novembre : 9 h (2 conseillers), 9 h 45, ..." one line per day."""
    agents: dict[dt.datetime, list[Slot]] = defaultdict(list)
    for slot in slots:
        agents[slot.starts_at].append(slot)
    days: dict[dt.date, list[str]] = defaultdict(list)
    for starts_at in sorted(agents):
        local = starts_at.astimezone(tz)
        same = agents[starts_at]
        seats = sum(s.seats_left or 0 for s in same)
        extra = f" ({seats} places)" if seats else (f" ({len(same)} conseillers)" if len(same) > 1 else "")
        days[local.date()].append(clock(local) + extra)
    return [f"    {day(d)} : {', '.join(times)}" for d, times in sorted(days.items())]
