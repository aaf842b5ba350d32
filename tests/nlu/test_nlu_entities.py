"""Communes and sectors: canonical values, exact offsets, and no false matches."""

from __future__ import annotations

import pytest

from nlu.embedded import EmbeddedBackend
from nlu.entities import SECTEURS


def found(backend: EmbeddedBackend, text: str, kind: str) -> list[tuple[str, str]]:
    return [(e.value, text[e.start : e.end]) for e in backend.parse_sync(text).entities if e.entity == kind]


@pytest.mark.parametrize(
    ("text", "value", "span"),
    [
        ("j'habite villeneuve la garenne", "Villeneuve-la-Garenne", "villeneuve la garenne"),
        ("jsuis à la garenne colombes", "La Garenne-Colombes", "la garenne colombes"),
        ("chui de bois colombes", "Bois-Colombes", "bois colombes"),
        ("colombes", "Colombes", "colombes"),
        ("jcherche un taf a asnieres", "Asnières-sur-Seine", "asnieres"),
        ("Asnières-sur-Seine", "Asnières-sur-Seine", "Asnières-sur-Seine"),
        ("st cloud", "Saint-Cloud", "st cloud"),
        ("vers Issy les Moulineaux", "Issy-les-Moulineaux", "Issy les Moulineaux"),
        ("boulogne billancour", "Boulogne-Billancourt", "boulogne billancour"),
        ("genevilliers", "Gennevilliers", "genevilliers"),
        ("jhabite a gennevilier", "Gennevilliers", "gennevilier"),
        ("SCEAUX", "Sceaux", "SCEAUX"),
        ("à vanves", "Vanves", "vanves"),
        ("92600", "Asnières-sur-Seine", "92600"),
        ("le plessis robinson", "Le Plessis-Robinson", "le plessis robinson"),
        ("clichy la garenne", "Clichy", "clichy la garenne"),
        ("ville d’avray", "Ville-d'Avray", "ville d’avray"),
    ],
)
def test_communes(embedded: EmbeddedBackend, text: str, value: str, span: str) -> None:
    assert found(embedded, text, "commune") == [(value, span)]


@pytest.mark.parametrize(
    "text",
    [
        "j'habite à paris",
        "je suis à argenteuil",
        "un seau d'eau",
        "je suis à vannes en bretagne",
        "clichy sous bois",
        "fontenay sous bois",
        "montreuil",
        "je vais au garage",
        "mon pote anthony",
    ],
)
def test_no_false_communes(embedded: EmbeddedBackend, text: str) -> None:
    assert found(embedded, text, "commune") == []


def test_two_communes_in_one_message(embedded: EmbeddedBackend) -> None:
    text = "je bosse à Nanterre mais j'habite à la garenne colombes"
    assert [v for v, _ in found(embedded, text, "commune")] == ["Nanterre", "La Garenne-Colombes"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("je veux être serveuse", "hotellerie_restauration"),
        ("un cap cuisine", "hotellerie_restauration"),
        ("jcherche en boulangerie", "hotellerie_restauration"),
        ("cariste", "logistique"),
        ("préparateur de commandes", "logistique"),
        ("des chantiers", "batiment"),
        ("plombiers", "batiment"),
        ("caissière", "commerce_vente"),
        ("aide-soignante", "sante_social"),
        ("petite enfance", "sante_social"),
        ("développeur web", "numerique"),
        ("agent de sécurité", "securite"),
        ("chauffeur livreur", "transport"),
        ("agent d'entretien", "proprete"),
        ("animateur bafa", "animation_sport"),
        ("soudeur", "industrie"),
        ("espaces verts", "espaces_verts"),
        ("coiffeuse", "beaute_bien_etre"),
        ("mécanicien auto", "automobile"),
        ("secrétaire", "administratif"),
    ],
)
def test_secteurs(embedded: EmbeddedBackend, text: str, value: str) -> None:
    values = {v for v, _ in found(embedded, text, "secteur")}
    assert values == {value}
    assert value in SECTEURS


@pytest.mark.parametrize(
    "text",
    [
        "ma carte de sécurité sociale",
        "je veux passer le code de la route",
        "j'ai un entretien demain",
        "je veux des infos",
        "je prends le bus",
        "je suis pas en sécurité chez moi",
    ],
)
def test_no_false_secteurs(embedded: EmbeddedBackend, text: str) -> None:
    assert found(embedded, text, "secteur") == []


def test_offsets_point_into_the_original_text(embedded: EmbeddedBackend) -> None:
    text = "Jcherche un taf de Serveur 😅 à St-Cloud stp"
    result = embedded.parse_sync(text)
    spans = {e.entity: text[e.start : e.end] for e in result.entities}
    assert spans == {"secteur": "Serveur", "commune": "St-Cloud"}


def test_ages(embedded: EmbeddedBackend) -> None:
    for text, age in [("j'ai 19 ans", "19"), ("19ans", "19"), ("jai 17 ans", "17"), ("g dix-huit ans", "18")]:
        ents = [e for e in embedded.parse_sync(text).entities if e.entity == "age"]
        assert [e.value for e in ents] == [age], text
    for text in ["je cherche depuis 10 ans", "à 16 ans j'ai arrêté l'école"]:
        assert all(e.entity != "age" for e in embedded.parse_sync(text).entities), text
