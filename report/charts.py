"""The report's charts: static PNG images (matplotlib, no display) embedded as ``data:`` URIs, so that the HTML
is self-contained and WeasyPrint puts the same pictures in the PDF.

Accessible: each chart has a title, labelled axes, the values written on it, series told apart by shape and
line style as well as by colour, and a text alternative (``alt``) that says what it shows. A hidden count (under
the threshold) is not drawn: it is written "< 11" where its bar or point would be.
"""

from __future__ import annotations

import base64
import io
import math
import textwrap
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display, and no GUI toolkit imported
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from report.figures import Report

matplotlib.rcParams["text.parse_math"] = False  # a "$" in a structure's name is a dollar, not TeX
# Colours that stay apart for the common colour blindnesses (Okabe-Ito), always with a second cue.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7")
MARKERS = ("o", "s", "^", "D")
LINES = ("-", "--", "-.", ":")
HATCHES = ("", "//", "..")


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    alt: str
    uri: str  # data:image/png;base64,...


def _uri(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)  # laid out by "constrained": one drawing (a tight bbox: two)
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def funnel(report: Report) -> Chart:
    title = "Du premier contact au rendez-vous honoré"
    labels = [label for label, _ in report.funnel]
    figure, axes = plt.subplots(figsize=(7.5, 3.2), layout="constrained")
    values = [0 if shown.hidden else shown.value for _, shown in report.funnel]
    top = max([*values, 1])
    axes.barh(range(len(labels)), values, color=COLOURS[0], edgecolor="black")
    for i, (_, shown) in enumerate(report.funnel):
        axes.text((0 if shown.hidden else shown.value) + top * 0.01, i, shown.text + (
            " (non diffusé)" if shown.hidden else ""), va="center", fontsize=9)
    axes.set_yticks(range(len(labels)), labels)
    axes.invert_yaxis()
    axes.set_xlim(0, top * 1.25)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # people: whole numbers
    axes.set_xlabel("Jeunes")
    axes.set_title(title)
    axes.spines[["top", "right"]].set_visible(False)
    alt = "Barres horizontales, une par étape : " + " ; ".join(
        f"{label} : {shown.text}" for label, shown in report.funnel) + "."
    return Chart("funnel", title, alt, _uri(figure))


def weekly(report: Report) -> Chart:
    title = "Semaine par semaine"
    figure, axes = plt.subplots(figsize=(7.5, 3.6), layout="constrained")
    x = list(range(len(report.weeks)))
    hidden_any = False
    for i, (name, counts) in enumerate(report.weekly.items()):
        y = [math.nan if c.hidden else c.value for c in counts]
        hidden_any |= any(c.hidden for c in counts)
        axes.plot(x, y, color=COLOURS[i % 4], marker=MARKERS[i % 4], linestyle=LINES[i % 4], label=name)
    step = math.ceil(len(x) / 14)  # a quarter's 14 weeks are all named; a year's, one in four
    axes.set_xticks(x[::step], report.weeks[::step], rotation=30 if len(x) > 7 else 0,
                    ha="right" if len(x) > 7 else "center", fontsize=8)
    axes.set_xlabel("Semaine commençant le", fontsize=8)
    axes.set_ylabel("Nombre")
    axes.set_ylim(bottom=0, top=max([1.0, *(c.value for s in report.weekly.values() for c in s if not c.hidden)]) * 1.1)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(title)
    figure.legend(fontsize=8, frameon=False, loc="outside right upper")
    axes.spines[["top", "right"]].set_visible(False)
    if hidden_any:
        axes.set_xlabel(f"Semaine commençant le (les semaines à moins de {report.threshold} ne sont pas tracées : "
                        "un trou dans la courbe)", fontsize=8)
    alt = "Courbes par semaine. " + " ".join(
        f"{name} : " + ", ".join(f"semaine du {week} {c.text}" for week, c in zip(report.weeks, counts, strict=True))
        + "." for name, counts in report.weekly.items())
    return Chart("weekly", title, alt, _uri(figure))


def structures(report: Report) -> Chart:
    title = "Par mission locale"
    names = [name for name, *_ in report.by_structure]
    series = (("Questions d'accueil terminées", 1), ("Venus à un rendez-vous", 2), ("Absents sans prévenir", 3))
    figure, axes = plt.subplots(figsize=(7.5, 1.2 + 0.55 * max(1, len(names))), layout="constrained")
    height = 0.8 / len(series)
    top = max([1] + [c.value for row in report.by_structure for c in row[1:] if not c.hidden])
    for s, (label, column) in enumerate(series):
        for i, row in enumerate(report.by_structure):
            shown = row[column]
            y = i + (s - 1) * height
            value = 0 if shown.hidden else shown.value
            axes.barh(y, value, height=height, color=COLOURS[s], hatch=HATCHES[s], edgecolor="black",
                      label=label if i == 0 else None)
            axes.text(value + top * 0.01, y, shown.text, va="center", fontsize=7)
    axes.set_yticks(range(len(names)), [textwrap.fill(name, 30) for name in names], fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(0, top * 1.2)
    axes.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    axes.set_xlabel("Jeunes (accueil) et rendez-vous (venus, absents)")
    axes.set_title(title)
    figure.legend(fontsize=8, frameon=False, loc="outside lower center", ncols=3)
    axes.spines[["top", "right"]].set_visible(False)
    alt = "Barres par mission locale. " + " ".join(
        f"{name} : accueil terminé {a.text}, venus {b.text}, absents {c.text}."
        for name, a, b, c in report.by_structure)
    return Chart("structures", title, alt, _uri(figure))


def charts(report: Report) -> dict[str, Chart]:
    """Every chart of the report, by key (``Section.charts`` names them)."""
    return {chart.key: chart for chart in (funnel(report), weekly(report), structures(report))}
