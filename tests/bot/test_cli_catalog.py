"""``tremplin catalog validate`` and ``tremplin catalog import`` (JSON and CSV, e.g. data·inclusion)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from flows.data.catalogue import load_catalogue
from tests.kit import ROOT, territory

runner = CliRunner()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "catalogue"
    shutil.copytree(ROOT / "data/catalogue", target)
    return target


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_validate_the_shipped_catalogue(folder: Path) -> None:
    code, output = run("catalog", "validate", "--dir", str(folder))
    assert code == 0, output
    assert output.startswith("Catalogue OK: 22 structures, 24 services, 24 trainings, 25 jobs, 19 programmes")
    assert "ROME codes to check" in output


def test_validate_names_the_problem(folder: Path) -> None:
    path = folder / "jobs.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("rome: N1103", "rome: X1103"), encoding="utf-8")
    code, output = run("catalog", "validate", "--dir", str(folder))
    assert code == 1
    assert "jobs.yml: entry 1 (job-preparateur-commandes): rome: String should match pattern" in output


def test_validate_reports_every_unknown_rome_code(folder: Path) -> None:
    path = folder / "jobs.yml"
    text = path.read_text(encoding="utf-8").replace("rome: N1103", "rome: N9999").replace("rome: G1602", "rome: N1105")
    path.write_text(text, encoding="utf-8")
    code, output = run("catalog", "validate", "--dir", str(folder))
    assert code == 1
    assert "job-preparateur-commandes: ROME code 'N9999' is unknown (not in ROME 4.0)" in output
    assert "job-commis-cuisine: ROME code 'N1105' is not mapped to its sector 'hotellerie_restauration'" in output
    assert "2 ROME code(s) to fix" in output


STRUCTURE = {
    "source": "dora", "id": "dora--3fa85f64-5717-4562-b3fc-2c963f66afa6", "nom": "Association Mobilité 92",
    "date_maj": "2026-10-01", "code_insee": "92025", "commune": "Colombes", "telephone": "0100000099",
    "reseaux_porteurs": ["wimoov"], "score_qualite": 0.8,
}
SERVICE = {
    "source": "dora", "id": "dora--7c9e6679-7425-40de-944b-e07fc1f90ae7",
    "structure_id": "dora--3fa85f64-5717-4562-b3fc-2c963f66afa6", "nom": "Garage solidaire",
    "description": "Réparation de voiture à prix réduit pour les personnes en insertion.", "date_maj": "2026-10-02",
    "thematiques": ["mobilite--entretenir-reparer-son-vehicule"], "publics": ["tous-publics"],
    "zone_eligibilite": ["92"], "code_insee": "92025", "frais": "payant", "score_qualite": 0.7,
}


def test_import_a_data_inclusion_export(folder: Path, tmp_path: Path) -> None:
    structures, services = tmp_path / "structures.json", tmp_path / "services.json"
    structures.write_text(json.dumps({"items": [STRUCTURE], "total": 1}), encoding="utf-8")
    services.write_text(json.dumps([SERVICE]), encoding="utf-8")
    code, output = run("catalog", "import", str(structures), str(services), "--dir", str(folder))
    assert code == 0, output
    assert "fields not in the schema, ignored: score_qualite" in output
    written = folder / "import-services-services.yml"
    assert written.is_file() and (folder / "import-structures-structures.yml").is_file()
    catalogue = load_catalogue(folder, territory())
    offer = catalogue.offer(SERVICE["id"])
    assert offer is not None and offer.topics == ("mobilite",) and offer.ref.startswith("h")
    entry = offer.entry
    assert entry.checked_on.isoformat() == "2026-10-02"  # type: ignore[attr-defined]
    code, output = run("catalog", "import", str(structures), str(services), "--dir", str(folder))
    assert code == 0, output  # importing again replaces the files, no duplicate ids


def test_services_without_their_structures_are_refused(folder: Path, tmp_path: Path) -> None:
    services = tmp_path / "services.json"
    services.write_text(json.dumps([SERVICE]), encoding="utf-8")
    code, output = run("catalog", "import", str(services), "--dir", str(folder))
    assert code == 1
    assert (f"services.json: entry 1 ({SERVICE['id']}): structure_id: '{SERVICE['structure_id']}' "
            "is not a structure of the catalogue") in output
    assert not (folder / "import-services-services.yml").exists()


def test_import_trainings_from_csv(folder: Path, tmp_path: Path) -> None:
    csv_file = tmp_path / "sessions.csv"
    csv_file.write_text(
        "id;name;summary;secteur;organisme;duration;paid;place;next_sessions;how_to_apply;level_required;"
        "source;checked_on\n"
        "tr-csv-cariste;Cariste;Tu conduis un chariot.;logistique;Centre X;6 semaines;oui;92036;"
        "2027-01-11|2027-03-08;Ta mission locale t'inscrit.;aucun;carif-idf;2026-11-20\n",
        encoding="utf-8",
    )
    code, output = run("catalog", "import", str(csv_file), "--dir", str(folder), "--dry-run")
    assert code == 0, output
    assert "1 trainings valid" in output and not (folder / "import-trainings-sessions.yml").exists()
    code, output = run("catalog", "import", str(csv_file), "--dir", str(folder))
    assert code == 0, output
    offer = load_catalogue(folder, territory()).offer("tr-csv-cariste")
    assert offer is not None and [d.isoformat() for d in offer.sessions] == ["2027-01-11", "2027-03-08"]
    assert offer.paid is True and offer.example is False


def test_a_bad_csv_cell_names_the_entry_and_the_field(folder: Path, tmp_path: Path) -> None:
    csv_file = tmp_path / "jobs.csv"
    csv_file.write_text(
        "id,title,rome,secteur,description,diploma_required,how_to_find,source,checked_on\n"
        "job-ok,Magasinier,N1103,logistique,Tu ranges le stock.,non,Regarde les offres.,rome,2026-11-01\n"
        "job-bad,Livreur,N4105,livraison,Tu livres.,non,Regarde les offres.,rome,2026-11-01\n",
        encoding="utf-8",
    )
    code, output = run("catalog", "import", str(csv_file), "--dir", str(folder))
    assert code == 1
    assert "jobs.csv: entry 2 (job-bad): secteur: 'livraison' is not an allowed value" in output


def test_an_unknown_kind_is_asked_for(folder: Path, tmp_path: Path) -> None:
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps([{"foo": "bar"}]), encoding="utf-8")
    code, output = run("catalog", "import", str(odd), "--dir", str(folder))
    assert code == 1 and "cannot tell the kind of entries: use --kind" in output
