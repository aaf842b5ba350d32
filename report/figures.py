"""The report's figures, assembled from the queries of ``storage/report_figures.py`` with the suppression of
small counts applied (report/suppression.py). Everything published is in ``Report``: the tables (what the HTML
shows and the CSV lists, cell by cell), the series of the charts, and the plain-French summary."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from report.periods import MONTHS, SHORT_MONTHS, Period, spelled_day
from report.suppression import Count, Rate, Statistic, breakdown, count, rate, statistic
from storage import UnitOfWork
from storage.outcomes import CATEGORIES, GROUPS
from storage.report_events import (
    AGE_BANDS,
    APPOINTMENT_BOOKED,
    BOOKED_BY_ADVISOR,
    BOOKED_BY_BOT,
    CONSENT,
    FIRST_CONTACT,
    HANDOFF_OPENED,
    ONBOARDED,
    SUGGESTION_SAVED,
    SUGGESTION_SHOWN,
)
from storage.report_figures import NO_STATUS, ReportFiguresRepository

Cell = Count | Rate | Statistic | str
Published = dict[tuple[str, object], Count]  # a table's cells by (kind, value), as published
OUTSIDE = "hors92"
UNKNOWN_WORDS = "Non renseigné"
REACH_WORDS = {FIRST_CONTACT: "Premiers contacts", CONSENT: "Accords donnés",
               ONBOARDED: "Questions d'accueil terminées"}
SEEN, NOSHOW, EXCUSED, REVOKED = "seen", "noshow", "excused", "revoked"
REVOKED_TOO = (REVOKED, "cancelled")  # "cancelled": the word of the events' table for RDV-SP's revoked
STATUS_WORDS = {SEEN: "Venus", NOSHOW: "Absents sans prévenir", EXCUSED: "Annulés par le jeune (excusés)",
                REVOKED: "Annulés par la structure", NO_STATUS: "Statut pas encore renseigné"}
SUGGESTION_KINDS = {"training": "Formations", "job": "Offres d'emploi", "programme": "Dispositifs",
                    "service": "Services"}
GROUP_WORDS = {"emploi_durable": "Emploi durable (CDI, CDD ou intérim de 6 mois ou plus, création d'entreprise)",
               "emploi_transition": "Emploi de transition (contrats plus courts, contrats aidés)",
               "sortie_positive": "Sortie positive (formation qualifiante, alternance, retour en études)",
               "service_civique": "Service civique", "en_recherche": "Toujours en recherche", "autre": "Autre"}
HORIZONS = (("3m", "À 3 mois"), ("6m", "À 6 mois"), ("1m_after", "1 mois après le dernier rendez-vous"))


@dataclass(frozen=True)
class Labels:
    """The names of what events hold as codes (given by the caller: the territory is the assistant's data)."""

    territories: dict[str, str] = field(default_factory=dict)  # EPT code -> name
    structures: dict[str, str] = field(default_factory=dict)  # id -> name (else read from the database)
    sectors: dict[str, str] = field(default_factory=dict)  # sector value -> label


@dataclass
class Row:
    label: str
    cells: list[Cell]


@dataclass
class Table:
    """One table of the report: what the HTML shows, and what the CSV lists cell by cell."""

    title: str
    columns: list[str]
    rows: list[Row]
    notes: list[str] = field(default_factory=list)


@dataclass
class Section:
    key: str
    title: str
    intro: str
    tables: list[Table]
    charts: list[str] = field(default_factory=list)  # the keys of Report.charts shown in this section


@dataclass
class Report:
    """Everything the report publishes for one period (and structure)."""

    period: Period
    structure: tuple[str, str] | None  # (id, name)
    as_of: dt.datetime
    threshold: int
    sections: list[Section]
    funnel: list[tuple[str, Count]]
    weeks: list[str]
    weekly: dict[str, list[Count]]
    by_structure: list[tuple[str, Count, Count, Count]]  # name, onboarded, seen, noshow
    summary: str = ""

    @property
    def in_progress(self) -> bool:
        return self.period.in_progress(self.as_of)

    @property
    def as_of_words(self) -> str:
        return spelled_day(self.as_of.astimezone(self.period.tz).date())


def _facet_label(value: object, names: dict[str, str]) -> str:
    if value is None:
        return UNKNOWN_WORDS
    if value == OUTSIDE:
        return "Hors des Hauts-de-Seine"
    return names.get(str(value), str(value))


def _by(cells: dict[tuple[str, object], int], kinds: Sequence[str], values: Sequence[object],
        names: dict[object, str], threshold: int, title: str, note: str) -> tuple[Table, Published]:
    """A table of the reach: one row per value of a facet, one column per kind, each column suppressed as a
    breakdown of its total (the first table); and its cells by (kind, value), for the charts to draw the very
    same (a chart suppressing on its own could pick another complement, and give a hidden cell back)."""
    found = sorted({value for (_, value) in cells} - set(values), key=lambda v: (v is None, str(v)))
    order = list(values) + found
    columns = {kind: breakdown([cells.get((kind, value), 0) for value in order], threshold) for kind in kinds}
    rows = [Row(names.get(value, _facet_label(value, {})), [columns[kind][i] for kind in kinds])
            for i, value in enumerate(order)]
    published = {(kind, value): columns[kind][i] for kind in kinds for i, value in enumerate(order)}
    return Table(title, [REACH_WORDS[kind] for kind in kinds], rows, [note] if note else []), published


def _share(part: Count, whole: Count, threshold: int) -> Rate:
    return rate(part, whole.value, threshold, [whole])


async def build_report(uow: UnitOfWork, period: Period, *, as_of: dt.datetime, threshold: int,
                       structure: str | None = None, labels: Labels | None = None) -> Report:
    """The figures of ``period`` (optionally of one structure), as known at ``as_of``."""
    names = await uow.report_figures.structure_names()
    return await _Builder(uow.report_figures, period, as_of, threshold, structure, labels or Labels(), names).build()


class _Builder:
    """The report's sections, one method each, on the same period, structure and threshold."""

    def __init__(self, figures: ReportFiguresRepository, period: Period, as_of: dt.datetime, threshold: int,
                 structure: str | None, labels: Labels, names: dict[str, str]) -> None:
        self.figures, self.period, self.as_of, self.t = figures, period, as_of, threshold
        self.structure, self.labels = structure, labels
        self.since, self.until = period.since, period.until
        self.names = {**names, **labels.structures}
        self.chosen = (structure, self.names.get(structure, structure)) if structure else None
        self.structure_names: dict[object, str] = {**self.names, None: UNKNOWN_WORDS}
        # The structures of the tables, in the order of their names (or the one chosen).
        self.known = [structure] if structure else sorted(self.names, key=lambda s: self.names[s])

    async def build(self) -> Report:
        reach, onboarded_by_structure, totals = await self.reach()
        funnel, steps = await self.funnel()
        appointments, by_structure, key = await self.appointments(onboarded_by_structure)
        handoffs, handoff_key = await self.handoffs()
        outcomes, responses, groups = await self.outcomes()
        sections = [
            Section("reach", "Les jeunes touchés", "Combien de jeunes ont écrit à Tremplin, ont donné leur accord "
                    "et ont répondu aux questions d'accueil, et qui ils sont.", reach, ["weekly"]),
            Section("funnel", "Du premier contact au rendez-vous", "Combien de jeunes vont jusqu'à rencontrer un "
                    "conseiller, et à quelle étape les autres s'arrêtent.", [funnel], ["funnel"]),
            Section("appointments", "Les rendez-vous", "Qui prend les rendez-vous, en combien de temps les jeunes "
                    "voient un conseiller, et s'ils viennent.", appointments, ["structures"]),
            Section("handoffs", "Les demandes à parler à un conseiller", "Quand un jeune demande un conseiller, "
                    "ou que l'assistant repère une détresse.", [handoffs]),
            Section("suggestions", "Les suggestions", "Formations, offres et dispositifs proposés aux jeunes, et "
                    "ceux qu'ils ont gardés.", await self.suggestions()),
            Section("outcomes", "Ce que sont devenus les jeunes", "La question « Tu en es où aujourd'hui ? » posée "
                    "3 et 6 mois après l'accueil, et 1 mois après le dernier rendez-vous.", outcomes),
        ]
        local_day = self.as_of.astimezone(self.period.tz).date()
        weeks = [day for day in self.period.weeks() if day <= local_day]  # a period in progress: weeks begun
        report = Report(self.period, self.chosen, self.as_of, self.t, sections, steps,
                        [f"{'1er' if day.day == 1 else day.day} {SHORT_MONTHS[day.month - 1]}" for day in weeks],
                        await self.weekly(len(weeks)), by_structure)
        report.summary = summarise(report, totals, *key, *handoff_key, responses, groups)
        return report

    async def reach(self) -> tuple[list[Table], dict[object, Count], dict[str, Count]]:
        t, labels = self.t, self.labels
        cells = await self.figures.reach(self.since, self.until, self.period.month_bounds(), self.structure)
        kinds = (FIRST_CONTACT, CONSENT, ONBOARDED)
        totals = {kind: count(sum(c.count for c in cells if c.kind == kind), t) for kind in kinds}

        def by(facet: str) -> dict[tuple[str, object], int]:
            out: dict[tuple[str, object], int] = defaultdict(int)
            for c in cells:
                out[(c.kind, getattr(c, facet))] += c.count
            return out

        territory_names: dict[object, str] = {**labels.territories, OUTSIDE: "Hors des Hauts-de-Seine",
                                              None: UNKNOWN_WORDS}
        age_names: dict[object, str] = {band: f"{band.replace('-', ' à ')} ans" for _, _, band in AGE_BANDS}
        age_names[None] = UNKNOWN_WORDS
        rsa_names: dict[object, str] = {True: "Au RSA (ou foyer au RSA)", False: "Pas au RSA", None: UNKNOWN_WORDS}
        month_names: dict[object, str] = {i: f"{MONTHS[day.month - 1]} {day.year}"
                                          for i, day in enumerate(self.period.months())}
        note = ("Chaque jeune est compté une fois par colonne. Ce qui n'était pas encore connu au moment de "
                "l'événement (la commune, l'âge avant les questions d'accueil) est pris de ses réponses aux "
                "questions d'accueil données avant la fin de la période, sinon « non renseigné ».")
        territories = [*sorted(labels.territories, key=lambda c: labels.territories[c]), OUTSIDE, None]
        by_structure, published = _by(by("structure"), kinds, [*self.known, None], self.structure_names, t,
                                      "Par mission locale", "")
        tables = [
            Table("Ensemble", ["Jeunes"], [Row(REACH_WORDS[kind], [totals[kind]]) for kind in kinds]),
            _by(by("territory"), kinds, territories, territory_names, t, "Par territoire (EPT)", note)[0],
            by_structure,
            _by(by("age_band"), kinds, [*(band for _, _, band in AGE_BANDS), None], age_names, t,
                "Par tranche d'âge", "")[0],
            _by(by("rsa"), kinds, [True, False, None], rsa_names, t, "RSA", "")[0],
        ]
        if len(month_names) > 1:
            tables.append(_by(by("month"), kinds, list(month_names), month_names, t, "Par mois", "")[0])
        onboarded = {value: shown for (kind, value), shown in published.items() if kind == ONBOARDED}
        return tables, onboarded, totals

    async def funnel(self) -> tuple[Table, list[tuple[str, Count]]]:
        t = self.t
        funnel = await self.figures.funnel(self.since, self.until, self.as_of, self.structure)
        steps = [("Premier contact", funnel.contacts), ("Accord donné", funnel.consented),
                 ("Questions d'accueil terminées", funnel.onboarded), ("Rendez-vous pris", funnel.booked),
                 ("Venu à un rendez-vous", funnel.attended)]
        shown = [count(n, t) for _, n in steps]
        rows = [Row(steps[0][0], [shown[0], "", ""])]
        for i in range(1, len(steps)):
            previous = shown[i - 1]
            lost = rate(Count(previous.value - shown[i].value, t, shown[i].hidden), previous.value, t, [previous])
            rows.append(Row(steps[i][0], [shown[i], lost, _share(shown[i], shown[0], t)]))
        table = Table("Parcours des jeunes du premier contact au rendez-vous",
                      ["Jeunes", "Part perdue à cette étape", "Part des premiers contacts"], rows, [
            "Les jeunes dont le premier contact a eu lieu pendant la période, suivis jusqu'au "
            f"{spelled_day(self.as_of.astimezone(self.period.tz).date())} : chaque étape ne compte que ceux qui "
            "ont franchi la précédente.",
            "Part perdue à cette étape = (jeunes à l'étape précédente − jeunes à cette étape) / jeunes à l'étape "
            "précédente."])
        return table, [(label, c) for (label, _), c in zip(steps, shown, strict=True)]

    async def appointments(self, onboarded: dict[object, Count]) -> tuple[
            list[Table], list[tuple[str, Count, Count, Count]], tuple[Count, list[Count], Statistic, Rate]]:
        t, f = self.t, self.figures
        booked = await f.bookings(self.since, self.until, self.structure)
        by_who = breakdown([sum(n for (_, who), n in booked.items() if who == BOOKED_BY_BOT),
                            sum(n for (_, who), n in booked.items() if who == BOOKED_BY_ADVISOR)], t)
        booked_total = count(sum(booked.values()), t)
        delays = await f.first_booking_delays(self.since, self.until, self.structure)
        median, p90 = statistic(delays, 0.5, t), statistic(delays, 0.9, t)
        statuses = await f.appointment_statuses(self.since, self.until, self.as_of, self.structure)

        def status_total(status: str, *of: str | None) -> int:
            wanted = REVOKED_TOO if status == REVOKED else (status,)
            return sum(n for (s, st), n in statuses.items() if st in wanted and (not of or s == of[0]))

        keys = [SEEN, NOSHOW, EXCUSED, REVOKED, NO_STATUS]
        by_status = dict(zip(keys, breakdown([status_total(k) for k in keys], t), strict=True))
        seen, noshow = by_status[SEEN], by_status[NOSHOW]
        expected = seen.value + noshow.value
        cancelled_parts = [by_status[EXCUSED], by_status[REVOKED]]
        with_status = expected + sum(c.value for c in cancelled_parts)
        cancelled = Count(sum(c.value for c in cancelled_parts), t, any(c.hidden for c in cancelled_parts))
        attendance = rate(seen, expected, t, [seen, noshow])
        tables = [
            Table("Rendez-vous pris pendant la période", ["Rendez-vous"], [
                Row("Pris par le jeune avec l'assistant", [by_who[0]]),
                Row("Pris par un conseiller", [by_who[1]]), Row("Total", [booked_total])]),
            Table("Délai entre le premier contact et le premier rendez-vous", ["Délai", "Jeunes"], [
                Row("Médiane (la moitié des jeunes ont attendu moins)", [median, count(median.base, t)]),
                Row("90e centile (9 jeunes sur 10 ont attendu moins)", [p90, count(p90.base, t)])],
                ["Pour chaque jeune dont le premier rendez-vous a été pris pendant la période : le temps entre son "
                 "premier message et l'heure de ce rendez-vous. Non diffusé quand moins de "
                 f"{t} jeunes sont concernés."]),
            Table("Rendez-vous de la période déjà passés, par statut", ["Rendez-vous"],
                  [Row(STATUS_WORDS[k], [by_status[k]]) for k in keys]
                  + [Row("Total", [count(sum(c.value for c in by_status.values()), t)])],
                  ["Les statuts sont ceux de RDV-Service-Public, renseignés par les conseillers."]),
            Table("Venue aux rendez-vous", ["Taux", "Base (rendez-vous)", "Formule"], [
                Row("Taux de présence", [attendance, count(expected, t), "venus / (venus + absents)"]),
                Row("Taux d'absence (« lapins »)", [rate(noshow, expected, t, [seen, noshow]), count(expected, t),
                                                    "absents / (venus + absents)"]),
                Row("Taux d'annulation", [rate(cancelled, with_status, t, [seen, noshow, *cancelled_parts]),
                                          count(with_status, t), "annulés / (venus + absents + annulés)"])],
                ["Comme RDV-Insertion : sur les rendez-vous passés dont le statut est renseigné ; les rendez-vous "
                 "annulés ne comptent pas dans le taux de présence."]),
        ]
        # Every structure found, so that each column adds up to the totals published above.
        ids: list[str | None] = [*self.known]
        ids += sorted({s for (s, _) in [*booked, *statuses] if s not in ids and s is not None})
        ids += [None] if any(s is None for (s, _) in [*booked, *statuses]) else []
        booked_col = breakdown([sum(n for (s, _), n in booked.items() if s == sid) for sid in ids], t)
        seen_col = breakdown([status_total(SEEN, sid) for sid in ids], t)
        noshow_col = breakdown([status_total(NOSHOW, sid) for sid in ids], t)
        names = [self.structure_names.get(sid, str(sid)) for sid in ids]
        tables.append(Table("Par mission locale", ["Rendez-vous pris", "Venus", "Absents", "Taux de présence"], [
            Row(name, [booked_col[i], seen_col[i], noshow_col[i],
                       rate(seen_col[i], seen_col[i].value + noshow_col[i].value, t, [seen_col[i], noshow_col[i]])])
            for i, name in enumerate(names)]))
        zero = Count(0, t)
        chart = [(name, onboarded.get(sid, zero), seen_col[i], noshow_col[i]) for i, (sid, name)
                 in enumerate(zip(ids, names, strict=True)) if sid is not None]
        return tables, chart, (booked_total, by_who, median, attendance)

    async def handoffs(self) -> tuple[Table, tuple[Count, Count, Statistic]]:
        t = self.t
        found = await self.figures.handoffs(self.since, self.until, self.as_of, self.structure)
        opened, urgent, outside = count(found.opened, t), count(found.urgent, t), count(found.outside_hours, t)
        median = statistic(found.answer_seconds, 0.5, t)
        table = Table("Demandes à parler à un conseiller", ["Demandes", "Part"], [
            Row("Demandes ouvertes pendant la période", [opened, ""]),
            Row("dont urgentes (détresse)", [urgent, _share(urgent, opened, t)]),
            Row("dont faites en dehors des heures d'ouverture", [outside, _share(outside, opened, t)]),
            Row("dont ayant déjà reçu une réponse", [count(len(found.answer_seconds), t), ""]),
            Row("Délai médian avant la première réponse d'un conseiller", [median, ""])],
            ["Délai médian : la moitié des demandes ont eu une première réponse en moins de ce temps (sur les "
             f"demandes ayant reçu une réponse ; non diffusé sous {t})."])
        return table, (opened, urgent, median)

    async def suggestions(self) -> list[Table]:
        t = self.t
        suggested = await self.figures.suggestions(self.since, self.until, self.structure)
        tables = []
        for part, title, names in ((0, "Par type", SUGGESTION_KINDS), (1, "Par secteur", self.labels.sectors)):
            cells: dict[tuple[str, str], int] = defaultdict(int)
            for (event, detail), n in suggested.items():
                cells[(event, detail.split(":", 1)[part] if ":" in detail else "")] += n
            keys = sorted({key for (_, key) in cells}, key=lambda k: (k == "", names.get(k, k)))
            shown = breakdown([cells.get((SUGGESTION_SHOWN, k), 0) for k in keys], t)
            saved = breakdown([cells.get((SUGGESTION_SAVED, k), 0) for k in keys], t)
            tables.append(Table(title, ["Proposées", "Gardées"], [
                Row(names.get(k, k) if k else "Sans secteur", [shown[i], saved[i]]) for i, k in enumerate(keys)]
                + [Row("Total", [count(sum(c.value for c in shown), t), count(sum(c.value for c in saved), t)])]))
        tables[0].notes.append("Une suggestion proposée deux fois compte deux fois ; « gardées » : mises de côté "
                               "par le jeune (« je garde »).")
        return tables

    async def outcomes(self) -> tuple[list[Table], list[Row], dict[str, tuple[list[Count], Count]]]:
        t = self.t
        asked, answered = await self.figures.outcomes_asked(self.since, self.until, self.as_of, self.structure)
        responses, groups = [], {}
        for horizon, words in HORIZONS:
            asked_n = count(asked.get(horizon, 0), t)
            by_group = [sum(n for (h, category), n in answered.items()
                            if h == horizon and CATEGORIES.get(category, "autre") == group) for group in GROUPS]
            answered_n = count(sum(by_group), t)
            groups[horizon] = (breakdown(by_group, t), answered_n)
            responses.append(Row(words, [asked_n, answered_n, rate(answered_n, asked_n.value, t, [asked_n])]))
        tables = [Table("Questions posées et réponses", ["Jeunes interrogés", "Ont répondu", "Taux de réponse"],
                        responses, ["Taux de réponse = jeunes ayant répondu / jeunes interrogés pendant la période "
                                    "(les réponses données jusqu'à la date du rapport comptent)."])]
        columns, rows = [], [Row(GROUP_WORDS[group], []) for group in GROUPS]
        for horizon, words in HORIZONS[:2]:
            cells, answered_n = groups[horizon]
            columns += [f"{words} : jeunes", f"{words} : part des réponses"]
            for i, _ in enumerate(GROUPS):
                rows[i].cells += [cells[i], _share(cells[i], answered_n, t)]
        tables.append(Table("Ce que sont devenus les jeunes qui ont répondu", columns, rows, [
            "Part des réponses = jeunes dans cette situation / jeunes ayant répondu à cet horizon (la base est la "
            "ligne « Ont répondu » du tableau précédent). Catégories : docs/outcomes.md."]))
        told = await self.figures.outcomes_told(self.since, self.until, ("said", "advisor"), self.structure)
        told_counts = breakdown([sum(n for c, n in told.items() if CATEGORIES.get(c, "autre") == g)
                                 for g in GROUPS], t)
        tables.append(Table("Situations dites sans question (par le jeune, ou notées par un conseiller)",
                            ["Jeunes"], [Row(GROUP_WORDS[g], [told_counts[i]]) for i, g in enumerate(GROUPS)]))
        return tables, responses, groups

    async def weekly(self, weeks: int) -> dict[str, list[Count]]:
        found = await self.figures.weekly(self.since, self.until, self.period.week_bounds(), self.structure)
        words = {FIRST_CONTACT: "Premiers contacts", ONBOARDED: "Questions d'accueil terminées",
                 APPOINTMENT_BOOKED: "Rendez-vous pris", HANDOFF_OPENED: "Demandes de conseiller"}
        return {label: breakdown([found.get((kind, i), 0) for i in range(weeks)], self.t)
                for kind, label in words.items()}


def _people(shown: Count, one: str, many: str) -> str:
    if shown.hidden:
        return f"moins de {shown.threshold} {many}"
    return f"{shown.text} {one if shown.value == 1 else many}"


def summarise(report: Report, totals: dict[str, Count], booked: Count, by_who: list[Count], median: Statistic,
              attendance: Rate, opened: Count, urgent: Count, answered_median: Statistic, responses: list[Row],
              groups: dict[str, tuple[list[Count], Count]]) -> str:
    """One paragraph of plain French, made from the figures as published (hidden ones stay hidden)."""
    when = report.period.during
    where = f" à la {report.structure[1]}" if report.structure else ""
    if totals[FIRST_CONTACT].value == 0 and booked.value == 0 and opened.value == 0:
        return f"{when}{where}, aucune activité n'est enregistrée."
    parts = [f"{when}{where}, {_people(totals[FIRST_CONTACT], 'jeune a', 'jeunes ont')} écrit à Tremplin pour "
             f"la première fois et {_people(totals[ONBOARDED], 'a', 'ont')} terminé les questions d'accueil."]
    sentence = f"{_people(booked, 'rendez-vous a été pris', 'rendez-vous ont été pris').capitalize()}"
    bot_share = rate(by_who[0], booked.value, booked.threshold, by_who)
    if bot_share.value is not None:
        sentence += f", dont {bot_share.text} par les jeunes eux-mêmes avec l'assistant"
    if median.text not in ("–", "non diffusé"):
        sentence += (f" ; la moitié des jeunes ont eu leur premier rendez-vous moins de {median.text} après leur "
                     "premier message")
    parts.append(sentence + ".")
    if attendance.value is not None:
        parts.append(f"Aux rendez-vous passés, {attendance.text} des jeunes attendus sont venus.")
    if opened.value:
        sentence = f"{_people(opened, 'demande', 'demandes').capitalize()} à parler à un conseiller "
        sentence += "a été faite" if opened.value == 1 and not opened.hidden else "ont été faites"
        if urgent.value:
            sentence += f", dont {_people(urgent, 'urgente', 'urgentes')}"
        if answered_median.text not in ("–", "non diffusé"):
            sentence += f" ; la moitié ont eu une première réponse en moins de {answered_median.text}"
        parts.append(sentence + ".")
    three = responses[0].cells
    if isinstance(three[2], Rate) and three[2].value is not None:
        sentence = (f"À 3 mois, {three[2].text} des jeunes interrogés ont dit où ils en étaient")
        counts, answered = groups["3m"]
        job = Count(counts[0].value + counts[1].value, answered.threshold, counts[0].hidden or counts[1].hidden)
        share = rate(job, answered.value, answered.threshold, [answered])
        if share.value is not None:
            sentence += f" : {share.text} d'entre eux avaient un emploi"
            exit_share = rate(counts[2], answered.value, answered.threshold, [answered])
            if exit_share.value is not None:
                sentence += f" et {exit_share.text} étaient en formation, en alternance ou retournés en études"
        parts.append(sentence + ".")
    elif three[0].value if isinstance(three[0], Count) else False:
        parts.append("Trop peu de réponses à la question « Tu en es où ? » pour publier ce que sont devenus les "
                     "jeunes.")
    if report.in_progress:
        parts.append(f"La période n'est pas terminée : ces chiffres sont ceux du {report.as_of_words}.")
    return " ".join(parts)
