"""Every query of the Département's report (report/): counts over ``report_events``, aggregated in SQL.

Periods are ``[since, until)`` in UTC (report/periods.py turns a calendar month, quarter or year of the service's
time zone into these bounds). ``as_of`` is the moment the report is made: what happened later is not counted,
so that a report made twice at the same moment is the same, whoever was erased in between (the events carry no
link to a person). ``structure`` keeps one mission locale (the facet of the event; see ``_known``).

Every statement is portable (SQLite >= 3.25 and PostgreSQL: GROUP BY, CASE buckets instead of date functions,
ROW_NUMBER() windows). Only small aggregates come back, except the delays, one number per person of the period,
of which the report takes a median and a 90th percentile in Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.report_events import (
    APPOINTMENT_BOOKED,
    APPOINTMENT_STATUS,
    CONSENT,
    FIRST_CONTACT,
    HANDOFF_ANSWERED,
    HANDOFF_OPENED,
    ONBOARDED,
    OUTCOME,
    OUTCOME_ASKED,
    SUGGESTION_SAVED,
    SUGGESTION_SHOWN,
    ReportEvent,
)
from storage.structures import Structure

REACH_KINDS = (FIRST_CONTACT, CONSENT, ONBOARDED)
SEEN = "seen"
NO_STATUS = "unknown"  # an appointment booked with no status recorded yet


@dataclass(frozen=True)
class ReachCell:
    """People who did ``kind`` in the period, in one cell of the facets and one month (index in the bounds)."""

    kind: str
    structure: str | None
    territory: str | None
    age_band: str | None
    rsa: bool | None
    month: int
    count: int


@dataclass(frozen=True)
class Funnel:
    """The people whose first contact falls in the period, and how many of them went on to each step."""

    contacts: int
    consented: int
    onboarded: int
    booked: int
    attended: int


@dataclass(frozen=True)
class Handoffs:
    """Requests for an advisor opened in the period, and the seconds to each one's first answer."""

    opened: int
    urgent: int
    outside_hours: int
    answer_seconds: list[float]


def _bucket(column: Any, bounds: Sequence[dt.datetime]) -> Any:
    """The index of the interval of ``bounds`` (sorted, the first and last being the period's) ``column``
    falls in: a CASE rather than a date function, the same on both databases."""
    inner = bounds[1:-1]
    if not inner:
        return literal(0)
    return case(*[(column < bound, index) for index, bound in enumerate(inner)], else_=len(inner))


def _rsa_number(column: Any) -> Any:
    """RSA as 1 / 0 / NULL, so that MAX works on both databases (PostgreSQL has no MAX of booleans)."""
    return case((column.is_(True), 1), (column.is_(False), 0))


def _known(subjects: Select[Any], until: dt.datetime) -> Any:
    """What these subjects said at the welcome questions before the end of the period: an event's facets are
    the person's at that moment, and a first contact is made before the commune or the age are asked. The
    reach and the funnel use the event's facet, or else this one (the ``onboarded`` event's, before ``until``,
    so that nothing that happens after the period changes it; read through the (kind, at) index)."""
    known = aliased(ReportEvent)
    return (select(known.subject, func.max(known.structure).label("structure"),
                   func.max(known.territory).label("territory"), func.max(known.age_band).label("age_band"),
                   func.max(_rsa_number(known.rsa)).label("rsa"))
            .where(known.kind == ONBOARDED, known.at < until, known.subject.in_(subjects))
            .group_by(known.subject).subquery())


def _firsts(kinds: Sequence[str], since: dt.datetime, until: dt.datetime) -> Any:
    """The first event of each subject for each of these kinds in the period (one person counted once), with
    its columns: a window over the period's rows only, rather than a join back to the whole table."""
    e = ReportEvent
    ranked = (select(e.id, e.subject, e.kind, e.at, e.structure, e.territory, e.age_band, e.rsa,
                     func.row_number().over(partition_by=(e.subject, e.kind), order_by=(e.at, e.id)).label("rn"))
              .where(e.kind.in_(kinds), e.at >= since, e.at < until).subquery())
    return select(ranked).where(ranked.c.rn == 1).subquery()


def _in_period(kinds: Sequence[str], since: dt.datetime, until: dt.datetime) -> Select[Any]:
    e = ReportEvent
    return select(e.subject).where(e.kind.in_(kinds), e.at >= since, e.at < until)


class ReportFiguresRepository:
    """Every statement of the report (reads only)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def structure_names(self) -> dict[str, str]:
        """Each mission locale's name, by id (the report names them; ids are what events hold)."""
        return {sid: name for sid, name in (await self.session.execute(select(Structure.id, Structure.name))).all()}

    async def reach(self, since: dt.datetime, until: dt.datetime, months: Sequence[dt.datetime],
                    structure: str | None) -> list[ReachCell]:
        """First contacts, consents and onboardings of the period, each person once per kind, by facets and
        month (``months``: the period's month bounds)."""
        e = _firsts(REACH_KINDS, since, until)
        known = _known(_in_period(REACH_KINDS, since, until), until)
        facets = (func.coalesce(e.c.structure, known.c.structure).label("structure"),
                  func.coalesce(e.c.territory, known.c.territory).label("territory"),
                  func.coalesce(e.c.age_band, known.c.age_band).label("age_band"),
                  func.coalesce(_rsa_number(e.c.rsa), known.c.rsa).label("rsa"),
                  _bucket(e.c.at, months).label("month"))
        cells = (select(e.c.kind.label("kind"), *facets).select_from(e)
                 .outerjoin(known, known.c.subject == e.c.subject).subquery())
        query = (select(cells.c.kind, cells.c.structure, cells.c.territory, cells.c.age_band, cells.c.rsa,
                        cells.c.month, func.count())
                 .group_by(cells.c.kind, cells.c.structure, cells.c.territory, cells.c.age_band, cells.c.rsa,
                           cells.c.month))
        if structure is not None:
            query = query.where(cells.c.structure == structure)
        return [ReachCell(kind, s, t, a, None if rsa is None else bool(rsa), int(month), int(n))
                for kind, s, t, a, rsa, month, n in (await self.session.execute(query)).all()]

    async def weekly(self, since: dt.datetime, until: dt.datetime, weeks: Sequence[dt.datetime],
                     structure: str | None) -> dict[tuple[str, int], int]:
        """By week (``weeks``: the bounds, the period's cut at Mondays): first contacts and onboardings (each
        person once), appointments booked and requests for an advisor."""
        e = _firsts((FIRST_CONTACT, ONBOARDED), since, until)
        known = _known(_in_period((FIRST_CONTACT, ONBOARDED), since, until), until)
        people = (select(e.c.kind.label("kind"), _bucket(e.c.at, weeks).label("week"),
                         func.coalesce(e.c.structure, known.c.structure).label("structure"))
                  .select_from(e).outerjoin(known, known.c.subject == e.c.subject).subquery())
        query = select(people.c.kind, people.c.week, func.count()).group_by(people.c.kind, people.c.week)
        if structure is not None:
            query = query.where(people.c.structure == structure)
        found = {(kind, int(week)): int(n) for kind, week, n in (await self.session.execute(query)).all()}
        r = ReportEvent
        rows = (select(r.kind, _bucket(r.at, weeks).label("week"), func.count())
                .where(r.kind.in_((APPOINTMENT_BOOKED, HANDOFF_OPENED)), r.at >= since, r.at < until,
                       *self._of(structure)).group_by(r.kind, "week"))
        found.update({(kind, int(week)): int(n) for kind, week, n in (await self.session.execute(rows)).all()})
        return found

    async def funnel(self, since: dt.datetime, until: dt.datetime, as_of: dt.datetime,
                     structure: str | None) -> Funnel:
        """The people of the period's first contacts, followed up to ``as_of``: how many gave their agreement,
        then finished the welcome questions, then had an appointment booked, then came to one (an appointment
        whose latest status is *seen*). Each step counts only those who reached the one before."""
        e = aliased(ReportEvent)
        contacts = select(e.subject).where(e.kind == FIRST_CONTACT, e.at >= since, e.at < until)
        known = _known(contacts, until)
        cohort_rows = (select(e.subject.label("subject"),
                              func.max(func.coalesce(e.structure, known.c.structure)).label("structure"))
                       .outerjoin(known, known.c.subject == e.subject)
                       .where(e.kind == FIRST_CONTACT, e.at >= since, e.at < until).group_by(e.subject))
        if structure is not None:
            inner = cohort_rows.subquery()
            cohort_rows = select(inner.c.subject, inner.c.structure).where(inner.c.structure == structure)
        cohort = cohort_rows.cte("cohort")  # read three times below: computed once
        members = select(cohort.c.subject)
        s = aliased(ReportEvent)
        latest = (select(s.subject.label("subject"), s.detail.label("detail"),
                         func.row_number().over(partition_by=s.item, order_by=(s.at.desc(), s.id.desc())).label("rn"))
                  .where(s.kind == APPOINTMENT_STATUS, s.at <= as_of, s.subject.in_(members)).subquery())
        attended = (select(latest.c.subject.label("subject")).where(latest.c.rn == 1, latest.c.detail == SEEN)
                    .distinct().subquery())
        f = aliased(ReportEvent)

        def did(kind: str) -> Any:
            return func.max(case((f.kind == kind, 1), else_=0))

        flags = (select(f.subject.label("subject"), did(CONSENT).label("consented"),
                        did(ONBOARDED).label("onboarded"), did(APPOINTMENT_BOOKED).label("booked"))
                 .where(f.subject.in_(members), f.at <= as_of, f.kind.in_((CONSENT, ONBOARDED, APPOINTMENT_BOOKED)))
                 .group_by(f.subject).subquery())
        consented = func.coalesce(flags.c.consented, 0)
        onboarded = consented * func.coalesce(flags.c.onboarded, 0)
        booked = onboarded * func.coalesce(flags.c.booked, 0)
        attended_too = booked * case((attended.c.subject.is_not(None), 1), else_=0)
        row = (await self.session.execute(
            select(func.count(), func.sum(consented), func.sum(onboarded), func.sum(booked), func.sum(attended_too))
            .select_from(cohort).outerjoin(flags, flags.c.subject == cohort.c.subject)
            .outerjoin(attended, attended.c.subject == cohort.c.subject))).one()
        return Funnel(*(int(value or 0) for value in row))

    async def bookings(self, since: dt.datetime, until: dt.datetime,
                       structure: str | None) -> dict[tuple[str | None, str | None], int]:
        """Appointments booked in the period, by structure and by who booked them (``bot`` / ``advisor``)."""
        r = ReportEvent
        rows = await self.session.execute(
            select(r.structure, r.detail, func.count())
            .where(r.kind == APPOINTMENT_BOOKED, r.at >= since, r.at < until, *self._of(structure))
            .group_by(r.structure, r.detail))
        return {(s, who): int(n) for s, who, n in rows.all()}

    async def first_booking_delays(self, since: dt.datetime, until: dt.datetime,
                                   structure: str | None) -> list[float]:
        """For each person whose first appointment was booked in the period: the seconds from their first
        contact to that appointment (the value of their earliest booking)."""
        r, b = ReportEvent, aliased(ReportEvent)
        booked_now = select(r.subject).where(r.kind == APPOINTMENT_BOOKED, r.at >= since, r.at < until,
                                             *self._of(structure))
        ranked = (select(b.at.label("at"), b.value.label("value"),
                         func.row_number().over(partition_by=b.subject, order_by=(b.at, b.id)).label("rn"))
                  .where(b.kind == APPOINTMENT_BOOKED, b.subject.in_(booked_now)).subquery())
        rows = await self.session.scalars(
            select(ranked.c.value).where(ranked.c.rn == 1, ranked.c.at >= since, ranked.c.at < until,
                                         ranked.c.value.is_not(None)))
        return [float(value) for value in rows.all()]

    async def appointment_statuses(self, since: dt.datetime, until: dt.datetime, as_of: dt.datetime,
                                   structure: str | None) -> dict[tuple[str | None, str], int]:
        """The appointments planned in the period and already past at ``as_of``, by structure and latest status
        (``unknown``: booked, no status recorded)."""
        r = ReportEvent
        end = min(until, as_of)
        ranked = (select(r.item.label("item"), r.kind.label("kind"), r.detail.label("detail"),
                         r.structure.label("structure"),
                         func.row_number().over(partition_by=(r.item, r.kind),
                                                order_by=(r.at.desc(), r.id.desc())).label("rn"))
                  .where(r.kind.in_((APPOINTMENT_BOOKED, APPOINTMENT_STATUS)), r.about_at >= since,
                         r.about_at < end, r.at <= as_of, r.item.is_not(None), *self._of(structure))
                  .subquery())
        items = (select(ranked.c.item,
                        func.coalesce(func.max(case((ranked.c.kind == APPOINTMENT_STATUS, ranked.c.detail))),
                                      NO_STATUS).label("status"),
                        func.max(ranked.c.structure).label("structure"))
                 .where(ranked.c.rn == 1).group_by(ranked.c.item).subquery())
        rows = await self.session.execute(select(items.c.structure, items.c.status, func.count())
                                          .group_by(items.c.structure, items.c.status))
        return {(s, status): int(n) for s, status, n in rows.all()}

    async def handoffs(self, since: dt.datetime, until: dt.datetime, as_of: dt.datetime,
                       structure: str | None) -> Handoffs:
        """Requests opened in the period: how many, urgent, outside opening hours; the time to the first answer
        of those answered by ``as_of``."""
        r = ReportEvent
        opened = await self.session.execute(
            select(func.count(), func.sum(case((r.detail == "urgent", 1), else_=0)),
                   func.sum(case((r.value >= 1, 1), else_=0)))
            .where(r.kind == HANDOFF_OPENED, r.at >= since, r.at < until, *self._of(structure)))
        count, urgent, outside = opened.one()
        items = select(r.item).where(r.kind == HANDOFF_OPENED, r.at >= since, r.at < until, *self._of(structure))
        a = aliased(ReportEvent)
        answers = await self.session.scalars(
            select(func.min(a.value)).where(a.kind == HANDOFF_ANSWERED, a.at <= as_of, a.item.in_(items),
                                            a.value.is_not(None)).group_by(a.item))
        return Handoffs(int(count or 0), int(urgent or 0), int(outside or 0), [float(v) for v in answers.all()])

    async def suggestions(self, since: dt.datetime, until: dt.datetime,
                          structure: str | None) -> dict[tuple[str, str], int]:
        """Suggestions shown and saved in the period, by ``<kind>:<sector>``."""
        r = ReportEvent
        rows = await self.session.execute(
            select(r.kind, r.detail, func.count())
            .where(r.kind.in_((SUGGESTION_SHOWN, SUGGESTION_SAVED)), r.at >= since, r.at < until,
                   *self._of(structure)).group_by(r.kind, r.detail))
        return {(kind, detail or ""): int(n) for kind, detail, n in rows.all()}

    async def outcomes_asked(self, since: dt.datetime, until: dt.datetime, as_of: dt.datetime,
                             structure: str | None) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
        """The people asked "what became of you" in the period, by horizon; and of them, by horizon and
        category, those who answered by ``as_of`` (their latest answer at that horizon: a later one corrects)."""
        r = ReportEvent
        asked_rows = await self.session.execute(
            select(r.detail, func.count(func.distinct(r.subject)))
            .where(r.kind == OUTCOME_ASKED, r.at >= since, r.at < until, *self._of(structure)).group_by(r.detail))
        asked = {horizon or "": int(n) for horizon, n in asked_rows.all()}
        answered: dict[tuple[str, str], int] = {}
        a = aliased(ReportEvent)
        for horizon in asked:  # one query per horizon: an IN list the database indexes, not a LIKE join
            people = select(r.subject).where(r.kind == OUTCOME_ASKED, r.detail == horizon, r.at >= since,
                                             r.at < until, *self._of(structure))
            ranked = (select(a.detail.label("detail"),
                             func.row_number().over(partition_by=a.subject, order_by=(a.at.desc(), a.id.desc()))
                             .label("rn"))
                      .where(a.kind == OUTCOME, a.detail.like(f"{horizon}:%"), a.at <= as_of, a.subject.in_(people))
                      .subquery())
            rows = await self.session.execute(select(ranked.c.detail, func.count()).where(ranked.c.rn == 1)
                                              .group_by(ranked.c.detail))
            for detail, n in rows.all():
                category = str(detail).partition(":")[2]
                answered[(horizon, category)] = answered.get((horizon, category), 0) + int(n)
        return asked, answered

    async def outcomes_told(self, since: dt.datetime, until: dt.datetime, horizons: Sequence[str],
                            structure: str | None) -> dict[str, int]:
        """Outcomes given without a question in the period (told spontaneously, recorded by an advisor), by
        category: each person once (their latest)."""
        r = ReportEvent
        ranked = (select(r.detail.label("detail"),
                         func.row_number().over(partition_by=r.subject, order_by=(r.at.desc(), r.id.desc()))
                         .label("rn"))
                  .where(r.kind == OUTCOME, r.at >= since, r.at < until,
                         or_(*[r.detail.like(f"{horizon}:%") for horizon in horizons]), *self._of(structure))
                  .subquery())
        rows = await self.session.execute(select(ranked.c.detail, func.count()).where(ranked.c.rn == 1)
                                          .group_by(ranked.c.detail))
        told: dict[str, int] = {}
        for detail, n in rows.all():
            category = str(detail).partition(":")[2]
            told[category] = told.get(category, 0) + int(n)
        return told

    @staticmethod
    def _of(structure: str | None, table: Any = ReportEvent) -> list[Any]:
        return [] if structure is None else [table.structure == structure]
