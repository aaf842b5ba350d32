"""The ROME 4.0 codes shipped in data/rome/ and the sectors of the conversation mapped to them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flows.data.catalogue import SECTEURS, Job, load_catalogue
from flows.data.datafile import DataFileError
from flows.data.rome import load_rome, rome_problems
from flows.profile.values import SECTOR_VALUES
from tests.kit import ROOT, territory

ROME = load_rome(ROOT / "data/rome")


def test_the_shipped_referential_has_every_rome_4_code() -> None:
    assert len(ROME.labels) == 1584
    assert ROME.labels["N1103"] == "Préparateur / Préparatrice de commandes"


def test_every_sector_of_the_conversation_is_mapped_to_known_codes() -> None:
    assert set(ROME.sectors) == set(SECTEURS) == SECTOR_VALUES
    for sector, codes in ROME.sectors.items():
        assert codes and all(ROME.known(code) for code in codes), sector
        assert len(set(codes)) == len(codes), sector


def test_every_job_of_the_catalogue_has_a_known_code_of_its_sector() -> None:
    catalogue = load_catalogue(ROOT / "data/catalogue", territory())
    assert sum(isinstance(e, Job) for e in catalogue.entries) == 25
    assert rome_problems(catalogue, ROME) == []


def test_codes_for_several_sectors_keep_the_order_without_repeats() -> None:
    assert ROME.codes_for(["logistique"])[:2] == ("N1103", "N1105")
    both = ROME.codes_for(["logistique", "transport", "logistique"])
    assert both == ROME.sectors["logistique"] + ROME.sectors["transport"]
    assert ROME.sector_of("N4105") == "transport" and ROME.sector_of("A1101") is None


@pytest.mark.parametrize(("edit", "message"), [
    (("logistique: [N1103", "logistique: [N9999"), "logistique: 'N9999' is not a known ROME 4.0 code"),
    (("  administratif:", "  bureau:"), "'bureau' is not a sector"),
    (("  administratif: [M1601, M1602, M1606, M1607, M1603]\n", ""), "the sector 'administratif' has no ROME codes"),
])
def test_a_bad_mapping_is_refused_with_the_sector_named(tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    folder = tmp_path / "rome"
    shutil.copytree(ROOT / "data/rome", folder)
    path = folder / "sectors.yml"
    text = path.read_text(encoding="utf-8")
    assert edit[0] in text
    path.write_text(text.replace(*edit), encoding="utf-8")
    with pytest.raises(DataFileError, match=message):
        load_rome(folder)
