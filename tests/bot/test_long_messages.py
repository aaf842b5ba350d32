"""A message longer than Telegram's 4,096 characters goes in several pieces: a reply to any piece must lead
back to the request, both ways (the advisor replying to a young person's long message, the young person
replying to an advisor's long answer).

Before: only the last piece's id was recorded, so a reply to the first piece was not understood
("Je ne retrouve pas la demande" for the advisor; for the young person, nothing relayed).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from telegram import Bot

from bot.delivery import Sent
from bot.telegram_sender import ChatPacer, TelegramSender
from flows.engine.events import Document, Reply
from storage.outbox import OutboxMessage
from tests.bot.fake_telegram import FakeTelegram, running_bot, wait_handled
from tests.bot.test_handoff_e2e import INES, NADIA, prepare, scripted

pytestmark = pytest.mark.filterwarnings("ignore:Please use 'Bot.getUpdates'")

RELAY_HEAD = "👤 Réponse de Nadia (Mission locale de Nanterre et des communes voisines) :\n\n"


@pytest.fixture
def fake() -> FakeTelegram:
    with FakeTelegram() as server:
        yield server


def long_words(length: int, word: str) -> str:
    """About ``length`` characters of ``word``s: under Telegram's limit, over it once a header is added."""
    text = " ".join([word] * (length // (len(word) + 1) + 1))
    return text[:length].rstrip()


def pieces_to(fake: FakeTelegram, user: object, starts: str) -> list[int]:
    """The ids of the newest message to ``user`` starting with ``starts`` and of the pieces that follow it."""
    replies = fake.replies(user)  # type: ignore[arg-type]
    first = max(i for i, call in enumerate(replies) if call.text.startswith(starts))
    return [int(call.result["message_id"]) for call in replies[first:first + 2]]


async def test_a_reply_to_any_piece_of_a_long_message_finds_the_request(
    fake: FakeTelegram, db_url: str, tmp_path: Path,
) -> None:
    await prepare(db_url, tmp_path)
    async with running_bot(fake, db_url, nlu=scripted()) as bot:
        await wait_handled(bot, fake.send_text(INES, "je veux parler à un conseiller"))
        await fake.wait(lambda: fake.texts(NADIA), what="the summary")
        summary_id = int(fake.replies(NADIA)[0].result["message_id"])

        # 1. Young person → advisor: a message near Telegram's limit, forwarded with its header: two pieces.
        words = long_words(4090, "logement")
        assert len(words) <= 4096
        await wait_handled(bot, fake.send(NADIA, text="Bonjour Inès, c'est Nadia.",
                                          reply_to_message=fake.message(NADIA, summary_id)))
        await fake.wait(lambda: any(t.startswith(RELAY_HEAD) for t in fake.texts(INES)))
        await wait_handled(bot, fake.press(INES, "Répondre à Nadia"))
        await wait_handled(bot, fake.send_text(INES, words))
        await fake.wait(lambda: any(t.startswith("💬 Inès · n° 1\nlogement") for t in fake.texts(NADIA)))
        first, second = pieces_to(fake, NADIA, "💬 Inès · n° 1\nlogement")
        assert fake.message(NADIA, second)["text"].startswith("logement")
        async with bot.channel.db.transaction() as uow:
            forward = await uow.session.scalar(select(OutboxMessage).where(OutboxMessage.chat_id == str(NADIA.id),
                                                                           OutboxMessage.external_id == str(second)))
            assert forward.piece_ids == f",{first},{second},"

        for target, answer in ((first, "Réponse au premier morceau"), (second, "Réponse au second morceau")):
            await wait_handled(bot, fake.send(NADIA, text=answer, reply_to_message=fake.message(NADIA, target)))
            await fake.wait(lambda answer=answer: fake.texts(INES)[-1] == RELAY_HEAD + answer,
                            what=f"{answer!r} relayed")
            assert fake.texts(NADIA)[-1] == "Envoyé à Inès (n° 1)."

        # 2. Advisor → young person: a long answer relayed with its header, two pieces; she replies to each.
        long_answer = long_words(4090, "formation")
        await wait_handled(bot, fake.send(NADIA, text=long_answer, reply_to_message=fake.message(NADIA, summary_id)))
        await fake.wait(lambda: any(t.startswith(RELAY_HEAD + "formation") for t in fake.texts(INES)))
        first, second = pieces_to(fake, INES, RELAY_HEAD + "formation")
        assert fake.message(INES, second)["text"].startswith("formation")
        for target, words in ((first, "merci pour le premier"), (second, "merci pour le second")):
            await wait_handled(bot, fake.send(INES, text=words, reply_to_message=fake.message(INES, target)))
            await fake.wait(lambda words=words: fake.texts(NADIA)[-1] == f"💬 Inès · n° 1\n{words}",
                            what=f"{words!r} forwarded")


async def test_the_sender_gives_every_pieces_id(fake: FakeTelegram) -> None:
    """Before: one id (the last piece's) for a text sent in two pieces, or for a long text and its document."""
    async with Bot(fake.token, base_url=fake.base_url) as bot:
        sender = TelegramSender(bot, ChatPacer(0))
        row = OutboxMessage(id=1, chat_id=str(INES.id))
        assert isinstance(await sender.send(row, Reply("court", ()), None), str)
        sent = await sender.send(row, Reply("mot " * 1500, ()), None)
        ids = [str(c.result["message_id"]) for c in fake.replies(INES)[-2:]]
        assert sent == Sent(ids[-1], tuple(ids))
        export = Document("export.json", b"{}", "application/json")
        sent = await sender.send(row, Reply("détail " * 200, (), export), None)
        text_id, document_id = (str(c.result["message_id"]) for c in fake.replies(INES)[-2:])
        assert sent == Sent(text_id, (text_id, document_id))
