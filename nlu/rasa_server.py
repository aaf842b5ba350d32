"""The Rasa server: its Python 3.10 environment, its trained model and its process.

Rasa 3.6 needs Python 3.10 and pins libraries our bot cannot share (TensorFlow 2.12, SQLAlchemy 1.4),
so it lives in its own virtual environment outside the repo, cached by a hash of
``nlu/rasa-requirements.txt``; the model is cached by a hash of ``nlu/config.yml`` and ``nlu/data``.
Everything listens on the loopback interface only.

    python -m nlu.rasa_server [--port 5005]     # same as `tremplin nlu serve-rasa`
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

log = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parent
REQUIREMENTS = PROJECT_DIR / "rasa-requirements.txt"
RASA_VERSION = "3.6.21"
DEFAULT_PORT = 5005

Say = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def cache_root() -> Path:
    """Where the venv and the models are kept (``TREMPLIN_CACHE`` or ``~/.cache/tremplin``)."""
    return Path(os.environ.get("TREMPLIN_CACHE") or Path.home() / ".cache" / "tremplin").expanduser()


def _works(python: str | Path) -> bool:
    """True when ``python`` runs and is a 3.10 (a pyenv shim may exist yet refuse to run)."""
    try:
        out = subprocess.run(
            [str(python), "-c", "import sys; print(sys.version_info[:2] == (3, 10))"],
            capture_output=True, text=True, timeout=30, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and out.stdout.strip() == "True"


def find_python310() -> Path:
    """A working Python 3.10: ``TREMPLIN_PYTHON310``, then PATH, then pyenv's 3.10.* versions."""
    candidates: list[Path] = []
    if os.environ.get("TREMPLIN_PYTHON310"):
        candidates.append(Path(os.environ["TREMPLIN_PYTHON310"]))
    on_path = shutil.which("python3.10")
    if on_path:
        candidates.append(Path(on_path))
    pyenv_roots = [Path(os.environ["PYENV_ROOT"])] if os.environ.get("PYENV_ROOT") else []
    pyenv_roots.append(Path.home() / ".pyenv")
    if shutil.which("pyenv"):
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, timeout=30).stdout.strip()
            if root:
                pyenv_roots.insert(0, Path(root))
    for root in pyenv_roots:
        versions = sorted((root / "versions").glob("3.10.*"), reverse=True)
        candidates.extend(v / "bin" / "python3.10" for v in versions)
    candidates += [Path("/usr/bin/python3.10"), Path("/usr/local/bin/python3.10")]
    for candidate in candidates:
        if candidate.exists() and _works(candidate):
            return candidate
    raise RuntimeError("no working Python 3.10 found (set TREMPLIN_PYTHON310 to its path)")


def _digest(paths: list[Path], extra: str = "") -> str:
    h = hashlib.sha256(extra.encode())
    for path in paths:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def venv_dir() -> Path:
    """The cached virtual environment for the current requirements file."""
    return cache_root() / f"rasa-venv-{_digest([REQUIREMENTS])}"


def training_files(project_dir: Path = PROJECT_DIR) -> list[Path]:
    """The Rasa training data files (``data/*.yml`` and the lookup tables under it), sorted."""
    return sorted(p for p in (project_dir / "data").rglob("*.yml") if p.is_file())


def model_path(project_dir: Path = PROJECT_DIR) -> Path:
    """Where the model trained from the current config and data is (or will be) cached."""
    files = [project_dir / "config.yml", *training_files(project_dir)]
    return cache_root() / "rasa-models" / f"{_digest(files, RASA_VERSION)}.tar.gz"


@contextlib.contextmanager
def _locked(name: str) -> Iterator[None]:
    """A file lock so that two processes (CI, a developer) never build the same thing at once."""
    cache_root().mkdir(parents=True, exist_ok=True)
    with open(cache_root() / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "PYENV_VERSION"))}
    env.update(
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONWARNINGS="ignore",
    )
    return env


def ensure_venv(say: Say = _quiet) -> Path:
    """Create (once) the Rasa virtual environment and return its ``rasa`` executable."""
    venv = venv_dir()
    rasa = venv / "bin" / "rasa"
    done = venv / ".tremplin-complete"
    if done.exists():
        return rasa
    with _locked("rasa-venv"):
        if done.exists():
            return rasa
        if venv.exists():  # a half-finished install from an interrupted run
            shutil.rmtree(venv)
        python = find_python310()
        say(f"Installing Rasa {RASA_VERSION} into {venv} (about 2 minutes, 2.7 GB)...")
        subprocess.run([str(python), "-m", "venv", str(venv)], check=True, env=_env())
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "pip<25", "wheel"], check=True, env=_env())
        subprocess.run([*pip, "-r", str(REQUIREMENTS)], check=True, env=_env())
        done.write_text(REQUIREMENTS.read_text())
    return rasa


def ensure_model(project_dir: Path = PROJECT_DIR, say: Say = _quiet) -> Path:
    """Train (once per config + data) the Rasa NLU model and return the cached archive."""
    target = model_path(project_dir)
    if target.exists():
        return target
    rasa = ensure_venv(say)
    with _locked("rasa-model"):
        if target.exists():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        say("Training the Rasa NLU model (about a minute)...")
        # Train in a scratch folder: Rasa writes its .rasa cache in the working directory.
        with tempfile.TemporaryDirectory(prefix="tremplin-rasa-") as scratch:
            subprocess.run(
                [str(rasa), "train", "nlu", "--config", str(project_dir / "config.yml"),
                 "--nlu", str(project_dir / "data"), "--out", scratch, "--fixed-model-name", "model"],
                check=True, cwd=scratch, env=_env(), stdout=subprocess.DEVNULL,
            )
            shutil.move(str(Path(scratch) / "model.tar.gz"), target)
        # Keep the three newest models (30 MB each): enough to switch branches without retraining.
        for old in sorted(target.parent.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)[3:]:
            old.unlink(missing_ok=True)
    return target


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(model: Path, port: int = DEFAULT_PORT, *, log_file: Path | None = None) -> subprocess.Popen[bytes]:
    """Start ``rasa run --enable-api`` on 127.0.0.1:``port`` (returns at once; see ``wait_ready``)."""
    rasa = venv_dir() / "bin" / "rasa"
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115 - handed to the child
    # No --debug: Rasa logs the text of parsed messages at DEBUG level.
    return subprocess.Popen(
        [str(rasa), "run", "--enable-api", "--model", str(model), "--interface", "127.0.0.1",
         "--port", str(port), "--quiet"],
        env=_env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
    )


def wait_ready(port: int, process: subprocess.Popen[bytes] | None = None, timeout: float = 180.0) -> None:
    """Wait until the server on ``port`` has loaded its model; raise if it dies or times out."""
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}/status"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the Rasa server stopped (exit code {process.returncode})")
        with contextlib.suppress(httpx.HTTPError):
            answer = httpx.get(url, timeout=2.0)
            if answer.status_code == 200 and answer.json().get("model_file"):
                return
        time.sleep(0.5)
    raise RuntimeError(f"the Rasa server on port {port} was not ready after {timeout:.0f} s")


def stop_server(process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """Stop a server started by ``start_server`` (its whole process group)."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout)


def serve(port: int = DEFAULT_PORT, say: Say = print) -> int:
    """Set up what is missing, then run the server in the foreground until Ctrl-C."""
    model = ensure_model(say=say)
    process = start_server(model, port)

    def _terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # SIGTERM (kill, systemd) stops the server like Ctrl-C

    signal.signal(signal.SIGTERM, _terminate)
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:  # started in the background by a shell
        signal.signal(signal.SIGINT, _terminate)
    try:
        wait_ready(port, process)
        say(f"Rasa is ready on http://127.0.0.1:{port} (model {model.name}). Ctrl-C stops it.")
        say(f"Point the bot at it with RASA_URL=http://127.0.0.1:{port}")
        return process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop_server(process)


def main(argv: list[str] | None = None) -> int:
    """``python -m nlu.rasa_server``: set up, train and serve, or only prepare with --prepare."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--prepare", action="store_true", help="install and train only, print the model path")
    args = parser.parse_args(argv)
    if args.prepare:
        print(ensure_model(say=lambda m: print(m, file=sys.stderr)))
        return 0
    return serve(args.port)


if __name__ == "__main__":
    raise SystemExit(main())
