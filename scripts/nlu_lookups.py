"""Write nlu/data/lookups/communes.yml (Rasa lookup table + synonyms) from data/communes.yml, and the
generated lookup tables secteur_table.yml (from secteurs.yml) and profil_table.yml (from profil.yml).

    .venv/bin/python scripts/nlu_lookups.py

Run it again when data/communes.yml changes. The generated file is what both NLU backends read:
the running assistant never opens data/ for the NLU. Spellings added by hand (nicknames, short
forms) are in EXTRA below; NOT_OURS lists look-alike places outside the Hauts-de-Seine, which map
to nothing so that "clichy sous bois" is never read as Clichy.
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import yaml

from nlu.entities import PROFILE_ENTITIES  # the profile entities and their values (the app's codes)

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "data" / "communes.yml"
TARGET = ROOT / "nlu" / "data" / "lookups" / "communes.yml"
SECTEURS = ROOT / "nlu" / "data" / "lookups" / "secteurs.yml"
SECTEUR_TABLE = ROOT / "nlu" / "data" / "lookups" / "secteur_table.yml"
PROFIL = ROOT / "nlu" / "data" / "lookups" / "profil.yml"
PROFIL_TABLE = ROOT / "nlu" / "data" / "lookups" / "profil_table.yml"

# Short forms and nicknames young people use, by official name.
EXTRA: dict[str, list[str]] = {
    "Asnières-sur-Seine": ["asnieres", "asnière", "asniere", "asnières", "asnieres sur seine", "asniere sur seine"],
    "Boulogne-Billancourt": ["boulogne", "boulbi", "billancourt", "boulogne billancourt", "boulogne-billancourt"],
    "Bois-Colombes": ["bois colombes", "bois colombe", "bois-colombe"],
    "Bourg-la-Reine": ["bourg la reine", "bourg-la-reine", "bourg la reine"],
    "Châtenay-Malabry": ["chatenay", "châtenay", "chatenay malabry", "chatnay"],
    "Châtillon": ["chatillon", "chatillion"],
    "Clichy": ["clichy la garenne", "clichy-la-garenne", "clichi"],
    "Colombes": ["colombe"],
    "Fontenay-aux-Roses": ["fontenay", "fontenay aux roses", "fontenay-aux-roses"],
    "Gennevilliers": ["genevilliers", "gennevillier", "genvilliers", "gennevillers", "genne"],
    "Issy-les-Moulineaux": ["issy", "issy les moulineaux", "issy-les-moulineaux", "issy les mx", "isy"],
    "La Garenne-Colombes": ["la garenne colombes", "garenne colombes", "la garenne", "la garenne colombe",
                            "garenne-colombes"],
    "Levallois-Perret": ["levallois", "levallois perret", "levalois"],
    "Le Plessis-Robinson": ["plessis robinson", "le plessis robinson", "le plessis", "plessis"],
    "Marnes-la-Coquette": ["marnes la coquette", "marnes"],
    "Montrouge": ["mont rouge"],
    "Nanterre": ["nanter", "nantere"],
    "Neuilly-sur-Seine": ["neuilly", "neuilly sur seine", "neuilly-sur-seine", "neuily"],
    "Rueil-Malmaison": ["rueil", "rueil malmaison", "rueil-malmaison", "rueuil"],
    "Saint-Cloud": ["st cloud", "saint cloud", "st-cloud", "saint-cloud", "stcloud"],
    "Sèvres": ["sevres", "sevre", "sèvre"],
    "Suresnes": ["suresne", "surenes"],
    "Ville-d'Avray": ["ville d avray", "ville d'avray", "villedavray", "ville davray"],
    "Villeneuve-la-Garenne": ["villeneuve", "villeneuve la garenne", "villeneuve-la-garenne",
                              "villeneuve la garenne", "vlg"],
    "Courbevoie": ["courbevoix", "courbevoi"],
    "Puteaux": ["puteau", "putaux"],
    "Antony": ["antonny"],
    "Malakoff": ["malakof"],
    "Vaucresson": ["vaucreson"],
}

# Places outside the Hauts-de-Seine that start like one of ours: they must never match.
NOT_OURS = [
    "clichy sous bois", "clichy-sous-bois", "fontenay sous bois", "fontenay-sous-bois", "fontenay le fleury",
    "villeneuve saint georges", "villeneuve st georges", "villeneuve le roi", "villeneuve d ascq",
    "villeneuve la garenne sur", "boulogne sur mer", "neuilly sur marne", "neuilly plaisance",
    "le plessis trevise", "plessis trevise", "le plessis robinson sur", "saint cloud en", "sevres anxaumont",
    "chatillon sur", "colombes sur", "montrouge sur",
]


def fold(text: str) -> str:
    """Lower case without accents; hyphens and apostrophes as spaces."""
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    for sep in "-'’":
        text = text.replace(sep, " ")
    return " ".join(text.split())


def spellings(name: str, postal_codes: list[str], unique_codes: set[str]) -> list[str]:
    """Every spelling that means this commune."""
    out = [name, fold(name), name.replace("-", " ")]
    folded = fold(name)
    if folded.startswith("saint "):
        out.append("st " + folded[6:])
    if folded.endswith(" sur seine"):
        out.append(folded[: -len(" sur seine")])
    for article in ("le ", "la "):
        if folded.startswith(article):
            out.append(folded[len(article):])
    out += EXTRA.get(name, [])
    out += [code for code in postal_codes if code in unique_codes]
    seen: list[str] = []
    for s in out:
        if s not in seen and s != name:
            seen.append(s)
    return seen


def build(source: Path = SOURCE) -> str:
    """The YAML text of the generated lookup file."""
    communes = yaml.safe_load(source.read_text(encoding="utf-8"))["communes"]
    counts: dict[str, int] = {}
    for c in communes:
        for code in c["postal_codes"]:
            counts[code] = counts.get(code, 0) + 1
    unique = {code for code, n in counts.items() if n == 1}
    lines = [
        "# GENERATED by scripts/nlu_lookups.py from data/communes.yml: do not edit by hand.",
        "# The 36 communes of the Hauts-de-Seine: a lookup table and their spellings (synonyms).",
        'version: "3.1"',
        "nlu:",
        "- lookup: commune",
        "  examples: |",
    ]
    names = [c["name"] for c in communes]
    table: list[str] = []
    for c in communes:
        for s in [c["name"], *spellings(c["name"], c["postal_codes"], unique)]:
            if s not in table and not s.isdigit():
                table.append(s)
    lines += [f"    - {s}" for s in table]
    for c in communes:
        lines += [f"- synonym: {c['name']}", "  examples: |"]
        lines += [f"    - {s}" for s in spellings(c["name"], c["postal_codes"], unique)]
    lines += ["# Look-alike places outside the département: never a commune of ours.",
              "- lookup: not_a_commune", "  examples: |"]
    lines += [f"    - {s}" for s in NOT_OURS]
    assert len(names) == 36, "expected the 36 communes of the Hauts-de-Seine"
    return "\n".join(lines) + "\n"


def build_secteur_table(source: Path = SECTEURS) -> str:
    """A Rasa lookup table of every trade word listed in the sector synonyms."""
    doc = yaml.safe_load(source.read_text(encoding="utf-8"))
    words: list[str] = []
    # Words that are a sector only in a work context stay out of Rasa's table of sure matches.
    contextual = {
        line.strip()[2:].strip()
        for item in doc["nlu"] if item.get("lookup") == "secteur_contextual"
        for line in item["examples"].splitlines()
    }
    for item in doc["nlu"]:
        if "synonym" in item:
            for line in item["examples"].splitlines():
                word = line.strip()[2:].strip()
                if word and word not in words and word not in contextual:
                    words.append(word)
    lines = [
        "# GENERATED by scripts/nlu_lookups.py from secteurs.yml: do not edit by hand.",
        'version: "3.1"',
        "nlu:",
        "- lookup: secteur",
        "  examples: |",
    ]
    return "\n".join(lines + [f"    - {w}" for w in words]) + "\n"


def build_profile_tables(source: Path = PROFIL) -> str:
    """One Rasa lookup table per profile entity (named like it), of every spelling of its values.

    Longest spellings first: Rasa joins a table into one regex of alternatives, and Python's regex
    takes the first alternative that matches, so "bac+2" must come before "bac". A spelling that is
    also in a ``not_a_<entity>`` phrase is no problem: the Rasa backend keeps a profile entity only
    where the gazetteer, reading the whole message, finds it too.
    """
    doc = yaml.safe_load(source.read_text(encoding="utf-8"))
    tables: dict[str, list[str]] = {entity: [] for entity in PROFILE_ENTITIES}
    entity_of = {value: entity for entity, values in PROFILE_ENTITIES.items() for value in values}
    for item in doc["nlu"]:
        if "synonym" not in item:
            continue
        entity = entity_of[str(item["synonym"])]
        for line in item["examples"].splitlines():
            word = line.strip()[2:].strip()
            if word and word not in tables[entity]:
                tables[entity].append(word)
    lines = [
        "# GENERATED by scripts/nlu_lookups.py from profil.yml: do not edit by hand.",
        'version: "3.1"',
        "nlu:",
    ]
    for entity, words in tables.items():
        lines += [f"- lookup: {entity}", "  examples: |"]
        lines += [f"    - {w}" for w in sorted(words, key=lambda w: (-len(w), w))]
    return "\n".join(lines) + "\n"


def main() -> int:
    """Write the lookup files and say where."""
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(build(Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE), encoding="utf-8")
    SECTEUR_TABLE.write_text(build_secteur_table(), encoding="utf-8")
    PROFIL_TABLE.write_text(build_profile_tables(), encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}, {SECTEUR_TABLE.relative_to(ROOT)} and {PROFIL_TABLE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
