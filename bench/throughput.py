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
    percentile,
    tremplin,
)
from pyspy_summary import summarise

DEFAULT_LEVELS = "10,50,100,150,200,300,400,500,600,max"


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
            people = Population(fake, args.people, echo=echo)
            print(f"\n{name}: polling {polling_after:.1f} s after start", flush=True)
            people.run_level(50, args.warmup_seconds, args.warmup_seconds)  # warm-up, not counted
            people.forget_finished()
            print(f"  {'offered/s':>9} {'sent/s':>7} {'handled/s':>9} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
                  f"{'kbd p99':>8} {'bot CPU':>8} {'bench CPU':>9} {'bot RSS':>8}", flush=True)
            for rate in levels:
                bot_cpu, bench_cpu, began = subject.cpu_seconds(), sum(me.cpu_times()[:2]), time.monotonic()
                spy = start_profile(args, subject, rate)
                result = people.run_level(rate, args.seconds, args.warmup)
                # CPU over the whole level, drain included (it is short next to the level).
                elapsed = time.monotonic() - began
                result.bot_cpu = (subject.cpu_seconds() - bot_cpu) / elapsed
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
                     f"--duration {int(args.seconds - args.warmup)} --nonblocking --format raw -o {args.profile}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def row(r: LevelResult) -> str:
    offered = "max" if r.rate is None else f"{r.rate:g}"
    return (f"{offered:>9} {r.offered_rate:>7.0f} {r.handled_rate:>9.0f} {r.p(0.50):>7.1f} {r.p(0.95):>7.1f} "
            f"{r.p(0.99):>7.1f} {percentile(r.complete, 0.99):>8.1f} {r.bot_cpu * 100:>7.0f}% "
            f"{r.bench_cpu * 100:>8.0f}% {r.bot_rss:>5.0f} MB"
            + (f"  ({r.unanswered} unanswered)" if r.unanswered else ""))


def saturation(results: list[LevelResult]) -> float:
    return max((r.handled_rate for r in results), default=0.0)


def at_rate(results: list[LevelResult], rate: float) -> LevelResult | None:
    return next((r for r in results if r.rate == rate), None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="sqlite,postgres,echo", help="subjects, among sqlite, postgres, echo")
    parser.add_argument("--levels", default=DEFAULT_LEVELS, help="offered updates/s, comma-separated; max = saturate")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each level")
    parser.add_argument("--warmup", type=float, default=2.0, help="first seconds of each level not counted")
    parser.add_argument("--warmup-seconds", type=float, default=4.0, help="warm-up at 50/s before the levels")
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--echo-concurrent", type=int, default=256,
                        help="concurrent_updates of the echo bot (PTB's default is 1)")
    parser.add_argument("--profile", type=Path, default=None, metavar="FILE",
                        help="record the bot with py-spy during the level --profile-at, and summarise it")
    parser.add_argument("--profile-at", type=float, default=100.0, metavar="RATE")
    parser.add_argument("--tree", type=Path, default=None,
                        help="run Tremplin from this checkout instead (e.g. `git archive HEAD | tar -x -C DIR`)")
    parser.add_argument("--postgres", metavar="ADMIN_URL", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="server on which a throwaway database is created, then dropped")
    args = parser.parse_args()
    only = {s.strip() for s in args.only.split(",")}
    levels = parse_levels(args.levels)
    data_key = Fernet.generate_key().decode()  # throwaway: nothing here is real
    print(f"throughput benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores; "
          f"{args.people} people onboarding at once ({len(ONBOARDING)} updates each: 1 command, 1 text, "
          f"{len(ONBOARDING) - 2} buttons); {args.seconds:g} s a level, the first {args.warmup:g} s not counted")
    print("the bot runs in its own process; the fake Bot API and the load generator run in this one, on the same "
          "2 cores (their CPU is shown as 'bench CPU'; 100% = one core)")
    summary: dict[str, tuple[list[LevelResult], float]] = {}

    if "sqlite" in only:
        def start_sqlite(fake: BenchTelegram, tmp: Path) -> Subject:
            return tremplin(fake, f"sqlite+aiosqlite:///{tmp}/bench.db", data_key, tmp / "bot.log", tree=args.tree)
        summary["sqlite"] = sweep("Tremplin on SQLite (tremplin run, embedded NLU)", start_sqlite, levels, args)

    if "postgres" in only:
        url = asyncio.run(fresh_postgres(args.postgres))
        try:
            def start_pg(fake: BenchTelegram, tmp: Path) -> Subject:
                return tremplin(fake, url, data_key, tmp / "bot.log", tree=args.tree)
            summary["postgres"] = sweep("Tremplin on PostgreSQL (tremplin run, embedded NLU)", start_pg, levels, args)
        finally:
            asyncio.run(drop_postgres(args.postgres, url))

    if "echo" in only:
        def start_echo(fake: BenchTelegram, tmp: Path) -> Subject:
            return echo_bot(fake, tmp / "echo.log", concurrent=args.echo_concurrent)
        summary["echo"] = sweep(f"bare PTB echo bot (Updater polling, concurrent_updates={args.echo_concurrent}, "
                                "one sendMessage per update)", start_echo, levels, args, echo=True)

    print("\nsummary")
    for name, (results, peak) in summary.items():
        hundred = at_rate(results, 100)
        latency = f"; p99 at 100/s {hundred.p(0.99):.1f} ms" if hundred else ""
        print(f"  {name:<9} saturation {saturation(results):5.0f} updates/s{latency}; peak RSS {peak:.0f} MB")
    if "echo" in summary:
        echo_rate = saturation(summary["echo"][0])
        for name in ("sqlite", "postgres"):
            if name in summary:
                print(f"  {name} / echo = {saturation(summary[name][0]) / echo_rate:.0%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
