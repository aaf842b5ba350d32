"""The report on the desk: the Département's team sees the same figures as the command, with the charts as
images the page's CSP allows (data: URIs, no script), and downloads the CSV."""

from __future__ import annotations

from pathlib import Path

from storage import Database
from tests.report.report_kit import events
from tests.web.desk_kit import DEPARTEMENT_EMAIL, make_desk


async def test_the_departement_reads_the_month_and_downloads_its_figures(db: Database, tmp_path: Path) -> None:
    desk = await make_desk(db, tmp_path)  # 1 December 2026: the last full month is November
    async with db.transaction() as uow:
        await uow.report_events.add(events())
    client = await desk.signed_in(DEPARTEMENT_EMAIL)
    async with client:
        page = await client.get("/rapport")
        assert page.status_code == 200
        assert "novembre 2026" in page.text and "Du premier contact au rendez-vous" in page.text
        assert page.text.count('src="data:image/png;base64,') == 3 and "<script>" not in page.text
        assert "img-src 'self' data:" in page.headers["content-security-policy"]
        assert "Inès" not in page.text and "Sami" not in page.text  # the kit's young people: never named
        assert 'href="/rapport.csv?periode=2026-11"' in page.text
        download = await client.get("/rapport.csv?periode=2026-11")
        assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
        assert "attachment" in download.headers["content-disposition"]
        assert "Ensemble;Premiers contacts;Jeunes;24;" in download.text
        one = await client.get("/rapport?periode=2026-11&structure=ml-boucle-nord")
        assert one.status_code == 200 and 'value="ml-boucle-nord" selected' in one.text
        assert '<th scope="row">Premiers contacts</th><td><em>&lt; 11</em></td>' in one.text  # 6 of them
        assert (await client.get("/rapport?periode=2026-11-03")).status_code == 400
        assert (await client.get("/rapport?periode=2027-01")).status_code == 400  # not begun
        assert (await client.get("/rapport?structure=nulle-part")).status_code == 400
        stats = await client.get("/statistiques")
        assert 'href="/rapport"' in stats.text
