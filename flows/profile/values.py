"""The values of the profile's answers and their labels, in one typed place: the questions, the
summary for advisors, the matching and the export all use these."""

from __future__ import annotations

from collections.abc import Sequence

from flows.engine.script import Option

DONE, NONE = "_done", "_none"  # the two closing buttons of a question with several answers

SCHOOLING = (
    Option("aucun", "Aucun diplôme", ("rien", "pas de diplome", "sans diplome", "aucun", "non", "nada")),
    Option("brevet", "Le brevet", ("brevet des colleges", "dnb", "3eme", "troisieme", "le bref", "bref")),
    Option("cap_bep", "CAP ou BEP", ("cap", "bep", "cap bep")),
    Option("bac", "Le bac", ("bac pro", "bac general", "bac techno", "baccalaureat", "bac")),
    Option("bac_plus_2", "Bac+2 ou plus", ("bts", "dut", "but", "licence", "master", "bac 2", "bac+3", "fac")),
)
SITUATIONS = (
    Option("emploi", "Je cherche un emploi", ("emploi", "travail", "taf", "boulot", "job", "je cherche", "jcherche")),
    Option("formation", "Je cherche une formation", ("formation",)),
    Option("alternance", "Je cherche une alternance", ("alternance", "apprentissage", "contrat pro")),
    Option("etudes", "Je suis en études", ("etudes", "etudiant", "lycee", "ecole", "fac", "cours")),
    Option("en_emploi", "J'ai un travail", ("je travaille", "en emploi", "cdi", "cdd", "interim")),
    Option("rien", "Rien pour l'instant", ("rien", "je fais rien", "nothing", "je sais pas", "r", "jfai r", "je fais r",
                                           "r jfai r", "jfais rien")),
)
SITUATION_OF_INTENT = {"find_job": "emploi", "find_training": "formation", "find_apprenticeship": "alternance"}
YES_NO = (
    Option("oui", "Oui", ("ouais", "ouai", "yes", "oe", "wi", "grave", "bien sur", "oui oui", "ouep")),
    Option("non", "Non", ("nan", "no", "pas du tout", "jamais", "non non")),
    Option("nsp", "Je ne sais pas", ("jsp", "je sais pas", "sais pas", "aucune idee", "je ne sais pas", "pas sur",
                                     "chais pas", "pas sure", "jsuis pas sur", "je suis pas sure", "jsais pas",
                                     "je sais plus")),
)
FOLLOWED = (
    Option("mission_locale", "Mission locale", ("mission locale", "ml", "la mission locale", "j y vais deja",
                                                "jy vais deja", "j y suis deja", "ah ouais jy vais deja")),
    Option("france_travail", "France Travail", ("france travail", "pole emploi", "pe", "ft")),
    Option("les_deux", "Les deux", ("les 2", "les deux")),
    Option("aucun", "Non, personne", ("non", "nan", "personne", "aucun", "rien", "non personne")),
)
OBSTACLES = (
    Option("mobilite", "Me déplacer", ("permis", "transport", "voiture", "mobilite", "bouger", "navigo")),
    Option("logement", "Logement", ("logement", "appart", "hebergement", "dormir", "loyer", "maison")),
    Option("sante", "Santé", ("sante", "malade", "handicap", "docteur", "medecin", "psy")),
    Option("famille", "Garde d'enfants", ("enfant", "enfants", "bebe", "creche", "garde", "famille", "nounou")),
    Option("langue", "Lire, écrire", ("lire", "ecrire", "francais", "lecture", "langue", "ecriture")),
    Option("argent", "Argent", ("argent", "thunes", "sous", "dettes", "fric", "budget", "maille")),
    Option("demarches", "Papiers, démarches", ("papiers", "demarches", "administratif", "caf", "titre de sejour")),
)
SECTORS = (
    Option("logistique", "Logistique", ("entrepot", "cariste", "magasinier", "preparateur de commandes")),
    Option("batiment", "Bâtiment", ("btp", "chantier", "maçon", "macon", "electricien", "plombier", "peintre")),
    Option("hotellerie_restauration", "Cuisine, restauration",
           ("cuisine", "restauration", "restaurant", "hotel", "serveur", "boulangerie", "patisserie")),
    Option("commerce_vente", "Commerce, vente", ("vente", "commerce", "vendeur", "caissier", "magasin")),
    Option("sante_social", "Santé, social", ("aide soignant", "social", "petite enfance", "aide a domicile")),
    Option("numerique", "Numérique", ("informatique", "dev", "developpeur", "web", "code", "numerique")),
    Option("securite", "Sécurité", ("agent de securite", "securite", "vigile", "ssiap")),
    Option("transport", "Transport", ("chauffeur", "livreur", "livraison", "conduite", "bus")),
    Option("proprete", "Propreté", ("menage", "nettoyage", "proprete", "entretien")),
    Option("animation_sport", "Animation, sport", ("animateur", "sport", "bafa", "coach", "animation")),
    Option("industrie", "Industrie", ("usine", "industrie", "production", "soudeur")),
    Option("espaces_verts", "Espaces verts", ("jardin", "jardinier", "paysagiste", "espaces verts")),
    Option("beaute_bien_etre", "Beauté", ("coiffure", "esthetique", "beaute", "ongles", "maquillage")),
    Option("automobile", "Automobile", ("mecanique", "garage", "carrosserie", "mecano", "auto")),
    Option("administratif", "Bureau, accueil", ("secretariat", "accueil", "bureau", "comptabilite", "admin")),
)
SECTOR_VALUES = frozenset(o.value for o in SECTORS)
MIN_AGE, MAX_AGE = 16, 25  # the public of the service


def label(options: Sequence[Option], value: str | None) -> str:
    """The words shown for a stored answer to the question of these options.

    Per question: the same value can mean two things ("aucun": no diploma, or nobody following them).
    """
    return next((o.label for o in options if o.value == value), value or "")
RSA_OF_OPTION = {"oui": True, "non": False}  # "nsp" (does not know): None

# The profile's codes in words an advisor reads (third person; the young person's own buttons say "je").
SITUATION_FOR_ADVISORS = {
    "emploi": "cherche un emploi", "formation": "cherche une formation", "alternance": "cherche une alternance",
    "etudes": "en études", "en_emploi": "a un travail", "rien": "rien pour l'instant",
}
SCHOOLING_FOR_ADVISORS = {"aucun": "aucun diplôme", "brevet": "brevet", "cap_bep": "CAP ou BEP", "bac": "bac",
                          "bac_plus_2": "bac+2 ou plus"}
FOLLOWED_FOR_ADVISORS = {"mission_locale": "mission locale", "france_travail": "France Travail",
                         "les_deux": "mission locale et France Travail", "aucun": "personne"}
OBSTACLES_FOR_ADVISORS = {
    "mobilite": "mobilité", "logement": "logement", "sante": "santé", "famille": "garde d'enfants",
    "langue": "lecture, écriture", "argent": "argent", "demarches": "papiers, démarches",
}
