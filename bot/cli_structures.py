"""``tremplin structures``: the missions locales kept in the database (the operator edits them on the desk,
web/structures.py).

    tremplin structures list                          # what young people are sent to, and the communes served
    tremplin structures import                        # data/missions_locales.yml (the configured file)
    tremplin structures import autres.yml --dry-run

The data file is the first set-up: the first start imports it, with the ``structure`` of each commune of
data/communes.yml, and no start imports it again. ``import`` writes a file's structures and lieux again (by
``id``: importing the same file twice changes nothing, a new id is a new structure), replacing what the desk
changed in them; a commune keeps the structure it has, and one without gets the file's.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli_common import config_of, fail, run_in_transaction
from flows.data.datafile import DataFileError
from flows.data.structures import StructuresImport, import_structures, read_structures_file, read_territory
from flows.data.territory import Territory

structures_app = typer.Typer(help="The missions locales (kept in the database; edited on the desk).",
                             no_args_is_help=True)


@structures_app.command("import")
def import_file(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Argument(help="A YAML file like data/missions_locales.yml (default: it).")
                    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only.")] = False,
) -> None:
    """Write the structures and lieux of FILE in the database (by id; nothing written on an error)."""
    from bot.runtime import load_world_data  # the whole assistant: only when the command runs

    cfg = config_of(ctx)
    try:
        files = load_world_data(cfg)
        territory = read_structures_file(file or cfg.path(cfg.settings.data.missions_locales), files)
    except (DataFileError, OSError) as exc:
        fail(str(exc), 1)
    count = f"{len(territory.structures)} structures, {sum(len(s.lieux) for s in territory.structures)} lieux"
    if dry_run:
        typer.echo(f"OK (dry run): {count}.")
        return

    async def work(uow: Any) -> StructuresImport:
        return await import_structures(uow, territory, dt.datetime.now(dt.UTC))

    try:
        report = run_in_transaction(cfg, work)
    except DataFileError as exc:
        fail(str(exc), 1)
    typer.echo(f"Imported {count}; {report.communes} communes without a structure got the file's.")


@structures_app.command("list")
def list_structures(ctx: typer.Context) -> None:
    """The structures of the database, the communes they serve and their lieux."""
    from bot.runtime import load_world_data

    cfg = config_of(ctx)
    files = load_world_data(cfg)

    async def work(uow: Any) -> Territory:
        return await read_territory(uow, files)

    territory = run_in_transaction(cfg, work)
    for structure in territory.structures:
        state = "" if structure.active else " (deactivated)"
        served = ", ".join(c.name for c in territory.served_by(structure.id)) or "no commune"
        typer.echo(f"{structure.id}{state}: {structure.name}; {structure.phone}; serves {served}")
        for lieu in structure.lieux:
            typer.echo(f"  lieu {lieu.id}: {lieu.name}, {lieu.address} ({lieu.commune})")
    unserved = [c.name for c in territory.communes if c.structure is None]
    if unserved:
        typer.echo(f"Communes without a structure: {', '.join(unserved)}")
