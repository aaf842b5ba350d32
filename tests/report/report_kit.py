"""The report tests' database, seeded event by event (the dataset is told in tests/report/test_figures.py)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from report.figures import Labels, Report, build_report
from report.periods import parse_period
from storage import Database
from storage.report_events import Facets, NewEvent

PARIS = ZoneInfo("Europe/Paris")
AS_OF = dt.datetime(2026, 12, 5, 9, tzinfo=dt.UTC)
POLD, BOUCLE = "200057982", "200057990"
LABELS = Labels(territories={POLD: "Paris Ouest La Défense", BOUCLE: "Boucle Nord de Seine",
                             "200057966": "Vallée Sud-Grand Paris"},
                structures={"ml-nanterre": "Mission locale de Nanterre",
                            "ml-boucle-nord": "Mission locale Boucle Nord"},
                sectors={"logistique": "Logistique", "batiment": "Bâtiment"})
DAY = 86400.0
NO_FACETS = Facets()


def at(month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=dt.UTC)


def subject(i: int) -> str:
    return f"s{i:02d}"


def facets(i: int) -> Facets:
    """The facets of s01-s20 once welcomed (see the module's docstring)."""
    structure, territory = ("ml-nanterre", POLD) if i <= 14 else ("ml-boucle-nord", BOUCLE)
    band = "18-21" if i <= 12 else "22-25" if i <= 17 else "16-17"
    return Facets(structure, territory, band, i <= 11)


def events() -> list[NewEvent]:
    out: list[NewEvent] = []

    def add(i: int, kind: str, when: dt.datetime, f: Facets = NO_FACETS, **more: object) -> None:
        out.append(NewEvent(subject(i), kind, when, f, **more))  # type: ignore[arg-type]

    for i in range(1, 25):
        add(i, "first_contact", at(11, i))
        if i <= 22:
            add(i, "consent", at(11, i, 11))
        if i <= 20:
            add(i, "onboarded", at(11, i, 12), facets(i))
    for i in range(1, 16):
        starts = at(11, i) + dt.timedelta(days=i)
        add(i, "appointment_booked", at(11, i, 13), facets(i), detail="bot" if i <= 12 else "advisor",
            value=i * DAY, about_at=starts, item=f"a:{i}")
        status = "seen" if i <= 12 else "noshow" if i <= 14 else "excused"
        if i == 1:
            add(i, "appointment_status", starts, facets(i), detail="noshow", about_at=starts, item=f"a:{i}")
        add(i, "appointment_status", starts + dt.timedelta(hours=1), facets(i), detail=status, about_at=starts,
            item=f"a:{i}")
    for i in range(25, 31):
        f = Facets("ml-nanterre", POLD, "18-21", False)
        add(i, "first_contact", at(10, 1))
        add(i, "onboarded", at(10, 1, 11), f)
        add(i, "appointment_booked", at(10, 20), f, detail="bot", value=5 * DAY, about_at=at(10, 25), item=f"b:{i}")
        add(i, "appointment_status", at(10, 25), f, detail="seen", about_at=at(10, 25), item=f"b:{i}")
        add(i, "appointment_booked", at(11, 10), f, detail="bot", value=50 * DAY, about_at=at(11, 20),
            item=f"a:{i}")
        if i <= 28:
            add(i, "appointment_status", at(11, 20, 11), f, detail="seen", about_at=at(11, 20), item=f"a:{i}")
        elif i == 29:
            add(i, "appointment_status", at(11, 18), f, detail="revoked", about_at=at(11, 20), item=f"a:{i}")
        add(i, "outcome_asked", at(11, 3), f, detail="6m")
    add(25, "outcome", at(11, 4), Facets("ml-nanterre", POLD, "18-21", False), detail="6m:other")
    for i in range(1, 14):
        add(i, "handoff_opened", at(11, 25, 8), facets(i), detail="urgent" if i <= 2 else "normal",
            value=1.0 if i <= 5 else 0.0, item=f"h:{i}")
        if i <= 12:
            add(i, "handoff_answered", at(11, 25, 9), facets(i), value=600.0 * i, about_at=at(11, 25, 8),
                item=f"h:{i}")
    for n, detail in enumerate(["training:logistique"] * 5 + ["job:batiment"] * 4 + ["job:logistique"] * 3):
        add(1 + n % 10, "suggestion_shown", at(11, 12), facets(1 + n % 10), detail=detail)
    for i in (1, 2):
        add(i, "suggestion_saved", at(11, 12, 11), facets(i), detail="training:logistique")
    answers = {31: "durable_job", 32: "durable_job", 33: "durable_job", 34: "durable_job", 35: "business",
               36: "training", 37: "training", 38: "apprenticeship", 39: "looking", 40: "looking"}
    for i in range(31, 43):
        f = Facets("ml-nanterre", POLD, "22-25", True)
        add(i, "first_contact", at(8, 1))
        add(i, "onboarded", at(8, 1, 11), f)
        add(i, "outcome_asked", at(11, 2), f, detail="3m")
        if i in answers:
            add(i, "outcome", at(11, 3), f, detail=f"3m:{answers[i]}")
    add(40, "outcome", at(11, 6), Facets("ml-nanterre", POLD, "22-25", True), detail="3m:short_job")  # corrected
    add(31, "outcome", at(11, 20), Facets("ml-nanterre", POLD, "22-25", True), detail="said:durable_job")
    add(1, "first_contact", at(12, 1))  # December: not in November's report
    return out


async def seed(db: Database) -> None:
    async with db.transaction() as uow:
        await uow.report_events.add(events())


async def make(db: Database, threshold: int, structure: str | None = None) -> Report:
    async with db.transaction() as uow:
        return await build_report(uow, parse_period("2026-11", PARIS), as_of=AS_OF, threshold=threshold,
                                  structure=structure, labels=LABELS)
