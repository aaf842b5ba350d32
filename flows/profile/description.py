"""The profile said back in a few lines: /profil, /mes_donnees, one line per field in their order."""

from __future__ import annotations

from typing import Any

from flows.data.territory import OUTSIDE
from flows.engine.turn import Turn
from flows.profile.fields import FIELDS, Field, label
from flows.rules.formatting import join
from storage.people import Person

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
