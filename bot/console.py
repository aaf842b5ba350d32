"""The terminal channel: the whole assistant in a terminal, on the same engine as Telegram.

Buttons are numbered; type the number or the label. Piped input works too (one message per line,
each echoed after "> "), which makes scripted conversations and transcripts easy.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import uuid
from pathlib import Path
from typing import TextIO

from bot.config import AppConfig
from bot.delivery import Delivery
from bot.runtime import Assistant, open_assistant
from flows.events import BUTTON, COMMAND, TEXT, Button, Event, PersonRef, Reply
from flows.territory import fold
from storage.outbox import OutboxMessage

log = logging.getLogger(__name__)
CHANNEL = "console"
BOT = "Tremplin"


class ConsoleSender:
    """Prints messages; remembers the last keyboard so that a number or a label presses a button."""

    channels = (CHANNEL,)

    def __init__(self, user: str, out: TextIO, files: Path) -> None:
        self.user = user
        self.out = out
        self.files = files
        self.keyboard: list[Button] = []
        self.keyboard_message: str | None = None

    async def send(self, message: OutboxMessage, reply: Reply, edit_message_id: str | None) -> str | None:
        """Print one message (in this terminal only: other chats are advisors, shown as such)."""
        if message.chat_id != self.user:
            self.out.write(f"[à {message.chat_id}] {reply.text}\n")
            self.out.flush()
            return str(message.id)
        prefix = f"{BOT} (mis à jour)" if edit_message_id else BOT
        lines = [f"{prefix} › {reply.text}"]
        if reply.document is not None:
            self.files.mkdir(parents=True, exist_ok=True)
            target = self.files / reply.document.filename
            target.write_bytes(reply.document.content)
            lines.append(f"   📎 {reply.document.filename} (enregistré dans {target})")
        buttons = [button for row in reply.buttons for button in row]
        if buttons:
            number = 0
            for row in reply.buttons:
                cells = []
                for button in row:
                    number += 1
                    cells.append(f"[{number}] {button.label}")
                lines.append("   " + "   ".join(cells))
            self.keyboard = buttons
            self.keyboard_message = edit_message_id or str(message.id)
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()
        return str(message.id)


def read_event(line: str, user: str, sender: ConsoleSender) -> Event:
    """Turn one typed line into an event: a command, a button (number or label), or text."""
    person = PersonRef(CHANNEL, user, user)
    key = f"console:{uuid.uuid4().hex}"
    text = line.strip()
    if text.startswith("/"):
        command = re.split(r"[\s@]", text[1:], maxsplit=1)[0].lower()
        return Event(person, COMMAND, text=text, command=command, key=key)
    keyboard = sender.keyboard
    chosen: Button | None = None
    if text.isdigit() and 1 <= int(text) <= len(keyboard):
        chosen = keyboard[int(text) - 1]
    else:
        chosen = next((b for b in keyboard if fold(b.label.removeprefix("✅ ")) == fold(text)), None)
    if chosen is not None:
        return Event(person, BUTTON, payload=chosen.data, message_id=sender.keyboard_message, key=key)
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
            outcome = await assistant.engine.handle(event)
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
