"""First names: reading the answer to "c'est quoi ton prénom ?", and spotting a name in a message.

``read_first_name(text)`` reads what someone answers when asked their first name ("Inès", "moi c yanis",
"je m'appelle Jean-Marc et toi ?", "AÏCHA") and refuses what is not a name ("salut", "oui", "je sais
pas", "prendre rdv", "19"). ``known`` says whether every part of the name is in the list of first names
given in France (``nlu/lexicon/first_names.txt``, about 9,600 names of all origins, see its README).

``find_first_name(text)`` is the ``first_name`` entity of both backends (nlu/postprocess.py): a name
that the message introduces ("je m'appelle Inès et je cherche…", "c'est Sami"), or a message that is
a known first name and nothing else ("Moussa", "Fatoumata et toi ?"). A bare unknown word is not one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from nlu.normalise import fold, normalise

LEXICON = Path(__file__).resolve().parent / "lexicon" / "first_names.txt"

MAX_PARTS = 3  # "Marie Claire", "Jean-Baptiste", "Mohamed Amine Ali" at most
MAX_LENGTH = 40
_LETTERS = r"[^\W\d_]"  # a letter of any alphabet, accented or not
_PART = re.compile(rf"{_LETTERS}+(?:['’-]{_LETTERS}+)*")  # "Jean-Marc", "N'Golo"
_VOWEL = re.compile(r"[aeiouy]")

# Words that are never a first name in a message, folded (lower case, no accents): greetings, yes/no,
# chat fillers, pronouns, articles and small words, question words, the bot's own words. Ordinary French
# words are refused too through the vocabulary of the training data (``_vocabulary``), unless the list
# knows them as names (Rose, Pierre, Claire).
_NOT_A_NAME = """
salut bonjour bonsoir slt cc coucou hello hi hey yo wesh wsh bjr bsr re cava ca va bienvenue
oui ouais ouai wi ui ok okay oki dac daccord accord non nan nn nope no yes si mouais bof bah
merci mrc mci stp svp plait dsl desole pardon excuse
jsp jsais sais sait pas rien aucun aucune personne jamais toujours peut etre
mdr ptdr lol xd mdrr haha hahaha hihi hein quoi pourquoi comment combien quand ou qui que quel quelle
je j tu il elle on nous vous ils elles moi toi lui eux me te se m t s c l d n qu
le la les un une des du de au aux ce cet cette ces mon ma mes ton ta tes son sa ses notre votre leur
et ou mais donc or ni car avec sans pour par sur sous dans en chez vers a y
est suis es sont ai as avons avez ont etait fait faire veux veut vais va peux peut dois doit
appelle appelles appel appelle prenom nom mon pseudo
aide help menu stop start annuler retour passer test tester bot robot humain conseiller conseillere
rdv rendez travail taf boulot job emploi formation stage alternance
bien bon bonne super cool top parfait genial grave trop tres vraiment
ici la bas deja encore plus moins tout tous toute toutes rien
pareil pareille meme idem nul nulle galere chaud dur complique normal simple fini mort perdu perdue seul seule
triste fatigue fatiguee malade bizarre mieux pire sur sure vrai faux possible important urgent
"""
NOT_A_NAME = frozenset(_NOT_A_NAME.split())
# Said before a name to introduce it. STRONG ones are enough to take the next word as a name ("moi c'est"
# only when it is a known name or written with a capital: "moi c'est pareil"); after the WEAK ones
# ("c'est Sami", "je suis Inès") the name must be known and the message must stop there.
_GREETING = r"(?:(?:salut|bonjour|bonsoir|slt|coucou|cc|hello|hey|yo|wesh|wsh|bjr|re)\b[\s,!.]*)?"
_STRONG = (
    r"(?:moi\s*,?\s*)?(?:je\s*m\s*'?\s*|j\s*'?\s*m\s*'?\s*|jm\s*'?\s*|m\s*'?\s*)ap+el+e?s?"
    r"|(?:moi\s*,?\s*)?on\s+m\s*'?\s*appel+e?s?"
    r"|appel+e?s?[\s-]*moi"
    r"|(?:mon|le)\s+(?:pre\s*)?nom\s*(?:c\s*'?\s*est|cest|c|est|:|=)?"
    r"|prenom\s*(?:c\s*'?\s*est|cest|c|est|:|=)?"
    r"|(?P<moi>moi\s*,?\s*(?:c\s*'?\s*est|cest|c))"
)
_WEAK = r"c\s*'?\s*est|cest|c|je\s+suis|ici"
_LEADING_NAME = re.compile(rf"\s*({_LETTERS}+(?:['-]{_LETTERS}+)?)(?=\s*,|\s+\d)(?:\s*,?\s*(\d))?")
_CORRECTION = re.compile(r"\b(?:non|nan|pardon|jrigole|je rigole|en fait|enfait|plutot|oups)\b[\s,.!]*")
# Inside a longer message, a weak introduction counts before a known name only: "yo c yanis 17 ans".
_WEAK_ANYWHERE = re.compile(r"(?<![\w'])(?:c\s*'?\s*est|cest|c|ici|je\s+suis|jsuis|jsui|chui|moi)(?=\s)")
_STRONG_ANYWHERE = re.compile(rf"(?<![\w'])(?:{_STRONG})(?=\s|:|$)")
_INTRO_AT_START = re.compile(rf"^\s*{_GREETING}(?:(?P<strong>{_STRONG})|(?P<weak>{_WEAK}))(?=\s|:|$)[\s:,]*")
# What may close an answer: "et toi ?", "enchanté", "!", an emoji.
_CLOSING = re.compile(
    r"(?:[\s,]*(?:et\s+(?:toi|vous|tw|twa|toa|ti)|enchante+e?s?|ravie?|merci|stp|svp|voila|\W+))+$"
)


@dataclass(frozen=True, slots=True)
class NameReading:
    """A first name as the person wrote it, capitalised; ``known`` when every part is a known name."""

    name: str
    known: bool


@dataclass(frozen=True, slots=True)
class NameMatch:
    """A first name found in a message: its capitalised value and its span in the original text."""

    value: str
    start: int
    end: int
    known: bool


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """The folded first names of the lexicon ("ines", "jean", "abdelkader")."""
    names = set()
    for line in LEXICON.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            names.add(fold(line)[0])
    return frozenset(names)


@lru_cache(maxsize=1)
def _vocabulary() -> frozenset[str]:
    """Every word of the training messages (normalised): words people write that are not names."""
    from nlu.training_data import load_training_data  # only when an unknown word must be judged

    words = {w for example in load_training_data().examples for w in normalise(example.text).split()}
    return frozenset(words - first_names())


def is_known_name(name: str) -> bool:
    """True when every part of ``name`` ("Jean-Marc", "Marie Claire") is a known first name, or the whole
    of it written in one word is ("Abdel Kader" -> "Abdelkader")."""
    parts = [p for p in re.split(r"[\s'’-]+", fold(name)[0]) if p]
    if not parts:
        return False
    known = first_names()
    return all(p in known for p in parts) or "".join(parts) in known


def capitalise(name: str) -> str:
    """"yanis" -> "Yanis", "AÏCHA" -> "Aïcha", "jean-marc" -> "Jean-Marc"; mixed case stays as typed."""
    if not (name.islower() or name.isupper()):
        return name[:1].upper() + name[1:]
    return re.sub(rf"{_LETTERS}+", lambda m: m.group(0).capitalize(), name.lower())


def _word_is_not_a_name(part: str) -> bool:
    """A part that is a small word, a chat word or an ordinary French word (and not a known name)."""
    folded = fold(part)[0]
    if folded in NOT_A_NAME:
        return True
    if is_known_name(part):
        return False
    pieces = [p for p in re.split(r"['’-]+", folded) if p]
    if any(len(p) > 1 and p in NOT_A_NAME for p in pieces) or not _VOWEL.search(folded):
        return True  # "jsp", "mdr", "ptdr", "bcp" have no vowel
    if normalise(part).split() != pieces:
        return True  # the SMS lexicon reads it as other words ("jsuis", "chui", "rdv")
    vocabulary = _vocabulary()
    return folded in vocabulary or any(len(p) > 1 and p in vocabulary for p in pieces)


def _shape(candidate: str) -> list[re.Match[str]] | None:
    """The name parts of ``candidate`` if it is only 1 to 3 letter words (hyphens, apostrophes inside)."""
    if not candidate or len(candidate) > MAX_LENGTH:
        return None
    parts = list(_PART.finditer(candidate))
    rest = _PART.sub("", candidate)
    if not parts or len(parts) > MAX_PARTS or rest.strip():
        return None
    return parts


def read_first_name(text: str) -> NameReading | None:
    """The first name in an answer to "c'est quoi ton prénom ?", or None when it does not read as one."""
    found = _answer(text, unknown_bare=True)
    if found is None:
        return None
    return NameReading(found.value, found.known)


def _answer(text: str, *, unknown_bare: bool) -> NameMatch | None:
    """The whole message read as a name answer, with an introduction or none; an unknown name without
    an introduction only when ``unknown_bare``."""
    folded, index = fold(text)
    start = 0
    weak = False
    intro = _INTRO_AT_START.match(folded)
    if intro:
        start = intro.end()
        weak = intro.group("weak") is not None
    else:
        greeting = re.match(rf"^\s*{_GREETING}", folded)
        start = greeting.end() if greeting else 0
    end = len(folded)
    closing = _CLOSING.search(folded, start)
    if closing:
        end = closing.start()
    while start < end and folded[start].isspace():
        start += 1
    candidate = text[index[start]:index[end]] if start < end else ""
    parts = _shape(candidate)
    if parts is None:
        return None
    known = is_known_name(candidate)
    # An unknown name after "c'est" only when written with a capital at the question ("c Sid-Ahmed").
    capital_after_weak = weak and unknown_bare and candidate[:1].isupper()
    if not known and ((weak and not capital_after_weak) or (intro is None and not unknown_bare)):
        return None
    if any(_word_is_not_a_name(p.group(0)) for p in parts):
        return None
    offset = index[start]
    first, last = parts[0], parts[-1]
    value = capitalise(" ".join(re.sub(r"\s+", " ", p.group(0)) for p in parts))
    return NameMatch(value, offset + first.start(), offset + last.end(), known)


def find_first_name(text: str) -> NameMatch | None:
    """The ``first_name`` entity: a name the message introduces, or a message that is a known name.

    "je m'appelle Inès et je cherche un taf" -> Inès; "moi c yanis" -> Yanis; "c'est Sami" -> Sami;
    "Moussa" -> Moussa; "Zorglub" (unknown, not introduced) -> None; "c'est nul" -> None.
    """
    if len(text) > 500:
        return None
    whole = _answer(text, unknown_bare=False)
    if whole is not None:
        return whole
    folded, index = fold(text)
    # "c moussa... nan jrigole c Mamoudou", "Aminata, non pardon Awa": the name said after the correction.
    fix = _CORRECTION.search(folded)
    if fix is not None:
        later = find_first_name(text[index[fix.end()]:]) if fix.end() < len(folded) else None
        if later is not None:
            shift = index[fix.end()]
            return NameMatch(later.value, later.start + shift, later.end + shift, later.known)
        for intro in _WEAK_ANYWHERE.finditer(folded, fix.end()):  # "nan c Souleyman 22 ans": written with
            found = _following_name(text, folded, index, intro.end())  # a capital, after the correction
            if found is not None and text[found.start:found.start + 1].isupper() and not _is_place(found.value):
                return found
    for intro in _STRONG_ANYWHERE.finditer(folded):
        found = _following_name(text, folded, index, intro.end())
        capitalised = found is not None and text[found.start:found.start + 1].isupper()
        if found is not None and (found.known or capitalised or not intro.group("moi")):
            return found
    # A known name first, then other facts: "wesh ayoub 19 ans clichy", "Inès, 19 ans, Nanterre".
    greeting = re.match(rf"^\s*{_GREETING}", folded)
    lead = _LEADING_NAME.match(folded, greeting.end() if greeting else 0)
    if lead:
        found = _following_name(text, folded, index, lead.start(1))
        written = found is not None and text[found.start:found.start + 1].isupper() and lead.group(2) is not None
        if found is not None and (found.known or written) and not _is_place(found.value) \
                and len(found.value.split()) == 1:
            return found  # a name from the list, or a capitalised one before an age: "bjr Stevenson 24 ans"
    for intro in _WEAK_ANYWHERE.finditer(folded):
        found = _following_name(text, folded, index, intro.end())
        if found is not None and found.known and not _is_place(found.value):
            return found
    return None


def _is_place(name: str) -> bool:
    """Known names that are also what "c'est …" says of a place or a thing: "c'est Paris"."""
    return fold(name)[0] in {"paris", "nice", "lyon", "france"}


def _following_name(text: str, folded: str, index: list[int], at: int) -> NameMatch | None:
    """The name right after an introduction inside a longer message: 1 to 3 name words, then a stop."""
    words = list(re.finditer(rf"{_LETTERS}+(?:['’-]{_LETTERS}+)*", folded[at:]))
    if not words or folded[at:at + words[0].start()].strip(" :,") != "":
        return None
    taken: list[re.Match[str]] = []
    for word in words[:MAX_PARTS]:
        if taken and folded[at + taken[-1].end():at + word.start()].strip() != "":
            break  # punctuation between: "Inès, je cherche…"
        original = text[index[at + word.start()]:index[at + word.end()]]
        if _word_is_not_a_name(original):
            break
        # After the first word, only more known names or capitalised words continue the name.
        if taken and not (is_known_name(original) or original[:1].isupper()):
            break
        taken.append(word)
    if not taken:
        return None
    start, end = index[at + taken[0].start()], index[at + taken[-1].end()]
    name = text[start:end]
    return NameMatch(capitalise(re.sub(r"\s+", " ", name)), start, end, is_known_name(name))
