"""Gazetteer entities: communes and sectors, and the profile fields (diplome, obstacle, suivi, situation, rsa).

The phrases come from the Rasa synonyms and lookup tables of ``nlu/data`` (communes generated from
``data/communes.yml``, sectors and profile fields written by hand). Entities are matched in groups:
communes and sectors together (as they always were), each profile entity on its own, so one word may
give two entities of different groups where it truly means both ("cap cuisine": a CAP and a sector),
while within a group the longest phrase wins. Rules that keep false matches out:

- the longest phrase wins, so "villeneuve la garenne" is never "la garenne" and "bois colombes" is
  never "colombes"; look-alike places outside the département (``not_a_commune``) and phrases such
  as "securite sociale" (``not_a_secteur``) match first and yield nothing;
- a typo is only forgiven on words of 6 letters or more that are not ordinary words of the training
  data, one edit away (two from 10 letters), with the same first letter, and only when one value is
  closest, so "seau" never becomes Sceaux and "montreuil" never Montrouge;
- profile entities are never fuzzy-matched, and their ``not_a_<entity>`` / ``not_an_<entity>``
  lookups ("t'es pas cap", "je bosse pas", "dans le transport") yield nothing for that entity. Their
  spans leave out leading function words ("le rsa" -> "rsa", "au pe" -> "pe") but keep a negation that
  is part of the value ("pas le permis" = mobilite), since the app reads negation just before a span.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from nlu.normalise import Token, tokenise
from nlu.training_data import TrainingData

SECTEURS: tuple[str, ...] = (
    "logistique", "batiment", "hotellerie_restauration", "commerce_vente", "sante_social", "numerique",
    "securite", "transport", "proprete", "animation_sport", "industrie", "espaces_verts",
    "beaute_bien_etre", "automobile", "administratif",
)
# The profile fields of the onboarding and their values: the app's codes (flows/profile/fields.py).
PROFILE_ENTITIES: dict[str, tuple[str, ...]] = {
    "diplome": ("aucun", "brevet", "cap_bep", "bac", "bac_plus_2"),
    "obstacle": ("mobilite", "logement", "sante", "famille", "langue", "argent", "demarches"),
    "suivi": ("mission_locale", "france_travail"),
    "situation": ("emploi", "formation", "alternance", "etudes", "en_emploi", "rien"),
    "rsa": ("rsa",),
}
_PROFILE_VALUES = {value: entity for entity, values in PROFILE_ENTITIES.items() for value in values}
EXCLUDED_LOOKUPS = ("not_a_commune", "not_a_secteur")
OUTSIDE = "hors92"  # the commune of the towns of other départements (lookups/outside_92.yml)
# Leading words left out of a profile entity's span: "le rsa" -> "rsa", "inscrit au pe" -> "pe".
SPAN_SKIP = frozenset({
    "le", "la", "les", "l", "un", "une", "des", "du", "de", "d", "a", "au", "aux", "en", "chez", "mon", "ma", "mes",
    "avec", "par", "inscrit", "inscrite", "conseiller", "conseillere",
})
LIEU = ""  # the group of communes and sectors: its phrases are keyed by their words alone
CONTEXTUAL_LOOKUP = "secteur_contextual"
# Words that make a message about work or training: "hôtel", "crèche", "bus" are sectors only then.
WORK_CONTEXT = frozenset({
    "travail", "travailler", "bosser", "bosse", "taffer", "emploi", "emplois", "metier", "metiers", "poste",
    "stage", "formation", "formations", "former", "alternance", "apprentissage", "apprenti", "apprentie", "cap",
    "bac", "bts", "diplome", "recrute", "recrutent", "embauche", "embaucher", "experience", "secteur", "domaine",
    "cdi", "cdd", "interim", "devenir", "postuler", "offre", "offres", "engager", "salarie", "bep", "pro",
})
# Ordinary words that look like a commune or a trade once misspelled: never fuzzy-matched.
NEVER_FUZZY = frozenset({
    "vannes", "seaux", "paris", "argenteuil", "montreuil", "bagnolet", "colombie", "garage", "anthony",
    "clichy", "versailles", "vincennes", "nantes", "meudonne", "courbet", "courbes", "putain", "sevran",
    "antoine", "chatelet", "malaise", "mallette", "sceller", "montrer", "montre", "boulot", "travail",
    "cuisson", "cousine", "cousin", "coiffe", "pepite", "reseau", "chantal", "sportif", "nanterrois",
})


@dataclass(frozen=True, slots=True)
class Match:
    """An entity found in the text, with its span in the original text."""

    entity: str
    value: str
    start: int
    end: int


def group_of(entity: str) -> str:
    """The group an entity is matched in: communes and sectors share one, each profile entity has its own."""
    return entity if entity in PROFILE_ENTITIES else LIEU


def _prefix(group: str) -> tuple[str, ...]:
    # A profile phrase is keyed ("@diplome", *words): a token never starts with "@", so no clash.
    return (f"@{group}",) if group else ()


@dataclass
class Gazetteer:
    """Phrases (as normalised token tuples) that name an entity value, or nothing at all.

    ``phrases`` maps the words of a commune or sector phrase, or ``("@<entity>", *words)`` for a
    profile entity, to ``(entity, value)``, or to None for a phrase that must yield nothing.
    """

    phrases: dict[tuple[str, ...], tuple[str, str] | None] = field(default_factory=dict)
    contextual: frozenset[tuple[str, ...]] = frozenset()  # sector phrases that need a work context
    known_words: frozenset[str] = frozenset()
    max_len: int = 1
    # Fuzzy candidates by (number of tokens, first letter): (phrase, entity, value).
    fuzzy: dict[tuple[int, str], list[tuple[str, str, str]]] = field(default_factory=dict)
    groups: tuple[str, ...] = ()  # the profile entities that have phrases

    @property
    def communes(self) -> list[str]:
        """The canonical commune names known to this gazetteer."""
        return sorted({v[1] for v in self.phrases.values() if v and v[0] == "commune"})

    def add(self, spelling: str, target: tuple[str, str] | None, *, fuzzy: bool = True, group: str = LIEU) -> None:
        """Register one spelling of ``target`` (``None``: a phrase that must yield nothing in ``group``)."""
        words = tuple(t.text for t in tokenise(spelling))
        if not words:
            return
        group = group_of(target[0]) if target is not None else group
        if group:
            fuzzy = False  # profile words are ordinary words: never read as typos
            if group not in self.groups:
                self.groups = (*self.groups, group)
        key = _prefix(group) + words
        current = self.phrases.get(key, "missing")
        if current != "missing" and current != target and target is not None:
            # Two values for one spelling: ambiguous, so it names nothing (no false matches).
            self.phrases[key] = None
            return
        self.phrases[key] = target
        self.max_len = max(self.max_len, len(words))
        phrase = " ".join(key)
        if fuzzy and target is not None and len(phrase.replace(" ", "")) >= 6 and not phrase[0].isdigit():
            bucket = self.fuzzy.setdefault((len(key), phrase[0]), [])
            if (phrase, *target) not in bucket:
                bucket.append((phrase, target[0], target[1]))

    def find(self, text: str, tokens: list[Token] | None = None, *, about_work: bool | None = None) -> list[Match]:
        """Every entity in ``text``, left to right: communes and sectors, then each profile entity.

        Matches of one group never overlap; matches of two groups may ("cap cuisine").
        """
        toks = tokens if tokens is not None else tokenise(text)
        found = self._find_lieu(toks, about_work=about_work)
        words = [t.text for t in toks]
        for group in self.groups:
            found += self._find_group(group, words, toks)
        return sorted(found, key=lambda m: (m.start, m.end, m.entity))

    def _find_group(self, group: str, words: list[str], toks: list[Token]) -> list[Match]:
        """One profile entity: longest exact phrase, no typos, blockers win ties, spans trimmed."""
        prefix = _prefix(group)
        candidates: list[tuple[int, int, tuple[str, str] | None]] = []
        for i in range(len(words)):
            length, target, _ = self._exact(words, i, prefix)
            if length:
                candidates.append((i, length, target))

        def content(c: tuple[int, int, tuple[str, str] | None]) -> int:
            # Words after the leading function words: "bac 2" beats "un bac" in "un bac+2".
            lead = 0
            while lead < c[1] - 1 and words[c[0] + lead] in SPAN_SKIP:
                lead += 1
            return c[1] - lead

        candidates.sort(key=lambda c: (-content(c), -c[1], c[2] is not None, c[0]))
        return _non_overlapping(candidates, words, toks, skip=SPAN_SKIP)

    def _find_lieu(self, toks: list[Token], *, about_work: bool | None = None) -> list[Match]:
        """Every commune and secteur, left to right, never overlapping.

        ``about_work`` says whether words that are a sector only in a work context ("hôtel", "crèche")
        count; by default, when the message has a work word ("bosser", "formation"...).

        Candidates are the longest exact phrase and the closest misspelt one at each word; the
        longest win, and on a tie a phrase that names nothing ("la securite sociale") wins.
        """
        words = [t.text for t in toks]
        if about_work is None:
            about_work = any(w in WORK_CONTEXT for w in words)
        candidates: list[tuple[int, int, tuple[str, str] | None]] = []  # (start, length, target)
        for i in range(len(words)):
            length, target, key = self._exact(words, i)
            if length and not about_work and key in self.contextual:
                length, target = 0, None
            if length:
                candidates.append((i, length, target))
            fuzzy_length, fuzzy_target = self._fuzzy(words, i, longer_than=length)
            if fuzzy_length > length:
                candidates.append((i, fuzzy_length, fuzzy_target))
        candidates.sort(key=lambda c: (-c[1], c[2] is not None, c[0]))
        return sorted(_non_overlapping(candidates, words, toks), key=lambda m: m.start)

    def _exact(self, words: list[str], i: int, prefix: tuple[str, ...] = ()
               ) -> tuple[int, tuple[str, str] | None, tuple[str, ...]]:
        for length in range(min(self.max_len, len(words) - i), 0, -1):
            key = prefix + tuple(words[i : i + length])
            if key in self.phrases:
                return length, self.phrases[key], key
            last = words[i + length - 1]
            if len(last) > 3 and last.endswith(("s", "x")):
                # Plurals: "plombiers", "chauffeurs" -> the singular phrase.
                singular = (*key[:-1], last[:-1])
                if singular in self.phrases and self.phrases[singular] is not None:
                    return length, self.phrases[singular], singular
        return 0, None, ()

    def _fuzzy(self, words: list[str], i: int, longer_than: int = 0) -> tuple[int, tuple[str, str] | None]:
        for length in range(min(3, len(words) - i), longer_than, -1):
            gram_words = words[i : i + length]
            # Only a word the training data never uses can be a typo of a name.
            if all(w in self.known_words or w in NEVER_FUZZY for w in gram_words):
                continue
            if any(w.isdigit() or w in NEVER_FUZZY for w in gram_words):
                continue
            gram = " ".join(gram_words)
            size = len(gram.replace(" ", ""))
            if size < 6:
                continue
            allowed = 1 if size < 10 else 2
            best: dict[tuple[str, str], int] = {}
            for phrase, entity, value in self.fuzzy.get((length, gram[0]), ()):
                if entity == "secteur" and size < 7:
                    continue
                if abs(len(phrase) - len(gram)) > allowed:
                    continue
                d = Levenshtein.distance(gram, phrase, score_cutoff=allowed)
                if d <= allowed:
                    key = (entity, value)
                    best[key] = min(best.get(key, d), d)
            if best:
                top = min(best.values())
                winners = [k for k, d in best.items() if d == top]
                if len(winners) == 1:
                    return length, winners[0]
        return 0, None


def _non_overlapping(candidates: list[tuple[int, int, tuple[str, str] | None]], words: list[str],
                     toks: list[Token], *, skip: frozenset[str] = frozenset()) -> list[Match]:
    """The candidates (start, length, target) in their order of preference, each kept unless it overlaps
    one kept before; a target of None keeps its words from the others and names nothing. Leading words
    of ``skip`` ("le", "un") are left out of the span."""
    taken = [False] * len(words)
    found: list[Match] = []
    for i, length, target in candidates:
        if any(taken[i : i + length]):
            continue
        taken[i : i + length] = [True] * length
        if target is not None:
            first = i
            while first < i + length - 1 and words[first] in skip:
                first += 1
            found.append(Match(target[0], target[1], toks[first].start, toks[i + length - 1].end))
    return found


def build_gazetteer(data: TrainingData) -> Gazetteer:
    """The phrases of the training data's synonyms and lookup tables: communes, sectors, profile fields."""
    gaz = Gazetteer()
    commune_table = set(data.lookups.get("commune", []))
    for canonical, spellings in data.synonyms.items():
        if canonical in SECTEURS:
            target = ("secteur", canonical)
        elif canonical in commune_table:
            target = ("commune", canonical)
        elif canonical in _PROFILE_VALUES:
            target = (_PROFILE_VALUES[canonical], canonical)
            # A profile code ("aucun", "rien", "emploi") is not how people say it: only its spellings.
            for spelling in spellings:
                gaz.add(spelling, target)
            continue
        else:
            continue
        for spelling in [canonical, *spellings]:
            # Sector codes written as words ("hotellerie_restauration") are not how people type.
            # Towns of other départements are never typo targets: "mamoudou" is a first name, not Mamoudzou.
            fuzzy = target != ("commune", OUTSIDE) and (target[0] == "commune" or len(spelling) >= 7)
            gaz.add(spelling, target, fuzzy=fuzzy)
    contextual = set()
    for spelling in data.lookups.get(CONTEXTUAL_LOOKUP, []):
        key = tuple(t.text for t in tokenise(spelling))
        contextual.add(key)
        bucket_key = (len(key), " ".join(key)[:1])
        # A word that needs context is never the target of a typo either.
        gaz.fuzzy[bucket_key] = [c for c in gaz.fuzzy.get(bucket_key, []) if c[0] != " ".join(key)]
    gaz.contextual = frozenset(contextual)
    outside = ("commune", OUTSIDE)
    for name in EXCLUDED_LOOKUPS:
        for spelling in data.lookups.get(name, []):
            # A look-alike that is a real town of another département stays that: "clichy sous bois".
            if gaz.phrases.get(tuple(t.text for t in tokenise(spelling))) != outside:
                gaz.add(spelling, None, fuzzy=False)
    for entity in PROFILE_ENTITIES:
        for name in (f"not_a_{entity}", f"not_an_{entity}"):
            for spelling in data.lookups.get(name, []):
                gaz.add(spelling, None, fuzzy=False, group=entity)
    # A word of a known phrase, or an ordinary word of the examples, is never read as a typo.
    known: set[str] = {w for key in gaz.phrases for w in key if not w.startswith("@")}
    for example in data.examples:
        spans = [(e.start, e.end) for e in example.entities if group_of(e.entity) == LIEU]
        for tok in tokenise(example.text):
            if not any(s <= tok.start < e for s, e in spans):
                known.add(tok.text)
    gaz.known_words = frozenset(known)
    return gaz
