"""Suggestions: ideas of trainings, jobs, programmes and support that fit the person, and why.

Reached at the end of onboarding ("J'ai des idées pour toi"), with /idees, and from the intents
find_job, find_training, find_apprenticeship, financial_aid and social_support, whose entities narrow
the search for that request ("une formation en logistique à Nanterre"; ``flows.suggestions.requests``).

The ideas come three at a time as short cards, one message each (``flows.suggestions.cards``). Under
each card, "Plus d'infos" and "Ça m'intéresse"; under the last one, "Autre chose" (the next ideas) and
"Prendre rendez-vous" (``flows.suggestions.actions``). The list is computed again at every page from the
current profile, so an old "Autre chose" never shows something the person can no longer enter. A card
can also be named in words, "le 2e", "et le cariste ?" (``flows.suggestions.references``).
"""

from __future__ import annotations

import re

from flows.engine.script import Next, Option, Question, Step, on_action, on_command, on_intent
from flows.engine.turn import Turn
from flows.home.home import home
from flows.onboarding.questions import start as onboarding_start
from flows.profile.fields import OBSTACLES
from flows.profile.report_events import record_event
from flows.suggestions.actions import appointment_label, book, booked, card_buttons, last_buttons
from flows.suggestions.cards import STATE, any_idea, card, ranked_with_offers
from flows.suggestions.matching import OBSTACLE_ORDER, PAGE, SECTOR_IN, Request
from flows.suggestions.references import refer, resolve
from flows.suggestions.requests import INTENT_REQUESTS, narrowed, topics_in
from storage.report_events import SUGGESTION_SHOWN

welcome = Step("suggestions.welcome")  # after onboarding: offer to show the ideas
ideas = Step("suggestions.ideas", open_ended=True)  # the cards; asked again, a short "d'autres idées ?"
topic = Step("suggestions.topic")  # "une aide" without saying for what
SUGGESTION_STEPS = (welcome, ideas, topic)  # from one of them, another is reached by goto, not call

MAX_SHOWN = 60

MORE_WORDS = {"autre chose", "autre", "autres", "d autres", "d autres idees", "suivant", "encore", "la suite",
              "plus", "d autre"}
MENU_WORDS = {"menu", "plus tard", "non merci", "stop", "c est bon", "rien", "pas maintenant"}
BOOK_WORDS = {"rdv", "rendez vous", "prendre rendez vous", "un rdv", "un rendez vous"}
# Typed instead of pressed: understood here first, because the NLU may hear "ça m'intéresse" as a "no".
INTEREST = re.compile(r"\b(interess\w*|ca me plait|ca me tente|je garde|garde la)\b")
TOPIC_LABELS = {o.value: o.label for o in OBSTACLES}


# --- Entry points ---------------------------------------------------------------------------


def _not_ready(t: Turn) -> Next | None:
    """Before the profile is complete: say what is possible, then the question in progress."""
    if t.person.onboarded_at is not None:
        return None
    t.say("Je peux te proposer des formations, des métiers et des aides près de chez toi.")
    t.say("Il me faut d'abord tes réponses. On finit les questions ?")
    if t.conversation.step is None:
        return t.goto(onboarding_start.name)
    return t.resume()


def _enter(t: Turn, step: Step) -> Next:
    """Go to a suggestions question; from elsewhere in a script, come back there afterwards."""
    current = t.conversation.step
    if current in (None, home.name, *(s.name for s in SUGGESTION_STEPS)):
        return t.goto(step.name)
    return t.call(step.name)


async def open_ideas(t: Turn, request: Request) -> Next:
    """Show the first cards for this request."""
    t.data[STATE] = {"req": request.to_data(), "shown": [], "fresh": True}
    return _enter(t, ideas)


@on_command("idees", "Des idées pour toi", rank=30)
async def ideas_command(t: Turn) -> Next:
    """/idees: the ideas for the profile as it is."""
    if (stop := _not_ready(t)) is not None:
        return stop
    return await open_ideas(t, Request())


@on_intent("find_job", offer="Trouver un emploi")
@on_intent("find_training", offer="Trouver une formation")
@on_intent("find_apprenticeship", offer="Trouver une alternance")
@on_intent("financial_aid", offer="Les aides financières")
async def find(t: Turn) -> Next:
    """"je cherche une formation en logistique à Nanterre": the ideas for that request."""
    if (stop := _not_ready(t)) is not None:
        return stop
    base = INTENT_REQUESTS.get(t.intent or "", Request())
    return await open_ideas(t, await narrowed(t, base))


@on_intent("social_support", offer="Une aide (logement, santé…)")
async def support(t: Turn) -> Next:
    """"j'ai besoin d'un logement": the support services for what the person names, or asks for."""
    if (stop := _not_ready(t)) is not None:
        return stop
    topics = topics_in(t.text) or [o for o in OBSTACLE_ORDER if o in (t.person.obstacles or [])]
    if not topics:
        return _enter(t, topic)
    return await open_ideas(t, await narrowed(t, Request(topics=tuple(topics))))


# --- The questions --------------------------------------------------------------------------


def _options(*values: str, upcoming: bool = False) -> list[Option]:
    rdv = Option("rdv", appointment_label(upcoming), ("rdv", "rendez-vous", "mon rdv", "conseiller"))
    known = {
        "more": Option("more", "Autre chose", ("autre", "d'autres idées", "encore", "suite")),
        "again": Option("again", "Revoir les idées", ("revoir", "recommencer", "du debut")),
        "all": Option("all", "Toutes mes idées", ("toutes", "tout", "autres idees")),
        "rdv": rdv,
        "menu": Option("menu", "Menu", ("retour", "plus tard", "non merci")),
        "show": Option("show", "Montre-moi", ("oui", "ok", "vas y", "go", "montre", "d'accord", "ouais")),
        "later": Option("later", "Plus tard", ("non", "pas maintenant", "nan")),
    }
    return [known[v] for v in values]


@welcome.ask
async def _(t: Turn) -> Question:
    if not any_idea(t):
        return _nothing(t, Request(), upcoming=await booked(t))
    return Question("J'ai trouvé des idées pour toi, d'après tes réponses. Je te les montre ?",
                    options=_options("show", "later"))


@welcome.answer
async def _(t: Turn) -> Next:
    chosen = t.choice()
    if chosen is None and (INTEREST.search(t.folded) or t.is_intent("affirm")):
        chosen = "show"
    elif chosen is None and t.is_intent("deny"):
        chosen = "later"
    if chosen == "show":
        return await open_ideas(t, Request())
    if chosen == "later":
        return t.done("D'accord. Écris /idees quand tu veux les voir.")
    return await _answer_common(t, chosen)


@ideas.ask
async def _(t: Turn) -> Question:
    state = t.data.setdefault(STATE, {"req": {}, "shown": [], "fresh": True})
    upcoming = await booked(t)
    if not state.get("fresh"):
        return Question("Tu veux d'autres idées ?", options=_options("more", "rdv", "menu", upcoming=upcoming))
    state["fresh"] = False
    request = Request.from_data(state.get("req"))
    found = await ranked_with_offers(t, request)
    shown = list(state.get("shown") or [])
    page = [s for s in found if s.offer.ref not in shown][:PAGE]
    narrowed_to_paths = request != Request() and not request.topics
    if not found or (narrowed_to_paths and not any(s.offer.role == "path" for s in found)):
        # "a job in logistics" answered with support alone is "nothing found"
        return _nothing(t, request, upcoming=upcoming)
    if not page:
        return Question("C'est tout ce que j'ai pour l'instant. La mission locale peut chercher plus loin avec toi.",
                        options=_options("rdv", "again", "menu", upcoming=upcoming), columns=1)
    state["shown"] = [*shown, *(s.offer.ref for s in page)][-MAX_SHOWN:]
    state["page"] = [s.offer.ref for s in page]
    more = len(found) > len(shown) + len(page)
    for suggestion in page:
        await record_event(t.uow, t.world.territory, t.person, SUGGESTION_SHOWN, t.now,
                           detail=f"{suggestion.offer.kind}:{suggestion.offer.secteur or '-'}")
    for suggestion in page[:-1]:
        t.say(card(t, suggestion), buttons=card_buttons(t, suggestion.offer))
    last = page[-1]
    offers = t.world.offers is not None and any(s.offer.kind == "offer" for s in page)  # alerts need a source
    return Question(card(t, last), extra_buttons=[*card_buttons(t, last.offer),
                                                  *last_buttons(t, more, upcoming, offers=offers)])


@ideas.explain
async def _(t: Turn) -> Question:
    return Question("Appuie sur un bouton sous une idée. Ou écris « autre chose » pour d'autres idées.",
                    options=_options("more", "rdv", "menu", upcoming=await booked(t)))


@ideas.answer
async def _(t: Turn) -> Next:
    return await _answer_common(t, t.choice())


def _nothing(t: Turn, request: Request, *, upcoming: bool) -> Question:
    """Nothing fits: say so plainly, and offer a person (and the wider list when the request was narrow)."""
    narrow = request != Request()
    if request.secteur:
        said = f"Je n'ai rien trouvé {SECTOR_IN[request.secteur]} pour toi."
    elif request.topics:
        said = f"Je n'ai pas trouvé d'aide « {TOPIC_LABELS.get(request.topics[0], '').lower()} » pour toi."
    else:
        said = "Je n'ai pas trouvé d'idée pour toi dans ma liste."
    options = ["rdv", "all", "menu"] if narrow and any_idea(t) else ["rdv", "menu"]
    return Question(f"{said} La mission locale peut chercher avec toi.", options=_options(*options, upcoming=upcoming),
                    columns=1)


async def _answer_common(t: Turn, chosen: str | None) -> Next:
    folded = t.folded
    plain = chosen is None and folded not in MORE_WORDS | MENU_WORDS | BOOK_WORDS
    if plain and (referred := await refer(t)) is not None:
        return referred
    if chosen == "more" or (chosen is None and folded in MORE_WORDS):
        return await more_ideas(t)
    if chosen == "again":
        state = t.data.setdefault(STATE, {"req": {}})
        state.update(shown=[], fresh=True)
        return t.goto(ideas.name)
    if chosen == "all":
        return await open_ideas(t, Request())
    if chosen == "rdv" or (chosen is None and folded in BOOK_WORDS):
        return await book(t)
    if chosen == "menu" or (chosen is None and (folded in MENU_WORDS or t.is_intent("deny"))):
        return t.done("D'accord.")
    return t.not_understood()


@topic.ask
async def _(t: Turn) -> Question:
    return Question("Je peux t'aider à trouver une aide. C'est pour quoi ?",
                    options=[*OBSTACLES, Option("menu", "Autre chose", ("rien", "autre"))])


@topic.answer
async def _(t: Turn) -> Next:
    chosen = t.choice()
    if chosen in TOPIC_LABELS:
        return await open_ideas(t, Request(topics=(chosen,)))
    if topics := topics_in(t.text):
        return await open_ideas(t, Request(topics=tuple(topics)))
    if chosen == "menu":
        return t.done("D'accord. Tu peux aussi en parler à ta mission locale.")
    return t.not_understood()


# --- "Autre chose" -------------------------------------------------------------------------


@on_action("sg_more")
async def more_ideas(t: Turn) -> Next:
    """"Autre chose": the next ideas of the same request (computed again from the current profile)."""
    if (stop := _not_ready(t)) is not None:
        return stop
    state = t.data.setdefault(STATE, {"req": {}, "shown": []})
    state["fresh"] = True
    return _enter(t, ideas)


async def _after_another_flow(t: Turn) -> Next | None:
    """Back at the ideas after something else (a booking, a hand-off, /mes_donnees): their follow-up ("d'autres
    idées ?") is a choice of what to do next, and that choice was made meanwhile. Nothing waits for an answer
    here: the conversation goes on to the home menu rather than asking it again."""
    return t.done()


# A card named in words ("le 2e", "et le cariste ?") is an answer to the cards on screen.
ideas.understands = lambda t: resolve(t) is not None
ideas.on_resume = _after_another_flow
