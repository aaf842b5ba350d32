"""``tremplin offers``: the Département's employers' offers, imported from CSV or JSON (until the desk does it).

    tremplin offers import offres.csv            # checked, then written to data.employer_offers
    tremplin offers import offres.json --dry-run
    tremplin offers validate

The columns are the fields of ``flows.data.employer_offers.EmployerOffer``: id, title, employer, commune (INSEE
code), contract, start, expires, contact, secteur, and optionally rome, hours, description, requirements,
beginner. An offer carrying a discriminatory criterion is refused with the entry, the field and the words.
The import replaces the file: it is the list the Département keeps, not a batch added to it.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from bot.cli_catalog import read_rows
from bot.cli_common import config_of, fail
from flows.data.datafile import DataFileError
from flows.data.employer_offers import EmployerOffer, check_offers, current, load_employer_offers
from flows.data.rome import load_rome
from flows.data.territory import load_territory

offers_app = typer.Typer(help="Offers from the Département's employers (CSV or JSON import).", no_args_is_help=True)
OPTIONAL = ("start", "rome", "hours", "description", "requirements")


def _context(ctx: typer.Context) -> tuple[Any, Any, Path]:
    cfg = config_of(ctx)
    data = cfg.settings.data
    try:
        territory = load_territory(cfg.path(data.communes), cfg.path(data.missions_locales))
        rome = load_rome(cfg.path(data.rome))
    except DataFileError as exc:
        fail(str(exc), 1)
    return territory, rome, cfg.path(data.employer_offers)


def _cleaned(row: dict[str, Any]) -> dict[str, Any]:
    """A CSV row as the model reads it: empty optional cells are absent, "oui"/"non" are booleans."""
    out = {k: v for k, v in row.items() if not (k in OPTIONAL and v in ("", None))}
    if isinstance(out.get("beginner"), str):
        out["beginner"] = out["beginner"].strip().lower() in ("oui", "true", "1", "yes")
    return out


def _summary(offers: list[EmployerOffer] | tuple[EmployerOffer, ...]) -> str:
    shown = len(current(offers, dt.date.today()))
    return f"{len(offers)} offers ({shown} not expired)"


@offers_app.command("import")
def import_offers(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV (, ; or tab) or JSON (a list, or an object with 'offers').")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only.")] = False,
) -> None:
    """Check the offers of FILE and write them as the Département's list (nothing written on an error)."""
    territory, rome, target = _context(ctx)
    try:
        if file.suffix.lower() == ".json":
            try:
                document = json.loads(file.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise DataFileError(f"{file}: not valid JSON at line {exc.lineno}") from exc
            rows = document.get("offers", document) if isinstance(document, dict) else document
        else:
            _, rows = read_rows(file)
        offers = check_offers(str(file), [_cleaned(r) for r in rows], territory, rome)
    except (DataFileError, OSError) as exc:
        fail(str(exc), 1)
    if dry_run:
        typer.echo(f"OK (dry run): {_summary(offers)}.")
        return
    document = {"source": {"imported_from": file.name, "imported_on": dt.date.today().isoformat()},
                "offers": [o.model_dump(mode="json", exclude_defaults=True) for o in offers]}
    target.write_text("# The Département's employers' offers: written by `tremplin offers import`.\n"
                      + yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    typer.echo(f"Imported {_summary(offers)} into {target}.")


@offers_app.command("validate")
def validate(ctx: typer.Context) -> None:
    """Check the Département's list of offers."""
    territory, rome, target = _context(ctx)
    try:
        offers = load_employer_offers(target, territory, rome)
    except DataFileError as exc:
        fail(str(exc), 1)
    typer.echo(f"Employer offers OK: {_summary(offers)}.")
