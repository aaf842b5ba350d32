"""A circuit breaker for the Rasa server: stop waiting for a server that keeps failing.

Closed (the normal state): every message is sent to Rasa. After ``failures`` consecutive failures
(timeouts, connection or HTTP errors, malformed answers) the circuit opens: for ``open_seconds`` no
message is sent, the embedded backend answers at once. Then the circuit is half-open: one message (the
probe) is sent to Rasa while the others still go to the embedded backend; if Rasa answers, the circuit
closes, if not, it opens again for ``open_seconds``. Each change of state is logged once, without any
message text.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Literal

log = logging.getLogger(__name__)

State = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """Decides whether a message may go to the Rasa server; ``clock`` returns monotonic seconds."""

    def __init__(self, *, failures: int = 3, open_seconds: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if failures < 1 or open_seconds < 0:
            raise ValueError("a circuit breaker needs failures >= 1 and open_seconds >= 0")
        self.failures = failures
        self.open_seconds = open_seconds
        self.clock = clock
        self.state: State = "closed"
        self._consecutive = 0
        self._opened_at = 0.0
        self._lock = threading.Lock()  # parse_sync may run in another thread than the event loop

    def allow(self) -> bool:
        """True if this message may be sent to Rasa (when half-open, only the one probe is)."""
        with self._lock:
            if self.state == "closed":
                return True
            if self.state == "open" and self.clock() - self._opened_at >= self.open_seconds:
                self.state = "half_open"
                log.info("Rasa circuit half-open: one message goes to the Rasa server to probe it")
                return True
            return False

    def success(self) -> None:
        """Rasa answered: the circuit closes."""
        with self._lock:
            self._consecutive = 0
            if self.state != "closed":
                self.state = "closed"
                log.warning("Rasa circuit closed: the Rasa server answers again")

    def failure(self) -> None:
        """Rasa failed: a failed probe, or the last of ``failures`` in a row, opens the circuit."""
        with self._lock:
            self._consecutive += 1
            if self.state == "half_open" or (self.state == "closed" and self._consecutive >= self.failures):
                self.state = "open"
                self._opened_at = self.clock()
                log.warning("Rasa circuit open after %d failure(s) in a row: the embedded NLU answers alone "
                            "for %g s", self._consecutive, self.open_seconds)

    def abandon(self) -> None:
        """The request was cancelled before Rasa said anything: let the next message probe again."""
        with self._lock:
            if self.state == "half_open":
                self.state = "open"  # _opened_at is old enough: the next allow() probes
