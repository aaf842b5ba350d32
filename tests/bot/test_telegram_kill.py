"""``tremplin run`` as a real process, killed with SIGKILL mid-conversation and restarted: nothing is lost,
nothing is sent more than once more. Also the whole onboarding in free text, with the real embedded NLU."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from tests.bot.fake_telegram import BotProcess, FakeTelegram, TgUser, running_bot, wait_handled

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Please use 'Bot.getUpdates'")]

# One onboarding, as a young person might go through it: buttons and a few typed answers, each with
# (a piece of) the question that must come next.
SCRIPT = (
    ("command", "start", "Tu es d'accord ?"), ("press", "D'accord", "prénom"), ("text", "{name}", "quel âge"),
    ("press", "19", "quelle ville"), ("text", "Nanterre", "dernier diplôme"), ("press", "CAP ou BEP", "tu en es où"),
    ("press", "Je cherche un emploi", "RSA ?"), ("text", "non", "accompagne"),
    ("press", "Mission locale", "complique"), ("press", "Rien de tout ça", "métiers"),
    ("press", "Je ne sais pas", "C'est fini pour les questions"),
)
# (round of the script, what to wait for after that round's updates are queued, before SIGKILL)
KILLS = {2: "nothing", 5: "a moment", 8: "a first reply"}


def act(fake: FakeTelegram, user: TgUser, kind: str, value: str) -> int:
    if kind == "command":
        return fake.command(user, value)
    if kind == "press":
        return fake.press(user, value)
    return fake.send_text(user, value.format(name=user.first_name))


def said_since(fake: FakeTelegram, user: TgUser, since: int, fragment: str) -> bool:
    """The bot said ``fragment`` to this person in one of its replies after the first ``since``.

    (Not "a new message": after a restart, an older reply sent once more is a new message too.)
    """
    return any(fragment in text for text in fake.texts(user)[since:])


async def test_sigkill_mid_conversation_loses_nothing(tmp_path: Path, data_key: str) -> None:
    users = [TgUser(4001, "Inès"), TgUser(4002, "Karim"), TgUser(4003, "Awa")]
    database = tmp_path / "tremplin.db"
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "TREMPLIN_DATA_KEY": data_key,
        "TREMPLIN_TELEGRAM__PER_CHAT_INTERVAL_SECONDS": "0",
        "TREMPLIN_DELIVERY__TICK_SECONDS": "0.5",
    }
    with FakeTelegram() as fake:
        process = BotProcess(fake, env, log_path=tmp_path / "bot.log").start()
        await process.wait_ready()
        kills = 0
        sent: list[int] = []
        try:
            for round_, (kind, value, expected) in enumerate(SCRIPT):
                marks = {user: fake.reply_count(user) for user in users}
                replies_before = sum(marks.values())
                sent += [act(fake, user, kind, value) for user in users]
                if round_ in KILLS:
                    if KILLS[round_] == "a moment":
                        await asyncio.sleep(0.15)
                    elif KILLS[round_] == "a first reply":
                        await fake.wait(lambda b=replies_before: sum(fake.reply_count(u) for u in users) > b)
                    process.kill()
                    kills += 1
                    process.start()
                    await process.wait_ready()
                for user in users:
                    await fake.wait(lambda u=user, m=marks[user], e=expected: said_since(fake, u, m, e), timeout=60,
                                    what=f"round {round_} answered for {user.first_name}")
        finally:
            code = process.terminate()
        assert code == 0, process.log_tail()

        replies = [c for user in users for c in fake.replies(user)]
        copies = Counter((c.chat_id, c.method, c.text, str(c.params.get("reply_markup"))) for c in replies)
        duplicates = sum(n - 1 for n in copies.values())
        print(f"\nkill -9 x{kills}: updates sent {len(sent)}, replies received {len(replies)}, "
              f"distinct replies {len(copies)}, duplicates {duplicates}")
        assert max(copies.values()) <= 2, "a reply is sent at most once more"
        # The three followed the same script: each received the same replies (none lost for anyone).
        per_user = [[t.replace(u.first_name, "X") for t in dict.fromkeys(fake.texts(u))] for u in users]
        assert per_user[0] == per_user[1] == per_user[2]
        for user in users:
            assert any("C'est fini pour les questions" in t for t in fake.texts(user)), user

    with sqlite3.connect(database) as db:
        inbox = db.execute("SELECT update_id, status FROM inbox").fetchall()
        outbox = dict(db.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall())
        people = db.execute("SELECT age, commune, schooling, situation, rsa, followed_by, onboarded_at IS NOT NULL "
                            "FROM people").fetchall()
    assert sorted(u for u, _ in inbox) == sorted(sent), "every update recorded, once"
    assert {s for _, s in inbox} == {"done"}, "and handled"
    assert set(outbox) == {"sent"}, outbox
    assert people == [(19, "92050", "cap_bep", "emploi", 0, "mission_locale", 1)] * 3


async def test_onboarding_in_free_text_with_the_real_nlu(db_url: str, data_key: str) -> None:
    karim = TgUser(4100, "Karim")
    said = ("salut", "ok", "moi c'est karim", "j'ai 19 ans", "j'habite à asnieres", "j'ai un cap",
            "je cherche du taf", "non", "personne", "le permis et le logement", "la cuisine")
    with FakeTelegram() as fake:
        async with running_bot(fake, db_url, data_key=data_key) as bot:
            for text in said:
                await wait_handled(bot, fake.send_text(karim, text))
            texts = fake.texts(karim)
            async with bot.channel.db.transaction() as uow:
                person = await uow.people.find("telegram", str(karim.id))
        print("\n" + "\n".join(fake.transcript([karim])))
    assert any("C'est fini pour les questions" in t for t in texts), texts
    assert person is not None
    assert (person.first_name, person.age, person.commune, person.schooling) == ("Karim", 19, "92004", "cap_bep")
    assert (person.situation, person.rsa, person.followed_by) == ("emploi", False, "aucun")
    assert person.obstacles == ["mobilite", "logement"]
    assert person.sectors == ["hotellerie_restauration"]
