"""``python -m tests.bot.demo_offers``: the terminal transcript of issue #21, with both live sources on.

A young person in Gennevilliers looking for logistics work talks to the assistant as in ``tremplin chat``
(the same screen, the same typed labels for buttons, the embedded NLU), with France Travail and La bonne
alternance pointed at the fake APIs on 127.0.0.1 (tests/bot/fake_offers.py): two offers near home with
their reasons, "Préviens-moi", then, a day later, a new offer on the fake France Travail API and the alert
job (``run_offer_alerts``, hourly in the bot) sends it as a nudge. The clock is a fixed one moved by hand:
the day in between takes no time. Then the same for someone looking for an apprenticeship, where La bonne
alternance is asked too and the offer both sources carry is shown once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import sys
import tempfile
from pathlib import Path

import httpx

from bot.console import ConsoleSender, Screen, read_event
from bot.delivery import Delivery
from bot.live_offers import LiveOffers
from bot.offers_http import FranceTravail, LaBonneAlternance
from flows.assistant import build_engine
from flows.data.rome import load_rome
from flows.suggestions.alerts import run_offer_alerts
from nlu.embedded import EmbeddedBackend
from storage import Database, crypto
from storage.migrate import upgrade
from tests.bot.fake_offers import CLIENT_ID, CLIENT_SECRET, LBA_TOKEN, FakeOffersApi, ft_offer, lba_job
from tests.kit import ROOT, make_harness

ONBOARDING = ["/start", "bonjour", "D'accord", "{name}", "19", "Gennevilliers", "Aucun diplôme"]
AFTER_SITUATION = ["Non", "Non, personne", "C'est tout", "Logistique", "C'est tout", "Montre-moi", "Préviens-moi"]


def fake_api() -> FakeOffersApi:
    """The two logistics offers of the tests (tests/bot/conftest.py ``offers_api``)."""
    return FakeOffersApi(ft_offers=[
        ft_offer("201ABCD", "Préparateur de commandes", employer="Entrepôt du Port"),
        ft_offer("201ABCE", "Agent de quai", rome="N1106", employer="Logi 92", insee="92025", place="92 - COLOMBES",
                 contract_label="Mission intérimaire - 3 Mois", hours="Temps partiel"),
    ]).start()


def add_apprenticeships(api: FakeOffersApi) -> None:
    """One apprenticeship on each API, and France Travail's relayed by La bonne alternance twice: under its id,
    and as its own job of the same employer, title and commune (tests/bot/conftest.py ``both_sources``)."""
    api.ft_offers.append(ft_offer("201APPR", "Apprenti préparateur de commandes (H/F)", alternance=True,
                                  employer="Entrepôt du Port", contract_label="Apprentissage - 24 Mois"))
    api.lba_jobs = [
        lba_job("ft-201APPR", "Apprenti préparateur de commandes (H/F)", partner="France Travail",
                partner_id="201APPR", employer="Entrepôt du Port"),
        lba_job("lba-7", "Apprenti préparateur de commandes", employer="ENTREPOT DU PORT",
                address="5 rue du Port 92230 GENNEVILLIERS"),
        lba_job("lba-8", "Apprenti magasinier", employer="Garage du Centre",
                address="12 rue de la Gare 92230 Gennevilliers"),
    ]


async def talk(name: str, situation: str, new_offer: dict[str, object], folder: Path, api: FakeOffersApi,
               nlu: EmbeddedBackend) -> None:
    user = name.lower().replace("è", "e")
    url = f"sqlite+aiosqlite:///{folder}/{user}.db"
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    client = httpx.AsyncClient()
    base = api.base_url
    source = LiveOffers(
        [FranceTravail(client, url=f"{base}/partenaire/offresdemploi/v2",
                       token_url=f"{base}/connexion/oauth2/access_token", client_id=CLIENT_ID, secret=CLIENT_SECRET,
                       per_second=10),
         LaBonneAlternance(client, url=f"{base}/api", token=LBA_TOKEN, per_second=5)],
        timeout_seconds=2.0, radius_km=10, fresh_for=dt.timedelta(hours=24), keep_for=dt.timedelta(days=7),
        pause_seconds=60, client=client)
    harness = make_harness(db, nlu=nlu, at=dt.datetime(2026, 12, 1, 16, 0, tzinfo=dt.UTC))
    world = dataclasses.replace(harness.world, offers=source, rome=load_rome(ROOT / "data/rome"))
    engine = build_engine(db, world)
    screen = Screen.plain(sys.stdout)
    sender = ConsoleSender(user, screen, folder / "files")
    delivery = Delivery(db, [sender], harness.clock)
    try:
        for line in [*(step.format(name=name) for step in ONBOARDING), situation, *AFTER_SITUATION]:
            screen.said(line)
            event = read_event(line, user, sender)
            assert not isinstance(event, str), event
            outcome = await engine.handle(event)
            sender.new_answer()
            if outcome.ack and not outcome.outbox_ids:
                screen.aside(outcome.ack)
            await delivery.deliver(outcome.outbox_ids)
        asked = ["La bonne alternance" if path.startswith("/api/") else "France Travail"
                 for path, _ in api.calls if path.endswith("search")]
        screen.aside(f"searches made on the fake APIs: {', '.join(asked)}")
        harness.clock.advance(hours=25)
        api.ft_offers.append(new_offer)
        screen.aside(f"a day later: a new offer on the fake France Travail API ({new_offer['intitule']}); "
                     "the alert job runs")
        planned = await run_offer_alerts(db, world)
        screen.aside(f"alerts planned: {planned}")
        await delivery.deliver_due()
    finally:
        await source.close()
        await db.dispose()


async def main() -> None:
    crypto.use_keys(crypto.new_key())  # a throwaway data key, as in the tests
    api = fake_api()
    try:
        with tempfile.TemporaryDirectory() as folder:
            nlu = await asyncio.to_thread(EmbeddedBackend.load, cache_dir=Path(folder) / "nlu")
            print("=== Inès, Gennevilliers, looking for a job in logistics (France Travail and La bonne alternance on)")
            await talk("Inès", "Je cherche un emploi",
                       ft_offer("201NEW1", "Cariste", rome="N1101", employer="Entrepôt Nord", contract_label="CDI"),
                       Path(folder), api, nlu)
            api.calls.clear()
            add_apprenticeships(api)
            print("\n=== Sami, Gennevilliers, looking for an apprenticeship in logistics (both sources asked)")
            await talk("Sami", "Je cherche une alternance",
                       ft_offer("201NEW9", "Apprenti cariste", rome="N1101", employer="Entrepôt Nord",
                                contract_label="Apprentissage - 12 Mois", alternance=True),
                       Path(folder), api, nlu)
    finally:
        api.stop()


if __name__ == "__main__":
    asyncio.run(main())
