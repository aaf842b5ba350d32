"""Everything held about one person, across every table, found generically: export and erasure.

Which tables hold personal data is not a list kept by hand. A table is about a person when it has a
*person column*: a column called ``person_id``, or any foreign key to ``people.id``. Every such table of
``storage.models.metadata`` is exported (``export``: every row) and erased (right to erasure, retention),
and so is the ``people`` row itself. The right of access (``access``) adds the names of places and advisors;
what the person is shown of it, their own data only, is chosen in ``flows.privacy.access``. A capability
that adds a table with personal data only has to give it a ``person_id`` column;
``tests/storage/test_erasure.py`` fails for any table that is neither about a person nor declared
impersonal, so nothing new slips through.

What happens to a person's rows on erasure, table by table:

- **deleted** (the default, every table today): the rows go.
- **anonymised** (``ANONYMISED`` below): the rows stay as anonymous statistics, person columns set to
  NULL and the listed columns cleared. The list is empty on purpose: a row-level record (an
  appointment's day, hour and place...) can point back to someone even without a name. Anonymous
  figures are kept as daily counters instead (``storage.stats``), and the report's figures as pseudonymous events
  whose only link to the person (``people.report_key``) goes with them (``storage.report_events``). Adding a
  table here is a decision to write down in docs/privacy.md, with the columns that must be cleared.
- **not personal** (``NOT_PERSONAL`` below, or ``__table_args__ = {"info": {"personal": False, "why": ...}}``
  in the model): catalogues, counters. They must hold nothing about anyone.

``find_traces`` reads the database as it really is (tables reflected, not taken from the models) and
looks for a person's ids and first name everywhere, decrypting encrypted values on the way: the tests
and ``tremplin data erase`` use it to show that nothing is left.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import decimal
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, MetaData, Table, delete, inspect, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from storage import crypto
from storage.base import mark_erased
from storage.crypto import EncryptedJSON, EncryptedText
from storage.models import metadata as MODELS

PEOPLE = "people"
PERSON_COLUMN = "person_id"

# Tables whose rows outlive the person as anonymous statistics: table -> columns cleared besides the
# person columns (which must be nullable). Every entry is explained in docs/privacy.md.
ANONYMISED: dict[str, tuple[str, ...]] = {
    # The structure's agenda keeps the freed or past place (day, hour, agent, motif, status) for its
    # own figures (no-show rate, occupancy), with no link to the person.
    "appointments": (),
    # The history of those places. Its ``note`` is written by the code only (never the person's words,
    # see storage/appointments.py), e.g. "données effacées : conseillers prévenus": it stays.
    "appointment_history": (),
}

# Tables that hold nothing about a young person, and why (models can also say so in ``info``).
# Empty: the booking tables (structures, lieux, motifs, agents, plages, absences) declare it in their models.
NOT_PERSONAL: dict[str, str] = {}

DELETED, ANONYMISED_KIND, THE_PERSON, IMPERSONAL, UNCOVERED = (
    "deleted", "anonymised", "the person", "not personal", "UNCOVERED",
)


# --- Which tables are about a person ------------------------------------------------------------


def person_columns(table: Table) -> list[Column[Any]]:
    """The columns of ``table`` that point at a person (``person_id``, or a foreign key to people.id)."""
    found = []
    for column in table.columns:
        points_at_people = any(fk.column.table.name == PEOPLE and fk.column.name == "id" for fk in column.foreign_keys)
        if column.name == PERSON_COLUMN or points_at_people:
            found.append(column)
    return found


def personal_tables(metadata: MetaData = MODELS) -> list[Table]:
    """Every table with a person column, dependents first (so that deleting in this order never
    trips a foreign key), ``people`` excluded."""
    return [t for t in reversed(metadata.sorted_tables) if t.name != PEOPLE and person_columns(t)]


def classify(table: Table, anonymised: dict[str, tuple[str, ...]] | None = None) -> str:
    """What erasure does with ``table``: deleted, anonymised, the person, not personal, or UNCOVERED."""
    anonymised = ANONYMISED if anonymised is None else anonymised
    if table.name == PEOPLE:
        return THE_PERSON
    if person_columns(table):
        return ANONYMISED_KIND if table.name in anonymised else DELETED
    if table.name in NOT_PERSONAL or table.info.get("personal") is False:
        return IMPERSONAL
    return UNCOVERED


def coverage(metadata: MetaData = MODELS) -> dict[str, str]:
    """Every table of the models and what erasure does with it."""
    return {table.name: classify(table) for table in metadata.sorted_tables}


def encrypted_columns(metadata: MetaData = MODELS) -> list[tuple[Table, Column[Any]]]:
    """Every column stored encrypted (``EncryptedText`` / ``EncryptedJSON``), in every table."""
    return [
        (table, column)
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, EncryptedText | EncryptedJSON)
    ]


def _about(table: Table, person_id: int) -> Any:
    return or_(*(column == person_id for column in person_columns(table)))


# --- Export and erasure -------------------------------------------------------------------------


class PersonalDataRepository:
    """Every statement that reads or erases all of a person's data at once."""

    def __init__(self, session: AsyncSession, metadata: MetaData = MODELS) -> None:
        self.session = session
        self.metadata = metadata

    async def export(self, person_id: int) -> dict[str, Any] | None:
        """Everything held about the person, decrypted, as plain JSON values; None if unknown.

        ``{"person": {...the people row...}, "tables": {"message_log": [...], ...}}`` with every
        table about a person listed, even when empty, so that the reader sees what could be held.
        """
        await self.session.flush()
        people = self.metadata.tables[PEOPLE]
        row = (await self.session.execute(select(people).where(people.c.id == person_id))).mappings().first()
        if row is None:
            return None
        tables: dict[str, list[dict[str, Any]]] = {}
        for table in sorted(personal_tables(self.metadata), key=lambda t: t.name):
            query = select(table).where(_about(table, person_id)).order_by(*table.primary_key.columns)
            rows = (await self.session.execute(query)).mappings().all()
            tables[table.name] = [plain(dict(r)) for r in rows]
        return {"person": plain(dict(row)), "tables": tables}

    async def access(self, person_id: int) -> dict[str, Any] | None:
        """``export`` plus the names the person's own view needs (right of access, /mes_donnees).

        ``{"person": ..., "tables": ..., "names": {"structures": {id: name}, "lieux": {id: {name, address}},
        "motifs": {id: name}, "agents": {id: display_name}}}``: only the structures, places and motifs of
        the person's appointments and hand-offs, and only the display name of the advisors who answered
        them (never an advisor's Telegram id or e-mail). What the person sees is chosen in flows.privacy.
        """
        exported = await self.export(person_id)
        if exported is None:
            return None
        tables = exported["tables"]
        appointments, handoffs = tables.get("appointments", []), tables.get("handoffs", [])
        relays = [m for m in tables.get("handoff_messages", []) if m.get("text")]
        wanted: dict[str, tuple[set[Any], tuple[str, ...]]] = {
            "structures": ({r["structure_id"] for r in [*appointments, *handoffs]}, ("name",)),
            "lieux": ({r["lieu_id"] for r in appointments}, ("name", "address")),
            "motifs": ({r["motif_id"] for r in appointments}, ("name",)),
            "agents": ({r["agent_id"] for r in relays}, ("display_name",)),
        }
        names: dict[str, dict[Any, Any]] = {}
        for name, (ids, columns) in wanted.items():
            table = self.metadata.tables[name]
            ids.discard(None)
            query = select(table.c.id, *(table.c[c] for c in columns)).where(table.c.id.in_(ids))
            rows = (await self.session.execute(query)).mappings().all() if ids else []
            names[name] = {r["id"]: (r[columns[0]] if len(columns) == 1 else {c: r[c] for c in columns}) for r in rows}
        return {**exported, "names": names}

    async def erase(self, person_id: int, *, anonymised: dict[str, tuple[str, ...]] | None = None) -> dict[str, int]:
        """Delete (or anonymise) every row about the person, then the person; rows touched per table.

        Runs inside the caller's transaction, so an erasure is all or nothing. The ORM objects of the
        person still held by the session are forgotten, so that nothing writes them back.
        """
        anonymised = ANONYMISED if anonymised is None else anonymised
        await self.session.flush()
        counts: dict[str, int] = {}
        for table in personal_tables(self.metadata):
            condition = _about(table, person_id)
            if table.name in anonymised:
                cleared = {c.name: None for c in person_columns(table)} | dict.fromkeys(anonymised[table.name])
                result = await self.session.execute(update(table).where(condition).values(cleared))
            else:
                result = await self.session.execute(delete(table).where(condition))
            counts[table.name] = result.rowcount or 0
        people = self.metadata.tables[PEOPLE]
        result = await self.session.execute(delete(people).where(people.c.id == person_id))
        counts[PEOPLE] = result.rowcount or 0
        self._forget(person_id)
        mark_erased(self.session)
        return counts

    def _forget(self, person_id: int) -> None:
        """Detach the erased person's objects: a later flush must not update rows that are gone."""
        for instance in list(self.session.identity_map.values()):
            mapper = inspect(instance).mapper
            table = mapper.local_table
            if not isinstance(table, Table):
                continue
            columns = [c for c in table.columns if c.name == "id"] if table.name == PEOPLE else person_columns(table)
            for column in columns:
                if getattr(instance, mapper.get_property_by_column(column).key, None) == person_id:
                    self.session.expunge(instance)
                    break

    async def inactive(self, before: dt.datetime, limit: int = 500) -> list[int]:
        """People whose last contact is older than ``before``, longest silent first (retention)."""
        people = self.metadata.tables[PEOPLE]
        query = select(people.c.id).where(people.c.last_seen_at < before).order_by(people.c.last_seen_at).limit(limit)
        return list(await self.session.scalars(query))


def plain(value: Any) -> Any:
    """A stored value as JSON: dates in ISO 8601, files not copied again (an earlier export, an .ics)."""
    if isinstance(value, dict):
        return {k: ("[fichier, non recopié]" if k == "content_b64" else plain(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


# --- Looking for what is left -------------------------------------------------------------------


@dataclass(frozen=True)
class Trace:
    """Something found about a person: where, and what (never the value itself)."""

    table: str
    column: str
    found: str  # "person id", "text: <which needle>", "unreadable encrypted value"
    # False in tables declared impersonal (advisors, structures): a match there is most likely someone
    # else with the same first name, to check by hand rather than to erase.
    about_people: bool = True


@dataclass(frozen=True)
class ScanReport:
    """What ``find_traces`` read and found."""

    tables: int
    columns: int
    values: int
    decrypted: int
    traces: list[Trace]


def _reflect(connection: Connection) -> list[tuple[str, list[str], set[str]]]:
    inspector = inspect(connection)
    found = []
    for name in sorted(inspector.get_table_names()):
        columns = [c["name"] for c in inspector.get_columns(name)]
        id_columns = {c for c in columns if c == PERSON_COLUMN or c.endswith("_" + PERSON_COLUMN)}
        for fk in inspector.get_foreign_keys(name):
            if fk["referred_table"] == PEOPLE and fk["referred_columns"] == ["id"]:
                id_columns.update(fk["constrained_columns"])
        if name == PEOPLE:
            id_columns.add("id")
        found.append((name, columns, id_columns))
    return found


def _readable(value: Any) -> tuple[str, bool, bool]:
    """The value as searchable text; whether it was decrypted; whether it could not be."""
    decrypted = unreadable = False
    if isinstance(value, str) and value.startswith("gAAAAA"):
        try:
            value = crypto.decrypt(value)
            decrypted = True
        except crypto.DataKeyError:
            unreadable = True
    if isinstance(value, str) and value.startswith(("[", "{")):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    if isinstance(value, dict | list):
        value = json.dumps(_unpack_files(value), ensure_ascii=False, default=str)
    return str(value), decrypted, unreadable


def _unpack_files(value: Any) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "content_b64" and isinstance(item, str):
                out[key] = base64.b64decode(item).decode("utf-8", "replace")
            else:
                out[key] = _unpack_files(item)
        return out
    if isinstance(value, list):
        return [_unpack_files(v) for v in value]
    return value


async def find_traces(session: AsyncSession, *, person_id: int | None, texts: Iterable[str]) -> ScanReport:
    """Read every column of every table of the database and report where the person still appears.

    ``person_id`` is looked for in the columns that hold person ids (``person_id``, ``*_person_id``,
    foreign keys to people.id, people.id); ``texts`` (Telegram id, chat id, first name...) in every
    value, case-insensitively, after decrypting Fernet tokens, parsing JSON and decoding attached
    files. A value that no configured key can decrypt is reported too: it cannot be vouched for.
    """
    needles = [(t, t.casefold()) for t in texts if t]
    schema = await (await session.connection()).run_sync(_reflect)
    traces: list[Trace] = []
    columns = values = decrypted = 0
    reflected = MetaData()
    for name, column_names, id_columns in schema:
        model = MODELS.tables.get(name)
        about_people = model is None or classify(model) != IMPERSONAL
        table = Table(name, reflected, *(Column(c) for c in column_names))
        columns += len(column_names)
        for row in (await session.execute(select(table))).all():
            for column, value in zip(column_names, row, strict=True):
                if value is None:
                    continue
                values += 1
                if column in id_columns and person_id is not None and str(value) == str(person_id):
                    traces.append(Trace(name, column, "person id", about_people))
                text, was_decrypted, unreadable = _readable(value)
                decrypted += was_decrypted
                if unreadable:
                    traces.append(Trace(name, column, "unreadable encrypted value", about_people))
                folded = text.casefold()
                traces.extend(
                    Trace(name, column, f"text: {shown}", about_people) for shown, n in needles if n in folded
                )
    return ScanReport(tables=len(schema), columns=columns, values=values, decrypted=decrypted, traces=traces)
