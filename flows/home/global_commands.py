"""Telegram's global commands: /help, /settings, and /stop, in English, run what does it here.

Telegram tells its users that every bot answers /start, /help and /settings (the bot's profile has
shortcuts to them), and people type /stop to make a bot stop writing. Our commands are French; these
are accepted as aliases but never listed: /aide and Telegram's menu (``command_menu``) show the French
ones only, as an alias is registered without a description.
"""

from __future__ import annotations

from flows.engine.script import COMMAND_HANDLERS, INTENT_HANDLERS, HandlerFn, Next, on_command
from flows.engine.turn import Turn

# alias -> (what it runs: "command" | "intent", its name; a line said first, or None). /start needs none.
ALIASES: dict[str, tuple[str, str, str | None]] = {
    "help": ("command", "aide", None),
    # Telegram's /settings is "the bot's settings for this user": the reminders (/rappels) and the answers.
    "settings": ("command", "rappels", "Pour changer tes réponses (âge, ville…), tape /profil."),
    "stop": ("intent", "stop_nudges", None),
}


def _alias(kind: str, name: str, first: str | None) -> HandlerFn:
    async def run(t: Turn) -> Next:
        # Looked up when called: the capability that registers the target may be imported after this module.
        handler = (COMMAND_HANDLERS if kind == "command" else INTENT_HANDLERS)[name]
        if first:
            t.say(first)
        return await handler(t)

    return run


for _name, (_kind, _target, _first) in ALIASES.items():
    on_command(_name)(_alias(_kind, _target, _first))
