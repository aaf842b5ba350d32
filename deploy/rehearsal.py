"""The production rehearsal, on this machine: what docs/deploiement.md tells an operator to do, run and checked.

    .venv/bin/python -m deploy.rehearsal [--users 6] [--keep]

1. A fresh PostgreSQL role (with a password) and a database it owns, on the server of the tests
   (``TREMPLIN_TEST_PG``, default ``postgresql://postgres@127.0.0.1:5432/test``, used as administrator).
2. The migrations (``tremplin db upgrade``, as tremplin-prepare.service does), and ``tremplin db current``.
3. A TLS certificate made for the rehearsal (openssl, for 127.0.0.1), nginx (the Debian package) with
   deploy/nginx/tremplin.conf, its ports and paths adapted; 2 webhook workers (``tremplin run``, the
   environment of deploy/systemd/tremplin-worker@.service, prometheus-client's multiprocess mode), and the
   advisors' desk (``tremplin web``, as tremplin-web.service starts it) behind the same nginx.
4. The fake Bot API of the tests: the workers register the webhook (``setWebhook``) with it, and it POSTs
   every update through nginx over HTTPS, as Telegram does. Each person follows the whole onboarding; one
   worker is killed with SIGKILL in the middle, then restarted (as systemd does).
5. Checks: every update recorded once and handled, every person's onboarding finished (nothing lost), the
   replies sent twice (at most once more: those in flight at the kill), ``/metrics`` through nginx counting
   what happened, ``/readyz``.
6. A backup (pg_dump) restored into a new database gives the same rows; from that copy, an upgrade from the
   previous migration head with its data keeps the data, a failed upgrade leaves it at the previous head with
   its data, and the rollback of the guide (``tremplin db downgrade``) keeps the data too.

Examples are allowed (``TREMPLIN_ALLOW_EXAMPLES=1``): the rehearsal runs on the repository's data files.
Every check prints its figures; the exit code is 0 only when all pass.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.bot.fake_telegram import BotProcess, FakeTelegram, TgUser  # noqa: E402
from tests.bot.test_telegram_kill import SCRIPT, act, said_since  # noqa: E402

TREMPLIN = str(ROOT / ".venv/bin/tremplin")
PG_ADMIN = os.environ.get("TREMPLIN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
SECRET = "rehearsal-" + secrets.token_hex(8)
KILL_AT_ROUND = 5  # of the onboarding's 11 rounds


@dataclass
class Report:
    """Every check, its figures, and whether it passed."""

    lines: list[str] = field(default_factory=list)
    failed: int = 0

    def check(self, ok: bool, what: str) -> bool:
        self.lines.append(f"{'PASS' if ok else 'FAIL'}  {what}")
        print(self.lines[-1], flush=True)
        self.failed += 0 if ok else 1
        return ok

    def note(self, what: str) -> None:
        self.lines.append(f"      {what}")
        print(self.lines[-1], flush=True)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tremplin(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([TREMPLIN, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)


# --- PostgreSQL ------------------------------------------------------------------------------------------


def _server() -> str:
    return PG_ADMIN.rsplit("/", 1)[0].split("@", 1)[1]  # 127.0.0.1:5432


async def admin(statement: str) -> None:
    connection = await asyncpg.connect(PG_ADMIN)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def scalar(url: str, query: str) -> object:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval(query)
    finally:
        await connection.close()


async def row_counts(url: str) -> dict[str, int]:
    """Every table of the public schema and its number of rows."""
    connection = await asyncpg.connect(url)
    try:
        tables = [r["tablename"] for r in await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        return {t: int(await connection.fetchval(f'SELECT count(*) FROM "{t}"')) for t in tables}
    finally:
        await connection.close()


# --- TLS and nginx -----------------------------------------------------------------------------------


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made for this rehearsal only."""
    cert, key = folder / "tls.crt", folder / "tls.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def nginx_config(folder: Path, *, https: int, http: int, workers: list[int], desk: int, cert: Path, key: Path
                 ) -> Path:
    """deploy/nginx/tremplin.conf with this rehearsal's ports, certificate and paths."""
    site = (ROOT / "deploy/nginx/tremplin.conf").read_text().replace("server 127.0.0.1:8080;",
                                                                     f"server 127.0.0.1:{desk};")
    upstream = "".join(f"    server 127.0.0.1:{port} max_fails=2 fail_timeout=10s;\n" for port in workers)
    site = site.replace("    server 127.0.0.1:8443 max_fails=2 fail_timeout=10s;\n"
                        "    server 127.0.0.1:8444 max_fails=2 fail_timeout=10s;\n", upstream)
    site = (site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;")
            .replace("listen [::]:443 ssl http2;", "")
            .replace("listen 80;", f"listen 127.0.0.1:{http};").replace("listen [::]:80;", "")
            .replace("tremplin.example.fr", "127.0.0.1")
            .replace("/etc/letsencrypt/live/127.0.0.1/fullchain.pem", str(cert))
            .replace("/etc/letsencrypt/live/127.0.0.1/privkey.pem", str(key))
            .replace("/var/log/nginx/tremplin.access.log", str(folder / "access.log")))
    (folder / "site.conf").write_text(site)
    main = folder / "nginx.conf"
    user = "user root root;\n" if os.geteuid() == 0 else ""
    main.write_text(
        f"{user}worker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log warn;\n"
        "events { worker_connections 256; }\n"
        f"http {{\n  client_body_temp_path {folder}/body;\n  proxy_temp_path {folder}/proxy;\n"
        f"  fastcgi_temp_path {folder}/fastcgi;\n  uwsgi_temp_path {folder}/uwsgi;\n  scgi_temp_path {folder}/scgi;\n"
        f"  include {folder}/site.conf;\n}}\n")
    return main


# --- The desk --------------------------------------------------------------------------------------


async def desk_through_nginx(https: int, port: int, tls: ssl.SSLContext) -> tuple[bool, str]:
    """The desk answers through nginx over TLS: its sign-in page, its security headers, a sign-in form accepted
    as coming from the desk itself (X-Forwarded-Proto), and a private page sending nobody anywhere but there."""
    base = f"https://127.0.0.1:{https}"
    async with httpx.AsyncClient(verify=tls, trust_env=False, timeout=10) as client:
        for _ in range(150):
            try:
                if (await client.get(f"http://127.0.0.1:{port}/healthz", timeout=1)).status_code == 200:
                    break
            except httpx.HTTPError:
                await asyncio.sleep(0.2)
        page = await client.get(f"{base}/connexion")
        private = await client.get(f"{base}/demandes")
        asked = await client.post(f"{base}/connexion", data={"email": "personne@exemple.fr"},
                                  headers={"origin": base})
    csp = page.headers.get("content-security-policy", "")
    ok = (page.status_code == 200 and "Recevoir un lien" in page.text and "script-src 'self'" in csp
          and private.status_code == 303 and private.headers.get("location") == "/connexion"
          and asked.status_code == 200)
    return ok, (f"desk (tremplin web) through nginx over TLS: /connexion {page.status_code} with its CSP, "
                f"/demandes {private.status_code} → {private.headers.get('location')}, sign-in form "
                f"{asked.status_code} (origin https accepted)")


# --- The workers -----------------------------------------------------------------------------------


def worker_env(fake: FakeTelegram, database_url: str, data_key: str, port: int, metrics: Path,
               public_url: str) -> dict[str, str]:
    """deploy/systemd/tremplin-worker@.service's environment, pointed at the fake Bot API."""
    return {
        **fake.env(),  # TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE_URL, TREMPLIN_ALLOW_EXAMPLES
        "DATABASE_URL": database_url,
        "TREMPLIN_DATA_KEY": data_key,
        "WEBHOOK_SECRET": SECRET,
        "TREMPLIN_TELEGRAM__MODE": "webhook",
        "TREMPLIN_TELEGRAM__WEBHOOK_PORT": str(port),
        "TREMPLIN_TELEGRAM__WEBHOOK_PUBLIC_URL": public_url,
        "TREMPLIN_DATABASE__AUTO_MIGRATE": "false",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        "TREMPLIN_TELEGRAM__PER_CHAT_INTERVAL_SECONDS": "0",
        "TREMPLIN_DELIVERY__TICK_SECONDS": "0.3",
        "TREMPLIN_DELIVERY__STALE_AFTER_SECONDS": "5",  # a killed worker's messages in hand are sent again soon
    }


async def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.1)


def answers(url: str, context: ssl.SSLContext | None = None) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5, context=context) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""


async def wait_healthy(process: BotProcess, port: int) -> None:
    deadline = time.monotonic() + 120
    while answers(f"http://127.0.0.1:{port}/healthz")[0] != 200:
        assert process.process is not None
        if process.process.poll() is not None:
            raise RuntimeError(f"worker on {port} exited with {process.process.returncode}:\n{process.log_tail()}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"worker on {port} did not start:\n{process.log_tail()}")
        await asyncio.sleep(0.2)


def metric(text: str, name: str, **labels: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    wanted = tuple(sorted(labels.items()))
    return sum(s.value for family in text_string_to_metric_families(text) for s in family.samples
               if s.name == name and tuple(sorted(s.labels.items())) == wanted)


# --- The rehearsal ----------------------------------------------------------------------------------


async def conversations(report: Report, fake: FakeTelegram, users: list[TgUser], workers: list[BotProcess],
                        ports: list[int]) -> list[int]:
    """Every person through the onboarding; one worker SIGKILLed at KILL_AT_ROUND, then restarted."""
    sent: list[int] = []
    for round_, (kind, value, expected) in enumerate(SCRIPT):
        marks = {user: fake.reply_count(user) for user in users}
        before = sum(marks.values())
        sent += [act(fake, user, kind, value) for user in users]
        if round_ == KILL_AT_ROUND:
            await fake.wait(lambda b=before: sum(fake.reply_count(u) for u in users) > b, timeout=60,
                            what="a first reply of the round")
            workers[0].kill()
            report.note(f"round {round_}: worker on port {ports[0]} killed with SIGKILL, replies of the round "
                        f"so far {sum(fake.reply_count(u) for u in users) - before} of {len(users)}")
        for user in users:
            await fake.wait(lambda u=user, m=marks[user], e=expected: said_since(fake, u, m, e), timeout=90,
                            what=f"round {round_} answered for {user.first_name}")
        if round_ == KILL_AT_ROUND:  # systemd's Restart=on-failure
            workers[0].start()
            await wait_healthy(workers[0], ports[0])
            report.note(f"worker on port {ports[0]} restarted and healthy again")
    return sent


async def rehearse(users_count: int, keep: bool) -> int:
    report = Report()
    started = time.monotonic()
    name = "tremplin_rehearsal_" + secrets.token_hex(4)
    password = secrets.token_urlsafe(18)
    server = _server()
    database_url = f"postgresql://{name}:{password}@{server}/{name}"
    restored = f"{name}_restored"
    folder = Path(tempfile.mkdtemp(prefix="tremplin-rehearsal-"))
    os.chmod(folder, 0o755)
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi", "metrics"):
        (folder / sub).mkdir()
    nginx: subprocess.Popen[bytes] | None = None
    workers: list[BotProcess] = []
    try:
        # 1. Role and database, as in step 3 of the guide.
        await admin(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")
        await admin(f"CREATE DATABASE {name} OWNER {name} ENCODING 'UTF8'")
        report.check(True, f"role {name} (with a password) and database {name} created on {server}")
        data_key = tremplin("data", "new-key", env={**os.environ}).stdout.strip()
        env = {**{k: v for k, v in os.environ.items() if not k.startswith(("TREMPLIN_", "TELEGRAM_"))},
               "DATABASE_URL": database_url, "TREMPLIN_DATA_KEY": data_key}

        # 2. Migrations, once.
        upgraded = tremplin("db", "upgrade", env=env)
        current = tremplin("db", "current", env=env).stdout.strip()
        report.check(upgraded.returncode == 0 and "Run `tremplin db upgrade`" not in current,
                     f"migrations: `tremplin db upgrade` then `tremplin db current`: {current}")

        # 3. TLS, nginx, two workers.
        cert, key = make_certificate(folder)
        https, http = free_port(), free_port()
        ports = [free_port(), free_port()]
        desk_port = free_port()
        config = nginx_config(folder, https=https, http=http, workers=ports, desk=desk_port, cert=cert, key=key)
        tested = subprocess.run(["nginx", "-t", "-p", str(folder), "-c", str(config)], capture_output=True, text=True)
        report.check(tested.returncode == 0, f"nginx -t on deploy/nginx/tremplin.conf adapted: "
                                             f"{tested.stderr.strip().splitlines()[-1] if tested.stderr else ''}")
        nginx = subprocess.Popen(["nginx", "-p", str(folder), "-c", str(config), "-g", "daemon off;"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        tls = ssl.create_default_context(cafile=str(cert))
        os.environ["SSL_CERT_FILE"] = str(cert)  # the fake Bot API's webhook POSTs (urllib) trust this certificate
        public = f"https://127.0.0.1:{https}/telegram"
        with FakeTelegram() as fake:
            for index, port in enumerate(ports):
                process = BotProcess(fake, {}, log_path=folder / f"worker-{index + 1}.log")
                process.env = {**env, **worker_env(fake, database_url, data_key, port, folder / "metrics", public)}
                workers.append(process.start())
            for process, port in zip(workers, ports, strict=True):
                await wait_healthy(process, port)
            report.check(True, f"2 webhook workers healthy on ports {ports[0]} and {ports[1]}, behind nginx "
                               f"on https://127.0.0.1:{https} (TLS certificate made for the rehearsal)")
            report.check(fake.webhook is not None and fake.webhook.get("url") == public
                         and fake.webhook.get("secret_token") == SECRET,
                         f"webhook registered with the fake Bot API: setWebhook({public}, secret_token=…)")

            # The desk, as deploy/systemd/tremplin-web.service starts it, behind the same nginx.
            desk = subprocess.Popen(
                [str(ROOT / ".venv/bin/tremplin"), "web", "--host", "127.0.0.1", "--port", str(desk_port)],
                cwd=ROOT, env={**env, **fake.env(), "TREMPLIN_WEB__PUBLIC_URL": f"https://127.0.0.1:{https}"},
                stdout=(folder / "desk.log").open("ab"), stderr=subprocess.STDOUT)
            try:
                report.check(*await desk_through_nginx(https, desk_port, tls))
            finally:
                desk.terminate()
                desk.wait(20)

            # 4. Conversations through nginx, a worker killed in the middle.
            fake.post_updates_to([public], SECRET)
            users = [TgUser(5001 + i, name) for i, name in enumerate(
                ["Inès", "Karim", "Awa", "Lucas", "Yanis", "Sarah", "Mehdi", "Nadia", "Julien", "Fatou"][:users_count])]
            driven = time.monotonic()
            sent = await conversations(report, fake, users, workers, ports)
            seconds = time.monotonic() - driven
            await asyncio.sleep(2)  # a reply sent twice would show now

            # 5. Nothing lost, at most once more.
            inbox = await scalar(database_url, "SELECT json_object_agg(status, n) FROM (SELECT status, count(*) n "
                                               "FROM inbox GROUP BY status) s")
            recorded = await scalar(database_url, "SELECT count(DISTINCT update_id) FROM inbox")
            report.check(recorded == len(sent), f"updates: {len(sent)} POSTed through nginx by the fake Bot API, "
                                                f"{recorded} recorded (once each), inbox by status {inbox}")
            finished = [u for u in users if any("C'est fini pour les questions" in t for t in fake.texts(u))]
            report.check(len(finished) == len(users),
                         f"nothing lost: {len(finished)} of {len(users)} people finished the onboarding "
                         f"({len(SCRIPT)} rounds) in {seconds:.1f} s")
            replies = [c for user in users for c in fake.replies(user)]
            copies = Counter((c.chat_id, c.method, c.text, str(c.params.get("reply_markup"))) for c in replies)
            outbox = eval_json(await scalar(database_url, "SELECT json_object_agg(status, n) FROM "
                                                          "(SELECT status, count(*) n FROM outbox GROUP BY status) s"))
            report.check(set(outbox) <= {"sent"}, f"outbox by status: {outbox}")
            # Each outbox row is one Bot API call when all goes well: the calls beyond are the ones sent again.
            again_sent = len(replies) - outbox.get("sent", 0)
            report.check(0 <= again_sent <= len(users) and max(copies.values()) <= 2,
                         f"at most once more: {len(replies)} replies for {outbox.get('sent', 0)} messages, "
                         f"{again_sent} sent again (in flight at the kill; bound: one per chat), none 3 times")
            report.note(f"the fake Bot API's webhook POSTs: {fake.webhook_posts} answered 200, "
                        f"{fake.webhook_failures} refused or failed (retried, as Telegram does)")

            status, body = answers(f"https://127.0.0.1:{https}/metrics", tls)
            received = metric(body, "tremplin_updates_received_total", result="new")
            again = metric(body, "tremplin_updates_received_total", result="again")
            handled = metric(body, "tremplin_update_handling_seconds_count")
            ok = metric(body, "tremplin_updates_handled_total", result="ok")
            report.check(status == 200 and received == len(sent),
                         f"/metrics through nginx (both workers' counters, multiprocess mode): received new "
                         f"{received:.0f}, again {again:.0f}, handled ok {ok:.0f}, handling latency samples "
                         f"{handled:.0f}, due now {metric(body, 'tremplin_outbox_due', channel='telegram'):.0f}")
            (folder / "metrics.txt").write_text(body)
            ready = answers(f"https://127.0.0.1:{https}/readyz", tls)
            report.check(ready[0] == 503 and "examples left" in ready[1],
                         f"/readyz through nginx: {ready[0]} {ready[1]} (on the example data, as it must)")
            codes = [w.terminate() for w in workers]
            report.check(codes == [0, 0], f"workers stopped with SIGTERM: exit codes {codes}")
            workers = []

        # 6. Backup, restore, upgrade, failed upgrade, rollback.
        dump = folder / "tremplin.dump"
        admin_url = f"postgresql://postgres@{server}"
        subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", f"{admin_url}/{name}"], check=True)
        await admin(f"CREATE DATABASE {restored} OWNER {name}")
        subprocess.run(["pg_restore", "--no-owner", f"--role={name}", "-d", f"{admin_url}/{restored}", str(dump)],
                       check=True)
        original, copy = await row_counts(database_url), await row_counts(f"{admin_url}/{restored}")
        total = sum(original.values())
        report.check(original == copy, f"backup: pg_dump ({dump.stat().st_size // 1024} KiB) restored into {restored}: "
                                       f"same rows in {len(copy)} tables ({total} rows)")
        copy_env = {**env, "DATABASE_URL": f"postgresql://{name}:{password}@{server}/{restored}"}
        from storage.migrate import head_revision, previous_revision

        head = head_revision()
        previous = previous_revision(head)
        down = tremplin("db", "downgrade", previous, env=copy_env)
        at_previous = await row_counts(copy_env["DATABASE_URL"])
        kept = {t: n for t, n in copy.items() if t in at_previous}
        report.check(down.returncode == 0 and all(at_previous[t] == n for t, n in kept.items()),
                     f"rollback as the guide says (`tremplin db downgrade {previous}`): the data of the "
                     f"{len(kept)} tables of {previous} kept")
        await admin(f"ALTER DATABASE {restored} SET default_transaction_read_only = on")
        failed = tremplin("db", "upgrade", env=copy_env)
        after_failure = await scalar(copy_env["DATABASE_URL"], "SELECT version_num FROM alembic_version")
        same = await row_counts(copy_env["DATABASE_URL"]) == at_previous
        report.check(failed.returncode != 0 and after_failure == previous and same,
                     f"a failed upgrade (the database made read-only): exit {failed.returncode}, still at "
                     f"{after_failure}, rows unchanged: {same}")
        await admin(f"ALTER DATABASE {restored} RESET default_transaction_read_only")
        again_up = tremplin("db", "upgrade", env=copy_env)
        upgraded_rows = await row_counts(copy_env["DATABASE_URL"])
        # The rows of the previous head's tables are the data an upgrade must keep; the tables the newest migration
        # adds come back as it makes them (their rows went with the rollback, as the guide says).
        kept_up = {t: upgraded_rows.get(t) for t in at_previous}
        report.check(again_up.returncode == 0 and kept_up == at_previous and set(upgraded_rows) == set(copy),
                     f"upgrade from the previous head {previous} to {head} with its data: every row of its "
                     f"{len(at_previous)} tables kept ({sum(at_previous.values())} rows), the "
                     f"{len(set(copy) - set(at_previous))} new tables made again")
    except Exception as error:  # a step that could not run is a failed check, with its reason
        report.check(False, f"stopped: {type(error).__name__}: {error}")
    finally:
        for process in workers:
            process.terminate()
        if nginx is not None:
            nginx.send_signal(signal.SIGQUIT)
            nginx.wait(10)
        if not keep:
            for database in (restored, name):
                await admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            await admin(f"DROP ROLE IF EXISTS {name}")
            shutil.rmtree(folder, ignore_errors=True)
        else:
            report.note(f"kept: databases {name}, {restored}, role {name}, files in {folder}")
    report.note(f"{len(report.lines)} lines, {report.failed} failed, {time.monotonic() - started:.0f} s")
    return 0 if report.failed == 0 else 1


def eval_json(value: object) -> dict[str, int]:
    import json

    return json.loads(value) if isinstance(value, str) else dict(value or {})  # type: ignore[call-overload]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=6, help="people going through the onboarding (at most 10)")
    parser.add_argument("--keep", action="store_true", help="keep the databases, role and files afterwards")
    options = parser.parse_args()
    raise SystemExit(asyncio.run(rehearse(min(max(options.users, 1), 10), options.keep)))


if __name__ == "__main__":
    main()
