"""Fixtures of the bot's tests: the logging set-up restored after a test that installs its own, and the live
offers' fake APIs on 127.0.0.1 with a France Travail source pointed at them (and La bonne alternance too:
``both_sources``)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from bot.live_offers import LiveOffers
from bot.offers_http import FranceTravail, LaBonneAlternance
from tests.bot.fake_offers import CLIENT_ID, CLIENT_SECRET, LBA_TOKEN, FakeOffersApi, ft_offer, lba_job


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """For a test that calls ``setup_logging``: pytest's own handlers are set aside first (its
    ``basicConfig(force=True)`` would close them), and the set-up is put back after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    for handler in handlers:
        root.removeHandler(handler)
    yield
    for handler in root.handlers[:]:
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


@pytest.fixture
def offers_api() -> Iterator[FakeOffersApi]:
    """Two beginner offers in logistics: one in Gennevilliers, one next door in Colombes."""
    api = FakeOffersApi(ft_offers=[
        ft_offer("201ABCD", "Préparateur de commandes", employer="Entrepôt du Port"),
        ft_offer("201ABCE", "Agent de quai", rome="N1106", employer="Logi 92", insee="92025",
                 place="92 - COLOMBES", contract_label="Mission intérimaire - 3 Mois", hours="Temps partiel"),
    ]).start()
    yield api
    api.stop()


@pytest.fixture
async def offers_source(offers_api: FakeOffersApi) -> AsyncIterator[LiveOffers]:
    client = httpx.AsyncClient()
    ft = FranceTravail(client, url=f"{offers_api.base_url}/partenaire/offresdemploi/v2",
                       token_url=f"{offers_api.base_url}/connexion/oauth2/access_token", client_id=CLIENT_ID,
                       secret=CLIENT_SECRET, per_second=50)
    yield LiveOffers([ft], timeout_seconds=1.0, radius_km=10, fresh_for=dt.timedelta(hours=24),
                     keep_for=dt.timedelta(days=7), pause_seconds=0, client=client)
    await client.aclose()


@pytest.fixture
async def both_sources(offers_api: FakeOffersApi) -> AsyncIterator[LiveOffers]:
    """France Travail and La bonne alternance on the fake APIs, with apprenticeships on both: one published on
    each, and France Travail's relayed by La bonne alternance under its id."""
    offers_api.ft_offers.append(ft_offer("201APPR", "Apprenti préparateur de commandes (H/F)", alternance=True,
                                         employer="Entrepôt du Port", contract_label="Apprentissage - 24 Mois"))
    offers_api.lba_jobs = [
        lba_job("ft-201APPR", "Apprenti préparateur de commandes (H/F)", partner="France Travail",
                partner_id="201APPR", employer="Entrepôt du Port"),
        lba_job("lba-7", "Apprenti préparateur de commandes", employer="ENTREPOT DU PORT",  # the same, again
                address="5 rue du Port 92230 GENNEVILLIERS"),
        lba_job("lba-8", "Apprenti magasinier", employer="Garage du Centre",
                address="12 rue de la Gare 92230 Gennevilliers"),
    ]
    client = httpx.AsyncClient()
    base = offers_api.base_url
    ft = FranceTravail(client, url=f"{base}/partenaire/offresdemploi/v2",
                       token_url=f"{base}/connexion/oauth2/access_token", client_id=CLIENT_ID,
                       secret=CLIENT_SECRET, per_second=50)
    lba = LaBonneAlternance(client, url=f"{base}/api", token=LBA_TOKEN, per_second=50)
    yield LiveOffers([ft, lba], timeout_seconds=1.0, radius_km=10, fresh_for=dt.timedelta(hours=24),
                     keep_for=dt.timedelta(days=7), pause_seconds=0, client=client)
    await client.aclose()
