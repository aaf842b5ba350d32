"""The hand-off end to end: the real bot, the fake Telegram Bot API with a young person, an advisor and a
stranger, and a local SMTP server (aiosmtpd on 127.0.0.1) for the advisors' e-mail.

Also the e-mail sender on its own against that server: 4xx answers are tried again, 5xx are given up.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email
import email.policy
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from bot.delivery import Delivery
from bot.email_sender import EmailSender, SmtpSettings, SmtpUrlError
from bot.telegram_updates import ForEngine, translate
from flows.data.opening_hours import seed_agenda
from flows.engine.events import Reply
from flows.engine.script import ADVISOR_ACTION_HANDLERS, ADVISOR_COMMAND_HANDLERS
from flows.engine.turn import reply_payload
from flows.rules.clock import FixedClock
from storage import Database
from storage.appointments import NOSHOW
from storage.handoffs import Handoff
from storage.migrate import upgrade
from storage.outbox import OutboxMessage
from tests.bot.fake_telegram import FakeTelegram, TgUser, running_bot, wait_handled
from tests.flows.test_handoff_kit import AGENDA, STALE, UNKNOWN_COMMAND
from tests.kit import ScriptedNlu, territory

pytestmark = pytest.mark.filterwarnings("ignore:Please use 'Bot.getUpdates'")

INES = TgUser(1001, "Inès")
NADIA = TgUser(7301, "Nadia")  # an advisor of the Mission locale de Nanterre
KARIM = TgUser(1002, "Karim")  # anyone else
NADIA_EMAIL = "nadia@ml-nanterre.exemple.fr"


# --- A local SMTP server ----------------------------------------------------------------------------


class Mailbox:
    """An aiosmtpd handler that keeps what it receives; ``refuse`` makes it answer RCPT with a code."""

    def __init__(self) -> None:
        self.received: list[Any] = []
        self.refuse: list[str] = []  # answers to give to the next RCPT commands, in order

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.refuse:
            return self.refuse.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(envelope)
        return "250 Message accepted"

    def messages(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(e.content, policy=email.policy.default) for e in self.received]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, str]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, f"smtp://127.0.0.1:{port}?from=tremplin@hauts-de-seine.exemple.fr"
    finally:
        controller.stop()


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


# --- The setting ------------------------------------------------------------------------------------


async def prepare(database_url: str, tmp_path: Path) -> None:
    """The agenda, Nadia registered as an advisor (Telegram and e-mail), Inès onboarded, an appointment now."""
    await asyncio.to_thread(upgrade, database_url)
    db = Database(database_url)
    now = dt.datetime.now(dt.UTC)
    path = tmp_path / "agenda.yml"
    path.write_text(AGENDA, encoding="utf-8")
    try:
        async with db.transaction() as uow:
            world_territory = territory()
            await seed_agenda(uow, world_territory, path, ZoneInfo("Europe/Paris"))
            nadia = await uow.structures.upsert_agent(structure_id="ml-nanterre", email=NADIA_EMAIL,
                                                      telegram_id=NADIA.id)
            person = await uow.people.find_or_create("telegram", str(INES.id), str(INES.id), now)
            await uow.people.update(person, first_name="Inès", age=19, commune="92050", schooling="cap_bep",
                                    situation="emploi", rsa=True, followed_by="mission_locale",
                                    obstacles=["logement"], sectors=["logistique"], consent_at=now, onboarded_at=now)
            conversation = await uow.conversations.load(person.id, now)
            conversation.step = "home"
            await uow.conversations.save(conversation)
            await uow.messages.add(person.id, "in", "je dors chez une copine depuis trois semaines", "social_support",
                                   now - dt.timedelta(hours=3))
            motif = await uow.structures.motif_by_code("ml-nanterre", "suivi")
            starts = now - dt.timedelta(minutes=5)
            await uow.appointments.add(person_id=person.id, structure_id="ml-nanterre", lieu_id="nanterre-prefecture",
                                       motif_id=motif.id, agent_id=nadia.id, collective=False, starts_at=starts,
                                       ends_at=starts + dt.timedelta(minutes=30), now=now - dt.timedelta(days=2))
    finally:
        await db.dispose()


def scripted() -> ScriptedNlu:
    nlu = ScriptedNlu()
    nlu.learn("je veux parler à un conseiller", "talk_to_advisor")
    nlu.learn("c'est quoi une mission locale", "mission_locale_info")
    return nlu


async def snapshot(bot: Any) -> tuple[list[tuple], list[tuple]]:
    async with bot.channel.db.transaction() as uow:
        handoffs = [(h.status, h.agent_id, h.paused_by, h.urgent) for h in await uow.session.scalars(select(Handoff))]
        person = await uow.people.find("telegram", str(INES.id))
        appointments = [(a.id, a.status) for a in await uow.appointments.for_person(person.id)]
    return handoffs, appointments


def message_id_of(fake: FakeTelegram, user: TgUser, starts: str) -> int:
    """The id of the newest message to ``user`` whose text starts with ``starts``."""
    for call in reversed(fake.replies(user)):
        if call.text.startswith(starts):
            return int(call.result["message_id"])
    raise AssertionError(f"no message starting with {starts!r} to {user.id}: {fake.texts(user)}")


# --- End to end -------------------------------------------------------------------------------------


async def test_handoff_relay_pause_and_a_stranger_through_telegram_and_smtp(
    fake: FakeTelegram, db_url: str, tmp_path: Path, smtp: tuple[Mailbox, str],
) -> None:
    mailbox, smtp_url = smtp
    await prepare(db_url, tmp_path)
    async with running_bot(fake, db_url, nlu=scripted(), smtp_url=smtp_url) as bot:
        # 1. The hand-off: the summary on Telegram and by e-mail; Inès told who and when.
        asked = fake.send_text(INES, "je veux parler à un conseiller")
        await wait_handled(bot, asked)
        await fake.wait(lambda: fake.texts(NADIA), what="the summary on Telegram")
        await fake.wait(lambda: mailbox.received, what="the summary by e-mail")
        summary = fake.replies(NADIA)[0]
        assert summary.text.startswith("📩 Demande de contact")
        assert "👤 Inès, 19 ans, Nanterre" in summary.text
        assert "« je dors chez une copine depuis trois semaines »" in summary.text
        assert summary.labels == ["Pause du robot", "Clore la demande"]
        assert fake.texts(INES)[0].startswith("C'est transmis à la Mission locale de Nanterre et des communes "
                                              "voisines. Nadia va te répondre ici")
        [mail] = mailbox.messages()
        assert mail["To"] == NADIA_EMAIL and mail["From"] == "tremplin@hauts-de-seine.exemple.fr"
        assert mail["Subject"] == "[Tremplin] demande n° 1 : Inès, 19 ans, Nanterre"
        assert mail["Message-ID"].startswith("<tremplin.outbox.")
        plain = mail.get_body(("plain",)).get_content()
        page = mail.get_body(("html",)).get_content()
        assert "« je dors chez une copine depuis trois semaines »" in plain
        assert "&laquo;" in page or "« je dors chez une copine" in page
        assert "Répondre à cet e-mail ne parvient pas à la personne." in plain
        async with bot.channel.db.transaction() as uow:
            statuses = {(r.channel, r.status) for r in await uow.session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "handoff"))}
        assert statuses == {("telegram", "sent"), ("email", "sent")}

        # 2. Relay, advisor → young person: Nadia replies to the summary.
        summary_id = int(summary.result["message_id"])
        answer = fake.send(NADIA, text="Bonjour Inès, c'est Nadia. On se parle ici ?",
                           reply_to_message=fake.message(NADIA, summary_id))
        await wait_handled(bot, answer)
        await fake.wait(lambda: any(t.startswith("👤 Réponse de Nadia") for t in fake.texts(INES)))
        assert fake.texts(INES)[-1] == ("👤 Réponse de Nadia (Mission locale de Nanterre et des communes voisines) :"
                                        "\n\nBonjour Inès, c'est Nadia. On se parle ici ?")
        assert fake.labels(INES) == ["Répondre à Nadia"]
        assert fake.texts(NADIA)[-1] == "Envoyé à Inès (n° 1)."

        # 3. Relay, young person → advisor: the button, then her words.
        await wait_handled(bot, fake.press(INES, "Répondre à Nadia"))
        assert fake.texts(INES)[-1] == "Écris ton message pour Nadia. Je le transmets tel quel."
        await wait_handled(bot, fake.send_text(INES, "oui merci, je suis dispo cet après-midi"))
        await fake.wait(lambda: fake.texts(NADIA)[-1] == "💬 Inès · n° 1\noui merci, je suis dispo cet après-midi")
        assert fake.texts(INES)[-2:] == ["C'est envoyé à Nadia. La réponse arrivera ici.",
                                         "Qu'est-ce que je peux faire pour toi ?"]

        # 4. The pause: the bot silent, what she writes forwarded, then the bot back.
        await wait_handled(bot, fake.press(NADIA, "Pause du robot"))
        await fake.wait(lambda: "Le robot revient au plus tard" in fake.texts(INES)[-1])
        assert fake.texts(INES)[-2].startswith("👤 Nadia, de la Mission locale de Nanterre et des communes voisines, "
                                               "prend le relais.")
        assert fake.texts(NADIA)[-1].startswith("⏸ Robot en pause pour Inès (n° 1) jusqu'au ")
        heard = fake.reply_count(INES)
        quiet = fake.send_text(INES, "c'est quoi une mission locale")
        await wait_handled(bot, quiet)
        await fake.wait(lambda: fake.texts(NADIA)[-1] == "💬 Inès · n° 1\nc'est quoi une mission locale")
        assert fake.reply_count(INES) == heard, "the bot says nothing while paused"
        resumed = fake.command(NADIA, "reprendre_bot 1")
        await wait_handled(bot, resumed)
        await fake.wait(lambda: fake.texts(INES)[-1].startswith("🤖 C'est de nouveau Tremplin, le robot."))
        assert fake.texts(NADIA)[-1] == "▶️ Le robot reprend la conversation avec Inès (n° 1)."
        again = fake.send_text(INES, "c'est quoi une mission locale")
        await wait_handled(bot, again)
        await fake.wait(lambda: any(t.startswith("La mission locale aide les 16-25 ans") for t in fake.texts(INES)))

        # 5. A stranger tries every advisor command and every advisor button: refused, no effect.
        await wait_handled(bot, fake.command(NADIA, "jeunes"), fake.command(NADIA, "rdv_jour"))
        await wait_handled(bot, fake.command(NADIA, "pause_bot 1"))
        await fake.wait(lambda: fake.labels(NADIA) == ["Relancer le robot"])
        advisor_buttons = []
        for call in fake.replies(NADIA):
            for row in call.buttons:
                for button in row:
                    advisor_buttons.append((button["callback_data"], int(call.result["message_id"]), button["text"]))
        assert {data.split(".")[1] for data, _, _ in advisor_buttons} == set(ADVISOR_ACTION_HANDLERS)
        before = await snapshot(bot)
        heard = fake.reply_count(INES)
        commands = [name for name in ADVISOR_COMMAND_HANDLERS if name not in ("aide", "start", "help")]
        sent = []
        for name in commands:
            for text in (f"/{name}", f"/{name} 1", f"/{name} 1 Bonjour c'est la mission locale"):
                sent.append(fake.send_text(KARIM, text))
        taps = [fake.tap(KARIM, data, message_id, label=label) for data, message_id, label in advisor_buttons]
        forged = fake.send(KARIM, text="Bonjour Inès", reply_to_message=fake.message(NADIA, summary_id))
        await wait_handled(bot, *sent, *taps, forged)
        karim_texts = fake.texts(KARIM)
        assert karim_texts[:len(sent)] == [UNKNOWN_COMMAND] * len(sent)
        answers = [c for c in fake.calls_to("answerCallbackQuery") if c.params.get("callback_query_id") in
                   {fake.update(u)["callback_query"]["id"] for u in taps}]
        assert len(answers) == len(taps) and {c.params.get("text") for c in answers} == {STALE}
        assert await snapshot(bot) == before
        assert fake.reply_count(INES) == heard, "nothing reached the young person"

        # 6. The advisor's own "Absent" works (and goes through the booking's hook).
        await wait_handled(bot, fake.command(NADIA, "reprendre_bot 1"))
        await wait_handled(bot, fake.command(NADIA, "rdv_jour"))
        absent = fake.press(NADIA, "Absent")
        await wait_handled(bot, absent)
        [ack] = [c for c in fake.calls_to("answerCallbackQuery")
                 if c.params.get("callback_query_id") == fake.update(absent)["callback_query"]["id"]]
        assert ack.params.get("text") == "Noté : absent."
        assert fake.calls_to("editMessageText", NADIA)  # the card redrawn in place
        _, appointments = await snapshot(bot)
        assert [status for _, status in appointments] == [NOSHOW]
    print("\n".join(fake.transcript([INES, NADIA, KARIM], width=140)))


# --- The e-mail sender against the local server -------------------------------------------------


def test_smtp_url_is_read_and_never_shows_its_password() -> None:
    settings = SmtpSettings.from_url("smtp+starttls://tremplin:s3cr%40t@smtp.exemple.fr?from=t@exemple.fr")
    assert (settings.host, settings.port, settings.security, settings.username, settings.password) == (
        "smtp.exemple.fr", 587, "starttls", "tremplin", "s3cr@t")
    assert "s3cr" not in repr(settings)
    assert SmtpSettings.from_url("smtps://mail.exemple.fr").port == 465
    for bad in ("http://x", "smtp://", "smtp://h?from=nobody", "smtp://h:port"):
        with pytest.raises(SmtpUrlError) as raised:
            SmtpSettings.from_url(bad)
        assert "s3cr" not in str(raised.value)


async def _queue_mail(db: Database, now: dt.datetime, to: str = NADIA_EMAIL) -> int:
    async with db.transaction() as uow:
        return await uow.outbox.add(
            key=f"mail:{to}:{now.isoformat()}", channel="email", chat_id=to, kind="handoff",
            payload={**reply_payload(Reply("Bonjour <Nadia> & co")), "subject": "[Tremplin] essai",
                     "html": "<p>Bonjour &lt;Nadia&gt; &amp; co</p>"},
            due_at=now, now=now,
        )


async def _row(db: Database, outbox_id: int) -> OutboxMessage:
    async with db.transaction() as uow:
        return await uow.outbox.get(outbox_id)


async def test_4xx_is_tried_again_and_5xx_is_given_up(db: Database, smtp: tuple[Mailbox, str]) -> None:
    mailbox, smtp_url = smtp
    clock = FixedClock(dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC))
    delivery = Delivery(db, [EmailSender.from_url(smtp_url)], clock)

    first = await _queue_mail(db, clock.now())
    mailbox.refuse = ["451 4.7.1 Try again later"]
    await delivery.deliver([first])
    row = await _row(db, first)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "smtp 451")
    clock.advance(minutes=1)
    await delivery.deliver_due()
    row = await _row(db, first)
    assert row.status == "sent" and row.external_id.startswith("<tremplin.outbox.")
    [mail] = mailbox.messages()
    assert mail["Subject"] == "[Tremplin] essai" and mail["To"] == NADIA_EMAIL
    assert mail.get_body(("html",)).get_content().strip() == "<p>Bonjour &lt;Nadia&gt; &amp; co</p>"
    assert mail.get_body(("plain",)).get_content().strip() == "Bonjour <Nadia> & co"

    second = await _queue_mail(db, clock.now(), "inconnu@ml-nanterre.exemple.fr")
    mailbox.refuse = ["550 5.1.1 No such user"]
    await delivery.deliver([second])
    row = await _row(db, second)
    assert (row.status, row.last_error) == ("failed", "smtp 550")
    assert "inconnu" not in (row.last_error or "")

    with contextlib.closing(socket.socket()) as sock:  # a server that is not there: later, not given up
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    down = Delivery(db, [EmailSender.from_url(f"smtp://127.0.0.1:{closed}")], clock)
    third = await _queue_mail(db, clock.advance(minutes=1))
    await down.deliver([third])
    row = await _row(db, third)
    assert row.status == "pending" and row.last_error == "smtp: ConnectionRefusedError"


def test_a_telegram_reply_says_which_message_it_answers() -> None:
    fake = FakeTelegram()
    update = fake.message_update(NADIA, text="Bonjour Inès", reply_to_message={
        "message_id": 42, "date": 0, "chat": NADIA.chat, "text": "📩 Demande de contact…"})
    incoming = translate(update)
    assert isinstance(incoming, ForEngine) and incoming.event.reply_to == "42"
    assert translate(fake.message_update(NADIA, text="Bonjour")).event.reply_to is None  # type: ignore[union-attr]


async def test_an_urgent_summary_does_not_wait_behind_the_young_persons_paced_replies(
    fake: FakeTelegram, db_url: str, tmp_path: Path,
) -> None:
    """Before: the advisor's summary went out only after every paced reply to the young person (one every
    0.5 s here), an urgent distress summary too. Now the other chats are served side by side."""
    await prepare(db_url, tmp_path)
    nlu = scripted()
    nlu.learn("je veux mourir", "distress", confidence=0.99)
    async with running_bot(fake, db_url, nlu=nlu, telegram={"per_chat_interval_seconds": 0.5}) as bot:
        await wait_handled(bot, fake.send_text(INES, "je veux mourir"))
        await fake.wait(lambda: fake.texts(NADIA), what="the urgent summary")
        to_ines = [c.at for c in fake.calls_to("sendMessage", INES)]
        to_nadia = [c.at for c in fake.calls_to("sendMessage", NADIA)]
        assert len(to_ines) >= 2
        assert fake.texts(NADIA)[0].startswith("🔴 URGENT")
        assert to_nadia[0] < to_ines[-1]  # the summary is not queued behind her replies
