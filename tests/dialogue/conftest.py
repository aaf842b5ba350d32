"""Conversations through the real embedded NLU (not the scripted one of tests/kit.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.embedded import EmbeddedBackend
from storage import Database
from tests.kit import Harness, make_harness


@pytest.fixture(scope="session")
def real_nlu(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedBackend:
    """The embedded backend trained from nlu/data, once for the session."""
    return EmbeddedBackend.load(cache_dir=Path(tmp_path_factory.mktemp("nlu-cache")))


@pytest.fixture
def harness(db: Database, real_nlu: EmbeddedBackend) -> Harness:
    """The engine with the real NLU, on SQLite and on PostgreSQL (``db``)."""
    return make_harness(db, nlu=real_nlu)
