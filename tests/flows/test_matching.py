"""Matching: contrasting profiles and their top 3 with reasons; the eligibility rules one by one;
stability; support for each obstacle; pay, distance and start dates in the score.

``python -m tests.flows.test_matching`` prints the profiles table (for reviews and the docs).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from dataclasses import dataclass

import pytest

from flows.data.catalogue import LEVELS, SECTEURS, TOPICS, Offer, Training, offer_of
from flows.data.territory import OUTSIDE
from flows.suggestions.matching import Profile, Request, has_suggestions, score, suggest, why_not
from tests.kit import data_catalogue, territory

TODAY = dt.date(2026, 12, 1)
TERRITORY = territory()
OFFERS = data_catalogue().offers

GENNEVILLIERS, BOULOGNE, NANTERRE, COLOMBES = "92036", "92012", "92050", "92025"
ASNIERES, ANTONY, MONTROUGE, VILLENEUVE, CLICHY, RUEIL = "92004", "92002", "92049", "92078", "92024", "92063"


@dataclass(frozen=True)
class Case:
    """A profile, and what its top 3 must be: (offer id, the reason codes that must come first)."""

    name: str
    profile: Profile
    top3: tuple[tuple[str, tuple[str, ...]], ...]
    first_reason: str  # the first sentence of the "pourquoi pour toi" of the first idea


CASES = (
    Case(
        "17 ans, sans diplôme, Gennevilliers, ne fait rien",
        Profile(age=17, commune=GENNEVILLIERS, schooling="aucun", situation="rien", rsa=False),
        (("pg-e2c", ("target", "same_commune")),
         ("pg-promo-16-18", ("target", "situation")),
         ("tr-prepa-commandes", ("same_commune", "situation"))),
        "Tu as 17 ans et pas de diplôme : c'est fait pour toi.",
    ),
    Case(
        "24 ans, bac+2, Boulogne-Billancourt, RSA, sans permis, numérique",
        Profile(age=24, commune=BOULOGNE, schooling="bac_plus_2", situation="emploi", rsa=True,
                obstacles=("mobilite",), sectors=("numerique",)),
        (("tr-dev-web", ("sector", "neighbour")),
         ("pg-solidarite-transport", ("target", "obstacle")),
         ("job-developpeur-web", ("sector", "situation"))),
        "Tu t'intéresses au numérique.",
    ),
    Case(
        "22 ans, jeune mère sans garde, CAP, Nanterre, RSA, santé-social",
        Profile(age=22, commune=NANTERRE, schooling="cap_bep", situation="emploi", rsa=True,
                obstacles=("famille",), sectors=("sante_social",)),
        (("tr-aide-soignant", ("sector", "same_commune")),
         ("sv-avip-nanterre", ("obstacle", "same_commune")),
         ("job-agent-hospitalier", ("sector", "situation"))),
        "Tu t'intéresses à la santé et au social.",
    ),
    Case(
        "19 ans, CAP, Colombes, cherche une formation, manque d'argent, logistique",
        Profile(age=19, commune=COLOMBES, schooling="cap_bep", situation="formation", rsa=False,
                obstacles=("argent",), sectors=("logistique",)),
        (("tr-prepa-commandes", ("sector", "paid")),
         ("sv-conseil-budget", ("obstacle", "same_commune")),
         ("tr-cariste", ("sector", "paid"))),
        "Tu t'intéresses à la logistique.",
    ),
    Case(
        "20 ans, brevet, Asnières, cherche une alternance, coiffure",
        Profile(age=20, commune=ASNIERES, schooling="brevet", situation="alternance", rsa=False,
                sectors=("beaute_bien_etre",)),
        (("tr-cap-coiffure", ("sector", "alternance")),
         ("pg-apprentissage", ("alternance",)),
         ("pg-contrat-pro", ("alternance",))),
        "Tu t'intéresses à la beauté.",
    ),
    Case(
        "23 ans, bac, Antony, étudiante, animation",
        Profile(age=23, commune=ANTONY, schooling="bac", situation="etudes", rsa=False,
                sectors=("animation_sport",)),
        (("tr-bafa", ("sector", "same_commune")),
         ("job-animateur", ("sector", "situation")),
         ("pg-service-civique", ("situation",))),
        "Tu t'intéresses à l'animation et au sport.",
    ),
    Case(
        "21 ans, bac, Montrouge, a un travail, manque d'argent",
        Profile(age=21, commune=MONTROUGE, schooling="bac", situation="en_emploi", rsa=False,
                obstacles=("argent",)),
        (("tr-tech-informatique", ("paid", "level")),
         ("pg-prime-activite", ("obstacle", "situation")),
         ("tr-dev-web", ("paid", "level"))),
        "La formation est payée, et l'argent te manque.",
    ),
    Case(
        "18 ans, sans diplôme, Villeneuve-la-Garenne, logement et lecture difficiles, propreté",
        Profile(age=18, commune=VILLENEUVE, schooling="aucun", situation="emploi", rsa=False,
                obstacles=("logement", "langue"), sectors=("proprete",)),
        (("tr-agent-proprete", ("sector", "situation")),
         ("pg-visale", ("obstacle",)),
         ("pg-competences-base", ("obstacle",))),
        "Tu t'intéresses à la propreté.",
    ),
    Case(
        "25 ans, bac, hors Hauts-de-Seine, vente",
        Profile(age=25, commune=OUTSIDE, schooling="bac", situation="emploi", rsa=False, sectors=("commerce_vente",)),
        (("job-caissier", ("sector", "situation")),
         ("job-employe-rayon", ("sector", "situation")),
         ("job-teleconseiller", ("sector", "situation"))),
        "Tu t'intéresses à la vente.",
    ),
    Case(
        "16 ans, brevet, Nanterre, ne fait rien, santé",
        Profile(age=16, commune=NANTERRE, schooling="brevet", situation="rien", rsa=None, obstacles=("sante",)),
        (("pg-promo-16-18", ("target", "situation")),
         ("sv-mda-ecoute", ("obstacle", "same_commune")),
         ("tr-prequalif-batiment", ("target", "situation"))),
        "Tu as 16 ans : c'est fait pour les 16-18 ans.",
    ),
    Case(
        "22 ans, sans diplôme, Clichy, papiers à faire, cuisine",
        Profile(age=22, commune=CLICHY, schooling="aucun", situation="emploi", rsa=False,
                obstacles=("demarches",), sectors=("hotellerie_restauration",)),
        (("tr-commis-cuisine", ("sector", "same_commune")),
         ("sv-caf-droits", ("obstacle",)),
         ("job-commis-cuisine", ("sector", "situation"))),
        "Tu t'intéresses à la cuisine.",
    ),
    Case(
        "19 ans, bac, Rueil-Malmaison, sans permis, sécurité et transport",
        Profile(age=19, commune=RUEIL, schooling="bac", situation="formation", rsa=False,
                obstacles=("mobilite",), sectors=("securite", "transport")),
        (("tr-agent-securite", ("sector", "neighbour")),
         ("pg-aide-permis-ft", ("obstacle", "situation")),
         ("tr-secretaire-assistant", ("situation", "level"))),
        "Tu t'intéresses à la sécurité.",
    ),
)


EVERYTHING = Request()


def top(profile: Profile, request: Request = EVERYTHING, offers: tuple[Offer, ...] = OFFERS) -> list:  # type: ignore[type-arg]
    return suggest(offers, profile, TERRITORY, TODAY, request)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_profile_gets_its_top_three_with_reasons(case: Case) -> None:
    found = top(case.profile)[:3]
    assert [s.offer.id for s in found] == [entry for entry, _ in case.top3]
    for suggestion, (_, codes) in zip(found, case.top3, strict=True):
        assert tuple(r.code for r in suggestion.reasons[:len(codes)]) == codes, suggestion.offer.id
    assert found[0].reasons[0].text == case.first_reason


def test_the_cases_are_contrasting() -> None:
    firsts = {tuple(s.offer.id for s in top(case.profile)[:3]) for case in CASES}
    assert len(CASES) >= 10 and len(firsts) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_nothing_suggested_is_out_of_reach(case: Case) -> None:
    for request in (Request(), Request(kinds=("job",)), Request(topics=("argent",)), Request(secteur="logistique")):
        for suggestion in top(case.profile, request):
            assert why_not(suggestion.offer, case.profile, TERRITORY, TODAY) is None, suggestion.offer.id


def offer(offer_id: str) -> Offer:
    found = next((o for o in OFFERS if o.id == offer_id), None)
    assert found is not None, offer_id
    return found


BASE = Profile(age=20, commune=NANTERRE, schooling="cap_bep", situation="emploi", rsa=False)


@pytest.mark.parametrize(("change", "offer_id", "rule"), [
    ({"age": 17}, "tr-cariste", "age"),
    ({"age": 19}, "pg-promo-16-18", "age"),
    ({"age": None}, "tr-cariste", "age"),
    ({"schooling": "aucun"}, "tr-dev-web", "level"),
    ({"schooling": "bac_plus_2"}, "pg-e2c", "level"),
    ({"schooling": None}, "tr-secretaire-assistant", "level"),
    ({"rsa": False}, "pg-solidarite-transport", "rsa"),
    ({"rsa": None}, "pg-solidarite-transport", "rsa"),
    ({"commune": COLOMBES}, "sv-avip-nanterre", "residence"),
    ({"commune": NANTERRE}, "sv-ccas-boulogne", "residence"),
    ({"commune": OUTSIDE}, "tr-prepa-commandes", "residence"),
    ({"situation": "etudes"}, "pg-cej", "situation"),
    ({"situation": "en_emploi", "schooling": "aucun"}, "pg-e2c", "situation"),
    ({"situation": None}, "pg-cej", "situation"),
    ({"situation": "emploi"}, "pg-prime-activite", "situation"),
    ({"obstacles": ("mobilite",)}, "tr-conducteur-livreur", "mobilite"),
    ({"obstacles": ("mobilite",)}, "job-chauffeur-livreur", "mobilite"),
    ({"obstacles": ("famille",)}, "pg-epide", "famille"),
    ({"obstacles": ("famille",)}, "tr-agent-securite", "famille"),
    ({"obstacles": ("langue",)}, "tr-secretaire-assistant", "langue"),
    ({}, "sv-cidff-droits", "publics"),
])
def test_each_rule_keeps_out_who_cannot_enter(change: dict, offer_id: str, rule: str) -> None:  # type: ignore[type-arg]
    profile = dataclasses.replace(BASE, **change)
    assert why_not(offer(offer_id), profile, TERRITORY, TODAY) == rule
    assert offer_id not in [s.offer.id for s in top(profile)]


def test_the_same_offers_are_open_when_the_rule_is_met() -> None:
    assert why_not(offer("tr-cariste"), BASE, TERRITORY, TODAY) is None
    assert why_not(offer("sv-avip-nanterre"), BASE, TERRITORY, TODAY) is None
    assert why_not(offer("pg-solidarite-transport"), dataclasses.replace(BASE, rsa=True), TERRITORY, TODAY) is None
    mother = dataclasses.replace(BASE, obstacles=("famille",))
    assert why_not(offer("sv-cidff-droits"), mother, TERRITORY, TODAY) is None


def test_a_training_whose_sessions_are_all_past_is_not_suggested() -> None:
    later = dt.date(2027, 12, 1)  # every session of tr-dev-web is before this day
    assert why_not(offer("tr-dev-web"), dataclasses.replace(BASE, schooling="bac"), TERRITORY, later) == "no_session"
    assert why_not(offer("tr-cap-coiffure"), BASE, TERRITORY, later) is None  # entries all year round


def test_nothing_is_assumed_when_the_profile_is_empty() -> None:
    unknown = Profile()
    found = top(unknown)
    assert found  # national, unrestricted offers remain
    for suggestion in found:
        o = suggestion.offer
        assert not o.situations_excluded and o.level_required == "aucun" and o.level_max is None
        assert o.age_min <= 16 and o.age_max >= 25 and o.rsa != "required"
        assert not o.zone or "france" in o.zone


def test_the_same_profile_always_gets_the_same_list() -> None:
    shuffled = list(OFFERS)
    for seed in range(5):
        random.Random(seed).shuffle(shuffled)
        for case in CASES:
            assert [s.offer.id for s in top(case.profile, offers=tuple(shuffled))] == \
                [s.offer.id for s in top(case.profile)]


def test_whether_there_is_an_idea_is_answered_as_suggest_would() -> None:
    """``has_suggestions`` (the end of onboarding) stops at the first fit: it must agree with ``suggest``."""
    rng = random.Random(7)
    communes = (None, OUTSIDE, GENNEVILLIERS, BOULOGNE, NANTERRE, ANTONY, RUEIL)
    situations = (None, "emploi", "formation", "alternance", "rien", "etudes", "en_emploi")
    paths = tuple(o for o in OFFERS if o.role == "path")
    supports = tuple(o for o in OFFERS if o.role == "support")
    seen: set[bool] = set()
    for _ in range(400):
        profile = Profile(
            age=rng.choice((None, 15, 16, 17, 19, 22, 25, 26, 30)), commune=rng.choice(communes),
            schooling=rng.choice((None, *LEVELS)), situation=rng.choice(situations),
            rsa=rng.choice((None, True, False)), obstacles=tuple(rng.sample(TOPICS, rng.randint(0, 3))),
            sectors=tuple(rng.sample(SECTEURS, rng.randint(0, 2))),
        )
        for offers in (OFFERS, supports, paths[:3], ()):
            expected = bool(suggest(offers, profile, TERRITORY, TODAY))
            assert has_suggestions(offers, profile, TERRITORY, TODAY) is expected, profile
            seen.add(expected)
    assert seen == {True, False}


@pytest.mark.parametrize("case", [c for c in CASES if c.profile.obstacles], ids=lambda c: c.name)
def test_each_obstacle_adds_a_matching_support_service(case: Case) -> None:
    obstacles = case.profile.obstacles
    supports = [s for s in top(case.profile) if s.offer.role == "support"][:len(obstacles)]
    assert sorted(s.support_for for s in supports) == sorted(obstacles)
    for suggestion in supports:
        assert suggestion.support_for in suggestion.offer.topics
        assert any(r.code == "obstacle" for r in suggestion.reasons)


@pytest.mark.parametrize(("obstacle", "expected"), [
    ("mobilite", {"pg-solidarite-transport", "pg-aide-permis-ft", "sv-conseil-mobilite", "sv-permis-social",
                  "pg-permis-1-euro", "pg-aide-permis-ml", "sv-location-deux-roues"}),
    ("logement", {"pg-visale", "sv-115", "sv-fjt-nanterre", "sv-fjt-boulogne", "sv-adil-logement"}),
    ("langue", {"pg-competences-base", "sv-ateliers-francais", "sv-illettrisme-info"}),
    ("famille", {"sv-avip-nanterre", "sv-garde-caf"}),
    ("sante", {"sv-mda-ecoute", "sv-bilan-sante", "sv-c2s", "sv-fil-sante-jeunes"}),
    ("argent", {"sv-faj", "sv-conseil-budget", "sv-aide-alimentaire", "sv-caf-droits", "pg-solidarite-transport"}),
    ("demarches", {"sv-france-services", "sv-point-justice", "sv-caf-droits"}),
])
def test_the_support_added_is_of_the_right_kind(obstacle: str, expected: set[str]) -> None:
    profile = dataclasses.replace(BASE, rsa=True, obstacles=(obstacle,))
    supports = [s for s in top(profile) if s.support_for == obstacle]
    assert supports and supports[0].offer.id in expected


def test_paid_training_comes_first_when_money_is_short() -> None:
    coder = Profile(age=19, commune=ASNIERES, schooling="cap_bep", situation="rien", rsa=False,
                    sectors=("numerique",))
    short = dataclasses.replace(coder, obstacles=("argent",))
    paid, unpaid = offer("tr-tech-informatique"), offer("tr-prepa-numerique")  # Clamart, paid / Asnières, unpaid
    assert score(paid, short, TERRITORY, TODAY)[0] - score(paid, coder, TERRITORY, TODAY)[0] == 20
    assert score(unpaid, short, TERRITORY, TODAY)[0] - score(unpaid, coder, TERRITORY, TODAY)[0] == -20

    def trainings(profile: Profile) -> list[str]:
        return [s.offer.id for s in top(profile) if s.offer.kind == "training"]

    assert trainings(coder).index(unpaid.id) < trainings(coder).index(paid.id)  # at home comes first...
    assert trainings(short).index(paid.id) < trainings(short).index(unpaid.id)  # ...unless money is short
    reasons = next(s for s in top(short) if s.offer.id == paid.id).reasons
    assert [r.code for r in reasons[:2]] == ["sector", "paid"]
    assert reasons[1].text == "La formation est payée, et l'argent te manque."


@pytest.mark.parametrize(("home", "code"), [
    (GENNEVILLIERS, "same_commune"), (ASNIERES, "neighbour"), (CLICHY, "territory"), (ANTONY, None),
])
def test_closer_is_better(home: str, code: str | None) -> None:
    profile = dataclasses.replace(BASE, commune=home)
    _, reasons = score(offer("tr-prepa-commandes"), profile, TERRITORY, TODAY)
    assert code in [r.code for r in reasons] if code else not any(
        r.code in ("same_commune", "neighbour", "territory") for r in reasons)
    order = [GENNEVILLIERS, ASNIERES, CLICHY, ANTONY]
    scores = [score(offer("tr-prepa-commandes"), dataclasses.replace(BASE, commune=c), TERRITORY, TODAY)[0]
              for c in order]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == 4


def _training(training_id: str, start: dt.date) -> Offer:
    entry = Training.model_validate({
        "id": training_id, "name": "Formation test", "summary": "Une formation pour tester.", "secteur": "logistique",
        "organisme": "Test", "duration": "1 mois", "paid": True, "place": NANTERRE, "next_sessions": [start],
        "how_to_apply": "Demande.", "source": "test", "checked_on": "2026-11-27",
    })
    made = offer_of(entry)
    assert made is not None
    return made


def test_the_soonest_start_wins_between_equals() -> None:
    soon, later = _training("tr-z-soon", dt.date(2026, 12, 14)), _training("tr-a-later", dt.date(2027, 3, 1))
    found = top(BASE, offers=(later, soon))
    assert [s.offer.id for s in found] == ["tr-z-soon", "tr-a-later"]
    soon_reason = next(r for r in found[0].reasons if r.code == "soon")
    assert soon_reason.text == "Ça commence bientôt : lundi 14 décembre."
    assert "soon" not in [r.code for r in found[1].reasons]


def test_a_request_narrows_the_search_without_changing_the_profile() -> None:
    profile = Profile(age=20, commune=COLOMBES, schooling="cap_bep", situation="rien", rsa=False,
                      sectors=("numerique",))
    found = top(profile, Request(kinds=("training", "programme"), secteur="logistique", commune=NANTERRE,
                                 situation="formation"))
    paths = [s for s in found if s.offer.role == "path"]
    assert paths[0].offer.id == "tr-prepa-commandes"
    assert all(s.offer.secteur in (None, "logistique") for s in found)
    assert all(s.offer.kind in ("training", "programme") for s in paths)
    assert paths[0].reasons[0].text == "Tu veux travailler en logistique."
    near = score(offer("tr-cariste"), profile, TERRITORY, TODAY, Request(commune=GENNEVILLIERS))[1]
    assert "C'est à Villeneuve-la-Garenne, juste à côté." in [r.text for r in near]


def test_a_request_for_help_lists_only_what_helps_with_it() -> None:
    found = top(BASE, Request(topics=("logement",)))
    assert found and all("logement" in s.offer.topics for s in found)
    assert found[0].reasons[0].text == "Tu cherches une aide pour te loger."
    money = top(BASE, Request(topics=("argent",)))
    assert "pg-cej" in [s.offer.id for s in money]  # the CEJ allocation helps too


def test_an_apprenticeship_request_keeps_only_work_study_paths() -> None:
    found = top(BASE, Request(kinds=("training", "programme", "job"), situation="alternance", alternance_only=True))
    paths = [s for s in found if s.offer.role == "path"]
    assert paths and all(s.offer.alternance for s in paths)


def table() -> str:
    """The cases as a Markdown table: profile, then the top 3 with the reasons shown on the cards."""
    lines = ["| Profil | Idée 1 | Idée 2 | Idée 3 |", "| --- | --- | --- | --- |"]
    for case in CASES:
        cells = []
        for s in top(case.profile)[:3]:
            why = " ".join(r.text for r in s.reasons[:2])
            cells.append(f"**{s.offer.title}** ({s.offer.id}, {s.score} pts) — {why}")
        lines.append(f"| {case.name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
