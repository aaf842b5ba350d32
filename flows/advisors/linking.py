"""Linking a member of the staff's Telegram account to their desk account: the desk shows a single-use code
(web/account.py), they send "/relier CODE" to the bot from that Telegram account. Proving the account by
typing the code from it means nobody links a Telegram account that is not theirs (an id typed on a form would).

From then on the bot knows them as an advisor (flows/engine/advisor_turn.py): hand-offs of their structure, the
advisor commands. The command is not in the young people's menu.
"""

from __future__ import annotations

from flows.engine.script import Next, on_command
from flows.engine.turn import Turn
from storage.staff import LINK_TELEGRAM

CODE_LENGTH = 9  # "ABCD-EFGH": what the desk shows


def code_in(text: str) -> str:
    """The code typed after /relier, in the form the desk shows it ("abcd efgh" → "ABCD-EFGH")."""
    letters = "".join(ch for ch in text.upper() if ch.isalnum())
    return f"{letters[:4]}-{letters[4:8]}" if len(letters) == 8 else letters


@on_command("relier")
async def link_telegram(t: Turn) -> Next:
    """/relier CODE: this Telegram account becomes the desk account's (words for the staff: *vous*)."""
    typed = t.text.split(maxsplit=1)[1] if len(t.text.split(maxsplit=1)) > 1 else ""
    code = code_in(typed)
    if len(code) != CODE_LENGTH:
        t.say("Écrivez /relier suivi du code affiché sur le bureau des conseillers, par exemple /relier ABCD-EFGH.")
        return t.stay()
    agent = await t.uow.staff.use_link(code, t.now, purpose=LINK_TELEGRAM)
    telegram_id = int(t.person.external_id) if t.person.channel == "telegram" and t.person.external_id.isdigit() \
        else None
    if agent is None or telegram_id is None:
        t.say("Ce code n'est pas valable, ou plus. Demandez-en un autre sur le bureau des conseillers.")
        return t.stay()
    other = await t.uow.structures.agent_by_telegram_id(telegram_id)
    if other is not None and other.id != agent.id:
        t.say("Ce compte Telegram est déjà relié à un autre compte du bureau. Demandez à l'exploitation.")
        return t.stay()
    agent.telegram_id = telegram_id
    t.say(f"C'est fait, {agent.display_name} : ce compte Telegram est relié au bureau des conseillers. "
          "Les demandes de votre structure vous arriveront ici. Vos commandes : /aide.")
    return t.stay()
