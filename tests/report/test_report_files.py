"""The report as files: no personal data in them, the same after the people are erased, the command line, the
PDF drawn to PNG pages (``pdftoppm``).

``REPORT_SCREENSHOTS=DIR`` keeps the PNG pages of the PDF in DIR (docs/screenshots/ holds such a set).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from report.render import csv_text, html, pdf
from storage import Database
from storage.people import Person
from storage.report_events import ReportEvent
from tests.report.report_kit import events, make, subject

TREMPLIN = str(Path(sys.executable).parent / "tremplin")
ROOT = Path(__file__).resolve().parents[2]
FIRST_NAMES = ("Zéphyrine", "Anatole", "Philomène")


async def people_with_their_events(db: Database) -> dict[int, str]:
    """The dataset's 42 young people made through the real repositories, each with their report key, and their
    events: person id -> Telegram id."""
    made = {}
    async with db.transaction() as uow:
        for i in range(1, 43):
            telegram_id = f"9{i:08d}"
            person = await uow.people.find_or_create("telegram", telegram_id, telegram_id,
                                                     dt.datetime(2026, 8, 1, tzinfo=dt.UTC))
            await uow.people.update(person, first_name=FIRST_NAMES[i % 3], age=19, commune="92050",
                                    report_key=subject(i))
            made[person.id] = telegram_id
        await uow.report_events.add(events())
    return made


async def test_a_month_stays_the_same_after_its_people_are_erased(db: Database) -> None:
    made = await people_with_their_events(db)
    before = await make(db, threshold=11)
    before_html, before_csv = html(before), csv_text(before)
    for text in (before_html, before_csv):
        for word in (*FIRST_NAMES, *made.values(), *(str(pid) for pid in made if pid > 99)):
            assert word not in text
    async with db.transaction() as uow:
        for person_id in made:
            await uow.personal_data.erase(person_id)
    async with db.transaction() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Person)) == 0
        assert await uow.session.scalar(select(func.count()).select_from(ReportEvent)) == len(events())
    after = await make(db, threshold=11)
    assert html(after) == before_html
    assert csv_text(after) == before_csv
    assert before.summary.startswith("En novembre 2026, 24 jeunes ont écrit à Tremplin")


async def test_the_csv_holds_every_published_figure(db: Database) -> None:
    async with db.transaction() as uow:
        await uow.report_events.add(events())
    report = await make(db, threshold=11)
    lines = list(csv.reader(io.StringIO(csv_text(report).lstrip("\ufeff")), delimiter=";"))
    assert lines[0] == ["section", "tableau", "ligne", "colonne", "valeur", "base"]
    by_key = {(line[1], line[2], line[3]): line[4:] for line in lines[1:]}
    assert by_key[("Ensemble", "Premiers contacts", "Jeunes")] == ["24", ""]
    assert by_key[("Par mission locale", "Mission locale Boucle Nord", "Questions d'accueil terminées")] == [
        "< 11", ""]
    assert by_key[("Par mission locale", "Mission locale de Nanterre", "Questions d'accueil terminées")] == [
        "< 11", ""]  # the complement
    assert by_key[("Venue aux rendez-vous", "Taux de présence", "Taux")] == ["", ""]  # not shown: no base either
    assert by_key[("Délai entre le premier contact et le premier rendez-vous",
                   "Médiane (la moitié des jeunes ont attendu moins)", "Délai")] == ["8.00", "15"]
    assert by_key[("Semaine par semaine", "semaine du 23 nov.", "Rendez-vous pris")] == ["0", ""]
    assert by_key[("Semaine par semaine", "semaine du 23 nov.", "Demandes de conseiller")] == ["13", ""]
    published = [line[4] for line in lines[6:]]
    assert all(not value.isdigit() or value == "0" or int(value) >= 11 for value in published)


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
async def test_the_pdf_has_its_pages(db: Database, tmp_path: Path) -> None:
    async with db.transaction() as uow:
        await uow.report_events.add(events())
    report = await make(db, threshold=11)
    document = pdf(report)
    assert document.startswith(b"%PDF")
    (tmp_path / "rapport.pdf").write_bytes(document)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(tmp_path / "rapport.pdf"), str(tmp_path / "page")],
                   check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 3
    text = subprocess.run(["pdftotext", str(tmp_path / "rapport.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "novembre 2026" in text and "Du premier contact au rendez-vous" in text and "< 11" in text
    if os.environ.get("REPORT_SCREENSHOTS"):
        target = Path(os.environ["REPORT_SCREENSHOTS"])
        for page in pages:
            shutil.copy(page, target / page.name)


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TREMPLIN_", "TELEGRAM_"))}
    return subprocess.run([TREMPLIN, *args], capture_output=True, text=True, env={**environment, **env}, cwd=ROOT,
                          timeout=180)


async def test_the_command(db: Database, db_url: str, tmp_path: Path) -> None:
    async with db.transaction() as uow:
        await uow.report_events.add(events())
    env = {"DATABASE_URL": db_url}
    target = tmp_path / "novembre.csv"
    done = run("report", "--period", "2026-11", "--format", "csv", "--output", str(target), env=env)
    assert done.returncode == 0, done.stderr
    assert "Rapport écrit" in done.stdout
    content = target.read_text(encoding="utf-8-sig")
    assert "Premiers contacts;Jeunes;24;" in content
    refused = run("report", "--period", "2026-11-01", "--format", "csv", env=env)
    assert refused.returncode == 2 and "un mois (2026-11), un trimestre (2026-T4) ou une année" in refused.stderr
    unknown = run("report", "--period", "2026-11", "--structure", "ml-nulle-part", env=env)
    assert unknown.returncode == 2 and "n'est pas une structure connue" in unknown.stderr
    bad_format = run("report", "--period", "2026-11", "--format", "docx", env=env)
    assert bad_format.returncode == 2 and "expected one of html, pdf, csv" in bad_format.stderr
