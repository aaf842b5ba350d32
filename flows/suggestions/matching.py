"""Which offers of the catalogue fit a person, in what order, and why. Pure and deterministic.

1. **Eligibility** (a filter): age, diploma, RSA, residence, situation and the obstacles that make an
   offer impossible (no driving licence, children to look after, reading). What the person cannot
   enter is never suggested; when a fact is unknown, an offer that depends on it is left out.
2. **Score** (an order): sectors of interest, what they look for, level, distance (same commune,
   neighbouring communes, same territory), pay first when money is an obstacle, soonest start. Each
   point comes with a ``Reason`` phrased from the person's own answers, for the "pourquoi pour toi".
3. **Support**: each declared obstacle adds the best support service for it, between the paths.

Ties are broken by kind then id, so the same profile always gets the same list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flows.data.catalogue import NATIONAL, Offer, level_rank
from flows.data.territory import OUTSIDE, Territory
from flows.rules.formatting import day

# Weights of the score (points). Sector and "made for you" dominate; distance and dates break ties.
W_SECTOR = 30
W_SECTOR_OTHER = -10  # the person named sectors, and this is another one
W_TARGET = 20  # made for people like them (low diploma ceiling, RSA)
W_TARGET_AGE = 25  # made for a narrow age band (16-18): the most specific target
TARGET_LEVEL_CEILING = "cap_bep"  # a ceiling up to here means "made for the low-qualified"
W_TOPIC = 20  # helps with what they asked for or told us is hard
W_ALTERNANCE = 20
W_NOT_ALTERNANCE = -10
W_SITUATION = 15
W_SITUATION_OTHER = -5  # made for people in another situation
W_YOUTH = 5  # a support service made for young people rather than for everyone
W_PAID_MONEY = 20  # with W_UNPAID_MONEY, outweighs any distance: pay first when money is short
W_UNPAID_MONEY = -20
W_LEVEL_FIT = 10
W_OVERQUALIFIED = {2: -5, 3: -12, 4: -12}
W_SAME_COMMUNE = 20
W_NEIGHBOUR = 12
W_ANYWHERE = 8  # no place: at the person's mission locale, by phone, or a job found anywhere
W_TERRITORY = 6
W_FAR_WITHOUT_TRANSPORT = -10
W_SOON = 8  # starts within SOON_DAYS
W_LATER = 4  # starts within LATER_DAYS, or entries all year round
SOON_DAYS = 45
LATER_DAYS = 120

PAGE = 3  # ideas shown at a time (flows.suggestions.ideas): at most three messages in a row
KIND_RANK = {"programme": 0, "training": 1, "job": 2, "service": 3}
# Between reasons of equal weight, what is about the person comes before places and dates.
REASON_ORDER = ("target", "topic", "obstacle", "sector", "alternance", "paid", "situation", "level", "same_commune",
                "neighbour", "mission_locale", "territory", "soon", "later", "all_year", "youth")
# The phrases below are keyed by the profile's codes (flows/profile/fields.py, where their labels are);
# tests/flows/test_declarations.py checks that each table covers exactly those codes.
# The order in which obstacles get their support service: the most urgent first.
OBSTACLE_ORDER = ("logement", "sante", "famille", "argent", "mobilite", "langue", "demarches")

LEVEL_WORDS = {
    "aucun": "pas de diplôme", "brevet": "le brevet", "cap_bep": "un CAP ou un BEP", "bac": "le bac",
    "bac_plus_2": "un bac+2",
}
SECTOR_INTEREST = {  # "Tu t'intéresses ..."
    "logistique": "à la logistique", "batiment": "au bâtiment", "hotellerie_restauration": "à la cuisine",
    "commerce_vente": "à la vente", "sante_social": "à la santé et au social", "numerique": "au numérique",
    "securite": "à la sécurité", "transport": "au transport", "proprete": "à la propreté",
    "animation_sport": "à l'animation et au sport", "industrie": "à l'industrie",
    "espaces_verts": "aux espaces verts", "beaute_bien_etre": "à la beauté", "automobile": "à l'automobile",
    "administratif": "au travail de bureau",
}
SECTOR_IN = {  # "Tu veux travailler ..."
    "logistique": "en logistique", "batiment": "dans le bâtiment", "hotellerie_restauration": "en cuisine",
    "commerce_vente": "dans la vente", "sante_social": "dans la santé ou le social",
    "numerique": "dans le numérique", "securite": "dans la sécurité", "transport": "dans le transport",
    "proprete": "dans la propreté", "animation_sport": "dans l'animation ou le sport",
    "industrie": "dans l'industrie", "espaces_verts": "dans les espaces verts", "beaute_bien_etre": "dans la beauté",
    "automobile": "dans l'automobile", "administratif": "dans un bureau",
}
OBSTACLE_SAID = {
    "mobilite": "Tu m'as dit que te déplacer est compliqué.",
    "logement": "Tu m'as parlé de ton logement.",
    "sante": "Tu m'as parlé de ta santé.",
    "famille": "Tu m'as dit que faire garder tes enfants est compliqué.",
    "langue": "Tu m'as dit que lire et écrire, c'est difficile.",
    "argent": "Tu m'as dit que l'argent manque.",
    "demarches": "Tu m'as parlé de papiers à faire.",
}
TOPIC_ASKED = {
    "mobilite": "pour te déplacer", "logement": "pour te loger", "sante": "pour ta santé",
    "famille": "pour faire garder tes enfants", "langue": "pour lire et écrire", "argent": "financière",
    "demarches": "pour tes papiers",
}
SITUATION_SAID = {
    "emploi": "Tu cherches un emploi.", "formation": "Tu cherches une formation.",
    "alternance": "Tu cherches une alternance.", "rien": "C'est un bon moyen de démarrer.",
    "etudes": "C'est possible pendant tes études.", "en_emploi": "C'est possible avec ton travail.",
}


@dataclass(frozen=True)
class Profile:
    """What the matching needs of a person (the answers of the onboarding)."""

    age: int | None = None
    commune: str | None = None  # INSEE code, or OUTSIDE
    schooling: str | None = None
    situation: str | None = None
    rsa: bool | None = None
    obstacles: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()

    @classmethod
    def of(cls, person: Any) -> Profile:
        """The profile of a stored person."""
        return cls(
            age=person.age, commune=person.commune, schooling=person.schooling, situation=person.situation,
            rsa=person.rsa, obstacles=tuple(person.obstacles or ()), sectors=tuple(person.sectors or ()),
        )


@dataclass(frozen=True)
class Request:
    """What the person asked for this time; narrows the search without changing the profile."""

    kinds: tuple[str, ...] = ()  # training | job | programme | service; empty: all
    secteur: str | None = None
    commune: str | None = None  # search near this commune rather than home
    topics: tuple[str, ...] = ()  # support asked for (housing, money...): support mode
    situation: str | None = None  # what they look for now (find_job: emploi)
    alternance_only: bool = False

    def to_data(self) -> dict[str, Any]:
        """JSON for the conversation state."""
        return {"kinds": list(self.kinds), "secteur": self.secteur, "commune": self.commune,
                "topics": list(self.topics), "situation": self.situation, "alternance_only": self.alternance_only}

    @classmethod
    def from_data(cls, data: dict[str, Any] | None) -> Request:
        """Back from the conversation state."""
        data = data or {}
        return cls(kinds=tuple(data.get("kinds") or ()), secteur=data.get("secteur"), commune=data.get("commune"),
                   topics=tuple(data.get("topics") or ()), situation=data.get("situation"),
                   alternance_only=bool(data.get("alternance_only")))


@dataclass(frozen=True, order=True)
class Reason:
    """One reason an offer suits the person: a code (for tests and logs) and a short French sentence."""

    weight: int
    code: str
    text: str = field(compare=False)


@dataclass(frozen=True)
class Suggestion:
    """An offer, its score, and why it fits (strongest reason first)."""

    offer: Offer
    score: int
    reasons: tuple[Reason, ...]
    support_for: str | None = None  # the obstacle or topic a support service was added for


# --- Eligibility ----------------------------------------------------------------------------


def publics_of(profile: Profile) -> set[str]:
    """The data·inclusion publics the person belongs to."""
    publics = {"jeunes"}
    if profile.rsa:
        publics.add("beneficiaires-des-minimas-sociaux")
    if profile.situation in ("emploi", "formation", "alternance", "rien"):
        publics.add("demandeurs-emploi")
    if profile.situation == "etudes":
        publics.add("etudiants")
    if profile.situation == "en_emploi":
        publics.add("actifs")
    if "famille" in profile.obstacles:
        publics.add("familles")
    return publics


def lives_in(zone: Sequence[str], commune: str | None, territory: Territory) -> bool:
    """Whether someone living in ``commune`` is in a residence zone (data·inclusion codes)."""
    if not zone or any(code in NATIONAL for code in zone):
        return True
    found = territory.commune(commune) if commune and commune != OUTSIDE else None
    if found is None:
        return False
    return bool({found.insee, found.insee[:2], found.territory_code} & set(zone))


def next_session(offer: Offer, today: dt.date) -> dt.date | None:
    """The first start date from today on."""
    return next((d for d in offer.sessions if d >= today), None)


def why_not(offer: Offer, profile: Profile, territory: Territory, today: dt.date) -> str | None:
    """The rule that keeps the person out of this offer, or None when they can enter it."""
    if offer.ends_on is not None and offer.ends_on < today:
        return "ended"
    if offer.sessions and not offer.rolling and next_session(offer, today) is None:
        return "no_session"
    if profile.age is None:
        if offer.age_min > 16 or offer.age_max < 25:
            return "age"
    elif not offer.age_min <= profile.age <= offer.age_max:
        return "age"
    rank = level_rank(profile.schooling)
    if rank < 0:
        if offer.level_required != "aucun" or offer.level_max is not None:
            return "level"
    elif rank < level_rank(offer.level_required) or (offer.level_max and rank > level_rank(offer.level_max)):
        return "level"
    if offer.rsa == "required" and profile.rsa is not True:
        return "rsa"
    if offer.rsa == "excluded" and profile.rsa is True:
        return "rsa"
    if not lives_in(offer.zone, profile.commune, territory):
        return "residence"
    if offer.situations_excluded and (profile.situation is None or profile.situation in offer.situations_excluded):
        return "situation"
    obstacles = set(profile.obstacles)
    if offer.needs_driving_licence and "mobilite" in obstacles:
        return "mobilite"
    if (offer.boarding or offer.night_work) and "famille" in obstacles:
        return "famille"
    if offer.reading_required and "langue" in obstacles:
        return "langue"
    if offer.publics and "tous-publics" not in offer.publics and not set(offer.publics) & publics_of(profile):
        return "publics"
    return None


# --- Score ----------------------------------------------------------------------------------


def score(
    offer: Offer, profile: Profile, territory: Territory, today: dt.date, request: Request = Request()
) -> tuple[int, tuple[Reason, ...]]:
    """How well an (eligible) offer fits, and the reasons, strongest first."""
    reasons: list[Reason] = []
    total = 0

    def add(points: int, code: str, text: str = "") -> None:
        nonlocal total
        total += points
        if text and points > 0:
            reasons.append(Reason(points, code, text))

    _target(offer, profile, add)
    _sector(offer, profile, request, add)
    _situation(offer, profile, request, add)
    _level(offer, profile, add)
    _distance(offer, profile, request, territory, add)
    _money(offer, profile, add)
    _start(offer, today, add)
    _topics(offer, profile, request, add)
    return total, _ordered(reasons)


def _ordered(reasons: Iterable[Reason]) -> tuple[Reason, ...]:
    """Strongest first; equal weights in REASON_ORDER."""
    return tuple(sorted(reasons, key=lambda r: (-r.weight, REASON_ORDER.index(r.code))))


def _target(offer: Offer, profile: Profile, add: Any) -> None:
    rank = level_rank(profile.schooling)
    low_ceiling = offer.level_max is not None and level_rank(offer.level_max) <= level_rank(TARGET_LEVEL_CEILING)
    if low_ceiling and 0 <= rank <= level_rank(offer.level_max) and profile.age is not None:
        add(W_TARGET, "target", f"Tu as {profile.age} ans et {LEVEL_WORDS[profile.schooling or 'aucun']} : "
                                "c'est fait pour toi.")
    elif offer.age_max <= 18 and profile.age is not None:
        add(W_TARGET_AGE, "target",
            f"Tu as {profile.age} ans : c'est fait pour les {offer.age_min}-{offer.age_max} ans.")
    elif offer.rsa == "required" and profile.rsa:
        add(W_TARGET, "target", "Tu touches le RSA : tu y as droit.")


def _sector(offer: Offer, profile: Profile, request: Request, add: Any) -> None:
    if offer.secteur is None:
        return
    if request.secteur:
        if offer.secteur == request.secteur:
            add(W_SECTOR, "sector", f"Tu veux travailler {SECTOR_IN[offer.secteur]}.")
    elif offer.secteur in profile.sectors:
        add(W_SECTOR, "sector", f"Tu t'intéresses {SECTOR_INTEREST[offer.secteur]}.")
    elif profile.sectors and offer.role == "path":
        add(W_SECTOR_OTHER, "sector_other")


def _situation(offer: Offer, profile: Profile, request: Request, add: Any) -> None:
    situation = request.situation or profile.situation
    if situation == "alternance" and offer.role == "path":
        if offer.alternance:
            add(W_ALTERNANCE, "alternance", "C'est en alternance, comme tu le cherches.")
        else:
            add(W_NOT_ALTERNANCE, "not_alternance")
        return
    if situation and situation in offer.situations:
        add(W_SITUATION, "situation", SITUATION_SAID[situation])
    elif situation and offer.situations:
        add(W_SITUATION_OTHER, "situation_other")


def _level(offer: Offer, profile: Profile, add: Any) -> None:
    rank = level_rank(profile.schooling)
    if rank < 0 or offer.kind not in ("training", "job"):
        return
    gap = rank - level_rank(offer.level_required)
    if offer.level_required != "aucun" and gap <= 1:
        add(W_LEVEL_FIT, "level", f"Il faut {LEVEL_WORDS[offer.level_required]} : tu l'as.")
    elif gap >= 2:
        add(W_OVERQUALIFIED[min(gap, 4)], "overqualified")


def _distance(offer: Offer, profile: Profile, request: Request, territory: Territory, add: Any) -> None:
    origin = territory.commune(request.commune or profile.commune)
    hard = "mobilite" in profile.obstacles
    if offer.boarding:  # lodging on site, away from home by design: distance says nothing
        return
    if offer.place is None:
        if offer.via_mission_locale and origin is not None:
            add(W_ANYWHERE, "mission_locale", "Ta mission locale s'en occupe, près de chez toi.")
        else:
            add(W_ANYWHERE, "anywhere")
        return
    place = territory.commune(offer.place)
    if origin is None or place is None:
        return
    where = "là où tu cherches" if request.commune else "ta ville"
    if place.insee == origin.insee:
        add(W_SAME_COMMUNE * (3 if hard else 2) // 2, "same_commune", f"C'est à {place.name}, {where}.")
    elif place.name in origin.neighbours:
        add(W_NEIGHBOUR * (3 if hard else 2) // 2, "neighbour", f"C'est à {place.name}, juste à côté.")
    elif place.territory_code == origin.territory_code:
        add(W_TERRITORY, "territory", f"C'est à {place.name}, pas loin.")
    elif hard:
        add(W_FAR_WITHOUT_TRANSPORT, "far")


def _money(offer: Offer, profile: Profile, add: Any) -> None:
    if "argent" not in profile.obstacles or offer.role != "path":
        return
    if offer.paid:
        said = {"training": "La formation est payée", "job": "C'est un salaire",
                "programme": "Il y a une allocation ou un salaire"}[offer.kind]
        add(W_PAID_MONEY, "paid", f"{said}, et l'argent te manque.")
    elif offer.paid is False:
        add(W_UNPAID_MONEY, "unpaid")


def _start(offer: Offer, today: dt.date, add: Any) -> None:
    if offer.kind != "training":
        return
    start = next_session(offer, today)
    if start is not None and (start - today).days <= SOON_DAYS:
        add(W_SOON, "soon", f"Ça commence bientôt : {day(start)}.")
    elif offer.rolling:
        add(W_LATER, "all_year", "Tu peux commencer toute l'année.")
    elif start is not None and (start - today).days <= LATER_DAYS:
        add(W_LATER, "later", f"Ça commence {day(start)}.")


def _topics(offer: Offer, profile: Profile, request: Request, add: Any) -> None:
    asked = [t for t in request.topics if t in offer.topics]
    if asked:
        add(W_TOPIC, "topic", f"Tu cherches une aide {TOPIC_ASKED[asked[0]]}.")
        return
    declared = [t for t in OBSTACLE_ORDER if t in profile.obstacles and t in offer.topics]
    if declared and offer.role == "support":
        add(W_TOPIC, "obstacle", OBSTACLE_SAID[declared[0]])
    if (asked or declared) and offer.role == "support" and ("jeunes" in offer.publics or offer.age_max <= 30):
        add(W_YOUTH, "youth", "C'est fait pour les jeunes.")


# --- Putting it together --------------------------------------------------------------------


def _rank(items: Iterable[tuple[Offer, int, tuple[Reason, ...]]]) -> list[tuple[Offer, int, tuple[Reason, ...]]]:
    return sorted(items, key=lambda i: (-i[1], KIND_RANK.get(i[0].kind, 9), i[0].id))


def suggest(
    offers: Sequence[Offer], profile: Profile, territory: Territory, today: dt.date, request: Request = Request(),
    live: Sequence[Suggestion] = (),
) -> list[Suggestion]:
    """Every offer the person can enter, best first: paths, with a support service for each obstacle.

    ``live``: real offers of a sector the person chose (flows.suggestions.live), nearest first. The two first
    lead the paths (a real offer near home is the most concrete idea); the others follow the catalogue's."""
    eligible = [o for o in offers if why_not(o, profile, territory, today) is None]
    if request.kinds:
        eligible = [o for o in eligible if o.kind in request.kinds or o.role == "support"]
    if request.secteur:  # "en logistique": paths of that trade only; support without a trade stays
        eligible = [o for o in eligible
                    if o.secteur == request.secteur or (o.role == "support" and o.secteur is None)]
    scored = _rank((o, *score(o, profile, territory, today, request)) for o in eligible)

    # A support tied to a trade (the CAF's aid for the BAFA) only helps those who want that trade.
    sectors = {*profile.sectors, request.secteur}
    scored = [i for i in scored if i[0].role == "path" or i[0].secteur is None or i[0].secteur in sectors]

    if request.topics:  # "une aide pour le logement": what helps with it, paths included (CEJ allocation)
        wanted = set(request.topics)
        return [Suggestion(o, s, r, next(t for t in request.topics if t in o.topics))
                for o, s, r in scored if wanted & set(o.topics)]

    paths = [Suggestion(o, s, r) for o, s, r in scored
             if o.role == "path" and (not request.alternance_only or o.alternance)]
    wanted = [s for s in live if not request.alternance_only or s.offer.alternance]
    paths = [*wanted[:2], *paths, *wanted[2:]]
    supports = _supports(scored, profile)
    return _first_page(paths, supports, profile, {s for s in sectors if s})


def _first_page(
    paths: list[Suggestion], supports: list[Suggestion], profile: Profile, sectors: set[str]
) -> list[Suggestion]:
    """Paths and supports alternated, with what the person said on the first page.

    Why: scores alone let nearer ideas of other trades push a chosen sector off the first page (a
    logistics profile with a mobility obstacle saw its logistics training 5th), and a second obstacle's
    support to the 4th card. So the first page holds one support per obstacle (at most PAGE - 1: one
    path always shows), and a path of a chosen sector when one is eligible, placed first.
    """
    covered = len({s.support_for for s in supports})  # _supports gives one per obstacle before any second
    first_supports = min(covered, PAGE - 1) if paths else min(covered, PAGE)
    first_paths = PAGE - first_supports
    if sectors and not any(p.offer.secteur in sectors for p in paths[:first_paths]):
        chosen = next((p for p in paths if p.offer.secteur in sectors), None)
        if chosen is not None:
            paths = [chosen, *(p for p in paths if p is not chosen)]
    page: list[Suggestion] = []
    head_paths, head_supports = paths[:first_paths], supports[:first_supports]
    for index in range(max(len(head_paths), len(head_supports))):
        page.extend(group[index] for group in (head_paths, head_supports) if index < len(group))
    rest_paths, rest_supports = paths[first_paths:], supports[first_supports:]
    for index in range(max(len(rest_paths), len(rest_supports))):
        page.extend(group[index] for group in (rest_paths, rest_supports) if index < len(group))
    return page


def has_suggestions(offers: Sequence[Offer], profile: Profile, territory: Territory, today: dt.date) -> bool:
    """Whether ``suggest`` without a request finds anything: the same filters, stopping at the first fit.

    Why: the end of onboarding only asks whether there is an idea; scoring and sorting the whole
    catalogue for that cost more than everything else of the update.
    """
    obstacles = {o for o in OBSTACLE_ORDER if o in profile.obstacles}
    for offer in offers:
        if offer.role == "path":  # every eligible path is listed
            wanted = True
        else:  # a support: only for a declared obstacle, and not tied to a trade the person did not choose
            wanted = (offer.role == "support" and bool(obstacles & set(offer.topics))
                      and (offer.secteur is None or offer.secteur in profile.sectors))
        if wanted and why_not(offer, profile, territory, today) is None:
            return True
    return False


def _supports(scored: list[tuple[Offer, int, tuple[Reason, ...]]], profile: Profile) -> list[Suggestion]:
    """For each obstacle, its support services best first; then taken round-robin across obstacles."""
    obstacles = [o for o in OBSTACLE_ORDER if o in profile.obstacles]
    queues = {
        obstacle: [Suggestion(o, s, _said(r, obstacle), obstacle)
                   for o, s, r in scored if o.role == "support" and obstacle in o.topics]
        for obstacle in obstacles
    }
    picked: list[Suggestion] = []
    seen: set[str] = set()
    while any(queues.values()):
        for obstacle in obstacles:
            queue = queues[obstacle]
            while queue and queue[0].offer.id in seen:
                queue.pop(0)
            if queue:
                chosen = queue.pop(0)
                seen.add(chosen.offer.id)
                picked.append(chosen)
    return picked


def _said(reasons: tuple[Reason, ...], obstacle: str) -> tuple[Reason, ...]:
    """The reasons of a support service, naming the obstacle it was picked for."""
    kept = [r for r in reasons if r.code != "obstacle"] + [Reason(W_TOPIC, "obstacle", OBSTACLE_SAID[obstacle])]
    return _ordered(kept)


__all__ = ["Profile", "Reason", "Request", "Suggestion", "has_suggestions", "lives_in", "score", "suggest", "why_not"]
