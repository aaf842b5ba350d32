"""What bench/throughput.py and bench/startup.py share: the instrumented fake Bot API, the simulated young
people, the offered load, and the bot under test as a subprocess.

Not a test module (nothing here is collected by pytest): it measures, it asserts nothing.

- ``BenchTelegram`` is the tests' fake Bot API (tests/bot/fake_telegram.py) with one addition: it tells
  the load generator, from the server thread, when a reply (sendMessage / editMessageText /
  sendDocument) reaches a chat, with its arrival time. It forgets what it recorded between load levels
  (``forget``) so that a long run does not slow down on its own lists.
- ``Population`` is 200 young people going through onboarding at once, by buttons (what the bot gets
  most), with one typed first name and one ``/start`` each. A person acts only once the question they
  answer has arrived (the keyboard holding the label they press), then a new person takes their place
  at the end. Each person has at most one update in flight, as on a phone.
- ``Population.run_level`` offers updates at a fixed rate (a person who is still waiting for the bot
  skips their turn: the tick is counted as not offered), or ``rate=None``: each person answers as soon
  as they can (the bot's saturation with 200 people).
- Latency of an update: from the moment it is available to ``getUpdates`` (queued in the fake) to the
  moment the fake receives the first reply in that chat.
"""

from __future__ import annotations

import collections
import dataclasses
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import psutil

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.bot.fake_telegram import REPLY_METHODS, FakeTelegram, TgUser  # noqa: E402

# One onboarding, as tests/bot/test_telegram_e2e.py plays it: (kind, value) — the value of a press is the
# label of the button, looked up in the newest keyboard of the chat.
ONBOARDING: tuple[tuple[str, str], ...] = (
    ("command", "start"),
    ("press", "D'accord"),
    ("text", "{name}"),
    ("press", "19"),
    ("press", "Nanterre"),
    ("press", "CAP ou BEP"),
    ("press", "Je cherche une formation"),
    ("press", "Non"),
    ("press", "Mission locale"),
    ("press", "Me déplacer"),  # a multiple choice: the keyboard is redrawn in place (editMessageText)
    ("press", "C'est tout"),
    ("press", "Logistique"),
    ("press", "C'est tout"),
)
NAMES = ("Inès", "Karim", "Awa", "Lucas", "Yasmine", "Mamadou", "Chloé", "Rayan", "Lina", "Enzo")
FIRST_USER = 7_000_000
STUCK_AFTER = 30.0  # seconds without the expected answer: the person gives up, a new one comes


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..1); NaN when there is nothing."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


# --- The fake Bot API, instrumented -------------------------------------------------------------------

class BenchTelegram(FakeTelegram):
    """The tests' fake Bot API, reporting each reply to ``on_reply(chat_id, arrived_at, message)``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_reply: Callable[[str, float, dict[str, Any]], None] = lambda chat, at, message: None
        self.first_poll_at: float | None = None

    def _handle(self, method: str, params: dict[str, Any], files: dict[str, tuple[str, bytes]]) -> tuple[int, Any]:
        arrived = time.monotonic()  # what Call.at records: the request has reached the fake
        name = method.lower()
        if name == "getupdates" and self.first_poll_at is None:
            self.first_poll_at = arrived
        status, result = super()._handle(method, params, files)
        if status == 200 and name in REPLY_METHODS and isinstance(result, dict):
            self.on_reply(str(params.get("chat_id")), arrived, result)
        return status, result

    def post_concurrently(self, url: str, secret: str, connections: int = 16) -> None:
        """Webhook mode as Telegram does it (up to ``max_connections`` at once, 40 by default): ``connections``
        threads, each on its own keep-alive connection, POST the queued updates to ``url`` until each is
        accepted. A person has one update in flight at most, so each chat's updates stay in order."""

        def forward() -> None:
            target = urlsplit(url)
            connection: http.client.HTTPConnection | None = None
            while (update := self.next_update(take=True)) is not None:
                body = json.dumps(update).encode()
                try:
                    connection = connection or http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                    connection.request("POST", target.path, body, {
                        "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret})
                    answer = connection.getresponse()
                    answer.read()
                    delivered = answer.status == 200
                except OSError:  # refused, reset (a worker killed): a new connection, a little later
                    connection, delivered = None, False
                if not delivered:
                    with self._condition:
                        self._updates.insert(0, update)
                        self.webhook_failures += 1
                    time.sleep(0.05)
                    continue
                with self._condition:
                    self.webhook_posts += 1

        for n in range(connections):
            threading.Thread(target=forward, name=f"bench-webhook-{n}", daemon=True).start()

    def forget(self, chats: set[str] | None = None) -> None:
        """Drop the recordings (and the messages of these finished chats): memory and scans stay small."""
        with self._condition:
            self.calls.clear()
            self.timeline.clear()
            self._sent_updates.clear()
            self._callback_chats.clear()
            if chats:
                for key in [k for k in self._messages if k[0] in chats]:
                    del self._messages[key]


# --- The young people ---------------------------------------------------------------------------------

@dataclasses.dataclass
class Sample:
    """One update: when it was offered, when its first reply arrived, when the person could act again."""

    pushed_at: float
    first_at: float | None = None
    done_at: float | None = None


@dataclasses.dataclass
class Person:
    user: TgUser
    step: int = 0
    waiting: Sample | None = None
    keyboard: tuple[int, dict[str, str]] | None = None  # (message id, label → callback data)


class Population:
    """``size`` people in onboarding at once against ``fake``; ``echo``: the bot answers anything once."""

    def __init__(self, fake: BenchTelegram, size: int = 200, *, echo: bool = False) -> None:
        self.fake = fake
        self.echo = echo
        self._lock = threading.Condition()
        self._ids = iter(range(FIRST_USER, FIRST_USER + 10_000_000))
        self._by_chat: dict[str, Person] = {}
        self._ready: collections.deque[Person] = collections.deque()
        self.samples: list[Sample] = []
        self.finished_chats: set[str] = set()
        self.onboarded = 0
        self.stuck = 0
        self.unexpected = 0
        self.first_replies = 0  # updates answered, warm-up included (for the CPU per update)
        # When each first reply arrived, whenever its update was sent: the rate of the window counts the updates
        # sent before it too (at saturation, 200 people waiting, the latency can be longer than the window).
        self.first_reply_times: list[float] = []
        for _ in range(size):
            self._ready.append(self._new_person())
        fake.on_reply = self._on_reply

    def _new_person(self) -> Person:
        uid = next(self._ids)
        person = Person(TgUser(uid, NAMES[uid % len(NAMES)]))
        self._by_chat[str(uid)] = person
        return person

    def _replace(self, person: Person) -> Person:
        """The person leaves (onboarded, or stuck); a new one takes the place."""
        chat = str(person.user.id)
        self._by_chat.pop(chat, None)
        self.finished_chats.add(chat)
        return self._new_person()

    # Called from the fake's server threads.
    def _on_reply(self, chat: str, at: float, message: dict[str, Any]) -> None:
        with self._lock:
            person = self._by_chat.get(chat)
            if person is None or person.waiting is None:
                return
            sample = person.waiting
            if sample.first_at is None:
                sample.first_at = at
                self.first_replies += 1
                self.first_reply_times.append(at)
            last = person.step >= len(ONBOARDING)
            rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
            buttons = {b["text"].removeprefix("✅ "): b.get("callback_data", "") for row in rows for b in row}
            if self.echo or last:
                ready = True
            else:
                kind, value = ONBOARDING[person.step]
                # The answer is complete when the keyboard the person needs next has arrived.
                ready = bool(buttons) and (kind != "press" or value in buttons)
            if not ready:
                return
            sample.done_at = at
            person.waiting = None
            person.keyboard = (int(message.get("message_id", 0)), buttons)
            if last:
                self.onboarded += 1
                person = self._replace(person)
            self._ready.append(person)
            self._lock.notify_all()

    def _act(self, person: Person, kind: str, value: str) -> None:
        """Push the person's update (called with our lock free: pushing takes the fake's own lock)."""
        user = person.user
        if kind == "command":
            self.fake.command(user, value)
        elif kind == "text":
            self.fake.send_text(user, value.format(name=user.first_name))
        elif self.echo:  # the echo bot reads no button data: any press will do
            message_id = person.keyboard[0] if person.keyboard else 1
            self.fake.tap(user, value, message_id)
        else:
            message_id, buttons = person.keyboard or (0, {})
            self.fake.tap(user, buttons[value], message_id)

    def _take_ready(self, timeout: float) -> Person | None:
        with self._lock:
            if not self._ready:
                self._lock.wait(timeout)
            return self._ready.popleft() if self._ready else None

    def _offer(self, person: Person, record: bool) -> None:
        with self._lock:
            kind, value = ONBOARDING[person.step]
            if kind == "press" and not self.echo and value not in (person.keyboard or (0, {}))[1]:
                # Not the question the script expects (should not happen): a new person instead.
                self.unexpected += 1
                self._ready.append(self._replace(person))
                return
            sample = Sample(time.monotonic())  # before the push: the update is available from then on
            person.waiting = sample
            person.step += 1  # before the push: its replies are read against the step that comes next
            if record:
                self.samples.append(sample)
        self._act(person, kind, value)

    def _unstick(self) -> None:
        """People who waited too long give up (an update lost would show here)."""
        now = time.monotonic()
        with self._lock:
            for person in list(self._by_chat.values()):
                if person.waiting is not None and now - person.waiting.pushed_at > STUCK_AFTER:
                    self.stuck += 1
                    person.waiting = None
                    self._ready.append(self._replace(person))

    def run_level(self, rate: float | None, duration: float, warmup: float) -> LevelResult:
        """Offer updates at ``rate`` per second (None: as fast as people can answer) for ``duration`` s;
        samples of the first ``warmup`` seconds are not counted. Waits for the answers in flight."""
        start = time.monotonic()
        end = start + duration
        measure_from = start + warmup
        first_sample = len(self.samples)
        first_replies = self.first_replies
        with self._lock:
            self.first_reply_times.clear()
        offered = skipped = 0
        tick = 0
        while (now := time.monotonic()) < end:
            if rate is None:
                person = self._take_ready(0.05)
                if person is not None:
                    self._offer(person, now >= measure_from)
                    offered += now >= measure_from
                else:
                    self._unstick()
                continue
            due = start + tick / rate
            if now < due:
                time.sleep(min(due - now, 0.002))
                continue
            tick += 1
            person = self._take_ready(0)
            if person is None:
                skipped += now >= measure_from  # everybody is waiting for the bot: this tick is not offered
                if tick % 50 == 0:
                    self._unstick()
                continue
            self._offer(person, now >= measure_from)
            offered += now >= measure_from
        window = end - measure_from
        # Let what is in flight finish (it counts for latency, not for the rate of the window).
        deadline = time.monotonic() + STUCK_AFTER + 5
        while time.monotonic() < deadline:
            with self._lock:
                busy = any(p.waiting is not None for p in self._by_chat.values())
            if not busy:
                break
            self._unstick()
            time.sleep(0.05)
        samples = self.samples[first_sample:]
        answered = [s for s in samples if s.first_at is not None]
        with self._lock:
            handled = sum(1 for at in self.first_reply_times if measure_from <= at < end)
            del self.first_reply_times[:]
        return LevelResult(
            rate=rate, window=window, offered=offered, skipped=skipped, handled=handled,
            latencies=[(s.first_at - s.pushed_at) * 1000 for s in answered if s.first_at is not None],
            complete=[(s.done_at - s.pushed_at) * 1000 for s in answered if s.done_at is not None],
            unanswered=len(samples) - len(answered), answered_all=self.first_replies - first_replies,
        )

    def forget_finished(self) -> None:
        with self._lock:
            chats, self.finished_chats = self.finished_chats, set()
        self.fake.forget(chats)


@dataclasses.dataclass
class LevelResult:
    rate: float | None
    window: float
    offered: int
    skipped: int
    handled: int
    latencies: list[float]  # ms to the first reply
    complete: list[float]  # ms until the person can answer (the question's keyboard arrived)
    unanswered: int
    answered_all: int = 0  # updates answered during the whole level, its warm-up and drain included
    bot_cpu: float = 0.0  # share of one core
    bot_cpu_seconds: float = 0.0  # over the whole level

    @property
    def cpu_ms_per_update(self) -> float:
        """The bot's CPU per update answered: steadier than the rates on shared cores (it does not count the
        time the bot waited for a core)."""
        return self.bot_cpu_seconds * 1000 / self.answered_all if self.answered_all else float("nan")
    bench_cpu: float = 0.0
    bot_rss: float = 0.0  # MB, at the end of the level

    @property
    def handled_rate(self) -> float:
        return self.handled / self.window

    @property
    def offered_rate(self) -> float:
        return self.offered / self.window

    def p(self, q: float) -> float:
        return percentile(self.latencies, q)


# --- The process under test ---------------------------------------------------------------------------

class Subject:
    """A bot as a subprocess pointed at the fake: Tremplin (``tremplin run``) or the echo bot."""

    def __init__(self, argv: list[str], env: dict[str, str], log_path: Path, *, workers: int = 0) -> None:
        self.argv = argv
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.cwd = ROOT
        self.workers = workers  # > 0: ``tremplin serve`` with this many webhook workers (its children count too)
        self.webhook: tuple[str, str] | None = None  # (URL, secret) the fake POSTs the updates to

    def start(self) -> Subject:
        self.started_at = time.monotonic()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        return self

    @property
    def ps(self) -> psutil.Process:
        assert self.process is not None
        return psutil.Process(self.process.pid)

    def _serving(self) -> bool:
        """Every worker of ``tremplin serve`` has said it runs (its line in the shared log)."""
        try:
            return self.log_path.read_text(errors="replace").count("Tremplin on Telegram as") >= self.workers
        except OSError:
            return False

    def wait_polling(self, fake: BenchTelegram, timeout: float = 120.0) -> float:
        """Seconds from start to its first getUpdates (webhook workers: until they all run); raises if it dies
        or takes too long."""
        deadline = time.monotonic() + timeout
        while (not self._serving()) if self.workers else (fake.first_poll_at is None
                                                           or fake.first_poll_at < self.started_at):
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.argv[-1]} exited with {self.process.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.argv[-1]} did not start polling:\n{self.log_tail()}")
            time.sleep(0.01)
        return time.monotonic() - self.started_at if self.workers else fake.first_poll_at - self.started_at

    def _family(self, *, supervisor: bool = True) -> list[psutil.Process]:
        """The bot's processes: itself, or ``tremplin serve`` and its workers (or its workers only)."""
        if not self.workers:
            return [self.ps]
        return [*([self.ps] if supervisor else []), *self.ps.children(recursive=True)]

    def cpu_seconds(self) -> float:
        total = 0.0
        for process in self._family():
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    def rss_mb(self) -> float:
        """Resident memory of the bot (of its workers added up, under ``serve``)."""
        return sum(p.memory_info().rss for p in self._family(supervisor=False) if p.is_running()) / 2**20

    def peak_rss_mb(self) -> float:
        """The high-water mark of resident memory (VmHWM, from /proc; under ``serve``, the workers' added up)."""
        total = 0.0
        for process in self._family(supervisor=False):
            for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
        return total or self.rss_mb()

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM (the clean stop), SIGKILL if it does not stop in time."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def tremplin_env(fake: FakeTelegram, database_url: str, data_key: str, **extra: str) -> dict[str, str]:
    """``tremplin run`` against the fake, Telegram's pacing lifted: we measure Tremplin, not the 30/s cap."""
    return {
        **fake.env(),
        "DATABASE_URL": database_url,
        "TREMPLIN_DATA_KEY": data_key,
        "TREMPLIN_TELEGRAM__PER_CHAT_INTERVAL_SECONDS": "0",
        "TREMPLIN_TELEGRAM__OVERALL_PER_SECOND": "100000",
        **extra,
    }


def tremplin(fake: FakeTelegram, database_url: str, data_key: str, log_path: Path, *, tree: Path | None = None,
             **extra: str) -> Subject:
    """``tremplin run``; ``tree``: the code of another checkout (e.g. ``git archive`` of an older commit, for a
    before/after), run with this virtual environment."""
    env = tremplin_env(fake, database_url, data_key, **extra)
    if tree is None:
        return Subject([str(ROOT / ".venv/bin/tremplin"), "run"], env, log_path)
    subject = Subject([sys.executable, "-c", "from bot.cli import main; main()", "run"],
                      {**env, "PYTHONPATH": str(tree)}, log_path)
    subject.cwd = tree
    return subject


def tremplin_serve(fake: FakeTelegram, database_url: str, data_key: str, log_path: Path, *, workers: int,
                   port: int, secret: str, tree: Path | None = None) -> Subject:
    """``tremplin serve --workers N --no-web``: N webhook workers sharing ``port`` (bot/serve.py)."""
    env = tremplin_env(fake, database_url, data_key, TREMPLIN_TELEGRAM__MODE="webhook", WEBHOOK_SECRET=secret)
    args = ["serve", "--workers", str(workers), "--port", str(port), "--no-web"]
    if tree is None:
        subject = Subject([str(ROOT / ".venv/bin/tremplin"), *args], env, log_path, workers=workers)
    else:
        subject = Subject([sys.executable, "-m", "bot", *args], {**env, "PYTHONPATH": str(tree)}, log_path,
                          workers=workers)
        subject.cwd = tree
    subject.webhook = (f"http://127.0.0.1:{port}/telegram", secret)
    return subject


def echo_bot(fake: FakeTelegram, log_path: Path, *, concurrent: int) -> Subject:
    return Subject([sys.executable, str(ROOT / "bench/echo_bot.py"), "--concurrent", str(concurrent)], fake.env(),
                   log_path)


# --- PostgreSQL: a throwaway database -----------------------------------------------------------------

async def fresh_postgres(admin_url: str) -> str:
    """A new, empty database on this server (the admin database is never touched)."""
    name = f"tremplin_bench_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return "postgresql+asyncpg://" + admin_url.split("://", 1)[1].rsplit("/", 1)[0] + f"/{name}"


async def drop_postgres(admin_url: str, url: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await connection.close()


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
