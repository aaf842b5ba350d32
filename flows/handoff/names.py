"""How the hand-off names people and structures in its messages."""

from __future__ import annotations

from collections.abc import Sequence

from flows.rules.formatting import as_typed_for_advisors
from storage.people import Person
from storage.structures import Agent


def short_name(agent: Agent) -> str:
    """"Nadia" from "Nadia (exemple)" or "Nadia B.": what the young person reads."""
    return agent.display_name.split("(")[0].strip() or "la mission locale"


def young_name(person: Person) -> str:
    """The young person's first name for an advisor (never their Telegram id)."""
    return as_typed_for_advisors(person.first_name or "") or "La personne"


def the(structure_name: str) -> str:
    """"la Mission locale de Nanterre": the names of the missions locales start with "Mission locale"."""
    return f"la {structure_name}" if structure_name.lower().startswith("mission locale") else structure_name


def names(agents: Sequence[Agent]) -> str:
    """"Nadia", "Nadia ou Thomas", or "Une personne de la mission locale" for a crowd."""
    shown = list(dict.fromkeys(short_name(a) for a in agents))
    if not shown or len(shown) > 3:
        return "Une personne de la mission locale"
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} ou {shown[-1]}"
