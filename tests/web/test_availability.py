"""*Disponibilités*: an absence added on the desk takes its slots out of what the bot offers; bad input (a past
date, a last day before the first) gets a clear message and changes nothing; removing it gives them back."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from flows.booking.agenda import free_slots
from storage import Database
from tests.web.desk_kit import NADIA_EMAIL, THOMAS_EMAIL, Desk, csrf_of, make_desk
from web.access import CSRF_FIELD


async def slots_on(desk: Desk, day: dt.date, email: str = NADIA_EMAIL) -> list[str]:
    """An advisor's free slots at Nanterre that day, as the bot would offer them."""
    tz = desk.h.world.settings.tz
    async with desk.h.db.transaction() as uow:
        motif = await uow.structures.motif_by_code("ml-nanterre", "suivi")
        slots = await free_slots(uow, lieu_id="nanterre-prefecture", motif=motif, now=desk.h.clock.now(), tz=tz)
    agent = desk.accounts[email].id
    return [f"{s.starts_at.astimezone(tz):%H:%M}" for s in slots
            if s.starts_at.astimezone(tz).date() == day and s.agent_id == agent]


async def test_an_absence_added_on_the_desk_takes_its_slots_out_of_the_bots_offer(db: Database, tmp_path: Path
                                                                                 ) -> None:
    desk = await make_desk(db, tmp_path)
    monday = dt.date(2026, 12, 7)
    before = await slots_on(desk, monday)
    others = await slots_on(desk, monday, THOMAS_EMAIL)
    assert before and others, "Nadia receives on Monday mornings, Thomas in the afternoon"
    client = await desk.signed_in(THOMAS_EMAIL)  # the structure's manager
    async with client:
        csrf = await csrf_of(client, "/disponibilites")
        nadia = str(desk.accounts[NADIA_EMAIL].id)
        form = {CSRF_FIELD: csrf, "who": nadia, "first_day": "2026-12-07", "title": "Formation"}

        past = await client.post("/disponibilites/absences", data={**form, "first_day": "2026-11-02"})
        assert past.status_code == 400 and "déjà passée" in past.text
        backwards = await client.post("/disponibilites/absences", data={**form, "end_day": "2026-12-06"})
        assert backwards.status_code == 400 and "Rien n&#39;a changé" in backwards.text
        assert await slots_on(desk, monday) == before

        added = await client.post("/disponibilites/absences", data=form)
        assert added.status_code == 303
        assert await slots_on(desk, monday) == []
        assert await slots_on(desk, monday, THOMAS_EMAIL) == others  # only hers
        page = await client.get("/disponibilites")
        assert "lundi 7 décembre, toute la journée" in page.text and "Formation" in page.text

        [absence_id] = re.findall(r'Formation</td>\s*<td><form method="post" action="/disponibilites/absences/(\d+)/',
                                  page.text)
        removed = await client.post(f"/disponibilites/absences/{absence_id}/supprimer", data={CSRF_FIELD: csrf})
        assert removed.status_code == 303
        assert await slots_on(desk, monday) == before


async def test_opening_hours_added_on_the_desk_are_offered_and_overlaps_are_refused(db: Database, tmp_path: Path
                                                                                   ) -> None:
    desk = await make_desk(db, tmp_path)
    saturday = dt.date(2026, 12, 12)  # nobody receives on Saturdays in the example agenda
    assert await slots_on(desk, saturday) == []
    client = await desk.signed_in(THOMAS_EMAIL)
    async with client:
        csrf = await csrf_of(client, "/disponibilites")
        async with db.transaction() as uow:
            motifs = [str(m.id) for m in await uow.structures.motifs("ml-nanterre")]
        nadia = str(desk.accounts[NADIA_EMAIL].id)
        form = {CSRF_FIELD: csrf, "agent": nadia, "lieu": "nanterre-prefecture", "day_SA": "1",
                "start_time": "09:00", "end_time": "11:00", "first_day": "2026-12-07", "last_day": "2027-01-31",
                "motifs": motifs}
        backwards = await client.post("/disponibilites/plages", data={**form, "end_time": "08:00"})
        assert backwards.status_code == 400 and "la fin doit être après le début" in backwards.text
        # Nadia already receives on Tuesday mornings, 9 h – 12 h: a Tuesday 11 h – 13 h overlaps.
        overlapping = await client.post("/disponibilites/plages", data={
            **{k: v for k, v in form.items() if k != "day_SA"}, "day_TU": "1", "start_time": "11:00",
            "end_time": "13:00"})
        assert overlapping.status_code == 400 and "Nadia reçoit déjà à ce moment-là" in overlapping.text
        assert "mardi 8 décembre" in overlapping.text

        added = await client.post("/disponibilites/plages", data=form)
        assert added.status_code == 303
        assert await slots_on(desk, saturday) == ["09:00", "09:30", "10:00", "10:30"]
        page = await client.get("/disponibilites")
        [plage_id] = re.findall(r'9 h – 11 h</td><td>samedi</td><td>dimanche 31 janvier 2027</td>\s*'
                                r'<td><form method="post" action="/disponibilites/plages/(\d+)/', page.text)
        removed = await client.post(f"/disponibilites/plages/{plage_id}/supprimer", data={CSRF_FIELD: csrf})
        assert removed.status_code == 303 and await slots_on(desk, saturday) == []
