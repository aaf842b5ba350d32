"""Live offers: France Travail and La bonne alternance against fake servers on 127.0.0.1; the failure
cases (down, slow, 429, malformed) answer within the timeout, are logged once and counted."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Iterator

import httpx
import pytest

from bot.config import load_settings
from bot.live_offers import LiveOffers, live_offers_from, merged
from bot.metrics import OFFERS_SOURCE_FAILED
from bot.offers_http import FranceTravail, LaBonneAlternance, city_of, parse_france_travail, parse_la_bonne_alternance
from flows.data.live_offers import LiveOffer, OfferQuery
from flows.suggestions.live import fits
from tests.bot.fake_offers import CLIENT_ID, CLIENT_SECRET, LBA_TOKEN, FakeOffersApi, ft_offer, lba_job

GENNEVILLIERS = OfferQuery(insee="92036", romes=("N1103", "N1105"), radius_km=10, alternance=False)
WITH_COORDINATES = OfferQuery(insee="92036", romes=("N1103",), radius_km=10, alternance=True,
                              latitude=48.933, longitude=2.293)
BOTH = ("france_travail", "la_bonne_alternance")


@pytest.fixture
def fake() -> Iterator[FakeOffersApi]:
    api = FakeOffersApi(ft_offers=[ft_offer("201ABCD", "Préparateur de commandes (H/F)"),
                                   ft_offer("201ABCE", "Manutentionnaire", rome="N1105", employer="Logi 92"),
                                   ft_offer("201ABCF", "Chef d'équipe", beginner=False)]).start()
    yield api
    api.stop()


def sources(fake: FakeOffersApi, client: httpx.AsyncClient, *, pages: int = 1,
            per_second: float = 50) -> tuple[FranceTravail, LaBonneAlternance]:
    ft = FranceTravail(client, url=f"{fake.base_url}/partenaire/offresdemploi/v2",
                       token_url=f"{fake.base_url}/connexion/oauth2/access_token", client_id=CLIENT_ID,
                       secret=CLIENT_SECRET, per_second=per_second, pages=pages)
    lba = LaBonneAlternance(client, url=f"{fake.base_url}/api", token=LBA_TOKEN, per_second=per_second)
    return ft, lba


def live(fake: FakeOffersApi, client: httpx.AsyncClient, *, timeout: float = 1.0, pause: float = 60) -> LiveOffers:
    return LiveOffers(sources(fake, client), timeout_seconds=timeout, radius_km=10,
                      fresh_for=dt.timedelta(hours=24), keep_for=dt.timedelta(days=7), pause_seconds=pause)


async def everything(offers: LiveOffers, query: OfferQuery) -> list[LiveOffer]:
    """Every source that applies, merged, as the conversation does with a cold cache; each must answer."""
    found = await offers.search(query, offers.sources_for(query))
    assert all(f is not None for f in found.values()), found
    return offers.merged([f or [] for f in found.values()])


async def test_france_travail_is_asked_as_documented(fake: FakeOffersApi) -> None:
    async with httpx.AsyncClient() as client:
        ft, _ = sources(fake, client)
        found = await ft.search(GENNEVILLIERS, time.monotonic() + 2)
        await ft.search(GENNEVILLIERS, time.monotonic() + 2)
    token_calls = [c for c in fake.calls if c[0] == "/connexion/oauth2/access_token"]
    assert len(token_calls) == 1  # the token is kept until it expires
    assert fake.searches()[0] == {"commune": "92036", "distance": "10", "codeROME": "N1103,N1105",
                                  "experienceExigence": "D", "range": "0-149"}
    assert [o.id for o in found] == ["201ABCD", "201ABCE"]  # "débutant accepté" only
    first = found[0]
    assert (first.title, first.employer, first.place, first.insee, first.contract, first.hours) == (
        "Préparateur de commandes (H/F)", "Entrepôt du Port", "Gennevilliers", "92036",
        "Contrat à durée déterminée - 6 Mois", "Temps plein")
    assert first.beginner and not first.alternance and first.url and "201ABCD" in first.url


async def test_apprenticeship_asks_for_e2_contracts(fake: FakeOffersApi) -> None:
    fake.ft_offers.append(ft_offer("201APPR", "Apprenti préparateur", alternance=True, contract="CDD"))
    async with httpx.AsyncClient() as client:
        ft, _ = sources(fake, client)
        found = await ft.search(WITH_COORDINATES, time.monotonic() + 2)
    assert fake.searches()[0]["natureContrat"] == "E2"
    assert [o.id for o in found] == ["201APPR"] and found[0].alternance


@pytest.mark.parametrize(("offers", "pages", "ranges", "count"), [
    (320, 3, ["0-149", "150-299", "300-449"], 320),  # 206, 206, then 200
    (320, 1, ["0-149"], 150),  # one page by default: a person sees a few, not hundreds
    (150, 3, ["0-149"], 150),  # 200 at once: no second call
    (0, 3, ["0-149"], 0),  # 204
])
async def test_pages_follow_the_content_range(fake: FakeOffersApi, offers: int, pages: int, ranges: list[str],
                                              count: int) -> None:
    fake.ft_offers = [ft_offer(f"3{i:05d}", f"Offre {i}") for i in range(offers)]
    async with httpx.AsyncClient() as client:
        ft, _ = sources(fake, client, pages=pages)
        found = await ft.search(GENNEVILLIERS, time.monotonic() + 5)
    assert [p["range"] for p in fake.searches()] == ranges
    assert len(found) == count


async def test_la_bonne_alternance_offers_are_merged_without_france_travail_twice(fake: FakeOffersApi) -> None:
    fake.ft_offers.append(ft_offer("201APPR", "Apprenti préparateur", alternance=True))
    fake.lba_jobs = [lba_job("lba-1", "Apprenti magasinier"),
                     lba_job("ft-201APPR", "Apprenti préparateur", partner="France Travail", partner_id="201APPR")]
    async with httpx.AsyncClient() as client:
        found = await everything(live(fake, client), WITH_COORDINATES)
    assert sorted((o.source, o.id) for o in found) == [("france_travail", "201APPR"), ("la_bonne_alternance", "lba-1")]
    lba_call = fake.searches("/job/v1/search")[0]
    assert lba_call == {"latitude": "48.933", "longitude": "2.293", "radius": "10", "romes": "N1103"}
    magasinier = next(o for o in found if o.id == "lba-1")
    assert (magasinier.employer, magasinier.start, magasinier.contract) == ("Garage du Centre", "2027-01-04",
                                                                             "Apprentissage")


async def test_la_bonne_alternance_is_not_asked_without_coordinates_or_for_a_job(fake: FakeOffersApi) -> None:
    async with httpx.AsyncClient() as client:
        no_coordinates = OfferQuery(insee="92036", romes=("N1103",), radius_km=10, alternance=True)
        for query in (GENNEVILLIERS, no_coordinates):
            assert live(fake, client).sources_for(query) == ("france_travail",)
            assert list(await live(fake, client).search(query, BOTH)) == ["france_travail"]  # even when named
    assert fake.searches("/job/v1/search") == []


def failures(source: str, cause: str) -> float:
    return OFFERS_SOURCE_FAILED.labels(source, cause)._value.get()


@pytest.mark.parametrize(("mode", "cause"), [
    ("down", "status"), ("429", "rate_limited"), ("malformed", "malformed"), ("shape", "malformed"),
    ("slow", "timeout"),
])
async def test_a_failing_source_answers_none_in_time_logged_once_and_counted(
    fake: FakeOffersApi, caplog: pytest.LogCaptureFixture, mode: str, cause: str
) -> None:
    fake.mode, fake.delay = mode, 3.0
    before = failures("france_travail", cause)
    async with httpx.AsyncClient() as client:
        offers = live(fake, client, timeout=0.5, pause=0)
        with caplog.at_level(logging.WARNING, logger="bot.live_offers"):
            for _ in range(3):
                started = time.monotonic()
                assert await offers.search(GENNEVILLIERS, BOTH) == {"france_travail": None}
                assert time.monotonic() - started < 0.5 + 0.25  # never longer than the timeout
    assert failures("france_travail", cause) == before + 3
    assert len([r for r in caplog.records if "failed" in r.getMessage()]) == 1  # once, not once per message


async def test_a_failed_source_is_left_alone_for_a_pause_then_tried_again(
    fake: FakeOffersApi, caplog: pytest.LogCaptureFixture
) -> None:
    fake.mode = "down"
    async with httpx.AsyncClient() as client:
        offers = live(fake, client, pause=0.3)
        assert await offers.search(GENNEVILLIERS, BOTH) == {"france_travail": None}
        searched = len(fake.searches())
        assert await offers.search(GENNEVILLIERS, BOTH) == {"france_travail": None}
        assert len(fake.searches()) == searched  # paused: no call at all
        fake.mode = None
        time.sleep(0.35)
        with caplog.at_level(logging.INFO, logger="bot.live_offers"):
            found = (await offers.search(GENNEVILLIERS, BOTH))["france_travail"]
    assert found is not None and len(found) == 2
    assert any("answers again" in r.getMessage() for r in caplog.records)


async def test_the_rate_limit_spaces_the_calls(fake: FakeOffersApi) -> None:
    async with httpx.AsyncClient() as client:
        ft, _ = sources(fake, client, per_second=10)
        started = time.monotonic()
        for _ in range(3):
            await ft.search(GENNEVILLIERS, time.monotonic() + 2)
    # token + 3 searches at 10 a second: at least 0.3 s between the first call and the last
    assert time.monotonic() - started >= 0.29


async def test_the_local_rate_limit_fails_rather_than_wait_past_the_deadline(fake: FakeOffersApi) -> None:
    async with httpx.AsyncClient() as client:
        ft, _ = sources(fake, client, per_second=1)
        await ft.search(GENNEVILLIERS, time.monotonic() + 2)  # token at 0 s, search at 1 s
        offers = LiveOffers([ft], timeout_seconds=0.3, radius_km=10, fresh_for=dt.timedelta(hours=1),
                            keep_for=dt.timedelta(days=1), pause_seconds=0)
        started = time.monotonic()
        assert await offers.search(GENNEVILLIERS, BOTH) == {"france_travail": None}
        assert time.monotonic() - started < 0.3


def test_a_malformed_offer_is_skipped_not_fatal() -> None:
    assert parse_france_travail({"id": 12, "intitule": "x"}) is None
    assert parse_france_travail({"intitule": "Sans id"}) is None
    odd = parse_france_travail({"id": "X1", "intitule": "Cariste", "lieuTravail": "Gennevilliers", "entreprise": None})
    assert odd is not None and odd.place is None and odd.employer is None


def test_without_credentials_there_is_no_source_and_with_them_one_each(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FRANCE_TRAVAIL_CLIENT_ID", "FRANCE_TRAVAIL_CLIENT_SECRET", "LA_BONNE_ALTERNANCE_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert live_offers_from(load_settings()) is None
    monkeypatch.setenv("FRANCE_TRAVAIL_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("FRANCE_TRAVAIL_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("LA_BONNE_ALTERNANCE_TOKEN", LBA_TOKEN)
    found = live_offers_from(load_settings())
    assert found is not None and [s.name for s in found.sources] == ["france_travail", "la_bonne_alternance"]
    assert found.timeout_seconds == 2.0 and found.fresh_for == dt.timedelta(hours=24)


@pytest.mark.parametrize(("formations", "level"), [
    ([], None),
    ([{"niveauLibelle": "Bac ou équivalent", "exigence": "S"}], None),  # only wished
    ([{"niveauLibelle": "CAP, BEP et équivalents", "exigence": "E"}], "cap_bep"),
    ([{"niveauLibelle": "Bac ou équivalent", "exigence": "E"}], "bac"),
    ([{"niveauLibelle": "Bac+2 ou équivalents", "exigence": "E"},
      {"niveauLibelle": "CAP, BEP et équivalents", "exigence": "E"}], "bac_plus_2"),
    ([{"niveauLibelle": "Bac+5 et plus ou équivalents", "exigence": "E"}], "bac_plus_3"),
    ("not a list", None),
])
def test_the_required_diploma_is_read_from_the_formations(formations: object, level: str | None) -> None:
    offer = parse_france_travail({**ft_offer("X1", "Cariste"), "formations": formations})
    assert offer is not None and offer.level_required == level


@pytest.mark.parametrize(("required", "schooling", "shown"), [
    (None, None, True), ("cap_bep", "cap_bep", True), ("cap_bep", "bac", True), ("bac", "cap_bep", False),
    ("cap_bep", None, False),  # unknown diploma: left out, as the catalogue's rules do
    ("bac_plus_3", "bac_plus_2", False),
])
def test_an_offer_fits_only_a_person_with_the_diploma_it_requires(required: str | None, schooling: str | None,
                                                                   shown: bool) -> None:
    offer = parse_france_travail(ft_offer("X1", "Cariste"))
    assert offer is not None
    assert fits(offer.model_copy(update={"level_required": required}), GENNEVILLIERS, schooling) is shown


# --- La bonne alternance -------------------------------------------------------------------------------


def lba_only(fake: FakeOffersApi, client: httpx.AsyncClient, *, timeout: float = 1.0) -> LiveOffers:
    return LiveOffers([sources(fake, client)[1]], timeout_seconds=timeout, radius_km=10,
                      fresh_for=dt.timedelta(hours=24), keep_for=dt.timedelta(days=7), pause_seconds=0)


async def test_la_bonne_alternance_is_asked_as_documented_and_read_from_its_schema(fake: FakeOffersApi) -> None:
    fake.lba_jobs = [
        lba_job("lba-1", "Apprenti magasinier", employer="Garage du Centre",
                address="12 RUE DE LA GARE 92230 GENNEVILLIERS", point=(2.3000, 48.9300)),
        lba_job(None, "Apprenti cariste", partner="Hellowork", partner_id="hw-77", address="1 rue X 92700 Colombes"),
        lba_job("lba-3", "Apprenti pourvu", status="Filled"),  # no longer open
        {"identifier": {"id": "lba-4"}, "offer": "not an object"},  # malformed: skipped, not fatal
    ]
    far = OfferQuery(insee="92036", romes=("N1103", "N1105"), radius_km=250, alternance=True,
                     latitude=48.92546, longitude=2.29405)
    async with httpx.AsyncClient() as client:
        found = await sources(fake, client)[1].search(far, time.monotonic() + 2)
    [call] = [(path, params) for path, params in fake.calls if path == "/api/job/v1/search"]
    assert call[1] == {"latitude": "48.92546", "longitude": "2.29405", "radius": "200", "romes": "N1103,N1105"}
    assert [(o.source, o.id) for o in found] == [("la_bonne_alternance", "lba-1"),
                                                  ("la_bonne_alternance", "Hellowork:hw-77")]
    first = found[0]
    assert (first.title, first.employer, first.place, first.contract, first.start, first.rome) == (
        "Apprenti magasinier", "Garage du Centre", "Gennevilliers", "Apprentissage", "2027-01-04", "N1103")
    assert first.alternance and first.beginner and first.url and first.url.endswith("/emploi/lba-1")
    assert first.distance_km is not None and 0.4 < first.distance_km < 0.8  # the town hall to the workplace
    assert found[1].place == "Colombes"
    assert all(o.employer != "Transports Martin" for o in found)  # the recruiters are not offers


@pytest.mark.parametrize(("address", "city"), [
    ("12 rue de la Gare 92230 Gennevilliers", "Gennevilliers"),
    ("3 AVENUE DU PORT 92230 GENNEVILLIERS", "Gennevilliers"),
    ("ZA des Grésillons, 92230 Gennevilliers, France", "Gennevilliers"),
    ("2 place de la Défense 92053 Paris La Défense Cedex", "Paris La Défense"),
    ("Gennevilliers", None), (None, None),
])
def test_the_commune_is_read_from_the_address(address: str | None, city: str | None) -> None:
    assert city_of(address) == city


@pytest.mark.parametrize(("ft_title", "ft_employer", "lba_title", "lba_employer", "lba_address", "count"), [
    ("Préparateur de commandes (H/F)", "Entrepôt du Port", "Préparateur de commandes", "ENTREPOT DU PORT",
     "5 rue du Port 92230 GENNEVILLIERS", 1),  # the same offer published twice: once
    ("Préparateur de commandes F/H", "Entrepôt du Port", "Préparateur-de-commandes", "Entrepôt du Port",
     "5 rue du Port 92230 Gennevilliers", 1),
    ("Préparateur de commandes", "Entrepôt du Port", "Magasinier", "Entrepôt du Port",
     "5 rue du Port 92230 Gennevilliers", 2),  # another title
    ("Préparateur de commandes", "Entrepôt du Port", "Préparateur de commandes", "Entrepôt du Port",
     "5 rue du Port 92700 Colombes", 2),  # another commune
    ("Préparateur de commandes", None, "Préparateur de commandes", "Entrepôt du Port",
     "5 rue du Port 92230 Gennevilliers", 2),  # an employer unknown: not taken for the same
])
async def test_the_same_offer_from_both_sources_is_shown_once(
    fake: FakeOffersApi, ft_title: str, ft_employer: str | None, lba_title: str, lba_employer: str,
    lba_address: str, count: int,
) -> None:
    offer = ft_offer("201APPR", ft_title, alternance=True)
    if ft_employer is None:
        del offer["entreprise"]["nom"]
    else:
        offer["entreprise"]["nom"] = ft_employer
    fake.ft_offers = [offer]
    fake.lba_jobs = [lba_job("lba-9", lba_title, employer=lba_employer, address=lba_address),
                     lba_job("ft-201APPR", ft_title, partner="France Travail", partner_id="201APPR")]
    async with httpx.AsyncClient() as client:
        found = await everything(live(fake, client), WITH_COORDINATES)
    assert len(found) == count
    assert found[0].source == "france_travail" and found[0].id == "201APPR"  # France Travail's copy first


@pytest.mark.parametrize(("mode", "cause"), [
    ("down", "status"), ("429", "rate_limited"), ("malformed", "malformed"), ("shape", "malformed"),
    ("slow", "timeout"),
])
async def test_la_bonne_alternance_failing_answers_none_logged_once_and_counted(
    fake: FakeOffersApi, caplog: pytest.LogCaptureFixture, mode: str, cause: str
) -> None:
    fake.mode, fake.failing, fake.delay = mode, "la_bonne_alternance", 3.0
    fake.lba_jobs = [lba_job("lba-1", "Apprenti magasinier")]
    before = failures("la_bonne_alternance", cause)
    async with httpx.AsyncClient() as client:
        offers = lba_only(fake, client, timeout=0.5)
        with caplog.at_level(logging.WARNING, logger="bot.live_offers"):
            for _ in range(3):
                assert await offers.search(WITH_COORDINATES, BOTH) == {"la_bonne_alternance": None}
    assert failures("la_bonne_alternance", cause) == before + 3
    assert len([r for r in caplog.records if "la_bonne_alternance failed" in r.getMessage()]) == 1


async def test_a_paused_la_bonne_alternance_does_not_take_the_job_seekers_offers(fake: FakeOffersApi) -> None:
    fake.mode, fake.failing = "down", "la_bonne_alternance"
    async with httpx.AsyncClient() as client:
        offers = live(fake, client, pause=60)
        failed = await offers.search(WITH_COORDINATES, BOTH)  # an apprenticeship: La bonne alternance failed
        assert failed["la_bonne_alternance"] is None and failed["france_travail"] == []
        found = await offers.search(dataclasses.replace(GENNEVILLIERS, latitude=48.9, longitude=2.29), BOTH)
    # Someone looking for a job: La bonne alternance is not asked, its pause is not theirs.
    assert list(found) == ["france_travail"] and [o.id for o in found["france_travail"] or []] == ["201ABCD", "201ABCE"]
    assert len(fake.searches("/job/v1/search")) == 1


@pytest.mark.parametrize(("failing", "mode"), [
    ("la_bonne_alternance", "down"), ("la_bonne_alternance", "429"), ("la_bonne_alternance", "malformed"),
    ("la_bonne_alternance", "401"), ("france_travail", "down"), ("france_travail", "429"),
    ("france_travail", "malformed"), ("france_travail", "401"),
])
async def test_one_source_failing_or_paused_leaves_the_others_offers(fake: FakeOffersApi, failing: str,
                                                                   mode: str) -> None:
    fake.ft_offers.append(ft_offer("201APPR", "Apprenti préparateur", alternance=True))
    fake.lba_jobs = [lba_job("lba-1", "Apprenti magasinier")]
    fake.mode, fake.failing = mode, failing
    healthy = next(name for name in BOTH if name != failing)
    async with httpx.AsyncClient() as client:
        offers = live(fake, client, pause=60)
        failed = await offers.search(WITH_COORDINATES, BOTH)
        paused = await offers.search(WITH_COORDINATES, BOTH)  # the failing one is paused: not asked at all
    assert failed[failing] is None and paused[failing] is None
    assert [o.id for o in failed[healthy] or []] == [o.id for o in paused[healthy] or []] == (
        ["201APPR"] if healthy == "france_travail" else ["lba-1"])
    assert len(fake.searches("/offres/search" if healthy == "france_travail" else "/job/v1/search")) == 2
    assert len(fake.searches("/job/v1/search" if healthy == "france_travail" else "/offres/search")) <= 1


def test_each_source_is_cached_under_its_own_key() -> None:
    keys = {GENNEVILLIERS.key(name) for name in BOTH} | {WITH_COORDINATES.key(name) for name in BOTH}
    assert len(keys) == 4 and all(len(k) <= 40 for k in keys)  # offer_searches.key is a String(40)


def test_la_bonne_alternance_alone_shows_a_relayed_france_travail_offer_once() -> None:
    # France Travail failing: La bonne alternance's list carries France Travail's offer (relayed, under its id)
    # and its own copy of it; the same offer from two sources, even in one list.
    relayed = parse_la_bonne_alternance(lba_job("ft-1", "Apprenti préparateur (H/F)", partner="France Travail",
                                                partner_id="201APPR", employer="Entrepôt du Port"))
    own = parse_la_bonne_alternance(lba_job("lba-7", "Apprenti préparateur", employer="ENTREPOT DU PORT"))
    other = parse_la_bonne_alternance(lba_job("lba-8", "Apprenti magasinier"))
    assert relayed is not None and own is not None and other is not None
    assert [(o.source, o.id) for o in merged([[], [relayed, own, other]])] == [
        ("france_travail", "201APPR"), ("la_bonne_alternance", "lba-8")]


def test_the_token_alone_turns_la_bonne_alternance_on(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FRANCE_TRAVAIL_CLIENT_ID", "FRANCE_TRAVAIL_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LA_BONNE_ALTERNANCE_TOKEN", LBA_TOKEN)
    monkeypatch.setenv("TREMPLIN_OFFERS__LA_BONNE_ALTERNANCE_PER_SECOND", "2")
    found = live_offers_from(load_settings())
    assert found is not None and [s.name for s in found.sources] == ["la_bonne_alternance"]
    lba = found.sources[0]
    assert isinstance(lba, LaBonneAlternance) and lba.limiter.interval == 0.5 and lba.token == LBA_TOKEN
