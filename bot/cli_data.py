"""``tremplin data ...``: the data key, the retention job, and the operator's answers to written requests.

- ``new-key``: a fresh key for ``TREMPLIN_DATA_KEY``;
- ``rotate-key``: re-encrypt everything with the newest key, then check that it alone reads everything
  (and record its id: the key a start then expects);
- ``key-id``: the ids of the configured keys and the one the database expects (never a key);
- ``purge``: run the nightly retention job now;
- ``export --person ID`` / ``erase --person ID`` (or ``--telegram-id``): a person's data as JSON, or
  erased with the same erasure as /supprimer, followed by a scan of the whole database.
- ``stats``: the anonymous daily counters.

See docs/privacy.md for the procedures.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli_common import config_of, fail, open_world

data_app = typer.Typer(help="Personal data: key, retention, access and erasure requests.", no_args_is_help=True)

PersonOption = Annotated[int | None, typer.Option("--person", help="The person's id (as in an export or a log).")]
TelegramOption = Annotated[str | None, typer.Option("--telegram-id", help="The person's Telegram user id.")]


async def find_person(uow: Any, person: int | None, telegram_id: str | None) -> Any:
    if (person is None) == (telegram_id is None):
        fail("Give exactly one of --person ID or --telegram-id ID.")
    found = await uow.people.get(person) if person is not None else await uow.people.find("telegram", telegram_id)
    if found is None:
        fail("No such person: nothing is held (already erased, or never kept).", code=1)
    return found


@data_app.command("new-key")
def new_key() -> None:
    """Print a fresh data key, to put in front of TREMPLIN_DATA_KEY (see docs/privacy.md)."""
    from storage.crypto import new_key as make

    typer.echo(make())


@data_app.command("rotate-key")
def rotate_key(ctx: typer.Context) -> None:
    """Re-encrypt every encrypted value with the first key of TREMPLIN_DATA_KEY, then check it alone reads them."""
    from bot.keys import configured_keys
    from storage import Database, crypto
    from storage.key_rotation import rotate_all, unreadable_with
    from storage.keyring import key_id, record_key_id

    cfg = config_of(ctx)
    keys = configured_keys(cfg)
    if not keys:
        fail("No data key: set TREMPLIN_DATA_KEY to \"<new>,<old>\" (see docs/privacy.md).")
    crypto.use_keys(keys)

    async def go() -> tuple[dict[str, int], dict[str, int]]:
        db = Database(cfg.database_url)
        try:
            report = await rotate_all(db)
            unreadable = await unreadable_with(db, keys[0])
            if not sum(unreadable.values()):  # the newest key alone reads everything: it is the one to expect
                await record_key_id(db, key_id(keys[0]))
            return report.rotated, unreadable
        finally:
            await db.dispose()

    try:
        rotated, unreadable = asyncio.run(go())
    except crypto.DataKeyError as exc:
        fail(f"Rotation stopped: {exc}. Is the old key still in TREMPLIN_DATA_KEY (after the new one)?", code=1)
    for column, count in rotated.items():
        typer.echo(f"{column}: {count} values re-encrypted")
    left = sum(unreadable.values())
    if left:
        fail(f"{left} values still need an older key: run rotate-key again before dropping it.", code=1)
    older = "the older keys can now be removed from TREMPLIN_DATA_KEY" if len(keys) > 1 else "only one key configured"
    typer.echo(f"Every encrypted value reads with the newest key alone: {older}.")
    typer.echo(f"The database now expects the key with id {key_id(keys[0])}.")


@data_app.command("key-id")
def key_id_command(ctx: typer.Context) -> None:
    """Print the id of each configured data key (never the key) and the id the database expects."""
    from bot.keys import configured_keys
    from storage import Database
    from storage.keyring import key_id, recorded_key_id

    cfg = config_of(ctx)

    async def go() -> str | None:
        db = Database(cfg.database_url)
        try:
            return await recorded_key_id(db)
        finally:
            await db.dispose()

    ids = [key_id(k) for k in configured_keys(cfg)]
    typer.echo(f"Configured: {', '.join(ids) or 'no key'}")
    typer.echo(f"Expected by the database: {asyncio.run(go()) or 'none recorded yet'}")


@data_app.command("purge")
def purge(ctx: typer.Context) -> None:
    """Apply the retention periods now (the nightly job)."""
    from bot.housekeeping import run_housekeeping

    async def go() -> str:
        db, world = await open_world(config_of(ctx))
        try:
            return str(await run_housekeeping(db, world))
        finally:
            await db.dispose()

    typer.echo(asyncio.run(go()))


@data_app.command("export")
def export(
    ctx: typer.Context,
    person: PersonOption = None,
    telegram_id: TelegramOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file (mode 600) rather than stdout.")] = None,
) -> None:
    """Everything held about one person, as the JSON file /mes_donnees sends (answer to an access request)."""
    from flows.privacy.privacy import export_document

    async def go() -> bytes:
        db, world = await open_world(config_of(ctx))
        try:
            async with db.transaction() as uow:
                found = await find_person(uow, person, telegram_id)
                exported = await uow.personal_data.access(found.id) or {}
            return export_document(world.settings, exported, world.clock.now()).content
        finally:
            await db.dispose()

    content = asyncio.run(go())
    if out is None:
        typer.echo(content.decode("utf-8"))
        return
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT: 0600 before anything is written
        handle.write(content)
    typer.echo(f"Written to {out} (personal data: send it to the person, then delete it).")


@data_app.command("erase")
def erase(
    ctx: typer.Context,
    person: PersonOption = None,
    telegram_id: TelegramOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase one person (answer to an erasure request), then scan the whole database for what is left."""
    from flows.privacy.privacy import erase_everything, system_turn
    from storage.erasure import find_traces

    async def go() -> None:
        db, world = await open_world(config_of(ctx))
        try:
            async with db.transaction() as uow:
                found = await find_person(uow, person, telegram_id)
                person_id, needles = found.id, [found.external_id, found.chat_id, found.first_name or ""]
            if not yes:
                typer.confirm(f"Erase person {person_id} and everything about them? This cannot be undone", abort=True)
            now = world.clock.now()
            async with db.transaction() as uow:
                await uow.lock_person(person_id)
                target = await uow.people.get(person_id)
                if target is None:
                    fail("Already erased.", code=1)
                turn = await system_turn(uow, world, target, now, key=f"operator:{person_id}:{now.isoformat()}")
                counts = await erase_everything(turn, "erasures_operator")
            for table, count in sorted(counts.items()):
                typer.echo(f"{table}: {count} rows")
            async with db.transaction() as uow:
                scan = await find_traces(uow.session, person_id=person_id, texts=needles)
            left = [t for t in scan.traces if t.about_people]
            elsewhere = sorted({(t.table, t.column, t.found) for t in scan.traces if not t.about_people})
            typer.echo(f"Scanned {scan.tables} tables, {scan.columns} columns, {scan.values} values "
                       f"({scan.decrypted} decrypted): {len(left)} traces left.")
            for trace in left:
                typer.echo(f"  left: {trace.table}.{trace.column} ({trace.found})")
            for table, column, found in elsewhere:
                typer.echo(f"  same words in staff or reference data (someone else?): {table}.{column} ({found})")
            if db.is_sqlite:  # the bytes on disk too: what a deleted row or the WAL could still hold
                raw = db.raw_file_traces(needles)
                typer.echo(f"Raw database files (database, -wal, -shm): {len(raw)} matches.")
                for file, _ in raw:
                    typer.echo(f"  left in the bytes of {file}")
        finally:
            await db.dispose()

    asyncio.run(go())


@data_app.command("stats")
def stats(
    ctx: typer.Context,
    days: Annotated[int, typer.Option("--days", help="How many days back, today included.")] = 30,
) -> None:
    """The anonymous daily counters, summed over the last days."""
    from bot.keys import install_keys
    from storage import Database

    cfg = config_of(ctx)

    async def go() -> dict[str, int]:
        await install_keys(cfg)
        db = Database(cfg.database_url)
        try:
            async with db.transaction() as uow:
                today = dt.datetime.now(cfg.settings.tz).date()
                return await uow.stats.totals(since=today - dt.timedelta(days=days - 1), until=today)
        finally:
            await db.dispose()

    typer.echo(json.dumps(asyncio.run(go()), indent=2, sort_keys=True))
