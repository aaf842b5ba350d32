"""Suggestions: ideas of trainings, jobs, programmes and support that fit the person, and why.

Reached at the end of onboarding ("J'ai des idées pour toi"), with /idees, and from the intents
find_job, find_training, find_apprenticeship, financial_aid and social_support, whose entities narrow
the search for that request ("une formation en logistique à Nanterre").

The ideas come three at a time as short cards, one message each, with a line "Pourquoi pour toi"
made of the person's own answers (``flows.suggestions.matching`` gives the reasons). Under each card,
"Plus d'infos" and "Ça m'intéresse" (saved for the advisor's hand-off summary); under the last one,
"Autre chose" (the next ideas) and "Prendre rendez-vous". These are action buttons: they stay valid
later and are idempotent. The list is computed again at every page from the current profile, so
an old "Autre chose" never shows something the person can no longer enter.

With several cards on screen, a card can also be named in words: by its place ("le 2e", "la
dernière", "plus d'infos sur le 2") or by a word of its title ("et le cariste c'est quoi ?", "la
formation de vendeur"). ``state["page"]`` keeps the cards on screen, in order; ``refer`` resolves the
words to one of them and does what was asked (details, "ça m'intéresse", a booking). When the words
fit several cards, the bot asks which one, with a button for each.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from flows.data.catalogue import SECTEURS, Job, Offer, Programme, ServiceEntry, Training
from flows.data.territory import fold
from flows.engine.script import INTENT_HANDLERS, Next, Option, Question, Step, on_action, on_command, on_intent
from flows.engine.turn import Turn
from flows.handoff.contacts import all_structures, structure_card
from flows.onboarding.fields import OBSTACLES
from flows.rules.formatting import day, join
from flows.suggestions.matching import (
    LEVEL_WORDS,
    OBSTACLE_ORDER,
    SECTOR_IN,
    Profile,
    Request,
    Suggestion,
    has_suggestions,
    suggest,
)

welcome = Step("suggestions.welcome")  # after onboarding: offer to show the ideas
ideas = Step("suggestions.ideas")  # the cards; asked again, a short "d'autres idées ?"
topic = Step("suggestions.topic")  # "une aide" without saying for what

STATE = "ideas"  # conversation data: {"req": Request, "shown": [refs], "page": [refs], "fresh": bool}
# "page": the refs of the cards on screen, in the order shown (what "le 2e" counts in).
PAGE = 3  # cards at a time: at most three messages in a row
MAX_SHOWN = 60

KIND_LABELS = {"training": "Formation", "job": "Métier", "programme": "Programme", "service": "Aide"}
MORE_WORDS = {"autre chose", "autre", "autres", "d autres", "d autres idees", "suivant", "encore", "la suite",
              "plus", "d autre"}
MENU_WORDS = {"menu", "plus tard", "non merci", "stop", "c est bon", "rien", "pas maintenant"}
BOOK_WORDS = {"rdv", "rendez vous", "prendre rendez vous", "un rdv", "un rendez vous"}
# Typed instead of pressed: understood here first, because the NLU may hear "ça m'intéresse" as a "no".
INTEREST = re.compile(r"\b(interess\w*|ca me plait|ca me tente|je garde|garde la)\b")
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
TOPIC_LABELS = {o.value: o.label for o in OBSTACLES}
UP_TO_LEVEL = {
    "aucun": "sans diplôme", "brevet": "sans diplôme ou avec le brevet", "cap_bep": "jusqu'au CAP ou BEP",
    "bac": "jusqu'au bac", "bac_plus_2": "jusqu'au bac+2",
}


# --- Entry points ---------------------------------------------------------------------------


def _not_ready(t: Turn) -> Next | None:
    """Before the profile is complete: say what is possible, then the question in progress."""
    if t.person.onboarded_at is not None:
        return None
    t.say("Je peux te proposer des formations, des métiers et des aides près de chez toi.")
    t.say("Il me faut d'abord tes réponses. On finit les questions ?")
    if t.conversation.step is None:
        return t.goto("onboarding.start")
    return t.resume()


def _enter(t: Turn, step: str) -> Next:
    """Go to a suggestions question; from elsewhere in a script, come back there afterwards."""
    current = t.conversation.step
    if current in (None, "home") or current.startswith("suggestions."):
        return t.goto(step)
    return t.call(step)


async def open_ideas(t: Turn, request: Request) -> Next:
    """Show the first cards for this request."""
    t.data[STATE] = {"req": request.to_data(), "shown": [], "fresh": True}
    return _enter(t, ideas.name)


@on_command("idees", "Des idées pour toi")
async def ideas_command(t: Turn) -> Next:
    """/idees: the ideas for the profile as it is."""
    if (stop := _not_ready(t)) is not None:
        return stop
    return await open_ideas(t, Request())


@on_intent("find_job", "find_training", "find_apprenticeship", "financial_aid")
async def find(t: Turn) -> Next:
    """"je cherche une formation en logistique à Nanterre": the ideas for that request."""
    if (stop := _not_ready(t)) is not None:
        return stop
    base = INTENT_REQUESTS.get(t.intent or "", Request())
    return await open_ideas(t, await _narrowed(t, base))


@on_intent("social_support")
async def support(t: Turn) -> Next:
    """"j'ai besoin d'un logement": the support services for what the person names, or asks for."""
    if (stop := _not_ready(t)) is not None:
        return stop
    topics = topics_in(t.text) or [o for o in OBSTACLE_ORDER if o in (t.person.obstacles or [])]
    if not topics:
        return _enter(t, topic.name)
    return await open_ideas(t, await _narrowed(t, Request(topics=tuple(topics))))


def topics_in(text: str) -> list[str]:
    """The kinds of help named in a message ("je cherche un appart" -> logement), most urgent first."""
    folded = f" {fold(text)} "
    return [name for name in OBSTACLE_ORDER
            if any(re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", folded) for word in TOPIC_WORDS[name])]


async def _narrowed(t: Turn, base: Request) -> Request:
    """The request with the message's sector and commune; an empty profile field is filled with them."""
    secteur = next((s for s in t.entities("secteur") if s in SECTEURS), None)
    named = t.entity("commune")
    found = t.world.territory.commune_named(named) if named else None
    if secteur and not t.person.sectors:
        await t.uow.people.update(t.person, sectors=[secteur])
    if found is not None and not t.person.commune:
        await t.uow.people.update(t.person, commune=found.insee)
    commune = found.insee if found is not None and found.insee != t.person.commune else None
    return Request(kinds=base.kinds, secteur=secteur, commune=commune, topics=base.topics,
                   situation=base.situation, alternance_only=base.alternance_only)


# --- The cards ------------------------------------------------------------------------------


def _today(t: Turn) -> dt.date:
    return t.now.astimezone(t.world.settings.tz).date()


def ranked(t: Turn, request: Request) -> list[Suggestion]:
    """Every idea for the person and this request, best first."""
    catalogue = t.world.catalogue
    if catalogue is None:
        return []
    return suggest(catalogue.offers, Profile.of(t.person), t.world.territory, _today(t), request)


def any_idea(t: Turn) -> bool:
    """Whether ``ranked(t, Request())`` is not empty, without ranking (flows.suggestions.matching.has_suggestions)."""
    catalogue = t.world.catalogue
    return catalogue is not None and has_suggestions(catalogue.offers, Profile.of(t.person), t.world.territory,
                                                     _today(t))


def kind_label(offer: Offer) -> str:
    """"Formation", "Métier", "Programme", "Aide"."""
    return "Aide" if offer.role == "support" else KIND_LABELS[offer.kind]


def why(suggestion: Suggestion) -> str:
    """The "pourquoi pour toi": the two strongest reasons, or the plain fact that the person can enter."""
    texts = [r.text for r in suggestion.reasons]
    if not texts:
        return "Tu remplis les conditions pour y entrer."
    chosen = texts[:2] if len(" ".join(texts[:2]).split()) <= 22 else texts[:1]
    return " ".join(chosen)


def _commune_name(t: Turn, insee: str | None) -> str | None:
    found = t.world.territory.commune(insee)
    return found.name if found else None


def _short(text: str | None) -> str:
    """"4 mois, dont 5 semaines en entreprise" -> "4 mois"."""
    return (text or "").split(",")[0].strip()


def facts(t: Turn, offer: Offer) -> str:
    """One line of key facts for the card: duration, pay, place."""
    entry = offer.entry
    parts: list[str] = []
    where = _commune_name(t, offer.place)
    if isinstance(entry, Training):
        parts = [_short(entry.duration), "payée" if entry.paid else "non payée"]
    elif isinstance(entry, Job):
        parts = [f"Diplôme demandé : {entry.diploma}" if entry.diploma_required else "Sans diplôme"]
    elif isinstance(entry, Programme):
        parts = [_short(entry.duration)] if entry.duration else []
        if entry.via_mission_locale:
            parts.append("avec ta mission locale")
    elif isinstance(entry, ServiceEntry):
        if entry.frais is not None:
            parts.append("gratuit" if entry.frais.value == "gratuit" else "payant")
        if where is None and entry.telephone:
            parts.append(f"au {entry.telephone}")
    if where:
        parts.append(f"à {where}")
    text = " · ".join(p for p in parts if p)
    return text[:1].upper() + text[1:]


def card(t: Turn, suggestion: Suggestion) -> str:
    """A short card: what it is, one sentence, the key facts, and why it fits."""
    offer = suggestion.offer
    lines = [f"💡 {kind_label(offer)} : {offer.title}", offer.summary]
    if line := facts(t, offer):
        lines.append(line)
    lines.append(f"👉 Pourquoi pour toi : {why(suggestion)}")
    return "\n".join(lines)


def _card_buttons(t: Turn, offer: Offer) -> list[Any]:
    return [t.action("Plus d'infos", "sg_info", offer.ref), t.action("Ça m'intéresse", "sg_save", offer.ref)]


def _last_buttons(t: Turn, more: bool) -> list[Any]:
    buttons = [t.action("Autre chose", "sg_more")] if more else []
    return [*buttons, t.action("Prendre rendez-vous", "sg_rdv")]


def _options(*values: str) -> list[Option]:
    known = {
        "more": Option("more", "Autre chose", ("autre", "d'autres idées", "encore", "suite")),
        "again": Option("again", "Revoir les idées", ("revoir", "recommencer", "du debut")),
        "all": Option("all", "Toutes mes idées", ("toutes", "tout", "autres idees")),
        "rdv": Option("rdv", "Prendre rendez-vous", ("rdv", "rendez-vous", "conseiller")),
        "menu": Option("menu", "Menu", ("retour", "plus tard", "non merci")),
        "show": Option("show", "Montre-moi", ("oui", "ok", "vas y", "go", "montre", "d'accord", "ouais")),
        "later": Option("later", "Plus tard", ("non", "pas maintenant", "nan")),
    }
    return [known[v] for v in values]


@welcome.ask
async def _(t: Turn) -> Question:
    if not any_idea(t):
        return _nothing(t, Request())
    return Question("J'ai trouvé des idées pour toi, d'après tes réponses. Je te les montre ?",
                    options=_options("show", "later"))


@welcome.answer
async def _(t: Turn) -> Next:
    chosen = t.choice()
    if chosen is None and (INTEREST.search(t.folded) or t.is_intent("affirm")):
        chosen = "show"
    elif chosen is None and t.is_intent("deny"):
        chosen = "later"
    if chosen == "show":
        return await open_ideas(t, Request())
    if chosen == "later":
        return t.done("D'accord. Écris /idees quand tu veux les voir.")
    return await _answer_common(t, chosen)


@ideas.ask
async def _(t: Turn) -> Question:
    state = t.data.setdefault(STATE, {"req": {}, "shown": [], "fresh": True})
    if not state.get("fresh"):
        return Question("Tu veux d'autres idées ?", options=_options("more", "rdv", "menu"))
    state["fresh"] = False
    request = Request.from_data(state.get("req"))
    found = ranked(t, request)
    shown = list(state.get("shown") or [])
    page = [s for s in found if s.offer.ref not in shown][:PAGE]
    narrowed_to_paths = request != Request() and not request.topics
    if not found or (narrowed_to_paths and not any(s.offer.role == "path" for s in found)):
        return _nothing(t, request)  # "a job in logistics" answered with support alone is "nothing found"
    if not page:
        return Question("C'est tout ce que j'ai pour l'instant. Un conseiller peut chercher plus loin avec toi.",
                        options=_options("rdv", "again", "menu"), columns=1)
    state["shown"] = [*shown, *(s.offer.ref for s in page)][-MAX_SHOWN:]
    state["page"] = [s.offer.ref for s in page]
    more = len(found) > len(shown) + len(page)
    for suggestion in page[:-1]:
        t.say(card(t, suggestion), buttons=_card_buttons(t, suggestion.offer))
    last = page[-1]
    return Question(card(t, last), extra_buttons=[*_card_buttons(t, last.offer), *_last_buttons(t, more)])


@ideas.explain
async def _(t: Turn) -> Question:
    return Question("Appuie sur un bouton sous une idée. Ou écris « autre chose » pour d'autres idées.",
                    options=_options("more", "rdv", "menu"))


@ideas.answer
async def _(t: Turn) -> Next:
    return await _answer_common(t, t.choice())


def _nothing(t: Turn, request: Request) -> Question:
    """Nothing fits: say so plainly, and offer a person (and the wider list when the request was narrow)."""
    narrow = request != Request()
    if request.secteur:
        said = f"Je n'ai rien trouvé {SECTOR_IN[request.secteur]} pour toi."
    elif request.topics:
        said = f"Je n'ai pas trouvé d'aide « {TOPIC_LABELS.get(request.topics[0], '').lower()} » pour toi."
    else:
        said = "Je n'ai pas trouvé d'idée pour toi dans ma liste."
    options = ["rdv", "all", "menu"] if narrow and any_idea(t) else ["rdv", "menu"]
    return Question(f"{said} Un conseiller peut chercher avec toi.", options=_options(*options), columns=1)


async def _answer_common(t: Turn, chosen: str | None) -> Next:
    folded = t.folded
    plain = chosen is None and folded not in MORE_WORDS | MENU_WORDS | BOOK_WORDS
    if plain and (referred := await refer(t)) is not None:
        return referred
    if chosen == "more" or (chosen is None and folded in MORE_WORDS):
        return await more_ideas(t)
    if chosen == "again":
        state = t.data.setdefault(STATE, {"req": {}})
        state.update(shown=[], fresh=True)
        return t.goto(ideas.name)
    if chosen == "all":
        return await open_ideas(t, Request())
    if chosen == "rdv" or (chosen is None and folded in BOOK_WORDS):
        return await book(t)
    if chosen == "menu" or (chosen is None and (folded in MENU_WORDS or t.is_intent("deny"))):
        return t.done("D'accord.")
    return t.not_understood()


@topic.ask
async def _(t: Turn) -> Question:
    return Question("Je peux t'aider à trouver une aide. C'est pour quoi ?",
                    options=[*OBSTACLES, Option("menu", "Autre chose", ("rien", "autre"))])


@topic.answer
async def _(t: Turn) -> Next:
    chosen = t.choice()
    if chosen in TOPIC_LABELS:
        return await open_ideas(t, Request(topics=(chosen,)))
    if topics := topics_in(t.text):
        return await open_ideas(t, Request(topics=tuple(topics)))
    if chosen == "menu":
        return t.done("D'accord. Tu peux aussi en parler à ta mission locale.")
    return t.not_understood()


# --- Cards named in words ------------------------------------------------------------------

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
REQUEST_INTENTS = ("find_job", "find_training", "find_apprenticeship", "financial_aid", "social_support")
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


# --- The card buttons -----------------------------------------------------------------------


def _offer_pressed(t: Turn) -> Offer | None:
    catalogue = t.world.catalogue
    return catalogue.offer(t.argument) if catalogue is not None and t.argument else None


@on_action("sg_more")
async def more_ideas(t: Turn) -> Next:
    """"Autre chose": the next ideas of the same request (computed again from the current profile)."""
    if (stop := _not_ready(t)) is not None:
        return stop
    state = t.data.setdefault(STATE, {"req": {}, "shown": []})
    state["fresh"] = True
    return _enter(t, ideas.name)


@on_action("sg_info")
async def more_info(t: Turn) -> Next:
    """"Plus d'infos": the details of one idea, with what to do next."""
    offer = _offer_pressed(t)
    if offer is None:
        t.say("Cette idée n'est plus dans ma liste. Écris /idees pour voir les nouvelles.")
        return t.stay()
    return await show_info(t, offer)


async def show_info(t: Turn, offer: Offer) -> Next:
    """The details of one idea, with what to do next."""
    t.say(details(t, offer), buttons=[t.action("Ça m'intéresse", "sg_save", offer.ref),
                                      t.action("Prendre rendez-vous", "sg_rdv", offer.ref)])
    return t.stay()


@on_action("sg_save")
async def save(t: Turn) -> Next:
    """"Ça m'intéresse": kept for the advisor (once, however many taps)."""
    offer = _offer_pressed(t)
    if offer is None:
        t.say("Cette idée n'est plus dans ma liste. Écris /idees pour voir les nouvelles.")
        return t.stay()
    return await save_offer(t, offer)


async def save_offer(t: Turn, offer: Offer) -> Next:
    """Keep an idea for the advisor, once."""
    if t.person.consent_at is None:
        t.say("Je ne garde rien sans ton accord. Tu peux en parler directement à ta mission locale.")
        return t.stay()
    added = await t.uow.suggestions.save(t.person.id, offer.id, offer.kind, offer.title, t.now)
    if added:
        t.ack = "C'est noté"
        t.say(f"C'est noté : « {offer.title} » t'intéresse. Ton conseiller le verra.",
              buttons=[t.action("Prendre rendez-vous", "sg_rdv", offer.ref)])
    else:
        t.ack = "Déjà noté"
        t.say(f"C'est déjà noté : « {offer.title} ».")
    return t.stay()


@on_action("sg_rdv")
async def book_from_card(t: Turn) -> Next:
    """"Prendre rendez-vous" under a card."""
    return await book(t)


async def book(t: Turn) -> Next:
    """Book with the mission locale when booking is there; otherwise give its contacts."""
    handler = INTENT_HANDLERS.get("book_appointment")
    if handler is not None:
        return await handler(t)
    structure = t.world.territory.structure_for(t.person.commune)
    t.say("Pour un rendez-vous, contacte ta mission locale :")
    t.say(structure_card(structure) if structure is not None else all_structures(t.world.territory))
    return t.stay()


# --- Plus d'infos ---------------------------------------------------------------------------


def _dates(days: Any, today: dt.date) -> str:
    coming = [d for d in days if d >= today][:3]
    return join([day(d) for d in coming])


def _for_whom(offer: Offer) -> str:
    """Who can enter, from the rules: "de 16 à 25 ans, sans diplôme ou avec le brevet"."""
    parts = []
    if offer.age_max < 99:
        parts.append(f"de {offer.age_min} à {offer.age_max} ans")
    elif offer.age_min > 16:
        parts.append(f"à partir de {offer.age_min} ans")
    if offer.level_max:
        parts.append(UP_TO_LEVEL[offer.level_max])
    elif offer.level_required != "aucun":
        parts.append(f"avec au moins {LEVEL_WORDS[offer.level_required]}")
    if offer.rsa == "required":
        parts.append("si tu touches le RSA")
    if offer.needs_driving_licence:
        parts.append("avec le permis B")
    if "etudes" in offer.situations_excluded:
        parts.append("hors études")
    return ", ".join(parts)


def details(t: Turn, offer: Offer) -> str:
    """Everything useful about one idea, in short lines."""
    entry = offer.entry
    today = _today(t)
    lines = [f"{kind_label(offer)} : {offer.title}", offer.summary]
    if isinstance(entry, Training):
        if entry.certification:
            lines.append(f"🎓 {entry.certification}")
        lines.append(f"🏫 {entry.organisme}")
        if entry.address:
            lines.append(f"📍 {entry.address}" + (f" ({entry.access})" if entry.access else ""))
        coming = _dates(entry.next_sessions, today)
        lines.append(f"📅 Prochaines entrées : {coming}" if coming else "📅 Entrées toute l'année")
        lines.append(f"⏱️ {entry.duration}")
        lines.append(f"💶 {entry.pay or ('Payée' if entry.paid else 'Non payée')}")
        lines.append(f"📝 Pour t'inscrire : {entry.how_to_apply}")
    elif isinstance(entry, Job):
        lines.append(f"🎓 Diplôme demandé : {entry.diploma}" if entry.diploma_required else "🎓 Sans diplôme")
        lines.append(f"🔎 {entry.how_to_find}")
    elif isinstance(entry, Programme):
        if entry.duration:
            lines.append(f"⏱️ {entry.duration}")
        if entry.pay:
            lines.append(f"💶 {entry.pay}")
        if entry.address:
            lines.append(f"📍 {entry.address}")
        lines.append(f"📝 {entry.how_to_apply}")
    elif isinstance(entry, ServiceEntry):
        structure = t.world.catalogue.structure(entry.structure_id) if t.world.catalogue else None
        if structure is not None:
            lines.append(f"🏢 {structure.nom}")
        if entry.adresse:
            lines.append(f"📍 {entry.adresse}, {entry.code_postal or ''} {entry.commune or ''}".rstrip())
        if entry.telephone:
            lines.append(f"📞 {entry.telephone}")
        if entry.frais_precisions:
            lines.append(f"💶 {entry.frais_precisions}")
        if entry.conditions_acces:
            lines.append(f"✅ {entry.conditions_acces}")
        if entry.mobilisation_precisions:
            lines.append(f"📝 {entry.mobilisation_precisions}")
        if entry.lien_mobilisation:
            lines.append(f"🔗 {entry.lien_mobilisation}")
    if who := _for_whom(offer):
        lines.append(f"👤 Pour qui : {who}")
    if offer.via_mission_locale and (structure_ml := t.world.territory.structure_for(t.person.commune)):
        lines.append(f"🤝 Ta mission locale : {structure_ml.name}, {structure_ml.phone}")
    if offer.example:
        lines.append("ℹ️ Fiche d'exemple : vérifie ces infos avec ta mission locale.")
    return "\n".join(lines)


# A card named in words ("le 2e", "et le cariste ?") is an answer to the cards on screen.
ideas.understands = lambda t: resolve(t) is not None
