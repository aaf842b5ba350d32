"""The command menu young people see next to the text field (``setMyCommands``).

Built from the conversation's registry: each command is declared once, next to its handler, with its
description and its rank (``on_command(name, description, rank=...)``); /aide lists the same
(``flows.engine.script.command_menu``), so the two cannot say different things.
"""

from __future__ import annotations

from telegram import Bot, BotCommand

import flows.assistant  # noqa: F401  (importing the assistant registers every command)
from flows.engine.script import command_menu

# (command, description): the assistant speaks, short French, *tu* (Telegram: 1-32 and 3-256 characters).
COMMANDS: tuple[tuple[str, str], ...] = tuple(command_menu())


async def register_commands(bot: Bot) -> None:
    """Publish the menu (idempotent: Telegram replaces the previous one)."""
    await bot.set_my_commands([BotCommand(name, description) for name, description in COMMANDS])
