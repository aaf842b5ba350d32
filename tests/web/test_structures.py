"""*Structures*: the operator keeps the missions locales on the desk; the database is their source.

- a structure created on the desk reaches a young person of a commune it took over, through the real engine of
  another "worker" (its own world and its own cache), once that worker's copy has expired;
- bad input is refused with a French message and changes nothing; every POST needs the CSRF token;
- a structure that serves communes is not deactivated; one with a history is deactivated, never deleted;
- a start after a desk edit imports nothing over it; the example guard reads the database's rows;
- within the cache's period a message reads no structure from the database.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from bot.config import AppConfig, DatabaseSettings, Secrets, Settings
from bot.examples import DATABASE_STRUCTURES, database_structures, find_examples
from bot.runtime import open_database
from flows.data.structures import REFRESH_SECONDS, StructureDirectory
from storage import Database
from storage.handoffs import Handoff
from storage.structures import Lieu, Structure
from tests.flows.test_handoff_kit import onboarded
from tests.kit import ROOT, territory
from tests.web.desk_kit import NADIA_EMAIL, OPERATOR_EMAIL, THOMAS_EMAIL, Desk, csrf_of, make_desk
from web.access import CSRF_FIELD

ANTONY = "92002"  # served by ml-vallee-sud-sud in data/communes.yml
NEW = {
    "id": "ml-antony", "name": "Mission locale d'Antony", "phone": "01 46 66 00 00",
    "email": "contact@ml-antony.fr", "opening_hours": "du lundi au vendredi, de 9 h à 18 h",
    "lieu-0-id": "antony-mounie", "lieu-0-name": "Antenne du centre", "lieu-0-address": "12 rue Mounié, Antony",
    "lieu-0-commune": ANTONY, "lieu-0-access": "RER B, Antony", "communes": [ANTONY],
}


class Ticking:
    """A monotonic clock the test moves (the cache's expiry)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def as_a_worker(desk: Desk, clock: Ticking) -> StructureDirectory:
    """The harness's engine becomes another process's: its own world, reading the database's structures; the desk
    gets its own too (a third process)."""
    directory = StructureDirectory(territory(), monotonic=clock)
    desk.h.world = dataclasses.replace(desk.h.world, structures=directory)
    desk.h.engine.world = desk.h.world
    desk_world = dataclasses.replace(desk.h.world, structures=StructureDirectory(territory()))
    desk.app.state.world = desk_world  # type: ignore[attr-defined]
    return directory


async def post(desk: Desk, path: str, data: dict[str, Any], *, csrf: bool = True) -> Any:
    async with await desk.signed_in(OPERATOR_EMAIL) as client:
        token = await csrf_of(client, "/structures")
        return await client.post(path, data={**data, **({CSRF_FIELD: token} if csrf else {})})


async def rows(db: Database) -> list[tuple[Any, ...]]:
    async with db.transaction() as uow:
        structures = [(s.id, s.name, s.phone, s.email, s.opening_hours, s.active) for s in
                      await uow.structures.structures()]
        lieux = [(lieu.id, lieu.structure_id, lieu.address, lieu.active) for lieu in await uow.structures.all_lieux()]
        return [*structures, *lieux, *sorted((await uow.structures.served_communes()).items())]


async def test_a_structure_created_on_the_desk_reaches_the_young_people_of_its_communes(db: Database,
                                                                                        tmp_path: Path) -> None:
    desk = await make_desk(db, tmp_path)
    clock = Ticking()
    directory = as_a_worker(desk, clock)
    h = desk.h
    h.nlu.learn("c'est quoi la mission locale", "mission_locale_info")
    lea = await onboarded(h, "lea", first_name="Léa", commune=ANTONY)
    before = "\n".join(r.text for r in await lea.send("c'est quoi la mission locale"))
    assert "Vallée Sud" in before and "Mission locale d'Antony" not in before

    created = await post(desk, "/structures", NEW)
    assert created.status_code == 200, created.text
    assert "Structure créée. Elle dessert 1 commune" in created.text

    # This worker read the structures a moment ago: it keeps them until its copy expires...
    clock.now += REFRESH_SECONDS / 2
    assert "Vallée Sud" in "\n".join(r.text for r in await lea.send("c'est quoi la mission locale"))
    # ...then reads them again, without a restart.
    clock.now += REFRESH_SECONDS
    after = "\n".join(r.text for r in await lea.send("c'est quoi la mission locale"))
    assert "Mission locale d'Antony" in after and "12 rue Mounié, Antony" in after and "01 46 66 00 00" in after
    assert "de 9 h à 18 h" in after and directory.reads == 2

    # A request of hers goes to the new structure, whose lieu the booking offers.
    await lea.send("je veux parler à un conseiller")
    async with db.transaction() as uow:
        person = await uow.people.find("test", "lea")
        handoff = await uow.session.scalar(select(Handoff).where(Handoff.person_id == person.id))
        assert handoff.structure_id == "ml-antony"
        assert "antony-mounie" in [lieu.id for lieu in await uow.structures.lieux("ml-antony")]
        assert (await uow.structures.served_communes())[ANTONY] == "ml-antony"


async def test_an_edit_is_seen_and_lieux_come_and_go(db: Database, tmp_path: Path) -> None:
    desk = await make_desk(db, tmp_path)
    clock = Ticking()
    as_a_worker(desk, clock)
    assert (await post(desk, "/structures", NEW)).status_code == 200
    edited = {**NEW, "phone": "01 46 66 11 11", "lieu-0-remove": "1", "lieu-1-id": "antony-gare",
              "lieu-1-name": "Antenne de la gare", "lieu-1-address": "1 place de la Gare, Antony",
              "lieu-1-commune": ANTONY}
    answer = await post(desk, "/structures/ml-antony", edited)
    assert answer.status_code == 200 and "Enregistré" in answer.text, answer.text
    async with db.transaction() as uow:
        assert (await uow.structures.structure("ml-antony")).phone == "01 46 66 11 11"
        assert [lieu.id for lieu in await uow.structures.lieux("ml-antony")] == ["antony-gare"]
        assert (await uow.structures.lieu("antony-mounie")).active is False  # kept for its appointments
    h = desk.h
    h.nlu.learn("c'est quoi la mission locale", "mission_locale_info")
    lea = await onboarded(h, "lea", first_name="Léa", commune=ANTONY)
    said = "\n".join(r.text for r in await lea.send("c'est quoi la mission locale"))
    assert "01 46 66 11 11" in said and "1 place de la Gare" in said and "Mounié" not in said


@pytest.mark.parametrize(("change", "says"), [
    ({"id": "ML Antony"}, "L'identifiant n'est pas valide : indiquez des lettres minuscules"),
    ({"id": "ml-nanterre"}, "Cet identifiant est déjà celui d'une structure"),
    ({"name": ""}, "Le nom est à remplir."),
    ({"email": "pas une adresse"}, "L'adresse e-mail n'est pas valide"),
    ({"phone": "0" * 40}, "Le téléphone est trop long (32 caractères au plus)."),
    ({"opening_hours": "x" * 400}, "Les horaires d'ouverture est trop long"),
    ({"lieu-0-commune": "75056"}, "Lieu n° 1 : la commune n'est pas valide : indiquez une commune du département."),
    ({"lieu-0-id": "colombes-centre"}, "Lieu n° 1 : l'identifiant est déjà celui d'un lieu d'une autre structure"),
    ({"lieu-0-id": "", "lieu-0-name": "", "lieu-0-address": ""}, "Gardez au moins un lieu"),
    ({"lieu-0-address": "<script>alert(1)</script>" + "a" * 400}, "Lieu n° 1 : l'adresse est trop long"),
    ({"communes": ["99999"]}, "Les communes desservies n'est pas valide"),
])
async def test_bad_input_is_refused_in_french_and_changes_nothing(db: Database, tmp_path: Path,
                                                                 change: dict[str, Any], says: str) -> None:
    desk = await make_desk(db, tmp_path)
    before = await rows(db)
    answer = await post(desk, "/structures", {**NEW, **change})
    assert answer.status_code == 400
    assert says in answer.text.replace("&#39;", "'"), answer.text
    assert "Rien n'a changé." in answer.text.replace("&#39;", "'")
    assert "<script>" not in answer.text
    assert await rows(db) == before


async def test_an_edit_that_leaves_a_commune_without_a_structure_or_is_not_valid_changes_nothing(
        db: Database, tmp_path: Path) -> None:
    desk = await make_desk(db, tmp_path)
    before = await rows(db)
    async with db.transaction() as uow:
        served = [i for i, s in (await uow.structures.served_communes()).items() if s == "ml-nanterre"]
    form = {"name": "Mission locale de Nanterre", "phone": "01 47 00 00 00", "email": "contact@ml-nanterre.fr",
            "opening_hours": "du lundi au vendredi", "lieu-0-id": "nanterre-prefecture", "lieu-0-name": "Siège",
            "lieu-0-address": "1 rue de Nanterre", "lieu-0-commune": "92050", "communes": served[1:]}
    dropped = await post(desk, "/structures/ml-nanterre", form)
    assert dropped.status_code == 400 and "Une commune garde toujours une mission locale" in dropped.text
    wrong = await post(desk, "/structures/ml-nanterre", {**form, "communes": served, "email": "x"})
    assert wrong.status_code == 400 and "L&#39;adresse e-mail n&#39;est pas valide" in wrong.text
    assert await rows(db) == before
    assert (await post(desk, "/structures/ml-nanterre", {**form, "communes": served}, csrf=False)).status_code == 403
    assert await rows(db) == before
    assert (await post(desk, "/structures/ml-nulle-part", {**form, "communes": served})).status_code == 404


async def test_deactivate_and_delete(db: Database, tmp_path: Path) -> None:
    desk = await make_desk(db, tmp_path)
    # Boucle Nord serves communes: they must go to another structure first.
    serving = await post(desk, "/structures/ml-boucle-nord/desactiver", {})
    assert serving.status_code == 400
    assert "Cette structure dessert encore" in serving.text and "Colombes" in serving.text
    # A new structure takes all of Boucle Nord's communes; then Boucle Nord may be deactivated, not deleted.
    async with db.transaction() as uow:
        boucle = [i for i, s in (await uow.structures.served_communes()).items() if s == "ml-boucle-nord"]
    assert (await post(desk, "/structures", {**NEW, "communes": boucle})).status_code == 200
    refused = await post(desk, "/structures/ml-boucle-nord/supprimer", {})
    assert refused.status_code == 400
    assert ("ne peut pas être supprimée : elle a 1 rendez-vous, 1 demande, 1 compte, 1 absence ou fermeture, 1 plage "
            "d&#39;ouverture. Désactivez-la") in refused.text
    deactivated = await post(desk, "/structures/ml-boucle-nord/desactiver", {})
    assert deactivated.status_code == 200 and "Structure désactivée" in deactivated.text
    assert "Elle n&#39;est pas supprimée : ses 1 rendez-vous, 1 demande, 1 compte" in deactivated.text
    async with db.transaction() as uow:
        assert (await uow.structures.structure("ml-boucle-nord")).active is False
        assert all(lieu.structure_id != "ml-boucle-nord" for lieu in await uow.structures.lieux())  # no slot offered
    clock = Ticking()
    as_a_worker(desk, clock)
    h = desk.h
    h.nlu.learn("c'est quoi la mission locale", "mission_locale_info")
    sam = await onboarded(h, "sam", first_name="Sam", commune=None)
    listed = "\n".join(r.text for r in await sam.send("c'est quoi la mission locale"))
    assert "Mission locale d'Antony" in listed and "Boucle Nord" not in listed
    async with await desk.signed_in(OPERATOR_EMAIL) as client:  # no new account in a deactivated structure
        team = await client.get("/equipe")
        assert 'value="ml-boucle-nord"' not in team.text and 'value="ml-antony"' in team.text
        invited = await client.post("/equipe", data={CSRF_FIELD: await csrf_of(client, "/equipe"), "role": "advisor",
                                                      "name": "Léo", "email": "leo@exemple.fr",
                                                      "structure": "ml-boucle-nord"})
        assert invited.status_code == 400 and "Choisissez la structure" in invited.text
    assert (await post(desk, "/structures/ml-boucle-nord/reactiver", {})).status_code == 303
    # A structure created by mistake (no history, no commune) is deleted with its lieux.
    mistake = {**NEW, "id": "ml-erreur", "lieu-0-id": "erreur-1", "communes": []}
    assert (await post(desk, "/structures", mistake)).status_code == 200
    deleted = await post(desk, "/structures/ml-erreur/supprimer", {})
    assert deleted.status_code == 200 and "supprimée" in deleted.text
    async with db.transaction() as uow:
        assert await uow.structures.structure("ml-erreur") is None and await uow.structures.lieu("erreur-1") is None


def _config(db_url: str, tmp_path: Path) -> AppConfig:
    settings = Settings(database=DatabaseSettings(url=db_url))
    return AppConfig(settings=settings, secrets=Secrets(DATABASE_URL=db_url), config_path=None, root=ROOT)


async def test_a_start_does_not_overwrite_the_desks_edits(db: Database, db_url: str, tmp_path: Path) -> None:
    desk = await make_desk(db, tmp_path)
    form = {**NEW, "id": "", "name": "Mission locale de Nanterre et Rueil", "phone": "01 47 00 00 00",
            "email": "accueil@ml-nanterre.fr", "lieu-0-id": "nanterre-prefecture", "lieu-0-commune": "92050"}
    async with db.transaction() as uow:
        form["communes"] = [i for i, s in (await uow.structures.served_communes()).items() if s == "ml-nanterre"]
    assert (await post(desk, "/structures/ml-nanterre", form)).status_code == 200
    edited = await rows(db)
    started = await open_database(_config(db_url, tmp_path), territory())  # what every start does
    await started.dispose()
    assert await rows(db) == edited
    async with db.transaction() as uow:
        assert (await uow.structures.structure("ml-nanterre")).name == "Mission locale de Nanterre et Rueil"


async def test_the_example_guard_reads_the_database(db: Database, db_url: str, tmp_path: Path) -> None:
    await make_desk(db, tmp_path)
    cfg = _config(db_url, tmp_path)
    if db_url.startswith("sqlite"):
        assert Path(db_url.split("///", 1)[1]).exists()
    found = await database_structures(cfg)
    assert found is not None
    mine = [str(e) for e in find_examples(cfg, found) if e.where == DATABASE_STRUCTURES]
    assert any("6 marked example: true" in line for line in mine), mine
    assert not any(str(e).startswith("data/missions_locales.yml") for e in find_examples(cfg, found))
    # The operator replaces every example on the desk: the guard finds none left in the structures.
    async with db.transaction() as uow:
        for structure in await uow.structures.structures():
            structure.example = False
            structure.name, structure.phone = f"Mission locale {structure.id[3:]}", "01 46 66 00 00"
            structure.email = f"contact@{structure.id}.fr"
        for lieu in await uow.structures.all_lieux():
            lieu.address, lieu.name, lieu.access = "1 place de la Mairie", "Accueil", ""
    found = await database_structures(cfg)
    assert [e for e in find_examples(cfg, found) if e.where == DATABASE_STRUCTURES] == []
    # Before any import (a new database), the data file is what the guard reads.
    assert await database_structures(_config("sqlite+aiosqlite:///" + str(tmp_path / "none.db"), tmp_path)) is None
    assert not (tmp_path / "none.db").exists()


async def test_no_query_of_the_structures_per_message_within_the_period(db: Database, tmp_path: Path) -> None:
    desk = await make_desk(db, tmp_path)
    clock = Ticking()
    directory = as_a_worker(desk, clock)
    h = desk.h
    h.nlu.learn("c'est quoi la mission locale", "mission_locale_info")
    lea = await onboarded(h, "lea", first_name="Léa", commune=ANTONY)
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    # SQLite's transactions run on an engine of their own (storage/sqlite_inline.py): both are listened to.
    engines = [e for e in (db.engine.sync_engine, db._sync_engine) if e is not None]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        await lea.send("c'est quoi la mission locale")  # the first read of this worker
        first = len(statements)
        assert any("structure_communes" in s for s in statements), (first, statements[:5])
        statements.clear()
        for _ in range(3):
            clock.now += 1
            await lea.send("c'est quoi la mission locale")
        assert not any("FROM structures" in s or "structure_communes" in s for s in statements), statements
        print(f"\nstatements for one message: {first} (reading the structures), {len(statements) / 3:.0f} after")
        assert len(statements) / 3 == first - 3  # the three reads of the structures, once per period
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)
    assert directory.reads == 1


async def test_other_roles_cannot_change_structures(db: Database, tmp_path: Path) -> None:
    desk = await make_desk(db, tmp_path)
    before = await rows(db)
    async with await desk.signed_in(THOMAS_EMAIL) as client:
        token = await csrf_of(client, "/demandes")
        answer = await client.post("/structures/ml-nanterre", data={**NEW, CSRF_FIELD: token})
        assert answer.status_code == 403 and "Votre rôle ne donne pas accès" in answer.text
        assert (await client.get("/structures")).status_code == 403
    assert await rows(db) == before
    async with db.transaction() as uow:
        assert await uow.session.scalar(select(Structure.id).where(Structure.id == "ml-antony")) is None
        assert await uow.session.scalar(select(Lieu.id).where(Lieu.id == "antony-mounie")) is None



async def test_a_manager_keeps_their_structures_contacts_and_nothing_else(db: Database, tmp_path: Path) -> None:
    desk = await make_desk(db, tmp_path)
    clock = Ticking()
    as_a_worker(desk, clock)
    before = await rows(db)
    async with await desk.signed_in(THOMAS_EMAIL) as client:  # the manager of Nanterre
        token = await csrf_of(client, "/ma-structure")
        wrong = await client.post("/ma-structure", data={CSRF_FIELD: token, "phone": "01 47 00 00 00",
                                                         "email": "pas une adresse", "opening_hours": "du lundi"})
        assert wrong.status_code == 400 and "L&#39;adresse e-mail n&#39;est pas valide" in wrong.text
        assert await rows(db) == before
        # What is not theirs (the name, another structure) is not in the form, and not taken from it.
        saved = await client.post("/ma-structure", data={
            CSRF_FIELD: token, "phone": "01 47 00 00 00", "email": "accueil@ml-nanterre.fr", "name": "Autre nom",
            "opening_hours": "du lundi au jeudi, de 9 h à 17 h", "id": "ml-boucle-nord"})
        assert saved.status_code == 200 and "Enregistré" in saved.text
    async with db.transaction() as uow:
        nanterre, boucle = await uow.structures.structure("ml-nanterre"), await uow.structures.structure(
            "ml-boucle-nord")
        assert (nanterre.name, nanterre.phone, nanterre.email) == (
            "Mission locale de Nanterre et des communes voisines", "01 47 00 00 00", "accueil@ml-nanterre.fr")
        assert boucle.phone == "01 00 00 00 01"
    h = desk.h
    h.nlu.learn("c'est quoi la mission locale", "mission_locale_info")
    nina = await onboarded(h, "nina", first_name="Nina", commune="92050")
    said = "\n".join(r.text for r in await nina.send("c'est quoi la mission locale"))
    assert "01 47 00 00 00" in said and "du lundi au jeudi, de 9 h à 17 h" in said
    async with await desk.signed_in(NADIA_EMAIL) as client:  # an advisor: no
        assert (await client.get("/ma-structure")).status_code == 403
