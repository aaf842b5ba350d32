"""The bot's tests run on SQLite and on PostgreSQL.

Their tests ask for ``sqlite_url`` and ``sqlite_db`` (written when they ran on SQLite alone): in this folder
they are ``db_url`` (a migrated database; the bot's upgrade at start finds nothing to do) and ``db``, so
each runs twice, ids ``[sqlite]`` and ``[postgresql]`` (the second marked ``postgres``). Renaming them to
``db_url`` and ``db`` in these files would say so where they are used; this override keeps them untouched
meanwhile.
"""

from __future__ import annotations

import pytest

from storage import Database


@pytest.fixture
def sqlite_url(db_url: str) -> str:
    """In tests/bot: ``db_url``, on both backends."""
    return db_url


@pytest.fixture
def sqlite_db(db: Database) -> Database:
    """In tests/bot: ``db``, on both backends."""
    return db
