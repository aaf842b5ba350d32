"""What a request for ideas asks: the kinds of ideas an intent looks for ("je cherche un emploi"), the
kinds of help named in a message ("un appart" -> logement), and the sector and town it names.
"""

from __future__ import annotations

import re

from flows.data.territory import fold
from flows.engine.turn import Turn
from flows.profile.values import SECTOR_VALUES
from flows.suggestions.matching import OBSTACLE_ORDER, Request

INTENT_REQUESTS = {
    "find_job": Request(kinds=("job", "programme"), situation="emploi"),
    "find_training": Request(kinds=("training", "programme"), situation="formation"),
    "find_apprenticeship": Request(kinds=("training", "programme", "job"), situation="alternance",
                                   alternance_only=True),
    "financial_aid": Request(topics=("argent",)),
}
# Words that say what a request for help is about (social_support has no entity for it).
TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    "logement": ("logement", "loger", "appart", "appartement", "studio", "loyer", "hlm", "foyer", "fjt",
                 "heberge", "hebergement", "dormir", "dors", "dort", "squat", "sdf", "expulse", "expulsion", "proprio",
                 "a la rue", "toit"),
    "sante": ("sante", "malade", "medecin", "docteur", "psy", "handicap", "soigner", "soins", "mutuelle",
              "enceinte", "dentiste", "lunettes", "moral", "depression", "addiction"),
    "famille": ("enfant", "enfants", "bebe", "creche", "garde", "nounou", "mon fils", "ma fille"),
    "argent": ("argent", "dette", "dettes", "budget", "banque", "compte bancaire", "facture", "factures",
               "amende", "amendes", "thune", "thunes", "manger", "decouvert", "fric", "sous"),
    "mobilite": ("permis", "transport", "transports", "voiture", "navigo", "deplacer", "conduite", "code",
                 "auto ecole", "velo", "scooter", "trottinette", "bouger"),
    "langue": ("lire", "ecrire", "francais", "lecture", "ecriture", "alphabetisation", "orthographe"),
    "demarches": ("papiers", "demarche", "demarches", "administratif", "caf", "titre de sejour", "carte vitale",
                  "impots", "dossier", "passeport", "carte d identite"),
}


def topics_in(text: str) -> list[str]:
    """The kinds of help named in a message ("je cherche un appart" -> logement), most urgent first."""
    folded = f" {fold(text)} "
    return [name for name in OBSTACLE_ORDER
            if any(re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", folded) for word in TOPIC_WORDS[name])]


async def narrowed(t: Turn, base: Request) -> Request:
    """The request with the message's sector and commune; an empty profile field is filled with them."""
    secteur = next((s for s in t.entities("secteur") if s in SECTOR_VALUES), None)
    named = t.entity("commune")
    found = t.world.territory.commune_named(named) if named else None
    if secteur and not t.person.sectors:
        await t.uow.people.update(t.person, sectors=[secteur])
    if found is not None and not t.person.commune:
        await t.uow.people.update(t.person, commune=found.insee)
    commune = found.insee if found is not None and found.insee != t.person.commune else None
    return Request(kinds=base.kinds, secteur=secteur, commune=commune, topics=base.topics,
                   situation=base.situation, alternance_only=base.alternance_only)
