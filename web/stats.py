"""*Statistiques*: the Département's figures for every structure, never a record. Counts under 5 are shown as
"moins de 5": a small cell of a small structure could single someone out."""

from __future__ import annotations

import datetime as dt

from starlette.responses import Response

from storage.appointments import CANCELLED_STATUSES, NOSHOW, SEEN
from web.access import DEPARTEMENT_ROLES, Visit, page
from web.render import render

SMALLEST = 5
# The service's daily counters (storage/stats.py), in the Département's words.
COUNTER_WORDS = {
    "conversations_started": "Premiers contacts", "consents_given": "Accords donnés",
    "consents_refused": "Accords refusés", "outside_public": "Hors du public (moins de 16 ans ou plus de 25 ans)",
    "onboardings_completed": "Questions d'accueil terminées", "exports": "Copies de leurs données demandées",
    "erasures_requested": "Effacements demandés",
    "erasures_retention": "Effacements au bout de la durée de conservation",
    "erasures_operator": "Effacements par l'exploitation",
}


def shown(count: int) -> str:
    return "0" if count == 0 else "moins de 5" if count < SMALLEST else str(count)


@page(*DEPARTEMENT_ROLES)
async def statistics(visit: Visit) -> Response:
    """GET /statistiques: the last 30 days."""
    until = visit.now
    since = until - dt.timedelta(days=30)
    appointments = await visit.uow.appointments.counts_by_structure(since, until)
    requests = await visit.uow.handoffs.counts_by_structure(since, until)
    rows = []
    for structure in await visit.uow.structures.structures():
        counts = {status: n for (sid, status), n in appointments.items() if sid == structure.id}
        total = sum(counts.values())
        cancelled = sum(counts.get(status, 0) for status in CANCELLED_STATUSES)
        asked, urgent = requests.get(structure.id, (0, 0))
        rows.append((structure.name, shown(asked), shown(urgent), shown(total), shown(counts.get(SEEN, 0)),
                     shown(counts.get(NOSHOW, 0)), shown(cancelled)))
    totals = await visit.uow.stats.totals(since.date(), until.date())
    return render(visit.request, "stats.html", {"title": "Statistiques", "rows": rows, "totals": {
        COUNTER_WORDS.get(name, name): shown(count) for name, count in sorted(totals.items())}})
