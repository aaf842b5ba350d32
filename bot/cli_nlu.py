"""``tremplin nlu ...``: parse messages, train, evaluate, and run the Rasa server."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from bot.cli_common import config_of, fail
from bot.config import AppConfig

T = TypeVar("T")
nlu_app = typer.Typer(help="Understanding messages (NLU): parse, train, evaluate, Rasa server.", no_args_is_help=True)


class Backend(StrEnum):
    """The two NLU backends."""

    embedded = "embedded"
    rasa = "rasa"


BackendOption = Annotated[
    Backend | None, typer.Option("--backend", help="embedded or rasa (default: from the configuration).")
]


def _backend(cfg: AppConfig, kind: Backend | None):
    from nlu import load_backend

    return load_backend(
        (kind.value if kind else cfg.nlu_backend),
        rasa_url=cfg.rasa_url,
        timeout=cfg.settings.nlu.rasa_timeout_seconds,
        circuit_open_seconds=cfg.settings.nlu.rasa_pause_seconds,
        cache_dir=cfg.path(cfg.settings.nlu.cache_dir),
        timezone=cfg.settings.timezone,
    )


def _run_closing(nlu: Any, work: Callable[[], Awaitable[T]]) -> T:
    """Run an evaluation on a backend, and close the backend (its HTTP client) whatever happens."""

    async def run() -> T:
        try:
            return await work()
        finally:
            await nlu.aclose()

    return asyncio.run(run())


@nlu_app.command("parse")
def parse(ctx: typer.Context, backend: BackendOption = None) -> None:
    """Read one message per line on stdin, print one JSON object per line (Rasa /model/parse shape)."""
    cfg = config_of(ctx)
    nlu = _backend(cfg, backend)

    async def run() -> None:
        for line in sys.stdin:
            text = line.rstrip("\n")
            if not text.strip():
                continue
            result = await nlu.parse(text)
            typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        await nlu.aclose()

    asyncio.run(run())


@nlu_app.command("train")
def train(ctx: typer.Context, backend: BackendOption = None) -> None:
    """Train the model from nlu/data: the embedded cache, or the Rasa model (and its venv)."""
    cfg = config_of(ctx)
    kind = backend.value if backend else cfg.nlu_backend
    if kind == "rasa":
        from nlu.rasa_server import ensure_model

        typer.echo(f"Rasa model: {ensure_model(say=typer.echo)}")
        return
    from nlu.embedded import load_models, model_key

    cache = cfg.path(cfg.settings.nlu.cache_dir)
    model, gaz = load_models(cache_dir=cache, retrain=True)
    typer.echo(f"Embedded model trained: {len(model.labels)} intents, {len(model.vocabulary)} features, "
               f"{len(gaz.communes)} communes -> {cache}/embedded-{model_key()}.npz")


@nlu_app.command("evaluate")
def evaluate(
    ctx: typer.Context,
    backend: BackendOption = None,
    data: Annotated[
        Path | None, typer.Option("--data", help="Rasa NLU file (default: nlu/heldout/heldout.yml).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    errors: Annotated[bool, typer.Option("--errors", help="Also list the misclassified messages.")] = False,
) -> None:
    """Intent accuracy, macro-F1, per-intent F1, entity P/R/F1, confusions and latency on a test file."""
    from nlu.evaluation import HELDOUT, load_examples
    from nlu.evaluation import evaluate as run_evaluation

    cfg = config_of(ctx)
    path = data or HELDOUT
    if not path.exists():
        fail(f"{path}: no such file")
    nlu = _backend(cfg, backend)
    gazetteer = nlu.gazetteer if hasattr(nlu, "gazetteer") else nlu.fallback.gazetteer

    report = _run_closing(nlu, lambda: run_evaluation(nlu, load_examples(path), gazetteer, name=nlu.name,
                                                      data=str(path)))
    typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) if as_json else report.format())
    if errors:
        for text, gold, predicted in report.errors:
            typer.echo(f"{gold:>24} -> {predicted:<24} {text}")


@nlu_app.command("serve-rasa")
def serve_rasa(
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1.")] = 5005,
) -> None:
    """Set up the Rasa venv (once), train the model (once per data), serve it on 127.0.0.1."""
    from nlu.rasa_server import serve

    raise typer.Exit(serve(port, say=typer.echo))


@nlu_app.command("evaluate-dialogues")
def evaluate_dialogues(
    ctx: typer.Context,
    backend: BackendOption = None,
    data: Annotated[
        Path | None, typer.Option("--data", help="A dialogue file or folder (default: nlu/dialogues).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    show: Annotated[
        list[str] | None, typer.Option("--show", help="Print the transcript of this dialogue id (repeatable).")
    ] = None,
    worst: Annotated[int, typer.Option("--worst", help="How many of the worst conversations to list.")] = 8,
) -> None:
    """Play whole free-text conversations through the engine and the NLU: field accuracy, completion,
    turns per onboarding, misunderstandings, crisis alarms, worst conversations."""
    from bot.dialogues import DIALOGUES, load_dialogues, play
    from bot.runtime import load_world_data
    from flows.data.catalogue import load_catalogue

    cfg = config_of(ctx)
    path = data or DIALOGUES
    if not path.exists():
        fail(f"{path}: no such file or folder")
    dialogues = load_dialogues(path)
    territory = load_world_data(cfg)
    catalogue = load_catalogue(cfg.path(cfg.settings.data.catalogue), territory)
    nlu = _backend(cfg, backend)
    report = _run_closing(nlu, lambda: play(dialogues, nlu, territory, catalogue, backend=nlu.name))
    typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) if as_json else report.format(worst))
    for played in report.played:
        if played.dialogue.id in (show or []):
            typer.echo(f"\n--- {played.dialogue.id}")
            for typed, said in played.transcript:
                typer.echo(f"> {typed}")
                for text in said:
                    typer.echo(f"  {text}")
