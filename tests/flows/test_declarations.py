"""One declaration per fact.

- Steps are named by strings in places (a cycle between capabilities, a layer that cannot import a capability,
  a step name stored in the conversation): every such name, found by walking the source of flows/, is a
  registered step. Same for the names of action buttons.
- The "Tu voulais dire… ?" offers are declared with the intents' handlers (``on_intent(offer=...)``).
- The command menu: Telegram's and the list of /aide are the same registry.
- The profile's codes: the suggestions, the matching, the catalogue and the data files use those of
  flows/profile/fields.py.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import flows.assistant  # noqa: F401  (registers every step and handler)
from bot.telegram_commands import COMMANDS
from flows.data import catalogue
from flows.engine import engine, script
from flows.engine.script import ACTION_HANDLERS, COMMAND_HANDLERS, INTENT_HANDLERS, OFFERS, STEPS, command_menu
from flows.profile import fields
from flows.suggestions import cards, matching, references, requests
from nlu import INTENTS
from storage import Database
from tests.kit import ROOT, Harness, data_catalogue, make_harness

FLOWS = ROOT / "flows"

# --- Step names written as strings ---------------------------------------------------------------

# Calls that take a step name, and at which position.
STEP_ARGUMENT = {"goto": 0, "call": 0, "next": 0, "Goto": 0, "Step": 0, "step": 0, "ask": 1}
STEP_KEYWORDS = ("back", "skip")
# Calls that take the name of an action button, and at which position (t.action(label, name, argument)).
ACTION_ARGUMENT = {"action": 1, "ActionButton": 1}


@dataclass(frozen=True)
class Reference:
    kind: str  # "step" | "action"
    name: str
    where: str  # file:line

    def __str__(self) -> str:
        return f"{self.where}: {self.kind} {self.name!r}"


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _assignments(body: list[ast.stmt] | ast.AST) -> dict[str, list[ast.expr]]:
    """name -> the expressions assigned to it (a plain ``name = ...``), in a module or a function."""
    found: dict[str, list[ast.expr]] = {}
    nodes = body if isinstance(body, list) else list(ast.walk(body))
    for node in nodes:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            found.setdefault(node.target.id, []).append(node.value)
    return found


class Source:
    """The modules of flows/, parsed once: their constants and what they import from each other."""

    def __init__(self, texts: dict[str, tuple[str, str]]) -> None:
        # module -> (where, source text)
        self.trees = {module: (where, ast.parse(text)) for module, (where, text) in texts.items()}
        self.constants = {module: _assignments(tree.body) for module, (_, tree) in self.trees.items()}
        self.imported: dict[str, dict[str, tuple[str, str]]] = {}
        for module, (_, tree) in self.trees.items():
            names: dict[str, tuple[str, str]] = {}
            for node in tree.body:
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    for alias in node.names:
                        names[alias.asname or alias.name] = (node.module, alias.name)
            self.imported[module] = names

    @classmethod
    def of_flows(cls) -> Source:
        return cls({_module_name(path): (str(path.relative_to(ROOT)), path.read_text(encoding="utf-8"))
                    for path in sorted(FLOWS.rglob("*.py"))})

    def strings(self, expr: ast.expr | None, module: str, local: dict[str, list[ast.expr]], depth: int = 0) -> set[str]:
        """The strings an expression can be, as far as plain reading tells (``step.name`` is an object: none)."""
        if expr is None or depth > 8:
            return set()
        if isinstance(expr, ast.Constant):
            return {expr.value} if isinstance(expr.value, str) else set()
        if isinstance(expr, ast.IfExp):
            return (self.strings(expr.body, module, local, depth + 1)
                    | self.strings(expr.orelse, module, local, depth + 1))
        if isinstance(expr, ast.BoolOp):
            return {s for value in expr.values for s in self.strings(value, module, local, depth + 1)}
        if isinstance(expr, ast.Tuple | ast.List | ast.Set):
            return {s for value in expr.elts for s in self.strings(value, module, local, depth + 1)}
        if isinstance(expr, ast.Name):
            if expr.id in local:
                return {s for value in local[expr.id] for s in self.strings(value, module, local, depth + 1)}
            if expr.id in self.constants.get(module, {}):
                values = self.constants[module][expr.id]
                return {s for value in values for s in self.strings(value, module, {}, depth + 1)}
            if expr.id in self.imported.get(module, {}):
                origin, name = self.imported[module][expr.id]
                return {s for value in self.constants.get(origin, {}).get(name, [])
                        for s in self.strings(value, origin, {}, depth + 1)}
        return set()

    def references(self) -> Iterator[Reference]:
        namespaces = {name.split(".")[0] for name in STEPS if "." in name}
        for module, (where, tree) in self.trees.items():
            yield from _Walker(self, module, where, namespaces).run(tree)


def _is_current_step(expr: ast.expr, local: dict[str, list[ast.expr]]) -> bool:
    """``t.conversation.step``, ``conversation.step``, or a local name given one of them."""
    if isinstance(expr, ast.Attribute) and expr.attr == "step":
        owner = expr.value
        return (isinstance(owner, ast.Attribute) and owner.attr == "conversation") or (
            isinstance(owner, ast.Name) and owner.id == "conversation")
    if isinstance(expr, ast.Name) and expr.id in local:
        return any(_is_current_step(value, {}) for value in local[expr.id])
    return False


class _Walker(ast.NodeVisitor):
    def __init__(self, source: Source, module: str, where: str, namespaces: set[str]) -> None:
        self.source, self.module, self.where = source, module, where
        self.step_like = re.compile(rf"^(?:{'|'.join(map(re.escape, sorted(namespaces)))})\.[a-z_]+$")
        self.scopes: list[dict[str, list[ast.expr]]] = [{}]
        self.found: list[Reference] = []

    def run(self, tree: ast.Module) -> list[Reference]:
        self.visit(tree)
        return self.found

    def _add(self, kind: str, names: set[str], node: ast.AST) -> None:
        for name in sorted(names):
            self.found.append(Reference(kind, name, f"{self.where}:{getattr(node, 'lineno', 0)}"))

    def _strings(self, expr: ast.expr) -> set[str]:
        return self.source.strings(expr, self.module, self.scopes[-1])

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.scopes.append(_assignments(node))
        self.generic_visit(node)
        self.scopes.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        callee = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if callee in STEP_ARGUMENT and len(node.args) > STEP_ARGUMENT[callee]:
            self._add("step", self._strings(node.args[STEP_ARGUMENT[callee]]), node)
        if callee in ACTION_ARGUMENT and len(node.args) > ACTION_ARGUMENT[callee]:
            self._add("action", self._strings(node.args[ACTION_ARGUMENT[callee]]), node)
        for keyword in node.keywords:
            if keyword.arg in STEP_KEYWORDS:
                self._add("step", self._strings(keyword.value), node)
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        if any(_is_current_step(target, {}) for target in node.targets):
            self._add("step", self._strings(node.value), node)
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        if any(_is_current_step(operand, self.scopes[-1]) for operand in operands):
            for operand in operands:
                self._add("step", self._strings(operand), node)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        # Anywhere, a string shaped like a step of a known capability ("onboarding.age") must be one.
        if isinstance(node.value, str) and self.step_like.match(node.value):
            self._add("step", {node.value}, node)


def unknown(found: list[Reference]) -> list[str]:
    known = {"step": set(STEPS), "action": set(ACTION_HANDLERS) | set(getattr(script, "ADVISOR_ACTION_HANDLERS", ()))}
    return [str(r) for r in found if r.name not in known[r.kind]]


def references_in(text: str, module: str = "flows.example") -> list[Reference]:
    return list(Source({module: (f"{module}.py", text)}).references())


FOUND = list(Source.of_flows().references())


def test_every_step_named_in_flows_is_a_registered_step() -> None:
    assert unknown([r for r in FOUND if r.kind == "step"]) == []


def test_every_action_button_named_in_flows_has_a_handler() -> None:
    assert unknown([r for r in FOUND if r.kind == "action"]) == []


def test_the_walk_sees_the_names_it_must_check() -> None:
    steps = {r.name for r in FOUND if r.kind == "step"}
    # The engine's constants (it sits below the capabilities and cannot import their steps), the onboarding's
    # way out (a cycle: the suggestions need the onboarding), a name compared with the current step.
    assert {engine.START, engine.HOME, "suggestions.welcome", "privacy.erase"} <= steps
    assert len(steps) >= 15
    assert {"sg_info", "sg_save", "intent", "handoff"} <= {r.name for r in FOUND if r.kind == "action"}


@pytest.mark.parametrize("snippet", [
    't.goto("onboarding.agee")',
    'step = Step("onboarding.x", back="onboarding.agee")',
    'NEXT = "onboarding.agee"\ndef f(t):\n    return t.call(NEXT)',
    'def f(t):\n    if t.conversation.step in (None, "homme"):\n        pass',
    'def f(t):\n    current = t.conversation.step\n    return current == "homme"',
    'AFTER = "onboarding.agee"',
])
def test_a_misspelt_step_is_caught(snippet: str) -> None:
    assert unknown(references_in(snippet)), snippet


def test_a_misspelt_action_is_caught() -> None:
    assert unknown(references_in('t.say("x", buttons=[t.action("Plus", "sg_infos", ref)])'))


def test_the_profile_questions_are_steps() -> None:
    assert all(field.step in STEPS for field in fields.FIELDS)


# --- "Tu voulais dire… ?" ----------------------------------------------------------------------

# The offers as the engine listed them before they were declared with the handlers: the same labels.
OFFERED_BEFORE = {
    "find_job": "Trouver un emploi", "find_training": "Trouver une formation",
    "find_apprenticeship": "Trouver une alternance", "financial_aid": "Les aides financières",
    "book_appointment": "Prendre rendez-vous", "cancel_appointment": "Annuler un rendez-vous",
    "reschedule_appointment": "Changer un rendez-vous", "my_appointments": "Voir mes rendez-vous",
    "talk_to_advisor": "Parler à quelqu'un", "mission_locale_info": "La mission locale",
    "social_support": "Une aide (logement, santé…)", "stop_nudges": "Arrêter les rappels",
    "delete_data": "Effacer mes données", "help": "Savoir ce que tu fais",
}


def test_the_offers_are_declared_with_their_handlers() -> None:
    assert OFFERS == OFFERED_BEFORE
    assert set(OFFERS) <= set(INTENT_HANDLERS) <= set(INTENTS)
    assert all(1 <= len(label.split()) <= 5 for label in OFFERS.values())


def test_an_offer_labels_one_intent() -> None:
    with pytest.raises(ValueError, match="one by one"):
        script.on_intent("find_job", "find_training", offer="Trouver")


@pytest.fixture
def harness(db: Database) -> Harness:
    return make_harness(db)


async def test_the_offers_follow_the_nlu_s_ranking_top_three(harness: Harness) -> None:
    chat = harness.chat()
    await chat.send("bonjour")
    await chat.press("D'accord")
    await chat.send("Inès")
    # Small talk is never offered; the fourth guess is not either.
    harness.nlu.hesitate("bof", ("help", 0.3), ("greet", 0.25), ("find_job", 0.2), ("delete_data", 0.18))
    await chat.send("bof")
    assert chat.labels == ["Savoir ce que tu fais", "Trouver un emploi", "Non, autre chose"]
    harness.nlu.hesitate("euh", ("find_job", 0.3), ("help", 0.25), ("talk_to_advisor", 0.2))
    await chat.send("euh")
    assert chat.labels == ["Trouver un emploi", "Savoir ce que tu fais", "Parler à quelqu'un", "Non, autre chose"]


# --- The command menu -----------------------------------------------------------------------------


async def test_the_telegram_menu_is_what_aide_lists(harness: Harness) -> None:
    replies = await harness.chat().command("aide")
    listed = next(r.text for r in replies if r.text.startswith("Tu peux m'écrire normalement"))
    lines = listed.splitlines()[1:]
    assert [tuple(line[1:].split(" : ", 1)) for line in lines] == list(COMMANDS) == command_menu()
    assert [name for name, _ in COMMANDS][:2] == ["start", "profil"]  # the menu's order, not the imports'


def test_the_menu_fits_telegram_and_every_command_answers() -> None:
    for name, description in COMMANDS:
        assert re.fullmatch(r"[a-z0-9_]{1,32}", name) and 3 <= len(description) <= 256, name
        assert name in COMMAND_HANDLERS


def test_a_described_command_has_a_rank_in_the_menu() -> None:
    with pytest.raises(ValueError, match="rank"):
        script.on_command("nouvelle", "Une commande")


# --- The profile's codes ------------------------------------------------------------------------------

SCHOOLING = [o.value for o in fields.SCHOOLING]
SITUATIONS = {o.value for o in fields.SITUATIONS}
OBSTACLES = {o.value for o in fields.OBSTACLES}
SECTORS = {o.value for o in fields.SECTORS}


def test_the_data_inclusion_themes_lead_to_the_profile_s_obstacles() -> None:
    # The catalogue's own code lists are the profile's: tests/flows/test_catalogue.py.
    assert set(catalogue.THEMATIQUE_TOPICS.values()) <= OBSTACLES


def test_every_code_of_the_data_files_is_declared_by_the_profile() -> None:
    for offer in data_catalogue().offers:
        assert offer.secteur is None or offer.secteur in SECTORS, offer.id
        assert set(offer.situations) | set(offer.situations_excluded) <= SITUATIONS, offer.id
        assert set(offer.topics) <= OBSTACLES, offer.id
        assert offer.level_required in SCHOOLING and offer.level_max in (None, *SCHOOLING), offer.id


def test_the_suggestions_phrases_cover_exactly_the_profile_s_codes() -> None:
    assert set(matching.SECTOR_IN) == set(matching.SECTOR_INTEREST) == SECTORS
    assert set(matching.OBSTACLE_ORDER) == set(matching.OBSTACLE_SAID) == set(matching.TOPIC_ASKED) == OBSTACLES
    assert set(matching.SITUATION_SAID) == SITUATIONS
    assert list(matching.LEVEL_WORDS) == list(cards.UP_TO_LEVEL) == SCHOOLING
    assert set(requests.TOPIC_WORDS) == OBSTACLES
    asked = requests.INTENT_REQUESTS.values()
    assert {r.situation for r in asked if r.situation} <= SITUATIONS
    assert {topic for r in asked for topic in r.topics} <= OBSTACLES
    assert set(references.REQUEST_INTENTS) <= set(INTENT_HANDLERS)
