"""Home: what the assistant offers once onboarding is done, and the small talk around it."""

from __future__ import annotations

from flows.engine.script import (
    COMMAND_HANDLERS,
    INTENT_HANDLERS,
    STEPS,
    Next,
    Option,
    Question,
    Step,
    on_action,
    on_intent,
)
from flows.engine.turn import Turn

home = Step("home", open_ended=True)

# (value, label, how it is handled: ("command" | "intent", name))
MENU = (
    ("idees", "Des idées pour moi", ("command", "idees")),
    ("rdv", "Un rendez-vous", ("intent", "book_appointment")),
    ("humain", "Parler à quelqu'un", ("intent", "talk_to_advisor")),
    ("profil", "Mon profil", ("command", "profil")),
)


def _available() -> list[tuple[str, str, tuple[str, str]]]:
    tables = {"command": COMMAND_HANDLERS, "intent": INTENT_HANDLERS}
    return [entry for entry in MENU if entry[2][1] in tables[entry[2][0]]]


@home.ask
async def _(t: Turn) -> Question:
    return Question(
        "Qu'est-ce que je peux faire pour toi ?",
        options=[Option(value, label) for value, label, _ in _available()],
    )


@home.answer
async def _(t: Turn) -> Next:
    chosen = t.choice()
    for value, _, (kind, name) in _available():
        if value == chosen:
            handler = COMMAND_HANDLERS[name] if kind == "command" else INTENT_HANDLERS[name]
            return await handler(t)
    return t.not_understood()


@on_action("intent")
async def run_chosen_intent(t: Turn) -> Next:
    """A "tu voulais dire ... ?" or menu button: run that intent as if it had been typed."""
    handler = INTENT_HANDLERS.get(t.argument)
    if handler is None:
        step = STEPS.get(t.conversation.step or home.name)
        if step is not None and not step.open_ended:  # a question waits for its answer: back to it
            return t.resume("D'accord, on continue.")
        return t.resume("D'accord. Dis-moi avec d'autres mots ce que tu cherches.")
    return await handler(t)


@on_action("resume")
async def resume(t: Turn) -> Next:
    """Go back to the question in progress."""
    return t.resume("D'accord, on continue.")


@on_intent("greet")
async def greet(t: Turn) -> Next:
    """Hello back, then the question in progress."""
    name = f" {t.person.first_name}" if t.person.first_name else ""
    # "Re-" once something was answered: a newcomer greeted first (/start) says hello back to the first question.
    if t.conversation.step not in (None, home.name) and t.person.consent_at is not None:
        return t.resume(f"Re-bonjour{name} ! On reprend là où on s'était arrêtés.")
    return t.resume(f"Salut{name} !")


@on_intent("thanks")
async def thanks(t: Turn) -> Next:
    """You're welcome."""
    return t.resume("Avec plaisir !") if t.conversation.step not in (None, home.name) else t.done("Avec plaisir !")


@on_intent("goodbye")
async def goodbye(t: Turn) -> Next:
    """See you; the state stays where it is, to resume later."""
    t.say("À bientôt ! Écris-moi quand tu veux, je reprendrai là où on en était.")
    return t.stay()


@on_intent("out_of_scope")
async def out_of_scope(t: Turn) -> Next:
    """Kindly say what the assistant is for."""
    t.say("Je suis un robot : je parle seulement de formation, d'emploi et d'aides.")
    return t.resume()
