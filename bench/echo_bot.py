"""The bare python-telegram-bot echo bot: the ceiling of the stack Tremplin is built on.

    TELEGRAM_BOT_TOKEN=... TELEGRAM_API_BASE_URL=http://127.0.0.1:PORT/bot .venv/bin/python bench/echo_bot.py

A plain PTB 22 ``Application`` with its own polling ``Updater``, a MessageHandler and a
CallbackQueryHandler that answer every update with one sendMessage: no database, no NLU, no rate
limiter, no answerCallbackQuery. ``--concurrent N`` lets PTB handle N updates at once
(``concurrent_updates``; 1 is PTB's default, one update after the other). bench/throughput.py runs it
against the same fake Bot API and the same load as Tremplin.
"""

from __future__ import annotations

import argparse
import logging
import os

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    await context.bot.send_message(update.effective_chat.id, (message.text if message else None) or "…")


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await context.bot.send_message(update.effective_chat.id, f"Tu as appuyé sur {update.callback_query.data}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrent", type=int, default=256, help="updates handled at once (PTB's default is 1)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    base = os.environ.get("TELEGRAM_API_BASE_URL", "https://api.telegram.org/bot").rstrip("/")
    application = (
        Application.builder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(base)
        .concurrent_updates(args.concurrent)
        .build()
    )
    application.add_handler(MessageHandler(filters.ALL, echo))
    application.add_handler(CallbackQueryHandler(pressed))
    application.run_polling(allowed_updates=["message", "callback_query"])


if __name__ == "__main__":
    main()
