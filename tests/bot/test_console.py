"""The terminal channel, piped like a script: a whole onboarding, and one resumed by a new process."""

from __future__ import annotations

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
    assert "Tremplin › Enchanté, Inès !" in out
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
