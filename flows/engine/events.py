"""Plain data crossing the border between a channel and the conversation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

TEXT, BUTTON, COMMAND, MEDIA = "text", "button", "command", "media"


@dataclass(frozen=True, slots=True)
class PersonRef:
    """Who wrote, as the channel knows them."""

    channel: str
    external_id: str
    chat_id: str


@dataclass(frozen=True, slots=True)
class Event:
    """Something a person did: wrote text, pressed a button, sent a command or some media."""

    person: PersonRef
    kind: str
    text: str = ""
    command: str | None = None  # without the slash, lower case: "start", "profil"
    payload: str | None = None  # a button's data
    media: str | None = None  # "voice", "sticker", "photo"... for what the bot cannot read yet
    message_id: str | None = None  # the channel's id of the message (of the keyboard, for a button)
    key: str = ""  # unique per event (the inbox id); outgoing messages derive their idempotency keys from it
    inbox_id: int | None = None  # marked done in the same transaction as the effects
    # The channel's id of the message this one answers (Telegram's reply_to_message): an advisor
    # replying to a hand-off summary, a young person replying to an advisor's message.
    reply_to: str | None = None


@dataclass(frozen=True, slots=True)
class Button:
    """A choice under a message. ``data`` is compact (<= 64 bytes) and signed, see flows.engine.buttons."""

    label: str
    data: str


@dataclass(frozen=True, slots=True)
class Document:
    """A file sent with a message (an .ics invitation, a data export)."""

    filename: str
    content: bytes
    mime_type: str


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to send."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    document: Document | None = None


@dataclass(slots=True)
class Outcome:
    """What handling an event produced: the outbox rows to deliver now, and a short acknowledgement."""

    outbox_ids: list[int] = field(default_factory=list)
    # The replies written already taken for delivery (``Engine.handle(send_now=...)``): outbox rows
    # (storage.outbox.OutboxMessage) for the caller to send at once, in order.
    to_send: list[Any] = field(default_factory=list)
    ack: str | None = None  # shown by the channel for a button press ("C'est noté")
    clear_keyboard: bool = False  # the pressed keyboard should disappear
    misunderstood: bool = False  # the message was not understood (counted by the dialogue evaluation)
    handled_at: dt.datetime | None = None
