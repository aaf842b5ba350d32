"""Where the CPU goes, from a py-spy recording: time by package, and the heaviest functions of ours.

    .venv/bin/py-spy record --pid PID --duration 10 --gil --format raw -o prof.txt   # while the bot is loaded
    .venv/bin/python bench/pyspy_summary.py prof.txt

``--gil`` keeps only the samples where a thread holds the GIL, i.e. Python running on a core. Each
sample is charged to the innermost frame that belongs to a known package (a frame of the standard
library such as json or re is charged to the code that called it). SQLAlchemy's async layer runs
statements in greenlets, which py-spy shows as separate stacks: by package, they still land in
"database"; by function of ours, they are missed (so ours are lower bounds).
"""

from __future__ import annotations

import argparse
import collections
import re
from pathlib import Path

# (category, patterns of the frame's file); the first match wins, innermost frame first.
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("database: SQLAlchemy", ("sqlalchemy/",)),
    ("database: driver (aiosqlite, asyncpg)", ("aiosqlite/", "asyncpg/", "sqlite3/")),
    ("HTTP client (httpx, httpcore, aiohttp...)", ("httpx/", "httpcore/", "h11/", "anyio/", "aiohttp/", "yarl/",
                                                  "multidict/")),
    ("python-telegram-bot", ("telegram/",)),
    ("imports at run time", ("importlib", "<frozen importlib")),
    ("encryption (cryptography)", ("cryptography/", "storage/crypto.py")),
    ("logging", ("logging/",)),
    ("NLU (nlu/)", ("nlu/", "numpy/")),
    ("ours: storage/", ("storage/",)),
    ("ours: flows/", ("flows/",)),
    ("ours: bot/", ("bot/",)),
    ("APScheduler", ("apscheduler/",)),
    ("asyncio event loop", ("asyncio/", "selectors.py")),
)
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>.*?)(?::\d+)?\)$")


def category(file: str) -> str | None:
    for name, patterns in CATEGORIES:
        if any(p in file for p in patterns):
            return name
    return None


def summarise(path: Path, top: int = 15) -> str:
    by_category: collections.Counter[str] = collections.Counter()
    ours: collections.Counter[str] = collections.Counter()  # inclusive, functions of bot/ flows/ storage/ nlu/
    total = 0
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():  # the rare frame name that spans lines (py-spy prints some source text)
            continue
        n = int(count)
        total += n
        frames = [m.groupdict() for f in stack.split(";") if (m := FRAME.match(f))]
        charged = next((c for f in reversed(frames) if (c := category(f["file"])) is not None), "other")
        by_category[charged] += n
        seen = set()
        for frame in frames:
            file = frame["file"]
            if file.startswith(("bot/", "flows/", "storage/", "nlu/")) and "site-packages" not in file:
                key = f"{frame['function']} ({file})"
                if key not in seen:
                    seen.add(key)
                    ours[key] += n
    lines = [f"{total} samples"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in by_category.most_common()]
    lines.append("heaviest functions of ours (inclusive, lower bounds):")
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in ours.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("recording", type=Path, help="py-spy record --format raw output")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    print(summarise(args.recording, args.top))


if __name__ == "__main__":
    main()
