"""The buttons under a card: "Plus d'infos", "Ça m'intéresse" (kept for the advisor's hand-off summary)
and "Prendre rendez-vous". They are action buttons: they stay valid later and are idempotent.
"""

from __future__ import annotations

from typing import Any

from flows.data.catalogue import Offer
from flows.data.contacts import all_structures, structure_card
from flows.engine.script import INTENT_HANDLERS, Next, on_action
from flows.engine.turn import Turn
from flows.profile.report_events import record_event
from flows.suggestions.cards import details
from storage.report_events import SUGGESTION_SAVED


async def booked(t: Turn) -> bool:
    """The person has an appointment to come: "Prendre rendez-vous" would offer a second one."""
    return bool(await t.uow.appointments.upcoming_for_person(t.person.id, t.now))


def appointment_label(is_booked: bool) -> str:
    """The appointment button's label: the one to come when there is one (it leads there: booking.existing)."""
    return "Mon rendez-vous" if is_booked else "Prendre rendez-vous"


def card_buttons(t: Turn, offer: Offer) -> list[Any]:
    """Under each card; under a live offer's, "Je postule" (flows.suggestions.applying)."""
    if offer.kind == "offer":
        return [t.action("Je postule", "of_apply", offer.ref)]
    return [t.action("Plus d'infos", "sg_info", offer.ref), t.action("Ça m'intéresse", "sg_save", offer.ref)]


def last_buttons(t: Turn, more: bool, upcoming: bool = False, *, offers: bool = False) -> list[Any]:
    """Under the last card of a page: the next ideas (handled by flows.suggestions.ideas), an appointment (the one
    to come, when there is one: never a second one offered); with live offers on the page, "Préviens-moi"
    (flows.suggestions.alerts)."""
    buttons = [t.action("Préviens-moi", "of_alert")] if offers else []
    buttons += [t.action("Autre chose", "sg_more")] if more else []
    return [*buttons, t.action(appointment_label(upcoming), "sg_rdv")]


def _offer_pressed(t: Turn) -> Offer | None:
    catalogue = t.world.catalogue
    return catalogue.offer(t.argument) if catalogue is not None and t.argument else None


def _gone(t: Turn) -> Next:
    t.say("Cette idée n'est plus dans ma liste. Écris /idees pour voir les nouvelles.")
    return t.stay()


@on_action("sg_info")
async def more_info(t: Turn) -> Next:
    """"Plus d'infos": the details of one idea, with what to do next."""
    offer = _offer_pressed(t)
    if offer is None:
        return _gone(t)
    return await show_info(t, offer)


async def show_info(t: Turn, offer: Offer) -> Next:
    """The details of one idea, with what to do next."""
    t.say(details(t, offer), buttons=[t.action("Ça m'intéresse", "sg_save", offer.ref),
                                      t.action(appointment_label(await booked(t)), "sg_rdv", offer.ref)])
    return t.stay()


@on_action("sg_save")
async def save(t: Turn) -> Next:
    """"Ça m'intéresse": kept for the advisor (once, however many taps)."""
    offer = _offer_pressed(t)
    if offer is None:
        return _gone(t)
    return await save_offer(t, offer)


async def save_offer(t: Turn, offer: Offer) -> Next:
    """Keep an idea for the advisor, once."""
    if t.person.consent_at is None:
        t.say("Je ne garde rien sans ton accord. Tu peux en parler directement à ta mission locale.")
        return t.stay()
    added = await t.uow.suggestions.save(t.person.id, offer.id, offer.kind, offer.title, t.now)
    if added:
        await record_event(t.uow, t.world.territory, t.person, SUGGESTION_SAVED, t.now,
                           detail=f"{offer.kind}:{offer.secteur or '-'}")
        t.ack = "C'est noté"
        t.say(f"C'est noté : « {offer.title} » t'intéresse. La mission locale le verra.",
              buttons=[t.action(appointment_label(await booked(t)), "sg_rdv", offer.ref)])
    else:
        t.ack = "Déjà noté"
        t.say(f"C'est déjà noté : « {offer.title} ».")
    return t.stay()


@on_action("sg_rdv")
async def book_from_card(t: Turn) -> Next:
    """"Prendre rendez-vous" under a card."""
    return await book(t)


async def book(t: Turn) -> Next:
    """Book with the mission locale when booking is there; otherwise give its contacts."""
    handler = INTENT_HANDLERS.get("book_appointment")
    if handler is not None:
        return await handler(t)
    structure = t.world.territory.structure_for(t.person.commune)
    t.say("Pour un rendez-vous, contacte ta mission locale :")
    t.say(structure_card(structure) if structure is not None else all_structures(t.world.territory))
    return t.stay()
