"""Telegram updates → conversation events: what a young person really sends, read kindly.

A pure translation (no I/O), so every odd thing Telegram can deliver is tested without a network:
stickers, voice notes, forwarded messages, edited messages, emoji-only text, very long text, commands
with ``@botname``, group chats, update types this code has never heard of. Nothing here raises: an
update that cannot be read becomes ``Ignored``.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from typing import Any

from telegram import Chat, Message, Update

from flows.engine.events import BUTTON, COMMAND, MEDIA, TEXT, Event, PersonRef

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_TEXT = 4096  # Telegram's own limit for one message; longer text only comes from other clients
PRIVATE = Chat.PRIVATE
# Only what the assistant uses is asked for (getUpdates / setWebhook ``allowed_updates``).
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member", "channel_post")
# Attachments in the order they are recognised (an animation also carries a document, so it comes first).
ATTACHMENTS = (
    "sticker", "animation", "photo", "voice", "audio", "video_note", "video", "document", "location", "venue",
    "contact", "poll", "dice",
)
MEDIA_KEY = {"venue": "location", "dice": "emoji"}  # a venue is a place; a dice is an emoji that rolls


@dataclass(frozen=True, slots=True)
class ForEngine:
    """A private chat's message or button: the conversation handles it."""

    event: Event
    callback_query_id: str | None = None


@dataclass(frozen=True, slots=True)
class NotPrivate:
    """A group, supergroup or channel: say the assistant only works in private (if it may speak), leave."""

    chat_id: int
    say: bool
    callback_query_id: str | None = None


@dataclass(frozen=True, slots=True)
class Ignored:
    """Nothing to answer (an unknown update type, the bot removed from a chat...)."""

    reason: str
    callback_query_id: str | None = None


Incoming = ForEngine | NotPrivate | Ignored


def chat_of(raw: dict[str, Any]) -> tuple[str, bool]:
    """The key that orders an update among others (its chat), and whether it is a private one.

    Read from the raw JSON so that it works before (and whatever) PTB makes of the update.
    """
    for name, value in raw.items():
        if name == "update_id" or not isinstance(value, dict):
            continue
        chat = value.get("chat") or (value.get("message") or {}).get("chat")
        if isinstance(chat, dict) and "id" in chat:
            return str(chat["id"]), chat.get("type") == PRIVATE
        user = value.get("from") or value.get("user")
        if isinstance(user, dict) and "id" in user:
            return str(user["id"]), True  # a button under an inline message: the person themself
    return "-", False


def translate(raw: dict[str, Any], *, inbox_id: int | None = None) -> Incoming:
    """What this update asks of the assistant."""
    if (pressed := _plain_button(raw, inbox_id)) is not None:
        return pressed
    try:
        update = Update.de_json(raw, None)
    except Exception:  # a shape PTB does not accept (its content is not logged)
        log.warning("update %s could not be read", raw.get("update_id"))
        return _unreadable(raw, inbox_id)
    key = f"tg:{update.update_id}"
    if update.callback_query is not None:
        return _button(update, key, inbox_id)
    if update.my_chat_member is not None:
        member = update.my_chat_member
        joined = member.new_chat_member.status in ("member", "administrator", "restricted")
        if member.chat.type != PRIVATE and joined:
            return NotPrivate(member.chat.id, say=member.chat.type != Chat.CHANNEL)
        return Ignored("membership")
    message = update.message or update.edited_message
    if message is None:
        chat = update.effective_chat
        if chat is not None and chat.type != PRIVATE:  # a channel post, an edited post...
            return NotPrivate(chat.id, say=False)
        return Ignored("unknown update type")
    if message.chat.type != PRIVATE:
        return NotPrivate(message.chat.id, say=not _is_service(message))
    user = message.from_user
    if user is None or user.is_bot:
        return Ignored("not a person")
    person = PersonRef(CHANNEL, str(user.id), str(message.chat.id))
    common = {"message_id": str(message.message_id), "key": key, "inbox_id": inbox_id}
    if update.edited_message is not None:
        return ForEngine(Event(person, MEDIA, media="edited", **common))
    kind, text, media, command = read_message(message)
    # Which message it answers: an advisor replying to a hand-off summary relays their answer.
    replied = message.reply_to_message
    reply_to = str(replied.message_id) if replied is not None else None
    return ForEngine(Event(person, kind, text=text, media=media, command=command, reply_to=reply_to, **common))


def read_message(message: Message) -> tuple[str, str, str | None, str | None]:
    """(kind, text, media, command) of a private message."""
    if message.forward_origin is not None or message.api_kwargs.get("forward_date") is not None:
        return MEDIA, "", "forwarded", None
    for attachment in ATTACHMENTS:
        if getattr(message, attachment, None):
            return MEDIA, "", MEDIA_KEY.get(attachment, attachment), None
    text = message.text
    if text is None:
        return MEDIA, "", "other", None  # a game, a story, a payment: flows/engine/media.py answers kindly
    if len(text) > MAX_TEXT:
        return MEDIA, "", "too_long", None
    if text.startswith("/"):
        return COMMAND, text, None, command_name(text)
    if is_emoji_only(text):
        return MEDIA, "", "emoji", None
    return TEXT, text, None, None


def command_name(text: str) -> str:
    """``/Start@Tremplin_bot payload`` → ``start``. In a private chat every command is for us, named or not."""
    word = text[1:].split(maxsplit=1)[0] if text[1:].strip() else ""
    return word.partition("@")[0].lower()


def is_emoji_only(text: str) -> bool:
    """Only emoji (and the joiners and modifiers they are made of), no word, no digit, no punctuation."""
    seen_symbol = False
    for char in text:
        if char.isspace():
            continue
        category = unicodedata.category(char)
        if category == "So":
            seen_symbol = True
        elif category not in ("Sk", "Mn", "Me", "Cf"):  # skin tones, variation selectors, keycaps, ZWJ
            return False
    return seen_symbol


def _button(update: Update, key: str, inbox_id: int | None) -> Incoming:
    query = update.callback_query
    assert query is not None
    message = query.message
    chat = message.chat if message is not None else None
    if chat is not None and chat.type != PRIVATE:
        return NotPrivate(chat.id, say=False, callback_query_id=query.id)
    if not query.data or query.from_user.is_bot:
        return Ignored("button without data", callback_query_id=query.id)
    chat_id = str(chat.id) if chat is not None else str(query.from_user.id)
    person = PersonRef(CHANNEL, str(query.from_user.id), chat_id)
    message_id = str(message.message_id) if message is not None else None
    event = Event(person, BUTTON, payload=query.data, message_id=message_id, key=key, inbox_id=inbox_id)
    return ForEngine(event, callback_query_id=query.id)


def _plain_button(raw: dict[str, Any], inbox_id: int | None) -> ForEngine | None:
    """A person's button in their private chat, read straight from the JSON; None for anything else.

    Most updates are these, and building PTB's objects for them (the pressed message comes whole, with
    its keyboard) cost more than the rest of reading them (bench/README.md). Any other shape, or a field
    not as expected, goes through ``translate``'s PTB path, which reads every case the same as before.
    """
    query = raw.get("callback_query")
    if not isinstance(query, dict) or not isinstance(raw.get("update_id"), int):
        return None
    user, message, data, query_id = query.get("from"), query.get("message"), query.get("data"), query.get("id")
    if not (isinstance(user, dict) and isinstance(message, dict) and isinstance(data, str) and data
            and isinstance(query_id, str)):
        return None
    chat, user_id, message_id = message.get("chat"), user.get("id"), message.get("message_id")
    if not (isinstance(chat, dict) and chat.get("type") == PRIVATE and isinstance(chat.get("id"), int)
            and isinstance(user_id, int) and user.get("is_bot") is False and isinstance(message_id, int)):
        return None
    person = PersonRef(CHANNEL, str(user_id), str(chat["id"]))
    event = Event(person, BUTTON, payload=data, message_id=str(message_id), key=f"tg:{raw['update_id']}",
                  inbox_id=inbox_id)
    return ForEngine(event, callback_query_id=query_id)


def _is_service(message: Message) -> bool:
    """Someone joined, left, the title changed...: nobody is talking to the assistant."""
    return bool(message.new_chat_members or message.left_chat_member or message.new_chat_title
                or message.group_chat_created or message.supergroup_chat_created or message.pinned_message)


def _unreadable(raw: dict[str, Any], inbox_id: int | None) -> Incoming:
    """A private message PTB cannot read (a newer Bot API shape...): still a kind answer, from the raw JSON."""
    message = raw.get("message")
    if not isinstance(message, dict):
        return Ignored("unreadable")
    chat, user = message.get("chat"), message.get("from")
    if not (isinstance(chat, dict) and isinstance(user, dict) and chat.get("type") == PRIVATE
            and isinstance(chat.get("id"), int) and isinstance(user.get("id"), int) and not user.get("is_bot")):
        return Ignored("unreadable")
    person = PersonRef(CHANNEL, str(user["id"]), str(chat["id"]))
    return ForEngine(Event(person, MEDIA, media="other", message_id=str(message.get("message_id", "")) or None,
                           key=f"tg:{raw['update_id']}", inbox_id=inbox_id))
