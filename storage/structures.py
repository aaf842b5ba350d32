"""The agenda side of the missions locales, in RDV-Service-Public's words.

- ``structures``: the missions locales (an *organisation* in RDV-Service-Public);
- ``lieux``: where a structure receives people (address, how to get there);
- ``motifs``: why one comes (premier accueil, suivi, atelier collectif): duration, booking delays,
  in person / phone / visio, collective with a number of seats;
- ``agents``: the staff; ``telegram_id`` and ``email`` are each unique when set (``tremplin advisors add``);
- ``plages_ouverture``: when an agent receives, at a lieu, for some motifs, repeated by an RFC 5545
  RRULE with an end date (``last_day`` is that end, kept as a column for queries);
- ``absences``: an agent away, or a whole structure closed.

Structures, their lieux and the communes each one serves (``structure_communes``, storage/places.py): the operator
edits them on the desk (web/structures.py); ``data/missions_locales.yml`` and the ``structure`` of
``data/communes.yml`` are only imported for the first set-up (at start, while no structure was ever imported)
or by ``tremplin structures import`` (flows/data/structures.py). Motifs, agents, plages and absences come from
``data/opening_hours.yml``, ``tremplin slots import`` or the desk (absences). Rows carry a ``ref`` (a
structure's or a lieu's ``id``) so that importing the same file twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    bindparam,
    delete,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.base import Base, UtcDateTime, utcnow

# Structures and lieux are defined with their queries (storage/places.py) and imported from here as before.
from storage.places import REFERENCE, Lieu, PlacesQueries, Structure, StructureCommune  # noqa: F401

# These tables say nothing about a young person (storage/erasure.py asks every table to say so).
STAFF = {"personal": False, "why": "advisors' work contact and agenda, managed by the operator; no young person"}

# Where a motif takes place (RDV-Service-Public's ``location_type``).
PUBLIC_OFFICE, PHONE, VISIO = "public_office", "phone", "visio"
LOCATION_TYPES = (PUBLIC_OFFICE, PHONE, VISIO)


class Motif(Base):
    """Why one comes, and the rules of booking it."""

    __tablename__ = "motifs"
    __table_args__ = (
        UniqueConstraint("structure_id", "code"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("NOT collective OR max_participants >= 1", name="collective_has_seats"),
        {"info": REFERENCE},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    structure_id: Mapped[str] = mapped_column(ForeignKey("structures.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(120))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    min_booking_delay_minutes: Mapped[int] = mapped_column(Integer, default=0)
    max_booking_delay_minutes: Mapped[int] = mapped_column(Integer, default=42 * 24 * 60)
    location_type: Mapped[str] = mapped_column(String(16), default=PUBLIC_OFFICE)
    collective: Mapped[bool] = mapped_column(Boolean, default=False)
    max_participants: Mapped[int | None] = mapped_column(Integer)
    bookable_publicly: Mapped[bool] = mapped_column(Boolean, default=True)  # the young person books it alone
    position: Mapped[int] = mapped_column(Integer, default=0)  # order in which motifs are offered
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def duration(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.duration_minutes)


class Agent(Base):
    """A member of the staff: an advisor of a structure (its agenda's agents), or an account of the desk
    (``role``, storage/staff.py); the Département's and the operator's accounts have no structure."""

    __tablename__ = "agents"
    __table_args__ = ({"info": STAFF},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    structure_id: Mapped[str | None] = mapped_column(ForeignKey("structures.id"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="advisor", server_default="advisor")
    display_name: Mapped[str] = mapped_column(String(120))
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


plage_ouverture_motifs = Table(
    "plage_ouverture_motifs",
    Base.metadata,
    Column("plage_ouverture_id", ForeignKey("plages_ouverture.id", ondelete="CASCADE"), primary_key=True),
    Column("motif_id", ForeignKey("motifs.id", ondelete="CASCADE"), primary_key=True),
    info=REFERENCE,
)


class PlageOuverture(Base):
    """When an agent receives, at a lieu, for some motifs: ``first_day`` then the RRULE (local wall times)."""

    __tablename__ = "plages_ouverture"
    __table_args__ = (CheckConstraint("start_time < end_time", name="starts_before_end"), {"info": STAFF})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    lieu_id: Mapped[str] = mapped_column(ForeignKey("lieux.id"), index=True)
    title: Mapped[str] = mapped_column(String(120), default="")
    first_day: Mapped[dt.date] = mapped_column(Date)
    start_time: Mapped[dt.time] = mapped_column(Time)
    end_time: Mapped[dt.time] = mapped_column(Time)
    rrule: Mapped[str | None] = mapped_column(Text)  # e.g. FREQ=WEEKLY;BYDAY=MO,TU;UNTIL=20270630T235959
    last_day: Mapped[dt.date] = mapped_column(Date)
    motifs: Mapped[list[Motif]] = relationship(secondary=plage_ouverture_motifs, lazy="selectin")

    @property
    def motif_ids(self) -> frozenset[int]:
        return frozenset(m.id for m in self.motifs)


class Absence(Base):
    """An agent away, or (``agent_id`` empty) the whole structure closed, from ``starts_at`` to ``ends_at``."""

    __tablename__ = "absences"
    __table_args__ = (
        CheckConstraint("(agent_id IS NULL) <> (structure_id IS NULL)", name="agent_or_structure"),
        CheckConstraint("starts_at < ends_at", name="starts_before_end"),
        {"info": STAFF},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    structure_id: Mapped[str | None] = mapped_column(ForeignKey("structures.id"), index=True)
    title: Mapped[str] = mapped_column(String(120), default="")
    starts_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class AgentConflict(ValueError):
    """The telegram id and the e-mail given belong to two different agents."""


# Looked up at every Telegram event (flows/engine/advisor_turn.py: is the sender an advisor?): built once, and a
# plain column, since the answer is almost always "no" (an ORM query costs more even when it finds nothing).
_AGENT_ID_BY_TELEGRAM_ID = select(Agent.__table__.c.id).where(Agent.__table__.c.telegram_id == bindparam("telegram_id"))


class StructuresRepository(PlacesQueries):
    """Every statement about structures, lieux, motifs, agents, plages d'ouverture and absences (the first three:
    storage/places.py)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- Motifs ------------------------------------------------------------------------------

    async def upsert_motif(self, structure_id: str, code: str, **values: object) -> Motif:
        """Create or update the motif ``code`` of a structure."""
        row = await self.motif_by_code(structure_id, code)
        if row is None:
            row = Motif(structure_id=structure_id, code=code)
            self.session.add(row)
        for key, value in values.items():
            if not hasattr(Motif, key):
                raise AttributeError(f"motifs has no column {key}")
            setattr(row, key, value)
        await self.session.flush()
        return row

    async def motif(self, motif_id: int) -> Motif | None:
        return await self.session.get(Motif, motif_id)

    async def motif_by_code(self, structure_id: str, code: str) -> Motif | None:
        return await self.session.scalar(select(Motif).where(Motif.structure_id == structure_id, Motif.code == code))

    async def motifs(self, structure_id: str, *, public_only: bool = False) -> list[Motif]:
        """Active motifs of a structure, in the order they are offered."""
        query = select(Motif).where(Motif.structure_id == structure_id, Motif.active.is_(True))
        if public_only:
            query = query.where(Motif.bookable_publicly.is_(True))
        return list(await self.session.scalars(query.order_by(Motif.position, Motif.id)))

    # --- Agents ------------------------------------------------------------------------------

    async def agent(self, agent_id: int) -> Agent | None:
        return await self.session.get(Agent, agent_id)

    async def agent_by_email(self, email: str) -> Agent | None:
        return await self.session.scalar(select(Agent).where(func.lower(Agent.email) == email.strip().lower()))

    async def agent_by_telegram_id(self, telegram_id: int) -> Agent | None:
        agent_id = await self.session.scalar(_AGENT_ID_BY_TELEGRAM_ID, {"telegram_id": telegram_id})
        return None if agent_id is None else await self.session.get(Agent, agent_id)

    async def agents(self, structure_id: str | None = None, *, ids: Iterable[int] | None = None) -> list[Agent]:
        """Active agents of a structure (or these ids), by id."""
        query = select(Agent).where(Agent.active.is_(True))
        if structure_id is not None:
            query = query.where(Agent.structure_id == structure_id)
        if ids is not None:
            query = query.where(Agent.id.in_(list(ids)))
        return list(await self.session.scalars(query.order_by(Agent.id)))

    async def upsert_agent(
        self,
        *,
        structure_id: str | None,
        display_name: str | None = None,
        email: str | None = None,
        telegram_id: int | None = None,
        now: dt.datetime | None = None,
    ) -> Agent:
        """Find the agent by telegram id or e-mail (create one if neither is known) and update it.

        Raises AgentConflict when the telegram id and the e-mail belong to two different agents.
        """
        if email is None and telegram_id is None:
            raise ValueError("an agent needs an e-mail or a telegram id")
        email = email.strip().lower() if email else None
        by_telegram = await self.agent_by_telegram_id(telegram_id) if telegram_id is not None else None
        by_email = await self.agent_by_email(email) if email else None
        if by_telegram is not None and by_email is not None and by_telegram.id != by_email.id:
            raise AgentConflict(f"telegram id {telegram_id} and e-mail {email} are two different agents")
        row = by_telegram or by_email
        stamp = now or utcnow()
        if row is None:
            row = Agent(created_at=stamp, display_name=display_name or (email or "").split("@")[0] or "Conseiller")
            self.session.add(row)
        row.structure_id = structure_id
        if display_name:
            row.display_name = display_name
        if email:
            row.email = email
        if telegram_id is not None:
            row.telegram_id = telegram_id
        row.active = True
        row.updated_at = stamp
        await self.session.flush()
        return row

    async def lock_agents(self, ids: Sequence[int]) -> None:
        """Serialise bookings on these agents until the transaction ends (row locks on PostgreSQL).

        On SQLite every write transaction is already exclusive. Locks are taken in id order so that two
        bookings never wait on each other in a cycle.
        """
        if not ids or self.session.bind.dialect.name != "postgresql":
            return
        await self.session.execute(
            select(Agent.id).where(Agent.id.in_(sorted(set(ids)))).order_by(Agent.id).with_for_update()
        )

    async def lock_for_sync(self) -> None:
        """One process at a time imports the data files (two processes starting together on PostgreSQL)."""
        if self.session.bind.dialect.name == "postgresql":
            await self.session.execute(text("SELECT pg_advisory_xact_lock(3, 1)"))

    async def count_agents(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(Agent)) or 0)

    # --- Plages d'ouverture ------------------------------------------------------------------

    async def upsert_plage(
        self,
        ref: str,
        *,
        agent_id: int,
        lieu_id: str,
        motif_ids: Iterable[int],
        first_day: dt.date,
        start_time: dt.time,
        end_time: dt.time,
        rrule: str | None,
        last_day: dt.date,
        title: str = "",
    ) -> PlageOuverture:
        """Create or update the plage the operator calls ``ref``."""
        wanted = sorted(set(motif_ids))
        motifs = list(await self.session.scalars(select(Motif).where(Motif.id.in_(wanted)))) if wanted else []
        # Loaded with its motifs (selectin), so that replacing the collection never lazy-loads.
        row = await self.session.scalar(select(PlageOuverture).where(PlageOuverture.ref == ref))
        if row is None:
            row = PlageOuverture(ref=ref, motifs=motifs)
            self.session.add(row)
        else:
            row.motifs = motifs
        row.agent_id, row.lieu_id, row.title = agent_id, lieu_id, title
        row.first_day, row.start_time, row.end_time, row.rrule, row.last_day = (
            first_day, start_time, end_time, rrule, last_day,
        )
        await self.session.flush()
        return row

    async def plages(
        self,
        *,
        first_day: dt.date,
        last_day: dt.date,
        lieu_id: str | None = None,
        structure_id: str | None = None,
        motif_id: int | None = None,
    ) -> list[PlageOuverture]:
        """Plages of active agents that may occur between these days (at a lieu / of a structure / for a motif)."""
        query = (
            select(PlageOuverture)
            .join(Agent, Agent.id == PlageOuverture.agent_id)
            .join(Lieu, Lieu.id == PlageOuverture.lieu_id)
            .where(
                Agent.active.is_(True), Lieu.active.is_(True),
                PlageOuverture.first_day <= last_day, PlageOuverture.last_day >= first_day,
            )
        )
        if lieu_id is not None:
            query = query.where(PlageOuverture.lieu_id == lieu_id)
        if structure_id is not None:
            query = query.where(Lieu.structure_id == structure_id)
        if motif_id is not None:
            query = query.where(
                PlageOuverture.id.in_(
                    select(plage_ouverture_motifs.c.plage_ouverture_id).where(
                        plage_ouverture_motifs.c.motif_id == motif_id
                    )
                )
            )
        return list(await self.session.scalars(query.order_by(PlageOuverture.id)))

    async def count_plages(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(PlageOuverture)) or 0)

    # --- Absences ----------------------------------------------------------------------------

    async def upsert_absence(
        self,
        ref: str,
        *,
        agent_id: int | None,
        structure_id: str | None,
        starts_at: dt.datetime,
        ends_at: dt.datetime,
        title: str = "",
    ) -> Absence:
        """Create or update the absence the operator calls ``ref``."""
        row = await self.session.scalar(select(Absence).where(Absence.ref == ref))
        if row is None:
            row = Absence(ref=ref)
            self.session.add(row)
        row.agent_id, row.structure_id, row.starts_at, row.ends_at, row.title = (
            agent_id, structure_id, starts_at, ends_at, title,
        )
        await self.session.flush()
        return row

    async def absences(
        self, *, structure_id: str, agent_ids: Iterable[int], starts_at: dt.datetime, ends_at: dt.datetime
    ) -> list[Absence]:
        """Absences of these agents, and closures of the structure, overlapping the period."""
        return list(
            await self.session.scalars(
                select(Absence)
                .where(
                    or_(Absence.agent_id.in_(list(agent_ids)), Absence.structure_id == structure_id),
                    Absence.starts_at < ends_at,
                    Absence.ends_at > starts_at,
                )
                .order_by(Absence.starts_at)
            )
        )

    # --- Replacing what an import no longer names ----------------------------------------------

    async def prune(self, *, plage_structures: Iterable[str], keep_plages: Iterable[str],
                    absence_structures: Iterable[str], keep_absences: Iterable[str]) -> tuple[int, int]:
        """Delete the plages (absences) of these structures whose ref is not in ``keep_*`` (an import's refs)."""
        plage_agents = select(Agent.id).where(Agent.structure_id.in_(list(plage_structures)))
        plages = await self.session.execute(
            delete(PlageOuverture).where(PlageOuverture.agent_id.in_(plage_agents),
                                         PlageOuverture.ref.not_in(list(keep_plages)))
        )
        absence_structures = list(absence_structures)
        absence_agents = select(Agent.id).where(Agent.structure_id.in_(absence_structures))
        absences = await self.session.execute(
            delete(Absence).where(
                or_(Absence.agent_id.in_(absence_agents), Absence.structure_id.in_(absence_structures)),
                Absence.ref.not_in(list(keep_absences)),
            )
        )
        return plages.rowcount or 0, absences.rowcount or 0
