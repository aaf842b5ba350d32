"""*Mon compte*: who the desk knows you as, and linking your Telegram account (a single-use code to send to the
bot: flows/advisors/linking.py). Without Telegram, an account works on the desk only."""

from __future__ import annotations

import datetime as dt
import secrets

from starlette.responses import Response

from storage.staff import LINK_TELEGRAM, ROLES
from web.access import ROLE_WORDS, Visit, page
from web.render import render

CODE_VALID = dt.timedelta(minutes=15)
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a screen, typed on a phone


def new_code() -> str:
    letters = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{letters[:4]}-{letters[4:]}"


def _page(visit: Visit, **extra: object) -> Response:
    return render(visit.request, "account.html", {"title": "Mon compte", "role": ROLE_WORDS[visit.role],
                                                  "linked": visit.agent.telegram_id is not None, **extra})


@page(*ROLES)
async def account(visit: Visit) -> Response:
    """GET /compte."""
    return _page(visit)


@page(*ROLES)
async def telegram_code(visit: Visit) -> Response:
    """POST /compte/telegram: a code to send to the bot from the Telegram account to link (valid 15 minutes)."""
    code = new_code()
    await visit.uow.staff.add_link(visit.agent.id, code, visit.now, CODE_VALID, purpose=LINK_TELEGRAM)
    return _page(visit, code=code, minutes=int(CODE_VALID.total_seconds() // 60))
