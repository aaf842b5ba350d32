"""The report's figures against a database seeded event by event, the expected figures counted by hand below.

42 young people, November 2026 (Europe/Paris), the report made on 5 December 2026:

- s01-s24 write for the first time in November (their first contact and consent carry no facet yet: the
  commune and the age are asked afterwards); s01-s22 give their agreement; s01-s20 finish the welcome questions:
  s01-s14 at the mission locale of Nanterre (Paris Ouest La Défense), s15-s20 at Boucle Nord (Boucle Nord de
  Seine); aged 18-21 (s01-s12), 22-25 (s13-s17), 16-17 (s18-s20); at the RSA s01-s11.
- s01-s15 have their first appointment booked in November, s<i> i days after their first contact (s01-s12 by the
  assistant, s13-s15 by an advisor); s01-s12 came (s01 first marked absent, then corrected), s13-s14 did not,
  s15 excused himself.
- s25-s30 came in October and had a first appointment then; their second is booked in November by the
  assistant: s25-s28 came, s29's was cancelled by the structure, s30's has no status yet.
- requests for an advisor: s01-s13 (s01-s02 urgent, s01-s05 outside opening hours), answered after 10 min × i
  for s01-s12.
- suggestions: training:logistique shown 5 times (kept twice), job:batiment 4 times, job:logistique 3 times.
- s31-s42 (welcomed in August) are asked "what became of you" at 3 months; s25-s30 at 6 months.

``REPORT_FIGURES=1`` prints the expected and computed figures side by side.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from dataclasses import dataclass

import pytest

from report.figures import Report, build_report
from report.periods import PeriodError, parse_period
from report.render import csv_text, html
from report.suppression import Count, Rate, Statistic, breakdown
from storage import Database
from tests.report.report_kit import AS_OF, DAY, LABELS, PARIS, make, seed


def table(report: Report, title: str) -> dict[str, list[str]]:
    """A table's rows as published (text of each cell), by row label."""
    for section in report.sections:
        for found in section.tables:
            if found.title == title:
                return {row.label: [c if isinstance(c, str) else c.text for c in row.cells] for row in found.rows}
    raise KeyError(title)


@dataclass
class Side:
    """Expected and computed, side by side (printed with REPORT_FIGURES=1)."""

    rows: list[tuple[str, object, object]]

    def check(self, label: str, expected: object, computed: object) -> None:
        self.rows.append((label, expected, computed))

    def show(self, title: str) -> None:
        if os.environ.get("REPORT_FIGURES"):
            width = max(len(label) for label, _, _ in self.rows)
            print(f"\n{title}\n{'figure':<{width}}  {'expected':>34}  {'computed':>34}")
            for label, expected, computed in self.rows:
                mark = "" if expected == computed else "   <-- differs"
                print(f"{label:<{width}}  {plain(expected):>34}  {plain(computed):>34}{mark}")
        assert [e for _, e, _ in self.rows] == [c for _, _, c in self.rows], [
            r for r in self.rows if r[1] != r[2]]


NNBSP = "\u202f"


def plain(value: object) -> str:
    """A figure as printed side by side: lists joined, narrow spaces as spaces."""
    if isinstance(value, list):
        return " | ".join(plain(v) for v in value)
    return str(value).replace(NNBSP, " ")


def pct(numerator: int, base: int) -> str:
    return f"{round(100 * numerator / base)}{NNBSP}%"


async def test_every_figure_without_suppression(db: Database) -> None:
    """Threshold 1: nothing hidden, every figure as counted by hand."""
    await seed(db)
    report = await make(db, threshold=1)
    side = Side([])
    total = table(report, "Ensemble")
    side.check("premiers contacts", "24", total["Premiers contacts"][0])
    side.check("accords", "22", total["Accords donnés"][0])
    side.check("accueils terminés", "20", total["Questions d'accueil terminées"][0])
    by_structure = table(report, "Par mission locale")
    side.check("contacts / accords / accueils Nanterre", ["14", "14", "14"], by_structure["Mission locale de Nanterre"])
    side.check("contacts / accords / accueils Boucle Nord", ["6", "6", "6"],
               by_structure["Mission locale Boucle Nord"])
    side.check("contacts / accords / accueils non renseigné", ["4", "2", "0"], by_structure["Non renseigné"])
    territory = table(report, "Par territoire (EPT)")
    side.check("accueils Paris Ouest La Défense", "14", territory["Paris Ouest La Défense"][2])
    side.check("accueils Boucle Nord de Seine", "6", territory["Boucle Nord de Seine"][2])
    side.check("accueils Vallée Sud (aucun)", "0", territory["Vallée Sud-Grand Paris"][2])
    ages = table(report, "Par tranche d'âge")
    side.check("accueils 16-17 / 18-21 / 22-25", ["3", "12", "5"],
               [ages["16 à 17 ans"][2], ages["18 à 21 ans"][2], ages["22 à 25 ans"][2]])
    rsa = table(report, "RSA")
    side.check("contacts au RSA / pas / non renseigné", ["11", "9", "4"],
               [rsa["Au RSA (ou foyer au RSA)"][0], rsa["Pas au RSA"][0], rsa["Non renseigné"][0]])
    funnel = table(report, "Parcours des jeunes du premier contact au rendez-vous")
    side.check("parcours : jeunes à chaque étape", ["24", "22", "20", "15", "12"],
               [row[0] for row in funnel.values()])
    side.check("parcours : part perdue", ["", pct(2, 24), pct(2, 22), pct(5, 20), pct(3, 15)],
               [row[1] for row in funnel.values()])
    booked = table(report, "Rendez-vous pris pendant la période")
    side.check("rendez-vous pris assistant / conseiller / total", ["18", "3", "21"],
               [booked["Pris par le jeune avec l'assistant"][0], booked["Pris par un conseiller"][0],
                booked["Total"][0]])
    delay = table(report, "Délai entre le premier contact et le premier rendez-vous")
    side.check("délai médian (8 jours) et base", ["8 jours", "15"],
               delay["Médiane (la moitié des jeunes ont attendu moins)"])
    side.check("délai 90e centile (13,6 jours, arrondi au jour au-delà de 10)", ["14 jours", "15"],
               delay["90e centile (9 jeunes sur 10 ont attendu moins)"])
    p90 = next(row.cells[0] for s in report.sections for t in s.tables for row in t.rows
               if row.label.startswith("90e centile"))
    side.check("délai 90e centile en jours, avant arrondi (13 + 0,6 × (14 − 13))", 13.6,
               round(p90.seconds / DAY, 6))  # type: ignore[union-attr]
    statuses = table(report, "Rendez-vous de la période déjà passés, par statut")
    side.check("statuts venus / absents / excusés / annulés / inconnu / total",
               ["16", "2", "1", "1", "1", "21"], [row[0] for row in statuses.values()])
    rates = table(report, "Venue aux rendez-vous")
    side.check("taux de présence 16/18", [pct(16, 18), "18"], rates["Taux de présence"][:2])
    side.check("taux d'absence 2/18", [pct(2, 18), "18"], rates["Taux d'absence (« lapins »)"][:2])
    side.check("taux d'annulation 2/20", [pct(2, 20), "20"], rates["Taux d'annulation"][:2])
    per_structure = [t for s in report.sections if s.key == "appointments" for t in s.tables][-1]
    rows = {row.label: [c.text for c in row.cells if not isinstance(c, str)] for row in per_structure.rows}
    side.check("Nanterre : pris, venus, absents, présence", ["20", "16", "2", pct(16, 18)],
               rows["Mission locale de Nanterre"])
    side.check("Boucle Nord : pris, venus, absents, présence", ["1", "0", "0", "–"],
               rows["Mission locale Boucle Nord"])
    handoffs = table(report, "Demandes à parler à un conseiller")
    side.check("demandes, urgentes, hors heures, répondues", ["13", "2", "5", "12"],
               [handoffs[label][0] for label in list(handoffs)[:4]])
    side.check("délai médian de réponse (65 min)", "1 h 05",
               handoffs["Délai médian avant la première réponse d'un conseiller"][0])
    kinds = table(report, "Par type")
    side.check("suggestions formations / offres (proposées, gardées)", [["5", "2"], ["7", "0"]],
               [kinds["Formations"], kinds["Offres d'emploi"]])
    sectors = table(report, "Par secteur")
    side.check("suggestions logistique / bâtiment proposées", ["8", "4"],
               [sectors["Logistique"][0], sectors["Bâtiment"][0]])
    answers = table(report, "Questions posées et réponses")
    side.check("à 3 mois : interrogés, répondu, taux", ["12", "10", pct(10, 12)], answers["À 3 mois"])
    side.check("à 6 mois : interrogés, répondu, taux", ["6", "1", pct(1, 6)], answers["À 6 mois"])
    groups = table(report, "Ce que sont devenus les jeunes qui ont répondu")
    side.check("à 3 mois : durable / transition / sortie positive / recherche",
               ["5", "1", "3", "1"], [groups[label][0] for label in list(groups) if not label.startswith(
                   ("Service", "Autre"))])
    side.check("à 3 mois : part en emploi durable 5/10", pct(5, 10), next(iter(groups.values()))[1])
    told = table(report, "Situations dites sans question (par le jeune, ou notées par un conseiller)")
    side.check("dites sans question : emploi durable", "1", next(iter(told.values()))[0])
    side.show("Seuil 1 (rien de masqué)")


async def test_small_counts_are_hidden_with_their_complement(db: Database) -> None:
    """The default threshold, 11: the same database as published."""
    await seed(db)
    report = await make(db, threshold=11)
    side = Side([])
    hidden = "< 11"
    by_structure = table(report, "Par mission locale")
    # First contacts: 14 / 6 / 4: two cells hidden already, the total (24) does not give either back.
    side.check("contacts Nanterre / Boucle Nord / non renseigné", ["14", hidden, hidden],
               [by_structure[k][0] for k in ("Mission locale de Nanterre", "Mission locale Boucle Nord",
                                             "Non renseigné")])
    # Welcomed: 14 / 6 / 0 with the total 20 shown: 6 alone would be 20 - 14, so 14 is hidden too (0 stays).
    side.check("accueils Nanterre / Boucle Nord / non renseigné (complément)", [hidden, hidden, "0"],
               [by_structure[k][2] for k in ("Mission locale de Nanterre", "Mission locale Boucle Nord",
                                             "Non renseigné")])
    side.check("accueils au total", "20", table(report, "Ensemble")["Questions d'accueil terminées"][0])
    booked = table(report, "Rendez-vous pris pendant la période")
    # 18 by the assistant, 3 by an advisor, 21 in all: 3 hidden, and 18 with it.
    side.check("rendez-vous assistant / conseiller / total (complément)", [hidden, hidden, "21"],
               [row[0] for row in booked.values()])
    statuses = table(report, "Rendez-vous de la période déjà passés, par statut")
    side.check("statuts 16 / 2 / 1 / 1 / 1", ["16", hidden, hidden, hidden, hidden, "21"],
               [row[0] for row in statuses.values()])
    rates = table(report, "Venue aux rendez-vous")
    # 16 / 18: the base (18) would give back the hidden absences (2).
    side.check("taux de présence (absents masqués)", "non diffusé", rates["Taux de présence"][0])
    delay = table(report, "Délai entre le premier contact et le premier rendez-vous")
    side.check("délai médian sur 15 jeunes (>= 11)", "8 jours",
               delay["Médiane (la moitié des jeunes ont attendu moins)"][0])
    funnel = table(report, "Parcours des jeunes du premier contact au rendez-vous")
    side.check("parcours (tous >= 11)", ["24", "22", "20", "15", "12"], [row[0] for row in funnel.values()])
    handoffs = table(report, "Demandes à parler à un conseiller")
    side.check("demandes 13, urgentes 2, hors heures 5, répondues 12", ["13", hidden, hidden, "12"],
               [handoffs[label][0] for label in list(handoffs)[:4]])
    side.check("part des urgentes (numérateur masqué)", "non diffusé", list(handoffs.values())[1][1])
    side.check("délai médian de réponse sur 12 (>= 11)", "1 h 05", list(handoffs.values())[4][0])
    answers = table(report, "Questions posées et réponses")
    side.check("à 3 mois : 12 interrogés, 10 réponses, taux masqué", ["12", hidden, "non diffusé"],
               answers["À 3 mois"])
    side.check("à 6 mois : base 6 < 11", [hidden, hidden, "non diffusé"], answers["À 6 mois"])
    side.check("graphique par structure : les mêmes cases masquées que le tableau",
               ["Mission locale Boucle Nord < 11", "Mission locale de Nanterre < 11"],
               [f"{name} {onboarded.text}" for name, onboarded, *_ in report.by_structure])
    side.show("Seuil 11 (par défaut)")
    for section in report.sections:  # nowhere a count from 1 to 10
        for found in section.tables:
            for row in found.rows:
                for cell in row.cells:
                    if isinstance(cell, Count):
                        assert cell.hidden or cell.value == 0 or cell.value >= 11, (found.title, row.label)


async def test_one_structure(db: Database) -> None:
    await seed(db)
    report = await make(db, threshold=1, structure="ml-boucle-nord")
    assert table(report, "Ensemble")["Questions d'accueil terminées"] == ["6"]
    assert table(report, "Ensemble")["Premiers contacts"] == ["6"]  # their first contact: Boucle Nord's known
    assert [row[0] for row in table(report, "Parcours des jeunes du premier contact au rendez-vous").values()] == [
        "6", "6", "6", "1", "0"]  # s15-s20: only s15 was booked (advisor), excused
    assert table(report, "Rendez-vous pris pendant la période")["Total"] == ["1"]
    assert "Mission locale Boucle Nord" in report.summary


def test_breakdown_rules() -> None:
    shown = [c.text for c in breakdown([14, 6, 0], 11)]
    assert shown == ["< 11", "< 11", "0"]
    assert [c.text for c in breakdown([30, 12, 5, 3], 11)] == ["30", "12", "< 11", "< 11"]  # two: no complement
    assert [c.text for c in breakdown([30, 12, 5], 11)] == ["30", "< 11", "< 11"]  # the smallest other one
    assert [c.text for c in breakdown([4, 3], 11)] == ["< 11", "< 11"]  # the total itself is small
    assert [c.text for c in breakdown([0, 40], 11)] == ["0", "40"]


@pytest.mark.parametrize("code", ["2026-13", "2026-11-15", "2026-T5", "26", "novembre", "2026-11..2026-12"])
def test_only_calendar_periods(code: str) -> None:
    with pytest.raises(PeriodError, match=r"un mois .2026-11., un trimestre .2026-T4. ou une année"):
        parse_period(code, PARIS)


def test_periods() -> None:
    month, quarter, year = (parse_period(c, PARIS) for c in ("2026-11", "2026-t4", "2026"))
    assert (month.name, quarter.name, year.name) == ("novembre 2026", "4e trimestre 2026 (octobre à décembre)",
                                                      "année 2026")
    assert month.since == dt.datetime(2026, 10, 31, 23, tzinfo=dt.UTC)  # midnight in Paris (winter time)
    assert quarter.until == dt.datetime(2026, 12, 31, 23, tzinfo=dt.UTC)
    assert len(year.months()) == 12 and quarter.code == "2026-T4"
    assert (month.during, quarter.during, year.during) == (
        "En novembre 2026", "Au 4e trimestre 2026 (octobre à décembre)", "En 2026")
    assert month.in_progress(dt.datetime(2026, 11, 30, 22, tzinfo=dt.UTC))
    assert not month.in_progress(AS_OF)


async def test_a_period_in_progress_says_so(db: Database) -> None:
    await seed(db)
    async with db.transaction() as uow:
        report = await build_report(uow, parse_period("2026-12", PARIS), as_of=AS_OF, threshold=11, labels=LABELS)
    assert report.in_progress
    assert report.weeks == ["1er déc."]  # the weeks begun on 5 December only, none drawn at 0 ahead of time
    assert "Période en cours" in html(report) and "5 décembre 2026" in report.summary


def test_rates_are_never_shown_without_their_base() -> None:
    assert Rate(5, 20, 11, False).text == f"25{NNBSP}%" and Rate(5, 20, 11, False).base_text == "20"
    assert Statistic(100.0, 5, 11).text == "non diffusé"


def test_csv_lists_every_figure(tmp_path: object) -> None:
    """The CSV holds what the tables publish, hidden counts as "< 11"."""
    from report.figures import Row, Section, Table

    report = Report(parse_period("2026-11", PARIS), None, AS_OF, 11, [Section("x", "Titre", "", [
        Table("T", ["Jeunes"], [Row("a", [Count(4, 11, True)]), Row("b", [Count(40, 11)])])])], [], [], {}, [])
    lines = list(csv.reader(io.StringIO(csv_text(report).lstrip("\ufeff")), delimiter=";"))
    assert ["Titre", "T", "a", "Jeunes", "< 11", ""] in lines and ["Titre", "T", "b", "Jeunes", "40", ""] in lines


def test_charts_write_hidden_counts_and_any_name() -> None:
    """A hidden count is not drawn but written "< 11" (in the text alternative too); a "$" in a name is text."""
    from report import charts

    report = Report(parse_period("2026-11", PARIS), None, AS_OF, 11, [], [("Premier contact", Count(3, 11, True))],
                    ["2 nov."], {"Premiers contacts": [Count(5, 11, True)]},
                    [("ML $5 $x^2$", Count(0, 11), Count(12, 11), Count(3, 11, True))])
    drawn = charts.charts(report)
    assert all(chart.uri.startswith("data:image/png;base64,") for chart in drawn.values())
    assert "Premier contact : < 11" in drawn["funnel"].alt
    assert "ML $5 $x^2$ : accueil terminé 0, venus 12, absents < 11." in drawn["structures"].alt
