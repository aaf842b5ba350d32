"""Sending the advisors' e-mails: the ``Sender`` of bot/delivery.py for the "email" channel, over SMTP.

``SMTP_URL`` (environment only: it may hold a password) says where and how::

    smtp://127.0.0.1:2525                                  plain (a local relay)
    smtp+starttls://user:pass@smtp.example.fr:587?from=tremplin@example.fr
    smtps://user:pass@smtp.example.fr:465?from=tremplin@example.fr     TLS from the start

An outbox row of the channel holds the advisor's address as ``chat_id`` and, in its (encrypted)
payload, ``subject``, ``text`` (plain) and ``html``: the message is multipart/alternative. Its
``Message-ID`` is derived from the outbox row, so the rare second sending after a crash carries the
same id and mail clients show it once.

The standard library's smtplib runs in a worker thread (one connection per message: hand-offs are a
few a day, not a bulk mailing). SMTP's answers become ``SendError``s: 4xx → tried again later, 5xx →
given up for that message (recorded as failed in the outbox), no answer / network trouble → tried
again. Addresses and texts never go in the logs, nor in the recorded error: only the SMTP code.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import parse_qs, unquote, urlsplit

from bot.delivery import SendError
from flows.engine.events import Reply
from storage.outbox import OutboxMessage

log = logging.getLogger(__name__)
CHANNEL = "email"
SCHEMES = {"smtp": (25, "plain"), "smtp+starttls": (587, "starttls"), "smtps": (465, "tls")}


class SmtpUrlError(ValueError):
    """``SMTP_URL`` cannot be understood (the message never repeats the URL: it may hold a password)."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send, read from ``SMTP_URL``."""

    host: str
    port: int
    security: str  # plain | starttls | tls
    username: str | None
    password: str | None = field(repr=False)  # never in a log line or a traceback's repr
    sender: str
    timeout: float = 20.0

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES:
            raise SmtpUrlError(f"SMTP_URL: the scheme must be one of {', '.join(SCHEMES)}")
        if not parts.hostname:
            raise SmtpUrlError("SMTP_URL: no host")
        default_port, security = SCHEMES[parts.scheme]
        try:
            port = parts.port or default_port
        except ValueError as exc:
            raise SmtpUrlError("SMTP_URL: the port is not a number") from exc
        query = parse_qs(parts.query)
        sender = query.get("from", [f"tremplin@{parts.hostname}"])[-1]
        if "@" not in sender:
            raise SmtpUrlError("SMTP_URL: from= must be an e-mail address")
        try:
            timeout = float(query.get("timeout", ["20"])[-1])
        except ValueError as exc:
            raise SmtpUrlError("SMTP_URL: timeout= must be a number of seconds") from exc
        return cls(host=parts.hostname, port=port, security=security,
                   username=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password else None, sender=sender, timeout=timeout)


def build_message(settings: SmtpSettings, message: OutboxMessage, reply: Reply) -> EmailMessage:
    """The e-mail of one outbox row: plain text, and HTML when the payload has it."""
    payload = message.payload or {}
    email = EmailMessage()
    email["From"] = settings.sender
    email["To"] = message.chat_id
    email["Subject"] = payload.get("subject") or (reply.text.splitlines()[0][:120] if reply.text else "Tremplin")
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = message_id(settings, message)
    email["Auto-Submitted"] = "auto-generated"  # no out-of-office replies to a robot
    email.set_content(reply.text or "")
    if payload.get("html"):
        email.add_alternative(payload["html"], subtype="html")
    return email


def message_id(settings: SmtpSettings, message: OutboxMessage) -> str:
    """The same for every attempt of one outbox row."""
    domain = settings.sender.rsplit("@", 1)[-1]
    return f"<tremplin.outbox.{message.id}.{message.created_at:%Y%m%d%H%M%S}@{domain}>"


def smtp_error(error: Exception) -> SendError:
    """An SMTP failure in the terms of bot/delivery.py: 4xx → retry, 5xx → permanent, others → retry."""
    code: int | None = None
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [c for c, _ in error.recipients.values()]
        code = codes[0] if codes else None
    elif isinstance(error, smtplib.SMTPResponseException):
        code = error.smtp_code
    if code is not None and 500 <= code < 600:
        return SendError(f"smtp {code}", permanent=True)
    if code is not None:
        return SendError(f"smtp {code}")
    return SendError(f"smtp: {type(error).__name__}")  # no answer, connection refused, timeout: later


class EmailSender:
    """The ``Sender`` of the "email" channel."""

    channels = (CHANNEL,)

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    @classmethod
    def from_url(cls, url: str) -> EmailSender:
        return cls(SmtpSettings.from_url(url))

    async def send(self, message: OutboxMessage, reply: Reply, edit_message_id: str | None) -> str | None:
        """Send one e-mail; returns its Message-ID."""
        email = build_message(self.settings, message, reply)
        try:
            await asyncio.to_thread(self._deliver, email, message.chat_id)
        except (smtplib.SMTPException, OSError) as error:
            failure = smtp_error(error)
            log.warning("outbox message %s not e-mailed: %s", message.id, failure)
            raise failure from error
        return str(email["Message-ID"])

    def _deliver(self, email: EmailMessage, recipient: str) -> None:
        settings = self.settings
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if settings.security == "tls":
            client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with client:
            client.ehlo()
            if settings.security == "starttls":
                client.starttls(context=context)
                client.ehlo()
            if settings.username:
                client.login(settings.username, settings.password or "")
            client.send_message(email, from_addr=settings.sender, to_addrs=[recipient])
