"""/profil: what the person told the assistant, and changing any answer."""

from __future__ import annotations

from typing import Any

from flows.data.territory import OUTSIDE
from flows.engine.script import Next, Option, Question, Step, on_command
from flows.engine.turn import Turn
from flows.onboarding.fields import FIELDS, Field, label
from flows.rules.formatting import join
from storage.people import Person

menu = Step("profile.menu")

# (value, button label, the onboarding step that asks it again): one per profile field
EDITABLE = tuple((field.name, field.label, field.step) for field in FIELDS)
NOT_SAID = "pas dit"


def describe(person: Person, commune_name: str | None) -> str:
    """The profile in a few short lines, in the person's words: one per field, in their order."""
    return "\n".join(f"{field.label} : {_shown(field, getattr(person, field.name), commune_name)}" for field in FIELDS)


def _shown(field: Field, value: Any, commune_name: str | None) -> str:
    if field.multiple:
        return join([label(field.options, v).lower() for v in value or []]) or ("aucune" if field.name ==
                                                                                 "obstacles" else NOT_SAID)
    if value is None:
        return NOT_SAID
    if field.name == "commune":
        return commune_name or NOT_SAID
    if field.name == "age":
        return f"{value} ans"
    if isinstance(value, bool):
        return "oui" if value else "non"
    return label(field.options, value) if field.options else str(value)


def commune_name(t: Turn) -> str | None:
    """The name of the person's commune."""
    if t.person.commune == OUTSIDE:
        return "hors Hauts-de-Seine"
    found = t.world.territory.commune(t.person.commune)
    return found.name if found else None


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


@on_command("profil", "Voir et changer tes réponses")
async def show_profile(t: Turn) -> Next:
    """Show the profile; once done, come back to the question in progress."""
    if t.person.consent_at is None:
        return t.resume("Je n'ai encore rien gardé sur toi.")
    return t.call(menu.name)
