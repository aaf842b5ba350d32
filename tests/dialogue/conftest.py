"""Conversations through the real embedded NLU (not the scripted one of tests/kit.py)."""

from __future__ import annotations

import pytest

from nlu.embedded import EmbeddedBackend
from storage import Database
from tests.kit import Harness, make_harness


@pytest.fixture
def harness(db: Database, real_nlu: EmbeddedBackend) -> Harness:
    """The engine with the real NLU, on SQLite and on PostgreSQL (``db``)."""
    return make_harness(db, nlu=real_nlu)
