"""``tremplin nlu parse`` and ``tremplin nlu evaluate``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, nlu_cache: Path) -> CliRunner:
    monkeypatch.setenv("TREMPLIN_NLU__CACHE_DIR", str(nlu_cache))
    monkeypatch.delenv("RASA_URL", raising=False)
    return CliRunner()


def test_parse_prints_one_json_object_per_line(runner: CliRunner) -> None:
    out = runner.invoke(app, ["nlu", "parse", "--backend", "embedded"],
                        input="jcherche un taf a asnieres\n\n/start\nmerci bcp\n")
    assert out.exit_code == 0, out.output
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert [line["intent"]["name"] for line in lines] == ["find_job", "out_of_scope", "thanks"]
    assert [e["value"] for e in lines[0]["entities"]] == ["emploi", "Asnières-sur-Seine"]
    assert "Asnières" in out.stdout  # ensure_ascii=False


def test_evaluate_json(runner: CliRunner, tmp_path: Path) -> None:
    data = tmp_path / "test.yml"
    data.write_text(
        'version: "3.1"\nnlu:\n- intent: find_job\n  examples: |\n'
        '    - je cherche un taf a [Colombes](commune)\n'
        '    - un job de [serveur]{"entity": "secteur", "value": "hotellerie_restauration"}\n'
        '- intent: greet\n  examples: |\n    - wesh\n',
        encoding="utf-8",
    )
    out = runner.invoke(app, ["nlu", "evaluate", "--backend", "embedded", "--data", str(data), "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout[out.stdout.index("{"):])
    assert report["examples"] == 3 and report["intent_accuracy"] == 1.0
    assert report["entities"]["commune"]["f1"] == 1.0 and report["entities"]["secteur"]["f1"] == 1.0
    assert set(report["latency_ms"]) == {"p50", "p99"}


def test_evaluate_text_report(runner: CliRunner) -> None:
    out = runner.invoke(app, ["nlu", "evaluate", "--backend", "embedded"])
    assert out.exit_code == 0, out.output
    for heading in ("intent accuracy", "intent macro-F1", "per-intent", "entities", "confusions", "p50"):
        assert heading in out.stdout
