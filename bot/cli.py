"""The ``tremplin`` command: one entry point for the operator, the terminal channel and Telegram."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli_advisors import advisors_app
from bot.cli_catalog import catalog_app
from bot.cli_common import config_of, fail
from bot.cli_data import data_app
from bot.cli_nlu import nlu_app
from bot.cli_nudges import nudges_app
from bot.cli_offers import offers_app
from bot.cli_report import report_command
from bot.cli_slots import slots_app
from bot.cli_structures import structures_app
from bot.config import AppConfig, ConfigError, load_settings
from bot.logs import setup_logging

app = typer.Typer(
    help="Tremplin, l'assistant du service public de l'insertion et de l'emploi.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
# Sub-commands of each capability, one line each.
app.add_typer(nlu_app, name="nlu")
app.add_typer(data_app, name="data")
app.add_typer(slots_app, name="slots")
app.add_typer(catalog_app, name="catalog")
app.add_typer(offers_app, name="offers")
app.add_typer(nudges_app, name="nudges")
app.add_typer(advisors_app, name="advisors")
app.command("report")(report_command)
app.add_typer(structures_app, name="structures")
_loaded: list[AppConfig] = []  # the configuration of this run, for main()'s one-line start-up errors
AllowExamples = Annotated[bool, typer.Option(
    "--allow-examples", envvar="TREMPLIN_ALLOW_EXAMPLES",
    help="Start even though data files or settings young people read are still examples (a try-out).")]


@app.callback()
def main_callback(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", envvar="TREMPLIN_CONFIG", help="Another config file (default: config.yml)."),
    ] = None,
) -> None:
    """Load and check the configuration before any command."""
    try:
        ctx.obj = load_settings(config)
    except ConfigError as exc:
        fail(f"Configuration error: {exc}")
    _loaded[:] = [ctx.obj]
    setup_logging(ctx.obj.settings.logging.level, json_lines=ctx.obj.settings.logging.format == "json")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context, revision: str = typer.Argument("head")) -> None:
    """Apply the migrations up to REVISION (default: the latest)."""
    from storage.migrate import upgrade

    cfg = config_of(ctx)
    upgrade(cfg.database_url, revision)
    typer.echo(f"Database at {revision}.")


@db_app.command("downgrade")
def db_downgrade(ctx: typer.Context, revision: str = typer.Argument(...)) -> None:
    """Undo the migrations down to REVISION (``base`` removes every table)."""
    from storage.migrate import downgrade

    cfg = config_of(ctx)
    downgrade(cfg.database_url, revision)
    typer.echo(f"Database at {revision}.")


@db_app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Print the database's migration revision and the newest this version knows (before an upgrade or a
    rollback: docs/deploiement.md)."""
    from storage.migrate import current, head_revision

    at = current(config_of(ctx).database_url)
    head = head_revision()
    advice = "" if at == head else " Run `tremplin db upgrade`." if at is None or at < (head or "") else ""
    typer.echo(f"Database at {at or 'base (no migration)'}; this version's newest: {head}.{advice}")


@app.command()
def check(ctx: typer.Context) -> None:
    """Check the configuration and every data file, and say what is an example still to replace."""
    from bot.datafiles import check_data_files
    from flows.data.datafile import DataFileError

    try:
        report = check_data_files(config_of(ctx))
    except DataFileError as exc:
        fail(f"Data error: {exc}")
    for line in report:
        typer.echo(line)
    from bot.examples import database_structures, find_examples

    examples = find_examples(config_of(ctx), asyncio.run(database_structures(config_of(ctx))))
    if examples:
        typer.echo(f"EXAMPLES still to replace before young people use it ({len(examples)}; `tremplin run` "
                   "refuses them without --allow-examples):")
        for example in examples:
            typer.echo(f"  {example}")
    else:
        typer.echo("No example left in the settings and data files young people read.")


@app.command()
def chat(
    ctx: typer.Context,
    user: Annotated[str, typer.Option("--user", help="Who is talking (one profile per name).")] = "moi",
) -> None:
    """Talk with the assistant in this terminal (or pipe one message per line). Logs go to var/tremplin.log."""
    from bot.console import RESET, run_console

    cfg = config_of(ctx)
    # Logged to stderr, the set-up's and the NLU's lines would land in the middle of the conversation.
    try:
        setup_logging(cfg.settings.logging.level, file=cfg.root / "var" / "tremplin.log",
                      json_lines=cfg.settings.logging.format == "json")
    except OSError:  # var/ not writable: warnings only, on stderr
        setup_logging("WARNING")
    try:
        asyncio.run(run_console(cfg, user))
    except KeyboardInterrupt:  # Ctrl-C: the shell's prompt on a line of its own, no traceback
        typer.echo(RESET if sys.stdout.isatty() else "")
        raise SystemExit(130) from None


@app.command()
def run(ctx: typer.Context, allow_examples: AllowExamples = False) -> None:
    """Run the assistant on Telegram (polling, or webhook when configured)."""
    from bot.serve import INHERITED_SOCKETS, follow_supervisor
    from bot.startup import StartupFailure, prepare_start
    from bot.telegram_app import StartError, run_telegram, webhook_secret

    follow_supervisor()
    cfg = config_of(ctx)
    if cfg.secrets.telegram_bot_token is None:
        fail("TELEGRAM_BOT_TOKEN is not set: set it to run on Telegram (`tremplin chat` works without it).")
    telegram = cfg.settings.telegram
    # Under `tremplin serve` the webhook socket is inherited, already listening: no port of its own to check.
    own_port = telegram.mode == "webhook" and not os.environ.get(INHERITED_SOCKETS)
    try:
        webhook_secret(cfg)
        examples = prepare_start(cfg, allow_examples=allow_examples, listen=(
            (telegram.webhook_listen, telegram.webhook_port) if own_port else None))
    except (StartError, StartupFailure) as failure:
        fail(str(failure))
    run_telegram(cfg, examples=examples)


@app.command()
def web(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option("--host", help="Listen on this address (web.host).")] = None,
    port: Annotated[int | None, typer.Option("--port", min=1, max=65535, help="Listen on this port (web.port).")
                    ] = None,
    allow_examples: AllowExamples = False,
) -> None:
    """Serve the advisors' desk (web pages) on the bot's database and outbox."""
    from bot.serve import follow_supervisor
    from bot.startup import StartupFailure, prepare_start
    from web.server import serve

    follow_supervisor()
    cfg = config_of(ctx)
    settings = cfg.settings.web
    try:
        prepare_start(cfg, allow_examples=allow_examples, listen=(host or settings.host, port or settings.port))
    except StartupFailure as failure:
        fail(str(failure))
    asyncio.run(serve(cfg, host=host, port=port))


@app.command("serve")
def serve_stack(
    ctx: typer.Context,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help=(
        "Telegram worker processes (several: webhook mode on PostgreSQL).")
    )] = 1,
    port: Annotated[int | None, typer.Option("--port", min=0, max=65535, help=(
        "The workers' shared webhook port (telegram.webhook_port).")
    )] = None,
    web_host: Annotated[str | None, typer.Option("--web-host", help="The desk's address (web.host).")] = None,
    web_port: Annotated[int | None, typer.Option("--web-port", min=1, max=65535, help="The desk's port (web.port).")
                        ] = None,
    web: Annotated[bool, typer.Option("--web/--no-web", help="Start the advisors' desk too.")] = True,
    allow_examples: AllowExamples = False,
) -> None:
    """Run the whole stack on this machine: the Telegram workers (sharing one webhook port), the desk and the
    periodic jobs, supervised (a process that dies is started again; Ctrl-C or SIGTERM stops them all)."""
    from bot.serve import ServeRefused, serve
    from bot.startup import StartupFailure
    from bot.telegram_app import StartError, webhook_secret

    cfg = config_of(ctx)
    if cfg.secrets.telegram_bot_token is None:
        fail("TELEGRAM_BOT_TOKEN is not set: set it to run on Telegram (`tremplin chat` works without it).")
    try:
        webhook_secret(cfg)
        code = serve(cfg, workers=workers, port=port, web=web, web_host=web_host, web_port=web_port,
                     allow_examples=allow_examples)
    except (ServeRefused, StartError, StartupFailure) as failure:
        fail(str(failure))
    raise typer.Exit(code)


def main() -> None:
    """Console-script entry point."""
    from storage.crypto import DataKeyError

    try:
        app()
    except DataKeyError as exc:  # a changed, lost or missing data key (bot/keys.py): one line, exit 2
        typer.echo(str(exc), err=True)
        raise SystemExit(2) from None
    except Exception as exc:  # the database unreachable, missing, refusing us...: one line, exit 2 (bot/startup.py)
        from bot.startup import explain

        line = explain(exc, _loaded[0] if _loaded else None)
        if line is None:
            raise
        typer.echo(line, err=True)
        raise SystemExit(2) from None
