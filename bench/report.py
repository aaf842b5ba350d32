"""The Département's report at the scale of the goal (issue 19): a month of a service with 100,000 young people
and 2 million messages on PostgreSQL, in under 10 s and 500 MB.

A throwaway database is made, migrated and set up as the bot does, then filled by bench/seed.py with the report's
events (``--events``: about 2 million). ``tremplin report`` is then run as the operator runs it, one process per
format, for the last full month: its wall time and its peak memory (the child's ``ru_maxrss``) beside the goal.

    .venv/bin/python bench/report.py [--people 100000 --appointments 50000 --messages 2000000] [--keep]
    .venv/bin/python bench/report.py --reuse postgresql+asyncpg://postgres@127.0.0.1:5432/tremplin_bench_...

The agendas of the data files' structures (12 advisors) hold at most about 60,000 half-hour appointments in the
seeder's 360 days: hence 50,000 appointments, as bench/desk.py.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg
from sqlalchemy import func, select

from bench.loadgen import drop_postgres, fresh_postgres
from bench.seed import seed
from bot.config import AppConfig, DatabaseSettings, Secrets, Settings
from bot.runtime import open_assistant
from storage import Database, crypto
from storage.message_log import LoggedMessage
from storage.migrate import upgrade
from storage.people import Person
from storage.report_events import ReportEvent

ROOT = Path(__file__).resolve().parents[1]
GOAL_SECONDS, GOAL_MB = 10.0, 500.0


def last_full_month(now: dt.datetime) -> str:
    first = now.date().replace(day=1) - dt.timedelta(days=1)
    return f"{first.year}-{first.month:02d}"


# ``tremplin`` as its console script runs it, telling its peak memory at exit: the process's own high-water mark
# (VmHWM, reset by exec), not ru_maxrss, which a child inherits from this big process across fork and exec.
CHILD = """import atexit, sys
def peak():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            print('PEAK_KB', line.split()[1], file=sys.stderr)
atexit.register(peak)
sys.argv = ['tremplin'] + sys.argv[1:]
from bot.cli import main
main()
"""


def run_report(env: dict[str, str], period: str, fmt: str, output: Path) -> tuple[float, float, int]:
    """One ``tremplin report`` process: seconds, peak RSS in MB, its exit code."""
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, "report", "--period", period, "--format", fmt, "--output",
                           str(output)], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True, check=False)
    seconds = time.perf_counter() - began
    peaks = [line.split()[1] for line in done.stderr.splitlines() if line.startswith("PEAK_KB ")]
    if done.returncode:
        print(done.stderr[-2000:], file=sys.stderr)
    return seconds, int(peaks[-1]) / 1024 if peaks else float("nan"), done.returncode


async def seeded_database(args: argparse.Namespace, now: dt.datetime) -> str:
    """A fresh database filled by the seeder, vacuumed and its statistics up to date, as autovacuum keeps a
    database in service (right after a bulk load, the planner would guess the tables' sizes, and autovacuum would
    run during the measures)."""
    url = await fresh_postgres(args.postgres)
    key = crypto.new_key()
    cfg = AppConfig(settings=Settings(database=DatabaseSettings(url=url)),
                    secrets=Secrets(DATABASE_URL=url, TREMPLIN_DATA_KEY=key), config_path=None, root=ROOT)
    await asyncio.to_thread(upgrade, cfg.database_url)
    assistant = await open_assistant(cfg, understanding=False)
    seeded = await seed(cfg.database_url, people=args.people, appointments=args.appointments,
                        messages=args.messages, now=now, events=True)
    await assistant.close()
    print(f"seeded {seeded.people:,} people, {seeded.appointments:,} appointments, {seeded.messages:,} messages, "
          f"{seeded.handoffs:,} requests, {seeded.events:,} report events in {seeded.seconds:.0f} s")
    connection = await asyncpg.connect(args.postgres.rsplit("/", 1)[0] + "/" + url.rsplit("/", 1)[1])
    try:
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return url


async def run(args: argparse.Namespace) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    url = args.reuse or await seeded_database(args, now)
    try:
        db = Database(url)
        async with db.transaction() as uow:
            people = await uow.session.scalar(select(func.count()).select_from(Person))
            messages = await uow.session.scalar(select(func.count()).select_from(LoggedMessage))
            events = await uow.session.scalar(select(func.count()).select_from(ReportEvent))
        await db.dispose()
        print(f"database: {people:,} people, {messages:,} messages, {events:,} report events")
        period = last_full_month(now)
        env = {**os.environ, "DATABASE_URL": url}  # no data key: the report reads no encrypted column
        print(f"\ntremplin report --period {period}, PostgreSQL, one process per run, median of {args.runs} runs "
              f"(load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
        print(f"{'format':<8} {'seconds':>8} {'goal':>6} {'peak RSS MB':>12} {'goal':>6} {'size':>10}  verdict")
        with tempfile.TemporaryDirectory() as folder:
            for fmt in ("html", "pdf", "csv"):
                output = Path(folder) / f"rapport.{fmt}"
                runs = [run_report(env, period, fmt, output) for _ in range(args.runs)]
                seconds = statistics.median(r[0] for r in runs)
                megabytes = max(r[1] for r in runs)
                code = max(r[2] for r in runs)
                size = output.stat().st_size if output.exists() else 0
                ok = code == 0 and seconds < GOAL_SECONDS and megabytes < GOAL_MB
                each = " ".join(f"{r[0]:.1f}" for r in runs)
                print(f"{fmt:<8} {seconds:>8.2f} {'<10':>6} {megabytes:>12.0f} {'<500':>6} {size:>10,}  "
                      f"{'ok' if ok else 'MISSED' if code == 0 else f'exit {code}'}  (runs: {each} s)")
    finally:
        if args.keep and not args.reuse:
            print(f"kept: {url}")
        elif not args.reuse:
            await drop_postgres(args.postgres, url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--appointments", type=int, default=50_000)
    parser.add_argument("--messages", type=int, default=2_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the database (its URL is printed)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each format (the median is shown)")
    parser.add_argument("--reuse", metavar="DATABASE_URL", help="time the report on a database seeded before (--keep)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
