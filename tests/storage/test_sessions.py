"""The two sessions repositories run on: ``AsyncSession`` (PostgreSQL) and ``InlineSession`` (SQLite).

``InlineSession`` stays for its speed (docs/architecture.md, "Two session types"); what keeps the two from
drifting apart: every repository and flow test runs on both backends, and the code calls nothing of a
session that ``InlineSession`` lacks or that means something else on ``AsyncSession``.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from storage import Database
from storage.sqlite_inline import InlineSession

ROOT = Path(__file__).resolve().parents[2]
# Where sessions are made (db.py) or imitated (sqlite_inline.py): the one place a real session's own methods are called.
MAKERS = {ROOT / "storage/db.py", ROOT / "storage/sqlite_inline.py"}


def _public(cls: type) -> dict[str, object]:
    return {name: member for name, member in vars(cls).items() if not name.startswith("_")}


def test_inline_session_has_only_async_session_methods_awaited_the_same_way() -> None:
    for name, member in _public(InlineSession).items():
        theirs = getattr(AsyncSession, name, None)
        assert theirs is not None, f"InlineSession.{name} is not an AsyncSession method"
        if isinstance(member, property):
            continue
        assert inspect.iscoroutinefunction(member) == inspect.iscoroutinefunction(theirs), name
        ours = list(inspect.signature(member).parameters)
        assert ours == list(inspect.signature(theirs).parameters)[:len(ours)] or "kwargs" in ours, name


def test_the_code_calls_nothing_of_a_session_that_inline_session_lacks() -> None:
    used: dict[str, set[str]] = {}
    for folder in ("storage", "flows", "bot", "tests", "scripts"):
        for path in (ROOT / folder).rglob("*.py"):
            if path in MAKERS:
                continue
            for name in re.findall(r"\bsession\.([a-z_]+)", path.read_text(encoding="utf-8")):
                used.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    assert {"execute", "scalars", "scalar", "get", "flush", "add"} <= set(used)  # the scan does find the calls
    missing = {name: sorted(paths) for name, paths in used.items() if name not in _public(InlineSession)}
    assert not missing, f"add these to storage/sqlite_inline.InlineSession (or use what it has): {missing}"


async def test_sqlite_transactions_run_on_inline_session_and_postgresql_on_async_session(db: Database) -> None:
    async with db.transaction() as uow:
        assert isinstance(uow.session, InlineSession if db.is_sqlite else AsyncSession)
        assert uow.exclusive == db.is_sqlite
