"""Distress: the emergency numbers first, at once, before anything else."""

from __future__ import annotations

from flows.script import INTENT_HANDLERS, Next, on_intent
from flows.turn import Turn

NUMBERS = (
    "• 112 ou 17 : urgence, police, tout de suite\n"
    "• 3114 : si tu penses au suicide (gratuit, jour et nuit)\n"
    "• 115 : pour dormir à l'abri ce soir\n"
    "• 119 : si tu as moins de 18 ans et que tu es en danger\n"
    "• 3919 : violences faites aux femmes (gratuit, anonyme)\n"
    "• 15 : urgence médicale"
)


@on_intent("distress")
async def distress(t: Turn) -> Next:
    """Say the numbers now; the question in progress waits (asking it now would be deaf)."""
    t.say("Je suis là. Ce que tu vis compte. Si tu es en danger maintenant, appelle le 112.")
    can_hand_off = "talk_to_advisor" in INTENT_HANDLERS
    buttons = [t.action("Parler à quelqu'un", "intent", "talk_to_advisor")] if can_hand_off else []
    t.say(f"Ces numéros répondent tout de suite :\n{NUMBERS}", buttons=buttons)
    return t.stay()
