"""``tremplin report``: the Département's report for a calendar period, as HTML, PDF or CSV (docs/rapport.md)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from bot.cli_common import config_of, fail
from bot.config import AppConfig
from flows.data.territory import Territory, load_territory
from flows.profile.values import SECTORS
from report import FORMATS
from report.figures import Labels, Report, build_report
from report.periods import PeriodError, parse_period
from storage import Database


def labels_for(territory: Territory) -> Labels:
    """The names the report gives to the codes its events hold: EPT territories, sectors."""
    return Labels(territories={c.territory_code: c.territory for c in territory.communes},
                  sectors={option.value: option.label for option in SECTORS})


async def make_report(cfg: AppConfig, period_code: str, *, fmt: str, structure: str | None,
                      now: dt.datetime | None = None) -> bytes:
    """The report's bytes (raises PeriodError, or LookupError for an unknown structure)."""
    period = parse_period(period_code, cfg.settings.tz)
    now = now or dt.datetime.now(dt.UTC)
    if not period.started(now):
        raise PeriodError(f"La période {period.name} n'a pas encore commencé.")
    data = cfg.settings.data  # the communes' territories (bot.runtime would load every capability with them)
    labels = labels_for(load_territory(cfg.path(data.communes), cfg.path(data.missions_locales)))
    # matplotlib and WeasyPrint take a second or two to import: done in a thread while the database counts.
    loading = asyncio.create_task(asyncio.to_thread(_load_renderers, fmt))
    # Only the report's tables are read: no data key, no migration, nothing written (open_database does all that).
    db = Database(cfg.database_url)
    try:
        async with db.transaction() as uow:
            if structure is not None and structure not in (names := await uow.report_figures.structure_names()):
                raise LookupError(f"« {structure} » n'est pas une structure connue ; structures : "
                                  f"{', '.join(sorted(names))}.")
            report = await build_report(uow, period, as_of=now, threshold=cfg.settings.report.min_count,
                                        structure=structure, labels=labels)
    finally:
        await db.dispose()
    render = await loading
    return await asyncio.to_thread(render, report, fmt)


def _load_renderers(fmt: str) -> Callable[[Report, str], bytes]:
    """``report.render.render``, with what the format needs imported (the charts; WeasyPrint for a PDF)."""
    from report.render import render

    if fmt != "csv":
        import report.charts  # noqa: F401  # matplotlib
    if fmt == "pdf":
        import weasyprint  # noqa: F401
    return render


def report_command(
    ctx: typer.Context,
    period: Annotated[str, typer.Option("--period", help="2026-11 (a month), 2026-T4 (a quarter) or 2026 (a year).")],
    structure: Annotated[str | None, typer.Option("--structure", help="One mission locale's id (default: all).")
                         ] = None,
    fmt: Annotated[str, typer.Option("--format", help="html, pdf or csv.")] = "html",
    output: Annotated[Path | None, typer.Option("--output", help="The file to write (default: "
                                                "rapport-PERIOD[-STRUCTURE].FORMAT here).")] = None,
) -> None:
    """Write the Département's report for a calendar period: no personal data, small counts suppressed."""
    logging.getLogger("weasyprint").setLevel(logging.WARNING)  # its progress, step by step, is not for the operator
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    if fmt not in FORMATS:
        fail(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}.")
    cfg = config_of(ctx)
    try:
        content = asyncio.run(make_report(cfg, period, fmt=fmt, structure=structure))
    except (PeriodError, LookupError) as refused:
        fail(str(refused))
    target = output or Path(f"rapport-{period}{'-' + structure if structure else ''}.{fmt}")
    target.write_bytes(content)
    typer.echo(f"Rapport écrit : {target} ({len(content):,} octets).")
