""""Je postule" under a live offer: the link, help from the mission locale, the offer kept for the advisor,
and a kind follow-up four days later whose answer the advisor sees."""

from __future__ import annotations

from flows.engine.events import Reply
from flows.handoff.summary import for_telegram, gather
from storage import Database
from tests.bot.fake_offers import FakeOffersApi
from tests.bot.test_live_offers_flow import onboard, with_offers
from tests.kit import Chat, Harness


def button(reply: Reply, label: str):
    return next(b for row in reply.buttons for b in row if b.label == label)


async def applied(db: Database, source: object) -> tuple[Harness, Chat]:
    harness = with_offers(db, source)  # type: ignore[arg-type]
    chat = harness.chat("sami")
    await onboard(chat)
    first = next(r for r in await chat.press("Montre-moi") if r.text.startswith("💡 Offre"))
    replies = await chat.tap(button(first, "Je postule"))
    assert [r.text for r in replies] == [
        "Pour postuler, c'est ici :\nhttps://candidat.francetravail.fr/offres/recherche/detail/201ABCD",
        "Tu veux de l'aide pour ta candidature ? La mission locale peut préparer ta lettre avec toi.",
    ]
    assert [b.label for row in replies[-1].buttons for b in row] == ["Aide pour postuler"]
    return harness, chat


async def saved_titles(harness: Harness) -> list[str]:
    async with harness.db.transaction() as uow:
        person = await uow.people.find("test", "sami")
        assert person is not None
        return [s.title for s in await uow.suggestions.for_person(person.id)]


async def delivered(h: Harness) -> list[Reply]:
    before = len(h.sender.sent)
    await h.delivery.deliver_due()
    return [reply for chat, reply, _, _ in h.sender.sent[before:] if chat == "sami"]


async def test_applying_keeps_the_offer_and_asks_how_it_went(db: Database, offers_api: FakeOffersApi,
                                                             offers_source: object) -> None:
    harness, chat = await applied(db, offers_source)
    assert await saved_titles(harness) == ["Offre : Préparateur de commandes, Entrepôt du Port (candidature envoyée)"]
    harness.clock.advance(days=3)
    assert await delivered(harness) == []
    harness.clock.advance(days=1, hours=1)  # Saturday 5 December, 12:00 in Paris
    [follow_up] = await delivered(harness)
    assert follow_up.text == "Salut Inès ! Tu as postulé pour « Préparateur de commandes ». Ça s'est passé comment ?"
    replies = await chat.tap(button(follow_up, "Pas encore"))
    assert replies[-1].text == "C'est normal, ça prend du temps. Je le note pour ta mission locale."
    assert await saved_titles(harness) == [
        "Offre : Préparateur de commandes, Entrepôt du Port (candidature : pas encore de réponse)"]
    replies = await chat.tap(button(follow_up, "J'ai une réponse"))  # the last answer counts
    assert await saved_titles(harness) == [
        "Offre : Préparateur de commandes, Entrepôt du Port (candidature : réponse reçue)"]


async def test_the_follow_up_respects_rappels(db: Database, offers_api: FakeOffersApi, offers_source: object) -> None:
    harness, chat = await applied(db, offers_source)
    await chat.command("rappels")
    await chat.press("Rien")
    harness.clock.advance(days=5)
    assert await delivered(harness) == []


async def test_an_offer_no_longer_listed_says_so(db: Database, offers_api: FakeOffersApi,
                                                 offers_source: object) -> None:
    harness = with_offers(db, offers_source)  # type: ignore[arg-type]
    chat = harness.chat("sami")
    await onboard(chat)
    first = next(r for r in await chat.press("Montre-moi") if r.text.startswith("💡 Offre"))
    offers_api.ft_offers.clear()
    harness.clock.advance(days=8)  # the search is redone: the offer is gone
    replies = await chat.tap(button(first, "Je postule"))
    assert replies[-1].text == "Cette offre n'est plus dans ma liste. Écris /idees pour voir les nouvelles."


async def test_help_to_apply_opens_a_hand_off_whose_summary_names_the_offer(
    db: Database, offers_api: FakeOffersApi, offers_source: object
) -> None:
    harness, chat = await applied(db, offers_source)
    help_reply = chat.received[-1]
    await chat.tap(button(help_reply, "Aide pour postuler"))
    async with harness.db.transaction() as uow:
        person = await uow.people.find("test", "sami")
        assert person is not None
        handoff = await uow.handoffs.open_for(person.id)
        assert handoff is not None
        summary = await gather(uow, harness.world, person, handoff, harness.clock.now())
    assert "Offre : Préparateur de commandes, Entrepôt du Port (candidature envoyée)" in for_telegram(summary)
