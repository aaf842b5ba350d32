"""Help, and what the mission locale is."""

from __future__ import annotations

from flows.data.contacts import all_structures, structure_card
from flows.engine.script import Next, command_menu, on_command, on_intent
from flows.engine.turn import Turn


@on_intent("help", offer="Savoir ce que tu fais")
@on_command("aide", "Ce que je sais faire", rank=50)
async def help_(t: Turn) -> Next:
    """What the assistant does, and the commands; then back to the question in progress."""
    t.say(
        "Je suis Tremplin, un robot du Département. Je t'aide à trouver une formation, un emploi "
        "ou une aide. Je prends aussi tes rendez-vous avec la mission locale."
    )
    # The same list as the Telegram menu (bot/telegram_commands.py): the commands declared with a description.
    commands = "\n".join(f"/{name} : {text}" for name, text in command_menu())
    t.say(f"Tu peux m'écrire normalement, ou utiliser ces commandes :\n{commands}")
    return t.resume()


@on_intent("mission_locale_info", offer="La mission locale")
async def mission_locale_info(t: Turn) -> Next:
    """What a mission locale is, and the one that serves the person (or all of them)."""
    t.say(
        "La mission locale aide les 16-25 ans : emploi, formation, logement, santé, argent. C'est gratuit."
    )
    structure = t.world.territory.structure_for(t.person.commune)
    if structure is not None:
        t.say(f"La tienne :\n{structure_card(structure)}")
    else:
        t.say(f"Dans les Hauts-de-Seine :\n{all_structures(t.world.territory)}")
    return t.resume()
