"""Offers from the Département's employers, reserved for the programme's public (issue #21, item 4).

Entered by the Département's team in CSV or JSON, on the desk (web/offers.py) or with ``tremplin offers import
FILE``, and kept in the database (storage/employer_offers.py). Each offer is
checked: its fields, its commune (of the Hauts-de-Seine), its ROME code, and that no free text carries a
discriminatory criterion (Code du travail, art. L1132-1: sex, origin, religion, health, disability, family
situation, pregnancy, address, physical appearance, age...). Reserving an offer to young people of 16 to
25, the public of the programme, is allowed. An expired offer is never shown, with no one deleting it.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from flows.data.catalogue import OUR_ID, Secteur
from flows.data.datafile import DataFileError, check_unique, validate_entries
from flows.data.live_offers import LiveOffer
from flows.data.rome import Rome
from flows.data.territory import Territory

Contract = Literal["CDI", "CDD", "interim", "apprentissage", "professionnalisation", "saisonnier", "stage"]
CONTRACT_WORDS = {"CDI": "Contrat sans date de fin", "CDD": "Contrat à durée limitée", "interim": "Intérim",
                  "apprentissage": "Apprentissage", "professionnalisation": "Contrat de professionnalisation",
                  "saisonnier": "Saisonnier", "stage": "Stage"}
ALTERNANCE_CONTRACTS = ("apprentissage", "professionnalisation")
FREE_TEXT = ("title", "description", "requirements", "hours")
LOCAL = "departement"  # their LiveOffer.source


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'")


# Each criterion: words that state it as a requirement. "H/F", "F/H" (the inclusive mention the law asks
# for) are not a criterion; the checks read the folded text (no accents, lower case).
DISCRIMINATORY: tuple[tuple[str, re.Pattern[str]], ...] = tuple((name, re.compile(pattern)) for name, pattern in (
    ("sexe", r"\b(homme|femme|garcon|fille)s? (uniquement|seulement|exclusivement)\b|\b(uniquement|seulement|"
             r"exclusivement|reserve aux|pour) (des |les |un |une )?(homme|femme|garcon|fille)s?\b|\bsexe\b"),
    ("origine", r"\b(origine (francaise|etrangere|europeenne|africaine|maghrebine)|nationalite|ethni\w*|race|"
                r"type europeen|francais de souche|couleur de peau)\b"),
    ("religion", r"\b(religion|non voilee?s?|sans voile|foulard|musulman\w*|catholique\w*|juif|juive|"
                 r"chretien\w*)\b"),
    ("santé ou handicap", r"\b(bonne sante|etat de sante|sans handicap|pas de handicap|handicape\w*|"
                          r"non fumeur)\b"),
    ("situation de famille", r"\b(celibataire|marie[es]?|sans enfants?|pas d'enfants?|situation familiale|"
                             r"enceinte|grossesse)\b"),
    ("lieu de résidence", r"\b(habitant[es]? d[eu]|residant[es]? [ad]|domicilie[es]? [ad]|pas de quartier|"
                          r"hors quartier|lieu de residence)\b"),
    ("apparence physique", r"\b(physique agreable|belle presentation|apparence physique|taille minimum|"
                           r"poids (minimum|maximum))\b"),
    ("opinions ou syndicat", r"\b(syndiqu\w*|syndicat|opinion politique)\b"),
))
AGE = re.compile(r"\b(\d{2}) ?(?:a|-) ?(\d{2}) ans\b|\b(?:moins de|de moins de|max(?:imum)?) (\d{2}) ans\b|"
                 r"\b(?:plus de|minimum|au moins) (\d{2}) ans\b")


def discriminatory_criterion(text: str) -> tuple[str, str] | None:
    """The first discriminatory criterion in this text: (its name, the words), or None.

    An age is allowed only as the programme's own reservation, within 16 to 25 ("moins de 26 ans",
    "16-25 ans"); any other age limit is refused.
    """
    folded = _fold(text)
    for name, pattern in DISCRIMINATORY:
        found = pattern.search(folded)
        if found:
            return name, found.group(0)
    for found in AGE.finditer(folded):
        low, high, under, over = found.groups()
        if low and high and (int(low) < 16 or int(high) > 25):
            return "âge", found.group(0)
        if under and int(under) > 26:
            return "âge", found.group(0)
        if over and (int(over) > 25 or int(over) < 16):
            return "âge", found.group(0)
    return None


class EmployerOffer(BaseModel):
    """One offer of a local employer, for the programme's public."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=OUR_ID)
    title: str = Field(min_length=3, max_length=90)
    employer: str = Field(min_length=2, max_length=90)
    commune: str = Field(pattern=r"^\d[\dAB]\d{3}$")  # INSEE code, a commune of the Hauts-de-Seine
    contract: Contract
    start: dt.date | None = None  # None: as soon as possible
    expires: dt.date
    contact: str = Field(min_length=5, max_length=200)  # e-mail, phone or link to apply
    secteur: Secteur
    rome: str | None = Field(None, pattern=r"^[A-N]\d{4}$")
    hours: str | None = Field(None, max_length=60)
    description: str | None = Field(None, max_length=400)
    requirements: str | None = Field(None, max_length=200)
    beginner: bool = True
    example: bool = False  # the shipped examples; the Département's own entries are not

    @field_validator(*FREE_TEXT)
    @classmethod
    def _no_discrimination(cls, value: str | None) -> str | None:
        found = discriminatory_criterion(value) if value else None
        if found:
            criterion, words = found
            raise ValueError(f"« {words} » is a discriminatory criterion ({criterion}, Code du travail L1132-1): "
                             "remove it; only the reservation to people of 16 to 25 is allowed")
        return value

    @model_validator(mode="after")
    def _dates(self) -> EmployerOffer:
        if self.start is not None and self.start > self.expires:
            raise ValueError("start: after the expiry date")
        return self

    def as_live(self, territory: Territory) -> LiveOffer:
        """As a live offer, so that the ideas show it like the others."""
        commune = territory.commune(self.commune)
        return LiveOffer(
            source=LOCAL, id=self.id, title=self.title, employer=self.employer,
            place=commune.name if commune else None, insee=self.commune, contract=CONTRACT_WORDS[self.contract],
            hours=self.hours, start=self.start.isoformat() if self.start else None, url=self.contact,
            rome=self.rome, beginner=self.beginner, alternance=self.contract in ALTERNANCE_CONTRACTS,
        )


def check_offers(where: str, rows: Iterable[Any], territory: Territory | None, rome: Rome | None
                 ) -> list[EmployerOffer]:
    """Validate rows as employer offers; the first problem raises with the entry and the field named."""
    offers = validate_entries(where, rows, EmployerOffer)
    check_unique(Path(where), offers, "id")
    for index, offer in enumerate(offers):
        label = f"{where}: entry {index + 1} ({offer.id})"
        if territory is not None and territory.commune(offer.commune) is None:
            raise DataFileError(f"{label}: commune: '{offer.commune}' is not a commune of the Hauts-de-Seine")
        if rome is not None and offer.rome is not None and not rome.known(offer.rome):
            raise DataFileError(f"{label}: rome: '{offer.rome}' is not a known ROME 4.0 code")
    return offers


OPTIONAL = ("start", "rome", "hours", "description", "requirements")


def _cleaned(row: dict[str, Any]) -> dict[str, Any]:
    """A CSV row as the model reads it: empty optional cells are absent, "oui"/"non" are booleans."""
    out = {k: v for k, v in row.items() if not (k in OPTIONAL and v in ("", None))}
    if isinstance(out.get("beginner"), str):
        out["beginner"] = out["beginner"].strip().lower() in ("oui", "true", "1", "yes")
    return out


def read_offers(name: str, text: str, territory: Territory | None, rome: Rome | None) -> list[EmployerOffer]:
    """The offers of a CSV (, ; or tab) or JSON text (a list, or an object with "offers"), checked: the first
    problem raises with the entry and the field named (``tremplin offers import``, the desk's *Offres*)."""
    if name.lower().endswith(".json"):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataFileError(f"{name}: not valid JSON at line {exc.lineno}") from exc
        rows = document.get("offers", document) if isinstance(document, dict) else document
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise DataFileError(f"{name}: expected a list of offers (or an object with 'offers')")
    else:
        text = text.removeprefix("\ufeff")
        try:
            dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        rows = [{k.strip(): v for k, v in row.items() if k} for row in csv.DictReader(text.splitlines(),
                                                                                        dialect=dialect)]
    return check_offers(name, [_cleaned(r) for r in rows], territory, rome)


def current(offers: Sequence[EmployerOffer], today: dt.date) -> list[EmployerOffer]:
    """The offers not expired today: an expired offer disappears by itself."""
    return [o for o in offers if o.expires >= today]
