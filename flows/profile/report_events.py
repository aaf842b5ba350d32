"""The report's pseudonymous events, written as things happen (storage/report_events.py says what each holds).

Called by the capabilities where each thing happens (the onboarding, the booking's reactions, the hand-off,
the ideas, the outcome questions), in the same transaction: an event exists exactly when what it counts does.
"""

from __future__ import annotations

import datetime as dt
import secrets

from flows.data.territory import OUTSIDE, Territory
from storage.db import UnitOfWork
from storage.people import Person
from storage.report_events import Facets, NewEvent, age_band


def facets(person: Person, territory: Territory) -> Facets:
    """What the person's events may be broken down by, today: structure, EPT territory, age band, RSA."""
    commune = territory.commune(person.commune)
    structure = territory.structure_for(person.commune) if commune else None
    where = commune.territory_code if commune else (OUTSIDE if person.commune == OUTSIDE else None)
    return Facets(structure=structure.id if structure else None, territory=where, age_band=age_band(person.age),
                  rsa=person.rsa)


async def record_event(uow: UnitOfWork, territory: Territory, person: Person, kind: str, at: dt.datetime, *,
                       detail: str | None = None, value: float | None = None, about_at: dt.datetime | None = None,
                       item: str | None = None, structure: str | None = None) -> None:
    """Record one event of ``person`` (``structure``: where it happened, when it is not the person's own)."""
    if person.report_key is None:
        # Random, and kept nowhere else: erasing the person leaves their events pointing at no one.
        await uow.people.update(person, report_key=secrets.token_urlsafe(12))
    seen = facets(person, territory)
    if structure is not None:
        seen = Facets(structure=structure, territory=seen.territory, age_band=seen.age_band, rsa=seen.rsa)
    await uow.report_events.add([NewEvent(person.report_key or "", kind, at, seen, detail=detail, value=value,
                                          about_at=about_at, item=item)])
