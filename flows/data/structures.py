"""The missions locales as the database keeps them: imported once from the data files, then the operator's.

``data/missions_locales.yml`` and the ``structure`` of each commune in ``data/communes.yml`` are the first
set-up only: ``seed_structures`` imports them at start while no structure was ever imported (an empty
database, or one upgraded from when the file was mirrored at every start), and ``tremplin structures import``
on the operator's demand (idempotent by ``id``). After that, the desk's edits (web/structures.py) are the truth,
and no start overwrites them.

The conversation reads them through ``StructureDirectory``: a snapshot of the territory (the files' communes,
the database's structures, lieux and served communes), read again when it is older than ``REFRESH_SECONDS``.
So an edit on the desk reaches every worker within that delay without a query per message (three small
queries per worker per period), and at once in the process that made it (``expire``).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from flows.data.datafile import DataFileError, check_unique, load_entries
from flows.data.territory import Lieu, MissionLocale, Territory
from storage import UnitOfWork

# How long a worker keeps the structures it read: an operator's edit shows everywhere within this delay.
REFRESH_SECONDS = 30.0


@dataclass(frozen=True)
class StructuresImport:
    """What an import wrote."""

    structures: int
    lieux: int
    communes: int  # communes that had no structure and got the file's


class InvalidStructure(ValueError):
    """A structure that cannot be saved: the field (``lieux.1.address``, ``communes``), why in English, and the
    kind of problem (pydantic's error type, or ``twice``, ``other_structure``, ``unknown_commune``) with its
    limit, for the desk to say it in its own words."""

    def __init__(self, field: str, message: str, kind: str, limit: int | None = None) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message, self.kind, self.limit = field, message, kind, limit


def check_structure(raw: Mapping[str, Any], territory: Territory, *, lieu_owners: Mapping[str, str],
                    communes: Sequence[str] = ()) -> MissionLocale:
    """The same checks as the data file's (the model's fields, INSEE codes of the territory, lieu ids used once),
    and for an edit: no lieu id of another structure (``lieu_owners``: lieu id -> structure), known communes."""
    try:
        structure = MissionLocale.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        context = error.get("ctx") or {}
        kind = "missing" if error.get("input") in ("", None) else error["type"]  # a field left empty
        raise InvalidStructure(".".join(str(p) for p in error["loc"]) or "(entry)",
                               str(error["msg"]).removeprefix("Value error, "), kind,
                               context.get("min_length", context.get("max_length"))) from exc
    seen: set[str] = set()
    for index, lieu in enumerate(structure.lieux):
        if lieu.id in seen:
            raise InvalidStructure(f"lieux.{index}.id", f"'{lieu.id}' appears twice", "twice")
        seen.add(lieu.id)
        owner = lieu_owners.get(lieu.id)
        if owner is not None and owner != structure.id:
            raise InvalidStructure(f"lieux.{index}.id", f"'{lieu.id}' is a lieu of {owner}", "other_structure")
        if territory.commune(lieu.commune) is None:
            raise InvalidStructure(f"lieux.{index}.commune", f"'{lieu.commune}' is not an INSEE code of the territory",
                                   "unknown_commune")
    for insee in communes:
        if territory.commune(insee) is None:
            raise InvalidStructure("communes", f"'{insee}' is not an INSEE code of the territory", "unknown_commune")
    return structure


def read_structures_file(path: Path, files: Territory) -> Territory:
    """A file of structures (the format of data/missions_locales.yml, all of them or a few) checked against the
    communes: the files' territory with these structures (each commune's ``structure`` from data/communes.yml)."""
    structures = load_entries(path, "structures", MissionLocale)
    check_unique(path, structures, "id")
    check_unique(path, [lieu for s in structures for lieu in s.lieux], "id")
    for index, structure in enumerate(structures):
        for lieu in structure.lieux:
            if files.commune(lieu.commune) is None:
                raise DataFileError(f"{path}: entry {index + 1} ({structure.id}): lieux.{lieu.id}.commune: "
                                    f"'{lieu.commune}' is not an INSEE code of the communes' file")
    return Territory(communes=files.communes, structures=tuple(structures))


async def save_structure(uow: UnitOfWork, structure: MissionLocale, now: dt.datetime) -> None:
    """Write a checked structure and its lieux (its other lieux stop offering slots; their appointments stay)."""
    await uow.structures.save_structure(structure.id, name=structure.name, phone=structure.phone,
                                        email=structure.email, opening_hours=structure.opening_hours,
                                        example=structure.example, now=now)
    await uow.structures.save_lieux(structure.id, [lieu.model_dump() for lieu in structure.lieux])


async def import_structures(uow: UnitOfWork, files: Territory, now: dt.datetime) -> StructuresImport:
    """Write the file's structures and lieux (by id: twice changes nothing), and give each commune without a
    structure the one data/communes.yml names; a commune the desk gave to a structure keeps it."""
    await uow.structures.lock_for_sync()
    owners = {lieu.id: lieu.structure_id for lieu in await uow.structures.all_lieux()}
    for structure in files.structures:
        for lieu in structure.lieux:
            if owners.get(lieu.id, structure.id) != structure.id:
                raise DataFileError(f"structure {structure.id}: lieux.{lieu.id}: this lieu id belongs to "
                                    f"{owners[lieu.id]} in the database")
    communes = 0
    for structure in files.structures:
        await save_structure(uow, structure, now)
    for structure in files.structures:
        communes += len(await uow.structures.serve_communes(
            structure.id, [c.insee for c in files.served_by(structure.id)], only_unserved=True))
    return StructuresImport(len(files.structures), sum(len(s.lieux) for s in files.structures), communes)


async def seed_structures(uow: UnitOfWork, files: Territory, now: dt.datetime) -> StructuresImport | None:
    """At start: import the data files while no structure was ever imported; never again after that."""
    await uow.structures.lock_for_sync()
    if await uow.structures.structures_imported():
        return None
    return await import_structures(uow, files, now)


async def read_territory(uow: UnitOfWork, files: Territory) -> Territory:
    """The files' communes with the database's structures (active or not, each with its active lieux in order)
    and the structure serving each commune."""
    rows = await uow.structures.structures()
    lieux: dict[str, list[Lieu]] = {}
    for lieu in await uow.structures.all_lieux():
        if lieu.active:
            lieux.setdefault(lieu.structure_id, []).append(Lieu.model_construct(
                id=lieu.id, name=lieu.name, address=lieu.address, commune=lieu.commune, access=lieu.access or ""))
    served = await uow.structures.served_communes()
    # Built without validation: what the database holds was checked when written, and a row written before the
    # checks (an old mirror) must not stop the conversation.
    structures = tuple(MissionLocale.model_construct(
        id=row.id, name=row.name, example=bool(row.example), to_verify=[], phone=row.phone or "",
        email=row.email or "", opening_hours=row.opening_hours or "", lieux=lieux.get(row.id, []),
        active=bool(row.active)) for row in rows)
    communes = tuple(c.model_copy(update={"structure": served.get(c.insee)}) for c in files.communes)
    return Territory(communes=communes, structures=structures)


class StructureDirectory:
    """The database's territory for one process, read again once ``ttl`` seconds have passed."""

    def __init__(self, files: Territory, *, ttl: float = REFRESH_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.files = files  # the communes (the official geography stays a data file)
        self.ttl = ttl
        self.monotonic = monotonic
        self.expires_at = -math.inf
        self.snapshot: Territory | None = None  # the last read, shared by every world using this directory
        self.reads = 0  # how many times the database was read (the tests count them)

    def expire(self) -> None:
        """Read the database at the next turn (this process just changed a structure)."""
        self.expires_at = -math.inf

    async def current(self, uow: UnitOfWork) -> Territory:
        """The last snapshot while it is fresh, else a new one from the database."""
        if self.snapshot is not None and self.monotonic() < self.expires_at:
            return self.snapshot
        self.snapshot = await read_territory(uow, self.files)
        self.reads += 1
        self.expires_at = self.monotonic() + self.ttl
        return self.snapshot
