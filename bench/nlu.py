"""NLU benchmark: both backends on the held-out file — accuracy, macro-F1, latency, memory.

    .venv/bin/python bench/nlu.py                      # embedded only
    .venv/bin/python bench/nlu.py --start-rasa         # also start (and stop) a Rasa server
    .venv/bin/python bench/nlu.py --rasa http://127.0.0.1:5005   # also a Rasa server already running

Latency is measured in process over ``--repeat`` passes of the held-out messages (the Rasa figure
includes the HTTP round trip on 127.0.0.1). RSS is that of a fresh Python process that imports the
whole bot stack (python-telegram-bot, SQLAlchemy, dateparser, ...) and the embedded NLU from a warm
cache, then parses every held-out message; for Rasa, the RSS of the server process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlu.embedded import EmbeddedBackend, load_models  # noqa: E402
from nlu.evaluation import HELDOUT, evaluate, load_examples  # noqa: E402
from nlu.rasa_backend import RasaBackend  # noqa: E402

CACHE = ROOT / "var" / "nlu"

# Run in a fresh interpreter: what a bot process holds once everything is imported and warm.
RSS_PROBE = """
import json, sys, psutil
from pathlib import Path
rss = lambda: psutil.Process().memory_info().rss / 2**20
base = rss()
import telegram, telegram.ext, sqlalchemy, sqlalchemy.ext.asyncio, aiosqlite, asyncpg, alembic, apscheduler
import dateparser, httpx, pydantic, pydantic_settings, yaml, typer, rich, cryptography, icalendar, holidays
for optional in ("bot.config", "storage", "flows"):
    try:
        __import__(optional)
    except Exception:
        pass
dateparser.parse("3 décembre", languages=["fr"])  # loads its language data
stack = rss()
from nlu import load_backend
from nlu.evaluation import load_examples
backend = load_backend(cache_dir=Path(sys.argv[1]))
for example in load_examples(Path(sys.argv[2])):
    backend.parse_sync(example.text)
print(json.dumps({"python": base, "stack": stack, "total": rss(),
                  "sklearn_imported": "sklearn" in sys.modules}))
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def latencies(backend: object, texts: list[str], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        for text in texts:
            start = time.perf_counter()
            await backend.parse(text)  # type: ignore[attr-defined]
            out.append((time.perf_counter() - start) * 1000)
    return out


def rss_of_listener(port: int) -> float | None:
    for conn in psutil.net_connections(kind="tcp"):
        if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
            return psutil.Process(conn.pid).memory_info().rss / 2**20
    return None


def line(name: str, report, lat: list[float], rss: str) -> str:
    return (f"{name:<9} accuracy {report.accuracy:.3f}  macro-F1 {report.macro_f1:.3f}  "
            f"commune F1 {report.entities['commune'].f1:.3f}  secteur F1 {report.entities['secteur'].f1:.3f}  "
            f"distress recall {report.distress_recall:.3f}  p50 {statistics.median(lat):.3f} ms  "
            f"p99 {percentile(lat, 0.99):.3f} ms  {rss}")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=HELDOUT)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rasa", help="URL of a running Rasa server")
    parser.add_argument("--start-rasa", action="store_true", help="start a Rasa server for the benchmark")
    args = parser.parse_args()

    examples = load_examples(args.data)
    texts = [e.text for e in examples]
    load_models(cache_dir=CACHE)  # warm cache for the RSS probe
    embedded = EmbeddedBackend.load(cache_dir=CACHE)
    probe = subprocess.run([sys.executable, "-c", RSS_PROBE, str(CACHE), str(args.data)], cwd=ROOT,
                           capture_output=True, text=True, check=True)
    mem = json.loads(probe.stdout)
    report = await evaluate(embedded, examples, embedded.gazetteer, name="embedded")
    lat = await latencies(embedded, texts, args.repeat)
    print(f"held-out file: {args.data} ({len(examples)} messages), {args.repeat} timed passes")
    print(line("embedded", report, lat,
               f"bot process RSS {mem['total']:.0f} MB (bare Python {mem['python']:.0f}, "
               f"bot stack without NLU {mem['stack']:.0f}; sklearn imported: {mem['sklearn_imported']})"))

    process = None
    url = args.rasa
    if args.start_rasa:
        from nlu.rasa_server import ensure_model, free_port, start_server, wait_ready

        port = free_port()
        process = start_server(ensure_model(say=print), port)
        wait_ready(port, process, timeout=300)
        url = f"http://127.0.0.1:{port}"
    try:
        if url:
            rasa = RasaBackend(url, embedded, timeout=10.0)
            rasa_report = await evaluate(rasa, examples, embedded.gazetteer, name="rasa")
            rasa_lat = await latencies(rasa, texts, args.repeat)
            await rasa.aclose()
            server_rss = rss_of_listener(int(url.rsplit(":", 1)[1].strip("/")))
            shown = f"server RSS {server_rss:.0f} MB" if server_rss else "server RSS unknown"
            print(line("rasa", rasa_report, rasa_lat, shown))
    finally:
        if process is not None:
            from nlu.rasa_server import stop_server

            stop_server(process)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
