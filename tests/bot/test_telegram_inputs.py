"""What young people really send, through the fake Bot API: each gets a kind, short answer; nothing crashes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.telegram_channel import FLOOD_LIMIT
from flows.engine.media import ANSWERS, DEFAULT, PRIVATE_ONLY, TOO_FAST
from storage.inbox import DONE, InboxUpdate
from storage.outbox import OutboxMessage
from storage.people import Person
from tests.bot.fake_telegram import FakeTelegram, TgUser, running_bot, wait_handled
from tests.kit import ScriptedNlu

pytestmark = pytest.mark.filterwarnings("ignore:Please use 'Bot.getUpdates'")

FILE = {"file_id": "f1", "file_unique_id": "u1"}
SENDER = {"id": 42, "is_bot": False, "first_name": "Quelqu'un"}
# (what the person sends, as message fields) → the answer's key in flows/media.ANSWERS
MESSAGES: dict[str, tuple[dict[str, Any], str]] = {
    "sticker": ({"sticker": {**FILE, "type": "regular", "width": 512, "height": 512, "is_animated": False,
                             "is_video": False}}, "sticker"),
    "photo": ({"photo": [{**FILE, "width": 90, "height": 90}], "caption": "mon cv"}, "photo"),
    "voice": ({"voice": {**FILE, "duration": 4}}, "voice"),
    "audio": ({"audio": {**FILE, "duration": 4}}, "audio"),
    "video": ({"video": {**FILE, "width": 320, "height": 240, "duration": 4}}, "video"),
    "video_note": ({"video_note": {**FILE, "length": 240, "duration": 4}}, "video_note"),
    "gif": ({"animation": {**FILE, "width": 320, "height": 240, "duration": 2},
             "document": {**FILE, "file_name": "a.mp4"}}, "animation"),
    "document": ({"document": {**FILE, "file_name": "cv.pdf"}}, "document"),
    "location": ({"location": {"latitude": 48.89, "longitude": 2.2}}, "location"),
    "venue": ({"venue": {"location": {"latitude": 48.89, "longitude": 2.2}, "title": "Gare",
                         "address": "Place de la gare"}, "location": {"latitude": 48.89, "longitude": 2.2}},
              "location"),
    "contact": ({"contact": {"phone_number": "+33600000000", "first_name": "Maman"}}, "contact"),
    "poll": ({"poll": {"id": "p1", "question": "On sort ?", "options": [
        {"persistent_id": "o1", "text": "oui", "voter_count": 0},
        {"persistent_id": "o2", "text": "non", "voter_count": 0}], "total_voter_count": 0,
        "is_closed": False, "is_anonymous": True, "type": "regular", "allows_multiple_answers": False,
        "allows_revoting": False, "members_only": False}}, "poll"),
    "dice": ({"dice": {"emoji": "🎲", "value": 3}}, "emoji"),
    "emoji": ({"text": "😂👍🏽❤️"}, "emoji"),
    "forwarded text": ({"text": "Offre : serveur H/F", "forward_origin": {"type": "user", "date": 0,
                                                                           "sender_user": SENDER}}, "forwarded"),
    "forwarded (old clients)": ({"text": "regarde", "forward_date": 1700000000, "forward_from": SENDER},
                                "forwarded"),
    "text over 4096 characters": ({"text": "je cherche " * 420}, "too_long"),
    "a shape PTB cannot read": ({"poll": {"id": "p2", "question": "?", "options": [{"text": "a"}]}}, "other"),
}


@pytest.fixture
def fake():  # type: ignore[no-untyped-def]
    with FakeTelegram() as server:
        yield server


async def all_inbox(bot: Any) -> list[InboxUpdate]:
    async with bot.channel.db.transaction() as uow:
        return list((await uow.session.scalars(select(InboxUpdate))).all())


async def test_every_odd_message_gets_one_kind_answer(fake: FakeTelegram, db_url: str) -> None:
    users = {name: TgUser(2000 + i, "Sam") for i, name in enumerate(MESSAGES)}
    async with running_bot(fake, db_url, nlu=ScriptedNlu()) as bot:
        sent = [fake.send(users[name], **fields) for name, (fields, _) in MESSAGES.items()]
        await wait_handled(bot, *sent)
        for name, (_, answer) in MESSAGES.items():
            assert fake.texts(users[name]) == [ANSWERS.get(answer, DEFAULT)], name
        assert {row.status for row in await all_inbox(bot)} == {DONE}


async def test_edited_message_and_commands_addressed_to_the_bot(fake: FakeTelegram, db_url: str) -> None:
    ines = TgUser(3001)
    async with running_bot(fake, db_url, nlu=ScriptedNlu()) as bot:
        start = fake.send_text(ines, f"/start@{fake.bot_username}")
        await wait_handled(bot, start)
        assert "Tremplin" in fake.texts(ines)[0]
        assert fake.labels(ines) == ["D'accord", "Non merci", "En savoir plus"]
        before = fake.reply_count(ines)
        edited = fake.edit(ines, fake.update(start)["message"]["message_id"], "/start")
        unknown = fake.send_text(ines, "/n_existe_pas")
        await wait_handled(bot, edited, unknown)
        assert fake.texts(ines)[before:] == [
            ANSWERS["edited"], "Je ne connais pas cette commande. Tape /aide pour voir ce que je sais faire."]


async def test_unknown_updates_and_foreign_buttons_crash_nothing(fake: FakeTelegram, db_url: str) -> None:
    ines = TgUser(3002)
    async with running_bot(fake, db_url, nlu=ScriptedNlu()) as bot:
        ids = [
            fake.push({"message_reaction": {"chat": ines.chat, "message_id": 1, "date": 0, "user": ines.as_json(),
                                            "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": "👍"}]}}),
            fake.push({"a_future_update_type": {"whatever": [1, 2, 3]}}),
            fake.push({"message": "not even an object"}),
            fake.push({"poll_answer": {"poll_id": "p", "user": ines.as_json(), "option_ids": [0]}}),
            fake.tap(ines, "forged.data.AAAA", 999),  # not signed for this person
            fake.push({"callback_query": {"id": "77", "from": ines.as_json(), "chat_instance": "c",
                                          "game_short_name": "g"}}),  # a button without data
        ]
        await wait_handled(bot, *ids)
        assert fake.reply_count(ines) == 0
        answers = fake.calls_to("answerCallbackQuery")
        assert len(answers) == 2, "every button is answered, even one we cannot read"
        assert answers[0].params.get("text") == "Ce bouton ne marche plus."
        assert {row.status for row in await all_inbox(bot)} == {DONE}
        alive = fake.send_text(ines, "/start")  # and the bot still answers
        await wait_handled(bot, alive)
        assert fake.reply_count(ines) > 0


async def test_group_chats_get_one_sentence_then_the_bot_leaves(fake: FakeTelegram, db_url: str) -> None:
    ines = TgUser(3003)
    group, supergroup, channel = -100, -1001234, -1005678
    async with running_bot(fake, db_url, nlu=ScriptedNlu()) as bot:
        ids = [
            fake.in_group(ines, group, "salut le bot, je cherche un taf"),
            fake.in_group(ines, supergroup, "/start@tremplin_test_bot", kind="supergroup"),
            fake.push({"channel_post": {"message_id": 5, "date": 0, "text": "annonce",
                                        "chat": {"id": channel, "type": "channel", "title": "Infos"}}}),
            fake.push({"my_chat_member": {
                "chat": {"id": -200, "type": "group", "title": "Classe"}, "from": ines.as_json(), "date": 0,
                "old_chat_member": {"status": "left", "user": {"id": 1, "is_bot": True, "first_name": "T"}},
                "new_chat_member": {"status": "member", "user": {"id": 1, "is_bot": True, "first_name": "T"}}}}),
        ]
        await wait_handled(bot, *ids)
        goodbye = PRIVATE_ONLY.format(bot=f"@{fake.bot_username}")
        for chat in (group, supergroup, -200):
            assert fake.texts(chat) == [goodbye], chat
        assert fake.texts(channel) == [], "nothing is posted in a channel"
        left = {call.chat_id for call in fake.calls_to("leaveChat")}
        assert left == {str(group), str(supergroup), str(channel), "-200"}
        # Nothing is kept about a group: no person, no message, no update content.
        async with bot.channel.db.transaction() as uow:
            people = (await uow.session.scalars(select(Person))).all()
            outbox = (await uow.session.scalars(select(OutboxMessage))).all()
        assert list(people) == [] and list(outbox) == []
        assert all(row.payload is None and row.person_id is None for row in await all_inbox(bot))


async def test_a_flooding_chat_is_told_once_and_slowed_down_others_are_not(fake: FakeTelegram, db_url: str) -> None:
    """Before: 300 messages in a burst were all answered (900 replies). Now a chat gets FLOOD_LIMIT messages a
    minute read, one kind sentence, and the rest set aside; words of danger are still read; others go on."""
    flooder, other = TgUser(3010), TgUser(3011)
    async with running_bot(fake, db_url, nlu=ScriptedNlu()) as bot:
        burst = [fake.send_text(flooder, f"blabla {i}") for i in range(3 * FLOOD_LIMIT)]
        burst.append(fake.send_text(flooder, "je veux mourir"))
        hello = fake.send_text(other, "/start")
        await wait_handled(bot, *burst, hello)
        texts = fake.texts(flooder)
        assert texts.count(TOO_FAST) == 1
        assert any(text.startswith("Je suis là.") for text in texts)  # danger is always read
        async with bot.channel.db.transaction() as uow:
            handled = (await uow.session.scalars(select(InboxUpdate).where(InboxUpdate.person_id.is_not(None)))).all()
        assert len(handled) <= FLOOD_LIMIT + 2  # the flooder's first FLOOD_LIMIT, the danger, the other's /start
        assert fake.reply_count(other) > 0
        assert {row.status for row in await all_inbox(bot)} == {DONE}
