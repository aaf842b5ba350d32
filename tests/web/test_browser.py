"""The desk in a real browser (Debian's Chromium, driven by Playwright; nothing downloaded), beside the real
bot on the fake Bot API and a local SMTP server: sign in through the link the SMTP server caught, see the
request, answer it and see the answer reach the young person's Telegram chat, mark the appointment seen, add
an absence, create a structure as the operator. Each page is saved as a PNG (``DESK_SCREENSHOTS=docs/screenshots``
keeps them there)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from aiosmtpd.controller import Controller
from playwright.async_api import Page, async_playwright

from bot.config import AppConfig, DatabaseSettings, Secrets, Settings, WebSettings
from flows.booking.agenda import free_slots
from storage import Database
from storage.staff import DEPARTEMENT, MANAGER, OPERATOR
from tests.bot.fake_telegram import ROOT, FakeTelegram, TgUser, running_bot, wait_handled
from tests.bot.test_handoff_e2e import INES, KARIM, NADIA_EMAIL, Mailbox, prepare, scripted
from web.server import desk

CHROMIUM = "/usr/bin/chromium"
# .ci/run installs Debian's chromium when it is missing: in CI this never skips.
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                                   reason="Debian's chromium is not installed (.ci/run installs it)")]
THOMAS_EMAIL = "thomas@ml-nanterre.exemple.fr"
DEPARTEMENT_EMAIL = "statistiques@hauts-de-seine.exemple.fr"
OPERATOR_EMAIL = "exploitation@hauts-de-seine.exemple.fr"
EXAMPLE_OFFERS = ROOT / "docs/examples/employer_offers.csv"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def serving(cfg: AppConfig, port: int) -> AsyncIterator[str]:
    """``tremplin web`` in this event loop."""
    async with desk(cfg) as app:
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            await task


async def shot(page: Page, name: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(folder / f"desk-{name}.png"), full_page=True)


def link_in(mailbox: Mailbox) -> str:
    for message in reversed(mailbox.messages()):
        found = re.search(r"http://127\.0\.0\.1:\d+/connexion/lien/[\w-]+", message.get_content())
        if found:
            return found.group(0)
    raise AssertionError("no sign-in link e-mailed")


async def test_an_advisor_signs_in_answers_marks_and_adds_an_absence_in_a_browser(
    db_url: str, tmp_path: Path, data_key: str,
) -> None:
    folder = Path(os.environ.get("DESK_SCREENSHOTS") or tmp_path / "screenshots")
    mailbox = Mailbox()
    smtp_port, desk_port = free_port(), free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    smtp_url = f"smtp://127.0.0.1:{smtp_port}?from=tremplin@hauts-de-seine.exemple.fr"
    await prepare(db_url, tmp_path)
    db = Database(db_url)
    async with db.transaction() as uow:
        thomas = await uow.structures.agent_by_email(THOMAS_EMAIL)
        await uow.staff.set_role(thomas, MANAGER)
        statistics = await uow.structures.upsert_agent(structure_id=None, display_name="Statistiques",
                                                       email=DEPARTEMENT_EMAIL)
        await uow.staff.set_role(statistics, DEPARTEMENT)
        operator = await uow.structures.upsert_agent(structure_id=None, display_name="Exploitation",
                                                     email=OPERATOR_EMAIL)
        await uow.staff.set_role(operator, OPERATOR)
    await db.dispose()
    try:
        with FakeTelegram() as fake:
            cfg = AppConfig(
                settings=Settings(database=DatabaseSettings(url=db_url), web=WebSettings(
                    public_url=f"http://127.0.0.1:{desk_port}", secure_cookies=False)),
                secrets=Secrets(TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_BASE_URL=fake.base_url,
                                DATABASE_URL=db_url, TREMPLIN_DATA_KEY=data_key, SMTP_URL=smtp_url),
                config_path=None, root=ROOT)
            async with running_bot(fake, db_url, nlu=scripted(), smtp_url=smtp_url) as bot, \
                    serving(cfg, desk_port) as base, async_playwright() as playwright:
                await wait_handled(bot, fake.send_text(INES, "je veux parler à un conseiller"))
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                page = await browser.new_page(viewport={"width": 1280, "height": 800})
                await _journey(page, base, mailbox, fake, folder, bot, db_url)
                await _manager_pages(browser, base, mailbox, folder, db_url)
                await _operator_pages(browser, base, mailbox, folder, db_url)
                await browser.close()
    finally:
        smtp.stop()


async def _sign_in(page: Page, base: str, mailbox: Mailbox, email: str, folder: Path | None = None) -> None:
    await page.goto(f"{base}/connexion")
    if folder is not None:
        await shot(page, "connexion", folder)
    await page.get_by_label("Adresse e-mail professionnelle").fill(email)
    received = len(mailbox.received)
    await page.get_by_role("button", name="Recevoir un lien").click()
    await page.get_by_text("un lien de connexion vient d'y être envoyé").wait_for()
    for _ in range(100):
        if len(mailbox.received) > received:
            break
        await asyncio.sleep(0.05)
    await page.goto(link_in(mailbox))
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url(re.compile(r"/(demandes|statistiques|equipe)$"))


async def _journey(page: Page, base: str, mailbox: Mailbox, fake: FakeTelegram, folder: Path, bot: Any,
                   db_url: str) -> None:
    await _sign_in(page, base, mailbox, NADIA_EMAIL, folder)
    await page.get_by_role("heading", name="Demandes").wait_for()
    assert await page.get_by_role("link", name=re.compile("Inès")).count() == 1
    # A new request appears without reloading the page (web/static/desk.js, every 5 s).
    await _consented(db_url, KARIM)
    await wait_handled(bot, fake.send_text(KARIM, "je veux parler à un conseiller"))
    await page.get_by_role("link", name=re.compile("Karim")).wait_for(timeout=12_000)
    await shot(page, "demandes", folder)

    await page.get_by_role("link", name=re.compile("Inès")).click()
    await page.get_by_role("heading", name="Fiche de Inès").wait_for()
    await page.get_by_label(re.compile("Votre message")).fill("Bonjour Inès, c'est Nadia. Je vous appelle demain ?")
    await page.get_by_role("button", name="Envoyer").click()
    await page.get_by_text("Envoyé à Inès").wait_for()
    answered = page.locator(".conversation li.out")
    assert "Je vous appelle demain" in await answered.inner_text()  # the record shows the team's answer
    await shot(page, "fiche", folder)
    await fake.wait(lambda: any("Je vous appelle demain" in t for t in fake.texts(INES)),
                    what="the desk's answer on Inès's Telegram")
    reply = next(t for t in fake.texts(INES) if "Je vous appelle demain" in t)
    assert reply.startswith("👤 Réponse de Nadia")

    await page.get_by_role("button", name="Venu").click()
    await page.get_by_text("✅ venu").wait_for()
    await page.goto(f"{base}/agenda")
    await shot(page, "agenda", folder)
    for path, name in (("/agenda/calendrier", "calendrier"), ("/compte", "compte")):
        await page.goto(f"{base}{path}")
        await shot(page, name, folder)
    await page.goto(f"{base}/demandes")
    await page.get_by_role("link", name=re.compile("Inès")).click()
    await page.get_by_role("link", name=re.compile("Prendre un rendez-vous pour")).click()
    await page.get_by_role("heading", name=re.compile("Prendre un rendez-vous")).wait_for()
    await shot(page, "rendez-vous", folder)
    await page.keyboard.press("Tab")  # the first stop is the skip link, visible on focus
    assert await page.evaluate("document.activeElement.textContent") == "Aller au contenu"
    await page.goto(f"{base}/accessibilite")
    await shot(page, "accessibilite", folder)


async def _consented(db_url: str, user: TgUser) -> None:
    """Someone of Nanterre who agreed and answered the questions."""
    db = Database(db_url)
    try:
        async with db.transaction() as uow:
            now = dt.datetime.now(dt.UTC)
            person = await uow.people.find_or_create("telegram", str(user.id), str(user.id), now)
            await uow.people.update(person, first_name=user.first_name, age=22, commune="92050", consent_at=now,
                                    onboarded_at=now)
            conversation = await uow.conversations.load(person.id, now)
            conversation.step = "home"
            await uow.conversations.save(conversation)
    finally:
        await db.dispose()


async def _nadias_slots(db_url: str, day: dt.date) -> int:
    """How many times the bot would offer with Nadia that day."""
    db = Database(db_url)
    try:
        async with db.transaction() as uow:
            nadia = await uow.structures.agent_by_email(NADIA_EMAIL)
            motif = await uow.structures.motif_by_code("ml-nanterre", "suivi")
            slots = await free_slots(uow, lieu_id="nanterre-prefecture", motif=motif, now=dt.datetime.now(dt.UTC),
                                     tz=ZoneInfo("Europe/Paris"))
        return sum(1 for s in slots if s.agent_id == nadia.id and s.starts_at.date() == day)
    finally:
        await db.dispose()


async def _operator_pages(browser: Any, base: str, mailbox: Mailbox, folder: Path, db_url: str) -> None:
    """The operator creates a mission locale for Antony with the keyboard-reachable, labelled form."""
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    await _sign_in(page, base, mailbox, OPERATOR_EMAIL)
    await page.get_by_role("link", name="Structures").click()
    await page.get_by_role("heading", name="Structures").wait_for()
    await shot(page, "structures", folder)
    await page.get_by_label(re.compile("^Identifiant \\(lettres")).fill("ml-antony")
    await page.get_by_label(re.compile("^Nom \\(les jeunes")).fill("Mission locale d'Antony")
    await page.get_by_label("Téléphone").fill("01 46 66 00 00")
    await page.get_by_label("Adresse e-mail de contact").fill("contact@ml-antony.fr")
    await page.get_by_label(re.compile("^Horaires d'ouverture")).fill("du lundi au vendredi, de 9 h à 18 h")
    await page.get_by_label(re.compile("^Identifiant du lieu")).fill("antony-mounie")
    await page.get_by_label("Nom du lieu").fill("Antenne du centre")
    await page.get_by_label("Adresse", exact=True).fill("12 rue Mounié, 92160 Antony")
    await page.get_by_label("Commune", exact=True).select_option(label="Antony")
    await page.get_by_label(re.compile("^Antony \\(aujourd'hui")).check()
    await page.get_by_role("button", name="Créer la structure").click()
    await page.get_by_text("Structure créée. Elle dessert 1 commune").wait_for()
    await shot(page, "structure", folder)
    db = Database(db_url)
    async with db.transaction() as uow:
        assert (await uow.structures.served_communes())["92002"] == "ml-antony"
    await db.dispose()
    await page.close()


async def _manager_pages(browser: Any, base: str, mailbox: Mailbox, folder: Path, db_url: str) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    await _sign_in(page, base, mailbox, THOMAS_EMAIL)
    monday = dt.date(2026, 12, 28)
    assert await _nadias_slots(db_url, monday) > 0
    await page.goto(f"{base}/disponibilites")
    await page.get_by_label("Qui", exact=True).select_option(label="Nadia")
    await page.get_by_label("Premier jour").fill("2026-12-28")
    await page.get_by_label(re.compile("Motif")).fill("Congés")
    await page.get_by_role("button", name="Ajouter l'absence").click()
    await page.get_by_role("cell", name="Congés").wait_for()
    assert await _nadias_slots(db_url, monday) == 0  # gone from what the bot offers
    await shot(page, "disponibilites", folder)
    for path, name in (("/equipe", "equipe"), ("/acces", "acces")):
        await page.goto(f"{base}{path}")
        await shot(page, name, folder)
    await page.close()
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    await _sign_in(page, base, mailbox, DEPARTEMENT_EMAIL)
    await page.get_by_role("heading", name="Statistiques").wait_for()
    await shot(page, "statistiques", folder)
    await page.get_by_role("link", name="Rapport", exact=True).click()  # the Département's report (report/)
    await page.get_by_role("heading", name=re.compile("^Rapport")).wait_for()
    drawn = await page.eval_on_selector_all("img.chart", "images => images.map(i => i.complete && i.naturalWidth)")
    assert len(drawn) == 3 and all(drawn), drawn  # the charts' data: URIs, allowed by the CSP
    await shot(page, "rapport", folder)
    await page.goto(f"{base}/offres")
    await page.get_by_label(re.compile("Fichier CSV ou JSON")).set_input_files(str(EXAMPLE_OFFERS))
    await page.get_by_role("button", name="Importer").click()
    await page.get_by_text("2 offres importées").wait_for()
    await shot(page, "offres", folder)
    await page.close()
