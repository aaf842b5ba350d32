"""The benchmarks' seeder: a service at the scale of a département, in a database the bot has already set up
(migrated, and the structures, lieux, motifs and agents of the data files seeded at start).

Young people with a profile, their messages, appointments over the past months and the weeks to come (every
status), requests (some open, some urgent) with the advisors' answers, record accesses. Rows are written with
core INSERTs in batches (the encrypted columns are encrypted as by the bot), deterministically from ``seed``.
The desk's benchmark (bench/desk.py) uses it; the Département's report (bench/report.py) and the production
rehearsal reuse it. ``--events`` also writes the report's pseudonymous events (storage/report_events.py) of the
same people, appointments and requests, each person with their ``report_key``: first contact, agreement,
welcome, bookings and statuses, requests and answers, suggestions shown and kept, outcome questions and answers.

    .venv/bin/python bench/seed.py DATABASE_URL --people 10000 --appointments 50000 --messages 500000 [--events]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select

from storage import Database
from storage.appointments import EXCUSED, NOSHOW, REVOKED, SEEN, UNKNOWN, Appointment
from storage.handoffs import ASKED, CLOSED, DISTRESS, OPEN, RELAY, Handoff, HandoffMessage
from storage.message_log import LoggedMessage
from storage.outcomes import CATEGORIES
from storage.people import Person
from storage.report_events import ReportEvent, age_band
from storage.structures import Agent, Lieu, Motif

BATCH = 5_000
FIRST_NAMES = ("Inès", "Karim", "Awa", "Yanis", "Lina", "Sami", "Jade", "Moussa", "Léa", "Adam", "Nour", "Enzo")
WORDS = ("je cherche un taf dans la logistique", "jai pas le permis", "c quoi une mission locale",
         "je veux un rdv", "je dors chez une copine", "j'ai un cap cuisine", "je suis au rsa", "merci",
         "je peux venir vendredi ?", "c'est où exactement ?")
SCHOOLING = ("aucun", "brevet", "cap_bep", "bac", "bac_plus")
SITUATION = ("emploi", "formation", "alternance", "ne_sait_pas")
STATUSES_PAST = (SEEN,) * 6 + (NOSHOW,) * 2 + (EXCUSED, REVOKED)
TERRITORY = {"92050": "200057982", "92025": "200057990"}  # the EPT of the communes the seeder uses
SUGGESTED = ("training:logistique", "job:batiment", "job:hotellerie_restauration", "programme:", "service:",
             "training:numerique", "job:commerce_vente", "training:sante_social")


@dataclass
class Seeded:
    people: int
    appointments: int
    messages: int
    handoffs: int
    seconds: float
    events: int = 0


async def _insert(db: Database, table: object, rows: list[dict[str, object]]) -> None:
    for start in range(0, len(rows), BATCH):
        async with db.transaction() as uow:
            await uow.session.execute(insert(table), rows[start:start + BATCH])  # type: ignore[arg-type]


async def seed(database_url: str, *, people: int = 10_000, appointments: int = 50_000, messages: int = 500_000,
               open_requests: int = 600, now: dt.datetime | None = None, seed: int = 1,
               events: bool = False) -> Seeded:
    """Fill the database; returns what was written and how long it took."""
    began = time.perf_counter()
    rng = random.Random(seed)
    now = now or dt.datetime.now(dt.UTC).replace(microsecond=0)
    db = Database(database_url)
    try:
        async with db.transaction() as uow:
            agents = list(await uow.session.scalars(select(Agent).where(Agent.structure_id.is_not(None))))
            lieux = list(await uow.session.scalars(select(Lieu)))
            motifs = list(await uow.session.scalars(select(Motif).where(Motif.code == "suivi")))
            first_id = (await uow.session.scalar(select(Person.id).order_by(Person.id.desc()).limit(1))) or 0
        structures = sorted({a.structure_id for a in agents if a.structure_id})
        communes = {"ml-nanterre": "92050", "ml-boucle-nord": "92025"}
        person_rows, home, event_rows, written = [], {}, [], [0]

        async def flush(least: int = BATCH * 4) -> None:  # the events go in batches: 2 million do not fit in memory
            if len(event_rows) >= least:
                await _insert(db, ReportEvent.__table__, event_rows)
                written[0] += len(event_rows)
                event_rows.clear()

        def event(subject: str, kind: str, at: dt.datetime, person: dict[str, object], **more: object) -> None:
            event_rows.append({"subject": subject, "kind": kind, "at": at, "structure": person["structure"],
                               "territory": person["territory"], "age_band": person["age_band"], "rsa": person["rsa"],
                               "detail": None, "value": None, "about_at": None, "item": None, **more})

        for number in range(people):
            structure = structures[number % len(structures)]
            joined = now - dt.timedelta(days=rng.randrange(1, 700), minutes=rng.randrange(1440))
            person_rows.append({
                "id": first_id + 1 + number, "channel": "telegram", "external_id": f"bench{seed}-{number}",
                "chat_id": f"bench{seed}-{number}", "first_name": rng.choice(FIRST_NAMES), "age": rng.randrange(16, 26),
                "commune": communes.get(structure, "92050"), "schooling": rng.choice(SCHOOLING),
                "situation": rng.choice(SITUATION), "rsa": rng.random() < 0.4, "followed_by": "mission_locale",
                "obstacles": [], "sectors": [], "consent_at": joined, "consent_version": "2026-11",
                "consent_refused": False, "onboarded_at": joined, "notifications": "all", "nudges_paused": False,
                "created_at": joined, "last_seen_at": joined, "report_key": f"b{seed}k{number}" if events else None})
            home[first_id + 1 + number] = structure
        await _insert(db, Person.__table__, person_rows)
        ids = [row["id"] for row in person_rows]
        facets = {row["id"]: {"structure": home[row["id"]], "territory": TERRITORY.get(str(row["commune"])),
                              "age_band": age_band(row["age"]), "rsa": row["rsa"]}  # type: ignore[arg-type]
                  for row in person_rows} if events else {}
        joined_at = {row["id"]: row["created_at"] for row in person_rows}
        key_of = {row["id"]: row["report_key"] for row in person_rows}
        if events:
            unknown = {"structure": None, "territory": None, "age_band": None, "rsa": None}
            for row in person_rows:
                pid, joined = row["id"], row["created_at"]
                assert isinstance(joined, dt.datetime)
                subject, person = key_of[pid], facets[pid]
                event(subject, "first_contact", joined - dt.timedelta(minutes=12), unknown)
                event(subject, "consent", joined - dt.timedelta(minutes=10), unknown)
                event(subject, "onboarded", joined, person)
                for shown in range(rng.randrange(4, 10)):
                    detail = rng.choice(SUGGESTED)
                    at = joined + dt.timedelta(hours=rng.randrange(1, 24 * 60))
                    if at < now:
                        event(subject, "suggestion_shown", at, person, detail=detail)
                        if shown == 0:
                            event(subject, "suggestion_saved", at + dt.timedelta(minutes=1), person, detail=detail)
                for horizon, days in (("3m", 91), ("6m", 182)):
                    asked = joined + dt.timedelta(days=days)
                    if asked < now:
                        event(subject, "outcome_asked", asked, person, detail=horizon)
                        if rng.random() < 0.45:
                            category = rng.choice(list(CATEGORIES))
                            event(subject, "outcome", asked + dt.timedelta(hours=rng.randrange(1, 72)), person,
                                  detail=f"{horizon}:{category}")
                await flush()

        by_structure = {s: [a for a in agents if a.structure_id == s] for s in structures}
        lieu_of = {s: [lieu for lieu in lieux if lieu.structure_id == s] for s in structures}
        motif_of = {m.structure_id: m for m in motifs}
        taken: set[tuple[int, dt.datetime]] = set()
        appointment_rows = []
        day0 = (now - dt.timedelta(days=300)).replace(hour=8, minute=0, second=0)
        slots = 360 * 16 * sum(len(by_structure[s]) for s in structures if s in motif_of and lieu_of[s])
        if appointments > 0.9 * slots:  # drawn at random among free slots: near the limit, it would never end
            raise ValueError(f"{appointments} appointments do not fit in the agendas' {slots} half-hours of 360 days")
        while len(appointment_rows) < appointments:
            person = rng.choice(ids)
            structure = home[person]
            agent = rng.choice(by_structure[structure])
            starts = day0 + dt.timedelta(days=rng.randrange(360), minutes=30 * rng.randrange(16))
            if {(agent.id, starts), (-person, starts)} & taken or structure not in motif_of or not lieu_of[structure]:
                continue  # an advisor, or a person, is never booked twice at once
            taken |= {(agent.id, starts), (-person, starts)}
            status = UNKNOWN if starts > now else rng.choice(STATUSES_PAST)
            appointment_rows.append({
                "uid": f"bench-{seed}-{len(appointment_rows)}", "sequence": 0, "person_id": person,
                "structure_id": structure, "lieu_id": rng.choice(lieu_of[structure]).id,
                "motif_id": motif_of[structure].id, "agent_id": agent.id, "collective": False, "starts_at": starts,
                "ends_at": starts + dt.timedelta(minutes=30), "status": status, "created_by": "young",
                "created_at": starts - dt.timedelta(days=7), "updated_at": starts - dt.timedelta(days=7),
                "status_changed_at": None if status == UNKNOWN else starts})
        await _insert(db, Appointment.__table__, appointment_rows)
        for number, row in enumerate(appointment_rows if events else []):
            pid, starts, booked = row["person_id"], row["starts_at"], row["created_at"]
            assert isinstance(pid, int) and isinstance(starts, dt.datetime) and isinstance(booked, dt.datetime)
            booked = max(booked, joined_at[pid] + dt.timedelta(hours=1))  # never before their first contact
            if starts <= booked:
                continue  # in the seeded agenda before the person came: no event of theirs
            item = f"a:{number}"
            event(key_of[pid], "appointment_booked", booked, facets[pid], detail="bot" if number % 3 else "advisor",
                  value=(starts - joined_at[pid] + dt.timedelta(minutes=12)).total_seconds(), about_at=starts,
                  item=item)
            if row["status"] != UNKNOWN:
                event(key_of[pid], "appointment_status", starts + dt.timedelta(hours=1), facets[pid],
                      detail=row["status"], about_at=starts, item=item)
            await flush()

        message_rows = []
        for number in range(messages):
            person = ids[number % len(ids)]
            at = now - dt.timedelta(minutes=rng.randrange(60 * 24 * 85))  # within the retention period
            message_rows.append({"person_id": person, "direction": "in", "text": rng.choice(WORDS), "intent": None,
                                 "created_at": at})
            if len(message_rows) == BATCH * 4:
                await _insert(db, LoggedMessage.__table__, message_rows)
                message_rows = []
        await _insert(db, LoggedMessage.__table__, message_rows)

        handoff_rows = []
        for number, person in enumerate(rng.sample(ids, min(len(ids), open_requests * 3))):
            is_open = number < open_requests
            opened = now - dt.timedelta(minutes=rng.randrange(60 * 24 * 20))
            handoff_rows.append({
                "person_id": person, "structure_id": home[person], "reason": DISTRESS if number % 40 == 0 else ASKED,
                "urgent": number % 40 == 0, "status": OPEN if is_open else CLOSED, "opened_at": opened,
                "closed_at": None if is_open else opened + dt.timedelta(hours=5), "closed_by": None if is_open else
                by_structure[home[person]][0].id, "request": rng.choice(WORDS)})
        await _insert(db, Handoff.__table__, handoff_rows)
        async with db.transaction() as uow:
            handoffs = list(await uow.session.execute(select(Handoff.id, Handoff.person_id, Handoff.structure_id,
                                                             Handoff.opened_at)))
        relays = [{"handoff_id": hid, "person_id": pid, "agent_id": by_structure[sid][0].id, "channel": "telegram",
                   "kind": RELAY, "outbox_id": None, "text": "Bonjour, je vous propose un rendez-vous jeudi.",
                   "created_at": opened + dt.timedelta(minutes=30)} for hid, pid, sid, opened in handoffs if sid]
        await _insert(db, HandoffMessage.__table__, relays)
        for hid, pid, _sid, opened in handoffs if events else []:
            if pid not in key_of:
                continue
            event(key_of[pid], "handoff_opened", opened, facets[pid], detail="normal" if hid % 40 else "urgent",
                  value=float(opened.hour < 8 or opened.hour >= 17), item=f"h:{hid}")
            event(key_of[pid], "handoff_answered", opened + dt.timedelta(minutes=30), facets[pid], value=1800.0,
                  about_at=opened, item=f"h:{hid}")
        await flush(least=1)
    finally:
        await db.dispose()
    return Seeded(people, appointments, messages, len(handoff_rows), time.perf_counter() - began, written[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database_url")
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--appointments", type=int, default=50_000)
    parser.add_argument("--messages", type=int, default=500_000)
    parser.add_argument("--events", action="store_true", help="also the report's events (storage/report_events.py)")
    args = parser.parse_args()
    done = asyncio.run(seed(args.database_url, people=args.people, appointments=args.appointments,
                            messages=args.messages, events=args.events))
    print(f"seeded {done.people} people, {done.appointments} appointments, {done.messages} messages, "
          f"{done.handoffs} requests, {done.events} report events in {done.seconds:.0f} s")


if __name__ == "__main__":
    main()
