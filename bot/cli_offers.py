"""``tremplin offers``: the Département's employers' offers, imported from CSV or JSON (the desk's *Offres* page
does the same, web/offers.py).

    tremplin offers import offres.csv            # checked, then the Département's list in the database
    tremplin offers import offres.json --dry-run
    tremplin offers validate                     # the list again, against today's ROME codes and communes

The columns are the fields of ``flows.data.employer_offers.EmployerOffer``: id, title, employer, commune (INSEE
code), contract, start, expires, contact, secteur, and optionally rome, hours, description, requirements,
beginner. An offer carrying a discriminatory criterion is refused with the entry, the field and the words.
The import replaces the list: it is the list the Département keeps, not a batch added to it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli_common import config_of, fail, run_in_transaction
from flows.data.datafile import DataFileError
from flows.data.employer_offers import EmployerOffer, check_offers, current, read_offers
from flows.data.rome import load_rome
from flows.data.territory import load_territory

offers_app = typer.Typer(help="Offers from the Département's employers (CSV or JSON import).", no_args_is_help=True)


def _references(ctx: typer.Context) -> tuple[Any, Any, Any]:
    cfg = config_of(ctx)
    data = cfg.settings.data
    try:
        return cfg, load_territory(cfg.path(data.communes), cfg.path(data.missions_locales)), load_rome(
            cfg.path(data.rome))
    except DataFileError as exc:
        fail(str(exc), 1)


def _summary(offers: list[EmployerOffer]) -> str:
    return f"{len(offers)} offers ({len(current(offers, dt.date.today()))} not expired)"


@offers_app.command("import")
def import_offers(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV (, ; or tab) or JSON (a list, or an object with 'offers').")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only.")] = False,
) -> None:
    """Check the offers of FILE and make them the Département's list (nothing written on an error)."""
    cfg, territory, rome = _references(ctx)
    try:
        offers = read_offers(file.name, file.read_text(encoding="utf-8-sig"), territory, rome)
    except (DataFileError, OSError) as exc:
        fail(str(exc), 1)
    if dry_run:
        typer.echo(f"OK (dry run): {_summary(offers)}.")
        return

    async def work(uow: Any) -> None:
        await uow.employer_offers.replace_all([o.model_dump(mode="json", exclude_defaults=True) for o in offers],
                                              dt.datetime.now(dt.UTC))

    run_in_transaction(cfg, work)
    typer.echo(f"Imported {_summary(offers)}.")


@offers_app.command("validate")
def validate(ctx: typer.Context) -> None:
    """Check the Département's list of offers (the ROME codes and communes may have changed since)."""
    cfg, territory, rome = _references(ctx)

    async def work(uow: Any) -> list[dict[str, Any]]:
        return await uow.employer_offers.current(dt.date.min)

    try:
        offers = check_offers("the database's employer offers", run_in_transaction(cfg, work), territory, rome)
    except DataFileError as exc:
        fail(str(exc), 1)
    typer.echo(f"Employer offers OK: {_summary(offers)}.")
