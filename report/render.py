"""The report as a file: HTML (self-contained: styles inline, charts as data: URIs), PDF (WeasyPrint, from the
same HTML) and CSV (every figure of every table, suppression applied, one line each)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from report import FORMATS
from report.figures import Cell, Report, Table
from report.periods import spelled_day
from report.suppression import Count, Rate, Statistic

if TYPE_CHECKING:
    from report.charts import Chart

ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True)


def cell_text(cell: Cell) -> str:
    return cell if isinstance(cell, str) else cell.text


def cell_csv(cell: Cell) -> str:
    return cell if isinstance(cell, str) else cell.csv


def cell_hidden(cell: Cell) -> bool:
    return isinstance(cell, Count | Statistic | Rate) and bool(getattr(cell, "hidden", False)) and not (
        isinstance(cell, Rate) and cell.base == 0)


ENV.filters["cell"] = cell_text
ENV.tests["hidden"] = cell_hidden


def context(report: Report, drawn: dict[str, Chart] | None = None) -> dict[str, object]:
    """What the templates (this package's and the desk's) need."""
    from report.charts import charts  # matplotlib: only for what has pictures (not the CSV)

    structure = report.structure[1] if report.structure else "toutes les missions locales"
    return {"report": report, "charts": drawn if drawn is not None else charts(report), "structure": structure,
            "made_on": spelled_day(report.as_of.astimezone(report.period.tz).date()),
            "in_progress": report.in_progress}


def html(report: Report) -> str:
    """The report as one HTML file."""
    return ENV.get_template("report.html").render(context(report))


def pdf(report: Report) -> bytes:
    """The same HTML printed by WeasyPrint (A4)."""
    from weasyprint import HTML  # imported here: it loads Pango, which only the PDF needs

    return HTML(string=html(report)).write_pdf()


def rows(report: Report) -> list[list[str]]:
    """Every published figure, one line each: section, table, row, column, value (as published), base."""
    lines = [["section", "tableau", "ligne", "colonne", "valeur", "base"],
             ["Rapport", "Période", report.period.code, "", report.period.name, ""],
             ["Rapport", "Structure", report.structure[0] if report.structure else "toutes", "", "", ""],
             ["Rapport", "Chiffres au", "", "", report.as_of.astimezone(report.period.tz).date().isoformat(), ""],
             ["Rapport", "Seuil de diffusion", "", "", str(report.threshold), ""],
             ["Rapport", "Période en cours", "", "", "oui" if report.in_progress else "non", ""]]
    for section in report.sections:
        for table in section.tables:
            lines += _table_rows(section.title, table)
    for series, counts in report.weekly.items():  # the weekly curves' points: published too
        lines += [["Graphiques", "Semaine par semaine", f"semaine du {week}", series, shown.csv, ""]
                  for week, shown in zip(report.weeks, counts, strict=True)]
    return lines


def _table_rows(section: str, table: Table) -> list[list[str]]:
    out = []
    for row in table.rows:
        for column, cell in zip(table.columns, row.cells, strict=True):
            if isinstance(cell, str):
                continue  # formulas and blanks: the table's notes, not figures
            base = str(cell.base) if isinstance(cell, Rate | Statistic) and not cell.hidden else ""
            out.append([section, table.title, row.label, column, cell_csv(cell), base])
    return out


def csv_text(report: Report) -> str:
    """The CSV (semicolons, UTF-8 with a BOM: what a French spreadsheet opens as it is)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerows(rows(report))
    return "\ufeff" + buffer.getvalue()


def render(report: Report, fmt: str) -> bytes:
    """The report in one of ``FORMATS``."""
    if fmt == "html":
        return html(report).encode("utf-8")
    if fmt == "pdf":
        return pdf(report)
    if fmt == "csv":
        return csv_text(report).encode("utf-8")
    raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
