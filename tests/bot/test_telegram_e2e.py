"""End to end through the fake Bot API: the real PTB Application, our polling, the engine, the outbox."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.telegram_commands import COMMANDS
from storage.inbox import DONE, InboxUpdate
from storage.outbox import OutboxMessage
from tests.bot.fake_telegram import FakeTelegram, TgUser, running_bot, wait_handled
from tests.kit import ScriptedNlu

pytestmark = pytest.mark.filterwarnings("ignore:Please use 'Bot.getUpdates'")  # raw JSON on purpose

INES = TgUser(1001, "Inès")
KARIM = TgUser(1002, "Karim")


@pytest.fixture
def fake():  # type: ignore[no-untyped-def]
    with FakeTelegram() as server:
        yield server


async def next_keyboard(fake: FakeTelegram, user: TgUser, after: int | None) -> int:
    """Wait for a new message with buttons in the person's chat; returns its id."""
    def arrived() -> bool:
        newest = fake.last_message_id(user)
        message = fake.message(user, newest) if newest else None
        return bool(newest and (after is None or newest > after) and message and message.get("reply_markup"))

    await fake.wait(arrived, what=f"a new keyboard for {user.id}")
    return fake.last_message_id(user)  # type: ignore[return-value]


async def test_start_publishes_the_menu_and_takes_no_webhook(fake: FakeTelegram, db_url: str) -> None:
    async with running_bot(fake, db_url, nlu=ScriptedNlu()):
        assert [c["command"] for c in fake.commands] == [name for name, _ in COMMANDS]
        assert all(3 <= len(c["description"]) <= 256 for c in fake.commands)
        assert fake.calls_to("deleteWebhook"), "polling needs the webhook removed"
        assert fake.calls_to("getMe")


async def test_onboarding_with_buttons(fake: FakeTelegram, db_url: str) -> None:
    async with running_bot(fake, db_url, nlu=ScriptedNlu()) as bot:
        fake.command(INES, "start")
        keyboard = await next_keyboard(fake, INES, None)
        assert fake.labels(INES) == ["D'accord", "Non merci", "En savoir plus"]
        assert "Tremplin" in fake.texts(INES)[0]
        fake.press(INES, "D'accord")
        keyboard = await next_keyboard(fake, INES, keyboard)
        assert "prénom" in fake.texts(INES)[-1]
        fake.send_text(INES, "inès")
        keyboard = await next_keyboard(fake, INES, keyboard)
        assert "Bienvenue, Inès !" in fake.texts(INES)
        for label in ("19", "Nanterre", "CAP ou BEP", "Je cherche une formation", "Non", "Mission locale"):
            fake.press(INES, label)
            keyboard = await next_keyboard(fake, INES, keyboard)
        # Several answers: the keyboard is redrawn in place (editMessageText), not removed.
        pressed = fake.press(INES, "Me déplacer")
        await wait_handled(bot, pressed)
        assert "✅ Me déplacer" in fake.labels(INES)
        assert fake.calls_to("editMessageText", INES)
        fake.press(INES, "C'est tout")
        keyboard = await next_keyboard(fake, INES, keyboard)
        await wait_handled(bot, fake.press(INES, "Logistique"))  # the keyboard is redrawn with new tokens
        last = fake.press(INES, "C'est tout")
        await wait_handled(bot, last)
        assert any("C'est fini pour les questions" in text for text in fake.texts(INES))
        # Every button press was answered, and answered keyboards were taken away.
        presses = [line for line in fake.timeline if "press [" in line]
        assert len(fake.calls_to("answerCallbackQuery")) == len(presses)
        assert fake.calls_to("editMessageReplyMarkup", INES)
        async with bot.channel.db.transaction() as uow:
            person = await uow.people.find("telegram", str(INES.id))
            statuses = set((await uow.session.scalars(select(InboxUpdate.status))).all())
            unsent = (await uow.session.scalars(select(OutboxMessage).where(OutboxMessage.status != "sent"))).all()
        assert person is not None and person.onboarded_at is not None
        assert (person.first_name, person.age, person.commune) == ("Inès", 19, "92050")
        assert person.obstacles == ["mobilite"] and person.sectors == ["logistique"]
        assert statuses == {DONE}
        assert list(unsent) == []
    print("\n".join(fake.transcript([INES])))


async def test_double_tap_and_redelivery_have_no_second_effect(fake: FakeTelegram, database_url: str) -> None:
    """On SQLite and on PostgreSQL (where the inbox row is locked while its update is handled)."""
    async with running_bot(fake, database_url, nlu=ScriptedNlu()) as bot:
        start = fake.command(INES, "start")
        await next_keyboard(fake, INES, None)
        message_id, data = fake.button(INES, "D'accord")
        first = fake.tap(INES, data, message_id)
        await wait_handled(bot, first)
        replies = fake.reply_count(INES)
        second = fake.tap(INES, data, message_id)  # the same button again
        again = fake.push_again(first)  # Telegram delivers the first press a second time
        await wait_handled(bot, second, again)
        assert fake.reply_count(INES) == replies, "no second answer"
        answers = fake.calls_to("answerCallbackQuery")
        assert answers[-1].params.get("text") == "C'est déjà pris en compte."
        async with bot.channel.db.transaction() as uow:
            recorded = (await uow.session.scalars(select(InboxUpdate.update_id))).all()
        assert again == first
        assert sorted(recorded) == [start, first, second], "a redelivered update is recorded once"


async def test_one_chat_in_order_and_other_chats_meanwhile(fake: FakeTelegram, db_url: str) -> None:
    import asyncio

    class SlowNlu(ScriptedNlu):
        """Holds "lent" until released, to have a message arrive while the previous one is in hand."""

        def __init__(self) -> None:
            super().__init__()
            self.release = asyncio.Event()
            self.holding = asyncio.Event()

        async def parse(self, text: str, now: object = None):  # type: ignore[no-untyped-def]
            if text == "lent":
                self.holding.set()
                await self.release.wait()
            return await super().parse(text, now)

    nlu = SlowNlu()
    nlu.learn("lent", "help")
    nlu.learn("merci", "thanks")
    async with running_bot(fake, db_url, nlu=nlu) as bot:
        for user in (INES, KARIM):
            fake.command(user, "start")
        await fake.wait(lambda: fake.labels(INES) and fake.labels(KARIM), what="both welcomed")
        fake.press(INES, "D'accord")
        fake.press(KARIM, "D'accord")
        await fake.wait(lambda: "prénom" in fake.texts(INES)[-1] and "prénom" in fake.texts(KARIM)[-1])
        before = fake.reply_count(INES)
        slow = fake.send_text(INES, "lent")
        await asyncio.wait_for(nlu.holding.wait(), 20)
        queued = fake.send_text(INES, "Inès")  # arrives while "lent" is still being handled
        other = fake.send_text(KARIM, "Karim")  # another chat is not held up
        await fake.wait(lambda: "Bienvenue, Karim !" in fake.texts(KARIM), what="Karim answered meanwhile")
        assert fake.reply_count(INES) == before, "Inès's second message waits for her first"
        nlu.release.set()
        await wait_handled(bot, slow, queued, other)
        texts = fake.texts(INES)[before:]
        help_at = next(i for i, t in enumerate(texts) if "Je suis Tremplin" in t)
        name_at = texts.index("Bienvenue, Inès !")
        assert help_at < name_at, texts
