"""What a young person's own words say of where they are: "j'ai signé un CDI", "toujours rien", "je suis
en formation depuis septembre". Read after the question "Tu en es où aujourd'hui ?" (flows/outcomes/questions.py).

A word of one category is enough when no other category's word is there and it is not said in the negative
("pas de CDI" is still looking). Two categories at once ("un CDD en attendant ma formation") or none: not
read, the buttons decide. A contract's length settles short or durable: "un CDD de 8 mois" is durable (six
months or more, as the insertion services count it).
"""

from __future__ import annotations

import re

from flows.data.territory import fold

# Words (folded: lower case, no accents, apostrophes as spaces) for each category, most specific first.
WORDS: dict[str, tuple[str, ...]] = {
    "business": (r"auto ?entrepreneu\w*", r"micro ?entrepr\w*",
                 r"mon (?:entreprise|activite|business|auto ?entreprise)",
                 r"cree ma (?:boite|societe|entreprise)", r"(?:creation|cree|monte) (?:d |de )?(?:mon |ma |une )?"
                 r"(?:entreprise|boite|societe|activite)", r"a mon compte", r"freelance", r"independant\w*"),
    "apprenticeship": (r"alternance", r"apprenti\w*", r"contrat (?:de )?pro\w*", r"cfa"),
    "civic_service": (r"service civique", r"volontariat"),
    "training": (r"formation", r"afpa", r"epide", r"e2c", r"ecole de la (?:deuxieme|2e|2eme) chance", r"greta",
                 r"prepa(?: apprentissage| metier)?", r"stage"),
    "school": (r"(?:repris|reprends|reprendre|retourne\w*|retour) (?:a l |a la |au |en |mes |les |l |la )?"
               r"(?:ecole|etudes|cours|lycee|fac|college)", r"(?:au|en) lycee", r"(?:a la|en) fac", r"etudiant\w*",
               r"rescolaris\w*", r"(?:en|un) (?:bts|but|bac pro|cap)\b"),
    "durable_job": (r"cdi", r"embauch\w*", r"titularis\w*", r"fonctionnaire"),
    "short_job": (r"cdd", r"interim\w*", r"contrat court", r"saisonni\w*", r"extras?", r"contrat aide", r"pec",
                  r"mission(?:s)? d interim", r"petits? boulots?", r"job"),
    "looking": (r"(?:je )?(?:cherche|recherche)\w*", r"toujours rien", r"rien (?:du tout|pour l instant|encore)",
                r"chomage", r"(?:pas|rien) trouve", r"toujours pas", r"nada", r"que dalle", r"en recherche"),
}
# Work without a contract's name ("je travaille", "j'ai trouvé du taf"): a job, whose length the buttons settle.
WORK = re.compile(r"\b(?:je travaille|j ai (?:trouve )?(?:un |du )?(?:taf|travail|boulot|emploi|job)"
                  r"|trouve (?:un |du )?(?:taf|travail|boulot|emploi)|je bosse|en poste)\b")
NEGATION = re.compile(r"\b(?:pas|plus|jamais|aucun|aucune|sans|ni)(?: (?:encore|vraiment|trouve|eu|de|d|d un|un|une|"
                      r"en|la|le|du|mon|ma))* $")
MONTHS = re.compile(r"\b(\d{1,2}|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze) (mois|ans?)\b")
NUMBERS = {"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8,
           "neuf": 9, "dix": 10, "onze": 11, "douze": 12}
# Whole answers that say nothing changed.
NOTHING_NEW = frozenset({"rien", "r", "nada", "pareil", "toujours pareil", "pas grand chose", "rien de neuf",
                         "bof rien", "nothing"})
DURABLE_MONTHS = 6
JOB = "job"  # not a category: work whose length is not said yet
_PATTERNS = {category: re.compile(r"\b(?:" + "|".join(words) + r")\b") for category, words in WORDS.items()}


def _length_in_months(folded: str) -> int | None:
    found = MONTHS.search(folded)
    if found is None:
        return None
    count = int(found.group(1)) if found.group(1).isdigit() else NUMBERS[found.group(1)]
    return count * 12 if found.group(2).startswith("an") else count


def _job_by_length(folded: str) -> str:
    months = _length_in_months(folded)
    if months is None:
        return JOB
    return "durable_job" if months >= DURABLE_MONTHS else "short_job"


def read_outcome(text: str) -> str | None:
    """The category (storage/outcomes.py ``CATEGORIES``) these words say, ``JOB`` for work of unsaid length, or
    None when they do not say one."""
    folded = fold(text).strip(" .!?")
    if folded in NOTHING_NEW:
        return "looking"
    said: set[str] = set()
    negative = False
    for category, pattern in _PATTERNS.items():
        for match in pattern.finditer(folded):
            if category != "looking" and NEGATION.search(folded[:match.start()]):
                negative = True  # "pas de CDI", "plus en formation": not this one
                continue
            said.add(category)
    if WORK.search(folded) and not said - {"looking"}:
        said.discard("looking")  # "j'ai trouvé du travail": "trouvé" is not looking
        said.add(_job_by_length(folded))
    if "short_job" in said and (_length_in_months(folded) or 0) >= DURABLE_MONTHS:
        said = (said - {"short_job"}) | {"durable_job"}
    if said == {"durable_job", "short_job"}:
        said = {"durable_job"}  # "un CDD puis un CDI"
    if negative and not said:
        return "looking"
    if len(said) != 1:
        return None
    return said.pop()  # JOB: work of unknown length, the buttons settle it
