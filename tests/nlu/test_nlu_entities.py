"""Communes, sectors and profile fields: canonical values, exact offsets, and no false matches."""

from __future__ import annotations

import pytest

from nlu.embedded import EmbeddedBackend
from nlu.entities import PROFILE_ENTITIES, SECTEURS


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


@pytest.mark.parametrize("text", ["un seau d'eau", "je vais au garage", "mon pote anthony", "mamoudou",
                                  "je vais a tours demain", "c'est un plaisir"])
def test_no_false_communes(embedded: EmbeddedBackend, text: str) -> None:
    assert found(embedded, text, "commune") == []


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("j'habite à paris", "paris"),
        ("je suis à argenteuil", "argenteuil"),
        ("je suis à vannes en bretagne", "vannes"),
        ("clichy sous bois", "clichy sous bois"),
        ("fontenay sous bois", "fontenay sous bois"),
        ("montreuil", "montreuil"),
        ("jhabite a creteil", "creteil"),
        ("saint ouen", "saint ouen"),
    ],
)
def test_towns_of_other_departements_are_outside(embedded: EmbeddedBackend, text: str, span: str) -> None:
    """Another département's town is the commune "hors92" (lookups/outside_92.yml), never a 92 look-alike."""
    assert found(embedded, text, "commune") == [("hors92", span)]


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
    assert spans == {"situation": "Jcherche un taf", "secteur": "Serveur", "commune": "St-Cloud"}


def test_ages(embedded: EmbeddedBackend) -> None:
    for text, age in [("j'ai 19 ans", "19"), ("19ans", "19"), ("jai 17 ans", "17"), ("g dix-huit ans", "18")]:
        ents = [e for e in embedded.parse_sync(text).entities if e.entity == "age"]
        assert [e.value for e in ents] == [age], text
    for text in ["je cherche depuis 10 ans", "à 16 ans j'ai arrêté l'école"]:
        assert all(e.entity != "age" for e in embedded.parse_sync(text).entities), text


def profile(backend: EmbeddedBackend, text: str) -> list[tuple[str, str, str]]:
    """The profile entities of ``text``: (entity, value, span in the original text), by position."""
    return [(e.entity, e.value, text[e.start : e.end]) for e in backend.parse_sync(text).entities
            if e.entity in PROFILE_ENTITIES]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # diplome: the app reads the negation just before the span ("pas le" bac)
        ("jai pas le bac", [("diplome", "bac", "bac")]),
        ("g le bac", [("diplome", "bac", "bac")]),
        ("jai un cap", [("diplome", "cap_bep", "cap")]),
        ("bac pro commerce", [("diplome", "bac", "bac pro")]),
        ("j'ai un bac+2 en compta", [("diplome", "bac_plus_2", "bac+2")]),
        ("BTS MCO validé", [("diplome", "bac_plus_2", "BTS")]),
        ("jsuis à la fac", [("diplome", "bac_plus_2", "fac"), ("situation", "etudes", "fac")]),
        ("j'ai le brevet des collèges", [("diplome", "brevet", "brevet des collèges")]),
        ("j'ai pas de diplôme", [("diplome", "aucun", "pas de diplôme")]),
        ("rien comme diplome", [("diplome", "aucun", "rien comme diplome")]),
        ("jai raté le bac 2 fois", [("diplome", "bac", "bac 2 fois")]),
        # obstacle: "pas le permis" IS the obstacle, so the negation is inside the span
        ("pas le permis et pas de thune", [("obstacle", "mobilite", "pas le permis"),
                                           ("obstacle", "argent", "pas de thune")]),
        ("j'ai pas de transport", [("obstacle", "mobilite", "pas de transport")]),
        ("les transports c'est galère", [("obstacle", "mobilite", "transports")]),
        ("mon navigo a expiré", [("obstacle", "mobilite", "navigo")]),
        ("je dors chez un pote depuis 2 semaines", [("obstacle", "logement", "je dors chez un pote")]),
        ("jsuis hébergée chez ma tante", [("obstacle", "logement", "hébergée")]),
        ("jai la rqth", [("obstacle", "sante", "rqth")]),
        ("personne pour garder mon fils", [("obstacle", "famille", "fils")]),
        ("je parle pas bien français", [("obstacle", "langue", "parle pas bien français")]),
        ("galère d'argent et des dettes", [("obstacle", "argent", "galère d'argent"),
                                           ("obstacle", "argent", "dettes")]),
        ("jattends mon titre de séjour", [("obstacle", "demarches", "titre de séjour")]),
        # suivi
        ("je suis suivi par la ml de nanterre", [("suivi", "mission_locale", "ml")]),
        ("inscrit au pe depuis 2 mois", [("suivi", "france_travail", "pe")]),
        ("jsuis pas inscrit à pôle emploi", [("suivi", "france_travail", "pôle emploi")]),
        ("France Travail m'a radié", [("suivi", "france_travail", "France Travail")]),
        # situation
        ("je cherche du travail", [("situation", "emploi", "je cherche du travail")]),
        ("je cherche une formation en alternance", [("situation", "formation", "je cherche une formation"),
                                                     ("situation", "alternance", "alternance")]),
        ("contrat pro", [("situation", "alternance", "contrat pro")]),
        ("je suis au lycée", [("situation", "etudes", "je suis au lycée")]),
        ("je travaille en intérim", [("situation", "en_emploi", "je travaille")]),
        ("jsuis en cdi depuis mars", [("situation", "en_emploi", "jsuis en cdi")]),
        ("je fais rien pour l'instant", [("situation", "rien", "rien pour l'instant")]),
        ("jsp quoi faire", [("situation", "rien", "jsp quoi faire")]),
        # rsa: the words before the span are the app's ("pas")
        ("je suis au rsa", [("rsa", "rsa", "rsa")]),
        ("je touche pas le rsa jeune", [("rsa", "rsa", "rsa jeune")]),
    ],
)
def test_profile_entities(embedded: EmbeddedBackend, text: str, expected: list[tuple[str, str, str]]) -> None:
    assert profile(embedded, text) == expected


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("t'es pas cap de le faire", "diplome"),
        ("garder le cap", "diplome"),
        ("une licence de foot", "diplome"),
        ("je pe pas venir demain", "suivi"),
        ("je veux bosser dans le transport", "obstacle"),
        ("j'ai le permis B et une voiture", "obstacle"),
        ("c'est pas loin de chez moi", "obstacle"),
        ("je veux bosser en crèche", "obstacle"),
        ("je veux bosser dans la santé", "obstacle"),
        ("je veux gagner de l'argent", "obstacle"),
        ("je sais pas quoi t'écrire", "obstacle"),
        ("assistante administrative", "obstacle"),
        ("je travaille pas", "situation"),
        ("je bosse pas en ce moment", "situation"),
        ("ça fait rien", "situation"),
        ("mon emploi du temps", "situation"),
        ("je suis plombier de formation", "situation"),
        ("je suis en cours de démarches", "situation"),
        ("un cdi ou un cdd peu importe", "situation"),
        ("jai pas de diplome", "situation"),
        ("rien", "diplome"),
        ("aucun", "diplome"),
    ],
)
def test_no_false_profile_entities(embedded: EmbeddedBackend, text: str, entity: str) -> None:
    assert [e for e in profile(embedded, text) if e[0] == entity] == []


def test_a_word_can_mean_two_entities_of_different_kinds(embedded: EmbeddedBackend) -> None:
    text = "j'ai un cap cuisine"
    assert [(e.entity, e.value) for e in embedded.parse_sync(text).entities] == [
        ("diplome", "cap_bep"), ("secteur", "hotellerie_restauration")]


def test_transport_is_a_sector_or_an_obstacle_by_phrase(embedded: EmbeddedBackend) -> None:
    work = embedded.parse_sync("je veux bosser dans le transport")
    assert work.entity_values("secteur") == ["transport"] and work.entity_values("obstacle") == []
    stuck = embedded.parse_sync("jcherche un taf mais j'ai pas de transport")
    assert stuck.entity_values("obstacle") == ["mobilite"] and stuck.entity_values("secteur") == []


def test_a_long_message_gives_every_profile_field(embedded: EmbeddedBackend) -> None:
    text = ("slt jai 19 ans jsuis a gennevilliers, jai pas le bac mais g un cap vente, jsuis au rsa, "
            "suivi par la mission locale, jcherche un taf mais jai pas le permis et pas de thune")
    result = embedded.parse_sync(text)
    assert result.entity_values("diplome") == ["bac", "cap_bep"]
    assert result.entity_values("rsa") == ["rsa"]
    assert result.entity_values("suivi") == ["mission_locale"]
    assert result.entity_values("situation") == ["emploi"]
    assert result.entity_values("obstacle") == ["mobilite", "argent"]
    assert result.entity("commune") == "Gennevilliers" and result.entity("age") == "19"
    bac = next(e for e in result.entities if e.value == "bac")
    assert text[bac.start - 7 : bac.end] == "pas le bac"


def test_every_profile_value_is_known() -> None:
    from nlu.entities import build_gazetteer
    from nlu.training_data import load_training_data

    gaz = build_gazetteer(load_training_data())
    known = {v for v in gaz.phrases.values() if v}
    for entity, values in PROFILE_ENTITIES.items():
        assert {(entity, v) for v in values} <= known, entity
