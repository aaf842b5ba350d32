"""``tremplin catalog``: check the catalogue, and import entries from JSON or CSV (e.g. data·inclusion).

    tremplin catalog validate
    tremplin catalog import structures.json services.json      # a data·inclusion export
    tremplin catalog import trainings.csv --kind trainings --dry-run

An import validates every entry with the same models as the YAML files (data·inclusion's ``Structure``
and ``Service`` for structures and services), checks the whole catalogue with the new entries in it
(unique ids, known structures and communes), and only then writes one YAML file per imported file in
the catalogue folder: importing an updated export again replaces that file. Errors name the file, the
entry and the field; nothing is written when there is one.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import types
import typing
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import BaseModel

from bot.cli_common import config_of, fail
from flows.data.catalogue import (
    ENTRY_MODELS,
    KINDS,
    Catalogue,
    DataFileError,
    Job,
    build_catalogue,
    catalogue_files,
    load_catalogue,
    read_catalogue_file,
    validate_kind,
)
from flows.data.rome import load_rome, rome_problems
from flows.data.territory import Territory, load_territory

catalog_app = typer.Typer(help="The catalogue: trainings, jobs, programmes and support services.",
                          no_args_is_help=True)
DATA_INCLUSION_KINDS = ("structures", "services")


def _territory(ctx: typer.Context) -> Territory:
    cfg = config_of(ctx)
    data = cfg.settings.data
    try:
        return load_territory(cfg.path(data.communes), cfg.path(data.missions_locales))
    except DataFileError as exc:
        fail(str(exc), 1)


def _folder(ctx: typer.Context, folder: Path | None) -> Path:
    cfg = config_of(ctx)
    return folder if folder is not None else cfg.path(cfg.settings.data.catalogue)


def summary(catalogue: Catalogue) -> str:
    """One line for the operator: how many entries of each kind, and what is left to check."""
    counts = catalogue.counts()
    rome = sum(1 for e in catalogue.entries if isinstance(e, Job) and e.rome_to_check)
    kinds = ", ".join(f"{counts[k]} {k}" for k in KINDS)
    return (f"{kinds} ({sum(counts.values())} entries; {catalogue.examples()} marked as examples to replace; "
            f"{rome} ROME codes to check)")


@catalog_app.command("validate")
def validate(
    ctx: typer.Context,
    folder: Annotated[Path | None, typer.Option("--dir", help="Catalogue folder (default: data.catalogue).")] = None,
) -> None:
    """Check every catalogue file; the first problem is printed with its file, entry and field."""
    try:
        catalogue = load_catalogue(_folder(ctx, folder), _territory(ctx))
    except DataFileError as exc:
        fail(str(exc), 1)
    cfg = config_of(ctx)
    try:
        rome = load_rome(cfg.path(cfg.settings.data.rome))
    except DataFileError as exc:
        fail(str(exc), 1)
    problems = rome_problems(catalogue, rome)
    if problems:
        # Every unknown code at once: the operator fixes them in one pass.
        fail("\n".join(problems) + f"\n{len(problems)} ROME code(s) to fix (data/rome/rome4.yml, sectors.yml)", 1)
    typer.echo(f"Catalogue OK: {summary(catalogue)}.")


# --- Import -----------------------------------------------------------------------------------


def read_rows(path: Path) -> tuple[str | None, list[dict[str, Any]]]:
    """The rows of a JSON or CSV file, and the kind if the file says it."""
    if not path.is_file():
        raise DataFileError(f"{path}: file not found")
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.DictReader(text.splitlines(), dialect=dialect)
        rows = [{k.strip(): v for k, v in row.items() if k} for row in reader]
        return None, rows
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFileError(f"{path}: not valid JSON at line {exc.lineno}") from exc
    kind = None
    if isinstance(document, dict):
        kind = document.get("kind")
        document = next((document[k] for k in ("entries", "items", "data", "results") if k in document), None)
    if not isinstance(document, list) or not all(isinstance(r, dict) for r in document):
        raise DataFileError(f"{path}: expected a list of entries (or an object with 'items' or 'entries')")
    # The data·inclusion search API wraps each result: {"service": {...}, "distance": ...}.
    rows = [r.get("service") or r.get("structure") if isinstance(r.get("service") or r.get("structure"), dict) else r
            for r in document]
    return kind, rows


def guess_kind(rows: list[dict[str, Any]]) -> str | None:
    """The kind of entries from their fields (data·inclusion services have a structure_id)."""
    keys = set().union(*(r.keys() for r in rows)) if rows else set()
    if "structure_id" in keys:
        return "services"
    if "rome" in keys:
        return "jobs"
    if {"secteur", "organisme"} <= keys or "next_sessions" in keys:
        return "trainings"
    if "rules_note" in keys:
        return "programmes"
    if "nom" in keys:
        return "structures"
    return None


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (list, set, frozenset, tuple):
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_is_list(a) for a in typing.get_args(annotation))
    if origin is typing.Annotated:
        return _is_list(typing.get_args(annotation)[0])
    return False


def clean_row(row: dict[str, Any], kind: str) -> tuple[dict[str, Any], list[str]]:
    """A raw row made ready for the model: empty cells dropped, list cells split, unknown
    data·inclusion fields set aside (an export carries more than the schema). Returns the ignored keys."""
    model = ENTRY_MODELS[kind]
    fields = model.model_fields
    cleaned: dict[str, Any] = {}
    ignored: list[str] = []
    for key, value in row.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if key not in fields and kind in DATA_INCLUSION_KINDS:
            ignored.append(key)
            continue
        if isinstance(value, str) and key in fields and _is_list(fields[key].annotation):
            value = _split(value)
        elif isinstance(value, str):
            value = value.strip()
            if _is_bool(fields.get(key)):
                value = FRENCH_BOOLEANS.get(value.lower(), value)
        cleaned[key] = value
    if kind in DATA_INCLUSION_KINDS and "checked_on" not in cleaned and "date_maj" in cleaned:
        # The producer's last update is when these facts were last checked.
        cleaned["checked_on"] = cleaned["date_maj"]
    return cleaned, ignored


FRENCH_BOOLEANS = {"oui": "true", "vrai": "true", "non": "false", "faux": "false"}  # spreadsheets in French


def _is_bool(field: Any) -> bool:
    return field is not None and (field.annotation is bool or field.annotation == bool | None)


def _split(value: str) -> list[str]:
    text = value.strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
            if isinstance(parsed, list):
                return [str(v) for v in parsed]
        except json.JSONDecodeError:
            pass
    for separator in ("|", ";", ","):
        if separator in text:
            return [part.strip() for part in text.split(separator) if part.strip()]
    return [text]


def dump_entry(entry: BaseModel) -> dict[str, Any]:
    """An entry as YAML data: defaults left out, sets as sorted lists, dates as ISO strings."""
    data = entry.model_dump(mode="json", exclude_defaults=True)
    data["checked_on"] = entry.checked_on.isoformat() if entry.checked_on else None  # type: ignore[attr-defined]
    return {k: sorted(v) if isinstance(v, list) and k in _set_fields(entry) else v for k, v in data.items()}


def _set_fields(entry: BaseModel) -> set[str]:
    return {name for name, f in type(entry).model_fields.items() if "set[" in str(f.annotation)}


@catalog_app.command("import")
def import_(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="JSON or CSV files (e.g. a data·inclusion export).")],
    kind: Annotated[str | None, typer.Option("--kind", help=f"One of: {', '.join(KINDS)} (default: guessed).")] = None,
    folder: Annotated[Path | None, typer.Option("--dir", help="Catalogue folder (default: data.catalogue).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only; write nothing.")] = False,
) -> None:
    """Validate entries from JSON or CSV and add them to the catalogue as YAML files."""
    if kind is not None and kind not in KINDS:
        fail(f"--kind: '{kind}' is not one of {', '.join(KINDS)}")
    target_folder = _folder(ctx, folder)
    territory = _territory(ctx)
    imported: list[tuple[Path, str, list[BaseModel], Path, list[str]]] = []
    try:
        for path in files:
            said_kind, rows = read_rows(path)
            file_kind = kind or said_kind or guess_kind(rows)
            if file_kind not in KINDS:
                raise DataFileError(f"{path}: cannot tell the kind of entries: use --kind ({', '.join(KINDS)})")
            cleaned, ignored = [], set()
            for row in rows:
                data, skipped = clean_row(row, file_kind)
                cleaned.append(data)
                ignored.update(skipped)
            entries = validate_kind(str(path), file_kind, cleaned)
            target = target_folder / f"import-{file_kind}-{path.stem}.yml"
            imported.append((path, file_kind, entries, target, sorted(ignored)))
        catalogue = _load_with(target_folder, territory, imported)
    except DataFileError as exc:
        fail(str(exc), 1)
    for path, file_kind, entries, target, ignored in imported:
        note = f" (fields not in the schema, ignored: {', '.join(ignored)})" if ignored else ""
        if dry_run:
            typer.echo(f"{path}: {len(entries)} {file_kind} valid{note}.")
            continue
        _write(target, path, file_kind, entries)
        typer.echo(f"{path}: {len(entries)} {file_kind} written to {target}{note}.")
    typer.echo(("Would give: " if dry_run else "Catalogue now: ") + summary(catalogue) + ".")


def _load_with(folder: Path, territory: Territory,
               imported: list[tuple[Path, str, list[BaseModel], Path, list[str]]]) -> Catalogue:
    """The catalogue as it will be: the files already there (but those replaced) and the new entries."""
    replaced = {target.resolve() for *_, target, _ in imported}
    parts = [(path, *read_catalogue_file(path)) for path in catalogue_files(folder) if path.resolve() not in replaced]
    return build_catalogue([*parts, *((path, k, entries) for path, k, entries, _, _ in imported)], territory)


def _write(target: Path, origin: Path, kind: str, entries: list[BaseModel]) -> None:
    header = (f"# Imported by `tremplin catalog import` from {origin.name} on {dt.date.today().isoformat()}.\n"
              "# Importing an updated file again replaces this one; edit the source rather than this file.\n")
    document = {
        "kind": kind,
        "source": {"imported_from": origin.name, "imported_on": dt.date.today().isoformat()},
        "entries": [dump_entry(e) for e in entries],
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(header + yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=110),
                      encoding="utf-8")
