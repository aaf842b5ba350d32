"""What a structure's manager edits on the desk (web/availability.py): its opening hours (``plages_ouverture``)
and its absences and closures, read and removed within the structure only. The tables are storage/structures.py's;
imports and the bot's searches go through StructuresRepository."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.structures import Absence, Agent, PlageOuverture


class AvailabilityRepository:
    """Every statement of the desk's *Disponibilités*."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _agents_of(self, structure_id: str):  # type: ignore[no-untyped-def]  # a subquery
        return select(Agent.id).where(Agent.structure_id == structure_id)

    async def absences_of_structure(self, structure_id: str, since: dt.datetime) -> list[Absence]:
        """The structure's closures and its agents' absences not over yet."""
        return list(await self.session.scalars(
            select(Absence).where(or_(Absence.structure_id == structure_id,
                                      Absence.agent_id.in_(self._agents_of(structure_id))),
                                  Absence.ends_at > since).order_by(Absence.starts_at, Absence.id)
        ))

    async def remove_absence(self, absence_id: int, structure_id: str) -> bool:
        """Delete an absence of this structure (or of one of its agents); False if it is not one of them."""
        result = await self.session.execute(delete(Absence).where(
            Absence.id == absence_id,
            or_(Absence.structure_id == structure_id, Absence.agent_id.in_(self._agents_of(structure_id)))))
        return bool(result.rowcount)

    async def plages_of_structure(self, structure_id: str, agent_id: int | None = None) -> list[PlageOuverture]:
        """Every opening-hours rule of the structure's agents (of one of them)."""
        query = select(PlageOuverture).where(PlageOuverture.agent_id.in_(self._agents_of(structure_id)))
        if agent_id is not None:
            query = query.where(PlageOuverture.agent_id == agent_id)
        return list(await self.session.scalars(query.order_by(PlageOuverture.agent_id, PlageOuverture.first_day)))

    async def remove_plage(self, plage_id: int, structure_id: str) -> bool:
        """Delete an opening-hours rule of one of the structure's agents; False if it is not one of them."""
        result = await self.session.execute(delete(PlageOuverture).where(
            PlageOuverture.id == plage_id, PlageOuverture.agent_id.in_(self._agents_of(structure_id))))
        return bool(result.rowcount)
