"""An advisor's private calendar address: their own appointments only, the first name and no more of the young
person, counted at each fetch, and dead once a new one is made or it is revoked."""

from __future__ import annotations

import re
from pathlib import Path

from icalendar import Calendar

from storage import Database
from tests.web.desk_kit import JULIEN_EMAIL, NADIA_EMAIL, csrf_of, make_desk
from web.access import CSRF_FIELD


async def test_a_private_calendar_address_shows_the_advisors_own_appointments_and_can_be_revoked(
    db: Database, tmp_path: Path,
) -> None:
    desk = await make_desk(db, tmp_path)
    client = await desk.signed_in(NADIA_EMAIL)
    async with client:
        csrf = await csrf_of(client, "/agenda/calendrier")
        made = await client.post("/agenda/calendrier", data={CSRF_FIELD: csrf})
        [url] = re.findall(r"https://desk\.test(/calendrier/[\w-]+\.ics)", made.text)

        async with desk.client() as calendar_app:  # no session: the address is the key
            answer = await calendar_app.get(url)
            assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")
            events = [c for c in Calendar.from_ical(answer.content).walk("VEVENT")]
            assert [str(e["summary"]) for e in events] == ["Inès · Rendez-vous de suivi"]
            body = answer.text
            assert "Sami" not in body and "19" not in str(events[0]["summary"]) and "92050" not in body

            page = await client.get("/agenda/calendrier")
            assert "lue 1 fois" in page.text and url not in page.text  # shown once, when made

            renewed = await client.post("/agenda/calendrier", data={CSRF_FIELD: csrf})
            [new_url] = re.findall(r"https://desk\.test(/calendrier/[\w-]+\.ics)", renewed.text)
            assert (await calendar_app.get(url)).status_code == 404  # the old one is dead
            assert (await calendar_app.get(new_url)).status_code == 200
            await client.post("/agenda/calendrier/revoquer", data={CSRF_FIELD: csrf})
            assert (await calendar_app.get(new_url)).status_code == 404

    julien = await desk.signed_in(JULIEN_EMAIL)
    async with julien:
        csrf = await csrf_of(julien, "/agenda/calendrier")
        made = await julien.post("/agenda/calendrier", data={CSRF_FIELD: csrf})
        [url] = re.findall(r"https://desk\.test(/calendrier/[\w-]+\.ics)", made.text)
        events = Calendar.from_ical((await julien.get(url)).content).walk("VEVENT")
        assert [str(e["summary"]) for e in events] == ["Sami · Rendez-vous de suivi"]
