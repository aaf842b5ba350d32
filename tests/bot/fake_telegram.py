"""A fake Telegram Bot API server on 127.0.0.1, for end-to-end tests of the real PTB ``Application``.

The bot under test talks HTTP to it exactly as to Telegram (``TELEGRAM_API_BASE_URL=fake.base_url``).
The test plays the people: it queues updates from a given user (a text, a button press, a sticker, a
message in a group...), waits for the bot's calls, and reads what was recorded. Several people at once
(a young person and an advisor, say) are just several ``TgUser``s.

    fake = FakeTelegram().start()
    ines = TgUser(1001, "Inès")
    fake.send_text(ines, "salut")
    await fake.wait(lambda: fake.reply_count(ines) >= 3)
    fake.press(ines, "D'accord")
    print("\\n".join(fake.transcript()))

Implemented: getMe, getUpdates (long polling from a queue, ``offset`` confirms, ``timeout`` waits; a
newer getUpdates ends an older one with 409 as Telegram does), sendMessage, editMessageText,
editMessageReplyMarkup (400 "message is not modified" when nothing changes), answerCallbackQuery,
sendDocument (multipart), setMyCommands, deleteWebhook, setWebhook, getWebhookInfo, leaveChat. Every
call is recorded. Webhook mode: ``post_updates_to`` POSTs the queued updates to the bot's servers, as
Telegram does, until each is accepted. Failures on demand: ``fail(...)`` (429 with ``retry_after``, any status) and
``block(chat)`` (403 "bot was blocked by the user").

The server runs in its own thread, so it serves a bot in the test's event loop or in a subprocess
alike; ``wait`` (async) and ``wait_sync`` poll the recording.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.parser
import email.policy
import itertools
import json
import os
import signal
import subprocess
import threading
import time
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "123456789:AAFake-token-for-tests-only_xxxxxxxxx"  # not a real token
BOT_ID = 123456789
JSON_FIELDS = {"reply_markup", "commands", "allowed_updates", "scope", "entities", "link_preview_options",
               "reply_parameters"}
INT_FIELDS = {"offset", "limit", "timeout", "message_id"}
REPLY_METHODS = {"sendmessage", "senddocument", "editmessagetext"}
CHAT_METHODS = REPLY_METHODS | {"editmessagereplymarkup", "leavechat", "sendphoto", "sendchataction"}
NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message")


@dataclass(frozen=True)
class TgUser:
    """A Telegram account; its private chat with the bot has the same id."""

    id: int
    first_name: str = "Inès"
    username: str | None = None
    language_code: str = "fr"

    def as_json(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name,
                                "language_code": self.language_code}
        if self.username:
            user["username"] = self.username
        return user

    @property
    def chat(self) -> dict[str, Any]:
        return {"id": self.id, "type": "private", "first_name": self.first_name}


@dataclass
class Call:
    """One request the bot made."""

    method: str  # as Telegram spells it: "sendMessage"
    params: dict[str, Any]
    at: float  # time.monotonic() when received
    status: int = 200  # 0 while it is being answered (a long poll)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # field → (filename, content)
    result: Any = None

    @property
    def chat_id(self) -> str | None:
        value = self.params.get("chat_id")
        return None if value is None else str(value)

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        markup = self.params.get("reply_markup") or {}
        return markup.get("inline_keyboard", []) if isinstance(markup, dict) else []

    @property
    def labels(self) -> list[str]:
        return [b["text"] for row in self.buttons for b in row]


@dataclass
class _Failure:
    method: str
    chat_id: str | None
    status: int
    description: str
    parameters: dict[str, Any] | None
    times: int


class FakeTelegram:
    """The fake server and what it recorded. Thread-safe; start() before use, stop() after."""

    def __init__(self, *, token: str = TOKEN, bot_username: str = "tremplin_test_bot",
                 first_update_id: int = 500_000) -> None:
        self.token = token
        self.bot_username = bot_username
        self.calls: list[Call] = []
        self.timeline: list[str] = []  # updates sent and replies, in order, for transcripts
        self.webhook: dict[str, Any] = {}
        self.commands: list[dict[str, Any]] = []
        self._updates: list[dict[str, Any]] = []  # not yet confirmed by an offset
        self._sent_updates: dict[int, dict[str, Any]] = {}
        self._messages: dict[tuple[str, int], dict[str, Any]] = {}  # the bot's messages, as they are now
        self._chat_types: dict[str, str] = {}
        self._failures: list[_Failure] = []
        self._blocked: set[str] = set()
        self._update_ids = itertools.count(first_update_id)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._callback_chats: dict[str, str] = {}  # callback query id → the chat it came from
        self._poll_generation = 0
        self.webhook_targets: list[str] = []
        self.webhook_posts = self.webhook_failures = 0
        self._condition = threading.Condition()
        self._stopped = False
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- Life -----------------------------------------------------------------------------------

    def start(self, port: int = 0) -> FakeTelegram:
        """Listen on 127.0.0.1 (a free port unless one is given)."""
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = _Server(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-telegram", daemon=True)
        self._thread.start()
        return self

    def next_update(self, *, take: bool) -> dict[str, Any] | None:
        """The oldest update queued for a webhook, once there is one (``take``: off the queue); None once stopped."""
        with self._condition:
            while not self._updates and not self._stopped:
                self._condition.wait(0.5)
            if self._stopped:
                return None
            return self._updates.pop(0) if take else self._updates[0]

    def post_updates_to(self, urls: list[str], secret: str) -> None:
        """Webhook mode, as Telegram does it behind a load balancer: every queued update is POSTed, in order,
        to one of ``urls`` in turn (with the secret header), and again, to the next one, until one answers 200.
        ``urls`` may be changed while it runs (a worker taken out of the balancer)."""
        self.webhook_targets = urls

        def forward() -> None:
            turn = itertools.count()
            while (update := self.next_update(take=False)) is not None:
                targets = list(self.webhook_targets)
                target = targets[next(turn) % len(targets)]
                request = urllib.request.Request(target, data=json.dumps(update).encode(), method="POST", headers={
                    "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret})
                try:
                    with urllib.request.urlopen(request, timeout=10) as answer:
                        delivered = answer.status == 200
                except OSError:  # refused, 500, a timeout: Telegram tries again a little later
                    delivered = False
                if delivered:
                    with self._condition:
                        self._updates.remove(update)
                        self.webhook_posts += 1
                else:
                    self.webhook_failures += 1
                    time.sleep(0.2)

        threading.Thread(target=forward, name="fake-telegram-webhook", daemon=True).start()

    def stop(self) -> None:
        """Wake every waiting getUpdates and close the server."""
        with self._condition:
            self._stopped = True
            self._condition.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the fake first"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """For ``TELEGRAM_API_BASE_URL`` (PTB's ``base_url``: the token is appended)."""
        return f"http://127.0.0.1:{self.port}/bot"

    def env(self) -> dict[str, str]:
        """The environment variables that point a bot at this fake (a try-out: the repository's example data
        files are allowed, bot/startup.py)."""
        return {"TELEGRAM_BOT_TOKEN": self.token, "TELEGRAM_API_BASE_URL": self.base_url,
                "TREMPLIN_ALLOW_EXAMPLES": "1"}

    # --- The people's side: updates ---------------------------------------------------------------

    def push(self, update: dict[str, Any], *, described: str | None = None) -> int:
        """Queue a raw update for getUpdates (an ``update_id`` is given if missing); returns its id."""
        with self._condition:
            if "update_id" not in update:
                update = {"update_id": next(self._update_ids), **update}
            self._updates.append(update)
            self._sent_updates[update["update_id"]] = update
            self.timeline.append(described or _describe_update(update))
            self._condition.notify_all()
        return update["update_id"]

    def push_again(self, update_id: int) -> int:
        """Deliver an update a second time (Telegram does, after a timeout or a lost answer)."""
        return self.push(dict(self._sent_updates[update_id]))

    def update(self, update_id: int) -> dict[str, Any]:
        """An update sent earlier, as sent."""
        return self._sent_updates[update_id]

    def message_update(self, user: TgUser, chat: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
        """A ``message`` update (not queued): text=..., sticker=..., photo=[...], forward_origin=..."""
        with self._condition:
            chat = chat or user.chat
            self._chat_types[str(chat["id"])] = chat["type"]
            message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                       "from": user.as_json(), **fields}
            if isinstance(fields.get("text"), str) and fields["text"].startswith("/"):
                command = fields["text"].split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
            return {"update_id": next(self._update_ids), "message": message}

    def send(self, user: TgUser, chat: dict[str, Any] | None = None, **fields: Any) -> int:
        """The person sends a message with these fields (``text=``, ``sticker=``, ``voice=``...)."""
        return self.push(self.message_update(user, chat, **fields))

    def send_text(self, user: TgUser, text: str) -> int:
        """The person types ``text`` in their private chat with the bot."""
        return self.send(user, text=text)

    def command(self, user: TgUser, name: str) -> int:
        """The person sends ``/name``."""
        return self.send_text(user, f"/{name}")

    def edit(self, user: TgUser, message_id: int, text: str) -> int:
        """The person edits one of their messages."""
        update = self.message_update(user, text=text)
        message = update["message"] | {"message_id": message_id, "edit_date": int(time.time())}
        return self.push({"update_id": update["update_id"], "edited_message": message})

    def in_group(self, user: TgUser, chat_id: int, text: str = "salut", kind: str = "group") -> int:
        """The person writes in a group (or supergroup) the bot was added to."""
        return self.send(user, {"id": chat_id, "type": kind, "title": "Les potes"}, text=text)

    def button(self, user: TgUser, label: str) -> tuple[int, str]:
        """(message id, data) of the newest button with this label in the person's chat, as shown now."""
        chat = str(user.id)
        with self._condition:
            for (chat_id, message_id), message in reversed(self._messages.items()):
                if chat_id != chat:
                    continue
                for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                    for button in row:
                        if button["text"].removeprefix("✅ ") == label.removeprefix("✅ "):
                            return message_id, button["callback_data"]
        raise AssertionError(f"no button {label!r} in chat {chat}; keyboards shown: {self.labels(user)}")

    def press(self, user: TgUser, label: str) -> int:
        """The person presses the newest button with this label."""
        message_id, data = self.button(user, label)
        return self.tap(user, data, message_id, label=label)

    def tap(self, user: TgUser, data: str, message_id: int, *, label: str | None = None) -> int:
        """A callback query with this data, from the message ``message_id`` (possibly an old one)."""
        with self._condition:
            message = self._messages.get((str(user.id), message_id)) or {
                "message_id": message_id, "date": 0, "chat": user.chat}
            query = {"id": str(next(self._callback_ids)), "from": user.as_json(), "message": message,
                     "chat_instance": f"ci{user.id}", "data": data}
            self._callback_chats[query["id"]] = str(user.id)
        return self.push({"update_id": next(self._update_ids), "callback_query": query},
                         described=f"← {user.id} press [{label}]" if label else None)

    # --- The bot's side: what was recorded ------------------------------------------------------

    def calls_to(self, method: str | None = None, chat: TgUser | int | str | None = None) -> list[Call]:
        """Recorded calls, optionally of one method and/or to one chat."""
        chat_id = _chat_id(chat)
        with self._condition:
            return [c for c in self.calls
                    if (method is None or c.method.lower() == method.lower())
                    and (chat_id is None or c.chat_id == chat_id)]

    def replies(self, chat: TgUser | int | str) -> list[Call]:
        """Successful sendMessage / sendDocument / editMessageText calls to this chat, in order."""
        chat_id = _chat_id(chat)
        with self._condition:
            return [c for c in self.calls if c.ok and c.method.lower() in REPLY_METHODS and c.chat_id == chat_id]

    def reply_count(self, chat: TgUser | int | str) -> int:
        """How many replies this chat received."""
        return len(self.replies(chat))

    def texts(self, chat: TgUser | int | str) -> list[str]:
        """The texts of the replies to this chat, in order."""
        return [c.text for c in self.replies(chat)]

    def labels(self, chat: TgUser | int | str) -> list[str]:
        """The labels of the newest keyboard shown in this chat (as it is now, after edits)."""
        chat_id = _chat_id(chat)
        with self._condition:
            for (owner, _), message in reversed(self._messages.items()):
                rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
                if owner == chat_id and rows:
                    return [b["text"] for row in rows for b in row]
        return []

    def message(self, chat: TgUser | int | str, message_id: int) -> dict[str, Any] | None:
        """One of the bot's messages as it is now (after edits), or None."""
        with self._condition:
            return self._messages.get((_chat_id(chat) or "", message_id))

    def last_message_id(self, chat: TgUser | int | str) -> int | None:
        """The id of the newest message the bot sent to this chat."""
        chat_id = _chat_id(chat)
        with self._condition:
            ids = [mid for (owner, mid) in self._messages if owner == chat_id]
        return max(ids) if ids else None

    def transcript(self, chats: Iterable[TgUser | int | str] | None = None, width: int = 90) -> list[str]:
        """Updates sent and calls made, one line each, shortened (for reports and failing tests)."""
        wanted = None if chats is None else {_chat_id(c) for c in chats}
        lines = []
        with self._condition:
            for line in self.timeline:
                parts = line.split(" ", 2)
                chat = parts[1] if len(parts) > 1 else ""
                if wanted is None or chat in wanted or line.startswith(("setMyCommands", "deleteWebhook",
                                                                         "setWebhook", "getMe")):
                    lines.append(line if len(line) <= width else line[: width - 1] + "…")
        return lines

    async def wait(self, predicate: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
        """Wait (without blocking the event loop) until ``predicate()`` is true."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what or predicate}; last calls:\n"
                                     + "\n".join(self.transcript()[-15:]))
            await asyncio.sleep(0.02)

    def wait_sync(self, predicate: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
        """The same, for code outside an event loop."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what or predicate}")
                self._condition.wait(min(left, 0.1))

    # --- Failures on demand -------------------------------------------------------------------------

    def fail(self, method: str, *, chat: TgUser | int | str | None = None, status: int = 429,
             description: str | None = None, retry_after: int | None = None, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` (to ``chat``, if given) fail with this status."""
        parameters = {"retry_after": retry_after} if retry_after is not None else None
        if description is None:
            description = f"Too Many Requests: retry after {retry_after}" if status == 429 else "Bad Request"
        with self._condition:
            self._failures.append(_Failure(method.lower(), _chat_id(chat), status, description, parameters, times))

    def block(self, chat: TgUser | int | str) -> None:
        """The person blocked the bot: every message to them gets 403."""
        with self._condition:
            self._blocked.add(_chat_id(chat) or "")

    # --- The server -------------------------------------------------------------------------------

    def _handle(self, method: str, params: dict[str, Any], files: dict[str, tuple[str, bytes]]) -> tuple[int, Any]:
        name = method.lower()
        with self._condition:
            # Recorded on arrival (status 0 until answered): a long poll is visible while it waits.
            call = Call(_canonical(method), params, time.monotonic(), status=0, files=files)
            self.calls.append(call)
            failure = self._failure_for(name, call.chat_id)
            if failure is not None:
                call.status, call.result = failure
                self._condition.notify_all()
                return failure
        if name == "getupdates":
            status, result = self._get_updates(params)
        else:
            with self._condition:
                status, result = self._answer(name, params, files)
        with self._condition:
            call.status, call.result = status, result
            if status == 200 and name != "getupdates":
                chat = self._callback_chats.get(str(params.get("callback_query_id")), "-")
                self.timeline.append(_describe_call(call, chat))
            self._condition.notify_all()
        return status, result

    def _failure_for(self, name: str, chat_id: str | None) -> tuple[int, dict[str, Any]] | None:
        if chat_id is not None and chat_id in self._blocked and name in CHAT_METHODS:
            return 403, _error(403, "Forbidden: bot was blocked by the user")
        for failure in self._failures:
            if failure.times > 0 and failure.method == name and failure.chat_id in (None, chat_id):
                failure.times -= 1
                return failure.status, _error(failure.status, failure.description, failure.parameters)
        return None

    def _get_updates(self, params: dict[str, Any]) -> tuple[int, Any]:
        offset = params.get("offset")
        timeout = min(float(params.get("timeout") or 0), 50.0)
        limit = int(params.get("limit") or 100)
        with self._condition:
            self._poll_generation += 1
            generation = self._poll_generation
            self._condition.notify_all()
            if offset is not None:
                self._updates = [u for u in self._updates if u["update_id"] >= int(offset)]
            deadline = time.monotonic() + timeout
            while True:
                if generation != self._poll_generation:
                    return 409, _error(409, "Conflict: terminated by other getUpdates request; make sure that "
                                            "only one bot instance is running")
                ready = self._updates[:limit]
                left = deadline - time.monotonic()
                if ready or left <= 0 or self._stopped:
                    return 200, [json.loads(json.dumps(u)) for u in ready]
                self._condition.wait(min(left, 0.5))

    def _answer(self, name: str, params: dict[str, Any], files: dict[str, tuple[str, bytes]]) -> tuple[int, Any]:
        if name == "getme":
            return 200, {"id": BOT_ID, "is_bot": True, "first_name": "Tremplin", "username": self.bot_username,
                         "can_join_groups": True, "can_read_all_group_messages": False,
                         "supports_inline_queries": False}
        if name == "sendmessage":
            return 200, self._new_message(params, text=str(params.get("text", "")))
        if name == "senddocument":
            document = params.get("document", "")
            attached = str(document).removeprefix("attach://")
            filename, content = files.get(attached) or files.get("document") or ("file", b"")
            extra = {"document": {"file_id": f"doc{len(content)}", "file_unique_id": "u", "file_name": filename,
                                  "file_size": len(content)}}
            if params.get("caption"):
                extra["caption"] = params["caption"]
            return 200, self._new_message(params, **extra)
        if name in ("editmessagetext", "editmessagereplymarkup"):
            key = (str(params.get("chat_id")), int(params.get("message_id") or 0))
            message = self._messages.get(key)
            if message is None:
                return 400, _error(400, "Bad Request: message to edit not found")
            changed = dict(message)
            if name == "editmessagetext":
                changed["text"] = params.get("text", "")
            markup = params.get("reply_markup")
            if markup and markup.get("inline_keyboard"):
                changed["reply_markup"] = markup
            else:
                changed.pop("reply_markup", None)
            if changed == message:
                return 400, _error(400, NOT_MODIFIED)
            changed["edit_date"] = int(time.time())
            self._messages[key] = changed
            return 200, changed
        if name in ("answercallbackquery", "setmycommands", "deletewebhook", "leavechat"):
            if name == "setmycommands":
                self.commands = list(params.get("commands") or [])
            if name == "deletewebhook":
                self.webhook = {}
            return 200, True
        if name == "setwebhook":
            self.webhook = {"url": params.get("url"), "secret_token": params.get("secret_token"),
                            "allowed_updates": params.get("allowed_updates")}
            return 200, True
        if name == "getwebhookinfo":
            return 200, {"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                         "pending_update_count": len(self._updates)}
        return 404, _error(404, "Not Found: method not found")

    def _new_message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = str(params.get("chat_id"))
        kind = self._chat_types.get(chat_id, "private" if not chat_id.startswith("-") else "group")
        message: dict[str, Any] = {
            "message_id": next(self._message_ids), "date": int(time.time()),
            "chat": {"id": int(chat_id), "type": kind},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Tremplin", "username": self.bot_username},
            **content,
        }
        markup = params.get("reply_markup")
        if markup and markup.get("inline_keyboard"):
            message["reply_markup"] = markup
        self._messages[(chat_id, message["message_id"])] = message
        return message


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # A bot opens many connections at once under load: with socketserver's default backlog of 5, the
    # extra ones are dropped and the client waits a second or more before it tries again.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a killed bot resets its connections: expected here, and the recording says what matters


class _Handler(BaseHTTPRequestHandler):
    server_fake: FakeTelegram
    protocol_version = "HTTP/1.1"
    # Answer at once, as Telegram does: with Nagle's algorithm the body of a keep-alive answer, written
    # after its headers, waits for the client's delayed ACK (about 40 ms a call).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the recording is the log

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        fake = self.server_fake
        url = urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        if len(parts) != 2 or not parts[0].startswith("bot"):
            self._reply(404, _error(404, "Not Found"))
            return
        if parts[0][3:] != fake.token:
            self._reply(401, _error(401, "Unauthorized"))
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        params, files = _parse(self.headers.get("Content-Type", ""), body)
        params.update({k: v[-1] for k, v in parse_qs(url.query).items()})
        params = _decode(params)
        status, result = fake._handle(parts[1], params, files)
        if status == 200:
            self._reply(200, {"ok": True, "result": result})
        else:
            self._reply(status, result)

    def _reply(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client went away (a killed bot's long poll): nothing to do
            pass


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        error["parameters"] = parameters
    return error


def _parse(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    if not body:
        return {}, {}
    if content_type.startswith("application/json"):
        return dict(json.loads(body)), {}
    if content_type.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        params: dict[str, Any] = {}
        files: dict[str, tuple[str, bytes]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            filename = part.get_filename()
            if filename is not None:
                files[str(name)] = (filename, payload)
            else:
                params[str(name)] = payload.decode()
        return params, files
    return {k: v[-1] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}, {}


def _decode(params: dict[str, Any]) -> dict[str, Any]:
    decoded = dict(params)
    for key, value in params.items():
        if key in JSON_FIELDS and isinstance(value, str) and value[:1] in "[{":
            decoded[key] = json.loads(value)
        elif key in INT_FIELDS and isinstance(value, str) and value.lstrip("-").isdigit():
            decoded[key] = int(value)
    return decoded


def _chat_id(chat: TgUser | int | str | None) -> str | None:
    if chat is None:
        return None
    return str(chat.id) if isinstance(chat, TgUser) else str(chat)


def _canonical(method: str) -> str:
    known = ("getMe", "getUpdates", "sendMessage", "editMessageText", "editMessageReplyMarkup",
             "answerCallbackQuery", "sendDocument", "setMyCommands", "deleteWebhook", "setWebhook",
             "getWebhookInfo", "leaveChat")
    return next((k for k in known if k.lower() == method.lower()), method)


def _describe_update(update: dict[str, Any]) -> str:
    kind = next((k for k in update if k != "update_id"), "?")
    body = update.get(kind)
    if not isinstance(body, dict):
        return f"← - {kind}"
    chat = (body.get("chat") or (body.get("message") or {}).get("chat") or body.get("from") or {}).get("id", "?")
    if kind == "message" and "text" in body:
        return f"← {chat} text {body['text'][:60]!r}"
    if kind == "message":
        return f"← {chat} {next((k for k in body if k not in ('message_id', 'date', 'chat', 'from')), 'message')}"
    return f"← {chat} {kind}"


def _describe_call(call: Call, callback_chat: str = "-") -> str:
    chat = call.chat_id or callback_chat
    if call.method in ("sendMessage", "editMessageText", "sendDocument"):
        text = call.text.replace("\n", " ⏎ ")
        line = f"{call.method} {chat} {text[:70]!r}"
        if call.method == "sendDocument":
            line += f" 📎{next(iter(call.files.values()), ('?',))[0]}"
        if call.labels:
            line += " [" + " | ".join(call.labels) + "]"
        return line
    if call.method == "answerCallbackQuery":
        note = call.params.get("text")
        return f"answerCallbackQuery {chat}" + (f" {note!r}" if note else "")
    if call.method == "editMessageReplyMarkup":
        return f"editMessageReplyMarkup {chat} message {call.params.get('message_id')} → no keyboard"
    if call.method == "setMyCommands":
        return "setMyCommands " + " ".join("/" + c["command"] for c in call.params.get("commands", []))
    return f"{call.method} {chat}"


# --- Running the bot against the fake -----------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


class BotProcess:
    """``tremplin run`` as a real subprocess pointed at the fake (to kill it with SIGKILL)."""

    def __init__(self, fake: FakeTelegram, env: dict[str, str], *, log_path: Path) -> None:
        self.fake = fake
        self.env = {**os.environ, **fake.env(), **env}
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0

    def start(self) -> BotProcess:
        """Start ``tremplin run``."""
        self.started_at = time.monotonic()
        log = self.log_path.open("ab")
        self.process = subprocess.Popen([str(ROOT / ".venv/bin/tremplin"), "run"], cwd=ROOT, env=self.env,
                                        stdout=log, stderr=subprocess.STDOUT)
        log.close()
        return self

    def ready(self) -> bool:
        """The process is polling (a getUpdates came after it started)."""
        return any(c.method == "getUpdates" and c.at >= self.started_at for c in self.fake.calls_to("getUpdates"))

    async def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait for the first getUpdates of this process; fail early if it died."""
        deadline = time.monotonic() + timeout
        while not self.ready():
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"the bot exited with {self.process.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot did not start polling:\n{self.log_tail()}")
            await asyncio.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def terminate(self, timeout: float = 20.0) -> int:
        """SIGTERM and wait: the clean stop."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def log_tail(self, lines: int = 30) -> str:
        """The end of the process's output."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@contextlib.asynccontextmanager
async def running_bot(
    fake: FakeTelegram,
    database_url: str,
    *,
    nlu: Any = None,
    data_key: str | None = None,
    telegram: dict[str, Any] | None = None,
    tick_seconds: float = 0.2,
    webhook_secret: str | None = None,
    smtp_url: str | None = None,
) -> AsyncIterator[Any]:
    """The real Telegram bot (``bot.telegram_app.TelegramBot``) in this event loop, against the fake.

    ``nlu=None`` uses the real embedded NLU (``open_assistant``, needs ``data_key``); otherwise the
    given one (e.g. tests.kit.ScriptedNlu). Pacing is off unless ``telegram`` sets it. ``smtp_url``
    (e.g. a local aiosmtpd server) adds the advisors' e-mail sender, as ``SMTP_URL`` does.
    """
    from bot.config import AppConfig, DatabaseSettings, DeliverySettings, Secrets, Settings, TelegramSettings
    from bot.runtime import Assistant, load_world_data
    from bot.telegram_app import TelegramBot
    from flows.assistant import build_engine
    from flows.engine.buttons import ButtonSigner
    from flows.engine.world import World
    from flows.rules.clock import SystemClock
    from storage import Database
    from storage.migrate import upgrade

    options = {"per_chat_interval_seconds": 0, "overall_per_second": 1000, **(telegram or {})}
    settings = Settings(database=DatabaseSettings(url=database_url), telegram=TelegramSettings(**options),
                        delivery=DeliverySettings(tick_seconds=tick_seconds))
    secrets = Secrets(TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_BASE_URL=fake.base_url,
                      DATABASE_URL=database_url, WEBHOOK_SECRET=webhook_secret, TREMPLIN_DATA_KEY=data_key,
                      SMTP_URL=smtp_url)
    cfg = AppConfig(settings=settings, secrets=secrets, config_path=None, root=ROOT)
    assistant = None
    if nlu is not None:
        await asyncio.to_thread(upgrade, cfg.database_url)
        world = World(settings=cfg.conversation(), territory=load_world_data(cfg), clock=SystemClock(),
                      signer=ButtonSigner(b"test-key"), nlu=nlu, email_handoffs=smtp_url is not None)
        db = Database(cfg.database_url)
        assistant = Assistant(cfg=cfg, db=db, world=world, engine=build_engine(db, world))
    bot = TelegramBot(cfg, assistant=assistant)
    task = asyncio.create_task(bot.run())
    ready = asyncio.create_task(bot.ready.wait())
    try:
        await asyncio.wait({task, ready}, timeout=120, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # raises why it stopped
        assert bot.ready.is_set(), "the bot did not start"
        yield bot
    finally:
        ready.cancel()
        bot.stop()
        await asyncio.wait_for(task, 30)
        if assistant is not None:
            await assistant.close()


async def wait_handled(bot: Any, *update_ids: int, timeout: float = 20.0) -> None:
    """Wait until these updates are recorded and handled, and what they produced has been sent."""
    from sqlalchemy import select

    from storage.inbox import PENDING, InboxUpdate

    deadline = time.monotonic() + timeout
    while True:
        async with bot.channel.db.transaction() as uow:
            rows = (await uow.session.execute(
                select(InboxUpdate.update_id, InboxUpdate.status).where(InboxUpdate.update_id.in_(update_ids))
            )).all()
        if len(rows) == len(set(update_ids)) and all(status != PENDING for _, status in rows):
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"updates not handled in time: {rows}")
        await asyncio.sleep(0.02)
    await bot.channel.idle()


def main() -> None:
    """By hand: ``.venv/bin/python -m tests.bot.fake_telegram [port]``, then ``tremplin run`` elsewhere.

    Type a message and Enter to send it as Inès; ``[Label]`` presses that button; Ctrl-D quits.
    """
    import sys

    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8081
    fake = FakeTelegram().start(port)
    ines = TgUser(1001, "Inès")
    print("Fake Telegram Bot API ready. In another terminal:")
    print(f"  TELEGRAM_BOT_TOKEN='{fake.token}' TELEGRAM_API_BASE_URL={fake.base_url} "
          ".venv/bin/tremplin run --allow-examples")
    print("Then type here as Inès ([Label] presses a button, Ctrl-D quits).")
    shown = 0

    def show() -> None:
        nonlocal shown
        lines = fake.transcript(width=200)
        for line in lines[shown:]:
            if not line.startswith("←"):
                print("   " + line)
        shown = len(lines)

    try:
        for line in sys.stdin:
            text = line.strip()
            if not text:
                show()
                continue
            try:
                if text.startswith("[") and text.endswith("]"):
                    fake.press(ines, text[1:-1])
                else:
                    fake.send_text(ines, text)
            except AssertionError as unknown:  # no such button
                print(f"   ({unknown})")
            time.sleep(1.5)
            show()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
