"""Every text the bot sends, collected from the code of flows/, against the voice rules.

What is collected (``collect``), by reading the source with ``ast`` (nothing is run):

- the strings and f-strings given to what sends or shows a text: ``say`` (a young person's turn, an advisor's
  turn, an ``Answer``), the ``say`` argument of ``goto`` / ``next`` / ``done`` / ``stay`` / ``resume``,
  ``Question`` (its text and ``before``), ``Option`` labels, ``ActionButton`` and ``t.action`` labels, ``Reply``,
  ``plan`` and ``send_to`` (``text=``), ``tell_advisor``, and the reasons given to ``add`` in the matching
  (the "Pourquoi pour toi" of a card);
- what those arguments name, and what the placeholders of their f-strings name: a local variable, a module
  constant (also imported), an item of a constant dict or tuple, both branches of ``a if c else b``, both sides
  of ``+``;
- the module-level text constants (an UPPER_CASE name holding sentences: a string, or the strings of a dict,
  tuple or list), which is where most fixed sentences live.

An f-string's placeholders are read as one word ("X"). Not collected: docstrings, comments, log lines,
exceptions, the NLU's aliases of an option (never shown), the catalogue's data files (data, not code), and
strings that are no text (codes, keys: one lowercase word).

Who reads it: the advisors for flows/advisors/, flows/handoff/summary.py and flows/handoff/channel.py, and for
``send_to`` / ``tell_advisor`` anywhere; the young people otherwise. The rules (``problems``):

- young people: *tu*, never *vous*; at most 15 words a sentence; no acronym left unexplained (``EXPLAINED``
  says where each allowed one is explained or why it needs no explanation); no masculine-only participle or
  adjective about the person (``MASCULINE_ONLY``) in a sentence that says *tu*, nor opening a sentence
  ("Enchanté !");
- young people: no masculine noun for people a feminine one names as well ("un conseiller": « quelqu'un de
  la mission locale »);
- advisors: *vous*, never *tu*;
- everyone: no point médian ("conseiller·e": epicene words instead).

``TEXTS_FILE`` (an environment variable) names a file to write the list of texts checked to.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.kit import ROOT

FLOWS = ROOT / "flows"
YOUNG, ADVISOR = "young", "advisor"
ADVISOR_FILES = (
    "flows/advisors/", "flows/handoff/summary.py", "flows/handoff/channel.py", "flows/engine/advisor_turn.py",
)
MAX_WORDS = 15
PLACEHOLDER = "X"

# Calls that send or show a text: name -> positions of their text arguments, and their text keywords.
SINKS: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {
    "say": ((0,), ("text",)),
    "goto": ((1,), ("say",)),
    "next": ((1,), ("say",)),
    "call": ((1,), ("say",)),
    "done": ((0,), ("say",)),
    "stay": ((0,), ("say",)),
    "resume": ((0,), ("say",)),
    "Question": ((0,), ("text", "before")),
    "Option": ((1,), ("label",)),
    "ActionButton": ((0,), ("label",)),
    "action": ((0,), ()),
    "Reply": ((0,), ("text",)),
    "plan": ((), ("text",)),
    "send_to": ((), ("text",)),
    "tell_advisor": ((3,), ("text",)),
    "add": ((2,), ()),
    "on_command": ((1,), ()),  # the menu's description of a command
    "on_intent": ((), ("offer",)),  # the label of "Tu voulais dire… ?"
    "on_advisor_command": ((1,), ()),
}
TO_ADVISORS = {"send_to", "tell_advisor", "on_advisor_command"}
NOT_TEXT_CALLS = {"debug", "info", "warning", "error", "exception", "compile", "search", "match", "sub",
                  "fullmatch", "findall", "split", "ValueError", "KeyError", "TypeError", "AssertionError",
                  "RuntimeError", "BadParameter", "Exit", "get", "pop", "setdefault", "startswith", "endswith",
                  "replace", "strip", "removeprefix", "format", "strftime", "join", "rjust", "ljust", "encode"}


@dataclass(frozen=True)
class Text:
    """One text the bot can send, as written in the code (placeholders as ``X``)."""

    text: str
    audience: str
    where: str  # file:line

    def __str__(self) -> str:
        return f"{self.where} [{self.audience}] {self.text!r}"


def _render(node: ast.expr) -> str | None:
    """A string or an f-string as read (placeholders as one word)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            else:
                parts.append(PLACEHOLDER)
        return "".join(parts)
    return None


def _placeholders(text: str) -> str:
    """A template's ``{name}`` (filled with ``format``) read as one word, like an f-string's."""
    return re.sub(r"\{\w*\}", PLACEHOLDER, text)


def _is_text(text: str) -> bool:
    """A sentence or a label, not a code: a letter, and a space or a capital (or an emoji) first."""
    stripped = text.strip()
    if not re.search(r"[A-Za-zÀ-ÿ]", stripped) or stripped == PLACEHOLDER:
        return False
    if re.fullmatch(r"[a-z0-9_.:/\-]+", stripped) or "//" in stripped:
        return False  # a code, a key, a step name, an identifier (the .ics PRODID)
    return " " in stripped or not stripped[0].islower()


class _Module:
    def __init__(self, path: Path, tree: ast.Module) -> None:
        self.path = path
        self.where = str(path.relative_to(ROOT))
        self.tree = tree
        self.constants: dict[str, list[ast.expr]] = {}
        self.imports: dict[str, tuple[str, str]] = {}
        for node in tree.body:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.constants.setdefault(target.id, []).append(node.value)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                self.constants.setdefault(node.target.id, []).append(node.value)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    self.imports[alias.asname or alias.name] = (node.module, alias.name)


class Collector:
    """Reads flows/ once and yields every text found (see the module's docstring)."""

    def __init__(self, root: Path = FLOWS) -> None:
        self.modules: dict[str, _Module] = {}
        for path in sorted(root.rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            self.modules[name] = _Module(path, ast.parse(path.read_text(encoding="utf-8")))
        self.found: dict[tuple[str, str], Text] = {}

    def _audience(self, module: _Module, sink: str | None = None) -> str:
        if sink in TO_ADVISORS or module.where.startswith(ADVISOR_FILES):
            return ADVISOR
        return YOUNG

    def _add(self, text: str, audience: str, where: str) -> None:
        text = _placeholders(text)
        if _is_text(text):
            self.found.setdefault((text, audience), Text(text, audience, where))

    def _strings(self, node: ast.expr | None, module: _Module, local: dict[str, list[ast.expr]],
                 depth: int = 0, *, containers: bool = False) -> Iterator[tuple[str, int]]:
        """The texts an expression can be, with the line each is written on."""
        if node is None or depth > 6:
            return
        rendered = _render(node)
        if rendered is not None:
            yield rendered, node.lineno
        elif isinstance(node, ast.IfExp):
            yield from self._strings(node.body, module, local, depth + 1, containers=containers)
            yield from self._strings(node.orelse, module, local, depth + 1, containers=containers)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = list(self._strings(node.left, module, local, depth + 1))
            right = list(self._strings(node.right, module, local, depth + 1))
            if left and right:
                yield from ((a + b, line) for a, line in left for b, _ in right)
            else:
                yield from (*left, *right)
        elif isinstance(node, ast.BoolOp):
            for value in node.values:
                yield from self._strings(value, module, local, depth + 1, containers=containers)
        elif containers and isinstance(node, ast.Tuple | ast.List):
            for element in node.elts:
                yield from self._strings(element, module, local, depth + 1, containers=True)
        elif containers and isinstance(node, ast.Dict):
            for value in node.values:
                yield from self._strings(value, module, local, depth + 1, containers=True)
        elif isinstance(node, ast.Subscript):
            yield from self._strings(node.value, module, local, depth + 1, containers=True)
        elif isinstance(node, ast.Name):
            if node.id in local:
                for value in local[node.id]:
                    yield from self._strings(value, module, {}, depth + 1, containers=containers)
            elif node.id in module.constants:
                for value in module.constants[node.id]:
                    yield from self._strings(value, module, {}, depth + 1, containers=containers)
            elif node.id in module.imports:
                origin, name = module.imports[node.id]
                other = self.modules.get(origin)
                if other is not None:
                    for value in other.constants.get(name, []):
                        yield from self._strings(value, other, {}, depth + 1, containers=containers)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            origin = module.imports.get(node.value.id)  # privacy.WHO_SEES
            other = self.modules.get(f"{origin[0]}.{origin[1]}") if origin else None
            if other is not None:
                for value in other.constants.get(node.attr, []):
                    yield from self._strings(value, other, {}, depth + 1, containers=containers)

    def _sink_arguments(self, call: ast.Call) -> tuple[str | None, list[ast.expr]]:
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if name not in SINKS:
            return None, []
        positions, keywords = SINKS[name]
        args = [call.args[i] for i in positions if i < len(call.args) and not isinstance(call.args[i], ast.Starred)]
        args += [k.value for k in call.keywords if k.arg in keywords]
        return name, args

    def _functions(self, module: _Module) -> Iterator[tuple[ast.AST, dict[str, list[ast.expr]]]]:
        yield module.tree, {}
        for node in ast.walk(module.tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                local: dict[str, list[ast.expr]] = {}
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Assign):
                        for target in inner.targets:
                            if isinstance(target, ast.Name):
                                local.setdefault(target.id, []).append(inner.value)
                    elif isinstance(inner, ast.NamedExpr) or (
                            isinstance(inner, ast.AugAssign) and isinstance(inner.target, ast.Name)):
                        local.setdefault(inner.target.id, []).append(inner.value)
                yield node, local

    def collect(self) -> list[Text]:
        for module in self.modules.values():
            for scope, local in self._functions(module):
                for node in ast.walk(scope):
                    if not isinstance(node, ast.Call):
                        continue
                    name, args = self._sink_arguments(node)
                    for arg in args:
                        audience = self._audience(module, name)
                        for text, line in self._strings(arg, module, local,
                                                        containers=isinstance(arg, ast.Tuple | ast.List)):
                            self._add(text, audience, f"{module.where}:{line}")
                        # What an f-string's placeholders name, when it is text too ("{said}, et l'argent…").
                        for part in ast.walk(arg):
                            if isinstance(part, ast.FormattedValue):
                                for text, line in self._strings(part.value, module, local, containers=True):
                                    self._add(text, audience, f"{module.where}:{line}")
            self._constants(module)
        return sorted(self.found.values(), key=lambda t: (t.where.split(":")[0], int(t.where.split(":")[1])))

    def _constants(self, module: _Module) -> None:
        """Module-level UPPER_CASE constants holding sentences (a capital or an emoji first, a space inside)."""
        skip = {id(n) for node in ast.walk(module.tree) if isinstance(node, ast.Call)
                and _call_name(node) in NOT_TEXT_CALLS for n in ast.walk(node)}
        for name, values in module.constants.items():
            if not name.isupper():
                continue
            for value in values:
                if id(value) in skip:
                    continue
                for text, line in self._strings(value, module, {}, containers=True):
                    if " " in text.strip() and not text.strip()[0].islower() and not _is_pattern(text):
                        self._add(text, self._audience(module), f"{module.where}:{line}")


def _call_name(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def _is_pattern(text: str) -> bool:
    return bool(re.search(r"\\[bdswS]|\(\?:|\[\^|\|\w", text))


def collect() -> list[Text]:
    """Every text of flows/ the bot can send."""
    return Collector().collect()


# --- The rules ------------------------------------------------------------------------------------

# Acronyms a young person reads, and why each is fine.
EXPLAINED = {
    "RSA": "the onboarding explains it: « Le RSA, c'est le revenu de solidarité active »",
    "CAP": "a diploma's own name (CAP ou BEP), the answer the person gave",
    "BEP": "a diploma's own name (CAP ou BEP), the answer the person gave",
    "RER": "a train line's own name, in an address's access",
    "JSON": "the export's file type, said with « un fichier » that the phone opens",
    "GIF": "what the phone itself calls these animations",
    "OK": "a word, not an acronym",
    "CDI": "the contract's everyday name, the one young people use themselves (« j'ai signé un CDI »); the "
           "outcome button says what else counts with it (« CDI, ou 6 mois et plus »)",
}
# Masculine-only forms that would be about the person in a sentence that says "tu" (their feminine differs).
# (Forms that are mostly about things, "noté", "prévu", "annulé", "libéré", are left out: "C'est noté".)
MASCULINE_ONLY = (
    "payé", "inscrit", "prêt", "enchanté", "seul", "sûr", "motivé", "intéressé", "perdu", "content", "désolé",
    "fatigué", "obligé", "accompagné", "diplômé", "embauché", "salarié", "bienvenu", "allé", "arrivé", "né",
    "convoqué", "orienté", "informé", "inquiet", "heureux", "décidé", "concerné", "connecté", "occupé", "gêné",
    "perdu", "stressé", "déçu", "rassuré", "seul", "débutant", "étudiant", "apprenti", "demandeur",
)
# A masculine noun for people whom a feminine word would name as well: an epicene phrasing instead.
MASCULINE_NOUN = re.compile(r"\b(?:un|le|ton|du|au|ce|les|des|aux|tes) (?:conseillers?|référents?|éducateurs?)\b",
                            re.IGNORECASE)
# Texts in files another session is editing (flows/home/): the rule is right, the fix is theirs to make.
ELSEWHERE: dict[str, str] = {}  # texts known to break a rule, each with where and how it is to be fixed
YOU_FORMAL = re.compile(r"(?<!rendez-)\b(?:vous|votre|vos)\b", re.IGNORECASE)
YOU_FAMILIAR = re.compile(r"\b(?:tu|toi|ton|tes)\b|\bt'|\bte\b", re.IGNORECASE)
POINT_MEDIAN = re.compile(r"\w·\w")
ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]*[A-Z][A-Z0-9]*\b")
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n")
WORD = re.compile(r"[A-Za-zÀ-ÿ0-9][\wÀ-ÿ'’-]*")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text) if s.strip()]


def words(sentence: str) -> list[str]:
    return WORD.findall(sentence)


def problems(text: str, audience: str) -> list[str]:
    """What breaks the voice rules in one text (empty: nothing)."""
    found = []
    if POINT_MEDIAN.search(text):
        found.append("point médian: write an epicene word instead")
    if audience == ADVISOR:
        if YOU_FAMILIAR.search(text) and not YOU_FORMAL.search(text):
            found.append("an advisor is told « tu »: say « vous »")
        return found
    if YOU_FORMAL.search(text):
        found.append("« vous » to a young person: say « tu »")
    if noun := MASCULINE_NOUN.search(text):
        found.append(f"« {noun.group()} »: a word for everyone (« la mission locale », « quelqu'un »)")
    for sentence in sentences(text):
        count = len(words(sentence))
        if count > MAX_WORDS:
            found.append(f"{count} words in « {sentence} » (at most {MAX_WORDS})")
        first = words(sentence)[:1]
        if first and first[0].lower() in MASCULINE_ONLY:  # "Enchanté !", "Désolé, …": whoever reads it
            found.append(f"« {first[0]} » opens « {sentence} »: an epicene phrasing")
        if YOU_FAMILIAR.search(sentence):
            for form in MASCULINE_ONLY:
                if re.search(rf"\b{form}s?\b", sentence, re.IGNORECASE):
                    found.append(f"« {form} » about the person in « {sentence} »: an epicene phrasing")
    for acronym in sorted(set(ACRONYM.findall(text))):
        if acronym not in EXPLAINED and acronym != PLACEHOLDER and not _explained_in(text, acronym):
            found.append(f"acronym {acronym} not explained")
    return found


def _explained_in(text: str, acronym: str) -> bool:
    """The text explains it itself: « … (FJT) » after its words, or « FJT, c'est … »."""
    return bool(re.search(rf"\w[\w' -]{{8,}} \({acronym}\)|{acronym}, c'est", text))


# --- The test -------------------------------------------------------------------------------------


def test_every_text_of_the_bot_follows_the_voice_rules() -> None:
    texts = collect()
    listing = os.environ.get("TEXTS_FILE")
    if listing:
        Path(listing).write_text(
            f"{len(texts)} texts checked (tests/flows/test_polish_voice.py)\n\n" + "\n".join(map(str, texts)) + "\n",
            encoding="utf-8")
    print(f"\n{len(texts)} texts checked "
          f"({sum(t.audience == YOUNG for t in texts)} to young people, {sum(t.audience == ADVISOR for t in texts)}"
          " to advisors)")
    assert len(texts) > 300  # the collector still finds the texts (it found 300+ when written)
    broken = [f"{t}: {problem}" for t in texts if t.text not in ELSEWHERE for problem in problems(t.text, t.audience)]
    assert not broken, "\n".join(broken)


def test_the_collector_finds_the_texts_it_is_meant_to() -> None:
    """Known texts of each kind are found (a say, a Question's before, a label, a constant, an f-string, a reason
    of the matching, an advisor's text)."""
    texts = {t.text: t.audience for t in collect()}
    assert texts["Je ne connais pas cette commande. Tape /aide pour voir ce que je sais faire."] == YOUNG
    assert texts["Salut ! Je suis Tremplin, le robot du Département des Hauts-de-Seine."] == YOUNG
    assert texts["Oui, je réserve"] == YOUNG
    assert texts["C'est noté : je t'écris seulement pour rappeler tes rendez-vous."] == YOUNG
    assert texts["MerciX ! C'est fini pour les questions. Tu peux changer tes réponses avec /profil."] == YOUNG
    assert texts["X, et l'argent te manque."] == YOUNG
    assert texts["La formation est payée"] == YOUNG  # what the placeholder of the line above names
    assert texts["📩 Demande de contact : la personne veut parler à quelqu'un."] == ADVISOR
    assert any(a == ADVISOR and "a annulé son rendez-vous" in t for t, a in texts.items())


def test_the_rules_catch_what_they_are_meant_to() -> None:
    assert problems("Tu es payé pendant la formation.", YOUNG)
    assert not problems("La formation est payée.", YOUNG)
    assert problems("Vous pouvez écrire ici.", YOUNG)
    assert problems("Tu peux écrire ici.", ADVISOR)
    assert problems("Vous êtes conseiller·e de la mission locale.", ADVISOR)
    assert problems("Un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize.", YOUNG)
    assert problems("Tu es prêt pour le CEJ ?", YOUNG) == [
        "« prêt » about the person in « Tu es prêt pour le CEJ ? »: an epicene phrasing",
        "acronym CEJ not explained"]
    assert problems("Un conseiller de la mission locale peut t'aider.", YOUNG)
    assert not problems("Ton rendez-vous est prévu.", YOUNG)  # "rendez-vous" is no « vous »
    assert problems("Enchanté, X !", YOUNG) == ["« Enchanté » opens « Enchanté, X ! »: an epicene phrasing"]
    assert not problems("Le logement des jeunes (FJT) t'aide.", YOUNG)
