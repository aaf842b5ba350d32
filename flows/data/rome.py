"""The ROME 4.0 codes (France Travail's repertory of trades) and the sectors of the conversation mapped to them.

data/rome/rome4.yml is taken from a third-party package (its header says which, and that it is still to
check against France Travail's referential); data/rome/sectors.yml is ours. A live offers search for a
sector asks for that sector's codes; the catalogue's jobs are checked against both files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from flows.data.catalogue import SECTEURS, Catalogue, Job
from flows.data.datafile import DataFileError, read_yaml

ROME_CODE = re.compile(r"^[A-N]\d{4}$")


@dataclass(frozen=True)
class Rome:
    """Every known ROME code with its label, and the codes of each sector."""

    labels: dict[str, str]
    sectors: dict[str, tuple[str, ...]]

    def known(self, code: str) -> bool:
        return code in self.labels

    def codes_for(self, sectors: Iterable[str]) -> tuple[str, ...]:
        """The codes of these sectors, in the mapping's order, without repeats."""
        return tuple(dict.fromkeys(code for sector in sectors for code in self.sectors.get(sector, ())))

    def sector_of(self, code: str) -> str | None:
        """The first sector whose list has this code (offers found by code are shown in that sector)."""
        return next((sector for sector, codes in self.sectors.items() if code in codes), None)


def load_rome(folder: Path) -> Rome:
    """rome4.yml and sectors.yml of ``folder``, checked: every sector mapped, every code known."""
    codes = read_yaml(folder / "rome4.yml")
    if not isinstance(codes, dict) or not isinstance(codes.get("codes"), dict):
        raise DataFileError(f"{folder / 'rome4.yml'}: expected a mapping under the key 'codes'")
    labels = {str(code): str(label) for code, label in codes["codes"].items()}
    bad = [code for code in labels if not ROME_CODE.match(code)]
    if bad:
        raise DataFileError(f"{folder / 'rome4.yml'}: '{bad[0]}' is not a ROME code")
    path = folder / "sectors.yml"
    document = read_yaml(path)
    raw = document.get("sectors") if isinstance(document, dict) else None
    if not isinstance(raw, dict):
        raise DataFileError(f"{path}: expected a mapping under the key 'sectors'")
    sectors: dict[str, tuple[str, ...]] = {}
    for sector, sector_codes in raw.items():
        if sector not in SECTEURS:
            raise DataFileError(f"{path}: '{sector}' is not a sector (see docs/catalogue.md for the list)")
        if not isinstance(sector_codes, list) or not sector_codes:
            raise DataFileError(f"{path}: {sector}: expected a list of ROME codes")
        unknown = [str(code) for code in sector_codes if str(code) not in labels]
        if unknown:
            raise DataFileError(f"{path}: {sector}: '{unknown[0]}' is not a known ROME 4.0 code")
        sectors[sector] = tuple(str(code) for code in sector_codes)
    missing = [sector for sector in SECTEURS if sector not in sectors]
    if missing:
        raise DataFileError(f"{path}: the sector '{missing[0]}' has no ROME codes")
    return Rome(labels=labels, sectors=sectors)


def rome_problems(catalogue: Catalogue, rome: Rome) -> list[str]:
    """One line per job whose ROME code is unknown, or not one of its sector's codes."""
    problems = []
    for entry in catalogue.entries:
        if not isinstance(entry, Job):
            continue
        if not rome.known(entry.rome):
            problems.append(f"{entry.id}: ROME code '{entry.rome}' is unknown (not in ROME 4.0)")
        elif entry.rome not in rome.sectors[entry.secteur]:
            problems.append(f"{entry.id}: ROME code '{entry.rome}' is not mapped to its sector '{entry.secteur}'")
    return problems
