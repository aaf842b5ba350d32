"""The desk's pages at the scale of a département, on PostgreSQL: each page's time (p50, p95) side by side with
the time its SQL statements took in the same requests, and how many statements it ran.

A throwaway database is made, migrated and set up as the bot does, then filled by bench/seed.py (10,000 young
people, 50,000 appointments, 500,000 messages by default). The pages are asked in-process (the ASGI application
through httpx), as a structure manager of Nanterre, and the Département's pages as its team.

    .venv/bin/python bench/desk.py [--people 10000 --appointments 50000 --messages 500000] [--requests 40]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from sqlalchemy import event, select

from bench.loadgen import drop_postgres, fresh_postgres
from bench.seed import seed
from bot.config import AppConfig, DatabaseSettings, Secrets, Settings, WebSettings
from bot.runtime import open_assistant
from storage import crypto
from storage.handoffs import OPEN, Handoff
from storage.migrate import upgrade
from storage.staff import DEPARTEMENT, MANAGER
from web.access import SESSION_COOKIE
from web.app import create_app

ROOT = Path(__file__).resolve().parents[1]


class SqlClock:
    """The time spent in SQL statements (cursor execute) and how many ran, since the last ``reset``."""

    def __init__(self, engine: Any) -> None:
        self.seconds, self.count = 0.0, 0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        self.seconds += time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())
        self.count += 1

    def reset(self) -> None:
        self.seconds, self.count = 0.0, 0


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


async def run(args: argparse.Namespace) -> None:
    url = await fresh_postgres(args.postgres)
    try:
        key = crypto.new_key()
        cfg = AppConfig(settings=Settings(database=DatabaseSettings(url=url), web=WebSettings(secure_cookies=False)),
                        secrets=Secrets(DATABASE_URL=url, TREMPLIN_DATA_KEY=key), config_path=None, root=ROOT)
        await asyncio.to_thread(upgrade, cfg.database_url)
        assistant = await open_assistant(cfg, understanding=False)
        seeded = await seed(cfg.database_url, people=args.people, appointments=args.appointments,
                            messages=args.messages)
        print(f"seeded {seeded.people:,} people, {seeded.appointments:,} appointments, {seeded.messages:,} "
              f"messages, {seeded.handoffs:,} requests in {seeded.seconds:.0f} s")
        db = assistant.db
        async with db.transaction() as uow:
            manager = await uow.structures.agent_by_email("nadia@ml-nanterre.exemple.fr")
            await uow.staff.set_role(manager, MANAGER)
            token = secrets.token_urlsafe(16)
            await uow.staff.open_session(manager.id, token, assistant.world.clock.now())
            figures = await uow.structures.upsert_agent(structure_id=None, display_name="Statistiques",
                                                        email="statistiques@hauts-de-seine.exemple.fr")
            await uow.staff.set_role(figures, DEPARTEMENT)
            departement_token = secrets.token_urlsafe(16)
            await uow.staff.open_session(figures.id, departement_token, assistant.world.clock.now())
            person = await uow.session.scalar(select(Handoff.person_id).where(
                Handoff.structure_id == "ml-nanterre", Handoff.status == OPEN).limit(1))
        await db.engine.dispose()
        sql = SqlClock(db.engine.sync_engine)
        app = create_app(db, assistant.world, cfg.settings.web)
        pages = [(token, path) for path in (
            "/demandes", "/demandes/liste", f"/jeunes/{person}", f"/jeunes/{person}/rendez-vous", "/agenda",
            "/agenda?vue=semaine", "/agenda/calendrier", "/disponibilites", "/acces", "/equipe", "/compte")]
        pages += [(departement_token, path) for path in ("/statistiques", "/offres")]
        print(f"\n{'page':<30} {'p50 ms':>8} {'p95 ms':>8} {'SQL p95 ms':>11} {'statements':>11}")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://desk.bench") as client:
            for session, path in pages:
                if args.only and args.only not in path:
                    continue
                client.cookies.set(SESSION_COOKIE, session)
                for _ in range(3):
                    (await client.get(path)).raise_for_status()
                totals, sql_times, counts = [], [], []
                for _ in range(args.requests):
                    sql.reset()
                    began = time.perf_counter()
                    answer = await client.get(path)
                    totals.append(time.perf_counter() - began)
                    answer.raise_for_status()
                    sql_times.append(sql.seconds)
                    counts.append(sql.count)
                print(f"{path:<30} {statistics.median(totals) * 1000:>8.1f} {p95(totals) * 1000:>8.1f} "
                      f"{p95(sql_times) * 1000:>11.1f} {statistics.median(counts):>11.0f}")
        await assistant.close()
    finally:
        await drop_postgres(args.postgres, url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--appointments", type=int, default=50_000)
    parser.add_argument("--messages", type=int, default=500_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--only", help="only the pages whose path contains this")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
