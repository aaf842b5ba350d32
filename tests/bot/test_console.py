"""The terminal channel, piped like a script: a whole onboarding, and one resumed by a new process."""

from __future__ import annotations

import re
from pathlib import Path

from storage import crypto
from tests.bot.test_cli import run

ONBOARDING = [
    "salut", "1", "inès", "19", "nanterre", "CAP ou BEP", "Je cherche une formation", "non", "Mission locale",
    "Me déplacer", "Logement", "C'est tout", "logistique", "C'est tout",
]


def chat(tmp_path: Path, user: str, lines: list[str], key: str) -> str:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/chat.db", "TREMPLIN_DATA_KEY": key}
    result = run("chat", "--user", user, env=env, stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_piped_conversation_completes_onboarding(tmp_path: Path) -> None:
    out = chat(tmp_path, "ines", ONBOARDING, crypto.new_key())
    assert "> salut" in out  # piped lines are echoed, so the output reads as a transcript
    assert re.search(r"^Tremplin › \w+, Inès !$", out, re.MULTILINE)  # "Bienvenue, Inès !": the name understood
    assert "Tremplin › Noté : Nanterre." in out
    assert "Tremplin (mis à jour) ›" in out  # the multi-select keyboard is redrawn
    assert "Tremplin › Noté : me déplacer et logement." in out
    assert "Tremplin › Merci, Inès ! C'est fini pour les questions." in out


def test_onboarding_stopped_in_the_middle_resumes_at_the_same_question(tmp_path: Path) -> None:
    key = crypto.new_key()
    first = chat(tmp_path, "karim", ["bonjour", "D'accord", "Karim", "22"], key)
    last_message = [line for line in first.splitlines() if line.startswith("Tremplin ›")][-1]
    assert last_message == "Tremplin › Tu habites dans quelle ville ? Écris son nom."
    second = chat(tmp_path, "karim", ["re", "gennevilliers"], key)
    assert "Tremplin › Re-bonjour Karim ! On reprend là où on s'était arrêtés." in second
    assert "Tremplin › Tu habites dans quelle ville ? Écris son nom." in second
    assert "Tremplin › Noté : Gennevilliers." in second
    assert "Tremplin › Quel est ton dernier diplôme ?" in second


def test_every_card_has_its_own_numbers_and_cards_can_be_named(tmp_path: Path) -> None:
    out = chat(tmp_path, "lina", [*ONBOARDING, "1", "3", "le dernier"], crypto.new_key())
    shown = out.split("> 1\n")[-1]
    titles = [line.split(" : ", 1)[1] for line in shown.splitlines() if line.startswith("Tremplin › 💡")]
    assert len(titles) == 3
    assert "   [3] Plus d'infos\n" in shown and "   [8] Prendre rendez-vous\n" in shown  # numbered across the cards
    second = out.split("> 3\n")[1].splitlines()[0]  # before: the last card's third button, "Autre chose"
    assert second.startswith("Tremplin › ") and second.endswith(f" : {titles[1]}")
    last = out.split("> le dernier\n")[1].splitlines()[0]
    assert last.startswith("Tremplin › ") and last.endswith(f" : {titles[2]}")


def test_a_number_typed_at_the_age_question_is_an_age(tmp_path: Path) -> None:
    out = chat(tmp_path, "noa", ["salut", "1", "Noa", "12"], crypto.new_key())
    assert "   [16]   [17]   [18]   [19]   [20]\n" in out  # the answers are numbers: they are their own keys
    answer = out.split("> 12\n")[1]
    assert "12 ans" in answer  # before: "12" pressed the 12th button, "Plus de 25 ans"
    assert "France Travail" not in answer
