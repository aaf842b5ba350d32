"""Helpers shared by the ``tremplin`` sub-commands."""

from __future__ import annotations

from typing import NoReturn

import typer

from bot.config import AppConfig


def config_of(ctx: typer.Context) -> AppConfig:
    """The validated configuration loaded by the main callback."""
    return ctx.find_root().obj


def fail(message: str, code: int = 2) -> NoReturn:
    """Stop with one line on stderr and the given exit code."""
    typer.echo(message, err=True)
    raise typer.Exit(code)
