"""Structures (the missions locales), their lieux and the communes each one serves: the operator's, on the desk
(web/structures.py) or imported from the data files for the first set-up (flows/data/structures.py). The rest of
the agenda (motifs, agents, plages, absences) is in storage/structures.py, whose repository includes these
queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, delete, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UtcDateTime

# These tables say nothing about a young person (storage/erasure.py asks every table to say so).
REFERENCE = {"personal": False, "why": "the structures' own agenda data, from the operator's files"}


class Structure(Base):
    """A mission locale."""

    __tablename__ = "structures"
    __table_args__ = ({"info": REFERENCE},)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    example: Mapped[bool] = mapped_column(Boolean, default=False)
    opening_hours: Mapped[str] = mapped_column(Text, default="", server_default="")  # "du lundi au vendredi…"
    # A deactivated structure is offered to nobody; its appointments and requests keep pointing to it.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Set by an import or a desk edit; NULL: a mirror of the data file written before the database became the
    # source (migration 0014), which the next start imports once more.
    updated_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class StructureCommune(Base):
    """Which structure serves a commune (one at most): the ``structure`` of data/communes.yml, then the desk's."""

    __tablename__ = "structure_communes"
    __table_args__ = ({"info": REFERENCE},)

    insee: Mapped[str] = mapped_column(String(8), primary_key=True)
    structure_id: Mapped[str] = mapped_column(ForeignKey("structures.id"), index=True)


class Lieu(Base):
    """A place where a structure receives people."""

    __tablename__ = "lieux"
    __table_args__ = ({"info": REFERENCE},)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    structure_id: Mapped[str] = mapped_column(ForeignKey("structures.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    commune: Mapped[str] = mapped_column(String(8))  # INSEE code
    access: Mapped[str] = mapped_column(Text, default="")
    # A lieu taken off its structure is kept (appointments point to it) but offers nothing.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # the first is the main address


class PlacesQueries:
    """The statements about structures, lieux and served communes (a part of ``StructuresRepository``)."""

    session: AsyncSession

    # --- Structures, lieux and the communes they serve (the operator's: desk or import) ------------

    async def save_structure(self, structure_id: str, *, name: str, phone: str | None, email: str | None,
                             opening_hours: str, example: bool, now: dt.datetime) -> Structure:
        """Create or update a structure (an import, or the operator on the desk)."""
        row = await self.session.get(Structure, structure_id)
        if row is None:
            row = Structure(id=structure_id, active=True)
            self.session.add(row)
        row.name, row.phone, row.email, row.opening_hours, row.example = name, phone, email, opening_hours, example
        row.updated_at = now
        await self.session.flush()
        return row

    async def save_lieux(self, structure_id: str, lieux: Sequence[dict[str, str]]) -> None:
        """These lieux (``id``, ``name``, ``address``, ``commune``, ``access``), in this order, are the structure's
        active ones; its other lieux stop offering slots (their appointments keep them)."""
        wanted = [lieu["id"] for lieu in lieux]
        for position, values in enumerate(lieux):
            row = await self.session.get(Lieu, values["id"])
            if row is None:
                row = Lieu(id=values["id"])
                self.session.add(row)
            row.structure_id, row.name, row.address = structure_id, values["name"], values["address"]
            row.commune, row.access, row.active, row.position = values["commune"], values.get("access", ""), True, \
                position
        await self.session.execute(update(Lieu).where(Lieu.structure_id == structure_id, Lieu.id.not_in(wanted))
                                   .values(active=False))
        await self.session.flush()

    async def set_active(self, structure: Structure, active: bool, now: dt.datetime) -> None:
        structure.active, structure.updated_at = active, now
        await self.session.flush()

    async def structures_imported(self) -> bool:
        """Whether a structure was ever imported or edited since the database became their source."""
        return await self.session.scalar(select(Structure.id).where(Structure.updated_at.is_not(None)).limit(1)) \
            is not None

    async def structure(self, structure_id: str) -> Structure | None:
        return await self.session.get(Structure, structure_id)

    async def structures(self, *, active_only: bool = False) -> list[Structure]:
        query = select(Structure).order_by(Structure.id)
        if active_only:
            query = query.where(Structure.active.is_(True))
        return list(await self.session.scalars(query))

    async def lieu(self, lieu_id: str) -> Lieu | None:
        return await self.session.get(Lieu, lieu_id)

    async def lieux(self, structure_id: str | None = None) -> list[Lieu]:
        """Active lieux of active structures (of one structure, or all), in a stable order."""
        query = (select(Lieu).join(Structure, Structure.id == Lieu.structure_id)
                 .where(Lieu.active.is_(True), Structure.active.is_(True)))
        if structure_id is not None:
            query = query.where(Lieu.structure_id == structure_id)
        return list(await self.session.scalars(query.order_by(Lieu.structure_id, Lieu.position, Lieu.id)))

    async def all_lieux(self) -> list[Lieu]:
        """Every lieu, active or not, of every structure (the territory's snapshot, the operator's pages)."""
        return list(await self.session.scalars(select(Lieu).order_by(Lieu.structure_id, Lieu.position, Lieu.id)))

    async def served_communes(self) -> dict[str, str]:
        """INSEE code -> the structure serving that commune."""
        rows = await self.session.execute(select(StructureCommune.insee, StructureCommune.structure_id))
        return {insee: structure_id for insee, structure_id in rows}

    async def serve_communes(self, structure_id: str, insee_codes: Iterable[str], *, only_unserved: bool = False
                             ) -> list[str]:
        """The structure serves these communes (taken from the structure that served them, unless
        ``only_unserved``); returns the codes it now serves that it did not before."""
        served = await self.served_communes()
        gained = []
        for insee in dict.fromkeys(insee_codes):
            current = served.get(insee)
            if current == structure_id or (only_unserved and current is not None):
                continue
            if current is None:
                self.session.add(StructureCommune(insee=insee, structure_id=structure_id))
            else:
                await self.session.execute(update(StructureCommune).where(StructureCommune.insee == insee)
                                           .values(structure_id=structure_id))
            gained.append(insee)
        await self.session.flush()
        return gained

    async def references_to(self, structure_id: str) -> dict[str, int]:
        """What points to a structure besides its own lieux, motifs and communes, table by table (only those
        with rows): while anything does, it can be deactivated, not deleted."""
        own = {"lieux", "motifs", "structure_communes", "structures"}
        counts: dict[str, int] = {}
        for table in Base.metadata.sorted_tables:
            column = table.c.get("structure_id")
            if table.name in own or column is None:
                continue
            found = int(await self.session.scalar(select(func.count()).select_from(table).where(
                column == structure_id)) or 0)
            if found:
                counts[table.name] = found
        at_its_lieux = select(Lieu.id).where(Lieu.structure_id == structure_id)
        for table in Base.metadata.sorted_tables:
            column = table.c.get("lieu_id")
            if column is None or "structure_id" in table.c:
                continue  # a table with both was counted above
            found = int(await self.session.scalar(select(func.count()).select_from(table).where(
                column.in_(at_its_lieux))) or 0)
            if found:
                counts[table.name] = found
        return counts

    async def delete_structure(self, structure_id: str) -> None:
        """Delete a structure that nothing points to (``references_to`` is empty), with its lieux and motifs."""
        await self.session.execute(delete(StructureCommune).where(StructureCommune.structure_id == structure_id))
        motifs = Base.metadata.tables["motifs"]  # storage/structures.py's, which imports this module
        await self.session.execute(delete(motifs).where(motifs.c.structure_id == structure_id))
        await self.session.execute(delete(Lieu).where(Lieu.structure_id == structure_id))
        await self.session.execute(delete(Structure).where(Structure.id == structure_id))
