"""The command menu young people see next to the text field (``setMyCommands``).

It is the product's menu, kept here as one constant: some commands are answered by modules built
separately (booking, suggestions, privacy); until one is, the conversation says it does not know it.
"""

from __future__ import annotations

from telegram import Bot, BotCommand

# (command, description): the assistant speaks, short French, *tu* (Telegram: 1-32 and 3-256 characters).
COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "Commencer ou reprendre"),
    ("profil", "Voir et changer tes réponses"),
    ("idees", "Des idées de formations et d'emplois"),
    ("rdv", "Tes rendez-vous à la mission locale"),
    ("aide", "Ce que je sais faire"),
    ("rappels", "Choisir tes rappels"),
    ("confidentialite", "Ce que je garde et pourquoi"),
    ("mes_donnees", "Tout ce que je sais de toi"),
    ("supprimer", "Effacer tes données"),
)


async def register_commands(bot: Bot) -> None:
    """Publish the menu (idempotent: Telegram replaces the previous one)."""
    await bot.set_my_commands([BotCommand(name, description) for name, description in COMMANDS])
