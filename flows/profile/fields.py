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

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flows.data.territory import OUTSIDE
from flows.engine.script import Option
from flows.profile.readers import (
    CORRECTION,
    Found,
    Reader,
    asks,
    commune_buttons,
    multi_reader,
    negated,
    read_age,
    read_commune,
    read_first_name,
    read_followed_by,
    read_rsa,
    read_schooling,
    read_situation,
)
from flows.profile.values import (
    DONE,
    FOLLOWED,
    MAX_AGE,
    MIN_AGE,
    NONE,
    OBSTACLES,
    RSA_OF_OPTION,
    SCHOOLING,
    SECTORS,
    SITUATIONS,
    YES_NO,
    label,
)
from flows.rules.formatting import join

if TYPE_CHECKING:
    from flows.engine.turn import Turn

__all__ = ["DONE", "FOLLOWED", "MAX_AGE", "MIN_AGE", "NONE", "OBSTACLES", "SCHOOLING", "SECTORS", "SITUATIONS",
           "YES_NO", "Found", "label", "negated"]  # the values, for the modules that ask about fields

ANSWERED = "answered"  # conversation scratch data: the fields answered, skipped or closed by "c'est tout"


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
    # Read even in a request ("jveux un rdv, moi c'est Sami, j'ai 20 ans"): its words cannot be the request's.
    read_in_requests: bool = False

    def options_for(self, t: Turn) -> tuple[Option, ...]:
        """The buttons of the question, as asked to this person now."""
        return self.buttons(t) if self.buttons else self.options

    @property
    def step(self) -> str:
        """The name of the onboarding step that asks it."""
        return f"onboarding.{self.name}"


# --- Saying a value back ------------------------------------------------------------------------


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
        read_in_requests=True,
    ),
    Field(
        "age", "Âge", "Tu as quel âge ?", read_age, lambda t, v: f"{v} ans",
        why="Certaines aides dépendent de l'âge.",
        explain="Écris ton âge en chiffres, par exemple « 19 ».",
        options=(*(Option(str(n), str(n)) for n in range(MIN_AGE, MAX_AGE + 1)),
                 Option("under", "Moins de 16 ans"), Option("over", "Plus de 25 ans")),
        columns=5, optional=False, from_option=int, read_in_requests=True,
    ),
    Field(
        "commune", "Ville", "Tu habites dans quelle ville ? Écris son nom.", read_commune, _said_commune,
        why="Je cherche des choses près de chez toi.",
        explain="Écris le nom de ta ville, par exemple « Nanterre » ou « Asnières ».", optional=False,
        buttons=commune_buttons,
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
        options=YES_NO, columns=3, from_option=RSA_OF_OPTION.get,
    ),
    Field(
        "followed_by", "Accompagnement",
        "Quelqu'un t'accompagne déjà ? Une mission locale, ou France Travail (l'ancien Pôle emploi) ?",
        read_followed_by, lambda t, v: FOLLOWED_SAID.get(v, str(v)), options=FOLLOWED,
    ),
    Field(
        "obstacles", "Difficultés",
        "Qu'est-ce qui te complique la vie en ce moment ? Choisis tout ce qui compte, puis « C'est tout ».",
        multi_reader("obstacle", OBSTACLES), _said_list("difficultés", OBSTACLES),
        options=OBSTACLES, multiple=True, entity="obstacle",
    ),
    Field(
        "sectors", "Métiers", "Quels métiers t'attirent ? Choisis-en un ou plusieurs, puis « C'est tout ».",
        multi_reader("secteur", SECTORS), _said_list("métiers", SECTORS),
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
    requesting = t.sure and t.intent in REQUEST_INTENTS
    correcting = bool(CORRECTION.search(t.folded))
    for field in FIELDS:
        if requesting and not field.read_in_requests:
            continue
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




def answered_in(t: Turn, field: Field) -> bool:
    """The field was answered (or skipped, or answered "none"). A list named in passing ("bac pro commerce"
    names a trade) is still asked, with what was named already ticked: the person may have more to add."""
    value = getattr(t.person, field.name)
    return field.name in t.data.get(ANSWERED, []) or (not field.multiple and value is not None)
