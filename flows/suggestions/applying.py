""""Je postule" under a live offer: its link, help from the advisor, and a kind follow-up a few days later.

The offer is kept with the saved ideas (``saved_suggestions``, kind "offer"): the advisor sees it in the
hand-off summary ("Idées gardées"), and what the person answers to the follow-up is written in it
("candidature envoyée : pas encore de réponse"). The follow-up is a planned message under the nudges' rules
(flows/nudges/policy.py ``FOLLOW_UP``: quiet hours, /rappels, "stop").
"""

from __future__ import annotations

import datetime as dt

from flows.data.catalogue import Offer
from flows.data.live_offers import LiveOffer
from flows.engine.script import ActionButton, Next, on_action
from flows.engine.turn import Turn
from flows.nudges.policy import FOLLOW_UP
from flows.profile.report_events import record_event
from flows.rules.quiet_hours import QuietHours
from flows.suggestions.cards import STATE
from flows.suggestions.live import live_ref, live_suggestions
from flows.suggestions.matching import Profile, Request
from storage.report_events import SUGGESTION_SAVED

FOLLOW_UP_AFTER = dt.timedelta(days=4)
KIND_FOLLOW_UP = "offer_follow_up"
NEWS = {  # the follow-up's answers: what the advisor reads, what the person reads back
    "r": ("réponse reçue", "Bravo ! Je le note pour ta mission locale."),
    "w": ("pas encore de réponse", "C'est normal, ça prend du temps. Je le note pour ta mission locale."),
    "h": ("besoin d'aide", "D'accord. La mission locale peut t'aider à préparer la suite."),
}


async def find_live(t: Turn, ref: str) -> Offer | None:
    """The live offer with this ref, among the person's current offers (the cache answers: no new search)."""
    profile = Profile.of(t.person)
    state = t.data.get(STATE) or {}
    requests = [Request.from_data(state.get("req")), Request()] if state.get("req") else [Request()]
    for request in requests:
        for suggestion in await live_suggestions(t, profile, request):
            if suggestion.offer.ref == ref:
                return suggestion.offer
    return None


def saved_title(offer: Offer, news: str = "candidature envoyée") -> str:
    live = offer.entry
    employer = f", {live.employer}" if isinstance(live, LiveOffer) and live.employer else ""
    return f"Offre : {offer.title}{employer} ({news})"


@on_action("of_apply")
async def apply(t: Turn) -> Next:
    """"Je postule": the link, and an offer of help; the offer kept for the advisor, a follow-up planned."""
    offer = await find_live(t, t.argument) if t.argument else None
    if offer is None or not isinstance(offer.entry, LiveOffer):
        t.say("Cette offre n'est plus dans ma liste. Écris /idees pour voir les nouvelles.")
        return t.stay()
    live = offer.entry
    t.say(f"Pour postuler, c'est ici :\n{live.url}" if live.url else "Postule auprès de l'employeur de l'offre.")
    t.say("Tu veux de l'aide pour ta candidature ? La mission locale peut préparer ta lettre avec toi.",
          buttons=[t.action("Aide pour postuler", "handoff", "asked")])
    if t.person.consent_at is None:
        return t.stay()  # nothing kept without consent: no follow-up either
    if await t.uow.suggestions.save(t.person.id, offer.id, "offer", saved_title(offer), t.now):
        await record_event(t.uow, t.world.territory, t.person, SUGGESTION_SAVED, t.now,
                           detail=f"offer:{offer.secteur or '-'}")
    quiet = QuietHours.of(t.world.settings)
    due_at = quiet.next_allowed(t.now + FOLLOW_UP_AFTER)
    name = f" {t.person.first_name}" if t.person.first_name else ""
    await t.plan(
        key=f"apply:{t.person.id}:{offer.ref}", kind=KIND_FOLLOW_UP, category=FOLLOW_UP, due_at=due_at,
        expires_at=quiet.allowed_until(due_at),
        text=f"Salut{name} ! Tu as postulé pour « {offer.title} ». Ça s'est passé comment ?",
        buttons=[ActionButton("J'ai une réponse", "of_news", f"r{offer.ref}"),
                 ActionButton("Pas encore", "of_news", f"w{offer.ref}"),
                 ActionButton("J'ai besoin d'aide", "of_news", f"h{offer.ref}")],
    )
    return t.stay()


@on_action("of_news")
async def news(t: Turn) -> Next:
    """The answer to the follow-up, written in the saved offer the advisor sees (the last answer counts)."""
    code, ref = t.argument[:1], t.argument[1:]
    if code not in NEWS:
        return t.stay()
    saved = next((s for s in await t.uow.suggestions.for_person(t.person.id)
                  if s.kind == "offer" and live_ref(s.entry_id) == ref), None)
    said, answer = NEWS[code]
    if saved is not None:
        title = saved.title.rsplit(" (", 1)[0]
        await t.uow.suggestions.retitle(t.person.id, saved.entry_id, f"{title} (candidature : {said})")
    if code == "h":
        t.say(answer, buttons=[t.action("Aide pour postuler", "handoff", "asked")])
    else:
        t.say(answer)
    return t.stay()
