"""The ``tremplin`` command as an operator runs it: configuration errors, data check, migrations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from storage import crypto

TREMPLIN = str(Path(sys.executable).parent / "tremplin")
ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict[str, str] | None = None, stdin: str = "", tmp: Path | None = None):  # type: ignore[no-untyped-def]
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TREMPLIN_", "TELEGRAM_"))}
    environment.update(env or {})
    return subprocess.run([TREMPLIN, *args], input=stdin, capture_output=True, text=True, env=environment,
                          cwd=tmp or ROOT, timeout=120)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("nlu:\n  treshold: 0.3\n", "nlu.treshold: unknown key (expected one of: backend, threshold,"),
        ("nlu:\n  threshold: beaucoup\n", "nlu.threshold: Input should be a valid number"),
        ("quiet_hours:\n  start: 25h\n", "quiet_hours.start: expected a time of day like 18:00, got '25h'"),
        ("colour: blue\n", "colour: unknown key (expected one of: timezone,"),
        ("telegram:\n  token: '123:abc'\n", "telegram.token: secrets come from the environment only"),
        ("timezone: Mars/Olympus\n", "timezone: expected an IANA time zone like Europe/Paris"),
        ("nlu: [1, 2\n", "not valid YAML at line"),
    ],
)
def test_a_bad_config_stops_with_one_line_naming_the_key(tmp_path: Path, content: str, expected: str) -> None:
    config = tmp_path / "bad.yml"
    config.write_text(content)
    result = run("--config", str(config), "check")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Configuration error: {config}: ")
    assert expected in lines[0]


def test_an_environment_variable_overrides_the_file_and_is_checked_too() -> None:
    result = run("check", env={"TREMPLIN_NLU__THRESHOLD": "plein"})
    assert result.returncode == 2
    assert "nlu.threshold: Input should be a valid number" in result.stderr


def test_tremplin_config_names_another_file(tmp_path: Path) -> None:
    config = tmp_path / "other.yml"
    config.write_text("nlu:\n  backend: spacy\n")
    result = run("check", env={"TREMPLIN_CONFIG": str(config)})
    assert result.returncode == 2
    assert "nlu.backend: Input should be 'embedded' or 'rasa'" in result.stderr


def test_check_validates_every_data_file() -> None:
    result = run("check")
    assert result.returncode == 0, result.stderr
    assert "OK data/communes.yml: 36 communes" in result.stdout
    assert "OK data/missions_locales.yml: 6 missions locales" in result.stdout
    assert "OK data/catalogue:" in result.stdout
    assert "OK data/opening_hours.yml:" in result.stdout


def test_a_bad_data_file_is_named_with_its_entry_and_field(tmp_path: Path) -> None:
    broken = (ROOT / "data/missions_locales.yml").read_text().replace("email: contact@ml-nanterre.exemple.fr",
                                                                      "email: pas-un-mail")
    (tmp_path / "ml.yml").write_text(broken)
    config = tmp_path / "config.yml"
    config.write_text(f"data:\n  missions_locales: {tmp_path / 'ml.yml'}\n")
    result = run("--config", str(config), "check")
    assert result.returncode == 2
    assert f"{tmp_path / 'ml.yml'}: entry 2 (ml-nanterre): email: expected an e-mail address" in result.stderr


def test_run_without_a_token_says_what_to_set() -> None:
    result = run("run")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "TELEGRAM_BOT_TOKEN is not set: set it to run on Telegram (`tremplin chat` works without it)."
    )


def test_db_upgrade_and_downgrade(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/cli.db", "TREMPLIN_DATA_KEY": crypto.new_key()}
    assert run("db", "upgrade", env=env).stdout.strip() == "Database at head."
    assert run("db", "downgrade", "base", env=env).stdout.strip() == "Database at base."
    assert run("db", "upgrade", env=env).returncode == 0
