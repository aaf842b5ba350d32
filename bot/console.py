"""The terminal channel: the whole assistant in a terminal, on the same engine as Telegram.

Buttons are numbered; type the number or the label. Every button printed since the person last wrote
keeps its number (three cards, each with its buttons: all of them reachable). Where the answers are
numbers (an age), a typed number is the answer: those buttons show "[16]", the others letters.
In a terminal the bot speaks first (as Telegram's Start button sends /start), in colour, wrapped at
word boundaries. Piped input works too (one message per line, each echoed after "> "), and the output
is then a plain transcript, one line per message, which makes scripted conversations easy to read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.text import Text

from bot.config import AppConfig
from bot.delivery import Delivery
from bot.runtime import Assistant, open_assistant
from flows.data.territory import fold
from flows.engine.events import BUTTON, COMMAND, TEXT, Button, Event, PersonRef, Reply
from storage.outbox import OutboxMessage
from storage.sqlite_inline import private_folder

log = logging.getLogger(__name__)
CHANNEL = "console"
BOT = "Tremplin"
START = "/start"  # what Telegram's Start button sends: the terminal sends it for the person on opening
# Colours (a terminal only): the bot's name, the person's lines, the keys to type, asides.
BOT_STYLE = "bold green"
PERSON_STYLE = "cyan"
KEY_STYLE = "bold yellow"
ASIDE_STYLE = "dim"
OTHER_STYLE = "magenta"
TYPING, RESET = "\x1b[36m", "\x1b[0m"  # PERSON_STYLE as the terminal's echo colour, and back
GAP = "   "  # between two buttons on a line


class Screen:
    """Where the conversation is printed.

    In a terminal (``pretty``): the bot's name in colour, its text wrapped at word boundaries and indented
    under the first line, the buttons packed on as few lines as fit (never one cut in two), what the
    person types in another colour. Elsewhere (a pipe, a file): a transcript, one line per message and
    per row of buttons, no colour, no wrapping, easy to read and to search.
    """

    def __init__(self, console: Console, *, pretty: bool) -> None:
        self.console = console
        self.pretty = pretty
        self.prompting = False  # the prompt is on screen: a message due now (a reminder) starts a new line

    @classmethod
    def plain(cls, out: TextIO) -> Screen:
        return cls(Console(file=out, soft_wrap=True, no_color=True, color_system=None, highlight=False,
                           markup=False, emoji=False), pretty=False)

    @classmethod
    def terminal(cls, out: TextIO | None = None, *, width: int | None = None) -> Screen:
        # markup and emoji codes off: texts are printed as written ("[a]", ":" are not rich syntax here).
        return cls(Console(file=out, width=width, highlight=False, markup=False, emoji=False), pretty=True)

    def _line(self, text: Text) -> None:
        self.console.print(text, soft_wrap=True)  # already cut to the width (pretty) or a transcript line

    @contextlib.contextmanager
    def _above_prompt(self) -> Iterator[None]:
        """Print on lines of its own, the prompt again after, when a message comes while the person is at the
        prompt (a reminder come due): it would start on the prompt's line, in the person's colour."""
        waiting = self.prompting
        if waiting:
            self.end_input()
            self.console.file.write("\n")
        yield
        if waiting:
            self.prompt()

    def _hanging(self, label: Text, body: Text) -> None:
        """``label`` then ``body`` wrapped at word boundaries, its next lines indented under its first."""
        indent = label.cell_len + 1
        for number, line in enumerate(body.wrap(self.console, max(self.console.width - indent, 20))):
            printed = Text.assemble(label if number == 0 else " " * label.cell_len, " ", line)
            printed.rstrip()
            self._line(printed)

    def message(self, text: str, *, updated: bool = False, notes: list[str] | None = None,
                buttons: list[list[tuple[str, str | None]]] | None = None) -> None:
        """One message of the bot: its text, then notes (a file saved), then its buttons (per row, key and label,
        None when the key is the label itself): piped, a line per row as the conversation laid them out; in a
        terminal, packed on as few lines as fit."""
        rows = buttons or []
        if not self.pretty:
            prefix = f"{BOT} (mis à jour)" if updated else BOT
            self._line(Text(f"{prefix} › {text}"))
            for note in notes or ():
                self._line(Text(f"   {note}"))
            for row in rows:
                self._line(Text("   " + GAP.join(f"[{key}]" if label is None else f"[{key}] {label}"
                                                  for key, label in row)))
            return
        label = Text(f"{BOT} ›", style=BOT_STYLE)
        body = Text("(mis à jour) ", style=ASIDE_STYLE) if updated else Text()
        body.append(text)
        for note in notes or ():
            body.append("\n")
            body.append(note, style=ASIDE_STYLE)
        cells = [(Text.assemble((f"[{key}]", KEY_STYLE), "" if label_ is None else f" {label_}"), label_ is None)
                 for row in rows for key, label_ in row]
        for line in _pack(cells, self.console.width - label.cell_len - 1):
            body.append("\n")
            body.append_text(line)
        with self._above_prompt():
            self._hanging(label, body)

    def to_other(self, chat_id: str, text: str) -> None:
        """A message to another chat (an advisor's), shown as such."""
        if not self.pretty:
            self._line(Text(f"[à {chat_id}] {text}"))
            return
        with self._above_prompt():
            self._hanging(Text(f"→ {chat_id}", style=OTHER_STYLE), Text(text, style=OTHER_STYLE))

    def aside(self, text: str) -> None:
        """A word of the terminal, not a message of the bot (a hint, an acknowledgement)."""
        if not self.pretty:
            self._line(Text(f"   ({text})"))
            return
        self._hanging(Text("  "), Text(f"({text})", style=ASIDE_STYLE))

    def said(self, line: str) -> None:
        """What the person sent, when it was not typed at the prompt (piped, or sent for them)."""
        self._line(Text.assemble(("> ", f"bold {PERSON_STYLE}"), (line, PERSON_STYLE)) if self.pretty
                   else Text(f"> {line}"))

    def banner(self, user: str) -> None:
        self._line(Text(f"Tremplin, dans le terminal ({user}).", style="bold"))
        self.console.print(Text(  # wrapped at word boundaries by rich
            "Tape le numéro d'un bouton, ou écris avec tes mots. /aide pour l'aide, Ctrl-D pour quitter.",
            style=ASIDE_STYLE))
        self.console.line()

    def prompt(self) -> None:
        """The prompt; what the person types is echoed by the terminal in their colour."""
        self.console.print(Text("> ", style=f"bold {PERSON_STYLE}"), end="")
        self._colour(True)
        self.prompting = True

    def end_input(self) -> None:
        """The person pressed Enter (or Ctrl-D): back to the terminal's colours."""
        self.prompting = False
        self._colour(False)

    def goodbye(self, user: str) -> None:
        """After Ctrl-D: end the line the prompt was on, so the shell's prompt starts a line of its own."""
        self.end_input()
        self.console.file.write("\n")
        option = "" if user == "moi" else f" --user {user}"
        self._line(Text(f"À bientôt ! Pour reprendre : tremplin chat{option}", style=ASIDE_STYLE))

    def _colour(self, on: bool) -> None:
        # The terminal itself echoes what is typed, in the colour set last: the person's, until Enter.
        if self.console.color_system is not None:
            self.console.file.write(TYPING if on else RESET)
            self.console.file.flush()


def _pack(cells: list[tuple[Text, bool]], width: int) -> list[Text]:
    """Buttons on as few lines of ``width`` as they fit, each line cut between two buttons, never inside one.

    A button that is its own key ("[19]") and one with a label ("[a] Moins de 16 ans") do not share a line:
    the values read as a row of their own."""
    lines: list[Text] = []
    last: bool | None = None
    for cell, bare in cells:
        if lines and bare == last and lines[-1].cell_len + len(GAP) + cell.cell_len <= width:
            lines[-1].append(GAP)
            lines[-1].append_text(cell)
        else:
            lines.append(cell.copy())
        last = bare
    return lines


class ConsoleSender:
    """Prints messages, and gives every button on screen a key, so that typing it presses that button.

    The screen is every button printed since the person last wrote: the cards of one answer each
    have their own buttons, and all of them stay reachable ("[1]" to "[8]" over three cards).
    Buttons are numbered, except where the answers are numbers themselves (an age): there a typed
    number is a value, never a button's place, so the button "16" is "[16]" and the others of that
    message get letters ("[a] Moins de 16 ans").
    """

    channels = (CHANNEL,)

    def __init__(self, user: str, out: TextIO | Screen, files: Path) -> None:
        self.user = user
        self.screen = out if isinstance(out, Screen) else Screen.plain(out)
        self.files = files
        self.keys: dict[str, tuple[Button, str]] = {}  # key typed -> (button, id of the message it is under)
        self.valued = False  # a label on screen is a number: a typed number is a value, not a place
        self._fresh = True  # the next keyboard printed starts a new screen
        self._numbers = 0
        self._letters = 0

    @property
    def keyboard(self) -> list[Button]:
        """Every button on screen, in the order printed."""
        return [button for button, _ in self.keys.values()]

    def new_answer(self) -> None:
        """The person wrote: the next buttons printed replace those on screen."""
        self._fresh = True

    def _key(self, button: Button, numeric: bool) -> str:
        label = _label(button)
        if numeric and label.isdigit() and label not in self.keys:
            return label
        if numeric or self.valued:
            self._letters += 1
            return _letters(self._letters)
        self._numbers += 1
        return str(self._numbers)

    def _remember(self, rows: tuple[tuple[Button, ...], ...], message_id: str
                  ) -> list[list[tuple[str, str | None]]]:
        """Give keys to a message's buttons (a redrawn message loses its old ones): per row, (key, label),
        the label None where the key is the label itself ("[16]")."""
        if self._fresh:
            self.keys, self.valued, self._numbers, self._letters, self._fresh = {}, False, 0, 0, False
        self.keys = {key: kept for key, kept in self.keys.items() if kept[1] != message_id}
        numeric = any(_label(b).isdigit() for row in rows for b in row)
        self.valued = self.valued or numeric
        keyed = []
        for row in rows:
            cells: list[tuple[str, str | None]] = []
            for button in row:
                key = self._key(button, numeric)
                self.keys[key] = (button, message_id)
                cells.append((key, None if key == _label(button) else button.label))
            keyed.append(cells)
        return keyed

    def choose(self, text: str) -> tuple[Button, str] | str | None:
        """The button a typed line presses, with its message id; a hint when a label is on several; else None."""
        typed = fold(text)
        if typed.isdigit() and self.valued:
            return next((kept for kept in self.keys.values() if _label(kept[0]) == typed), None)
        if typed in self.keys:
            return self.keys[typed]
        found = [(key, kept) for key, kept in self.keys.items() if fold(_label(kept[0])) == typed]
        if len({kept[0].data for _, kept in found}) > 1:
            keys = [key for key, _ in found]
            return f"Plusieurs boutons « {found[0][1][0].label} » : tape {', '.join(keys[:-1])} ou {keys[-1]}."
        return found[0][1] if found else None

    async def send(self, message: OutboxMessage, reply: Reply, edit_message_id: str | None) -> str | None:
        """Print one message (in this terminal only: other chats are advisors, shown as such)."""
        if message.chat_id != self.user:
            self.screen.to_other(message.chat_id, reply.text)
            return str(message.id)
        notes = []
        if reply.document is not None:
            private_folder(self.files)  # a data export is personal data: 0700 folders, a 0600 file
            target = self.files / reply.document.filename
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(fd, 0o600)
                handle.write(reply.document.content)
            notes.append(f"📎 {reply.document.filename} (enregistré dans {target})")
        buttons = self._remember(reply.buttons, edit_message_id or str(message.id)) if any(reply.buttons) else []
        self.screen.message(reply.text, updated=edit_message_id is not None, notes=notes, buttons=buttons)
        self.screen.console.file.flush()
        return str(message.id)


def _label(button: Button) -> str:
    """A button's label as typed: "✅ Logement" is pressed by typing "Logement"."""
    return button.label.removeprefix("✅ ").strip()


def _letters(number: int) -> str:
    """1 -> "a", 26 -> "z", 27 -> "aa"."""
    name = ""
    while number:
        number, rest = divmod(number - 1, 26)
        name = chr(ord("a") + rest) + name
    return name


def read_event(line: str, user: str, sender: ConsoleSender) -> Event | str:
    """Turn one typed line into an event: a command, a button (its key or label), or text.

    A number typed where the answers are numbers is that answer, never the button at that place.
    A label that is on several buttons ("Plus d'infos" under each card) gives back a hint to print
    instead of an event: which keys to type.
    """
    person = PersonRef(CHANNEL, user, user)
    key = f"console:{uuid.uuid4().hex}"
    text = line.strip()
    if text.startswith("/"):
        command = re.split(r"[\s@]", text[1:], maxsplit=1)[0].lower()
        return Event(person, COMMAND, text=text, command=command, key=key)
    chosen = sender.choose(text)
    if isinstance(chosen, str):
        return chosen
    if chosen is not None:
        button, message_id = chosen
        return Event(person, BUTTON, payload=button.data, message_id=message_id, key=key)
    return Event(person, TEXT, text=text, key=key)


async def _tick(delivery: Delivery, seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            await delivery.deliver_due()
        except Exception:  # the terminal must survive a failed tick
            log.exception("delivering due messages failed")


def _reader(lines: TextIO) -> asyncio.Queue[str]:
    """Lines read in a daemon thread ("" at the end): a Ctrl-C while waiting for input ends the program at
    once, where a thread of asyncio's executor would keep it waiting for one more line."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str] = asyncio.Queue()

    def read() -> None:
        while True:
            line = lines.readline()
            loop.call_soon_threadsafe(queue.put_nowait, line)
            if not line:
                return

    threading.Thread(target=read, name="console-input", daemon=True).start()
    return queue


async def converse(assistant: Assistant, user: str, lines: TextIO, screen: Screen, *, echo: bool,
                   first: str | None = None) -> None:
    """Read messages until the end of input, answering each one before reading the next; ``first`` is sent
    for the person before anything is read (the terminal's /start)."""
    sender = ConsoleSender(user, screen, assistant.cfg.root / "var" / "console" / user)
    delivery = Delivery(assistant.db, [sender], assistant.world.clock,
                        max_attempts=assistant.cfg.settings.delivery.max_attempts)
    await delivery.deliver_due()  # what came due while the terminal was closed
    ticker = asyncio.create_task(_tick(delivery, assistant.cfg.settings.delivery.tick_seconds))
    queue = _reader(lines)
    try:
        while True:
            if first is not None:
                line, first = first, None
                screen.said(line)
            else:
                if not echo:
                    screen.prompt()
                    screen.console.file.flush()
                line = await queue.get()
                if not echo:
                    screen.end_input()
                if not line:
                    if not echo:
                        screen.goodbye(user)
                    break
                if not line.strip():
                    continue
                if echo:
                    screen.said(line.rstrip())
            event = read_event(line, user, sender)
            if isinstance(event, str):
                screen.aside(event)
                continue
            outcome = await assistant.engine.handle(event)
            sender.new_answer()
            if outcome.ack and not outcome.outbox_ids:
                screen.aside(outcome.ack)
            await delivery.deliver(outcome.outbox_ids)
    finally:
        ticker.cancel()
        await delivery.deliver_due()


async def run_console(cfg: AppConfig, user: str) -> None:
    """``tremplin chat``: talk in this terminal, or pipe a conversation in."""
    interactive = sys.stdin.isatty()
    screen = Screen.terminal() if interactive and sys.stdout.isatty() else Screen.plain(sys.stdout)
    if interactive:
        screen.banner(user)
        # The first start trains the NLU model (about 20 s, the log says so in var/tremplin.log): say so.
        with screen.console.status(Text("Je me prépare… La première fois, ça prend une vingtaine de secondes."),
                                   spinner="dots"):
            assistant = await open_assistant(cfg)
    else:
        assistant = await open_assistant(cfg)
    try:
        await converse(assistant, user, sys.stdin, screen, echo=not interactive,
                       first=START if interactive else None)
    finally:
        await assistant.close()
