"""Distress: the emergency numbers first, at once, before anything else; then an urgent hand-off."""

from __future__ import annotations

from flows.engine.script import Next, on_intent
from flows.engine.turn import Turn
from flows.handoff.asking import raise_urgent

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
    """Say the numbers now; the question in progress waits (asking it now would be deaf).

    Then the advisors get an URGENT hand-off, flagged first everywhere, and the person is told in a
    third message (flows/handoff/asking.py). Even before consent: a life may be at stake (their words are
    only quoted to the advisors once they agreed to keep them).
    """
    t.say("Je suis là. Ce que tu vis compte. Si tu es en danger maintenant, appelle le 112.")
    t.say(f"Ces numéros répondent tout de suite :\n{NUMBERS}")
    await raise_urgent(t)
    return t.stay()
