"""Logs never hold message text, names, ids of the people or secrets, at DEBUG as at INFO.

A whole conversation runs through the real Telegram stack (PTB ``Application`` against the fake Bot
API, polling, inbox, the real embedded NLU, engine, outbox, delivery) with logging set up exactly as
``tremplin`` does it, and everything the log handler writes is searched.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.logs import RedactSecrets, setup_logging
from tests.bot.fake_telegram import FakeTelegram, TgUser, running_bot, wait_handled

pytestmark = pytest.mark.filterwarnings("ignore:Please use 'Bot.getUpdates'")

MAELYS = TgUser(7301234567, "Maëlys")  # made up
FREE_TEXT = "je dors chez une copine depuis trois semaines"
DISTRESS = "j'ai envie de mourir ce soir"


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Where the root handler installed by ``setup_logging`` writes; the logging set-up is restored after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    buffer = io.StringIO()
    for handler in handlers:  # set aside: setup_logging's basicConfig(force=True) would close pytest's own
        root.removeHandler(handler)
    yield buffer
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


@pytest.mark.parametrize("level", ["DEBUG", "INFO"])
async def test_a_whole_conversation_leaves_nothing_personal_in_the_logs(
    level: str, fake: FakeTelegram, db_url: str, data_key: str, captured_logs: io.StringIO
) -> None:
    setup_logging(level)
    for handler in logging.getLogger().handlers:
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(captured_logs)  # the production handler, formatter and filter; only the stream changes

    async with running_bot(fake, db_url, data_key=data_key) as bot:  # the real NLU
        steps = [
            lambda: fake.command(MAELYS, "start"),
            lambda: fake.press(MAELYS, "D'accord"),
            lambda: fake.send_text(MAELYS, "moi c'est Maëlys"),
            *(lambda label=label: fake.press(MAELYS, label)
              for label in ("19", "Nanterre", "CAP ou BEP", "Je cherche un emploi", "Oui", "Mission locale",
                            "Logement", "C'est tout", "Logistique", "C'est tout")),
            lambda: fake.send_text(MAELYS, FREE_TEXT),
            lambda: fake.send_text(MAELYS, DISTRESS),
            lambda: fake.command(MAELYS, "mes_donnees"),
            lambda: fake.command(MAELYS, "supprimer"),
            lambda: fake.press(MAELYS, "Oui, tout effacer"),
        ]
        for step in steps:
            await wait_handled(bot, step())
        transcript = "\n".join(fake.texts(MAELYS))
    logs = captured_logs.getvalue()

    # The conversation really happened, and the logs really were captured.
    assert "Bienvenue, Maëlys !" in transcript and "3114" in transcript and "C'est fait" in transcript
    assert fake.calls_to("sendDocument", MAELYS)
    assert logs.count("\n") >= 3
    if level == "DEBUG":
        assert "event handled" in logs
    # Nothing personal, nothing secret.
    for secret in ("Maëlys", "Maelys", str(MAELYS.id), FREE_TEXT, DISTRESS, "dors chez", "mourir", "copine",
                   data_key, fake.token, fake.token.split(":")[1]):
        assert secret.casefold() not in logs.casefold(), f"{secret!r} is in the {level} logs"


def test_secrets_that_reach_a_log_line_are_masked() -> None:
    token, key = "123456:AAExampleTokenValue", "k" * 43 + "="
    redact = RedactSecrets([token, f"{key},{'o' * 43}="])
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "calling %s/bot%s/getMe", ("https://api", token),
                               None)
    assert redact.filter(record)
    assert token not in record.getMessage() and "[secret]" in record.getMessage()
    try:
        raise RuntimeError(f"bad key {key}")
    except RuntimeError:
        import sys

        failed = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    redact.filter(failed)
    assert key not in (failed.exc_text or "") and "[secret]" in (failed.exc_text or "")
