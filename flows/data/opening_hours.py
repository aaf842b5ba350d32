"""The operator's agenda files: motifs, agents, plages d'ouverture and absences, from YAML or CSV.

``data/opening_hours.yml`` seeds a new database (examples for the sample missions locales, so that
booking works out of the box); ``tremplin slots import FILE`` loads the real ones. Both go through
``import_agenda``: every entry is validated first, and the first problem stops everything with an
error naming the file, the line and the field. Entries carry the operator's ``id``, so importing the
same file twice changes nothing, and changing a line changes that plage only.

YAML (see data/opening_hours.yml)::

    motifs:   [{code, name, duration_minutes, min_delay_hours, max_delay_days, location_type,
                collective, seats, structures}]
    agents:   [{email, structure, name}]
    plages:   [{id, agent, lieu, motifs, first_day, start_time, end_time, rrule, title}]
    absences: [{id, agent | structure, first_day, end_day, start_time, end_time, title}]

CSV: plages and absences only (agents and motifs already known), one per line, with the columns
``type`` (plage | absence), ``id``, ``agent``, ``structure``, ``lieu``, ``motifs`` (codes separated by
``|`` or spaces), ``first_day``, ``end_day``, ``start_time``, ``end_time``, ``rrule``, ``title``.
Times are local (Europe/Paris) wall-clock times, ``HH:MM``; days are ``YYYY-MM-DD``.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from flows.data.datafile import DataFileError
from flows.data.structures import seed_structures
from flows.data.territory import Territory
from flows.rules.settings import clock_time
from flows.rules.slots import RRuleError, normalise_rrule
from storage.db import UnitOfWork

ID = r"^[a-z0-9][a-z0-9-]*$"
KINDS = ("motifs", "agents", "plages", "absences")
CSV_COLUMNS = ("type", "id", "agent", "structure", "lieu", "motifs", "first_day", "end_day", "start_time",
               "end_time", "rrule", "title")


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MotifEntry(_Entry):
    """A motif, created in each structure listed (all of them when ``structures`` is absent)."""

    code: str = Field(pattern=ID, max_length=64)
    name: str = Field(min_length=2, max_length=120)
    duration_minutes: int = Field(ge=5, le=480)
    min_delay_hours: float = Field(24, ge=0)
    max_delay_days: int = Field(42, ge=1, le=365)
    location_type: Literal["public_office", "phone", "visio"] = "public_office"
    collective: bool = False
    seats: int | None = Field(None, ge=1, le=500)
    bookable_publicly: bool = True
    structures: list[str] | None = None

    @model_validator(mode="after")
    def _seats_for_collective(self) -> MotifEntry:
        if self.collective and self.seats is None:
            raise ValueError("seats: a collective motif needs a number of seats")
        if not self.collective and self.seats is not None:
            raise ValueError("seats: only a collective motif has seats")
        return self


class AgentEntry(_Entry):
    """An advisor, known by their work e-mail."""

    email: str = Field(max_length=254)
    structure: str
    name: str = Field(min_length=1, max_length=120)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if "@" not in value or " " in value.strip():
            raise ValueError("expected an e-mail address")
        return value.strip().lower()


def _time(value: Any) -> Any:
    return None if value in (None, "") else clock_time(value)


class PlageEntry(_Entry):
    """When an agent receives at a lieu, for some motifs."""

    id: str = Field(pattern=ID, max_length=64)
    agent: str
    lieu: str
    motifs: list[str] = Field(min_length=1)
    first_day: dt.date
    start_time: dt.time
    end_time: dt.time
    rrule: str | None = None
    title: str = Field("", max_length=120)

    _times = field_validator("start_time", "end_time", mode="before")(_time)

    @field_validator("motifs", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return value.replace("|", " ").split() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _coherent(self) -> PlageEntry:
        if self.start_time >= self.end_time:
            raise ValueError("end_time: must be after start_time")
        if self.rrule:
            try:
                normalise_rrule(self.rrule, self.first_day)
            except RRuleError as exc:
                raise ValueError(f"rrule: {exc}") from exc
        return self

    def stored_rule(self) -> tuple[str | None, dt.date]:
        """The RRULE as stored, and the plage's last day."""
        if not self.rrule:
            return None, self.first_day
        return normalise_rrule(self.rrule, self.first_day)


class AbsenceEntry(_Entry):
    """An agent away, or a whole structure closed, from first_day start_time to end_day end_time."""

    id: str = Field(pattern=ID, max_length=64)
    agent: str | None = None
    structure: str | None = None
    first_day: dt.date
    end_day: dt.date | None = None
    start_time: dt.time | None = None  # default: from the start of first_day
    end_time: dt.time | None = None  # default: to the end of end_day
    title: str = Field("", max_length=120)

    _times = field_validator("start_time", "end_time", mode="before")(_time)

    @model_validator(mode="after")
    def _coherent(self) -> AbsenceEntry:
        if (self.agent is None) == (self.structure is None):
            raise ValueError("agent: give either an agent or a structure (a closure), not both")
        if self.end_day is not None and self.end_day < self.first_day:
            raise ValueError("end_day: must not be before first_day")
        return self

    def period(self, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        """Start and end, aware, in UTC."""
        last = self.end_day or self.first_day
        starts_at = dt.datetime.combine(self.first_day, self.start_time or dt.time(0), tzinfo=tz)
        if self.end_time is None:
            ends_at = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
        else:
            ends_at = dt.datetime.combine(last, self.end_time, tzinfo=tz)
        return starts_at.astimezone(dt.UTC), ends_at.astimezone(dt.UTC)


MODELS: dict[str, type[_Entry]] = {
    "motifs": MotifEntry, "agents": AgentEntry, "plages": PlageEntry, "absences": AbsenceEntry,
}


@dataclass
class AgendaFile:
    """The validated entries of one file, each with the line it starts on."""

    path: Path
    motifs: list[tuple[int, MotifEntry]] = field(default_factory=list)
    agents: list[tuple[int, AgentEntry]] = field(default_factory=list)
    plages: list[tuple[int, PlageEntry]] = field(default_factory=list)
    absences: list[tuple[int, AbsenceEntry]] = field(default_factory=list)


@dataclass(frozen=True)
class ImportReport:
    """How many entries of each kind an import wrote."""

    motifs: int = 0
    agents: int = 0
    plages: int = 0
    absences: int = 0
    pruned_plages: int = 0
    pruned_absences: int = 0

    def __str__(self) -> str:
        text = (f"{self.motifs} motif(s), {self.agents} agent(s), {self.plages} plage(s) d'ouverture, "
                f"{self.absences} absence(s)")
        if self.pruned_plages or self.pruned_absences:
            text += f"; removed {self.pruned_plages} plage(s) and {self.pruned_absences} absence(s) not in the file"
        return text


# --- Reading ------------------------------------------------------------------------------------


def _problem(path: Path, line: int, kind: str, raw: Any, field_name: str, message: str) -> DataFileError:
    ident = raw.get("id") or raw.get("email") or raw.get("code") if isinstance(raw, dict) else None
    named = f" ({kind[:-1]} {ident})" if ident else f" ({kind[:-1]})"
    return DataFileError(f"{path}: line {line}{named}: {field_name}: {message}")


def _validate(path: Path, kind: str, line: int, raw: Any) -> _Entry:
    try:
        return MODELS[kind].model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        message = str(error["msg"]).removeprefix("Value error, ")
        field_name = ".".join(str(p) for p in error["loc"])
        if not field_name and ": " in message:  # a rule across fields names its field itself
            field_name, message = message.split(": ", 1)
        raise _problem(path, line, kind, raw, field_name or "(entry)", message) from exc


def read_agenda_file(path: Path) -> AgendaFile:
    """Read and validate a YAML or CSV agenda file (by its extension)."""
    suffix = path.suffix.lower()
    if suffix in (".yml", ".yaml"):
        return _read_yaml(path)
    if suffix == ".csv":
        return _read_csv(path)
    raise DataFileError(f"{path}: expected a .yml, .yaml or .csv file")


def _read_yaml(path: Path) -> AgendaFile:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DataFileError(f"{path}: file not found") from exc
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DataFileError(f"{path}: not valid YAML{f' at line {mark.line + 1}' if mark else ''}") from exc
    if not isinstance(document, dict) or not isinstance(root, yaml.MappingNode):
        raise DataFileError(f"{path}: expected the keys {', '.join(KINDS)}")
    result = AgendaFile(path)
    for key_node, value_node in root.value:
        key = key_node.value
        line = key_node.start_mark.line + 1
        if key == "source":
            continue
        if key not in KINDS:
            raise DataFileError(f"{path}: line {line}: {key}: unknown key (expected {', '.join(KINDS)}, source)")
        entries = document.get(key) or []
        if not isinstance(entries, list) or not isinstance(value_node, yaml.SequenceNode | yaml.ScalarNode):
            raise DataFileError(f"{path}: line {line}: {key}: expected a list")
        lines = [n.start_mark.line + 1 for n in value_node.value] if isinstance(value_node, yaml.SequenceNode) else []
        target = getattr(result, key)
        for raw, entry_line in zip(entries, lines, strict=True):
            target.append((entry_line, _validate(path, key, entry_line, raw)))
    _check_unique(result)
    return result


def _read_csv(path: Path) -> AgendaFile:
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError as exc:
        raise DataFileError(f"{path}: file not found") from exc
    result = AgendaFile(path)
    with handle:
        sample = handle.read(4096)
        handle.seek(0)
        delimiter = ";" if sample.count(";") > sample.count(",") and "FREQ=" not in sample else ","
        reader = csv.DictReader(handle, delimiter=delimiter)
        unknown = [c for c in reader.fieldnames or [] if c and c.strip() not in CSV_COLUMNS]
        if not reader.fieldnames or "type" not in reader.fieldnames:
            raise DataFileError(f"{path}: line 1: type: expected a header with the columns {', '.join(CSV_COLUMNS)}")
        if unknown:
            raise DataFileError(f"{path}: line 1: {unknown[0]}: unknown column (expected {', '.join(CSV_COLUMNS)})")
        for row in reader:
            line = reader.line_num
            values = {k.strip(): v.strip() for k, v in row.items() if k and v is not None and v.strip()}
            if not values:
                continue
            kind = values.pop("type", "")
            if kind not in ("plage", "absence"):
                raise DataFileError(f"{path}: line {line}: type: expected plage or absence, not {kind!r}")
            allowed = PlageEntry.model_fields if kind == "plage" else AbsenceEntry.model_fields
            extra = [k for k in values if k not in allowed]
            if extra:
                raise DataFileError(f"{path}: line {line} ({kind} {values.get('id', '?')}): {extra[0]}: "
                                    f"not a column of a {kind}")
            key = f"{kind}s"
            getattr(result, key).append((line, _validate(path, key, line, values)))
    _check_unique(result)
    return result


def _check_unique(agenda: AgendaFile) -> None:
    for kind, attribute in (("plages", "id"), ("absences", "id"), ("agents", "email"), ("motifs", "code")):
        seen: dict[str, int] = {}
        for line, entry in getattr(agenda, kind):
            value = getattr(entry, attribute)
            if value in seen:
                raise DataFileError(
                    f"{agenda.path}: line {line}: {attribute}: '{value}' already used line {seen[value]}"
                )
            seen[value] = line


# --- Writing ------------------------------------------------------------------------------------


async def import_agenda(uow: UnitOfWork, agenda: AgendaFile, tz: ZoneInfo, *, prune: bool = False) -> ImportReport:
    """Write a validated file's entries (structures and lieux must already be synced).

    References are checked against the database and the file together; the first unknown one raises
    DataFileError naming the line and the field. With ``prune``, the plages of the structures the file
    has plages for, and the absences of those it has absences for, are deleted when the file does not
    list them any more.
    """
    path = agenda.path
    structures = {s.id for s in await uow.structures.structures()}
    motifs = agents = plages = absences = 0
    for line, motif in agenda.motifs:
        targets = motif.structures if motif.structures is not None else sorted(structures)
        for position, structure_id in enumerate(targets):
            if structure_id not in structures:
                raise DataFileError(f"{path}: line {line} (motif {motif.code}): structures.{position}: "
                                    f"'{structure_id}' is not a structure (tremplin structures list)")
        for structure_id in targets:
            await uow.structures.upsert_motif(
                structure_id, motif.code, name=motif.name, duration_minutes=motif.duration_minutes,
                min_booking_delay_minutes=round(motif.min_delay_hours * 60),
                max_booking_delay_minutes=motif.max_delay_days * 24 * 60,
                location_type=motif.location_type,
                collective=motif.collective, max_participants=motif.seats,
                bookable_publicly=motif.bookable_publicly, position=line, active=True,
            )
            motifs += 1
    for line, agent in agenda.agents:
        if agent.structure not in structures:
            raise DataFileError(f"{path}: line {line} (agent {agent.email}): structure: "
                                f"'{agent.structure}' is not a structure (tremplin structures list)")
        await uow.structures.upsert_agent(structure_id=agent.structure, display_name=agent.name, email=agent.email)
        agents += 1
    with_plages: set[str] = set()
    with_absences: set[str] = set()
    for line, plage in agenda.plages:
        where = f"{path}: line {line} (plage {plage.id})"
        found = await uow.structures.agent_by_email(plage.agent)
        if found is None:
            raise DataFileError(f"{where}: agent: '{plage.agent}' is not a known agent (add it under agents)")
        lieu = await uow.structures.lieu(plage.lieu)
        if lieu is None or not lieu.active:
            raise DataFileError(f"{where}: lieu: '{plage.lieu}' is not a lieu in use (tremplin structures list)")
        if lieu.structure_id != found.structure_id:
            raise DataFileError(f"{where}: lieu: '{plage.lieu}' belongs to {lieu.structure_id}, "
                                f"not to the agent's structure {found.structure_id}")
        motif_ids = []
        for position, code in enumerate(plage.motifs):
            motif_row = await uow.structures.motif_by_code(found.structure_id, code)
            if motif_row is None:
                raise DataFileError(f"{where}: motifs.{position}: '{code}' is not a motif of {found.structure_id}")
            motif_ids.append(motif_row.id)
        rule, last_day = plage.stored_rule()
        await uow.structures.upsert_plage(
            plage.id, agent_id=found.id, lieu_id=lieu.id, motif_ids=motif_ids, first_day=plage.first_day,
            start_time=plage.start_time, end_time=plage.end_time, rrule=rule, last_day=last_day, title=plage.title,
        )
        with_plages.add(found.structure_id)
        plages += 1
    for line, absence in agenda.absences:
        where = f"{path}: line {line} (absence {absence.id})"
        agent_id = structure_id = None
        if absence.agent is not None:
            found = await uow.structures.agent_by_email(absence.agent)
            if found is None:
                raise DataFileError(f"{where}: agent: '{absence.agent}' is not a known agent")
            agent_id = found.id
            with_absences.add(found.structure_id)
        else:
            if absence.structure not in structures:
                raise DataFileError(f"{where}: structure: '{absence.structure}' is not a structure "
                                    "(tremplin structures list)")
            structure_id = absence.structure
            with_absences.add(absence.structure or "")
        starts_at, ends_at = absence.period(tz)
        if ends_at <= starts_at:
            raise DataFileError(f"{where}: end_time: must be after the start")
        await uow.structures.upsert_absence(absence.id, agent_id=agent_id, structure_id=structure_id,
                                            starts_at=starts_at, ends_at=ends_at, title=absence.title)
        absences += 1
    pruned = (0, 0)
    if prune:
        pruned = await uow.structures.prune(
            plage_structures=sorted(with_plages), keep_plages=[p.id for _, p in agenda.plages],
            absence_structures=sorted(with_absences), keep_absences=[a.id for _, a in agenda.absences],
        )
    return ImportReport(motifs, agents, plages, absences, *pruned)


async def seed_agenda(uow: UnitOfWork, territory: Territory, path: Path, tz: ZoneInfo, *,
                      now: dt.datetime | None = None) -> ImportReport | None:
    """At start: the structures of the data files while none was ever imported (flows/data/structures.py), and
    the seed agenda if there is none yet.

    Idempotent: once the database has agents or plages (seeded, imported, or added by the advisors'
    commands), the seed file is never read again; nor are the structures' files once imported.
    """
    await seed_structures(uow, territory, now or dt.datetime.now(dt.UTC))
    if await uow.structures.count_agents() or await uow.structures.count_plages():
        return None
    if not path.exists():
        return None
    return await import_agenda(uow, read_agenda_file(path), tz)

