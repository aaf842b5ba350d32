"""Cards named in words: with several cards on screen, "le 2e", "la dernière", "plus d'infos sur le 2",
or a word of a title ("et le cariste c'est quoi ?", "la formation de vendeur").

``state["page"]`` keeps the cards on screen, in order; ``resolve`` finds which of them the words name,
``refer`` does what was asked with it (details, "ça m'intéresse", a booking). When the words fit
several cards, the bot asks which one, with a button for each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from flows.data.catalogue import Offer
from flows.data.territory import fold
from flows.engine.script import Next
from flows.engine.turn import Turn
from flows.suggestions.actions import book, save_offer, show_info
from flows.suggestions.cards import STATE, kind_label
from flows.suggestions.requests import INTENT_REQUESTS

# What the person wants done with the card they name (folded text). Details is the default.
WANT_INFO = re.compile(r"\b(plus d infos?|plus d informations?|infos?|details?|en savoir plus|c est quoi|"
                       r"ca consiste|explique\w*|raconte\w*|dis m en plus|parle m en|quoi|voir|montre\w*)\b")
WANT_SAVE = re.compile(r"\b(interess\w*|ca me plait|ca me tente|(je )?(le |la |l )?(garde|veux|prends|choisis|"
                       r"retiens|note)\b|garde\w*)")
WANT_BOOK = re.compile(r"\b(rdv|rendez vous|m inscrire|inscri\w*)\b")
NEGATION = re.compile(r"\b(pas|jamais|aucun\w*)\b")
# "le 2", "la 2e", "la deuxième", "le dernier": ordinal words and forms.
ORDINAL_WORDS = {
    "premier": 1, "premiere": 1, "deuxieme": 2, "second": 2, "seconde": 2, "troisieme": 3, "quatrieme": 4,
    "cinquieme": 5, "dernier": -1, "derniere": -1,
}
ORDINAL_FORM = re.compile(r"^(\d{1,2})(e|er|ere|re|eme|ieme|em|nd|nde)$")
# Before a bare number, these make it a place ("le 2", "sur la 2", "numéro 2", "l'idée 2").
BEFORE_NUMBER = {"le", "la", "l", "numero", "num", "n", "no", "idee", "carte", "du", "au"}
# Before an ordinal word, these make it a reference to a card ("le premier", not "mon premier emploi").
BEFORE_ORDINAL = BEFORE_NUMBER | {"celui", "celle", "ce", "cette", "avant", "tout", "toute"}
DEFINITE = {"le", "la", "l", "les", "ce", "cet", "cette", "celui", "celle", "ca", "du", "au"}
INDEFINITE = {"un", "une", "des", "d"}
# A new search, not a card on screen: "je cherche une formation à Nanterre".
REQUEST_INTENTS = (*INTENT_REQUESTS, "social_support")
# Words that name a kind of card; they choose among cards, they are not words of a title.
KIND_WORDS: dict[str, tuple[str, ...]] = {
    "training": ("formation", "formations", "stage", "cap", "diplome"),
    "job": ("metier", "metiers", "job", "jobs", "boulot", "travail", "emploi", "taf", "poste"),
    "programme": ("programme", "dispositif"),
    "service": ("aide", "aides", "service", "association"),
}
KIND_OF_WORD = {word: kind for kind, words in KIND_WORDS.items() for word in words}
# Words that never name a card by themselves.
STOP_WORDS = frozenset(word for line in (
    "a ah alors au aussi autre aux avec bah ben bien bon c ca ce celle celui ces cet cette chose comme d dans de des",
    "dis donc du e elle en est et eh euh fais faire hein il j je l la le les leur lui m ma mais me mes moi mon n ne",
    "ni nous o oh ok on ou oui par parle pas peu peux pour pourquoi qu que quel quelle qui quoi s sa se ses si son",
    "stp svp sur t ta te tes toi ton tu un une vas veux voudrais vous y merci truc machin idee idees carte cartes",
    "numero num no infos info informations information details detail savoir plus interesse interessee interessant",
    "interesses plait tente garde garder veux prends prendre choisis choisir note retiens explique raconte consiste",
    "rdv rendez vous inscrire inscris voir montre montrer ouvre celle celui dernier derniere premier premiere",
    "deuxieme second seconde troisieme quatrieme cinquieme avant tout toute",
) for word in line.split())


@dataclass(frozen=True)
class Referred:
    """What the words pointed at: one card, or several that fit as well (then ask which)."""

    offers: tuple[Offer, ...]
    places: tuple[int, ...]  # 1-based places on screen, same order


def page_offers(t: Turn) -> list[Offer | None]:
    """The cards on screen, in order (None where an offer has left the catalogue since)."""
    catalogue = t.world.catalogue
    refs = (t.data.get(STATE) or {}).get("page") or []
    return [catalogue.offer(ref) if catalogue is not None else None for ref in refs]


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", fold(text))


def _stem(word: str) -> str:
    """A rough French stem: "vendeuses" -> "vendeur", "caristes" -> "carist", "animatrice" -> "animateur"."""
    if len(word) > 4 and word[-1] in "sx":
        word = word[:-1]
    for end, instead in (("euse", "eur"), ("rice", "eur"), ("iere", "ier"), ("ienne", "ien"), ("ere", "er")):
        if len(word) > len(end) + 2 and word.endswith(end):
            return word[: -len(end)] + instead
    return word[:-1] if len(word) > 4 and word.endswith("e") else word


def same_word(typed: str, title_word: str) -> bool:
    """A typed word names a word of a title: the same, another form of it, or a small typo."""
    if typed == title_word:
        return True
    a, b = _stem(typed), _stem(title_word)
    if a == b or (min(len(a), len(b)) >= 5 and (a.startswith(b) or b.startswith(a))):
        return True
    return min(len(typed), len(title_word)) >= 5 and fuzz.ratio(typed, title_word) >= 85


def title_words(t: Turn, offer: Offer) -> set[str]:
    """The words of a card's title that can name it ("cariste", "entrepot", "caces"), not its town."""
    towns = {w for c in t.world.territory.communes for w in _words(c.name)}
    return {w for w in _words(offer.title) if _meaningful(w) and w not in towns}


def _meaningful(word: str) -> bool:
    """A word that can name a card: not a small word, not a kind ("formation"); "e2c" and "r489" count."""
    return word not in STOP_WORDS and word not in KIND_OF_WORD and (len(word) >= 3 or not word.isalpha())


def _ordinal(words: list[str], count: int, title_vocabulary: set[str]) -> int | None:
    """The 1-based place named ("le 2e", "la dernière", "plus d'infos sur le 2"), counted in ``count`` cards."""
    alone = [w for w in words if w not in {"et", "alors", "euh", "stp", "svp", "merci", "ok"}]
    for index, word in enumerate(words):
        before = words[index - 1] if index else ""
        after = words[index + 1] if index + 1 < len(words) else ""
        if after in title_vocabulary and after not in KIND_OF_WORD:
            continue  # "la 2e chance": a title, not a place
        if word.isdigit():
            if before not in BEFORE_NUMBER and alone != [word]:
                continue
            place = int(word)
        elif found := ORDINAL_FORM.match(word):
            place = int(found.group(1))
        elif word in ORDINAL_WORDS:
            if before not in BEFORE_ORDINAL and len(alone) > 1:
                continue
            place = ORDINAL_WORDS[word]
            if place == -1 and before == "avant":
                place = -2
        else:
            continue
        return count + 1 + place if place < 0 else place
    return None


def _by_words(t: Turn, words: list[str], offers: list[tuple[int, Offer]]) -> tuple[list[tuple[int, Offer]], list[str]]:
    """The cards whose title words are named (those naming the most words), and the words that named none."""
    content = [w for w in words if _meaningful(w)]
    vocabulary = {place: title_words(t, o) for place, o in offers}
    hits = {w: [place for place, _ in offers if any(same_word(w, tw) for tw in vocabulary[place])] for w in content}
    scored = [(sum(place in found for found in hits.values()), place, o) for place, o in offers]
    best = max((score for score, _, _ in scored), default=0)
    named = [(place, o) for score, place, o in scored if score == best and best > 0]
    return named, [w for w, found in hits.items() if not found]


def _sector_words(t: Turn) -> set[str]:
    """The words of the message that the NLU read as a trade ("vendeur" -> commerce_vente)."""
    if t.parsed is None:
        return set()
    said = t.event.text  # the entities' positions are in the text as the NLU read it
    return {w for e in t.parsed.entities if e.entity == "secteur" for w in _words(said[e.start:e.end])}


def resolve(t: Turn) -> Referred | None:
    """The card(s) on screen that the message names, if it names any."""
    shown = page_offers(t)
    offers = [(place, o) for place, o in enumerate(shown, start=1) if o is not None]
    if not offers:
        return None
    words = _words(t.text)
    vocabulary = {w for _, o in offers for w in title_words(t, o)}
    place = _ordinal(words, len(shown), vocabulary)
    if place is not None:
        chosen = [(p, o) for p, o in offers if p == place]
        return _all(chosen or offers)  # out of range ("le 4e" of three): which one?
    said = set(words)
    if t.is_intent(*REQUEST_INTENTS) and said & INDEFINITE and not said & DEFINITE:
        return None  # "je cherche une formation de cariste": a new search
    kinds = {KIND_OF_WORD[w] for w in words if w in KIND_OF_WORD}
    named, unknown = _by_words(t, words, offers)
    if not named and said & DEFINITE and not said & INDEFINITE:
        # "la formation de vendeur": no title word, but the trade the NLU heard, or the kind alone, says which.
        sectors = set(t.entities("secteur"))
        if sectors and set(unknown) <= _sector_words(t):
            named = [(p, o) for p, o in offers if o.secteur and o.secteur in sectors]
        elif kinds and not unknown:
            named = [(p, o) for p, o in offers if o.kind in kinds]
    if not named:
        return None
    if len(named) > 1 and kinds and (of_kind := [(p, o) for p, o in named if o.kind in kinds]):
        named = of_kind  # "la formation de préparateur", with the job of the same name on screen too
    return _all(named)


def _all(offers: list[tuple[int, Offer]]) -> Referred:
    return Referred(tuple(o for _, o in offers), tuple(p for p, _ in offers))


def _wanted(folded: str) -> str | None:
    """What the person asks to do with a card: "info", "save", "book", "not" (not interested), or None."""
    if WANT_INFO.search(folded):
        return "info"
    if WANT_BOOK.search(folded):
        return "book"
    if WANT_SAVE.search(folded):
        return "not" if NEGATION.search(folded) else "save"
    return None


async def refer(t: Turn) -> Next | None:
    """A card named in words: do what was asked with it; ask which when several fit. None: no card named."""
    folded = t.folded
    wanted = _wanted(folded)
    referred = resolve(t)
    if referred is None:
        offers = [o for o in page_offers(t) if o is not None]
        said_something = any(_meaningful(w) for w in _words(t.text))
        if wanted in (None, "book") or not offers or said_something:
            return None  # not about a card on screen (or booking, handled by the question)
        referred = _all(list(enumerate(offers, start=1)))  # "ça m'intéresse" alone: which one?
    if wanted == "book":
        return await book(t)
    if len(referred.offers) > 1:
        return _which(t, referred, wanted or "info")
    offer = referred.offers[0]
    if wanted == "not":
        return t.stay(f"D'accord, je ne note pas « {offer.title} ».")
    if wanted == "save":
        return await save_offer(t, offer)
    return await show_info(t, offer)


def _which(t: Turn, referred: Referred, wanted: str) -> Next:
    """Several cards fit: a button for each (action buttons: they work later too)."""
    names = [_short_title(o.title) for o in referred.offers]
    action = "sg_save" if wanted == "save" else "sg_info"
    buttons = [t.action(name if names.count(name) == 1 else f"{name} ({kind_label(o).lower()})", action, o.ref)
               for name, o in zip(names, referred.offers, strict=True)]
    question = "Laquelle t'intéresse ?" if wanted == "save" else "Tu parles de quelle idée ?"
    t.say(question, buttons=buttons)
    return t.stay()


def _short_title(title: str, size: int = 32) -> str:
    """A title short enough for a button: "Cariste d'entrepôt (CACES R489)" stays, longer ones are cut."""
    if len(title) <= size:
        return title
    return title[:size].rsplit(" ", 1)[0].rstrip(" ,(") + "…"
