"""The staff's access to the desk (web/): sign-in links, sessions, the limits on asking for links, and the
log of who opened whose record.

Nothing secret is stored in clear: a link's token and a session's token are kept as their SHA-256 (a copy of
the database does not let anyone sign in), and the limits count hashes of the address and of the IP.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import ForeignKey, Index, Integer, String, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UtcDateTime
from storage.structures import Agent

# What each account may do on the desk (web/access.py checks it on every route).
ADVISOR, MANAGER, DEPARTEMENT, OPERATOR = "advisor", "manager", "departement", "operator"
ROLES = (ADVISOR, MANAGER, DEPARTEMENT, OPERATOR)
STRUCTURE_ROLES = (ADVISOR, MANAGER)  # tied to one structure; the others see every structure (no record)

_ACCESS = {"personal": False, "why": "the staff's own sign-in material and limits; no young person"}


def digest(secret: str) -> str:
    """What is stored of a token or an address: its SHA-256, in hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


# What a single-use code is for: signing in to the desk (a link by e-mail), or linking a Telegram account.
SIGN_IN, LINK_TELEGRAM = "sign_in", "telegram"


class SignInLink(Base):
    """A single-use code, valid a short while: a link sent by e-mail to sign in, or a code an account types to the
    bot on Telegram to link that account (``purpose``)."""

    __tablename__ = "sign_in_links"
    __table_args__ = ({"info": _ACCESS},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16), default=SIGN_IN, server_default=SIGN_IN)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class SignInRequest(Base):
    """One request for a link, counted against its address and its IP (both hashed), known address or not."""

    __tablename__ = "sign_in_requests"
    __table_args__ = (Index("ix_sign_in_requests_subject_at", "subject_hash", "at"), {"info": _ACCESS})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class WebSession(Base):
    """A signed-in browser: ends at sign-out, after ``idle`` without a request, or when the account goes."""

    __tablename__ = "web_sessions"
    __table_args__ = ({"info": _ACCESS},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class RecordAccess(Base):
    """Someone of the staff opened a young person's record (the structure's manager reads this log).

    About the person (``person_id``): erased with them, and never shown to them with the advisor's identity
    (flows/privacy/access.py chooses what the person sees)."""

    __tablename__ = "record_accesses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"), index=True)
    structure_id: Mapped[str | None] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class CalendarFeed(Base):
    """An advisor's private calendar address (its token, hashed); revoked when they ask for a new one."""

    __tablename__ = "calendar_feeds"
    __table_args__ = ({"info": _ACCESS},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    fetches: Mapped[int] = mapped_column(Integer, default=0)
    last_fetched_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class StaffRepository:
    """Every statement about the staff's sign-in, sessions and record accesses."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- Sign-in links ---------------------------------------------------------------------------

    async def count_requests(self, subject: str, since: dt.datetime) -> int:
        """Requests for a link counted against ``subject`` ("email:…", "ip:…") since then."""
        return int(await self.session.scalar(
            select(func.count()).select_from(SignInRequest)
            .where(SignInRequest.subject_hash == digest(subject), SignInRequest.at >= since)
        ) or 0)

    async def record_request(self, subjects: list[str], now: dt.datetime) -> None:
        for subject in subjects:
            self.session.add(SignInRequest(subject_hash=digest(subject), at=now))
        await self.session.flush()

    async def add_link(self, agent_id: int, token: str, now: dt.datetime, valid: dt.timedelta,
                       purpose: str = SIGN_IN) -> None:
        self.session.add(SignInLink(token_hash=digest(token), agent_id=agent_id, expires_at=now + valid,
                                    created_at=now, purpose=purpose))
        await self.session.flush()

    async def use_link(self, token: str, now: dt.datetime, purpose: str = SIGN_IN) -> Agent | None:
        """The active account a link (or code) is for, once: a used, expired or unknown one gives None."""
        link = await self.session.scalar(
            select(SignInLink).where(SignInLink.token_hash == digest(token), SignInLink.purpose == purpose)
            .with_for_update()
        )
        if link is None or link.used_at is not None or link.expires_at <= now:
            return None
        link.used_at = now
        agent = await self.session.get(Agent, link.agent_id)
        await self.session.flush()
        return agent if agent is not None and agent.active else None

    # --- Sessions ----------------------------------------------------------------------------------

    async def open_session(self, agent_id: int, token: str, now: dt.datetime) -> None:
        self.session.add(WebSession(token_hash=digest(token), agent_id=agent_id, created_at=now, last_seen_at=now))
        await self.session.flush()

    async def session_agent(self, token: str, now: dt.datetime, idle: dt.timedelta) -> Agent | None:
        """The active account of a live session (and it is seen now); None once idle too long or closed."""
        row = await self.session.scalar(select(WebSession).where(WebSession.token_hash == digest(token)))
        if row is None:
            return None
        if row.last_seen_at <= now - idle:
            await self.session.delete(row)
            return None
        agent = await self.session.get(Agent, row.agent_id)
        if agent is None or not agent.active:
            return None
        if now - row.last_seen_at > dt.timedelta(seconds=30):  # not a write at every request
            row.last_seen_at = now
        return agent

    async def close_session(self, token: str) -> None:
        await self.session.execute(delete(WebSession).where(WebSession.token_hash == digest(token)))

    async def close_sessions_of(self, agent_id: int) -> None:
        """An account removed or changed role: its browsers are signed out."""
        await self.session.execute(delete(WebSession).where(WebSession.agent_id == agent_id))

    async def purge(self, now: dt.datetime, idle: dt.timedelta) -> None:
        """Forget expired links, old requests and idle sessions (housekeeping)."""
        await self.session.execute(delete(SignInLink).where(SignInLink.expires_at < now - dt.timedelta(days=1)))
        await self.session.execute(delete(SignInRequest).where(SignInRequest.at < now - dt.timedelta(days=1)))
        await self.session.execute(delete(WebSession).where(WebSession.last_seen_at < now - idle))

    # --- Who opened whose record -----------------------------------------------------------------

    async def log_access(self, agent: Agent, person_id: int, now: dt.datetime) -> None:
        self.session.add(RecordAccess(person_id=person_id, agent_id=agent.id, structure_id=agent.structure_id,
                                      at=now))
        await self.session.flush()

    async def accesses(self, structure_id: str, limit: int = 200) -> list[RecordAccess]:
        """The latest openings of records by the staff of a structure, newest first."""
        return list(await self.session.scalars(
            select(RecordAccess).where(RecordAccess.structure_id == structure_id)
            .order_by(RecordAccess.at.desc(), RecordAccess.id.desc()).limit(limit)
        ))

    async def set_role(self, agent: Agent, role: str) -> None:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        if agent.role != role:  # a role taken away must not stay in an open browser
            agent.role = role
            await self.close_sessions_of(agent.id)
            await self.session.flush()

    # --- Calendar feeds ------------------------------------------------------------------------------

    async def new_feed(self, agent_id: int, token: str, now: dt.datetime) -> None:
        """A new private address for the agent's calendar; the previous one stops working."""
        await self.revoke_feeds(agent_id, now)
        self.session.add(CalendarFeed(token_hash=digest(token), agent_id=agent_id, created_at=now, fetches=0))
        await self.session.flush()

    async def revoke_feeds(self, agent_id: int, now: dt.datetime) -> None:
        await self.session.execute(update(CalendarFeed).where(
            CalendarFeed.agent_id == agent_id, CalendarFeed.revoked_at.is_(None)).values(revoked_at=now))

    async def live_feed(self, agent_id: int) -> CalendarFeed | None:
        return await self.session.scalar(select(CalendarFeed).where(
            CalendarFeed.agent_id == agent_id, CalendarFeed.revoked_at.is_(None)))

    async def fetch_feed(self, token: str, now: dt.datetime) -> Agent | None:
        """The active agent whose live calendar this is; the fetch is counted (when, how many)."""
        feed = await self.session.scalar(select(CalendarFeed).where(
            CalendarFeed.token_hash == digest(token), CalendarFeed.revoked_at.is_(None)))
        if feed is None:
            return None
        agent = await self.session.get(Agent, feed.agent_id)
        if agent is None or not agent.active:
            return None
        feed.fetches += 1
        feed.last_fetched_at = now
        await self.session.flush()
        return agent
