"""``tremplin advisors``: the operator registers the advisors who receive hand-offs and use the bot.

A member of the staff is an agent (the same rows as the agendas' agents, found by Telegram id or e-mail) with
a role on the desk (``--role``: advisor, manager, departement, operator) and an e-mail to sign in there. An
advisor's Telegram id is what the bot checks, at every message, before letting anyone use an advisor command
or button: without one, an account uses the desk only.

- ``add --structure X --email E [--telegram-id N] [--name "Nadia B."] [--role manager]``: register, or update
  (the Telegram id and the e-mail each find the agent; naming two different agents is refused);
- ``list [--structure X]``: the registered advisors;
- ``remove --telegram-id N`` (or ``--email E``): the account is no longer an advisor. The agent stays
  (their opening hours and appointments are the agenda's), without a Telegram id.

The Telegram id is the advisor's numeric user id (bots such as @userinfobot show it); they must have
started a conversation with the bot (/start) for it to be able to write to them.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from bot.cli_common import config_of, fail, run_in_transaction
from storage.staff import ADVISOR, ROLES, STRUCTURE_ROLES
from storage.structures import AgentConflict

advisors_app = typer.Typer(help="Advisors: who receives hand-offs and may use the advisor commands.",
                           no_args_is_help=True)

TelegramId = Annotated[int | None, typer.Option("--telegram-id", min=1, help="The advisor's Telegram user id.")]
Email = Annotated[str | None, typer.Option("--email", help="The advisor's work e-mail (hand-off summaries).")]




def _check_email(email: str | None) -> str | None:
    if email is None:
        return None
    email = email.strip().lower()
    if "@" not in email or " " in email or email.startswith("@") or email.endswith("@"):
        fail(f"--email: expected an e-mail address, not {email!r}")
    return email


@advisors_app.command("add")
def add(
    ctx: typer.Context,
    structure: Annotated[str | None, typer.Option("--structure", help="Their structure's id, e.g. ml-nanterre "
                                                  "(advisors and managers).")] = None,
    telegram_id: TelegramId = None,
    email: Email = None,
    name: Annotated[str | None, typer.Option("--name", help="How young people will see them, e.g. \"Nadia B.\".")
                    ] = None,
    role: Annotated[str, typer.Option("--role", help=f"On the desk: {', '.join(ROLES)}.")] = ADVISOR,
) -> None:
    """Register a member of the staff (or update one): an advisor gets hand-offs of their structure and the
    advisor commands on Telegram (with --telegram-id); every account signs in to the desk with its --email."""
    cfg = config_of(ctx)
    email = _check_email(email)
    if telegram_id is None and email is None:
        fail("give --email (the desk's sign-in) or --telegram-id (the advisor commands), or both")
    if name is not None and not 1 <= len(name.strip()) <= 120:
        fail("--name: 1 to 120 characters")
    if role not in ROLES:
        fail(f"--role: expected one of {', '.join(ROLES)}")
    if (role in STRUCTURE_ROLES) != (structure is not None):
        fail("--structure: required for an advisor or a manager, and only for them")

    async def work(uow: Any) -> str:
        known = [s.id for s in await uow.structures.structures()]
        if structure is not None and structure not in known:
            fail(f"--structure: '{structure}' is not a structure of data/missions_locales.yml "
                 f"(expected one of: {', '.join(known)})")
        young = await uow.people.find("telegram", str(telegram_id)) if telegram_id is not None else None
        try:
            agent = await uow.structures.upsert_agent(structure_id=structure, display_name=name and name.strip(),
                                                      email=email, telegram_id=telegram_id)
        except AgentConflict:
            fail("--telegram-id and --email belong to two different advisors: remove one first "
                 "(tremplin advisors remove)")
        await uow.staff.set_role(agent, role)
        warning = ("\nNote: this Telegram account also talked to the bot as a young person; "
                   "it is an advisor from now on.") if young is not None else ""
        return (f"{role.capitalize()} {agent.id} ({agent.display_name}) of {agent.structure_id or 'every structure'}:"
                f" Telegram {agent.telegram_id or '-'}, e-mail {agent.email or '-'}.{warning}")

    typer.echo(run_in_transaction(cfg, work))


@advisors_app.command("list")
def list_(
    ctx: typer.Context,
    structure: Annotated[str | None, typer.Option("--structure", help="Only this structure.")] = None,
) -> None:
    """The registered advisors (agents with a Telegram id)."""
    cfg = config_of(ctx)

    async def work(uow: Any) -> list[str]:
        agents = [a for a in await uow.structures.agents(structure) if a.telegram_id is not None]
        return [f"{a.id}\t{a.structure_id}\t{a.display_name}\t{a.telegram_id}\t{a.email or '-'}" for a in agents]

    lines = run_in_transaction(cfg, work)
    if not lines:
        typer.echo(f"No advisor registered for {structure}." if structure
                   else "No advisor registered. Add one: tremplin advisors add")
        return
    typer.echo("id\tstructure\tname\ttelegram id\te-mail")
    for line in lines:
        typer.echo(line)


@advisors_app.command("remove")
def remove(ctx: typer.Context, telegram_id: TelegramId = None, email: Email = None) -> None:
    """The account is no longer an advisor (the agent and their agenda stay)."""
    cfg = config_of(ctx)
    email = _check_email(email)
    if (telegram_id is None) == (email is None):
        fail("give --telegram-id or --email (one of them)")

    async def work(uow: Any) -> str:
        if telegram_id is not None:
            agent = await uow.structures.agent_by_telegram_id(telegram_id)
        else:
            agent = await uow.structures.agent_by_email(email)
        if agent is None or agent.telegram_id is None:
            fail("No advisor with this " + ("Telegram id." if telegram_id is not None else "e-mail."))
        agent.telegram_id = None  # what makes an advisor: from the next message on, their commands are refused
        await uow.session.flush()
        return f"Advisor {agent.id} ({agent.display_name}) removed: no advisor commands, no more hand-offs."

    typer.echo(run_in_transaction(cfg, work))
