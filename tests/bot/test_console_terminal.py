"""`tremplin chat` in a real (pseudo-)terminal of 80 columns, as a newcomer opens it: the bot speaks first,
a status shows while it gets ready, nothing is cut mid-word, no log line lands in the conversation, and
Ctrl-D gives the shell back on a line of its own. Piped, logs go to the file and not to the transcript."""

from __future__ import annotations

import fcntl
import logging
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time
from pathlib import Path

import pytest
from rich.cells import cell_len

from bot.logs import setup_logging
from storage import crypto
from tests.bot.test_cli import ROOT, TREMPLIN, run

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
PROMPT_UP = "\x1b[36m"  # the output stops there when the prompt waits: what is typed is echoed in cyan


class Terminal:
    """`tremplin chat` behind a pseudo-terminal of ``columns``: what it prints, raw, and typing into it."""

    def __init__(self, tmp_path: Path, user: str, columns: int = 80) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TREMPLIN_", "TELEGRAM_", "COLUMNS"))}
        env |= {"DATABASE_URL": f"sqlite:///{tmp_path}/chat.db", "TREMPLIN_DATA_KEY": crypto.new_key(),
                "TERM": "xterm-256color"}
        self.process = subprocess.Popen([TREMPLIN, "chat", "--user", user], stdin=slave, stdout=slave, stderr=slave,
                                        cwd=ROOT, env=env, close_fds=True)
        os.close(slave)
        self.master = master
        self.raw = ""

    def read_until(self, done: str, timeout: float = 90) -> None:
        """Read until the output printed so far ends with ``done`` (it then waits), or the program ends."""
        end = time.monotonic() + timeout
        while not self.raw.endswith(done):
            assert time.monotonic() < end, f"waited for {done!r}: {self.shown[-500:]}"
            ready, _, _ = select.select([self.master], [], [], 0.5)
            if ready:
                try:
                    self.raw += os.read(self.master, 65536).decode("utf-8", "replace")
                except OSError:  # the program ended
                    return

    def type(self, line: str) -> None:
        os.write(self.master, f"{line}\n".encode())
        self.raw += os.read(self.master, 65536).decode("utf-8", "replace")  # at least the echo: the prompt moved on
        self.read_until(PROMPT_UP)  # answered, and the prompt is back

    def close_with_ctrl_d(self) -> int:
        os.write(self.master, b"\x04")
        self.read_until("\x00", timeout=30)  # never printed: read until the end
        return self.process.wait(timeout=30)

    @property
    def shown(self) -> str:
        """What the terminal shows, colours and cursor moves aside: of a line redrawn (the spinner), its last."""
        lines = ANSI.sub("", self.raw).replace("\r\n", "\n").split("\n")
        return "\n".join(line.rsplit("\r", 1)[-1] for line in lines)


@pytest.fixture
def terminal(tmp_path: Path):  # type: ignore[no-untyped-def]
    screen = Terminal(tmp_path, "noa")
    yield screen
    if screen.process.poll() is None:
        screen.process.kill()
    os.close(screen.master)


def test_a_newcomer_is_greeted_and_leaves_cleanly(terminal: Terminal) -> None:
    terminal.read_until(PROMPT_UP)  # nothing typed yet
    first = terminal.shown
    assert "Je me prépare" in first  # the status while the NLU model loads (or trains, the first time)
    assert "Tremplin › Salut ! Je suis Tremplin" in first  # before: an empty "> " and nothing else
    assert "[1] D'accord   [2] Non merci   [3] En savoir plus" in first
    terminal.type("salut")  # greeted first, a newcomer says hello: not "Re-bonjour", nothing was answered yet
    assert "Re-bonjour" not in terminal.shown and terminal.shown.count("Tu es d'accord ?") == 2
    terminal.type("D'accord")
    terminal.type("Noa")
    terminal.type("/supprimer")  # erasure logs a line at INFO: before, it landed in the conversation
    terminal.type("Oui, tout effacer")
    assert terminal.close_with_ctrl_d() == 0
    shown = terminal.shown
    assert "Bienvenue, Noa !" in shown
    assert not re.search(r"\b(DEBUG|INFO|WARNING|ERROR)\b", shown)
    lines = shown.split("\n")
    assert all(cell_len(line) <= 80 for line in lines), max(lines, key=cell_len)  # the terminal cuts nothing
    assert shown.endswith("\n") and lines[-2].startswith("À bientôt !")  # before: the shell prompt after "> "
    assert re.search(r"\x1b\[1;32mTremplin ›", terminal.raw)  # the bot in colour


def test_piped_the_logs_go_to_the_file_not_to_the_transcript(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/chat.db", "TREMPLIN_DATA_KEY": crypto.new_key()}
    result = run("chat", "--user", "lou", env=env, stdin="salut\nD'accord\n/supprimer\nOui, tout effacer\n")
    assert result.returncode == 0, result.stderr
    assert "> /supprimer" in result.stdout and "INFO" not in result.stdout
    assert "INFO" not in result.stderr  # before: "INFO flows.privacy: personal data erased" on stderr


def test_chat_logs_to_a_private_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], restored_logging: None
                                     ) -> None:
    setup_logging("INFO", file=tmp_path / "var" / "tremplin.log")
    logging.getLogger("flows.privacy").info("personal data erased (%s): %d rows", "test", 3)
    for handler in logging.getLogger().handlers:
        handler.flush()
    log = tmp_path / "var" / "tremplin.log"
    assert "INFO flows.privacy: personal data erased (test): 3 rows" in log.read_text()
    assert log.stat().st_mode & 0o777 == 0o600 and (tmp_path / "var").stat().st_mode & 0o777 == 0o700
    assert capsys.readouterr() == ("", "")
