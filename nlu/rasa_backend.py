"""The Rasa server backend: ``POST /model/parse`` over HTTP, the embedded backend as fallback.

Rasa gives the intent and the commune / secteur / profile entities it found; values are made canonical
with our gazetteer (whatever spelling Rasa returns) and our own dates, parts of the day and ages are
added (no Duckling here), so results have exactly the embedded backend's shape. A profile entity
(diplome, obstacle, suivi, situation, rsa) is kept only where the gazetteer, reading the whole
message, finds the same entity over Rasa's span, with the gazetteer's value and span: so the phrases
that rule a word out ("t'es pas cap", "dans le transport", "je bosse pas") apply to Rasa too. The distress net
applies too. Commands ("/start") never reach Rasa: it would force an intent from them.
A circuit breaker (nlu/circuit.py) stops sending messages to a server that keeps failing. Every message the
embedded backend answers instead is counted (``tremplin_nlu_fallbacks_total``, prometheus-client's default
registry, which the bot's ``GET /metrics`` serves: nothing of ours is imported for it).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
from prometheus_client import Counter

from nlu.circuit import CircuitBreaker
from nlu.embedded import EmbeddedBackend
from nlu.entities import PROFILE_ENTITIES, Match, group_of
from nlu.normalise import normalise
from nlu.postprocess import DISTRESS, apply_safety_net, command_result, extra_entities, is_command, merge_entities
from nlu.result import Entity, IntentScore, ParseResult
from nlu.safety import looks_like_distress

log = logging.getLogger(__name__)

RASA_ENTITIES = ("commune", "secteur", *PROFILE_ENTITIES)
FALLBACKS = Counter(
    "tremplin_nlu_fallbacks",
    "Messages the embedded NLU understood instead of the Rasa server: error (Rasa failed), paused (circuit open).",
    ["reason"],
)
# DIET's distress is believed when the embedded classifier would raise the alarm too (see _second_opinion).
SECOND_OPINION = 0.5


class RasaBackend:
    """Asks a Rasa server; falls back to ``fallback`` (with a WARNING) when it cannot.

    After ``circuit_failures`` failures in a row, Rasa is left alone for ``circuit_open_seconds`` (measured
    with ``clock``, monotonic seconds), then probed with one message (see nlu/circuit.py).
    """

    name = "rasa"

    def __init__(self, url: str, fallback: EmbeddedBackend, *, timeout: float = 2.0, circuit_failures: int = 3,
                 circuit_open_seconds: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.fallback = fallback
        self.circuit = CircuitBreaker(failures=circuit_failures, open_seconds=circuit_open_seconds, clock=clock)
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _async_client(self) -> httpx.AsyncClient:
        # An AsyncClient belongs to the event loop that first used it (tests run one loop each).
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = httpx.AsyncClient(timeout=self.timeout, trust_env=False)
            self._loop = loop
        return self._client

    async def parse(self, text: str, now: dt.datetime | None = None) -> ParseResult:
        """Understand one message with Rasa, or with the embedded backend if Rasa fails."""
        if is_command(text):
            return command_result(text)
        if not self.circuit.allow():
            FALLBACKS.labels("paused").inc()
            return self.fallback.parse_sync(text, now)
        try:
            answer = await self._async_client().post(f"{self.url}/model/parse", json={"text": text})
            answer.raise_for_status()
            result = self._from_rasa(text, answer.json(), now)
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            self._warn(exc)
            self.circuit.failure()
            FALLBACKS.labels("error").inc()
            return self.fallback.parse_sync(text, now)
        except BaseException:
            self.circuit.abandon()  # cancelled: Rasa said nothing either way
            raise
        self.circuit.success()
        return result

    def parse_sync(self, text: str, now: dt.datetime | None = None) -> ParseResult:
        """Blocking variant of ``parse`` (CLI, scripts)."""
        if is_command(text):
            return command_result(text)
        if not self.circuit.allow():
            FALLBACKS.labels("paused").inc()
            return self.fallback.parse_sync(text, now)
        try:
            with httpx.Client(timeout=self.timeout, trust_env=False) as client:
                answer = client.post(f"{self.url}/model/parse", json={"text": text})
            answer.raise_for_status()
            result = self._from_rasa(text, answer.json(), now)
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            self._warn(exc)
            self.circuit.failure()
            FALLBACKS.labels("error").inc()
            return self.fallback.parse_sync(text, now)
        except BaseException:
            self.circuit.abandon()
            raise
        self.circuit.success()
        return result

    @staticmethod
    def _warn(exc: Exception) -> None:
        # The exception's type only: its message could one day quote the request, i.e. the text.
        log.warning("Rasa server unavailable (%s): using the embedded NLU for this message", type(exc).__name__)

    def _from_rasa(self, text: str, data: dict[str, Any], now: dt.datetime | None) -> ParseResult:
        intent = data["intent"]
        ranking = [IntentScore(str(i["name"]), float(i["confidence"])) for i in data.get("intent_ranking") or []]
        if not ranking:
            ranking = [IntentScore(str(intent["name"]), float(intent["confidence"]))]
        normalised = normalise(text)
        ranking = self._second_opinion(normalised, list(apply_safety_net(normalised, ranking)))
        return ParseResult(text=text, intent=ranking[0], entities=self._entities(text, data, now),
                           intent_ranking=tuple(ranking))

    def _second_opinion(self, normalised: str, ranking: list[IntentScore]) -> list[IntentScore]:
        """DIET is sometimes sure of distress on a shrug ("jsp encore" at 0.99). When neither the words of
        danger (the safety net, already applied) nor the embedded classifier see any, distress drops to the
        embedded classifier's confidence: a false alarm sends the emergency numbers to someone who did not
        need them and an URGENT alert to every advisor. Danger in words still raises it, whatever DIET says."""
        if not ranking or ranking[0].name != DISTRESS or looks_like_distress(normalised):
            return ranking
        second = dict(self.fallback.model.predict(normalised)).get(DISTRESS, 0.0)
        if second >= SECOND_OPINION:
            return ranking
        rest = ranking[1:] or [IntentScore("out_of_scope", 1.0 - second)]
        demoted = IntentScore(DISTRESS, second)
        return sorted([*rest, demoted], key=lambda i: -i.confidence)

    def _entities(self, text: str, data: dict[str, Any], now: dt.datetime | None) -> tuple[Entity, ...]:
        gaz = self.fallback.gazetteer
        known = {v for v in gaz.phrases.values() if v}
        whole: list[Match] | None = None  # the gazetteer's reading of the whole message, when needed
        found: list[Entity] = []
        for e in data.get("entities") or []:
            kind = e.get("entity")
            if kind not in RASA_ENTITIES:
                continue
            start, end = int(e.get("start", 0)), int(e.get("end", 0))
            value = str(e.get("value", ""))
            if kind in PROFILE_ENTITIES:
                whole = gaz.find(text, about_work=True) if whole is None else whole
                for m in whole:
                    if m.entity == kind and m.start < end and start < m.end and not any(
                            f.entity == kind and f.start < m.end and m.start < f.end for f in found):
                        found.append(Entity(kind, m.value, m.start, m.end))
                continue
            if (kind, value) not in known:
                # Rasa's raw span ("asniere"): our gazetteer knows its canonical value, or it is dropped.
                matches = [m for m in gaz.find(text[start:end] or value, about_work=True) if m.entity == kind]
                if not matches:
                    continue
                value = matches[0].value
            if any(group_of(f.entity) == group_of(kind) and f.start < end and start < f.end for f in found):
                continue  # DIET and the regex extractor can both report the same words
            found.append(Entity(kind, value, start, end))
        return merge_entities(sorted(found, key=lambda f: (f.start, f.end, f.entity)),
                              extra_entities(text, now, self.fallback.timezone))

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None
