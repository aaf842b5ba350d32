"""The terminal channel: the whole assistant in a terminal, on the same engine as Telegram.

Buttons are numbered; type the number or the label. Every button printed since the person last wrote
keeps its number (three cards, each with its buttons: all of them reachable). Where the answers are
numbers (an age), a typed number is the answer: those buttons show "[16]", the others letters.
Piped input works too (one message per line, each echoed after "> "), which makes scripted
conversations and transcripts easy.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sys
import uuid
from pathlib import Path
from typing import TextIO

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


class ConsoleSender:
    """Prints messages, and gives every button on screen a key, so that typing it presses that button.

    The screen is every button printed since the person last wrote: the cards of one answer each
    have their own buttons, and all of them stay reachable ("[1]" to "[8]" over three cards).
    Buttons are numbered, except where the answers are numbers themselves (an age): there a typed
    number is a value, never a button's place, so the button "16" is "[16]" and the others of that
    message get letters ("[a] Moins de 16 ans").
    """

    channels = (CHANNEL,)

    def __init__(self, user: str, out: TextIO, files: Path) -> None:
        self.user = user
        self.out = out
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

    def _remember(self, rows: tuple[tuple[Button, ...], ...], message_id: str) -> list[str]:
        """Give keys to a message's buttons (a redrawn message loses its old ones); one printed line per row."""
        if self._fresh:
            self.keys, self.valued, self._numbers, self._letters, self._fresh = {}, False, 0, 0, False
        self.keys = {key: kept for key, kept in self.keys.items() if kept[1] != message_id}
        numeric = any(_label(b).isdigit() for row in rows for b in row)
        self.valued = self.valued or numeric
        lines = []
        for row in rows:
            cells = []
            for button in row:
                key = self._key(button, numeric)
                self.keys[key] = (button, message_id)
                cells.append(f"[{key}]" if key == _label(button) else f"[{key}] {button.label}")
            lines.append("   " + "   ".join(cells))
        return lines

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
            self.out.write(f"[à {message.chat_id}] {reply.text}\n")
            self.out.flush()
            return str(message.id)
        prefix = f"{BOT} (mis à jour)" if edit_message_id else BOT
        lines = [f"{prefix} › {reply.text}"]
        if reply.document is not None:
            private_folder(self.files)  # a data export is personal data: 0700 folders, a 0600 file
            target = self.files / reply.document.filename
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(fd, 0o600)
                handle.write(reply.document.content)
            lines.append(f"   📎 {reply.document.filename} (enregistré dans {target})")
        if any(reply.buttons):
            lines += self._remember(reply.buttons, edit_message_id or str(message.id))
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()
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


async def converse(assistant: Assistant, user: str, lines: TextIO, out: TextIO, *, echo: bool) -> None:
    """Read messages until the end of input, answering each one before reading the next."""
    sender = ConsoleSender(user, out, assistant.cfg.root / "var" / "console" / user)
    delivery = Delivery(assistant.db, [sender], assistant.world.clock,
                        max_attempts=assistant.cfg.settings.delivery.max_attempts)
    await delivery.deliver_due()  # what came due while the terminal was closed
    ticker = asyncio.create_task(_tick(delivery, assistant.cfg.settings.delivery.tick_seconds))
    try:
        while True:
            if not echo:
                out.write("> ")
                out.flush()
            line = await asyncio.to_thread(lines.readline)
            if not line:
                break
            if not line.strip():
                continue
            if echo:
                out.write(f"> {line.rstrip()}\n")
            event = read_event(line, user, sender)
            if isinstance(event, str):
                out.write(f"   ({event})\n")
                continue
            outcome = await assistant.engine.handle(event)
            sender.new_answer()
            if outcome.ack and not outcome.outbox_ids:
                out.write(f"   ({outcome.ack})\n")
            await delivery.deliver(outcome.outbox_ids)
    finally:
        ticker.cancel()
        await delivery.deliver_due()


async def run_console(cfg: AppConfig, user: str) -> None:
    """``tremplin chat``: talk in this terminal, or pipe a conversation in."""
    assistant = await open_assistant(cfg)
    interactive = sys.stdin.isatty()
    try:
        if interactive:
            print(f"Tremplin, dans le terminal ({user}). Ctrl-D pour quitter.\n")
        await converse(assistant, user, sys.stdin, sys.stdout, echo=not interactive)
    finally:
        await assistant.close()
