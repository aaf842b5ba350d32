"""The age a young person gives: "j'ai 19 ans", "19ans", "jai dix-sept ans" -> "19", "17"."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlu.normalise import fold

_WORDS = {
    "quinze": 15, "seize": 16, "dix sept": 17, "dix huit": 18, "dix neuf": 19, "vingt": 20, "vingt et un": 21,
    "vingt deux": 22, "vingt trois": 23, "vingt quatre": 24, "vingt cinq": 25, "vingt six": 26,
}
_NUMBER = r"(?P<n>\d{2})|(?P<w>" + "|".join(w.replace(" ", "[ -]") for w in sorted(_WORDS, key=len, reverse=True)) + ")"
# "19 ans", "19ans", "19 piges", and "19a" written in one piece (never "19 a", which is "à").
_AGE = re.compile(rf"(?<![\w])(?:{_NUMBER})(?:\s?(?:ans|an|ams|piges|balais)|a)(?![\w])")
# "depuis 10 ans", "il y a 15 ans", "à 16 ans j'ai arrêté": a duration or a past age, not the age now.
_NOT_NOW = re.compile(
    r"(?<![\w'])(?:depuis|pendant|dans|il y a|y a|ya|a|de|des|pour|avant|apres|mes|ses|les|plus de|moins de)\s*$"
)
_SELF = re.compile(r"(?<![\w'])(?:j ?'?\s?ai|g|jai|j'ai|age de|agee de|moi|j ai bientot|bientot)\s*$")
MIN_AGE, MAX_AGE = 12, 35


@dataclass(frozen=True, slots=True)
class AgeMatch:
    """An age in years (as a string) and the span of the number in the original text."""

    entity: str
    value: str
    start: int
    end: int


def find_ages(text: str) -> list[AgeMatch]:
    """The person's own age, when the text gives one."""
    folded, index = fold(text)
    if not re.search(r"an|pige|balai|\da\b", folded):
        return []
    found = []
    for m in _AGE.finditer(folded):
        value = int(m.group("n")) if m.group("n") else _WORDS[re.sub(r"[ -]+", " ", m.group("w"))]
        before = folded[: m.start()]
        own = bool(_SELF.search(before))
        # Said as "j'ai 40 ans" it is the person's age, out of range or not (the flows answer it).
        if not (MIN_AGE <= value <= MAX_AGE or (own and 10 <= value <= 99)):
            continue
        if _NOT_NOW.search(before) and not own:
            continue
        group = "n" if m.group("n") else "w"
        start, end = m.start(group), m.end(group)
        found.append(AgeMatch("age", str(value), index[start], index[end]))
    return found
