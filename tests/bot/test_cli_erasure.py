"""``tremplin data erase`` as an operator runs it: the scan after the erasure also reads the raw SQLite files."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from storage import Database, crypto
from storage.migrate import upgrade
from tests.privacy_kit import raw_matches

TREMPLIN = str(Path(sys.executable).parent / "tremplin")
ROOT = Path(__file__).resolve().parents[2]
MAELYS, BILAL = "7301234567", "7309876543"  # made-up Telegram ids


def test_erase_reports_zero_matches_in_the_raw_files_and_there_are_none(tmp_path: Path) -> None:
    key = crypto.new_key()
    crypto.use_keys(key)
    database = f"{tmp_path}/tremplin.db"
    url = f"sqlite+aiosqlite:///{database}"

    async def seed() -> None:
        await asyncio.to_thread(upgrade, url)
        db = Database(url)
        try:
            now = dt.datetime.now(dt.UTC)
            for telegram_id, name in ((MAELYS, "Maëlys"), (BILAL, "Bilal")):
                async with db.transaction() as uow:
                    person = await uow.people.find_or_create("telegram", telegram_id, telegram_id, now)
                    person.first_name = name
        finally:
            await db.dispose()

    asyncio.run(seed())
    assert raw_matches(database, MAELYS, "Maëlys")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TREMPLIN_", "TELEGRAM_"))}
    environment.update(DATABASE_URL=f"sqlite:///{database}", TREMPLIN_DATA_KEY=key)
    result = subprocess.run([TREMPLIN, "data", "erase", "--telegram-id", MAELYS, "--yes"], capture_output=True,
                            text=True, env=environment, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Raw database files (database, -wal, -shm): 0 matches." in result.stdout
    assert MAELYS not in result.stdout and "Maëlys" not in result.stdout
    assert raw_matches(database, MAELYS, "Maëlys") == {}
    assert raw_matches(database, BILAL, "Bilal") == {"tremplin.db": [BILAL, "Bilal"]}
