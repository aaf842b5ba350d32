"""The terminal's screen at 80 and 120 columns: text wrapped between words and indented under the bot's name,
buttons packed without cutting one, colours telling the bot from the person; piped, a plain transcript."""

from __future__ import annotations

import io
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from rich.cells import cell_len
from rich.console import Console

from bot.console import ConsoleSender, Screen
from flows.engine.events import Button, Reply

CONSENT = ("Pour t'aider, je garde tes réponses pendant 2 ans après ton dernier message. Seules les personnes "
           "qui t'accompagnent les voient : ta mission locale et le Département. Tu es d'accord ?")
AGES = Reply("Tu as quel âge ?", (
    tuple(Button(str(n), f"age:{n}") for n in range(16, 21)),
    tuple(Button(str(n), f"age:{n}") for n in range(21, 26)),
    (Button("Moins de 16 ans", "age:under"), Button("Plus de 25 ans", "age:over")),
    (Button("Retour", "age:back"),),
))
CITIES = Reply("Tu habites dans quelle ville ? Écris son nom.", (
    (Button("Boulogne-Billancourt", "c:1"), Button("Nanterre", "c:2")),
    (Button("Asnières-sur-Seine", "c:3"), Button("Colombes", "c:4")),
    (Button("Hors Hauts-de-Seine", "c:5"),), (Button("Retour", "c:back"),),
))
ANSI = re.compile(r"\x1b\[[0-9;]*m")


async def printed(width: int, *replies: Reply, colour: bool = False) -> str:
    """What a terminal of ``width`` columns shows for these messages of one answer."""
    out = io.StringIO()
    console = Console(file=out, width=width, highlight=False, markup=False, emoji=False,
                      force_terminal=colour, color_system="standard" if colour else None)
    sender = ConsoleSender("ines", Screen(console, pretty=True), Path("/nonexistent"))
    sender.new_answer()
    for number, reply in enumerate(replies, start=1):
        await sender.send(SimpleNamespace(chat_id="ines", id=number), reply, None)  # type: ignore[arg-type]
    return out.getvalue()


@pytest.mark.parametrize("width", [80, 120])
async def test_no_word_is_cut_and_every_line_fits(width: int) -> None:
    shown = await printed(width, Reply(CONSENT, ((Button("D'accord", "y"), Button("Non merci", "n")),)))
    lines = shown.splitlines()
    assert all(cell_len(line) <= width for line in lines)  # before: one line of 190 characters, cut by the terminal
    assert " ".join(shown.split()) == f"Tremplin › {CONSENT} [1] D'accord [2] Non merci"  # every word whole
    indent = " " * len("Tremplin › ")
    assert len(lines) > 1 and all(line.startswith(indent) for line in lines[1:])  # under the text, not the name


@pytest.mark.parametrize("width", [80, 120])
async def test_buttons_are_packed_on_few_lines_and_never_cut(width: int) -> None:
    shown = await printed(width, AGES) + await printed(width, CITIES)  # two answers: the cities are numbered
    lines = shown.splitlines()
    assert all(cell_len(line) <= width for line in lines)
    for cell in ("[16]", "[25]", "[a] Moins de 16 ans", "[b] Plus de 25 ans", "[c] Retour",
                 "[1] Boulogne-Billancourt", "[3] Asnières-sur-Seine", "[5] Hors Hauts-de-Seine", "[6] Retour"):
        assert any(cell in line for line in lines), cell  # each button whole on one line
    ages = [line for line in lines if "[16]" in line or "[a]" in line]
    assert len(ages) <= 2  # 13 buttons on two lines (before: four rows)
    assert "[16]   [17]   [18]   [19]   [20]   [21]   [22]   [23]   [24]   [25]" in shown


async def test_the_bot_the_keys_and_the_person_have_their_colours() -> None:
    shown = await printed(80, AGES, colour=True)
    assert re.search(r"\x1b\[1;32mTremplin ›", shown)  # the bot's name, bold green
    assert re.search(r"\x1b\[1;33m\[a\]", shown)  # keys to type, bold yellow
    out = io.StringIO()
    screen = Screen(Console(file=out, force_terminal=True, color_system="standard", width=80), pretty=True)
    screen.said("/start")
    assert re.search(r"\x1b\[[0-9;]*36m", out.getvalue())  # what the person sent, cyan
    assert ANSI.sub("", out.getvalue()) == "> /start\n"


async def test_a_message_due_while_the_prompt_waits_starts_its_own_line_and_prompts_again() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, color_system="standard", width=80)
    sender = ConsoleSender("ines", Screen(console, pretty=True), Path("/nonexistent"))
    sender.screen.prompt()
    await sender.send(SimpleNamespace(chat_id="ines", id=1), Reply("Rappel : rendez-vous demain."), None)  # type: ignore[arg-type]
    assert ANSI.sub("", out.getvalue()) == "> \nTremplin › Rappel : rendez-vous demain.\n> "


async def test_piped_the_output_stays_a_plain_transcript() -> None:
    out = io.StringIO()
    sender = ConsoleSender("ines", out, Path("/nonexistent"))
    await sender.send(SimpleNamespace(chat_id="ines", id=1), Reply(CONSENT, ((Button("D'accord", "y"),),)), None)  # type: ignore[arg-type]
    assert out.getvalue() == f"Tremplin › {CONSENT}\n   [1] D'accord\n"  # one line a message: no wrap, no colour
