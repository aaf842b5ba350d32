"""The contacts of the missions locales, given to anyone who needs a person (no profile needed)."""

from __future__ import annotations

from flows.data.territory import MissionLocale, Territory


def structure_card(structure: MissionLocale) -> str:
    """Name, phone and hours of one mission locale."""
    address = f"📍 {structure.lieux[0].address}\n" if structure.lieux else ""  # the first lieu is the main one
    return (
        f"{structure.name}\n"
        f"{address}"
        f"📞 {structure.phone}\n"
        f"🕘 Ouvert {structure.opening_hours}."
    )


def all_structures(territory: Territory) -> str:
    """One line per mission locale with the communes it serves, for someone whose commune is unknown."""
    lines = []
    for structure in territory.active_structures():
        served = [c.name for c in territory.served_by(structure.id)]
        shown = ", ".join(served[:3]) + ("…" if len(served) > 3 else "")
        lines.append(f"• {structure.name} ({shown}) : {structure.phone}")
    return "\n".join(lines)
