""""Préviens-moi": new live offers for the person's trades near home, sent as a nudge.

Under the live offers, "Préviens-moi" keeps the search (one alert per person, their commune and trades,
and the offers already shown). A periodic job (``run_offer_alerts``, bot/scheduler.py) checks each alert
once a day, outside any transaction while it waits on the network, and sends what is new as a nudge: the
same rules as the inactivity nudges (flows/nudges/): never in the quiet hours, counted in the weekly cap
(``nudges.max_per_week``, with the other nudges), never to someone who chose less with /rappels, said
"stop", or whose advisor paused them. An alert over the cap waits for the next run. "Arrêter les alertes"
under each alert deletes it; it is personal data (/mes_donnees shows it, erasure deletes it).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict

from flows.data.live_offers import LiveOffer, OfferQuery
from flows.engine.script import ActionButton, Next, on_action
from flows.engine.turn import Turn
from flows.engine.world import World
from flows.nudges.nudges import RACE_MARGIN, WEEK
from flows.nudges.policy import ALL, wanted
from flows.nudges.reminders import plan_message
from flows.outcomes.questions import run_outcome_questions
from flows.rules.quiet_hours import QuietHours
from flows.suggestions.live import cached_searches, fits, keep_found, live_offers, merged_offers, query_for
from flows.suggestions.matching import SECTOR_IN, Profile, Request
from storage.db import Database, LeaderJob, UnitOfWork
from storage.outbox import NUDGE
from storage.people import Person

log = logging.getLogger(__name__)

CHECK_EVERY = dt.timedelta(days=1)  # with the search cache: one search a day for the same criteria
PAGE = 100
KIND_ALERT = "offer_alert"
RULE = "offers"  # in the nudge log: counted in the weekly cap with the other nudges


def seen_key(offer: LiveOffer) -> str:
    return f"{offer.source}:{offer.id}"


@on_action("of_alert")
async def subscribe(t: Turn) -> Next:
    """"Préviens-moi": follow the person's search (idempotent: a second tap changes nothing)."""
    if t.person.consent_at is None:
        t.say("Je ne garde rien sans ton accord. Regarde les offres avec /idees quand tu veux.")
        return t.stay()
    asked = query_for(t, Profile.of(t.person), Request())
    if asked is None:
        t.say("Je n'ai pas d'offres à suivre pour toi. Choisis un métier avec /profil.")
        return t.stay()
    query, sectors = asked
    sector = sectors[0]
    seen = [seen_key(o) for o in await live_offers(t, query)]
    criteria = {**asdict(query), "romes": list(query.romes)}  # as JSON keeps it: compared with the stored one
    added = await t.uow.offer_alerts.subscribe(t.person.id, criteria, sector, seen, t.now)
    t.say("C'est noté ! Je te préviens quand une nouvelle offre arrive." if added else "C'est déjà noté.")
    if t.person.notifications != ALL or t.person.nudges_paused:
        t.say("Mais tu as choisi moins de messages. Choisis « Tout » avec /rappels pour les recevoir.")
    else:
        t.say("Pour arrêter, écris « stop » ou choisis avec /rappels.")
    return t.stay()


@on_action("of_alert_stop")
async def unsubscribe(t: Turn) -> Next:
    """"Arrêter les alertes" under an alert."""
    await t.uow.offer_alerts.stop(t.person.id)
    t.say("C'est arrêté. Je ne t'envoie plus de nouvelles offres.")
    return t.stay()


def alert_text(first_name: str | None, sector: str, offer: LiveOffer, more: int) -> str:
    """The nudge: the newest offer, and how many others."""
    name = f" {first_name}" if first_name else ""
    lines = [f"Salut{name} ! Une nouvelle offre {SECTOR_IN.get(sector, '')} près de chez toi.".replace("  ", " ")]
    facts = " · ".join(p for p in (offer.title, offer.employer, offer.place, offer.contract) if p)
    lines.append(f"💼 {facts}")
    if offer.url:
        lines.append(f"🔗 Pour postuler : {offer.url}")
    if more:
        lines.append(f"Il y en a {more} autre{'s' if more > 1 else ''} dans tes idées.")
    return "\n".join(lines)


async def plan_alert(uow: UnitOfWork, world: World, person: Person, sector: str, new: list[LiveOffer],
                     now: dt.datetime) -> bool:
    """Plan the alert as a nudge; False when the weekly cap is reached (it waits for the next run)."""
    quiet = QuietHours.of(world.settings)
    due_at = quiet.next_allowed(now)
    if await uow.nudges.count_since(person.id, due_at - WEEK) >= world.settings.nudges.max_per_week:
        return False
    day = due_at.astimezone(world.settings.tz).date()
    key = f"offers:{person.id}:{day.isoformat()}"
    if not await uow.nudges.record(person_id=person.id, key=key, rule=RULE, anchor=day, due_at=due_at, now=now):
        return False  # one alert a day at most
    buttons = [ActionButton("Voir mes idées", "nudge_go", "idees"),
               ActionButton("Arrêter les alertes", "of_alert_stop")]
    await plan_message(uow, world, person, key=key, text=alert_text(person.first_name, sector, new[0], len(new) - 1),
                       due_at=due_at, now=now - RACE_MARGIN, kind=KIND_ALERT, category=NUDGE, buttons=buttons,
                       expires_at=quiet.allowed_until(due_at))
    return True


async def run_offer_alerts(db: Database, world: World) -> int:
    """Check the alerts not checked for a day; returns how many were planned. One process at a time."""
    source = world.offers
    if source is None:
        return 0
    await run_outcome_questions(db, world)  # first: the outcome questions go before the alerts in the weekly cap
    now = world.clock.now()
    planned, after_id = 0, 0
    while True:
        async with db.transaction() as uow:
            if not await uow.try_leader_lock(LeaderJob.OFFER_ALERTS):
                return planned
            alerts = [(a.id, a.person_id, dict(a.criteria), a.sector, list(a.seen))
                      for a in await uow.offer_alerts.due(now - CHECK_EVERY, after_id=after_id, limit=PAGE)]
        for alert_id, person_id, criteria, sector, seen in alerts:
            query = OfferQuery(**{**criteria, "romes": tuple(criteria.get("romes") or ())})
            planned += await _check(db, world, query, alert_id, person_id, sector, seen, now)
        if len(alerts) < PAGE:
            break
        after_id = alerts[-1][0]
    if planned:
        log.info("offer alerts: %d planned", planned)
    return planned


async def _check(db: Database, world: World, query: OfferQuery, alert_id: int, person_id: int, sector: str,
                 seen: list[str], now: dt.datetime) -> int:
    source = world.offers
    assert source is not None
    async with db.transaction() as uow:
        kept, stale = await cached_searches(uow, source, query, now)
    # Outside the transaction: the network may take its timeout. Only the sources not fresh are asked.
    answered = await source.search(query, stale) if stale else {}
    if stale and len(stale) == len(source.sources_for(query)) and all(f is None for f in answered.values()):
        return 0  # nothing fresh from any source: the next run tries again
    async with db.transaction() as uow:
        # A source that failed answers from its last search kept, next to the others' fresh offers.
        kept.update(await keep_found(uow, source, query, answered, now))
        found = merged_offers(source, query, kept)
        person = await uow.people.get(person_id)
        schooling = person.schooling if person is not None else None
        new = [o for o in found if fits(o, query, schooling) and seen_key(o) not in seen]
        if person is None or not new:
            await uow.offer_alerts.checked(alert_id, seen, now)
            return 0
        if not wanted(person, NUDGE):  # chose less with /rappels: nothing sent, nothing marked seen
            await uow.offer_alerts.checked(alert_id, seen, now)
            return 0
        if not await plan_alert(uow, world, person, sector, new, now):
            return 0  # over the weekly cap: checked again at the next run
        await uow.offer_alerts.checked(alert_id, [*seen, *(seen_key(o) for o in new)], now)
        return 1
