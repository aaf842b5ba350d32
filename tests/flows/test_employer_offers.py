"""The Département's employers' offers: checked (no discriminatory criterion, the 16-25 reservation allowed),
imported from CSV or JSON, shown among the ideas without any API, and gone once expired."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.delivery import Delivery
from flows.assistant import build_engine
from flows.data.datafile import DataFileError
from flows.data.employer_offers import EmployerOffer, check_offers, current, discriminatory_criterion
from flows.data.rome import load_rome
from storage import Database
from tests.kit import ROOT, Harness, make_harness, territory

ROME = load_rome(ROOT / "data/rome")
OFFER = {"id": "dep-cariste-gen", "title": "Cariste en entrepôt", "employer": "Entrepôt Exemple", "commune": "92036",
         "contract": "CDD", "start": "2026-12-14", "expires": "2027-01-31", "contact": "recrutement@exemple.fr",
         "secteur": "logistique", "rome": "N1101", "hours": "Temps plein"}


@pytest.mark.parametrize(("text", "criterion"), [
    ("Femme uniquement", "sexe"),
    ("Poste réservé aux hommes", "sexe"),
    ("Nationalité française exigée", "origine"),
    ("Profil type européen", "origine"),
    ("Non voilée", "religion"),
    ("Bonne santé exigée", "santé ou handicap"),
    ("Sans handicap", "santé ou handicap"),
    ("Célibataire de préférence", "situation de famille"),
    ("Pas d'enfants", "situation de famille"),
    ("Habitants du quartier des Grésillons", "lieu de résidence"),
    ("Belle présentation", "apparence physique"),
    ("De 18 à 30 ans", "âge"),
    ("Plus de 30 ans", "âge"),
    ("Moins de 40 ans", "âge"),
])
def test_a_discriminatory_criterion_is_found(text: str, criterion: str) -> None:
    found = discriminatory_criterion(text)
    assert found is not None and found[0] == criterion


@pytest.mark.parametrize("text", [
    "Préparateur de commandes H/F", "Offre réservée aux 16-25 ans", "Pour les moins de 26 ans",
    "Permis poids lourd financé", "Adresse de l'entrepôt : rue du Port", "18 ans minimum", "Travail en équipe",
])
def test_ordinary_words_and_the_programme_s_reservation_pass(text: str) -> None:
    assert discriminatory_criterion(text) is None


@pytest.mark.parametrize(("change", "message"), [
    ({"requirements": "Homme uniquement"}, "requirements: « homme uniquement » is a discriminatory criterion (sexe"),
    ({"description": "Célibataire, disponible"}, "description: « celibataire » is a discriminatory criterion"),
    ({"commune": "75056"}, "commune: '75056' is not a commune of the Hauts-de-Seine"),
    ({"rome": "N9999"}, "rome: 'N9999' is not a known ROME 4.0 code"),
    ({"start": "2027-03-01"}, "start: after the expiry date"),
    ({"contract": "stage non payé"}, "contract: Input should be"),
])
def test_a_bad_offer_is_refused_with_the_entry_and_the_field(change: dict[str, str], message: str) -> None:
    with pytest.raises(DataFileError, match=r"offres\.csv: entry 1 \(dep-cariste-gen\): ") as raised:
        check_offers("offres.csv", [{**OFFER, **change}], territory(), ROME)
    assert message in str(raised.value)


def test_an_expired_offer_disappears_by_itself() -> None:
    [offer] = check_offers("x", [OFFER], territory(), ROME)
    assert current([offer], dt.date(2027, 1, 31)) == [offer]
    assert current([offer], dt.date(2027, 2, 1)) == []


runner = CliRunner()


def test_the_import_checks_then_writes_and_a_refusal_writes_nothing(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/offers.db"}
    good = tmp_path / "offres.json"
    good.write_text(json.dumps({"offers": [OFFER]}), encoding="utf-8")
    result = runner.invoke(app, ["offers", "import", str(good), "--dry-run"], env=env)
    assert result.exit_code == 0 and "OK (dry run): 1 offers" in result.output
    assert runner.invoke(app, ["offers", "validate"], env=env).output.startswith("Employer offers OK: 0 offers")
    result = runner.invoke(app, ["offers", "import", str(ROOT / "docs/examples/employer_offers.csv")], env=env)
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["offers", "validate"], env=env).output.startswith("Employer offers OK: 2 offers")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{**OFFER, "requirements": "Nationalité française"}]), encoding="utf-8")
    result = runner.invoke(app, ["offers", "import", str(bad)], env=env)
    assert result.exit_code == 1 and "« nationalite » is a discriminatory criterion (origine" in result.output
    assert runner.invoke(app, ["offers", "validate"], env=env).output.startswith("Employer offers OK: 2 offers")


async def with_local(db: Database, offers: list[EmployerOffer]) -> Harness:
    """A harness whose database holds the Département's list (as an import on the desk or the command leaves it)."""
    base = make_harness(db)
    world = dataclasses.replace(base.world, rome=ROME)
    async with db.transaction() as uow:
        await uow.employer_offers.replace_all([o.model_dump(mode="json") for o in offers], base.clock.now())
    return Harness(db, build_engine(db, world), world, base.clock, base.nlu, base.sender,
                   Delivery(db, [base.sender], base.clock))


async def test_a_local_offer_shows_among_the_ideas_without_any_api(db: Database) -> None:
    offers = check_offers("x", [OFFER, {**OFFER, "id": "dep-loin", "commune": "92002"}], territory(), ROME)
    harness = await with_local(db, offers)
    chat = harness.chat()
    for say in ("bonjour",):
        await chat.send(say)
    for label in ("D'accord",):
        await chat.press(label)
    await chat.send("Inès")
    await chat.press("19")
    await chat.send("Gennevilliers")
    for label in ("Aucun diplôme", "Je cherche un emploi", "Non", "Non, personne", "C'est tout", "Logistique",
                  "C'est tout"):
        await chat.press(label)
    cards = [r.text for r in await chat.press("Montre-moi") if r.text.startswith("💡")]
    assert cards[0].splitlines() == [
        "💡 Offre d'emploi : Cariste en entrepôt",
        "Chez Entrepôt Exemple. Une offre réservée aux jeunes, avec le Département.",
        "Gennevilliers · Contrat à durée limitée · Temps plein · début lundi 14 décembre",
        "👉 Pourquoi pour toi : C'est à Gennevilliers, ta ville. Pas besoin d'expérience.",
        "🔗 Pour postuler : recrutement@exemple.fr",
    ]
    assert not any("dep-loin" in c or "Antony" in c for c in cards)  # Antony is not near Gennevilliers
    harness.clock.set(dt.datetime(2027, 2, 1, 10, 0, tzinfo=dt.UTC))
    again = [r.text for r in await chat.command("idees") if r.text.startswith("💡")]
    assert not any("Cariste en entrepôt" in c and "Département" in c for c in again)
