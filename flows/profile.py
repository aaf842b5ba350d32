"""/profil: what the person told the assistant, and changing any answer."""

from __future__ import annotations

from collections.abc import Sequence

from flows import onboarding
from flows.fields import FIELDS
from flows.formatting import join
from flows.script import Next, Option, Question, Step, on_command
from flows.territory import OUTSIDE
from flows.turn import Turn
from storage.people import Person

menu = Step("profile.menu")

# (value, button label, the onboarding step that asks it again): one per profile field
EDITABLE = tuple((field.name, field.label, field.step) for field in FIELDS)
NOT_SAID = "pas dit"


def describe(person: Person, commune_name: str | None) -> str:
    """The profile in a few short lines, in the person's words."""
    rsa = NOT_SAID if person.rsa is None else ("oui" if person.rsa else "non")
    lines = [
        f"Prénom : {person.first_name or NOT_SAID}",
        f"Âge : {f'{person.age} ans' if person.age else NOT_SAID}",
        f"Ville : {commune_name or NOT_SAID}",
        f"Diplôme : {onboarding.label(onboarding.SCHOOLING, person.schooling) or NOT_SAID}",
        f"Situation : {onboarding.label(onboarding.SITUATIONS, person.situation) or NOT_SAID}",
        f"RSA : {rsa}",
        f"Accompagnement : {onboarding.label(onboarding.FOLLOWED, person.followed_by) or NOT_SAID}",
        f"Difficultés : {_named(onboarding.OBSTACLES, person.obstacles) or 'aucune'}",
        f"Métiers : {_named(onboarding.SECTORS, person.sectors) or NOT_SAID}",
    ]
    return "\n".join(lines)


def _named(options: Sequence[Option], values: list[str] | None) -> str:
    return join([onboarding.label(options, value).lower() for value in values or []])


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
