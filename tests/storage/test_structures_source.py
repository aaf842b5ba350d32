"""The database is the structures' source: migration 0014 (a mirror written before it is imported once more at
the next start), and ``tremplin structures import`` / ``list`` (by id: twice changes nothing)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from storage import Database
from storage.migrate import downgrade, upgrade
from storage.models import metadata

MINE = ("structures", "lieux", "structure_communes")


async def test_migration_0014_up_down_and_the_old_mirror_is_imported_again(database_url: str) -> None:
    await asyncio.to_thread(upgrade, database_url, "0013")
    database = Database(database_url)
    try:
        async with database.engine.begin() as connection:  # what the start mirrored before 0014
            await connection.execute(text("INSERT INTO structures (id, name, phone, email, example) "
                                          "VALUES ('ml-nanterre', 'Mission locale', NULL, NULL, false)"))
        await asyncio.to_thread(upgrade, database_url, "0014")
        async with database.transaction() as uow:
            [row] = await uow.structures.structures()
            assert (row.active, row.opening_hours, row.updated_at) == (True, "", None)
            assert not await uow.structures.structures_imported()  # so the next start imports the file
            assert await uow.structures.served_communes() == {}
        await asyncio.to_thread(upgrade, database_url, "head")
        async with database.engine.connect() as connection:

            def differences(sync_connection: object) -> list[object]:
                found = compare_metadata(MigrationContext.configure(sync_connection), metadata)  # type: ignore[arg-type]
                return [d for d in found if any(f"'{name}'" in repr(d) for name in MINE)]

            assert await connection.run_sync(differences) == []
        await asyncio.to_thread(downgrade, database_url, "0013")
        async with database.engine.connect() as connection:
            tables = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
            columns = {c["name"] for c in await connection.run_sync(lambda c: inspect(c).get_columns("structures"))}
        assert "structure_communes" not in tables and not {"opening_hours", "active", "updated_at"} & columns
    finally:
        await database.dispose()


def test_structures_import_and_list_on_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.cli import app

    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("DATABASE_URL", url)
    runner = CliRunner()
    listed = runner.invoke(app, ["structures", "list"])  # the first opening imports the data files
    assert listed.exit_code == 0, listed.output
    assert "ml-vallee-sud-sud: Mission locale Vallée Sud (Sud)" in listed.output and "Antony" in listed.output
    assert "without a structure" not in listed.output

    async def rename() -> None:
        database = Database(url)
        async with database.transaction() as uow:
            structure = await uow.structures.structure("ml-nanterre")
            structure.name = "Renommée sur le bureau"
        await database.dispose()

    asyncio.run(rename())
    again = runner.invoke(app, ["structures", "list"])
    assert "ml-nanterre: Renommée sur le bureau" in again.output  # a second opening imports nothing
    # On the operator's demand, the file again (by id: the same rows, twice).
    for _ in range(2):
        imported = runner.invoke(app, ["structures", "import"])
        assert imported.exit_code == 0, imported.output
        assert "Imported 6 structures, 10 lieux; 0 communes without a structure got the file's." in imported.output
    assert runner.invoke(app, ["structures", "list"]).output == listed.output
    # A file of one new structure adds it; the communes keep theirs.
    extra = tmp_path / "extra.yml"
    extra.write_text("structures:\n  - id: ml-antony\n    name: Mission locale d'Antony\n    phone: 01 46 66 00 00\n"
                     "    email: contact@ml-antony.fr\n    opening_hours: du lundi au vendredi\n    lieux:\n"
                     "      - {id: antony-mounie, name: Antenne, address: 12 rue Mounié, commune: '92002'}\n",
                     encoding="utf-8")
    added = runner.invoke(app, ["structures", "import", str(extra)])
    assert added.exit_code == 0, added.output
    assert "ml-antony: Mission locale d'Antony; 01 46 66 00 00; serves no commune" in runner.invoke(
        app, ["structures", "list"]).output
    extra.write_text(extra.read_text(encoding="utf-8").replace("'92002'", "'75056'"), encoding="utf-8")
    refused = runner.invoke(app, ["structures", "import", str(extra), "--dry-run"])
    assert refused.exit_code == 1 and "'75056' is not an INSEE code" in refused.output
