"""Checking every data file an operator may replace, with what is still an example."""

from __future__ import annotations

from bot.config import AppConfig
from bot.runtime import load_world_data
from flows.data.catalogue import load_catalogue
from flows.data.opening_hours import read_agenda_file


def check_data_files(cfg: AppConfig) -> list[str]:
    """Validate every data file (raises DataFileError on the first problem) and describe them."""
    data = cfg.settings.data
    territory = load_world_data(cfg)
    examples = [s.id for s in territory.structures if s.example]
    catalogue = load_catalogue(cfg.path(data.catalogue), territory)
    agenda = read_agenda_file(cfg.path(data.opening_hours))
    counts = ", ".join(f"{count} {kind}" for kind, count in catalogue.counts().items())
    return [
        f"OK {data.communes}: {len(territory.communes)} communes",
        f"OK {data.missions_locales}: {len(territory.structures)} missions locales"
        + (f" ({len(examples)} are examples to replace: {', '.join(examples)})" if examples else ""),
        f"OK {data.catalogue}: {counts} ({catalogue.examples()} entries are examples to replace)",
        f"OK {data.opening_hours}: {len(agenda.motifs)} motifs, {len(agenda.agents)} agents, "
        f"{len(agenda.plages)} plages d'ouverture, {len(agenda.absences)} absences",
    ]
