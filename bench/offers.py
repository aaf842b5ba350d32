"""Live offers among the ideas (issue 21's goals): the time of the turn that shows a person their ideas with a
cold cache (the APIs are called), a warm one (the cache answers) and no live source at all (the reference, the
catalogue only), measured side by side; a slow API (above the timeout); and the searches the fake APIs saw.

A fresh database (a SQLite file by default; ``--postgres``: a throwaway database on that server, dropped at the
end), migrated and set up as the bot does (``open_assistant``: the real engine, the embedded NLU, the data
files, the live sources built from ``config.yml``'s ``offers`` with credentials pointing at the fakes). The fake
France Travail and La bonne alternance APIs of the tests (tests/bot/fake_offers.py) run on 127.0.0.1 in this
process, every answer delayed by ``--latency`` (a real API's time). ``--people`` young people are onboarded
through the conversation (typed first name and commune, buttons for the rest: Gennevilliers and the other
communes of data/communes.yml, logistics and other sectors, about one in four looking for an apprenticeship),
each with criteria of their own (commune, sectors, apprenticeship), and ``--shared`` more whose criteria
someone else has. Then, day after day (the fixed clock moved a day: every cache stale), person by person,
three ``/idees``:

- cold: the first of the day; the APIs are called (outside the person's transaction: ``Turn.outside``);
  for a ``--shared`` person, someone already searched their criteria (listed apart);
- warm: the same person again, the same day: the cache answers;
- reference: the same person, through an engine whose world has no live source (the catalogue alone).

The turn is ``Engine.handle`` and the delivery of its replies to a recording channel (no Telegram), as
``tests.kit.Chat`` does. Then the slow API: ``--slow-people`` other people, a fake answering in
``--slow-latency`` seconds (above the timeout), the source never paused (``pause_seconds`` 0, the worst case:
with the default pause only the first turn after a failure waits), each turn expected to end within the
timeout and a little.

Printed: p50, p95 and max per case (the median of the days' figures), the goal next to them, the turns that
showed at least one live offer, and the calls the fake servers counted each day: searches per criteria and
per person and source (the goal: at most 1). Nothing is asserted. No new day starts past ``--budget``
seconds; about 3 to 5 minutes with the defaults on 2 shared cores.

    .venv/bin/python bench/offers.py                         # SQLite, 200 people, 3 days, 150 ms latency
    .venv/bin/python bench/offers.py --postgres              # PostgreSQL (postgres@127.0.0.1:5432, trust)
    .venv/bin/python bench/offers.py --people 50 --days 1 --latency 0.3 --timeout 1
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import logging
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.loadgen import drop_postgres, fresh_postgres  # noqa: E402
from bot.config import AppConfig, Secrets, load_settings  # noqa: E402
from bot.delivery import Delivery  # noqa: E402
from bot.live_offers import LiveOffers, live_offers_from  # noqa: E402
from bot.runtime import Assistant, open_assistant  # noqa: E402
from flows.assistant import build_engine  # noqa: E402
from flows.data.territory import Commune  # noqa: E402
from flows.engine.events import Reply  # noqa: E402
from flows.engine.world import World  # noqa: E402
from flows.profile.values import SECTORS  # noqa: E402
from flows.rules.clock import FixedClock  # noqa: E402
from storage import crypto  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from tests.bot.fake_offers import CLIENT_ID, CLIENT_SECRET, LBA_TOKEN, FakeOffersApi, ft_offer, lba_job  # noqa: E402
from tests.kit import Chat, Harness, RecordingSender  # noqa: E402

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
FT_SEARCH, LBA_SEARCH, TOKEN = "/offres/search", "/job/v1/search", "/connexion/oauth2/access_token"
# Sector choices (the buttons' labels), logistics first and most often.
SECTOR_SETS: tuple[tuple[str, ...], ...] = (
    ("Logistique",), ("Commerce, vente",), ("Logistique", "Transport"), ("Bâtiment",),
    ("Cuisine, restauration",), ("Logistique", "Industrie"), ("Sécurité",), ("Propreté",), ("Santé, social",),
    ("Transport",), ("Automobile",), ("Bureau, accueil",), ("Numérique",), ("Espaces verts",),
    ("Animation, sport",), ("Beauté",), ("Industrie",), ("Logistique", "Commerce, vente"),
)
NAMES = ("Inès", "Yanis", "Sarah", "Moussa", "Léa", "Karim", "Aya", "Lucas", "Fatou", "Nathan", "Yasmine", "Enzo")
DIPLOMAS = ("Aucun diplôme", "CAP ou BEP", "Le brevet", "Le bac")
SECTOR_VALUES = {o.label: o.value for o in SECTORS}
JOB, APPRENTICESHIP = "Je cherche un emploi", "Je cherche une alternance"


@dataclass(frozen=True)
class Person:
    user: str
    commune: Commune
    sectors: tuple[str, ...]
    situation: str
    diploma: str
    age: int

    @property
    def criteria(self) -> tuple[str, tuple[str, ...], bool]:
        return self.commune.insee, self.sectors, self.situation == APPRENTICESHIP


def people(communes: tuple[Commune, ...], count: int, shared: int) -> list[Person]:
    """``count`` people with criteria of their own, then ``shared`` people each with the criteria of one of
    the first ones (the cache is by criteria: whoever asks first searches)."""
    gennevilliers = next(c for c in communes if c.name == "Gennevilliers")
    others = [c for c in communes if c is not gennevilliers]
    found: list[Person] = []
    seen: set[tuple[str, tuple[str, ...], bool]] = set()
    i = 0
    while len(found) < count:
        commune = gennevilliers if i % 5 == 0 else others[i % len(others)]
        sectors = SECTOR_SETS[(i // 3) % len(SECTOR_SETS)]
        situation = APPRENTICESHIP if i % 4 == 1 else JOB
        person = Person(f"p{len(found)}", commune, sectors, situation, DIPLOMAS[i % len(DIPLOMAS)],
                        18 + i % 8)
        i += 1
        if person.criteria not in seen:
            seen.add(person.criteria)
            found.append(person)
    twins = [dataclasses.replace(found[k % count], user=f"p{count + k}") for k in range(shared)]
    return found + twins


def fake_offers(world: World, per_sector: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """France Travail offers in every sector (``per_sector`` each, spread over the communes, a quarter of them
    apprenticeships) and La bonne alternance jobs near a few communes, some relayed from France Travail."""
    assert world.rome is not None
    communes = world.territory.communes
    ft: list[dict[str, Any]] = []
    for s, (sector, codes) in enumerate(sorted(world.rome.sectors.items())):
        for j in range(per_sector):
            commune = communes[(7 * j + s) % len(communes)]
            ft.append(ft_offer(f"2{s:02d}{j:04d}", f"Offre {sector} {j}", employer=f"Employeur {s}-{j}",
                               insee=commune.insee, place=f"92 - {commune.name.upper()}", rome=codes[j % len(codes)],
                               alternance=j % 4 == 0, beginner=j % 5 != 4))
    relayed = iter([o for o in ft if o["alternance"] and o["romeCode"] in world.rome.sectors["logistique"]])
    lba = []
    for j, commune in enumerate(communes[:24]):
        point = ((commune.longitude or 2.3) + 0.002 * (j % 3), (commune.latitude or 48.9) + 0.001 * (j % 2))
        address = f"{j + 1} rue de la Gare {commune.postal_codes[0]} {commune.name}"
        if j % 6 == 0 and (offer := next(relayed, None)) is not None:  # France Travail's, relayed: shown once
            lba.append(lba_job(f"ft-{offer['id']}", offer["intitule"], partner="France Travail",
                               partner_id=offer["id"], employer=offer["entreprise"]["nom"], address=address,
                               point=point))
        lba.append(lba_job(f"lba-{j}", f"Apprenti magasinier {j}", employer=f"Garage {j}", address=address,
                           point=point))
    return ft, lba


def configured(url: str, fake: FakeOffersApi, args: argparse.Namespace, *, pause: float | None = None) -> AppConfig:
    """``config.yml`` with this database and the live sources on the fake APIs (credentials as the tests')."""
    base = load_settings(ROOT / "config.yml", root=ROOT)
    s = base.settings
    offers = s.offers.model_copy(update={
        "timeout_seconds": args.timeout, "france_travail_url": f"{fake.base_url}/partenaire/offresdemploi/v2",
        "france_travail_token_url": f"{fake.base_url}{TOKEN}", "la_bonne_alternance_url": f"{fake.base_url}/api",
        **({"pause_seconds": pause} if pause is not None else {})})
    settings = s.model_copy(update={"offers": offers, "database": s.database.model_copy(update={"url": url})})
    secrets = Secrets(DATABASE_URL=url, TREMPLIN_DATA_KEY=args.key, RASA_URL=None, TELEGRAM_BOT_TOKEN=None,
                      FRANCE_TRAVAIL_CLIENT_ID=CLIENT_ID, FRANCE_TRAVAIL_CLIENT_SECRET=CLIENT_SECRET,
                      LA_BONNE_ALTERNANCE_TOKEN=LBA_TOKEN)
    return AppConfig(settings=settings, secrets=secrets, config_path=None, root=ROOT)


def harness(assistant: Assistant, world: World) -> Harness:
    sender = RecordingSender()
    clock = world.clock
    return Harness(assistant.db, build_engine(assistant.db, world), world, clock, world.nlu, sender,  # type: ignore[arg-type]
                   Delivery(assistant.db, [sender], clock))


async def onboard(chat: Chat, person: Person) -> bool:
    """The onboarding of tests/bot/test_live_offers_flow.py, with this person's answers; True when it ended
    with the ideas offered."""
    await chat.send("bonjour")
    await chat.press("D'accord")
    await chat.send(NAMES[int(person.user[1:]) % len(NAMES)])
    await chat.press(str(person.age))
    await chat.send(person.commune.name)
    await chat.press(person.diploma)
    await chat.press(person.situation)
    await chat.press("Non")  # RSA
    await chat.press("Non, personne")
    await chat.press("C'est tout")  # obstacles: none
    for sector in person.sectors:
        await chat.press(sector)
    await chat.press("C'est tout")
    return "Montre-moi" in chat.labels


def offers_shown(replies: list[Reply]) -> int:
    return sum(1 for r in replies if r.text.startswith("💡 Offre"))


@dataclass
class Case:
    turns: list[float] = field(default_factory=list)
    with_offers: int = 0
    called: int = 0  # turns during which the fake saw a search

    def add(self, seconds: float, replies: list[Reply], called: bool) -> None:
        self.turns.append(seconds)
        self.with_offers += offers_shown(replies) > 0
        self.called += called


@dataclass
class Day:
    """One day's turns (the clock moved a day: every cache stale) and the searches the fake saw that day."""

    cases: dict[str, Case]
    searches: dict[str, dict[str, int]]  # per source: searches, distinct criteria, max per criteria, ...
    seconds: float


Key = tuple[Any, ...]


def search_key(path: str, params: dict[str, str]) -> Key | None:
    """A search's criteria as the API saw them (the page range aside; the codes' order aside)."""
    if path.endswith(FT_SEARCH):
        return ("ft", params.get("commune"), frozenset(params.get("codeROME", "").split(",")),
                params.get("natureContrat") == "E2", params.get("distance"))
    if path.endswith(LBA_SEARCH):
        return ("lba", params.get("latitude"), params.get("longitude"), frozenset(params.get("romes", "").split(",")),
                params.get("radius"))
    return None


def keys_of(person: Person, world: World, radius: int) -> set[Key]:
    """The searches this person's criteria make (La bonne alternance: only for an apprenticeship)."""
    assert world.rome is not None
    codes = frozenset(world.rome.codes_for(SECTOR_VALUES[label] for label in person.sectors))
    alternance = person.situation == APPRENTICESHIP
    keys: set[Key] = {("ft", person.commune.insee, codes, alternance, str(radius))}
    if alternance:
        keys.add(("lba", str(person.commune.latitude), str(person.commune.longitude), codes, str(radius)))
    return keys


def count_searches(made: list[tuple[str, dict[str, str]]], everyone: list[Person], world: World, radius: int
                   ) -> dict[str, dict[str, int]]:
    """Per source: searches, distinct criteria, the most searches of one criteria, the most searches of one
    person's criteria, searches matching nobody's criteria, token requests (of these calls: one day's)."""
    calls = Counter(k for k in (search_key(path, params) for path, params in made) if k is not None)
    mine = {p.user: keys_of(p, world, radius) for p in everyone}
    known = set().union(*mine.values())
    figures = {}
    for name, tag in (("France Travail", "ft"), ("La bonne alternance", "lba")):
        keys = {k: n for k, n in calls.items() if k[0] == tag}
        per_person = [sum(n for k, n in keys.items() if k in mine[p.user]) for p in everyone]
        figures[name] = {"searches": sum(keys.values()), "criteria": len(keys),
                         "max_per_criteria": max(keys.values(), default=0),
                         "max_per_person": max(per_person, default=0),
                         "people": sum(1 for p in everyone if any(k[0] == tag for k in mine[p.user])),
                         "unexpected": sum(n for k, n in keys.items() if k not in known)}
    figures["France Travail"]["tokens"] = sum(1 for path, _ in made if path == TOKEN)
    return figures


async def timed(chat: Chat, fake: FakeOffersApi) -> tuple[float, list[Reply], bool]:
    before = len(fake.calls)
    began = time.perf_counter()
    replies = await chat.command("idees")
    took = time.perf_counter() - began
    return took, replies, any(search_key(path, params) for path, params in fake.calls[before:])


@dataclass
class Setting:
    """What a day's turns need."""

    live: Harness  # the world of config.yml, its sources on the fake
    reference: Harness  # the same world without a live source
    slowed: Harness  # sources on the slow fake, never paused
    fake: FakeOffersApi
    slow: FakeOffersApi
    measured: list[Person]  # the people with criteria of their own, then the ones sharing them
    slow_people: list[Person]
    radius: int


async def one_day(args: argparse.Namespace, s: Setting) -> Day:
    """Each person's three /idees (cold, warm, reference), then the slow API's turns."""
    began, first_call = time.monotonic(), len(s.fake.calls)
    cases = {name: Case() for name in CASES}
    for k, person in enumerate(s.measured):
        chat, plain = s.live.chat(person.user), s.reference.chat(person.user)
        took, replies, called = await timed(chat, s.fake)
        cases["cold" if k < args.people else "shared"].add(took, replies, called)
        cases["warm"].add(*await timed(chat, s.fake))
        cases["reference"].add(*await timed(plain, s.fake))
    for person in s.slow_people:
        cases["slow"].add(*await timed(s.slowed.chat(person.user), s.slow))
    searches = count_searches(s.fake.calls[first_call:], s.measured, s.live.world, s.radius)
    return Day(cases, searches, time.monotonic() - began)


async def measure(args: argparse.Namespace, began: float) -> list[Day]:
    """Set up, onboard everybody, then one day after another while the time budget allows."""
    folder = tempfile.TemporaryDirectory(prefix="tremplin-bench-offers-")
    url = await fresh_postgres(args.postgres) if args.postgres else f"sqlite+aiosqlite:///{folder.name}/bench.db"
    fake = FakeOffersApi(latency=args.latency).start()
    slow = FakeOffersApi(mode="slow", delay=args.slow_latency).start()
    assistant: Assistant | None = None
    slow_source: LiveOffers | None = None
    days: list[Day] = []
    try:
        await asyncio.to_thread(upgrade, url)
        clock = FixedClock(dt.datetime.now(dt.UTC).replace(hour=10, minute=0, second=0, microsecond=0))
        cfg = configured(url, fake, args)
        assistant = await open_assistant(cfg, clock=clock)
        world = assistant.world
        fake.ft_offers, fake.lba_jobs = fake_offers(world, args.offers_per_sector)
        slow.ft_offers, slow.lba_jobs = fake.ft_offers, fake.lba_jobs
        slow_source = live_offers_from(configured(url, slow, args, pause=0.0))
        everyone = people(world.territory.communes, args.people + args.slow_people, args.shared)
        setting = Setting(
            live=harness(assistant, world), reference=harness(assistant, dataclasses.replace(world, offers=None)),
            slowed=harness(assistant, dataclasses.replace(world, offers=slow_source)), fake=fake, slow=slow,
            measured=everyone[:args.people] + everyone[args.people + args.slow_people:],
            slow_people=everyone[args.people:args.people + args.slow_people],
            radius=cfg.settings.offers.radius_km)
        failed = 0
        for person in everyone:
            failed += not await onboard(setting.live.chat(person.user), person)
        print(f"  {len(everyone)} people onboarded in {time.monotonic() - began:.0f} s (set-up included); "
              f"{failed} without the ideas offered at the end; {len(fake.calls)} calls to the fake meanwhile",
              flush=True)
        for number in range(1, args.days + 1):
            elapsed = time.monotonic() - began
            if days and elapsed + max(d.seconds for d in days) * 1.1 > args.budget:
                print(f"  stopped after {len(days)} of {args.days} days: the time budget ({args.budget:.0f} s) "
                      "would be exceeded")
                break
            if number > 1:
                clock.advance(days=1)  # every search stale (fresh_hours 24), still kept (keep_days 7)
            try:  # a day that hangs is stopped 30 s past the budget (and everything cleaned up below)
                days.append(await asyncio.wait_for(one_day(args, setting), timeout=args.budget - elapsed + 30))
            except TimeoutError:
                print(f"  day {number} stopped: past the time budget")
                break
            print(f"  day {number}: {days[-1].seconds:.0f} s", flush=True)
        return days
    finally:
        if slow_source is not None:
            await slow_source.close()
        if assistant is not None:
            await assistant.close()
        fake.stop()
        slow.stop()
        if args.postgres:
            await drop_postgres(args.postgres, url)
        folder.cleanup()


CASES = {
    "reference": "reference: no live source (catalogue only)",
    "warm": "warm: the cache answers",
    "shared": "first ask, criteria searched by another",
    "cold": "cold: the API called",
    "slow": "slow API",
}


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) >= 2 else values[0]


def figures_of(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), p95(values), max(values)


def median_of(days: list[Day], case: str) -> tuple[float, float, float] | None:
    """The median over the days of each day's p50, p95 and max."""
    per_day = [figures_of(d.cases[case].turns) for d in days if d.cases[case].turns]
    if not per_day:
        return None
    return tuple(statistics.median(f[i] for f in per_day) for i in range(3))  # type: ignore[return-value]


def report(args: argparse.Namespace, days: list[Day]) -> None:
    timeout_ms = args.timeout * 1000
    goals = {
        "warm": (1, 300.0, "p95 < 300 ms"),
        "cold": (1, timeout_ms, f"p95 < {timeout_ms:.0f} ms (the timeout)"),
        "slow": (2, timeout_ms + 500, f"max < {timeout_ms + 500:.0f} ms (timeout + 0.5 s)"),
    }
    titles = dict(CASES, cold=f"cold: the API called ({args.latency * 1000:.0f} ms)",
                  slow=f"slow API ({args.slow_latency:g} s; timeout {args.timeout:g} s)")
    print(f"\nmedian of {len(days)} days' figures (each day: every cache stale)" if len(days) > 1
          else "\nthe figures of one day")
    print(f"{'case':<44} {'turns':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'offers':>7}  goal")
    for case, title in titles.items():
        found = median_of(days, case)
        if found is None:
            continue
        turns = statistics.median(len(d.cases[case].turns) for d in days)
        shown = statistics.median(d.cases[case].with_offers for d in days)
        line = (f"{title:<44} {turns:>6.0f} {found[0] * 1000:>8.1f} {found[1] * 1000:>8.1f} {found[2] * 1000:>8.1f} "
                f"{shown:>7.0f}")
        if case in goals:
            index, limit, words = goals[case]
            line += f"  {words}: {'met' if found[index] * 1000 < limit else 'MISSED'}"
        print(line)
    warm, ref = median_of(days, "warm"), median_of(days, "reference")
    if warm and ref:
        print(f"warm - reference: p50 {(warm[0] - ref[0]) * 1000:+.1f} ms, p95 {(warm[1] - ref[1]) * 1000:+.1f} ms")
    print("p95 ms of each day:")
    for n, d in enumerate(days, 1):
        print(f"  day {n}: " + ", ".join(f"{c} {p95(d.cases[c].turns) * 1000:.1f}"
                                         for c in ("reference", "warm", "shared", "cold", "slow") if d.cases[c].turns)
              + "; turns during which the fake saw a search: "
              + ", ".join(f"{c} {d.cases[c].called}/{len(d.cases[c].turns)}" for c in CASES if d.cases[c].turns))
    print("\ncalls counted by the fake servers, day by day (goal: at most 1 search per criteria, per person and "
          "source, per day)")
    print(f"{'source':<22} {'day':>3} {'searches':>9} {'criteria':>9} {'people':>7} {'max/criteria':>13} "
          f"{'max/person':>11} {'unexpected':>11} {'tokens':>7}")
    for n, d in enumerate(days, 1):
        for name, f in d.searches.items():
            print(f"{name:<22} {n:>3} {f['searches']:>9} {f['criteria']:>9} {f['people']:>7} "
                  f"{f['max_per_criteria']:>13} {f['max_per_person']:>11} {f['unexpected']:>11} "
                  f"{f.get('tokens', '-'):>7}")


async def run(args: argparse.Namespace) -> None:
    logging.getLogger().setLevel(logging.ERROR)  # the slow case's "failed" warning, once a day
    began = time.monotonic()
    print(f"live offers benchmark, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores; "
          f"{'PostgreSQL' if args.postgres else 'SQLite file'}; {args.people} people with criteria of their own "
          f"+ {args.shared} sharing someone's, {args.slow_people} for the slow API; fake France Travail and La bonne "
          f"alternance on 127.0.0.1 answering in {args.latency * 1000:.0f} ms; timeout {args.timeout:g} s; "
          f"{args.offers_per_sector} France Travail offers a sector")
    print("the turn: /idees through Engine.handle (embedded NLU) and the delivery of its replies to a recording "
          "channel; 'offers': turns showing at least one live offer")
    days = await measure(args, began)
    if days:
        report(args, days)
    print(f"\n{time.monotonic() - began:.0f} s in all")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", nargs="?", const=ADMIN_URL, default=None,
                        help=f"a throwaway database on this server (default {ADMIN_URL})")
    parser.add_argument("--people", type=int, default=200, help="people with criteria of their own")
    parser.add_argument("--shared", type=int, default=20, help="people with the criteria of one before them")
    parser.add_argument("--slow-people", type=int, default=3)
    parser.add_argument("--days", type=int, default=3, help="days measured (the median is printed)")
    parser.add_argument("--latency", type=float, default=0.15, help="the fake APIs' time to answer (s)")
    parser.add_argument("--slow-latency", type=float, default=3.0, help="the slow fake's time to answer (s)")
    parser.add_argument("--timeout", type=float, default=2.0, help="offers.timeout_seconds")
    parser.add_argument("--offers-per-sector", type=int, default=40)
    parser.add_argument("--budget", type=float, default=270.0, help="no new day after this many seconds")
    args = parser.parse_args()
    args.key = crypto.new_key()  # a throwaway data key: nothing here is real
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
