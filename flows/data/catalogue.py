"""The catalogue: support services and structures (data·inclusion schema), trainings, jobs and programmes.

The operator keeps it as YAML files in ``data/catalogue/`` (one file per kind is enough; any number of
files works, e.g. one per import). Every file is::

    kind: trainings          # structures | services | trainings | jobs | programmes
    source: {...}            # free description of where the file comes from (optional)
    entries:
      - id: ...

Structures and services are the public *data·inclusion* models (``data_inclusion.schema.v1``) with a
few fields of ours added (``checked_on``, ``example``, ``to_verify`` and the eligibility rules), so an
export of data·inclusion validates as is. Trainings, jobs and programmes are our own models.

Every entry says where its facts come from (``source``) and when they were checked (``checked_on``);
an entry that could not be checked says ``example: true``. Any problem raises ``DataFileError`` naming
the file, the entry and the field.

The matching (``flows.suggestions.matching``) never reads these models directly: each entry becomes an ``Offer``,
the same flat shape for every kind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from data_inclusion.schema import v1 as di
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, StringConstraints, ValidationError, model_validator

from flows.data.datafile import DataFileError, read_yaml, validate_entries
from flows.data.territory import Territory

# --- The vocabulary shared with the profile ------------------------------------------------------
# The codes of flows/profile/fields.py, which this layer cannot import (data is below the profile):
# declared here once, as the types the data files are checked against; tests/flows/test_catalogue.py and
# tests/flows/test_declarations.py check that they are the profile's.

Level = Literal["aucun", "brevet", "cap_bep", "bac", "bac_plus_2"]
Topic = Literal["mobilite", "logement", "sante", "famille", "langue", "argent", "demarches"]
Secteur = Literal[
    "logistique", "batiment", "hotellerie_restauration", "commerce_vente", "sante_social", "numerique",
    "securite", "transport", "proprete", "animation_sport", "industrie", "espaces_verts",
    "beaute_bien_etre", "automobile", "administratif",
]
Situation = Literal["emploi", "formation", "alternance", "etudes", "en_emploi", "rien"]
LEVELS: tuple[str, ...] = get_args(Level)  # lowest first
TOPICS: tuple[str, ...] = get_args(Topic)  # the obstacles
SECTEURS: tuple[str, ...] = get_args(Secteur)
SITUATIONS: tuple[str, ...] = get_args(Situation)
KINDS = ("structures", "services", "trainings", "jobs", "programmes")
# Residence codes meaning "anywhere" in data·inclusion's zone_eligibilite.
NATIONAL = ("france", "99100")
# The départements of Île-de-France: the Region funds trainings for residents of all of them.
ILE_DE_FRANCE = ("75", "77", "78", "91", "92", "93", "94", "95")

OUR_ID = r"^[a-z0-9][a-z0-9-]{1,31}$"  # short: it travels in button data (<= 64 bytes with the rest)
INSEE = r"^\d[\dAB]\d{3}$"
ZONE = r"^(france|\d[\dAB]\d{3}|\d[\dAB]|97\d|\d{9}|99\d{3})$"
# An INSEE commune code, a département, an EPCI/EPT SIREN, or "france" (data·inclusion's zone grammar).
ZoneCode = Annotated[str, StringConstraints(pattern=ZONE)]
BUTTON_SAFE = re.compile(r"^[A-Za-z0-9_:\-]{1,40}$")

# data·inclusion thematiques -> the obstacle a service helps with (exact value first, then category).
THEMATIQUE_TOPICS = {
    "famille--garde-denfants": "famille",
    "famille--soutien-a-la-parentalite-et-a-leducation": "famille",
    "numerique--acceder-a-des-services-en-ligne": "demarches",
    "mobilite": "mobilite",
    "logement-hebergement": "logement",
    "lecture-ecriture-calcul": "langue",
    "sante": "sante",
    "difficultes-financieres": "argent",
    "equipement-et-alimentation": "argent",
    "difficultes-administratives-ou-juridiques": "demarches",
}


def level_rank(level: str | None) -> int:
    """0 for no diploma up to 4 for bac+2 or more; -1 when unknown."""
    return LEVELS.index(level) if level in LEVELS else -1


# --- Fields every entry carries ---------------------------------------------------------------


class Provenance(BaseModel):
    """Where the facts come from and when they were checked."""

    checked_on: dt.date | None = Field(description="When the facts were last checked (null only for examples).")
    example: bool = False  # written for the pilot, not checked: to replace with real data
    to_verify: list[str] = []  # the fields (or rules) that must be checked before relying on them

    @model_validator(mode="after")
    def _checked_or_example(self) -> Provenance:
        if self.checked_on is None and not self.example:
            raise ValueError("checked_on: give the date the facts were checked, or mark the entry example: true")
        return self


class Rules(BaseModel):
    """Who can enter (eligibility, a filter) and whom it suits (used by the score)."""

    age_min: int = Field(16, ge=0, le=99)
    age_max: int = Field(25, ge=0, le=99)
    level_required: Level = "aucun"  # the lowest diploma needed
    level_max: Level | None = None  # a ceiling: made for people with at most this diploma
    rsa: Literal["any", "required", "excluded"] = "any"
    situations: list[Situation] = []  # whom it suits best (empty: everyone)
    situations_excluded: list[Situation] = []  # who cannot enter (e.g. students for the CEJ)
    topics: list[Topic] = []  # the obstacles it helps with
    needs_driving_licence: bool = False
    boarding: bool = False  # lodging on site (internat): not for someone with children to look after
    night_work: bool = False  # night hours: not for someone without childcare
    reading_required: bool = False  # written tests or paperwork: not while reading is hard
    alternance: bool = False  # an apprenticeship or a work-study contract, or a way into one

    @model_validator(mode="after")
    def _coherent(self) -> Rules:
        if self.age_min > self.age_max:
            raise ValueError(f"age_min: {self.age_min} is above age_max {self.age_max}")
        if self.level_max is not None and level_rank(self.level_max) < level_rank(self.level_required):
            raise ValueError(f"level_max: '{self.level_max}' is below level_required '{self.level_required}'")
        return self


class Ours(BaseModel):
    """Our own kinds: strict (a typo in a key is an error), immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- data·inclusion kinds ---------------------------------------------------------------------


class StructureEntry(di.Structure, Provenance):
    """A structure (data·inclusion ``Structure``) with the date its facts were checked."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ServiceEntry(di.Service, Provenance, Rules):
    """A support service (data·inclusion ``Service``) with our eligibility rules.

    Services have no age limit unless they say so, and their ``topics`` default to what their
    ``thematiques`` are about.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    age_min: int = Field(0, ge=0, le=99)
    age_max: int = Field(99, ge=0, le=99)
    summary: str | None = Field(None, max_length=160)  # one short sentence for the card, in *tu*

    def derived_topics(self) -> list[str]:
        """``topics`` if given, else those of the thematiques."""
        if self.topics:
            return list(self.topics)
        found: list[str] = []
        for thematique in sorted(t.value for t in self.thematiques or ()):
            topic = THEMATIQUE_TOPICS.get(thematique) or THEMATIQUE_TOPICS.get(thematique.split("--")[0])
            if topic and topic not in found:
                found.append(topic)
        return found


# --- Our kinds ----------------------------------------------------------------------------------


class Training(Ours, Provenance, Rules):
    """A training course: what it leads to, for whom, where, when, paid or not, how to apply."""

    id: str = Field(pattern=OUR_ID)
    name: str = Field(min_length=3, max_length=90)
    summary: str = Field(min_length=5, max_length=160)  # one sentence, in *tu*
    secteur: Secteur
    age_min: int = Field(16, ge=0, le=99)  # trainings are open to adults of any age unless they say so
    age_max: int = Field(99, ge=0, le=99)
    certification: str | None = None  # what you get at the end
    organisme: str
    duration: str  # "4 mois, dont 6 semaines en entreprise"
    paid: bool
    pay: str | None = None
    place: str = Field(pattern=INSEE)
    address: str | None = None
    access: str | None = None  # public transport
    next_sessions: list[dt.date] = []
    rolling_entry: bool = False  # entrées permanentes: no fixed start date
    how_to_apply: str
    zone: list[ZoneCode] = Field(default=list(ILE_DE_FRANCE), min_length=1)
    source: str = Field(min_length=2)
    lien_source: HttpUrl | None = None

    @model_validator(mode="after")
    def _has_a_start(self) -> Training:
        if not self.next_sessions and not self.rolling_entry:
            raise ValueError("next_sessions: give the next start dates, or say rolling_entry: true")
        return self


class Job(Ours, Provenance, Rules):
    """A job, with its ROME code (France Travail's repertory of trades)."""

    id: str = Field(pattern=OUR_ID)
    title: str = Field(min_length=3, max_length=90)
    rome: str = Field(pattern=r"^[A-N]\d{4}$")
    rome_to_check: bool = True  # written from knowledge: check against the repertory, then set false
    secteur: Secteur
    description: str = Field(min_length=5, max_length=160)  # what the job is, in one sentence, in *tu*
    diploma_required: bool
    diploma: str | None = None  # what is asked, when a diploma is needed
    how_to_find: str
    zone: list[ZoneCode] = Field(default=["france"], min_length=1)
    age_min: int = Field(16, ge=0, le=99)
    age_max: int = Field(99, ge=0, le=99)
    source: str = Field(min_length=2)
    lien_source: HttpUrl | None = None

    @model_validator(mode="after")
    def _diploma_named(self) -> Job:
        if self.diploma_required and (not self.diploma or self.level_required == "aucun"):
            raise ValueError("diploma: a job with diploma_required names the diploma and its level_required")
        return self


class Programme(Ours, Provenance, Rules):
    """A programme for young people (CEJ, E2C, EPIDE, service civique...) or a financial aid."""

    id: str = Field(pattern=OUR_ID)
    name: str = Field(min_length=3, max_length=90)
    summary: str = Field(min_length=5, max_length=160)
    role: Literal["path", "support"] = "path"  # a way forward, or a help along the way
    secteur: Secteur | None = None
    paid: bool | None = None
    pay: str | None = None
    duration: str | None = None
    place: str | None = Field(None, pattern=INSEE)  # None: through the person's mission locale, or anywhere
    address: str | None = None
    via_mission_locale: bool = False  # asked for at the person's mission locale
    how_to_apply: str
    rules_note: str  # the eligibility rules as we know them, for the operator
    ends_on: dt.date | None = None
    zone: list[ZoneCode] = Field(default=["france"], min_length=1)
    source: str = Field(min_length=2)
    lien_source: HttpUrl | None = None


ENTRY_MODELS: dict[str, type[BaseModel]] = {
    "structures": StructureEntry,
    "services": ServiceEntry,
    "trainings": Training,
    "jobs": Job,
    "programmes": Programme,
}
# What a kind is called on a card.
KIND_OF_MODEL = {ServiceEntry: "service", Training: "training", Job: "job", Programme: "programme"}


# --- The flat view the matching works on -------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """One thing that can be suggested, whatever its kind: the facts the rules and the score need."""

    id: str
    ref: str  # short and button-safe
    kind: str  # training | job | programme | service
    role: str  # path | support
    title: str
    summary: str
    secteur: str | None
    place: str | None  # INSEE code of where it happens; None: anywhere, or at the person's mission locale
    via_mission_locale: bool  # asked for at the person's mission locale
    zone: tuple[str, ...]  # residence codes; empty: no residence rule
    age_min: int
    age_max: int
    level_required: str
    level_max: str | None
    rsa: str
    situations: tuple[str, ...]
    situations_excluded: tuple[str, ...]
    topics: tuple[str, ...]
    publics: tuple[str, ...]  # data·inclusion publics (services only)
    paid: bool | None
    alternance: bool
    needs_driving_licence: bool
    boarding: bool
    night_work: bool
    reading_required: bool
    sessions: tuple[dt.date, ...]
    rolling: bool
    ends_on: dt.date | None
    example: bool
    entry: BaseModel = field(compare=False, repr=False)


def short_ref(entry_id: str) -> str:
    """A key that fits in button data: the id itself when short and safe, else a stable hash of it."""
    if BUTTON_SAFE.match(entry_id):
        return entry_id
    return "h" + hashlib.sha1(entry_id.encode()).hexdigest()[:15]


def _rules(entry: Rules) -> dict[str, Any]:
    return {
        "age_min": entry.age_min, "age_max": entry.age_max, "level_required": entry.level_required,
        "level_max": entry.level_max, "rsa": entry.rsa, "situations": tuple(entry.situations),
        "situations_excluded": tuple(entry.situations_excluded), "needs_driving_licence": entry.needs_driving_licence,
        "boarding": entry.boarding, "night_work": entry.night_work, "reading_required": entry.reading_required,
        "alternance": entry.alternance,
    }


def offer_of(entry: BaseModel) -> Offer | None:
    """The offer made from an entry (structures are not offers: their services are)."""
    if isinstance(entry, ServiceEntry):
        summary = entry.summary or _first_sentence(entry.description)
        return Offer(
            id=entry.id, ref=short_ref(entry.id), kind="service", role="support", title=entry.nom, summary=summary,
            secteur=None, place=entry.code_insee, via_mission_locale=False, zone=tuple(entry.zone_eligibilite or ()),
            topics=tuple(entry.derived_topics()), publics=tuple(sorted(p.value for p in entry.publics or ())),
            paid=None if entry.frais is None else entry.frais == di.Frais.PAYANT,
            sessions=(), rolling=True, ends_on=None, example=entry.example, entry=entry, **_rules(entry),
        )
    if isinstance(entry, Training):
        return Offer(
            id=entry.id, ref=short_ref(entry.id), kind="training", role="path", title=entry.name,
            summary=entry.summary, secteur=entry.secteur, place=entry.place, via_mission_locale=False,
            zone=tuple(entry.zone), topics=tuple(entry.topics), publics=(), paid=entry.paid,
            sessions=tuple(sorted(entry.next_sessions)),
            rolling=entry.rolling_entry, ends_on=None, example=entry.example, entry=entry, **_rules(entry),
        )
    if isinstance(entry, Job):
        return Offer(
            id=entry.id, ref=short_ref(entry.id), kind="job", role="path", title=entry.title,
            summary=entry.description, secteur=entry.secteur, place=None, via_mission_locale=False,
            zone=tuple(entry.zone),
            topics=tuple(entry.topics), publics=(), paid=True, sessions=(), rolling=True, ends_on=None,
            example=entry.example, entry=entry, **_rules(entry),
        )
    if isinstance(entry, Programme):
        return Offer(
            id=entry.id, ref=short_ref(entry.id), kind="programme", role=entry.role, title=entry.name,
            summary=entry.summary, secteur=entry.secteur, place=entry.place,
            via_mission_locale=entry.via_mission_locale, zone=tuple(entry.zone), topics=tuple(entry.topics),
            publics=(), paid=entry.paid, sessions=(), rolling=True,
            ends_on=entry.ends_on, example=entry.example, entry=entry, **_rules(entry),
        )
    return None


def _first_sentence(text: str) -> str:
    sentence = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
    return sentence if len(sentence) <= 160 else sentence[:157].rstrip() + "…"


@dataclass(frozen=True)
class Catalogue:
    """Every entry, validated and cross-checked, and the offers made from them."""

    structures: tuple[StructureEntry, ...]
    entries: tuple[BaseModel, ...]  # services, trainings, jobs and programmes, in file order
    offers: tuple[Offer, ...]
    files: tuple[Path, ...] = ()

    def offer(self, ref: str) -> Offer | None:
        """The offer with this button ref (or full id)."""
        return next((o for o in self.offers if o.ref == ref or o.id == ref), None)

    def structure(self, structure_id: str | None) -> StructureEntry | None:
        """The structure carrying a service."""
        return next((s for s in self.structures if s.id == structure_id), None)

    def counts(self) -> dict[str, int]:
        """How many entries of each kind (for the operator)."""
        counted = Counter(KIND_OF_MODEL[type(e)] + "s" for e in self.entries)
        counted["structures"] = len(self.structures)
        return {kind: counted.get(kind, 0) for kind in KINDS}

    def examples(self) -> int:
        """How many entries are examples still to replace."""
        return sum(1 for e in (*self.structures, *self.entries) if getattr(e, "example", False))


# --- Reading and checking ---------------------------------------------------------------------


def validate_kind(where: str, kind: str, raw_entries: Sequence[Any]) -> list[BaseModel]:
    """Validate raw entries of one kind; errors name ``where``, the entry and the field."""
    model = ENTRY_MODELS.get(kind)
    if model is None:
        raise DataFileError(f"{where}: kind: '{kind}' is not one of {', '.join(KINDS)}")
    try:
        return validate_entries(where, raw_entries, model)
    except DataFileError as exc:
        raise DataFileError(_shorten(str(exc), exc.__cause__)) from exc.__cause__


def _shorten(message: str, cause: BaseException | None) -> str:
    """An enum error lists every allowed value (90 thematiques): say which value is wrong instead."""
    if not isinstance(cause, ValidationError) or "Input should be" not in message or len(message) < 300:
        return message
    error = cause.errors()[0]
    head = message.split("Input should be", 1)[0]
    return f"{head}'{error.get('input')}' is not an allowed value (see docs/catalogue.md for the list)"


def read_catalogue_file(path: Path) -> tuple[str, list[BaseModel]]:
    """The kind and the validated entries of one catalogue file."""
    document = read_yaml(path)
    if not isinstance(document, dict):
        raise DataFileError(f"{path}: expected 'kind' and 'entries' keys")
    kind = document.get("kind")
    if kind not in ENTRY_MODELS:
        raise DataFileError(f"{path}: kind: expected one of {', '.join(KINDS)}, got {kind!r}")
    entries = document.get("entries")
    if not isinstance(entries, list):
        raise DataFileError(f"{path}: expected a list under the key 'entries'")
    return kind, validate_kind(str(path), kind, entries)


def catalogue_files(folder: Path) -> list[Path]:
    """The catalogue files of a folder, in a stable order."""
    if not folder.is_dir():
        raise DataFileError(f"{folder}: catalogue folder not found")
    return sorted(p for p in folder.iterdir() if p.suffix in (".yml", ".yaml") and not p.name.startswith("."))


def build_catalogue(
    parts: Iterable[tuple[Path, str, list[BaseModel]]], territory: Territory | None = None
) -> Catalogue:
    """Cross-check entries read from several files: unique ids, known structures and communes."""
    parts = list(parts)
    structures: list[StructureEntry] = []
    entries: list[BaseModel] = []
    where: dict[int, str] = {}  # how an entry is named in an error: "file: entry 3 (id)"
    for path, _kind, items in parts:
        for index, item in enumerate(items):
            where[id(item)] = f"{path}: entry {index + 1} ({item.id})"  # type: ignore[attr-defined]
            (structures if isinstance(item, StructureEntry) else entries).append(item)
    seen: dict[str, str] = {}
    refs: dict[str, str] = {}
    for item in (*structures, *entries):
        entry_id = item.id  # type: ignore[attr-defined]
        label = where[id(item)]
        if entry_id in seen:
            raise DataFileError(f"{label}: id: '{entry_id}' is already used by {seen[entry_id]}")
        seen[entry_id] = label
        ref = short_ref(entry_id)
        if refs.setdefault(ref, entry_id) != entry_id:
            raise DataFileError(f"{label}: id: its short key '{ref}' collides with '{refs[ref]}'")
    known_structures = {s.id for s in structures}
    for item in (*structures, *entries):
        label = where[id(item)]
        if isinstance(item, ServiceEntry) and item.structure_id not in known_structures:
            raise DataFileError(f"{label}: structure_id: '{item.structure_id}' is not a structure of the catalogue")
        if territory is not None:
            for name, code in _places(item):
                if code and code.startswith("92") and territory.commune(code) is None:
                    raise DataFileError(f"{label}: {name}: '{code}' is not a commune of the Hauts-de-Seine")
    offers = tuple(o for e in entries if (o := offer_of(e)) is not None)
    return Catalogue(tuple(structures), tuple(entries), offers, tuple(dict.fromkeys(p for p, _, _ in parts)))


def _places(item: BaseModel) -> list[tuple[str, str | None]]:
    if isinstance(item, StructureEntry):
        return [("code_insee", item.code_insee)]
    if isinstance(item, ServiceEntry):
        return [("code_insee", item.code_insee), *[("zone_eligibilite", z) for z in item.zone_eligibilite or ()
                                                   if len(z) == 5 and z not in NATIONAL]]
    if isinstance(item, Training | Programme):
        return [("place", item.place), *[("zone", z) for z in item.zone if len(z) == 5 and z not in NATIONAL]]
    return []


def load_catalogue(folder: Path, territory: Territory | None = None) -> Catalogue:
    """Read every file of the catalogue folder and cross-check them (with the territory when given)."""
    parts = []
    for path in catalogue_files(folder):
        kind, items = read_catalogue_file(path)
        parts.append((path, kind, items))
    return build_catalogue(parts, territory)


__all__ = [
    "KINDS", "LEVELS", "SECTEURS", "SITUATIONS", "TOPICS", "Catalogue", "DataFileError", "Job", "Offer",
    "Programme", "ServiceEntry", "StructureEntry", "Training", "build_catalogue", "load_catalogue", "offer_of",
    "read_catalogue_file", "short_ref", "validate_kind",
]
