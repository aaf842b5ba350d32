"""The profile fields: each declared once, in the order onboarding asks them.

A field is a column of the person's profile with everything about it: its question and why it is
asked, its values and their labels, how any message is read for it, and how an answer is said back.
Every message of the onboarding is read for every field (``read_message``), whatever question is on
screen: "moi c sami, 21 ans, jsuis a vanves" fills three at once. A field's reader is lenient at its
own question ("19" is an age there) and strict elsewhere (a number alone is not an age at the town
question; a first name needs "je m'appelle" outside its own question).

Adding a question: one ``Field`` in ``FIELDS`` (and the migration of its column); onboarding, /profil,
back and skip follow from the declaration.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flows.data.territory import OUTSIDE, fold
from flows.engine.script import Option
from flows.rules.formatting import join
from nlu import names

if TYPE_CHECKING:
    from flows.engine.turn import Turn

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
ANSWERED = "answered"  # conversation scratch data: the fields answered, skipped or closed by "c'est tout"


def label(options: Sequence[Option], value: str | None) -> str:
    """The words shown for a stored answer to the question of these options.

    Per question: the same value can mean two things ("aucun": no diploma, or nobody following them).
    """
    return next((o.label for o in options if o.value == value), value or "")


@dataclass(frozen=True, slots=True)
class Found:
    """A value read from a message. ``weak``: guessed from the gist (an intent), never overwrites."""

    value: Any
    weak: bool = False
    sure: bool = True  # False: ask "je t'appelle X ?" before keeping it
    loose: bool = False  # read from a yes/no or a word of the buttons, not from words about this field
    spans: tuple[tuple[int, int], ...] = ()  # where in the text (entities), to not read one word twice


Reader = Callable[["Turn", bool], Found | None]


@dataclass(frozen=True)
class Field:
    """One answer of the profile: a column of ``people`` and its question."""

    name: str  # the column, and the step "onboarding.<name>"
    label: str  # in /profil
    question: str
    read: Reader
    said: Callable[[Turn, Any], str]  # the value said back in "Noté : …"
    why: str | None = None  # said once before the question
    explain: str | None = None  # the question in other words, after two misunderstandings
    options: tuple[Option, ...] = ()
    columns: int = 2
    multiple: bool = False  # several answers, closed by "C'est tout"
    none_label: str = "Rien de tout ça"  # multiple: the button that answers "none"
    optional: bool = True  # "Passer" is offered
    from_option: Callable[[str], Any] = str  # a button's value as stored
    buttons: Callable[[Turn], tuple[Option, ...]] | None = None  # options that depend on the data files
    entity: str | None = None  # the NLU entity that names its values (lists)

    def options_for(self, t: Turn) -> tuple[Option, ...]:
        """The buttons of the question, as asked to this person now."""
        return self.buttons(t) if self.buttons else self.options

    @property
    def step(self) -> str:
        """The name of the onboarding step that asks it."""
        return f"onboarding.{self.name}"


# --- Reading a message --------------------------------------------------------------------------

# "pas le bac", "jamais eu mon bac", "sans permis": a negation, then at most a verb and a determiner.
NEGATION_BEFORE = re.compile(
    r"\b(?:pas|plus|jamais|sans|aucun|aucune|ni|non)(?:\s+(?:encore|vraiment|trop|eu|obtenu|fait|touche|eu droit))?"
    r"(?:\s+(?:de|d|le|la|les|l|du|des|mon|ma|mes|un|une|son|sa|ce|cette|au|a|en|droit au))?"
    r"(?:\s+(?:souci|soucis|probleme|problemes|galere|galeres)\s+(?:de|d|avec|pour|du|des))?\s*$"
)
QUESTION_WORDS = re.compile(
    r"^(?:et )?(?:c est quoi|cest quoi|c quoi|ca veut dire|qu est ce|quoi|comment|pourquoi|c est qui|"
    r"ca sert a quoi|cest ou|c est ou|ou est)\b|\b(?:c est quoi|cest quoi|c quoi|ca veut dire quoi)\b"
)


def asks(t: Turn) -> bool:
    """The message is a question, not an answer."""
    return bool(QUESTION_WORDS.search(t.folded))


def negated(t: Turn, start: int) -> bool:
    """The words just before ``start`` say no ("g pas le bac", "sans permis")."""
    return bool(NEGATION_BEFORE.search(fold(t.text[:start])))


def _entities(t: Turn, name: str) -> list[tuple[str, bool]]:
    """Each value of an entity with whether it is negated, in order."""
    if t.parsed is None:
        return []
    return [(e.value, negated(t, e.start)) for e in t.parsed.entities if e.entity == name]


SHORT = 6  # words: a short message is an answer; in a longer one, "non" or "ok" may be about something else


def _short(t: Turn) -> bool:
    return len(t.folded.split()) <= SHORT


def _choice(t: Turn, options: Sequence[Option]) -> str | None:
    """At the field's own question: the option typed (label, alias, number) among these. Inside a longer
    message only a word of four letters or more counts ("non attends, je touche pas le rsa" is no answer
    to "who follows you?")."""
    chosen = t.choice()
    option = next((o for o in options if o.value == chosen), None)
    if option is None:
        return None
    if not _short(t):
        said = f" {t.folded} "
        if not any(len(n) >= 4 and f" {n} " in said for n in (fold(x) for x in (option.label, *option.aliases))):
            return None
    return option.value


def _denied(t: Turn) -> bool:
    """A short "no" ("nan", "non personne")."""
    return _short(t) and t.is_intent("deny")


def read_first_name(t: Turn, current: bool) -> Found | None:
    entity = next((e for e in t.parsed.entities if e.entity == "first_name"), None) if t.parsed else None
    if current:
        reading = names.read_first_name(t.text)
        if reading is not None:
            return Found(reading.name, sure=reading.known)
    if entity is not None and (current or len(entity.value) < len(t.text.strip()) - 2):
        return Found(entity.value)  # outside its question only when introduced ("je m'appelle …")
    return None


AGE_ALONE = re.compile(r"^\s*(?:j ?ai |g |jai )?(\d{1,2})\s*(?:ans?|a|piges?)?\s*[.!]*\s*$")
BIRTH_YEAR = re.compile(r"^\s*(?:ne[e]? en\s+)?(19[89]\d|20[0-2]\d)\s*$")


def read_age(t: Turn, current: bool) -> Found | None:
    if (value := t.entity("age")) and value.isdigit():
        return Found(int(value))
    if t.event.kind == "button":
        return None
    if alone := AGE_ALONE.match(t.folded):
        years = int(alone.group(1))
        # A number alone is an age at its question; elsewhere only a plausible one, when the age is missing
        # (the person answers the question they expect: "19" right after their first name).
        if current or (MIN_AGE <= years <= MAX_AGE and t.person.age is None):
            return Found(years)
    if not current and CORRECTION.search(t.folded) and _short(t) and not t.entities("time"):
        numbers = re.findall(r"\b\d{1,2}\b", t.folded)
        if len(numbers) == 1 and MIN_AGE <= int(numbers[0]) <= MAX_AGE:
            return Found(int(numbers[0]))  # "euh non 18": the age just given, corrected
    if current:
        if year := BIRTH_YEAR.match(t.folded):
            return Found(t.now.year - int(year.group(1)))
        numbers = re.findall(r"\b\d{1,2}\b", t.folded)
        if len(numbers) == 1 and _short(t) and not t.entities("time"):  # "bon ok 17"
            return Found(int(numbers[0]))
    return None


OUTSIDE_WORDS = re.compile(
    r"\b(?:hors|pas dans le 92|paris|seine saint denis|val d oise|val de marne|yvelines|essonne|province|"
    r"93|94|95|78|91|77|75\d*)\b"
)


def _commune_buttons(t: Turn) -> tuple[Option, ...]:
    biggest = t.world.territory.largest_communes(4)
    return (*(Option(c.insee, c.name) for c in biggest), Option(OUTSIDE, "Hors Hauts-de-Seine", ("hors 92",)))


def read_commune(t: Turn, current: bool) -> Found | None:
    # The NLU's longest match first: "la garenne colombes" is not the button "Colombes".
    named = t.entity("commune")
    if named == OUTSIDE:  # a town of another département (nlu/data/lookups/outside_92.yml)
        return Found(OUTSIDE)
    found = t.world.territory.commune_named(named) if named else None
    if found is not None:
        return Found(found.insee)
    if current and (chosen := t.choice()) and (chosen == OUTSIDE or t.world.territory.commune(chosen)):
        return Found(chosen)
    if current and OUTSIDE_WORDS.search(t.folded):
        return Found(OUTSIDE)
    return None


SCHOOLING_ORDER = tuple(o.value for o in SCHOOLING)


def read_schooling(t: Turn, current: bool) -> Found | None:
    named = _entities(t, "diplome")
    said = [value for value, no in named if not no and value in SCHOOLING_ORDER]
    if said:
        return Found(max(said, key=SCHOOLING_ORDER.index))  # the highest one named is the last one
    if named:  # only negated ones: "g pas le bac", "j'ai aucun diplôme"
        return Found("aucun")
    if current:
        chosen = _choice(t, SCHOOLING)
        if chosen is None and _denied(t):
            chosen = "aucun"
        return Found(chosen, loose=True) if chosen else None
    return None


def read_situation(t: Turn, current: bool) -> Found | None:
    named = [value for value, no in _entities(t, "situation") if not no]
    if named:
        return Found(named[-1])
    if current and (chosen := _choice(t, SITUATIONS)):
        return Found(chosen)
    if t.sure and (guessed := SITUATION_OF_INTENT.get(t.intent or "")):
        return Found(guessed, weak=not current)
    return None


def read_rsa(t: Turn, current: bool) -> Found | None:
    named = _entities(t, "rsa")
    if named:
        return Found(not named[0][1])
    if current:
        chosen = _choice(t, YES_NO)
        if chosen is None and DONT_KNOW.search(t.folded):
            chosen = "nsp"  # "euh jsp c'est ma soeur qui s'occupe des papiers", "je c pas" (not a "pas")
        if chosen is None and NO_RIGHT.search(t.folded):
            return Found(False)  # "j'ai pas le droit", at the RSA question: words about the RSA
        if chosen is None:
            chosen = "oui" if _short(t) and t.is_intent("affirm") else "non" if _denied(t) else None
        if chosen:
            return Found(BY_NAME["rsa"].from_option(chosen), loose=True)
    return None


NO_RIGHT = re.compile(r"\b(?:pas|plus) (?:le )?droit\b")
DONT_KNOW = re.compile(
    r"\b(?:jsp|jcp|je sais pas|jsais pas|jsai pas|chais pas|chai pas|je ne sais pas|aucune idee|sais pas|"
    r"je c pas|j c pas|jc pas|je sai pas|j en sais rien|jen sais rien|je sais plus|jsais plus)\b"
)


FOLLOWED_CONTEXT = re.compile(r"\b(?:suivie?s?|inscrite?s?|conseill\w*|accompagn\w*|referente?|dossier|vais a)\b")


def read_followed_by(t: Turn, current: bool) -> Found | None:
    named = _entities(t, "suivi")
    said = {value for value, no in named if not no}
    if said and (current or FOLLOWED_CONTEXT.search(t.folded) or CORRECTION.search(t.folded)):
        before = t.person.followed_by
        if before in ("mission_locale", "france_travail") and ALSO.search(t.folded):
            said.add(before)  # "et aussi France Travail"
        return Found("les_deux" if len(said) > 1 else said.pop())
    if current:
        chosen = _choice(t, FOLLOWED)
        if chosen is None and (_denied(t) or named):  # "non", "pas inscrit à France Travail"
            chosen = "aucun"
        return Found(chosen, loose=True) if chosen else None
    return None


ALSO = re.compile(r"\b(?:aussi|les deux|les 2|et)\b")


def _multi_reader(entity: str, options: tuple[Option, ...]) -> Reader:
    values = [o.value for o in options]

    def read(t: Turn, current: bool) -> Found | None:
        mentioned = [e for e in (t.parsed.entities if t.parsed else ()) if e.entity == entity and e.value in values]
        # "pas de souci de santé" says no; "pas le permis" is one phrase of the NLU, a difficulty.
        found = [e for e in mentioned if not negated(t, e.start)]
        named = [e.value for e in found]
        spans = tuple((e.start, e.end) for e in found)
        if current and t.event.kind != "button" and len(found) == len(mentioned):
            # At its own question, the words of the buttons count too: "transport ou logistique".
            typed = [value for value in t.choices() if value in values]
            if typed:  # "santé, aide-soignante": the word of a button is this list's, not another's
                named += [value for value in typed if value not in named]
                spans = ((0, len(t.text)),)
        return Found([v for v in values if v in named], spans=spans) if named else None

    return read


def _said_option(options: tuple[Option, ...]) -> Callable[[Turn, Any], str]:
    def said(t: Turn, value: Any) -> str:
        text = label(options, value)
        return text if text[1:2].isupper() else text[:1].lower() + text[1:]

    return said


def _said_list(what: str, options: tuple[Option, ...]) -> Callable[[Turn, Any], str]:
    def said(t: Turn, value: Any) -> str:
        return f"{what} : {join([label(options, v).lower() for v in value])}" if value else f"{what} : aucun"

    return said


def _said_commune(t: Turn, insee: Any) -> str:
    if insee == OUTSIDE:
        return "hors Hauts-de-Seine"
    found = t.world.territory.commune(insee)
    return found.name if found else str(insee)


SITUATION_SAID = {
    "emploi": "tu cherches un emploi", "formation": "tu cherches une formation",
    "alternance": "tu cherches une alternance", "etudes": "tu es en études", "en_emploi": "tu as un travail",
    "rien": "rien pour l'instant",
}
FOLLOWED_SAID = {
    "mission_locale": "suivi par la mission locale", "france_travail": "suivi par France Travail",
    "les_deux": "suivi par la mission locale et France Travail", "aucun": "personne ne t'accompagne",
}

FIELDS: tuple[Field, ...] = (
    Field(
        "first_name", "Prénom", "C'est quoi ton prénom ? Je l'utilise pour te parler. La mission locale le voit aussi.",
        read_first_name, lambda t, v: str(v),
        explain="Écris seulement ton prénom, par exemple « Inès » ou « Karim ». Tu peux aussi passer.",
    ),
    Field(
        "age", "Âge", "Tu as quel âge ?", read_age, lambda t, v: f"{v} ans",
        why="Certaines aides dépendent de l'âge.",
        explain="Écris ton âge en chiffres, par exemple « 19 ».",
        options=(*(Option(str(n), str(n)) for n in range(MIN_AGE, MAX_AGE + 1)),
                 Option("under", "Moins de 16 ans"), Option("over", "Plus de 25 ans")),
        columns=5, optional=False, from_option=int,
    ),
    Field(
        "commune", "Ville", "Tu habites dans quelle ville ? Écris son nom.", read_commune, _said_commune,
        why="Je cherche des choses près de chez toi.",
        explain="Écris le nom de ta ville, par exemple « Nanterre » ou « Asnières ».", optional=False,
        buttons=_commune_buttons,
    ),
    Field(
        "schooling", "Diplôme", "Quel est ton dernier diplôme ?", read_schooling, _said_option(SCHOOLING),
        why="Ça m'aide à te proposer des formations à ta portée.", options=SCHOOLING, optional=False,
    ),
    Field(
        "situation", "Situation", "Aujourd'hui, tu en es où ?", read_situation,
        lambda t, v: SITUATION_SAID.get(v, str(v)), options=SITUATIONS, columns=1, optional=False,
    ),
    Field(
        "rsa", "RSA", "Tu touches le RSA ?", read_rsa,
        lambda t, v: "pas de RSA" if v is False else "RSA : oui" if v else "RSA : tu ne sais pas",
        why="Le RSA, c'est le revenu de solidarité active. Ça change les aides possibles.",
        options=YES_NO, columns=3, from_option=lambda v: {"oui": True, "non": False}.get(v),
    ),
    Field(
        "followed_by", "Accompagnement",
        "Quelqu'un t'accompagne déjà ? Une mission locale, ou France Travail (l'ancien Pôle emploi) ?",
        read_followed_by, lambda t, v: FOLLOWED_SAID.get(v, str(v)), options=FOLLOWED,
    ),
    Field(
        "obstacles", "Difficultés",
        "Qu'est-ce qui te complique la vie en ce moment ? Choisis tout ce qui compte, puis « C'est tout ».",
        _multi_reader("obstacle", OBSTACLES), _said_list("difficultés", OBSTACLES),
        options=OBSTACLES, multiple=True, entity="obstacle",
    ),
    Field(
        "sectors", "Métiers", "Quels métiers t'attirent ? Choisis-en un ou plusieurs, puis « C'est tout ».",
        _multi_reader("secteur", SECTORS), _said_list("métiers", SECTORS),
        options=SECTORS, multiple=True, entity="secteur", none_label="Je ne sais pas",
    ),
)
BY_NAME = {f.name: f for f in FIELDS}

# Intents that ask for something: such a message is not read for the profile outside its own question
# ("c'est quoi la mission locale ?" does not say who follows the person).
REQUEST_INTENTS = frozenset({
    "book_appointment", "cancel_appointment", "reschedule_appointment", "my_appointments", "talk_to_advisor",
    "mission_locale_info", "help", "stop_nudges", "delete_data", "goodbye",
})


def read_message(t: Turn, current: Field | None) -> dict[str, Found]:
    """Every field this message gives a value for (the current question's first). A question ("c'est quoi
    le RSA ?", "c quoi une mission locale") answers nothing."""
    if t.event.kind != "text" or not t.text or asks(t):
        return {}
    found: dict[str, Found] = {}
    here = current.read(t, True) if current is not None else None
    if current is not None and here is not None:
        found[current.name] = here
        if current.name == "first_name" and here.sure and t.entity("first_name") is None:
            return found  # a name alone ("Antony", "Grace") is only a name at this question
    if t.sure and t.intent in REQUEST_INTENTS:
        return found
    correcting = bool(CORRECTION.search(t.folded))
    for field in FIELDS:
        # An answer already given changes only when the person says so ("non attends, j'ai 20 ans"):
        # "jsuis en fac" at another question says nothing new about the diploma. Lists only grow.
        if field is not current and (correcting or field.multiple or not answered_in(t, field)) and (
            value := field.read(t, False)
        ) is not None and not _same_words(value, here) and not (value.weak and here is not None):
            found[field.name] = value  # a guess from the gist is no extra fact in an answer ("BTS")
    if current is not None and here is not None and here.loose and len(found) > 1 and correcting:
        del found[current.name]  # "non attends, j'ai 20 ans": the "non" is about the age
    return found


def _same_words(other: Found, here: Found | None) -> bool:
    """Another field read from the very words that answer the question on screen ("santé" at the
    question of trades is a trade, not also a difficulty)."""
    if here is None or not other.spans or not here.spans:
        return False
    return all(any(s < e2 and s2 < e for s2, e2 in here.spans) for s, e in other.spans)


CORRECTION = re.compile(
    r"\b(?:non|nan|nn|en fait|enfait|enfin|attends?|oups|pardon|plutot|finalement|trompee?|erreur|je voulais dire|"
    r"maintenant|desormais|pas\b.*\bmais|c est pas|cest pas|j ai dit|jai dit|corrige|au fait|aussi|ah si|"
    r"pas \d+)\b"
)


def answered_in(t: Turn, field: Field) -> bool:
    """The field was answered (or skipped, or answered "none"). A list named in passing ("bac pro commerce"
    names a trade) is still asked, with what was named already ticked: the person may have more to add."""
    value = getattr(t.person, field.name)
    return field.name in t.data.get(ANSWERED, []) or (not field.multiple and value is not None)
