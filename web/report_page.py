"""*Rapport*: the Département's report on the desk (the same figures and charts as ``tremplin report``), per
calendar month, quarter or year and per structure, with its CSV. No record, no personal data: the figures come
from the pseudonymous events, small counts suppressed (report/suppression.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

from starlette.exceptions import HTTPException
from starlette.responses import Response, StreamingResponse

from bot.cli_report import labels_for
from report.figures import Report, build_report
from report.periods import Period, PeriodError, parse_period
from report.render import cell_hidden, cell_text, context, csv_text
from web.access import DEPARTEMENT_ROLES, Visit, page
from web.render import TEMPLATES, render

TEMPLATES.env.filters["cell"] = cell_text
TEMPLATES.env.tests["hidden"] = cell_hidden


def periods_offered(now: dt.datetime, tz: object) -> list[Period]:
    """The last 13 months, the last 4 quarters and the last 2 years (the current one included: "en cours")."""
    local = now.astimezone(tz).date()  # type: ignore[arg-type]
    months, year, month = [], local.year, local.month
    for _ in range(13):
        months.append(f"{year}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    quarter = (local.month - 1) // 3 + 1
    quarters, year = [], local.year
    for _ in range(4):
        quarters.append(f"{year}-T{quarter}")
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    years = [str(local.year), str(local.year - 1)]
    return [parse_period(code, tz) for code in months + quarters + years]  # type: ignore[arg-type]


async def _report(visit: Visit) -> tuple[Report, list[Period], dict[str, str]]:
    tz = visit.world.settings.tz
    offered = periods_offered(visit.now, tz)
    default = offered[1].code  # the last full month
    try:
        period = parse_period(visit.request.query_params.get("periode") or default, tz)
    except PeriodError as refused:
        raise HTTPException(400, str(refused)) from refused
    if not period.started(visit.now):
        raise HTTPException(400, f"La période {period.name} n'a pas encore commencé.")
    names = await visit.uow.report_figures.structure_names()
    structure = visit.request.query_params.get("structure") or None
    if structure is not None and structure not in names:
        raise HTTPException(400, "Cette structure n'existe pas.")
    report = await build_report(visit.uow, period, as_of=visit.now, threshold=visit.world.settings.report.min_count,
                                structure=structure, labels=labels_for(visit.world.territory))
    return report, offered, names


@page(*DEPARTEMENT_ROLES)
async def report_page(visit: Visit) -> Response:
    """GET /rapport: the figures and charts of a period (default: the last full month)."""
    report, offered, names = await _report(visit)
    query = f"periode={report.period.code}" + (f"&structure={report.structure[0]}" if report.structure else "")
    request = visit.request

    async def page_body() -> AsyncIterator[bytes]:
        # Drawn once the page's transaction is over: a second or two of matplotlib (in a thread, off the event
        # loop) must not hold the database meanwhile (on SQLite, every other writer would wait for it).
        shown = await asyncio.to_thread(context, report)
        yield bytes(render(request, "report.html", {
            "title": f"Rapport · {report.period.name}", **shown, "periods": offered,
            "structures": sorted(names.items(), key=lambda item: item[1]),
            "csv_link": f"/rapport.csv?{query}"}).body)

    return StreamingResponse(page_body(), media_type="text/html; charset=utf-8")


@page(*DEPARTEMENT_ROLES)
async def report_csv(visit: Visit) -> Response:
    """GET /rapport.csv: every figure of the page, suppression applied."""
    report, _, _ = await _report(visit)
    name = f"rapport-{report.period.code}{'-' + report.structure[0] if report.structure else ''}.csv"
    return Response(csv_text(report), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
