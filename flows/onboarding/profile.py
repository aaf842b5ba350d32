"""/profil: what the person told the assistant, and changing any answer."""

from __future__ import annotations

from flows.engine.script import Next, Option, Question, Step, on_command
from flows.engine.turn import Turn
from flows.profile.description import commune_name, describe
from flows.profile.fields import FIELDS

menu = Step("profile.menu")

# (value, button label, the onboarding step that asks it again): one per profile field
EDITABLE = tuple((field.name, field.label, field.step) for field in FIELDS)


@menu.ask
async def _(t: Turn) -> Question:
    t.data.pop("editing", None)
    return Question(
        f"Voici ce que tu m'as dit :\n{describe(t.person, commune_name(t))}\n\nTu veux changer quelque chose ?",
        options=[Option(value, text) for value, text, _ in EDITABLE] + [Option("_ok", "C'est bon")],
        columns=3,
    )


@menu.answer
async def _(t: Turn) -> Next:
    chosen = t.choice()
    if chosen == "_ok" or t.is_intent("deny", "thanks"):
        return t.done("D'accord.")
    for value, _, step in EDITABLE:
        if value == chosen:
            t.data["editing"] = True
            return t.call(step)
    return t.not_understood()


@on_command("profil", "Voir et changer tes réponses", rank=20)
async def show_profile(t: Turn) -> Next:
    """Show the profile; once done, come back to the question in progress."""
    if t.person.consent_at is None:
        return t.resume("Je n'ai encore rien gardé sur toi.")
    return t.call(menu.name)
