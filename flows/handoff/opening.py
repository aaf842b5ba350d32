"""When the advisors are at work (their plages d'ouverture), and what the young person is told of it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flows.booking.agenda import opening_of
from flows.data.territory import MissionLocale
from flows.engine.world import World
from flows.rules.formatting import clock, day
from flows.rules.slots import is_public_holiday, local_moment, occurrence_days
from storage.db import UnitOfWork
from storage.structures import Agent


@dataclass(frozen=True, slots=True)
class Period:
    """An advisor at work: one occurrence of a plage d'ouverture, minus absences (UTC)."""

    agent_id: int
    lieu_id: str
    starts_at: dt.datetime
    ends_at: dt.datetime


async def opening_periods(uow: UnitOfWork, agents: Sequence[Agent], since: dt.datetime, days: int, tz: ZoneInfo
                          ) -> list[Period]:
    """When these advisors are at work from ``since`` for ``days`` days, soonest first.

    Their plages d'ouverture (flows/rules/slots.py's recurrence rules, public holidays skipped), with their
    absences and their structure's closures cut out.
    """
    if not agents:
        return []
    first = since.astimezone(tz).date()
    last = first + dt.timedelta(days=days)
    wanted = {a.id for a in agents}
    start = dt.datetime.combine(first, dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    periods: list[Period] = []
    for structure_id in sorted({a.structure_id for a in agents}):
        ids = sorted(a.id for a in agents if a.structure_id == structure_id)
        plages = [p for p in await uow.structures.plages(first_day=first, last_day=last, structure_id=structure_id)
                  if p.agent_id in wanted]
        absences = await uow.structures.absences(structure_id=structure_id, agent_ids=ids, starts_at=start,
                                                 ends_at=end)
        for plage in plages:
            away = [(a.starts_at, a.ends_at) for a in absences if a.agent_id in (None, plage.agent_id)]
            for occurrence in occurrence_days(opening_of(plage), first, last):
                if is_public_holiday(occurrence):
                    continue
                begins = local_moment(occurrence, plage.start_time, tz)
                ends = local_moment(occurrence, plage.end_time, tz)
                if begins is None or ends is None:
                    continue  # a DST night: that plage is skipped rather than guessed
                for piece_start, piece_end in _minus(begins, ends, away):
                    if piece_end > since:
                        periods.append(Period(plage.agent_id, plage.lieu_id, piece_start, piece_end))
    return sorted(periods, key=lambda p: (p.starts_at, p.agent_id))


def _minus(start: dt.datetime, end: dt.datetime, away: list[tuple[dt.datetime, dt.datetime]]
           ) -> list[tuple[dt.datetime, dt.datetime]]:
    pieces = [(start, end)]
    for away_start, away_end in away:
        kept = []
        for piece_start, piece_end in pieces:
            if away_end <= piece_start or away_start >= piece_end:
                kept.append((piece_start, piece_end))
                continue
            if piece_start < away_start:
                kept.append((piece_start, away_start))
            if away_end < piece_end:
                kept.append((away_end, piece_end))
        pieces = kept
    return pieces


async def when_they_answer(uow: UnitOfWork, world: World, agents: Sequence[Agent],
                           structure: MissionLocale | None, now: dt.datetime) -> tuple[str, bool]:
    """("Quelqu'un est au bureau aujourd'hui jusqu'à 17 h…", open now) from the advisors' opening hours."""
    tz = world.settings.tz
    periods = await opening_periods(uow, agents, now, 14, tz)
    current = [p for p in periods if p.starts_at <= now < p.ends_at]
    if current:
        until = max(p.ends_at for p in current).astimezone(tz)
        return f"Quelqu'un est au bureau aujourd'hui jusqu'à {clock(until)}. Réponse dans la journée, en général.", True
    upcoming = [p for p in periods if p.starts_at > now]
    if upcoming:
        back = upcoming[0].starts_at.astimezone(tz)
        today = now.astimezone(tz).date()
        return f"Personne n'est au bureau en ce moment. Retour {day(back, today=today)} à {clock(back)}.", False
    if structure is not None:
        return f"La mission locale est ouverte {structure.opening_hours}. Réponse pendant ces heures.", False
    return "Réponse dès que possible, aux heures d'ouverture.", False
