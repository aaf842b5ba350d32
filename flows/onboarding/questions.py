"""Onboarding: consent, then the profile questions of flows/profile/fields.py, in their order.

Every message is read for every field: what one message says is kept at once ("Noté : Sami, 21 ans,
Vanves."), and the next question is the first field still missing. The person can go back, skip what
is optional, correct an answer at any time, and pick up where they left off. Facts given before the
consent ("salut moi c'est Nour, 19 ans") wait in the conversation's scratch data and are kept only
once the person agrees (erased with everything if they refuse).
"""

from __future__ import annotations

import re
from typing import Any

from flows.data.contacts import all_structures
from flows.engine.events import BUTTON, TEXT
from flows.engine.script import INTENT_HANDLERS, Next, Option, Question, Step, on_command, on_unread
from flows.engine.turn import Turn
from flows.privacy import privacy
from flows.profile.fields import (
    ANSWERED,
    BY_NAME,
    DONE,
    FIELDS,
    MAX_AGE,
    MIN_AGE,
    NONE,
    REQUEST_INTENTS,
    Field,
    Found,
    answered_in,
    asks,
    label,
    negated,
    read_message,
)
from flows.profile.report_events import record_event
from flows.rules.formatting import join, months
from storage.report_events import CONSENT, FIRST_CONTACT, ONBOARDED

AFTER_ONBOARDING = "suggestions.welcome"  # then the ideas that fit (flows/suggestions/)
PENDING = "pending"  # scratch data: facts given before the consent

start = Step("onboarding.start")


def _field_steps() -> dict[str, Step]:
    """One step per field; "retour" goes to the previous field, "passer" is offered if optional."""
    steps: dict[str, Step] = {}
    for index, field in enumerate(FIELDS):
        back = FIELDS[index - 1].step if index else None
        following = FIELDS[index + 1].step if index + 1 < len(FIELDS) else "home"
        steps[field.name] = Step(field.step, back=back, skip=following if field.optional else None,
                                 free_text=field.name == "first_name")
    return steps


STEPS = _field_steps()
first_name, age, commune = STEPS["first_name"], STEPS["age"], STEPS["commune"]
commune_pick = Step("onboarding.commune_pick", back=commune.name)
age_confirm = Step("onboarding.age_confirm", back=age.name)
name_confirm = Step("onboarding.name_confirm", back=first_name.name)

# Asked in the middle of the questions: done right after them (the booking needs the town, the age).
LATER = {"book_appointment": "D'accord. Je te propose un rendez-vous juste après les questions."}
CLOSING = re.compile(
    r"^(?:non |nan |nn |bah |ben |ok |bon |euh |alors )*"
    r"(?:c ?est ?(?:tout|tt|bon|fini|ok)|c ?(?:tout|tou|tt|bon|fini|ok)|"
    r"rien d autre|rien de plus|pas d autre|fini|termine|ca (?:sera|ira) tout|ca ira|voila(?: tout)?|"
    r"non merci|non|nan|nn|no|rien|r|aucun|aucune|personne|that s all)\b"
)
# At a list question, words that take back what was ticked: "non en fait plutôt la logistique" replaces,
# "la logistique aussi" adds.
INSTEAD = re.compile(r"\b(?:plutot|a la place|finalement|en fait|enfait|change d avis)\b")
DONE_ALIASES = ("c est tout", "c tout", "cest tout", "c bon", "c est bon", "fini", "rien d autre", "voila")


# --- Consent ------------------------------------------------------------------------------


@start.ask
async def _(t: Turn) -> Question:
    if not t.data.get("counted"):  # anonymous count of first contacts, once per conversation
        t.data["counted"] = True
        await t.uow.stats.bump("conversations_started", privacy.local_day(t))
    if t.person.report_key is None:  # the report's first contact: once per person
        await record_event(t.uow, t.world.territory, t.person, FIRST_CONTACT, t.now)
    _keep_for_later(t, read_message(t, None))
    keep = months(t.world.settings.retention.profile_months)
    return Question(
        f"Pour t'aider, je garde tes réponses pendant {keep} après ton dernier message. "
        f"{privacy.WHO_SEES} Tu es d'accord ?",
        before=(
            "Salut ! Je suis Tremplin, le robot du Département des Hauts-de-Seine.",
            "Je t'aide à trouver une formation, un emploi ou une aide. "
            "Je prends aussi tes rendez-vous avec la mission locale.",
        ),
        options=(
            Option("yes", "D'accord", ("oui", "ok", "dac", "d'acc", "vas y", "go", "ouais", "oui vas y", "okay")),
            Option("no", "Non merci", ("non", "nan", "pas d'accord")),
            Option("more", "En savoir plus", ("pourquoi", "plus", "c'est quoi", "explique")),
        ),
        columns=1,
    )


@start.explain
async def _(t: Turn) -> Question:
    question = await start.question(t)
    question.before = ("Avant de commencer, je te demande si je peux garder tes réponses.",)
    return question


def _keep_for_later(t: Turn, found: dict[str, Found]) -> None:
    """Facts said before the consent wait in the scratch data (nothing is in the profile yet)."""
    if found:
        pending = t.data.setdefault(PENDING, {})
        pending.update({name: [f.value, f.weak, f.sure] for name, f in found.items()})


@start.answer
async def _(t: Turn) -> Next:
    answer = t.choice() if t.event.kind == BUTTON else _consent_in_words(t)
    if answer == "yes":
        version = t.world.settings.privacy.notice_version
        await t.uow.consents.record(t.person, given=True, notice_version=version, now=t.now)
        await t.uow.stats.bump("consents_given", privacy.local_day(t))
        await record_event(t.uow, t.world.territory, t.person, CONSENT, t.now)
        t.say("Merci ! Je te pose quelques questions, ça prend 2 minutes.")
        found = {name: Found(*values) for name, values in t.data.pop(PENDING, {}).items()}
        found.update(read_message(t, None))
        return await keep(t, found, current=None)
    if answer == "more":
        for text in privacy.notice_before_consent(t.world.settings):  # the same notice as /confidentialite
            t.say(text)
        return t.stay(reask=True)
    if answer == "no":
        t.say("Pas de souci, je ne garde rien. La mission locale peut t'aider sans moi :")
        t.say(all_structures(t.world.territory))
        t.say("Si tu changes d'avis, écris-moi « bonjour ».")
        await t.uow.stats.bump("consents_refused", privacy.local_day(t))
        await erase_person(t)
        return t.stay()
    _keep_for_later(t, read_message(t, None))
    return t.not_understood()


def _consent_in_words(t: Turn) -> str | None:
    chosen = t.choice()
    if chosen is not None:
        return chosen
    if t.is_intent("affirm") or re.match(r"^(?:ok|oui|ouais|dac|d accord|vas y|go|yes|oe)\b", t.folded):
        return "yes"
    if t.is_intent("deny"):
        return "no"
    return None


async def erase_person(t: Turn) -> None:
    """Keep nothing about this person (consent refused, or outside the public): every table, not only
    the profile (the inbox rows of their earlier messages carry their id too)."""
    await privacy.erase_everything(t, None)


# --- Keeping what a message says ------------------------------------------------------------


answered = answered_in


def _mark(t: Turn, field: Field) -> None:
    done = t.data.setdefault(ANSWERED, [])
    if field.name not in done:
        done.append(field.name)


async def store(t: Turn, field: Field, value: Any, *, answered: bool = True) -> None:
    """Write one answer to the profile (``answered=False``: a list named in passing, still to be asked)."""
    changes: dict[str, Any] = {field.name: value}
    if field.name == "age":
        changes["age_given_on"] = t.now.date()
    await t.uow.people.update(t.person, **changes)
    if answered:
        _mark(t, field)


async def keep(t: Turn, found: dict[str, Found], current: Field | None) -> Next:
    """Keep what one message says, say it back in one line, and go to the first question left."""
    said: list[str] = []
    confirm: Next | None = None
    for name, reading in found.items():
        field = BY_NAME[name]
        if reading.weak and answered(t, field):
            continue  # guessed from the gist: never over an answer
        value = reading.value
        if name == "age" and not MIN_AGE <= value <= MAX_AGE:
            t.data["age_to_confirm"] = value
            confirm = t.goto(age_confirm.name)
            continue
        if name == "first_name" and not reading.sure:
            t.data["name_to_confirm"] = value
            confirm = confirm or t.goto(name_confirm.name)
            continue
        if field.multiple:
            before = [] if _instead(t, field, current) else list(getattr(t.person, name) or [])
            value = _ticked(field, before, value)
            added = [v for v in value if v not in before]
            # Answered when it is this question, or the next one the person expects (they moved on).
            await store(t, field, value, answered=field is current or field is _following(t, current))
            if field is current:
                continue  # said below, the question stays open
            if added:
                said.append(field.said(t, added))
            continue
        await store(t, field, value)
        said.append(field.said(t, value))
    if said == [t.person.first_name] and "first_name" in found:
        t.say(f"Bienvenue, {t.person.first_name} !")
    elif said:
        t.say(f"Noté : {', '.join(said)}.")
    if confirm is not None:
        return confirm
    instead = current is not None and _instead(t, current, current)
    if current is not None and current.multiple and current.name in found and (instead or not _closing(t)):
        named = join([label(current.options, v).lower() for v in found[current.name].value])
        t.say(f"C'est noté : {named} à la place." if instead else f"J'ajoute : {named}.")
        if len(found) == 1:
            return t.stay(reask=True)
    return await next_question(t)


@on_unread
async def keep_in_passing(t: Turn) -> bool:
    """Facts given at a question that wanted something else ("Glodie" when the hand-off asks the town,
    "j'ai 19 ans" while booking): kept and said back, so they are not asked again. Only sure readings,
    and only once the person agreed that we keep their answers; nothing here needs a confirmation."""
    if t.event.kind != TEXT or t.person.consent_at is None or (t.sure and t.intent in REQUEST_INTENTS):
        return False
    found = read_message(t, None)
    first_name = BY_NAME["first_name"]
    if not answered(t, first_name) and (name := first_name.read(t, True)) is not None and name.sure:
        found.setdefault(first_name.name, name)  # a bare name, while the name is still to be asked
    said: list[str] = []
    for name, reading in found.items():
        field = BY_NAME[name]
        value = reading.value
        if reading.weak or not reading.sure or (name == "age" and not MIN_AGE <= value <= MAX_AGE):
            continue
        if field.multiple:
            before = list(getattr(t.person, name) or [])
            added = [v for v in value if v not in before]
            if added:
                await store(t, field, _ticked(field, before, added),
                            answered=False)
                said.append(field.said(t, added))
        elif getattr(t.person, name) != value:
            await store(t, field, value)
            said.append(field.said(t, value))
    if said:
        t.say(f"Noté : {', '.join(said)}.")
    return bool(said)


def _instead(t: Turn, field: Field, current: Field | None) -> bool:
    """At its own list question, the person takes back what they ticked ("non, plutôt la logistique")."""
    return field is current and field.multiple and bool(INSTEAD.search(t.folded))


def _ticked(field: Field, before: list[Any], more: list[Any]) -> list[Any]:
    """A list answer with more values ticked, in the order of the buttons."""
    return [o.value for o in field.options if o.value in before or o.value in more]


def _following(t: Turn, current: Field | None) -> Field | None:
    """The first field after ``current`` still to be asked."""
    if current is None:
        return None
    later = FIELDS[FIELDS.index(current) + 1:]
    return next((field for field in later if not answered(t, field)), None)


async def next_question(t: Turn) -> Next:
    """The first field still missing; the end of onboarding when none is (or back to /profil)."""
    if t.data.get("editing"):
        return t.done()
    for field in FIELDS:
        if not answered(t, field):
            return t.goto(field.step)
    return await finish(t)


def _closing(t: Turn) -> bool:
    return t.event.kind == TEXT and bool(CLOSING.match(t.folded))


NOTHING = re.compile(
    r"\b(?:jsp|je sais pas|jsais pas|chais pas|sais pas|je ne sais pas|aucune idee|pas encore|"
    r"pas de (?:probleme|souci|soucis|problemes)|aucun (?:probleme|souci)|rien de (?:special|particulier)|"
    r"tout va bien|ca va)\b"
)


def _nothing(t: Turn, field: Field) -> bool:
    """At a list question, "jsais pas encore", "pas de souci de santé ni rien": nothing to add."""
    if t.event.kind != TEXT:
        return False
    mentioned = [e for e in (t.parsed.entities if t.parsed else ()) if e.entity == field.entity]
    return bool(NOTHING.search(t.folded)) or (bool(mentioned) and all(negated(t, e.start) for e in mentioned))


# --- The questions --------------------------------------------------------------------------


def _question(t: Turn, field: Field) -> Question:
    if not field.multiple:
        return Question(field.question, before=(field.why,) if field.why else (), options=field.options_for(t),
                        columns=field.columns)
    selected = getattr(t.person, field.name) or []
    shown = [Option(o.value, ("✅ " if o.value in selected else "") + o.label, (o.label, *o.aliases))
             for o in field.options]
    noted = f"Pour l'instant, j'ai noté : {join([label(field.options, v).lower() for v in selected])}."
    return Question(
        field.question,
        before=tuple(text for text in (field.why, noted if selected else None) if text),
        options=[*shown, Option(NONE, field.none_label, ("rien", "aucun", "aucune", "je sais pas", "jsp")),
                 Option(DONE, "C'est tout", DONE_ALIASES)],
        columns=2,
    )


async def answer(t: Turn, field: Field) -> Next:
    """An answer to this field's question: a button, or words (read for every field)."""
    if t.event.kind == BUTTON:
        return await _pressed(t, field)
    found = read_message(t, field)
    if field.name == "commune" and not found:
        guesses = t.world.territory.guess_communes(t.text)
        if len(guesses) == 1:
            found = {"commune": Found(guesses[0].insee)}
        elif guesses:
            t.data["commune_guesses"] = [c.insee for c in guesses]
            return t.goto(commune_pick.name)
    if found:
        if field.name == "first_name" and "first_name" not in found:
            _mark(t, field)  # the person goes on without giving it: not asked again (/profil can add it)
        return await keep(t, found, current=field)
    if asks(t) and not (t.sure and t.intent in REQUEST_INTENTS) and field.why:
        return t.stay(field.why, reask=True)  # "c'est quoi le RSA ?": why we ask, then the question again
    if field.multiple and (t.choice() in (DONE, NONE) or _closing(t) or t.is_intent("deny") or _nothing(t, field)):
        _mark(t, field)  # "c'est tout", "rien", "jsp": the question closes with what was chosen
        return await _after_list(t, field)
    return t.not_understood()


async def _pressed(t: Turn, field: Field) -> Next:
    value = t.button
    if field.multiple:
        selected = list(getattr(t.person, field.name) or [])
        if value == DONE:
            _mark(t, field)
            return await _after_list(t, field)
        if value == NONE:
            await store(t, field, [])
            return await _after_list(t, field)
        if value in {o.value for o in field.options}:
            await store(t, field, [o.value for o in field.options if (o.value in selected) != (o.value == value)])
            return t.stay(redraw=True)
        return t.not_understood()
    if field.name == "age" and value in ("under", "over"):
        t.data["age_to_confirm"] = value
        return t.goto(age_confirm.name)
    if value is None or value not in {o.value for o in field.options_for(t)}:
        return t.not_understood()
    return await keep(t, {field.name: Found(field.from_option(value))}, current=field)


async def _after_list(t: Turn, field: Field) -> Next:
    selected = getattr(t.person, field.name) or []
    t.say(f"Noté : {join([label(field.options, v).lower() for v in selected]) or 'rien pour l’instant'}.")
    return await next_question(t)


def _register(field: Field) -> None:
    step = STEPS[field.name]

    async def ask(t: Turn) -> Question:
        return _question(t, field)

    async def handle(t: Turn) -> Next:
        return await answer(t, field)

    async def explain(t: Turn) -> Question:
        question = _question(t, field)
        question.before = (field.explain,) if field.explain else ()
        return question

    async def skipped(t: Turn) -> Next:
        _mark(t, field)
        return await next_question(t)

    def understands(t: Turn) -> bool:
        return bool(read_message(t, field)) or (field.name == "commune" and bool(
            t.world.territory.guess_communes(t.text)))

    async def resumed(t: Turn) -> Next | None:
        return await next_question(t) if answered(t, field) else None

    step.ask(ask)
    step.answer(handle)
    step.explain(explain)
    step.on_skip = skipped
    step.understands = understands
    step.on_resume = resumed
    step.later = LATER


for _field in FIELDS:
    _register(_field)


# --- End ----------------------------------------------------------------------------------


async def finish(t: Turn) -> Next:
    """Mark the profile complete and go on to what the assistant offers."""
    if t.person.onboarded_at is None:
        await t.uow.people.update(t.person, onboarded_at=t.now)
        await t.uow.stats.bump("onboardings_completed", privacy.local_day(t))
        await record_event(t.uow, t.world.territory, t.person, ONBOARDED, t.now)
    name = f", {t.person.first_name}" if t.person.first_name else ""
    t.say(f"Merci{name} ! C'est fini pour les questions. Tu peux changer tes réponses avec /profil.")
    later = t.data.pop("later", None)
    if later in INTENT_HANDLERS:
        return await INTENT_HANDLERS[later](t)
    return t.goto(AFTER_ONBOARDING)


@on_command("start", "Commencer ou reprendre", rank=10)
async def start_command(t: Turn) -> Next:
    """/start: begin, or pick up where we were."""
    step = t.conversation.step
    if step is None or step == start.name:
        return t.goto(start.name)
    name = f" {t.person.first_name}" if t.person.first_name else ""
    return t.resume(f"Re-bonjour{name} ! On reprend.")
