"""The flow tests run on SQLite and on PostgreSQL.

Their fixtures and tests ask for ``sqlite_db`` (written when they ran on SQLite alone): in this folder it is
``db``, a migrated database of each backend, so every flow test runs twice, ids ``[sqlite]`` and
``[postgresql]`` (the second marked ``postgres``). Renaming ``sqlite_db`` to ``db`` in these files would say
so where it is used; this override keeps them untouched meanwhile.
"""

from __future__ import annotations

import pytest

from storage import Database


@pytest.fixture
def sqlite_db(db: Database) -> Database:
    """In tests/flows: ``db``, on both backends."""
    return db
