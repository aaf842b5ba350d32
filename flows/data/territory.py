"""The territory: the communes of the département and the missions locales that serve them."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator
from rapidfuzz import fuzz, process

from flows.data.datafile import DataFileError, check_unique, load_entries

OUTSIDE = "hors92"  # the commune value of someone living outside the département


class Commune(BaseModel):
    """One commune, from the official geography (see the source block of data/communes.yml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    insee: str = Field(pattern=r"^\d[\dAB]\d{3}$")
    name: str = Field(min_length=2)
    postal_codes: list[str] = Field(min_length=1)
    population: int = Field(ge=0)
    territory: str
    territory_code: str
    # The mission locale serving it: the file's is imported once (flows/data/structures.py); the territory of
    # the conversation carries the database's (None: no structure serves it now).
    structure: str | None = Field(min_length=1)
    neighbours: list[str] = []
    to_verify: list[str] = []
    # The town hall's coordinates (WGS84): La bonne alternance searches by them; without them it is not asked.
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)


class Lieu(BaseModel):
    """A place where a mission locale receives people."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9-]+$", max_length=64)
    name: str = Field(min_length=2, max_length=200)
    address: str = Field(min_length=5, max_length=300)
    commune: str = Field(pattern=r"^\d[\dAB]\d{3}$")
    access: str = Field("", max_length=1000)


class MissionLocale(BaseModel):
    """A mission locale (a *structure* in RDV-Service-Public's words)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9-]+$", max_length=64)
    name: str = Field(min_length=2, max_length=200)
    example: bool = False
    to_verify: list[str] = []
    phone: str = Field(min_length=4, max_length=32)
    email: str = Field(max_length=254)
    opening_hours: str = Field(min_length=3, max_length=300)
    lieux: list[Lieu] = Field(min_length=1)
    active: bool = True  # a deactivated structure serves nobody (its past appointments and requests stay)

    @field_validator("email")
    @classmethod
    def _looks_like_email(cls, value: str) -> str:
        local, _, domain = value.partition("@")
        if not local or "." not in domain or " " in value:
            raise ValueError("expected an e-mail address")
        return value


def fold(text: str) -> str:
    """Lower case, no accents, hyphens and apostrophes as spaces: how names are compared."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    for mark in "-'’":
        text = text.replace(mark, " ")
    return " ".join(text.replace("saint ", "st ").split())


@dataclass(frozen=True)
class Territory:
    """Communes and missions locales, with the look-ups the conversation needs.

    Immutable: the conversation's is a snapshot of the database's structures (flows/data/structures.py), replaced
    as a whole when it is read again."""

    communes: tuple[Commune, ...]
    structures: tuple[MissionLocale, ...]

    def commune(self, insee: str | None) -> Commune | None:
        """The commune with this INSEE code."""
        return next((c for c in self.communes if c.insee == insee), None)

    def commune_named(self, name: str) -> Commune | None:
        """The commune with this official name (accents and case ignored)."""
        wanted = fold(name)
        return next((c for c in self.communes if fold(c.name) == wanted), None)

    def guess_communes(self, text: str, limit: int = 3) -> list[Commune]:
        """Communes whose name is close to ``text`` (typos), best first; empty when nothing is close."""
        folded = fold(text)
        if len(folded) < 3:
            return []
        names = {c.insee: fold(c.name) for c in self.communes}
        found = process.extract(folded, names, scorer=_closeness, limit=limit, score_cutoff=80)
        best = found[0][1] if found else 0
        # Only the names about as close as the best one: an exact hit should not drag in look-alikes.
        return [c for _, score, insee in found if score >= best - 5 and (c := self.commune(insee)) is not None]

    def structure(self, structure_id: str | None) -> MissionLocale | None:
        """The mission locale with this id."""
        return next((s for s in self.structures if s.id == structure_id), None)

    def structure_for(self, insee: str | None) -> MissionLocale | None:
        """The active mission locale serving this commune."""
        commune = self.commune(insee)
        structure = self.structure(commune.structure) if commune else None
        return structure if structure is not None and structure.active else None

    def active_structures(self) -> list[MissionLocale]:
        """The missions locales offered to young people."""
        return [s for s in self.structures if s.active]

    def served_by(self, structure_id: str) -> list[Commune]:
        """The communes this structure serves."""
        return [c for c in self.communes if c.structure == structure_id]

    def neighbours(self, insee: str) -> list[Commune]:
        """The communes next to this one."""
        commune = self.commune(insee)
        return [c for name in (commune.neighbours if commune else []) if (c := self.commune_named(name))]

    def largest_communes(self, count: int) -> list[Commune]:
        """The most populated communes (offered as buttons)."""
        return sorted(self.communes, key=lambda c: -c.population)[:count]

    def lieu(self, lieu_id: str) -> tuple[MissionLocale, Lieu] | None:
        """The structure and lieu with this lieu id."""
        for structure in self.structures:
            for lieu in structure.lieux:
                if lieu.id == lieu_id:
                    return structure, lieu
        return None


def _closeness(text: str, name: str, **_: object) -> float:
    # A typed name is often a part of the official one ("asnieres", "rueil"): partial match first,
    # the whole-string ratio breaking ties ("la garenne colombes" is not Colombes).
    return 0.7 * fuzz.partial_ratio(text, name) + 0.3 * fuzz.ratio(text, name)


def load_territory(communes_path: Path, structures_path: Path) -> Territory:
    """Read and cross-check both files; any problem raises DataFileError naming file, entry and field."""
    communes = load_entries(communes_path, "communes", Commune, id_field="name")
    structures = load_entries(structures_path, "structures", MissionLocale)
    check_unique(communes_path, communes, "insee")
    check_unique(structures_path, structures, "id")
    check_unique(structures_path, [lieu for s in structures for lieu in s.lieux], "id")
    known_structures = {s.id for s in structures}
    names = {c.name for c in communes}
    codes = {c.insee for c in communes}
    for index, commune in enumerate(communes):
        label = f"{communes_path}: entry {index + 1} ({commune.name})"
        if commune.structure not in known_structures:
            raise DataFileError(f"{label}: structure: '{commune.structure}' is not in {structures_path}")
        unknown = [n for n in commune.neighbours if n not in names]
        if unknown:
            raise DataFileError(f"{label}: neighbours: '{unknown[0]}' is not a commune of {communes_path}")
    for index, structure in enumerate(structures):
        for lieu in structure.lieux:
            if lieu.commune not in codes:
                raise DataFileError(
                    f"{structures_path}: entry {index + 1} ({structure.id}): lieux.{lieu.id}.commune: "
                    f"'{lieu.commune}' is not an INSEE code of {communes_path}"
                )
    return Territory(communes=tuple(communes), structures=tuple(structures))


__all__ = ["OUTSIDE", "Commune", "DataFileError", "Lieu", "MissionLocale", "Territory", "fold", "load_territory"]
