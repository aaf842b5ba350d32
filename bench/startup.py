"""Start-up: time from ``tremplin run`` being started to its first reply, and its memory at rest.

    .venv/bin/python bench/startup.py              # 3 runs of each case
    .venv/bin/python bench/startup.py --runs 5

A "/start" is waiting in the fake Bot API (tests/bot/fake_telegram.py) before the process starts, as
when the bot is restarted while people write. Measured from the process start to the first getUpdates
and to the first reply reaching the fake, in two cases: the very first start on an empty SQLite
database (migrations, agendas seeded) and a restart on that database (the usual case). The embedded
NLU model is read from its cache (var/nlu; an empty cache retrains it first, about 8 s). Then, after
``--rest`` idle seconds, the resident memory of the process (RSS) and its peak (VmHWM).
A figure, not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from cryptography.fernet import Fernet

# The repository first: this folder (the script's own, already on the path) has an nlu.py of its own.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loadgen import ROOT, BenchTelegram, tremplin

from tests.bot.fake_telegram import TgUser


def one_start(database_url: str, data_key: str, log: Path, rest: float, first_update_id: int) -> dict[str, float]:
    """Start the bot with a /start waiting; returns its timings (s) and memory (MB)."""
    # A new fake each time; its update ids continue past the ones the database has already seen.
    with BenchTelegram(first_update_id=first_update_id) as fake:
        user = TgUser(4242, "Inès")
        replied = threading.Event()
        first_reply: list[float] = []

        def on_reply(chat: str, at: float, message: object) -> None:
            if chat == str(user.id) and not first_reply:
                first_reply.append(at)
                replied.set()

        fake.on_reply = on_reply
        fake.command(user, "start")
        bot = tremplin(fake, database_url, data_key, log)
        try:
            bot.start()
            polling = bot.wait_polling(fake)
            if not replied.wait(60):
                raise RuntimeError(f"no reply within 60 s:\n{bot.log_tail()}")
            time.sleep(rest)
            return {"polling": polling, "reply": first_reply[0] - bot.started_at, "rss": bot.rss_mb(),
                    "peak": bot.peak_rss_mb()}
        finally:
            bot.stop()


def describe(name: str, runs: list[dict[str, float]]) -> str:
    def stat(key: str, unit: str, fmt: str) -> str:
        values = [r[key] for r in runs]
        return f"{statistics.median(values):{fmt}} {unit} (max {max(values):{fmt}})"

    return (f"  {name:<26} first reply {stat('reply', 's', '.2f')}, polling from {stat('polling', 's', '.2f')}; "
            f"RSS at rest {stat('rss', 'MB', '.0f')}, peak {stat('peak', 'MB', '.0f')}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rest", type=float, default=5.0, help="idle seconds before reading the memory")
    args = parser.parse_args()
    data_key = Fernet.generate_key().decode()
    cache = sorted((ROOT / "var" / "nlu").glob("embedded-*.npz"))
    model = "cached model" if cache else "NO cached model: the first start retrains it"
    print(f"start-up benchmark, {time.strftime('%Y-%m-%d %H:%M')}; tremplin run on SQLite, embedded NLU ({model}); "
          f"median of {args.runs} runs")
    first, again = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            url = f"sqlite+aiosqlite:///{tmp}/startup{run}.db"
            first.append(one_start(url, data_key, Path(tmp) / "bot.log", args.rest, first_update_id=500_000))
            again.append(one_start(url, data_key, Path(tmp) / "bot.log", args.rest, first_update_id=600_000))
    print(describe("first start (empty base)", first))
    print(describe("restart", again))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
