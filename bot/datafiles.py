"""Checking every data file an operator may replace, with what is still an example."""

from __future__ import annotations

from bot.config import AppConfig
from bot.runtime import load_world_data


def check_data_files(cfg: AppConfig) -> list[str]:
    """Validate the data files (raises DataFileError on the first problem) and describe them."""
    territory = load_world_data(cfg)
    data = cfg.settings.data
    examples = [s.id for s in territory.structures if s.example]
    lines = [
        f"OK {data.communes}: {len(territory.communes)} communes",
        f"OK {data.missions_locales}: {len(territory.structures)} missions locales"
        + (f" ({len(examples)} are examples to replace: {', '.join(examples)})" if examples else ""),
    ]
    return lines
