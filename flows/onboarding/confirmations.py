"""Answers asked back before they are kept: a town name that could be several communes, an age outside
16-25 (confirmed before anything is erased), a first name that is not in the list."""

from __future__ import annotations

import re
from typing import Any

from flows.data.contacts import all_structures
from flows.engine.events import TEXT
from flows.engine.script import Next, Option, Question
from flows.engine.turn import Turn
from flows.onboarding.questions import (
    age,
    age_confirm,
    commune,
    commune_pick,
    erase_person,
    first_name,
    keep,
    name_confirm,
)
from flows.privacy import privacy
from flows.profile.fields import BY_NAME, MIN_AGE, Found, read_message

# --- Town: when the name typed could be several -------------------------------------------


@commune_pick.ask
async def _(t: Turn) -> Question:
    guesses = [c for insee in t.data.get("commune_guesses", []) if (c := t.world.territory.commune(insee))]
    return Question(
        "Tu veux dire… ?",
        options=[Option(c.insee, c.name) for c in guesses] + [Option("_other", "Une autre ville")],
        columns=1,
    )


@commune_pick.answer
async def _(t: Turn) -> Next:
    chosen = t.choice()
    if chosen == "_other":
        return t.goto(commune.name)
    if chosen and t.world.territory.commune(chosen):
        t.data.pop("commune_guesses", None)
        return await keep(t, {"commune": Found(chosen)}, current=BY_NAME["commune"])
    return await commune.handle(t)


# --- Age outside 16-25: asked to confirm before anything is erased ----------------------------


def _age_words(value: Any) -> str:
    return {"under": "moins de 16 ans", "over": "plus de 25 ans"}.get(value, f"{value} ans")


@age_confirm.ask
async def _(t: Turn) -> Question:
    value = t.data.get("age_to_confirm")
    return Question(
        f"Tu as bien {_age_words(value)} ?",
        before=("Tremplin est pour les 16-25 ans. Si c'est bien ton âge, je ne peux rien garder sur toi.",),
        options=(Option("yes", "Oui, c'est ça", ("oui", "ouais", "oui c est ca", "c est ca", "exact")),
                 Option("no", "Non, je corrige", ("non", "nan", "je me suis trompe", "erreur", "non je corrige"))),
        columns=1,
    )


@age_confirm.answer
async def _(t: Turn) -> Next:
    number = re.search(r"\b(\d{1,2})\b", t.folded) if t.event.kind == TEXT else None
    if number is not None and int(number.group(1)) == t.data.get("age_to_confirm"):
        t.data.pop("age_to_confirm")  # the same age again: "oui j'ai 30 ans"
        return await outside_public(t, under=int(number.group(1)) < MIN_AGE)
    if number is not None:
        t.data.pop("age_to_confirm", None)  # another age: "non 19", "mdr non j'ai 20 ans"
        return await keep(t, {"age": Found(int(number.group(1)))}, current=BY_NAME["age"])
    chosen = t.choice() or ("yes" if t.is_intent("affirm") else "no" if t.is_intent("deny") else None)
    if chosen == "no":
        t.data.pop("age_to_confirm", None)
        return t.goto(age.name, say="D'accord.")
    if chosen == "yes":
        value = t.data.pop("age_to_confirm", None)
        return await outside_public(t, under=value == "under" or (isinstance(value, int) and value < MIN_AGE))
    return t.not_understood()


async def outside_public(t: Turn, *, under: bool) -> Next:
    """Confirmed outside 16-25: say who can help, and keep nothing."""
    if under:
        t.say("Merci de me l'avoir dit. Tremplin est pour les 16-25 ans, alors je ne garde rien sur toi.")
        t.say(
            "Tu peux en parler à un adulte de confiance (au collège : la vie scolaire, l'infirmerie). "
            "Fil Santé Jeunes répond aussi : 0 800 235 236, gratuit et anonyme."
        )
        t.say(f"Les missions locales répondent aussi aux questions :\n{all_structures(t.world.territory)}")
    else:
        t.say("Tremplin est pour les 16-25 ans, alors je ne garde rien sur toi.")
        t.say(
            "Pour toi, le bon contact est France Travail (l'ancien Pôle emploi) : 3949. "
            "Si tu touches le RSA (revenu de solidarité active), le Département peut aussi t'aider."
        )
    await t.uow.stats.bump("outside_public", privacy.local_day(t))
    await erase_person(t)
    return t.stay()


# --- A first name that is not in the list: asked back ---------------------------------------


@name_confirm.ask
async def _(t: Turn) -> Question:
    return Question(
        f"Je t'appelle {t.data.get('name_to_confirm', '')} ?",
        options=(Option("yes", "Oui", ("oui", "ouais", "c est ca", "exact", "yes", "ok")),
                 Option("no", "Non", ("non", "nan", "pas du tout"))),
        columns=2,
    )


@name_confirm.answer
async def _(t: Turn) -> Next:
    chosen = t.choice() or ("yes" if t.is_intent("affirm") else "no" if t.is_intent("deny") else None)
    name = t.data.pop("name_to_confirm", None)
    if chosen == "yes" and name:
        return await keep(t, {"first_name": Found(name)}, current=BY_NAME["first_name"])
    if chosen == "no":
        return t.goto(first_name.name, say="D'accord.")
    found = read_message(t, BY_NAME["first_name"])
    if "first_name" in found:
        found["first_name"] = Found(found["first_name"].value)  # said again: that is the name
        return await keep(t, found, current=BY_NAME["first_name"])
    if found and name:  # the person goes on without saying no: the name stands
        return await keep(t, {"first_name": Found(name), **found}, current=None)
    t.data["name_to_confirm"] = name
    return t.not_understood()
