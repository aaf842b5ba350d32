"""The catalogue files: enough entries of every kind, provenance on each, the data·inclusion schema,
and errors that name the file, the entry and the field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from data_inclusion.schema import v1 as di

from flows.data.catalogue import (
    LEVELS,
    SECTEURS,
    SITUATIONS,
    TOPICS,
    DataFileError,
    Job,
    ServiceEntry,
    StructureEntry,
    load_catalogue,
    short_ref,
)
from flows.profile import fields
from nlu.entities import SECTEURS as NLU_SECTEURS
from tests.kit import ROOT, data_catalogue, territory

FOLDER = ROOT / "data/catalogue"


def raw_entries() -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    found = []
    for path in sorted(FOLDER.glob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        found += [(document["kind"], entry) for entry in document["entries"]]
    return found


def test_the_catalogue_has_enough_of_every_kind() -> None:
    counts = data_catalogue().counts()
    assert sum(counts.values()) >= 60
    assert all(counts[kind] >= 10 for kind in counts), counts


def test_every_entry_says_where_its_facts_come_from_and_when_checked() -> None:
    for kind, entry in raw_entries():
        assert "source" in entry and "checked_on" in entry, (kind, entry.get("id"))
        assert entry["checked_on"] is not None or entry.get("example") is True, entry["id"]
        if entry.get("example"):
            assert entry.get("to_verify"), entry["id"]


def test_structures_and_services_are_valid_data_inclusion() -> None:
    catalogue = data_catalogue()
    schema_fields = {StructureEntry: set(di.Structure.model_fields), ServiceEntry: set(di.Service.model_fields)}
    entries = [*catalogue.structures, *(e for e in catalogue.entries if isinstance(e, ServiceEntry))]
    for entry in entries:
        official = di.Structure if isinstance(entry, StructureEntry) else di.Service
        data = entry.model_dump(include=schema_fields[type(entry)], exclude_none=True)
        official.model_validate(data, context={"ignore_warnings": False})


def test_rome_codes_written_from_knowledge_are_marked() -> None:
    jobs = [e for e in data_catalogue().entries if isinstance(e, Job)]
    assert len(jobs) >= 20 and all(job.rome_to_check for job in jobs)


def test_the_programmes_for_young_people_are_there() -> None:
    ids = {o.id for o in data_catalogue().offers}
    assert {"pg-cej", "pg-e2c", "pg-epide", "pg-service-civique", "pg-apprentissage", "pg-prepa-apprentissage",
            "pg-promo-16-18", "pg-permis-1-euro", "pg-aide-permis-ml", "sv-faj"} <= ids


def test_the_vocabulary_is_the_profile_s() -> None:
    assert tuple(o.value for o in fields.SCHOOLING) == LEVELS
    assert set(TOPICS) == {o.value for o in fields.OBSTACLES}
    assert SECTEURS == tuple(o.value for o in fields.SECTORS) == tuple(NLU_SECTEURS)
    assert set(SITUATIONS) == {o.value for o in fields.SITUATIONS}


def test_a_long_data_inclusion_id_gets_a_short_stable_key() -> None:
    long_id = "dora--3fa85f64-5717-4562-b3fc-2c963f66afa6"
    assert short_ref(long_id) == short_ref(long_id) != long_id and len(short_ref(long_id)) == 16
    assert short_ref("pg-cej") == "pg-cej"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "catalogue"
    shutil.copytree(FOLDER, target)
    return target


def edit(folder: Path, name: str, change) -> None:  # type: ignore[no-untyped-def]
    path = folder / name
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document["entries"])
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _set(index: int, key: str, value: object):  # type: ignore[no-untyped-def]
    def change(entries: list) -> None:  # type: ignore[type-arg]
        entries[index][key] = value
    return change


def _drop(index: int, key: str):  # type: ignore[no-untyped-def]
    def change(entries: list) -> None:  # type: ignore[type-arg]
        del entries[index][key]
    return change


@pytest.mark.parametrize(("file", "change", "message"), [
    ("services.yml", _set(0, "thematiques", ["mobilite--voler-un-scooter"]),
     "services.yml: entry 1 (sv-permis-social): thematiques.0: 'mobilite--voler-un-scooter' is not an allowed value"),
    ("services.yml", _set(1, "publics", ["martiens"]),
     "services.yml: entry 2 (sv-conseil-mobilite): publics.0: 'martiens' is not an allowed value"),
    ("services.yml", _set(0, "structure_id", "st-inconnue"),
     "services.yml: entry 1 (sv-permis-social): structure_id: 'st-inconnue' is not a structure of the catalogue"),
    ("trainings.yml", _drop(0, "checked_on"),
     "trainings.yml: entry 1 (tr-prepa-commandes): checked_on: Field required"),
    ("trainings.yml", _set(0, "example", False),
     "trainings.yml: entry 1 (tr-prepa-commandes): (entry): checked_on: give the date the facts were checked"),
    ("trainings.yml", _set(1, "secteur", "boulangerie"),
     "trainings.yml: entry 2 (tr-cariste): secteur: 'boulangerie' is not an allowed value"),
    ("trainings.yml", _set(0, "place", "92999"),
     "trainings.yml: entry 1 (tr-prepa-commandes): place: '92999' is not a commune of the Hauts-de-Seine"),
    ("trainings.yml", _set(0, "duree", "3 mois"), "trainings.yml: entry 1 (tr-prepa-commandes): duree: Extra inputs"),
    ("trainings.yml", _set(0, "next_sessions", []), "trainings.yml: entry 1 (tr-prepa-commandes): (entry): "
                                                    "next_sessions: give the next start dates"),
    ("jobs.yml", _set(0, "rome", "N11"), "jobs.yml: entry 1 (job-preparateur-commandes): rome: String should match"),
    ("jobs.yml", _set(0, "diploma_required", True), "jobs.yml: entry 1 (job-preparateur-commandes): (entry): diploma:"),
    ("programmes.yml", _set(0, "age_min", 30), "programmes.yml: entry 1 (pg-cej): (entry): age_min: 30 is above"),
    ("programmes.yml", _set(1, "id", "pg-cej"), "programmes.yml: entry 2 (pg-cej): id: 'pg-cej' is already used by"),
    ("programmes.yml", _set(1, "zone", ["quatre-vingt-douze"]), "programmes.yml: entry 2 (pg-e2c): zone.0: String"),
])
def test_an_error_names_the_file_the_entry_and_the_field(copy: Path, file: str, change, message: str) -> None:  # type: ignore[no-untyped-def]
    edit(copy, file, change)
    with pytest.raises(DataFileError) as error:
        load_catalogue(copy, territory())
    assert message in str(error.value)
    assert len(str(error.value)) < 400


def test_a_file_without_a_kind_is_refused(copy: Path) -> None:
    (copy / "extra.yml").write_text("entries: []\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"extra\.yml: kind: expected one of structures, services"):
        load_catalogue(copy)
