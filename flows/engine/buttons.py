"""Button data: compact (<= 64 bytes), signed for one person, and tied to a question or an action.

Two shapes:

- ``s.<token>.<value>.<mac>``: the answer to the question the person is being asked. ``token`` changes at
  every new question, so a second tap or yesterday's keyboard is recognised and has no effect.
- ``a.<action>.<argument>.<mac>``: an action that stays valid later (a reminder's "je viens", a card's
  "ça m'intéresse"); handlers make it idempotent from the state of what it acts on.

``mac`` is an HMAC of the *subject* (whom the button was made for) and the rest, so data pressed by, or
forged for, someone else is refused. A young person's subject is their person id (``"42"``); an
advisor's is ``advisor_subject(agent_id)`` (``"agent:7"``): the two can never be mistaken for each
other, so a young person pressing an advisor's button gets the same answer as for a stale one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

MAX_BYTES = 64
_PART = re.compile(r"^[A-Za-z0-9_:\-]*$")


@dataclass(frozen=True, slots=True)
class StepAnswer:
    """A pressed answer to the question carrying ``token``."""

    token: int
    value: str


@dataclass(frozen=True, slots=True)
class Action:
    """A pressed action button."""

    name: str
    argument: str


class ButtonSigner:
    """Makes and checks button data for one installation (the key never leaves the server)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def derived(self, purpose: str) -> bytes:
        """A key for another use (the desk's CSRF tokens), from this installation's key: the same in every process."""
        return hmac.new(self._key, f"derived:{purpose}".encode(), hashlib.sha256).digest()

    def _mac(self, subject: int | str, body: str) -> str:
        # str(42) == "42": buttons signed for a person id before subjects existed stay valid.
        digest = hmac.new(self._key, f"{subject}|{body}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:6]).decode()

    def _seal(self, subject: int | str, body: str) -> str:
        data = f"{body}.{self._mac(subject, body)}"
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"button data too long ({len(data)} bytes): {body[:20]}...")
        return data

    def answer(self, person_id: int, token: int, value: str) -> str:
        """Data for an answer to the current question."""
        if not _PART.match(value):
            raise ValueError(f"button value has characters that cannot travel: {value!r}")
        return self._seal(person_id, f"s.{token:x}.{value}")

    def action(self, subject: int | str, name: str, argument: str = "") -> str:
        """Data for an action button, for a person id or a subject such as ``advisor_subject(7)``."""
        if not (_PART.match(name) and _PART.match(argument)):
            raise ValueError(f"action has characters that cannot travel: {name!r} {argument!r}")
        return self._seal(subject, f"a.{name}.{argument}")

    def read(self, subject: int | str, data: str) -> StepAnswer | Action | None:
        """What the data means for this subject; None if it is malformed or not theirs."""
        body, _, mac = data.rpartition(".")
        if not body or not hmac.compare_digest(mac, self._mac(subject, body)):
            return None
        kind, _, rest = body.partition(".")
        first, _, second = rest.partition(".")
        if kind == "s":
            try:
                return StepAnswer(int(first, 16), second)
            except ValueError:
                return None
        if kind == "a":
            return Action(first, second)
        return None


def advisor_subject(agent_id: int) -> str:
    """Whom an advisor's buttons are signed for (never equal to a young person's id)."""
    return f"agent:{agent_id}"
