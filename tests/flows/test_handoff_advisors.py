"""The advisors' side: only registered advisors, checked at every event, scoped to their structure; their
commands (/jeunes, /rdv_jour, /dispos, /aide, relances), the CLI that registers them, the e-mail channel's
place in delivery, and the migration."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from typer.testing import CliRunner

from bot.cli import app
from bot.delivery import Delivery, SendError
from bot.telegram_commands import COMMANDS
from flows.advisors import requests
from flows.advisors.desk import Desk
from flows.engine.buttons import ButtonSigner, advisor_subject
from flows.engine.events import COMMAND, Event, PersonRef, Reply
from flows.engine.script import (
    ADVISOR_ACTION_HANDLERS,
    ADVISOR_COMMAND_HANDLERS,
    COMMAND_DESCRIPTIONS,
    COMMAND_HANDLERS,
    ActionButton,
)
from storage import Database
from storage.handoffs import Handoff
from storage.inbox import DONE
from storage.migrate import downgrade, upgrade
from storage.models import metadata
from storage.outbox import OutboxMessage
from tests.flows.test_handoff_kit import (
    JULIEN,
    NADIA,
    STALE,
    THOMAS,
    UNKNOWN_COMMAND,
    advisor,
    button_in,
    make,
    realistic,
    sent_to,
    texts_to,
)
from tests.kit import Harness

# The commands young people have too (with their own meaning for them): /aide, /start and /help.
SHARED = ("aide", "start", "help")

FRIDAY_9_20 = dt.datetime(2026, 12, 4, 8, 20, tzinfo=dt.UTC)


async def state(h: Harness) -> tuple[list[tuple], list[tuple]]:
    """Everything an advisor action could change: hand-offs and appointments."""
    async with h.db.transaction() as uow:
        handoffs = [(x.status, x.agent_id, x.paused_by, x.urgent, x.structure_id)
                    for x in await uow.session.scalars(select(Handoff).order_by(Handoff.id))]
        person = await uow.people.find("test", "ines")
        appointments = [(a.id, a.status) for a in await uow.appointments.for_person(person.id)]
        nudges = (person.nudges_paused,)
    return handoffs, [*appointments, nudges]


async def open_request(h: Harness) -> int:
    chat = await realistic(h)
    await chat.send("je veux parler à un conseiller")
    async with h.db.transaction() as uow:
        return (await uow.session.scalar(select(Handoff.id)))


# --- Nobody but a registered advisor ------------------------------------------------------------


async def test_a_non_advisor_trying_every_advisor_command_and_button_gets_the_unknown_answers_and_no_effect(
    db: Database, tmp_path: Path,
) -> None:
    h = await make(db, tmp_path, at=FRIDAY_9_20)
    number = await open_request(h)
    nadia = advisor(h, NADIA)
    await nadia.cmd("rdv_jour")
    await nadia.cmd(f"pause_bot {number}")
    await nadia.cmd("jeunes")
    buttons = [button_in(h, NADIA, label) for label in
               ("Pause du robot", "Clore la demande", "Venu", "Absent", "Relancer le robot", "Fiche", "Clore")]
    assert {b.data.split(".")[1] for b, _ in buttons} == set(ADVISOR_ACTION_HANDLERS)  # every advisor button
    summary_id = sent_to(h, NADIA)[0][1]
    before = await state(h)
    young_before = len(sent_to(h, "ines"))

    only_advisors = [name for name in ADVISOR_COMMAND_HANDLERS if name not in SHARED]
    assert sorted(only_advisors) == ["dispos", "jeunes", "pause_bot", "pause_relances", "rdv_jour",
                                     "repondre", "reprendre_bot", "reprendre_relances"]
    known = advisor(h, "7309999998")
    await known.send("bonjour")
    await known.press("D'accord")  # a young person who consented
    for stranger in (advisor(h, "7309999999"), known):  # never seen / a young person
        for name in only_advisors:
            for text in (name, f"{name} {number}", f"{name} {number} Bonjour, ici la mission locale"):
                replies = await stranger.cmd(text)
                assert [r.text for r in replies] == [UNKNOWN_COMMAND], text
        for button, message_id in buttons:
            assert await stranger.press_data(button.data, message_id) == []
            assert stranger.last_ack == STALE
        # Forged for themselves, with an advisor action's name: still a stale button.
        async with h.db.transaction() as uow:
            person = await uow.people.find("telegram", stranger.user)
        for name in ADVISOR_ACTION_HANDLERS:
            forged = h.world.signer.action(person.id, name, str(number))
            assert await stranger.press_data(forged) == []
            assert stranger.last_ack == STALE
        # Replying to a summary's message id does not relay anything.
        await stranger.reply("Bonjour Inès !", summary_id)
    assert await state(h) == before
    assert len(sent_to(h, "ines")) == young_before
    assert not any("Bonjour Inès" in text for text in texts_to(h, "ines"))


async def test_the_same_account_is_an_advisor_only_while_registered(db: Database, tmp_path: Path) -> None:
    h = await make(db, tmp_path)
    nadia = advisor(h, NADIA)
    assert (await nadia.cmd("jeunes"))[0].text.startswith("Aucune demande ouverte")
    async with h.db.transaction() as uow:
        (await uow.structures.agent_by_telegram_id(int(NADIA))).telegram_id = None
    assert [r.text for r in await nadia.cmd("jeunes")] == [UNKNOWN_COMMAND]
    async with h.db.transaction() as uow:
        agent = await uow.structures.agent_by_email("nadia@ml-nanterre.exemple.fr")
        await uow.structures.upsert_agent(structure_id=agent.structure_id, email=agent.email,
                                          telegram_id=int(NADIA))
        agent.active = False  # an inactive agent is no advisor either
    assert [r.text for r in await nadia.cmd("jeunes")] == [UNKNOWN_COMMAND]


async def test_an_advisor_acts_only_within_their_structure(db: Database, tmp_path: Path) -> None:
    h = await make(db, tmp_path, at=FRIDAY_9_20)
    number = await open_request(h)
    nadia, julien = advisor(h, NADIA), advisor(h, JULIEN)
    await nadia.cmd("rdv_jour")
    before = await state(h)
    not_found = f"Je ne trouve pas la demande n° {number} dans votre structure. Les demandes ouvertes : /jeunes."
    for text in (f"repondre {number} Bonjour", f"pause_bot {number}", f"reprendre_bot {number}",
                 f"pause_relances {number}", f"reprendre_relances {number}"):
        assert [r.text for r in await julien.cmd(text)] == [not_found], text
    assert (await julien.cmd("jeunes"))[0].text == "Aucune demande ouverte pour Mission locale Boucle Nord de Seine."
    assert (await julien.cmd("rdv_jour"))[0].text.startswith("Aucun rendez-vous aujourd'hui")
    assert await julien.reply("Bonjour", sent_to(h, NADIA)[0][1]) != []  # Nadia's message: not his
    # Nadia's buttons in Julien's hands, and buttons signed for Julien naming Nanterre's rows.
    async with h.db.transaction() as uow:
        person = await uow.people.find("test", "ines")
        [*_, appointment] = await uow.appointments.for_person(person.id)
        julien_id = (await uow.structures.agent_by_telegram_id(int(JULIEN))).id
    for label in ("Pause du robot", "Clore la demande", "Venu", "Absent"):
        button, message_id = button_in(h, NADIA, label)
        await julien.press_data(button.data, message_id)
        assert julien.last_ack == STALE
    for name, argument in (("pause", number), ("clore", number), ("fiche", number), ("reprendre", number),
                           ("venu", appointment.id), ("absent", appointment.id)):
        data = h.world.signer.action(advisor_subject(julien_id), name, str(argument))
        assert await julien.press_data(data) == []
        assert julien.last_ack == STALE, name
    assert await state(h) == before
    assert not any(text.startswith("👤 Réponse de Julien") for text in texts_to(h, "ines"))


async def test_a_young_person_typing_an_advisor_command_is_told_it_is_unknown_and_sees_no_one(
    db: Database, tmp_path: Path,
) -> None:
    h = await make(db, tmp_path, at=FRIDAY_9_20)
    await open_request(h)  # Inès's request, open at Nanterre; her appointment today
    karim = await realistic(h, "karim")  # a young person of the same structure
    for name in ADVISOR_COMMAND_HANDLERS:
        if name not in SHARED:
            assert [r.text for r in await karim.command(name)] == [UNKNOWN_COMMAND], name
    assert not any("/jeunes" in r.text for r in await karim.command("aide"))  # the young people's help
    assert not any("Inès" in text or "n° " in text for text in texts_to(h, "karim"))


async def test_an_advisor_update_handled_twice_at_once_has_one_effect(db: Database, tmp_path: Path) -> None:
    """The advisors' updates go through the engine's inbox like anyone's: a redelivery does nothing twice."""
    h = await make(db, tmp_path)
    number = await open_request(h)
    async with db.transaction() as uow:
        inbox_id = await uow.inbox.record("telegram", 1, {"update_id": 1}, h.clock.now())
    event = Event(PersonRef("telegram", NADIA, NADIA), COMMAND, text=f"/repondre {number} Bonjour Inès",
                  command="repondre", key="tg:1", inbox_id=inbox_id)
    outcomes = await asyncio.gather(*(h.engine.handle(event, send_now=("telegram",)) for _ in range(2)))
    # The advisor's answer written already taken for delivery (``send_now``), like a young person's reply.
    assert sorted(len(o.to_send) for o in outcomes) == [0, 1]
    [answered] = [o for o in outcomes if o.to_send]
    assert answered.to_send[0].chat_id == NADIA and answered.to_send[0].payload["text"].startswith("Envoyé à Inès")
    later = await h.engine.handle(event)  # a third time, later (a replay after a crash): nothing either
    assert later.to_send == [] and later.outbox_ids == []
    rows = await _outbox(h)
    assert len([r for r in rows if r.chat_id == NADIA and r.key.startswith("tg:1")]) == 1
    assert len([r for r in rows if r.chat_id == "ines" and "Bonjour Inès" in r.payload["text"]]) == 1
    async with db.transaction() as uow:
        assert (await uow.inbox.get(inbox_id)).status == DONE


async def test_the_advisors_operations_need_no_telegram(db: Database, tmp_path: Path) -> None:
    """What a web desk would do: call the operations with plain arguments, and read their answers."""
    h = await make(db, tmp_path)
    number = await open_request(h)
    async with h.db.transaction() as uow:
        nadia = await uow.structures.agent_by_email("nadia@ml-nanterre.exemple.fr")
        julien = await uow.structures.agent_by_email("julien@ml-boucle-nord.exemple.fr")
        desk = Desk(uow, h.world, nadia, h.clock.now(), key="desk:1")
        listed = await requests.open_requests(desk)
        sent = await requests.reply(desk, number, "Bonjour Inès, ici Nadia.")
        again = await requests.reply(desk, number, "Bonjour Inès, ici Nadia.")  # the same action (same key)
        elsewhere = await requests.reply(Desk(uow, h.world, julien, h.clock.now(), key="desk:2"), number, "Salut")
    assert listed.said[1].buttons == ((ActionButton("Fiche", "fiche", str(number)),
                                       ActionButton("Clore", "clore", str(number))),)  # actions, not Telegram data
    assert listed.said[1].about is not None and listed.said[1].person_id is not None
    assert sent.said[0].text == f"Envoyé à Inès (n° {number})." and len(sent.planned) == 1
    assert again.planned == []  # written once
    assert elsewhere.refused and elsewhere.planned == []
    assert elsewhere.said[0].text == f"Je ne trouve pas la demande n° {number} dans votre structure. " \
                                     "Les demandes ouvertes : /jeunes."
    await h.delivery.deliver(sent.planned)
    last = texts_to(h, "ines")[-1]
    assert last.startswith("👤 Réponse de Nadia (") and last.endswith("Bonjour Inès, ici Nadia.")


def test_advisor_buttons_are_signed_for_a_subject_no_person_id_can_match() -> None:
    signer = ButtonSigner(b"k")
    data = signer.action(advisor_subject(7), "clore", "12")
    assert signer.read(advisor_subject(7), data) is not None
    assert signer.read(7, data) is None and signer.read(advisor_subject(8), data) is None
    assert signer.read(7, signer.action(7, "intent", "help")) is not None  # a person's buttons as before
    assert signer.action(7, "intent", "help") == signer.action("7", "intent", "help")
    assert len(signer.action(advisor_subject(10**9), "reprendre", str(10**9)).encode()) <= 64


# --- The advisor's commands ---------------------------------------------------------------------


async def test_jeunes_lists_open_requests_urgent_first_one_card_each(db: Database, tmp_path: Path) -> None:
    h = await make(db, tmp_path)
    first = await open_request(h)
    karim = await realistic(h, "karim")
    await karim.send("j'en peux plus de cette vie")
    nadia = advisor(h, NADIA)
    replies = await nadia.cmd("jeunes")
    assert replies[0].text == "Demandes ouvertes, les urgentes d'abord. Répondez à une carte pour écrire à la personne."
    assert replies[1].text.startswith("🔴 URGENT · n° ") and "détresse" in replies[1].text
    assert replies[2].text.startswith(f"n° {first} · Inès, 19 ans, Nanterre\nveut parler à quelqu'un")
    assert [b.label for row in replies[2].buttons for b in row] == ["Fiche", "Clore"]
    # Replying to a card writes to that young person.
    card_id = sent_to(h, NADIA)[-1][1]
    await nadia.reply("Bonjour Inès, je vous appelle demain.", card_id)
    assert texts_to(h, "ines")[-1].endswith("Bonjour Inès, je vous appelle demain.")
    rows = [r for r in (await _outbox(h)) if r.chat_id == NADIA and r.kind == "advisor"]
    assert all(r.person_id is not None for r in rows if "Inès" in r.payload["text"])  # erased with her


async def _outbox(h: Harness) -> list[OutboxMessage]:
    async with h.db.transaction() as uow:
        return list(await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_dispos_lists_the_next_opening_hours_without_absences(db: Database, tmp_path: Path) -> None:
    h = await make(db, tmp_path)
    await realistic(h)  # her appointment on Friday at 9 h with Nadia
    replies = await advisor(h, NADIA).cmd("dispos")
    lines = replies[0].text.splitlines()
    assert lines[:4] == [
        "Vos prochaines plages :",
        "• aujourd'hui, 9 h – 12 h (Mission locale de Nanterre)",
        "• demain, 9 h – 12 h (Mission locale de Nanterre)",
        "• vendredi 4 décembre, 9 h – 12 h (Mission locale de Nanterre) · 1 rdv",  # Thursday: training day
    ]


async def test_help_and_unknown_commands_for_an_advisor(db: Database, tmp_path: Path) -> None:
    h = await make(db, tmp_path)
    nadia = advisor(h, NADIA)
    text = (await nadia.cmd("aide"))[0].text
    assert text.startswith("Bonjour Nadia. Vous répondez ici pour la Mission locale de Nanterre")
    for name in ("jeunes", "rdv_jour", "repondre", "pause_bot", "reprendre_bot", "dispos"):
        assert f"/{name} :" in text
    assert (await nadia.cmd("start"))[0].text == text
    assert (await nadia.cmd("profil"))[0].text == "Je ne connais pas cette commande. Vos commandes : /aide."
    assert (await nadia.send("bonjour"))[0].text.startswith("Pour écrire à une personne : répondez à sa fiche")
    assert (await nadia.cmd("repondre"))[0].text.startswith("Écrivez /repondre <n° de la demande>")
    assert (await nadia.cmd("pause_bot"))[0].text.startswith("Écrivez /pause_bot <n° de la demande>")
    async with h.db.transaction() as uow:
        assert await uow.people.find("telegram", NADIA) is None  # an advisor is never a young person


async def test_advisor_commands_are_not_in_the_young_peoples_menu_or_help() -> None:
    for name in ADVISOR_COMMAND_HANDLERS:
        assert name in SHARED or name not in COMMAND_HANDLERS
        assert name in SHARED or name not in COMMAND_DESCRIPTIONS
        assert name in SHARED or name not in dict(COMMANDS)


async def test_nudges_pause_through_the_nudges_capability(db: Database, tmp_path: Path) -> None:
    h = await make(db, tmp_path)
    number = await open_request(h)
    thomas = advisor(h, THOMAS)
    replies = await thomas.cmd(f"pause_relances {number}")
    assert replies[0].text == (f"Relances en pause pour Inès (n° {number}). "
                               "Les rappels de rendez-vous ne changent pas.")
    assert (await state(h))[1][-1] == (True,)
    assert (await thomas.cmd(f"pause_relances {number}"))[0].text.startswith("Relances déjà en pause")
    await thomas.cmd(f"reprendre_relances {number}")
    assert (await state(h))[1][-1] == (False,)


# --- Delivery: an advisor who blocked the bot ----------------------------------------------------


class Refusing:
    """A channel where some chats blocked the bot (403)."""

    channels = ("test", "telegram")

    def __init__(self, blocked: set[str]) -> None:
        self.blocked = blocked

    async def send(self, message: OutboxMessage, reply: Reply, edit_message_id: str | None) -> str | None:
        if message.chat_id in self.blocked:
            raise SendError("403 Forbidden: bot was blocked by the user", blocked=True)
        return str(message.id)


async def test_a_403_from_an_advisors_chat_does_not_make_the_young_person_unreachable(db: Database, tmp_path: Path
                                                                                      ) -> None:
    h = await make(db, tmp_path)
    h.delivery = Delivery(db, [Refusing({NADIA})], h.clock)
    await open_request(h)
    async with db.transaction() as uow:
        person = await uow.people.find("test", "ines")
        failed = [r for r in await uow.session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == NADIA))]
    assert person.unreachable_at is None
    assert [r.status for r in failed] == ["failed"]
    h.delivery = Delivery(db, [Refusing({"ines"})], h.clock)
    await h.chat("ines").send("je veux parler à un conseiller")
    async with db.transaction() as uow:
        assert (await uow.people.find("test", "ines")).unreachable_at is not None  # her own chat: yes


# --- Registering advisors -----------------------------------------------------------------------


def test_advisors_add_list_remove_on_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.db")
    runner = CliRunner()
    result = runner.invoke(app, ["advisors", "list"])
    assert result.exit_code == 0 and "No advisor registered" in result.output
    result = runner.invoke(app, ["advisors", "add", "--telegram-id", "7301", "--structure", "ml-nulle-part",
                                 "--email", "nadia@exemple.fr"])
    assert result.exit_code == 2 and "--structure: 'ml-nulle-part' is not a structure" in result.output
    result = runner.invoke(app, ["advisors", "add", "--telegram-id", "7301", "--structure", "ml-nanterre",
                                 "--email", "Nadia@Exemple.fr", "--name", "Nadia B."])
    assert result.exit_code == 0, result.output
    assert "(Nadia B.) of ml-nanterre: Telegram 7301, e-mail nadia@exemple.fr." in result.output
    result = runner.invoke(app, ["advisors", "add", "--telegram-id", "7302", "--structure", "ml-nanterre",
                                 "--email", "nadia@exemple.fr"])  # the same e-mail: the same agent, new id
    assert result.exit_code == 0
    result = runner.invoke(app, ["advisors", "add", "--telegram-id", "7309", "--structure", "ml-nanterre",
                                 "--email", "thomas@exemple.fr"])
    result = runner.invoke(app, ["advisors", "add", "--telegram-id", "7309", "--structure", "ml-nanterre",
                                 "--email", "nadia@exemple.fr"])
    assert result.exit_code == 2 and "belong to two different advisors" in result.output
    result = runner.invoke(app, ["advisors", "list", "--structure", "ml-nanterre"])
    assert result.exit_code == 0
    assert "ml-nanterre\tNadia B.\t7302\tnadia@exemple.fr" in result.output
    assert "thomas@exemple.fr" in result.output
    result = runner.invoke(app, ["advisors", "remove", "--email", "nadia@exemple.fr"])
    assert result.exit_code == 0 and "removed" in result.output
    result = runner.invoke(app, ["advisors", "remove", "--telegram-id", "7302"])
    assert result.exit_code == 2 and "No advisor with this Telegram id." in result.output
    result = runner.invoke(app, ["advisors", "list"])
    assert "Nadia" not in result.output and "thomas@exemple.fr" in result.output
    result = runner.invoke(app, ["advisors", "remove"])
    assert result.exit_code == 2


def test_accounts_of_the_desk_need_no_telegram_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: --telegram-id was required, so nobody could have a desk account without Telegram."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.db")
    runner = CliRunner()
    result = runner.invoke(app, ["advisors", "add", "--structure", "ml-nanterre", "--email", "samia@exemple.fr",
                                 "--name", "Samia", "--role", "manager"])
    assert result.exit_code == 0, result.output
    assert "Manager" in result.output
    assert "(Samia) of ml-nanterre: Telegram -, e-mail samia@exemple.fr." in result.output
    result = runner.invoke(app, ["advisors", "add", "--email", "stats@exemple.fr", "--role", "departement"])
    assert result.exit_code == 0 and "of every structure" in result.output
    for wrong, says in ((["--email", "x@exemple.fr", "--role", "departement", "--structure", "ml-nanterre"],
                         "--structure: required for an advisor or a manager, and only for them"),
                        (["--structure", "ml-nanterre"], "give --email"),
                        (["--email", "x@exemple.fr", "--structure", "ml-nanterre", "--role", "chef"], "--role")):
        result = runner.invoke(app, ["advisors", "add", *wrong])
        assert result.exit_code == 2 and says in result.output, result.output


# --- The migration ------------------------------------------------------------------------------


async def test_the_handoff_migration_goes_up_and_down_and_matches_the_models(database_url: str) -> None:
    await asyncio.to_thread(upgrade, database_url, "0003")
    await asyncio.to_thread(upgrade, database_url, "0004")
    database = Database(database_url)
    try:
        async with database.engine.connect() as connection:
            tables = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
            assert {"handoffs", "handoff_messages"} <= tables
        await asyncio.to_thread(upgrade, database_url, "head")  # the later migrations change these tables too
        async with database.engine.connect() as connection:

            def differences(sync_connection: object) -> list[object]:
                context = MigrationContext.configure(sync_connection)  # type: ignore[arg-type]
                found = compare_metadata(context, metadata)
                return [d for d in found if "handoff" in repr(d)]

            assert await connection.run_sync(differences) == []
        await asyncio.to_thread(downgrade, database_url, "0003")
        async with database.engine.connect() as connection:
            tables = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
        assert not {"handoffs", "handoff_messages"} & tables
    finally:
        await database.dispose()
