"""The terminal's keys: every button on screen has its own, and a number typed where the answers are
numbers is that answer, never the button at that place."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

from bot.console import ConsoleSender, read_event
from flows.engine.events import BUTTON, TEXT, Button, Event, Reply


def card(title: str, *labels: str) -> Reply:
    return Reply(f"💡 {title}", tuple((Button(label, f"{title}:{label}"),) for label in labels))


async def show(sender: ConsoleSender, *replies: Reply, first_id: int = 1) -> None:
    """The messages of one answer, as delivery prints them."""
    sender.new_answer()
    for number, reply in enumerate(replies, start=first_id):
        await sender.send(SimpleNamespace(chat_id="ines", id=number), reply, None)  # type: ignore[arg-type]


def typed(sender: ConsoleSender, line: str) -> Event | str:
    return read_event(line, "ines", sender)


def sender_for(tmp_path: Path) -> tuple[ConsoleSender, io.StringIO]:
    out = io.StringIO()
    return ConsoleSender("ines", out, tmp_path), out


async def test_every_card_of_an_answer_has_its_own_numbers(tmp_path: Path) -> None:
    sender, out = sender_for(tmp_path)
    await show(sender, card("Préparateur", "Plus d'infos", "Ça m'intéresse"),
               card("Cariste", "Plus d'infos", "Ça m'intéresse"),
               card("EPIDE", "Plus d'infos", "Ça m'intéresse", "Autre chose", "Prendre rendez-vous"))
    printed = out.getvalue()
    assert "   [3] Plus d'infos\n   [4] Ça m'intéresse\n" in printed
    assert "   [8] Prendre rendez-vous\n" in printed
    pressed = typed(sender, "3")  # the second card's "Plus d'infos", not the last card's third button
    assert isinstance(pressed, Event) and pressed.kind == BUTTON
    assert (pressed.payload, pressed.message_id) == ("Cariste:Plus d'infos", "2")
    first = typed(sender, "1")
    assert isinstance(first, Event) and first.payload == "Préparateur:Plus d'infos" and first.message_id == "1"
    last = typed(sender, "8")
    assert isinstance(last, Event) and last.payload == "EPIDE:Prendre rendez-vous"
    assert isinstance(unique := typed(sender, "autre chose"), Event) and unique.payload == "EPIDE:Autre chose"


async def test_a_label_on_several_buttons_says_which_numbers_to_type(tmp_path: Path) -> None:
    sender, _ = sender_for(tmp_path)
    await show(sender, card("A", "Plus d'infos", "Ça m'intéresse"), card("B", "Plus d'infos", "Ça m'intéresse"),
               card("C", "Plus d'infos", "Ça m'intéresse"))
    assert typed(sender, "plus d'infos") == "Plusieurs boutons « Plus d'infos » : tape 1, 3 ou 5."


async def test_the_next_answer_replaces_the_buttons_on_screen(tmp_path: Path) -> None:
    sender, out = sender_for(tmp_path)
    await show(sender, card("A", "Plus d'infos", "Ça m'intéresse"), card("B", "Plus d'infos", "Ça m'intéresse"))
    await show(sender, Reply("Cariste : détails", ((Button("Ça m'intéresse", "save"),), (Button("RDV", "rdv"),))),
               first_id=3)
    assert out.getvalue().endswith("   [1] Ça m'intéresse\n   [2] RDV\n")
    assert isinstance(pressed := typed(sender, "2"), Event) and pressed.payload == "rdv"
    assert isinstance(text := typed(sender, "3"), Event) and text.kind == TEXT  # nothing numbered 3 now
    sender.new_answer()
    await sender.send(SimpleNamespace(chat_id="ines", id=9), Reply("C'est noté."), None)  # type: ignore[arg-type]
    assert isinstance(kept := typed(sender, "2"), Event) and kept.payload == "rdv"  # no new buttons: still there


AGES = Reply("Tu as quel âge ?", (
    tuple(Button(str(n), f"age:{n}") for n in range(16, 21)),
    tuple(Button(str(n), f"age:{n}") for n in range(21, 26)),
    (Button("Moins de 16 ans", "age:under"), Button("Plus de 25 ans", "age:over")),
    (Button("Retour", "age:back"),),
))


async def test_a_number_typed_at_a_question_of_numbers_is_a_value_not_a_place(tmp_path: Path) -> None:
    sender, out = sender_for(tmp_path)
    await show(sender, AGES)
    assert "   [16]   [17]   [18]   [19]   [20]\n" in out.getvalue()
    assert "   [a] Moins de 16 ans   [b] Plus de 25 ans\n   [c] Retour\n" in out.getvalue()
    twelve = typed(sender, "12")  # before: the 12th button, "Plus de 25 ans"
    assert isinstance(twelve, Event) and (twelve.kind, twelve.text) == (TEXT, "12")
    nineteen = typed(sender, "19")
    assert isinstance(nineteen, Event) and (nineteen.kind, nineteen.payload) == (BUTTON, "age:19")
    three = typed(sender, "3")
    assert isinstance(three, Event) and (three.kind, three.text) == (TEXT, "3")
    under = typed(sender, "a")
    assert isinstance(under, Event) and under.payload == "age:under"
    assert isinstance(over := typed(sender, "plus de 25 ans"), Event) and over.payload == "age:over"
    await show(sender, Reply("Tu habites où ?", ((Button("Nanterre", "c:1"), Button("Colombes", "c:2")),)))
    assert isinstance(second := typed(sender, "2"), Event) and second.payload == "c:2"  # numbers again
