"""Throughput and latency end to end: the real bot as a subprocess, 200 young people onboarding at once.

    .venv/bin/python bench/throughput.py                       # SQLite, PostgreSQL, then the bare PTB echo bot
    .venv/bin/python bench/throughput.py --only sqlite,echo    # a subset
    .venv/bin/python bench/throughput.py --postgres postgresql://postgres@127.0.0.1:5432/postgres

For each subject, a fresh fake Bot API (tests/bot/fake_telegram.py) and a fresh database; the bot runs
as ``tremplin run`` (embedded NLU, the default config.yml, Telegram's pacing lifted through the
environment: we measure Tremplin's own capacity, the 30 messages/s cap is bench/delivery.py's subject).
200 simulated people go through onboarding by buttons (one /start and one typed first name each, 13
updates an onboarding; a new person replaces each one who finishes), at offered loads from 10
updates/s up to saturation ("max": each person answers as soon as the question arrives).

Printed per load: updates offered and handled per second (first reply received in the measured
window), p50/p95/p99 latency from the update being available to getUpdates to the first reply reaching
the fake API, p99 until the next question's keyboard arrived, CPU of the bot process and of this
process (fake API + load generator: the two share the machine's 2 cores), RSS of the bot; then the peak
RSS and our saturated rate as a share of the echo bot's. A figure, not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from cryptography.fernet import Fernet

# The repository first: this folder (the script's own, already on the path) has an nlu.py of its own.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loadgen import (
    ONBOARDING,
    BenchTelegram,
    LevelResult,
    Population,
    Subject,
    drop_postgres,
    echo_bot,
    fresh_postgres,
    median,
    percentile,
    tremplin,
    tremplin_serve,
)
from pyspy_summary import summarise

DEFAULT_LEVELS = "10,50,100,150,200,300,400,500,600,max"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def parse_levels(text: str) -> list[float | None]:
    return [None if item.strip() == "max" else float(item) for item in text.split(",") if item.strip()]


def sweep(name: str, start: callable, levels: list[float | None], args: argparse.Namespace,
          *, echo: bool = False) -> tuple[list[LevelResult], float]:
    """Start a subject against a fresh fake, run every level, stop it; returns the levels and its peak RSS."""
    me = psutil.Process()
    with BenchTelegram() as fake, tempfile.TemporaryDirectory() as tmp:
        subject: Subject = start(fake, Path(tmp))
        results = []
        try:
            subject.start()
            polling_after = subject.wait_polling(fake)
            if subject.webhook is not None:
                fake.post_concurrently(*subject.webhook, connections=args.webhook_connections)
            people = Population(fake, args.people, echo=echo)
            ready = "webhook workers running" if subject.webhook is not None else "polling"
            print(f"\n{name}: {ready} {polling_after:.1f} s after start", flush=True)
            people.run_level(50, args.warmup_seconds, args.warmup_seconds)  # warm-up, not counted
            people.forget_finished()
            print(f"  {'offered/s':>9} {'sent/s':>7} {'handled/s':>9} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
                  f"{'kbd p99':>8} {'bot CPU':>8} {'CPU/upd':>8} {'bench CPU':>9} {'bot RSS':>8}", flush=True)
            for rate in levels:
                bot_cpu, bench_cpu, began = subject.cpu_seconds(), sum(me.cpu_times()[:2]), time.monotonic()
                spy = start_profile(args, subject, rate)
                result = people.run_level(rate, args.seconds, args.warmup)
                # CPU over the whole level, drain included (it is short next to the level).
                elapsed = time.monotonic() - began
                result.bot_cpu_seconds = subject.cpu_seconds() - bot_cpu
                result.bot_cpu = result.bot_cpu_seconds / elapsed
                result.bench_cpu = (sum(me.cpu_times()[:2]) - bench_cpu) / elapsed
                result.bot_rss = subject.rss_mb()
                results.append(result)
                print("  " + row(result), flush=True)
                if spy is not None:
                    spy.wait(30)
                    print(f"  profile of the bot at {rate:g}/s (py-spy, {args.profile}):")
                    print("    " + summarise(args.profile, 20).replace("\n", "\n    "), flush=True)
                people.forget_finished()
            peak = subject.peak_rss_mb()
            print(f"  onboardings completed {people.onboarded}; updates without an answer in 30 s {people.stuck}; "
                  f"unexpected questions {people.unexpected}; peak RSS of the bot {peak:.0f} MB", flush=True)
        finally:
            code = subject.stop()
            if code not in (0, None, -15):
                print(f"  (the bot exited with {code})\n{subject.log_tail(10)}")
    return results, peak


def start_profile(args: argparse.Namespace, subject: Subject, rate: float | None) -> subprocess.Popen[bytes] | None:
    """py-spy on the bot for the measured part of the level ``--profile-at`` (samples holding the GIL only)."""
    if args.profile is None or rate != args.profile_at:
        return None
    spy = Path(sys.executable).parent / "py-spy"
    if not spy.exists():
        print("  (no profile: py-spy is not installed; pip install -e '.[bench]')")
        return None
    assert subject.process is not None
    return subprocess.Popen(
        ["sh", "-c", f"sleep {args.warmup}; exec {spy} record --pid {subject.process.pid} --rate 200 --gil "
                     f"{'--subprocesses ' if subject.workers else ''}"
                     f"--duration {int(args.seconds - args.warmup)} --nonblocking --format raw -o {args.profile}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def row(r: LevelResult) -> str:
    offered = "max" if r.rate is None else f"{r.rate:g}"
    return (f"{offered:>9} {r.offered_rate:>7.0f} {r.handled_rate:>9.0f} {r.p(0.50):>7.1f} {r.p(0.95):>7.1f} "
            f"{r.p(0.99):>7.1f} {percentile(r.complete, 0.99):>8.1f} {r.bot_cpu * 100:>7.0f}% "
            f"{r.cpu_ms_per_update:>5.1f} ms"
            f"{r.bench_cpu * 100:>8.0f}% {r.bot_rss:>5.0f} MB"
            + (f"  ({r.unanswered} unanswered)" if r.unanswered else ""))


def saturation(results: list[LevelResult]) -> float:
    return max((r.handled_rate for r in results), default=0.0)


def at_rate(results: list[LevelResult], rate: float) -> LevelResult | None:
    return next((r for r in results if r.rate == rate), None)


SUBJECTS = {
    "sqlite": "Tremplin on SQLite (tremplin run, polling, embedded NLU)",
    "postgres": "Tremplin on PostgreSQL (tremplin run, polling, embedded NLU)",
    "pg1": "Tremplin on PostgreSQL, 1 webhook worker (tremplin serve --workers 1)",
    "pg2": "Tremplin on PostgreSQL, 2 webhook workers (tremplin serve --workers 2, one shared port)",
    "echo": "bare PTB echo bot (Updater polling, one sendMessage per update)",
}
# Issue 18's goals: PostgreSQL's saturation at least 80 % of SQLite's, its p95 at 100 updates/s at most twice
# SQLite's, both in the same run (the ratios of each run; their median over the runs).
GOAL_SATURATION = 0.80
GOAL_P95 = 2.0


def p95_at(rate: float) -> callable:
    def p95(results: list[LevelResult]) -> float:
        level = at_rate(results, rate)
        return level.p(0.95) if level else float("nan")
    return p95


p95_at_100 = p95_at(100)


def cpu_at_max(results: list[LevelResult]) -> float:
    """CPU per update at the highest load offered (the last level)."""
    return results[-1].cpu_ms_per_update if results else float("nan")


def goals(runs: list[dict[str, tuple[list[LevelResult], float]]], levels: list[float | None]) -> None:
    """The ratios of each run, their median, and the verdict against issue 18's goals."""
    def ratios(name: str, of: str, figure: callable) -> list[float]:
        return [figure(run[name][0]) / figure(run[of][0]) for run in runs if name in run and of in run]

    def line(label: str, values: list[float], shown: callable, verdict: str = "") -> None:
        if values:
            print(f"  {label:<46} {shown(median(values)):>7}  (runs: {', '.join(shown(v) for v in values)}){verdict}")

    print(f"\ngoals (issue 18), median of {len(runs)} run{'s' if len(runs) > 1 else ''}; each ratio within one run")
    saturation_ratios = ratios("postgres", "sqlite", saturation)
    met = bool(saturation_ratios) and median(saturation_ratios) >= GOAL_SATURATION
    verdict = f"  goal >= {GOAL_SATURATION:.0%}: {'MET' if met else 'NOT MET'}" if saturation_ratios else ""
    line("PostgreSQL saturation / SQLite's", saturation_ratios, lambda v: f"{v:.0%}", verdict)
    p95_ratios = ratios("postgres", "sqlite", p95_at_100)
    verdict = (f"  goal <= {GOAL_P95:g}x: {'MET' if median(p95_ratios) <= GOAL_P95 else 'NOT MET'}"
               if p95_ratios else "")
    line("PostgreSQL p95 at 100/s / SQLite's", p95_ratios, lambda v: f"{v:.2f}x", verdict)
    low = min((rate for rate in levels if rate is not None and rate < 100), default=None)
    if low is not None:  # on a busy machine 100/s may be past saturation: the latency there is a queue
        line(f"PostgreSQL p95 at {low:g}/s / SQLite's", ratios("postgres", "sqlite", p95_at(low)),
             lambda v: f"{v:.2f}x", "  (a lower load: at 100/s a busy machine queues)")
    line("PostgreSQL CPU per update / SQLite's, at max", ratios("postgres", "sqlite", cpu_at_max),
         lambda v: f"{v:.2f}x", "  (steadier on shared cores; 1 / the saturation ratio for a bot alone on a core)")
    # Production runs PostgreSQL in webhook mode: the same two ratios for one webhook worker.
    line("PG 1 webhook worker saturation / SQLite's", ratios("pg1", "sqlite", saturation), lambda v: f"{v:.0%}")
    line("PG 1 webhook worker p95 at 100/s / SQLite's", ratios("pg1", "sqlite", p95_at_100), lambda v: f"{v:.2f}x")
    if low is not None:
        line(f"PG 1 webhook worker p95 at {low:g}/s / SQLite's", ratios("pg1", "sqlite", p95_at(low)),
             lambda v: f"{v:.2f}x")
    line("2 webhook workers / 1, saturation (PostgreSQL)", ratios("pg2", "pg1", saturation), lambda v: f"{v:.2f}x")
    line("1 webhook worker / polling, saturation (PG)", ratios("pg1", "postgres", saturation), lambda v: f"{v:.0%}")
    line("PostgreSQL saturation / echo bot's", ratios("postgres", "echo", saturation), lambda v: f"{v:.0%}")
    line("SQLite saturation / echo bot's", ratios("sqlite", "echo", saturation), lambda v: f"{v:.0%}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="sqlite,postgres,pg1,pg2,echo",
                        help=f"subjects, among {', '.join(SUBJECTS)} (pg1, pg2: tremplin serve in webhook mode)")
    parser.add_argument("--runs", type=int, default=1, help="run every subject this many times (alternating); "
                                                            "the goals take the median of the runs' ratios")
    parser.add_argument("--levels", default=DEFAULT_LEVELS, help="offered updates/s, comma-separated; max = saturate")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each level")
    parser.add_argument("--warmup", type=float, default=2.0, help="first seconds of each level not counted")
    parser.add_argument("--warmup-seconds", type=float, default=4.0, help="warm-up at 50/s before the levels")
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--echo-concurrent", type=int, default=256,
                        help="concurrent_updates of the echo bot (PTB's default is 1)")
    parser.add_argument("--webhook-connections", type=int, default=40,
                        help="webhook mode: POSTs at once, as Telegram's max_connections (40 by default)")
    parser.add_argument("--profile", type=Path, default=None, metavar="FILE",
                        help="record the bot with py-spy during the level --profile-at, and summarise it")
    parser.add_argument("--profile-at", type=float, default=100.0, metavar="RATE")
    parser.add_argument("--tree", type=Path, default=None,
                        help="run Tremplin from this checkout instead (e.g. `git archive HEAD | tar -x -C DIR`)")
    parser.add_argument("--postgres", metavar="ADMIN_URL", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="server on which a throwaway database is created, then dropped")
    args = parser.parse_args()
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in only if s not in SUBJECTS]
    if unknown:
        parser.error(f"unknown subject {', '.join(unknown)} (expected among {', '.join(SUBJECTS)})")
    levels = parse_levels(args.levels)
    data_key = Fernet.generate_key().decode()  # throwaway: nothing here is real
    print(f"throughput benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores; "
          f"{args.people} people onboarding at once ({len(ONBOARDING)} updates each: 1 command, 1 text, "
          f"{len(ONBOARDING) - 2} buttons); {args.seconds:g} s a level, the first {args.warmup:g} s not counted")
    print("the bot runs in its own process(es); the fake Bot API and the load generator run in this one, on the "
          "same 2 cores (their CPU is shown as 'bench CPU'; 100% = one core)")

    def start_sqlite(fake: BenchTelegram, tmp: Path) -> Subject:
        return tremplin(fake, f"sqlite+aiosqlite:///{tmp}/bench.db", data_key, tmp / "bot.log", tree=args.tree)

    def on_postgres(start: callable) -> callable:
        def started(fake: BenchTelegram, tmp: Path) -> Subject:
            url = asyncio.run(fresh_postgres(args.postgres))
            databases.append(url)
            return start(fake, tmp, url)
        return started

    def start_serve(workers: int) -> callable:
        return on_postgres(lambda fake, tmp, url: tremplin_serve(
            fake, url, data_key, tmp / "bot.log", workers=workers, port=free_port(), secret=secrets.token_hex(16),
            tree=args.tree))

    def start_echo(fake: BenchTelegram, tmp: Path) -> Subject:
        return echo_bot(fake, tmp / "echo.log", concurrent=args.echo_concurrent)

    starts = {"sqlite": start_sqlite,
              "postgres": on_postgres(lambda fake, tmp, url: tremplin(fake, url, data_key, tmp / "bot.log",
                                                                      tree=args.tree)),
              "pg1": start_serve(1), "pg2": start_serve(2), "echo": start_echo}
    runs: list[dict[str, tuple[list[LevelResult], float]]] = []
    databases: list[str] = []  # each PostgreSQL subject on a fresh database, dropped at the end
    try:
        for number in range(1, args.runs + 1):
            if args.runs > 1:
                print(f"\n=== run {number} of {args.runs}", flush=True)
            summary: dict[str, tuple[list[LevelResult], float]] = {}
            for name in only:
                summary[name] = sweep(SUBJECTS[name], starts[name], levels, args, echo=name == "echo")
            runs.append(summary)
            print_summary(summary)
    finally:
        for url in databases:
            asyncio.run(drop_postgres(args.postgres, url))
    goals(runs, levels)
    return 0


def print_summary(summary: dict[str, tuple[list[LevelResult], float]]) -> None:
    print("\nsummary")
    for name, (results, peak) in summary.items():
        hundred = at_rate(results, 100)
        latency = f"; p95 / p99 at 100/s {hundred.p(0.95):.1f} / {hundred.p(0.99):.1f} ms" if hundred else ""
        print(f"  {name:<9} saturation {saturation(results):5.0f} updates/s{latency}; CPU per update at "
              f"{'max' if results and results[-1].rate is None else 'the last level'} "
              f"{cpu_at_max(results):.1f} ms; peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    raise SystemExit(main())
