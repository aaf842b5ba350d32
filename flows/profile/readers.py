"""How a message is read for each field of the profile: lenient at the field's own question ("19" is an
age there), strict elsewhere (a first name needs "je m'appelle" outside its own question)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flows.data.territory import OUTSIDE, fold
from flows.engine.script import Option
from flows.profile.values import (
    FOLLOWED,
    MAX_AGE,
    MIN_AGE,
    RSA_OF_OPTION,
    SCHOOLING,
    SITUATION_OF_INTENT,
    SITUATIONS,
    YES_NO,
)
from nlu import names

if TYPE_CHECKING:
    from flows.engine.turn import Turn


@dataclass(frozen=True, slots=True)
class Found:
    """A value read from a message. ``weak``: guessed from the gist (an intent), never overwrites."""

    value: Any
    weak: bool = False
    sure: bool = True  # False: ask "je t'appelle X ?" before keeping it
    loose: bool = False  # read from a yes/no or a word of the buttons, not from words about this field
    spans: tuple[tuple[int, int], ...] = ()  # where in the text (entities), to not read one word twice


Reader = Callable[["Turn", bool], Found | None]


CORRECTION = re.compile(
    r"\b(?:non|nan|nn|en fait|enfait|enfin|attends?|oups|pardon|plutot|finalement|trompee?|erreur|je voulais dire|"
    r"maintenant|desormais|pas\b.*\bmais|c est pas|cest pas|j ai dit|jai dit|corrige|au fait|aussi|ah si|"
    r"pas \d+)\b"
)


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


# A verb of leaving just before says it is over: "j'ai arrêté en 2nde", "quitté le lycée en première".
LEFT_BEFORE = re.compile(
    r"\b(?:arrete|arretee|quitte|quittee|lache|lachee|decroche|decrochee|abandonne|abandonnee|stoppe|fini)"
    r"(?:\s+(?:l\s?ecole|le lycee|le college|les cours|les etudes|la fac))?(?:\s+(?:en|au|a la|apres))?\s*$"
)


def negated(t: Turn, start: int) -> bool:
    """The words just before ``start`` say no ("g pas le bac", "sans permis") or that it is over ("j'ai arrêté
    en 2nde")."""
    before = fold(t.text[:start])
    return bool(NEGATION_BEFORE.search(before) or LEFT_BEFORE.search(before))


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


O_FOR_ZERO = re.compile(r"\s*([\do]{2})\s*(?:ans?)?\s*")


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
        # The letter o for a zero, a slip next to the 0 key ("2O", "1o ans"): only at its question.
        if (slip := O_FOR_ZERO.fullmatch(t.folded)) and any(c.isdigit() for c in slip.group(1)):
            return Found(int(slip.group(1).replace("o", "0")))
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


def commune_buttons(t: Turn) -> tuple[Option, ...]:
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
            return Found(RSA_OF_OPTION.get(chosen), loose=True)
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


def multi_reader(entity: str, options: tuple[Option, ...]) -> Reader:
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
