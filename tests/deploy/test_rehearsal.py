"""The production rehearsal (deploy/rehearsal.py) as a test: nginx with TLS, 2 webhook workers on a fresh
PostgreSQL database and role, a worker killed, backup and restore, upgrade and rollback. Its output (every
check and its figures) is printed: run with ``-s`` to read it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.deploy, pytest.mark.slow, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("nginx") is None or shutil.which("openssl") is None,
                    reason="the rehearsal needs nginx and openssl (Debian packages nginx, openssl)")
def test_the_production_rehearsal_passes_every_check() -> None:
    result = subprocess.run([sys.executable, "-m", "deploy.rehearsal", "--users", "6"], cwd=ROOT, capture_output=True,
                            text=True, timeout=900)
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout
