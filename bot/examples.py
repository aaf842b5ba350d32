"""What young people would see that is still an example: the data files and the settings they read.

The data files mark what was written for the pilot with ``example: true`` (an entry, or a file's
``source``), and the example facts carry recognisable marks: "exemple" in a name, an address or an
e-mail domain (``rue de l'Exemple``, ``contact@….exemple.fr``), "à remplacer", the reserved phone numbers
``01 00 00 …``. Both are looked for, so an entry whose flag was removed but whose phone number was not
replaced is still found. ``tremplin check`` lists them; ``tremplin run`` refuses to start on them unless
``--allow-examples`` is given (bot/startup.py).

The structures are the database's once imported (flows/data/structures.py): then their rows are looked at,
as the operator edited them on the desk, instead of data/missions_locales.yml (read before the first import
only, since that is what the first start imports).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.config import AppConfig
from storage import Database

# "par exemple" is ordinary French: a description may say it. Everything else with "exemple" is a mark.
MARKS = re.compile(
    r"(?<!par )\bexemples?\b|\bexample\.(?:fr|com|org|net)\b|à remplacer|\b0[1-9] 00 00 \d\d \d\d\b",
    re.IGNORECASE,
)
# The settings whose text young people read (the privacy notice quotes them).
VISIBLE_SETTINGS = ("privacy.dpo_contact", "privacy.controller", "territory")


@dataclass(frozen=True)
class Example:
    """One thing still to replace: where, and what."""

    where: str  # the file (as configured) or the setting
    what: str  # the entry, or the field and its value

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def is_example_text(value: str) -> bool:
    """True if the text carries one of the example marks."""
    return MARKS.search(value) is not None


DATABASE_STRUCTURES = "the database's structures (desk: Structures)"


def find_examples(cfg: AppConfig, structures: list[dict[str, Any]] | None = None) -> list[Example]:
    """Every example left in the settings young people read and in the data files, in that order.

    ``structures``: the database's (``database_structures``), looked at instead of the structures' data file."""
    found: list[Example] = []
    for name in VISIBLE_SETTINGS:
        value: Any = cfg.settings
        for part in name.split("."):
            value = getattr(value, part)
        if isinstance(value, str) and is_example_text(value):
            found.append(Example(_setting_source(cfg, name), f"{name}: {value!r}"))
    data = cfg.settings.data
    if structures is not None:
        found.extend(Example(DATABASE_STRUCTURES, what) for what in _examples_in({"structures": structures}))
    for label in (data.missions_locales, data.opening_hours, data.catalogue, data.communes):
        if structures is not None and label == data.missions_locales:
            continue
        path = cfg.path(label)
        files = sorted(path.glob("*.yml")) if path.is_dir() else [path]
        for file in files:
            shown = str(label / file.name) if path.is_dir() else str(label)
            found.extend(Example(shown, what) for what in _examples_in_file(file))
    return found


def _setting_source(cfg: AppConfig, name: str) -> str:
    path = cfg.config_path.name if cfg.config_path is not None else "the defaults"
    return f"{path} (or TREMPLIN_{name.upper().replace('.', '__')})"


async def database_structures(cfg: AppConfig) -> list[dict[str, Any]] | None:
    """The database's structures as young people are given them (flag, texts, active lieux), once imported;
    None before that, or when the database cannot be read yet (the start's own checks then say why)."""
    from sqlalchemy.engine import make_url

    url = make_url(cfg.database_url)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).exists()):
        return None  # no database yet: opening it would create the file
    db = Database(cfg.database_url)
    try:
        async with db.transaction() as uow:
            if not await uow.structures.structures_imported():
                return None
            lieux: dict[str, list[dict[str, Any]]] = {}
            for lieu in await uow.structures.all_lieux():
                if lieu.active:
                    lieux.setdefault(lieu.structure_id, []).append(
                        {"id": lieu.id, "name": lieu.name, "address": lieu.address, "access": lieu.access or ""})
            return [{"id": s.id, "name": s.name, "phone": s.phone or "", "email": s.email or "",
                     "opening_hours": s.opening_hours, "lieux": lieux.get(s.id, []),
                     **({"example": True} if s.example else {})}
                    for s in await uow.structures.structures(active_only=True)]
    except Exception:  # not reachable, not migrated: prepare_start's database check reports it
        return None
    finally:
        await db.dispose()


def _examples_in_file(path: Path) -> list[str]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):  # `tremplin check` and the start report unreadable files themselves
        return []
    return _examples_in(document)


def _examples_in(document: Any) -> list[str]:
    flagged: list[str] = []
    marked: list[tuple[str, str]] = []
    for where, node in _walk(document, ""):
        if isinstance(node, dict):
            flagged.append(_name_of(where, node))
        else:
            marked.append((where, node))
    lines = []
    if flagged:
        shown = ", ".join(flagged[:12]) + (f", … ({len(flagged) - 12} more)" if len(flagged) > 12 else "")
        lines.append(f"{len(flagged)} marked example: true ({shown})")
    by_field: dict[str, list[tuple[str, str]]] = {}
    for where, value in marked:  # agents[0].name, agents[1].name…: one line for the field
        by_field.setdefault(re.sub(r"\[\d+\]", "[*]", where), []).append((where, value))
    for field, hits in by_field.items():
        if len(hits) == 1:
            lines.append(f"{hits[0][0]}: {hits[0][1]!r}")
        else:
            lines.append(f"{field}: {len(hits)} example values (e.g. {hits[0][1]!r})")
    return lines


def _walk(node: Any, where: str) -> Iterator[tuple[str, Any]]:
    """(path, mapping flagged ``example: true``) or (path, marked text), not descending into a flagged mapping."""
    if isinstance(node, dict):
        if node.get("example") is True:
            yield where, node
            return
        for key, value in node.items():
            yield from _walk(value, f"{where}.{key}" if where else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{where}[{index}]")
    elif isinstance(node, str) and is_example_text(node):
        yield where, node


def _name_of(where: str, node: dict[str, Any]) -> str:
    ident = node.get("id") or node.get("code") or node.get("email")
    return str(ident) if ident else where
