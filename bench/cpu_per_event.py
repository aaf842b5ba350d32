"""CPU per event in this process, SQLite against PostgreSQL: the engine and delivery of tests/kit.py (no Telegram, no
NLU model), each person sending /start and four commands, one event after the other.

    .venv/bin/python bench/cpu_per_event.py [--runs 3] [--people 60]
    .venv/bin/python bench/cpu_per_event.py --tree /tmp/old      # another checkout, for a before/after

``time.process_time`` counts only this process's CPU: not the time spent waiting for a core, nor PostgreSQL's own
work. On a shared machine this is much steadier than a rate (bench/README.md). Each run gets a fresh SQLite file and
a fresh PostgreSQL database (created on ``--postgres``, then dropped). A figure, not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


async def measure(url: str, people: int) -> tuple[float, float]:
    """(CPU ms, wall ms) per event, after a warm-up."""
    from storage import Database
    from storage.migrate import upgrade
    from tests.kit import make_harness

    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    harness = make_harness(db)
    try:
        for n in range(10):  # warm-up: compiled statements, prepared statements, pooled connections
            chat = harness.chat(f"warm-up-{n}")
            await chat.command("start")
            await chat.command("aide")
        events = 0
        cpu, wall = time.process_time(), time.perf_counter()
        for n in range(people):
            chat = harness.chat(f"person-{n}")
            await chat.command("start")
            for name in ("aide", "profil", "rdv", "confidentialite"):
                await chat.command(name)
            events += 5
        return (time.process_time() - cpu) * 1000 / events, (time.perf_counter() - wall) * 1000 / events
    finally:
        await db.dispose()


async def run(args: argparse.Namespace) -> None:
    import asyncpg

    from storage import crypto

    crypto.use_keys(crypto.new_key())  # throwaway: nothing here is real
    server = args.postgres.rsplit("/", 1)[0]
    print(f"CPU per event in process, {time.strftime('%Y-%m-%d %H:%M')}: {args.people} people, /start and 4 commands "
          f"each, one event after the other{f'; code from {args.tree}' if args.tree else ''}")
    for number in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory() as tmp:
            sqlite = await measure(f"sqlite+aiosqlite:///{tmp}/bench.db", args.people)
        name = f"tremplin_cpu_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(args.postgres)
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        try:
            postgres = await measure(f"postgresql+asyncpg://{server.split('://', 1)[1]}/{name}", args.people)
        finally:
            admin = await asyncpg.connect(args.postgres)
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
        print(f"  run {number}: SQLite {sqlite[0]:5.2f} ms CPU ({sqlite[1]:5.1f} ms wall)   "
              f"PostgreSQL {postgres[0]:5.2f} ms CPU ({postgres[1]:5.1f} ms wall)   "
              f"PostgreSQL / SQLite {postgres[0] / sqlite[0]:.2f}x", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--people", type=int, default=60)
    parser.add_argument("--tree", type=Path, default=None, help="import Tremplin from this checkout instead")
    parser.add_argument("--postgres", metavar="ADMIN_URL", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="server on which a throwaway database is created, then dropped")
    args = parser.parse_args()
    sys.path.insert(0, str(args.tree or ROOT))  # before this folder, which has an nlu.py of its own
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
