"""``tremplin serve``: the whole stack on one machine — N Telegram workers and the desk — under one supervisor.

- The workers are ``tremplin run`` processes. In webhook mode they share one listening socket, bound here and
  inherited (``TREMPLIN_WEBHOOK_FDS``): Telegram (or a reverse proxy) has one address, the kernel gives each
  connection to whichever worker accepts it, and the connections a killed worker had not accepted yet stay in
  the shared queue for the others.
- The scheduler's jobs run in every worker; those that must run once take PostgreSQL's leader lock
  (bot/scheduler.py), and delivery claims its rows with ``SKIP LOCKED``. On SQLite both are no-ops (one writer,
  leader always), so several workers need PostgreSQL: ``--workers N`` > 1 is refused there. Polling is one
  process by construction (Telegram ends a second getUpdates with 409): refused there too.
- The desk is ``tremplin web``.
- Checks and migrations happen once, here, before any child starts (the children start with
  ``database.auto_migrate`` off: N workers migrating at once would race). A start-up failure is one line and
  exit 2, as for ``run`` and ``web``; a child that exits 2 later (its own one line is above) stops everything
  with exit 2, as systemd's ``RestartPreventExitStatus=2`` would leave it stopped.
- A child that dies otherwise is started again, with a log line; a pause that doubles (up to 30 s) when it
  keeps dying young. SIGTERM or Ctrl-C: SIGTERM to every child once (they finish the updates in hand), then
  SIGKILL after ``STOP_TIMEOUT``. The children are in their own process group (a Ctrl-C reaches the supervisor
  only, which stops them in order) and ask the kernel for SIGTERM when the supervisor dies, even by SIGKILL
  (``follow_supervisor``): no child outlives it.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import AppConfig
from bot.logs import PROCESS_NAME

log = logging.getLogger(__name__)
INHERITED_SOCKETS = "TREMPLIN_WEBHOOK_FDS"  # comma-separated file descriptors of the shared webhook socket
SUPERVISOR = "TREMPLIN_SUPERVISOR_PID"  # set in each child: the process whose death must stop it
STOP_TIMEOUT = 30.0  # seconds for the children to finish after SIGTERM (the units' TimeoutStopSec)
YOUNG = 10.0  # a child that dies sooner than this after its start is paused before the next one
MAX_PAUSE = 30.0
PR_SET_PDEATHSIG = 1  # linux/prctl.h


class ServeRefused(Exception):
    """``serve`` cannot start as asked; the message is the one line (exit code 2)."""


# --- The children's side ------------------------------------------------------------------------------


def follow_supervisor() -> None:
    """In a child of ``tremplin serve``: get SIGTERM from the kernel when the supervisor dies (Linux), and stop at
    once if it is already gone. Nothing to do in a process started otherwise."""
    supervisor = os.environ.get(SUPERVISOR)
    if not supervisor:
        return
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the supervisor's own SIGTERM still stops it
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != int(supervisor):  # it died between our fork and the prctl
        raise SystemExit(1)


def inherited_sockets() -> list[socket.socket]:
    """The webhook's listening sockets handed down by ``tremplin serve`` (none when started on its own)."""
    fds = os.environ.get(INHERITED_SOCKETS, "")
    sockets = [socket.socket(fileno=int(fd)) for fd in fds.split(",") if fd.strip()]
    for sock in sockets:
        sock.setblocking(False)
    return sockets


# --- The supervisor ------------------------------------------------------------------------------------


@dataclass
class Child:
    """One supervised process: its name in the logs, its command, and its current run."""

    name: str
    argv: list[str]
    env: dict[str, str]
    pass_fds: tuple[int, ...] = ()
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    young_deaths: int = 0
    restart_at: float | None = None
    pids: list[int] = field(default_factory=list)  # every pid it had (a test checks none is left)

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv, env=self.env, pass_fds=self.pass_fds, process_group=0)
        self.started_at = time.monotonic()
        self.restart_at = None
        self.pids.append(self.process.pid)
        log.info("%s started (pid %d)", self.name, self.process.pid)


def describe_exit(code: int) -> str:
    return f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"


def tremplin_argv(*args: str) -> list[str]:
    """The same ``tremplin`` as this one, whatever way it was installed."""
    return [sys.executable, "-m", "bot", *args]


class Supervisor:
    """Start the children, start again those that die, stop them all on SIGTERM or SIGINT."""

    def __init__(self, children: list[Child]) -> None:
        self.children = children
        self._stop = threading.Event()
        self.signal_received: int | None = None

    def _on_signal(self, signum: int, _frame: object) -> None:
        self.signal_received = signum
        self._stop.set()

    def run(self) -> int:
        """Until a signal (exit code 0) or a child's start-up failure (2)."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)
        code = 0
        try:
            for child in self.children:
                child.start()
            while not self._stop.wait(0.2):
                failed = self._watch()
                if failed is not None:
                    log.error("%s could not start (exit code 2, its line above): stopping everything", failed.name)
                    code = 2
                    break
            if self.signal_received is not None:
                log.info("%s: stopping %d processes", signal.Signals(self.signal_received).name, len(self.children))
        finally:
            self.stop_all()
        return code

    def _watch(self) -> Child | None:
        """Start again what died (after its pause); returns a child that failed to start (exit code 2)."""
        now = time.monotonic()
        for child in self.children:
            assert child.process is not None
            if child.restart_at is not None:
                if now >= child.restart_at:
                    child.start()
                continue
            code = child.process.poll()
            if code is None:
                continue
            if code == 2:
                return child
            lived = now - child.started_at
            child.young_deaths = child.young_deaths + 1 if lived < YOUNG else 0
            pause = min(MAX_PAUSE, 2.0 ** (child.young_deaths - 1)) if child.young_deaths else 0.0
            log.warning("%s (pid %d) died (%s) after %.0f s: starting it again%s", child.name, child.process.pid,
                        describe_exit(code), lived, f" in {pause:.0f} s" if pause else "")
            child.restart_at = now + pause
            if not pause:
                child.start()
        return None

    def stop_all(self) -> None:
        """SIGTERM to every child still running, once; SIGKILL to those still there after STOP_TIMEOUT."""
        running = [c.process for c in self.children if c.process is not None and c.process.poll() is None]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("pid %d still running %.0f s after SIGTERM: SIGKILL", process.pid, STOP_TIMEOUT)
                process.kill()
                process.wait()


# --- Planning the stack -------------------------------------------------------------------------------


@dataclass
class Plan:
    """What ``serve`` starts, decided and checked before anything runs."""

    workers: int
    webhook: tuple[str, int] | None  # where the shared webhook socket listens (None: polling)
    desk: tuple[str, int] | None


def plan(cfg: AppConfig, *, workers: int, port: int | None, web: bool, web_host: str | None,
         web_port: int | None) -> Plan:
    """The stack asked for, or ServeRefused with the one line saying why not."""
    telegram = cfg.settings.telegram
    if workers > 1 and cfg.database_url.startswith("sqlite"):
        raise ServeRefused(
            f"--workers {workers} needs PostgreSQL (DATABASE_URL=postgresql://…): SQLite has one writer, and its "
            "workers would each run the once-only jobs; use --workers 1 on SQLite.")
    if workers > 1 and telegram.mode != "webhook":
        raise ServeRefused(
            f"--workers {workers} needs webhook mode (telegram.mode: webhook, or TREMPLIN_TELEGRAM__MODE=webhook): "
            "Telegram gives updates by polling to one process only; use --workers 1 to poll.")
    webhook_port = telegram.webhook_port if port is None else port  # 0: any free port
    webhook = (telegram.webhook_listen, webhook_port) if telegram.mode == "webhook" else None
    desk = (web_host or cfg.settings.web.host, web_port or cfg.settings.web.port) if web else None
    return Plan(workers=workers, webhook=webhook, desk=desk)


def bind_webhook(listen: str, port: int) -> list[socket.socket]:
    """The shared listening socket(s) of the workers; StartupFailure (one line) if the port is taken."""
    import tornado.netutil

    from bot.startup import StartupFailure, port_taken

    try:
        sockets = tornado.netutil.bind_sockets(port, listen, backlog=1024)
    except OSError as error:
        raise StartupFailure(port_taken(listen, port, error)) from error
    for sock in sockets:
        sock.set_inheritable(True)
    return sockets


def metrics_folder(workers: int) -> tuple[str | None, bool]:
    """The folder of prometheus-client's multiprocess mode for the workers, emptied before they start, and
    whether it was made here (then removed at the end). One worker counts in its own memory, unless the operator
    set ``PROMETHEUS_MULTIPROC_DIR``."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        for stale in Path(folder).glob("*.db"):  # a previous run's counts: every worker starts from zero
            stale.unlink()
        return folder, False
    if workers == 1:
        return None, False
    return tempfile.mkdtemp(prefix="tremplin-metrics-"), True


def children(cfg: AppConfig, stack: Plan, *, sockets: list[socket.socket], metrics: str | None,
             allow_examples: bool) -> list[Child]:
    """The workers and the desk, with the environment that makes them part of this stack."""
    env = {**os.environ, SUPERVISOR: str(os.getpid()), "TREMPLIN_DATABASE__AUTO_MIGRATE": "false"}
    if cfg.config_path is not None:
        env["TREMPLIN_CONFIG"] = str(cfg.config_path)
    if allow_examples:
        env["TREMPLIN_ALLOW_EXAMPLES"] = "1"
    if metrics:
        env["PROMETHEUS_MULTIPROC_DIR"] = metrics
    fds = tuple(sock.fileno() for sock in sockets)
    worker_env = {**env, INHERITED_SOCKETS: ",".join(map(str, fds))} if fds else env
    if stack.webhook is not None:  # what /healthz and the logs say, the port actually listened on
        worker_env["TREMPLIN_TELEGRAM__WEBHOOK_PORT"] = str(sockets[0].getsockname()[1])
    # Each child names itself on its log lines (bot/logs.py), as the supervisor's own lines name it.
    found = [Child(f"worker {n}", tremplin_argv("run"), {**worker_env, PROCESS_NAME: f"worker {n}"}, fds)
             for n in range(1, stack.workers + 1)]
    if stack.desk is not None:
        host, port = stack.desk
        found.append(Child("desk", tremplin_argv("web", "--host", host, "--port", str(port)),
                           {**env, PROCESS_NAME: "desk"}))
    return found


def serve(cfg: AppConfig, *, workers: int, port: int | None, web: bool, web_host: str | None, web_port: int | None,
          allow_examples: bool) -> int:
    """Check, migrate once, start the stack and supervise it; returns the exit code. Raises ServeRefused or
    StartupFailure (one line, exit 2) before anything is started."""
    import asyncio

    from bot.keys import install_keys
    from bot.startup import prepare_start

    stack = plan(cfg, workers=workers, port=port, web=web, web_host=web_host, web_port=web_port)
    prepare_start(cfg, allow_examples=allow_examples, listen=stack.desk)  # the desk's port checked here too
    # The data key checked against the database and the schema brought up to date, once for every child.
    asyncio.run(install_keys(cfg, migrate=cfg.settings.database.auto_migrate))
    sockets = bind_webhook(*stack.webhook) if stack.webhook is not None else []
    metrics, made = metrics_folder(stack.workers)
    try:
        supervised = children(cfg, stack, sockets=sockets, metrics=metrics, allow_examples=allow_examples)
        where = f"webhook on {stack.webhook[0]}:{sockets[0].getsockname()[1]}" if stack.webhook else "polling"
        desk = f", desk on {stack.desk[0]}:{stack.desk[1]}" if stack.desk else ""
        log.info("serving: %d worker%s (%s)%s, on %s", stack.workers, "s" if stack.workers > 1 else "", where,
                 desk, "PostgreSQL" if not cfg.database_url.startswith("sqlite") else "SQLite")
        return Supervisor(supervised).run()
    finally:
        for sock in sockets:
            sock.close()
        if made and metrics:
            shutil.rmtree(metrics, ignore_errors=True)
