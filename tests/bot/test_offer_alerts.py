""""Préviens-moi": a young person in Gennevilliers follows the logistics offers; a new offer on the offers_api
France Travail API arrives as a nudge, under the quiet hours, the weekly cap and /rappels."""

from __future__ import annotations

import datetime as dt

from flows.engine.events import Reply
from flows.privacy.access import access_view
from flows.suggestions.alerts import run_offer_alerts
from storage import Database
from tests.bot.fake_offers import FakeOffersApi, ft_offer, lba_job
from tests.bot.test_live_offers_flow import onboard, with_offers
from tests.kit import Chat, Harness

NEW = ft_offer("201NEW1", "Cariste", rome="N1101", employer="Entrepôt Nord", contract_label="CDI")


async def subscribed(db: Database, offers_source: object) -> tuple[Harness, Chat]:
    harness = with_offers(db, offers_source)  # type: ignore[arg-type]
    chat = harness.chat("sami")
    await onboard(chat)
    await chat.press("Montre-moi")
    replies = await chat.press("Préviens-moi")
    assert [r.text for r in replies] == ["C'est noté ! Je te préviens quand une nouvelle offre arrive.",
                                        "Pour arrêter, écris « stop » ou choisis avec /rappels."]
    return harness, chat


async def delivered(h: Harness, user: str = "sami") -> list[Reply]:
    before = len(h.sender.sent)
    await h.delivery.deliver_due()
    return [reply for chat, reply, _, _ in h.sender.sent[before:] if chat == user]


async def test_a_new_offer_arrives_as_a_nudge(db: Database, offers_api: FakeOffersApi, offers_source: object) -> None:
    harness, chat = await subscribed(db, offers_source)
    assert (await chat.press("Préviens-moi"))[0].text == "C'est déjà noté."
    harness.clock.advance(hours=25)
    assert await run_offer_alerts(harness.db, harness.world) == 0  # nothing new: nothing sent
    offers_api.ft_offers.append(NEW)
    harness.clock.advance(hours=25)
    assert await run_offer_alerts(harness.db, harness.world) == 1
    [nudge] = await delivered(harness)
    assert nudge.text.splitlines() == [
        "Salut Inès ! Une nouvelle offre en logistique près de chez toi.",
        "💼 Cariste · Entrepôt Nord · Gennevilliers · CDI",
        "🔗 Pour postuler : https://candidat.francetravail.fr/offres/recherche/detail/201NEW1",
    ]
    assert [b.label for row in nudge.buttons for b in row] == ["Voir mes idées", "Arrêter les alertes"]
    harness.clock.advance(hours=25)
    assert await run_offer_alerts(harness.db, harness.world) == 0  # already sent: not twice
    assert len(offers_api.searches()) == 4  # one a day: the ideas (day 0), then the job on days 1, 2 and 3


async def test_quiet_hours_and_the_weekly_cap_hold_alerts_back(db: Database, offers_api: FakeOffersApi,
                                                              offers_source: object) -> None:
    harness, _ = await subscribed(db, offers_source)
    offers_api.ft_offers.append(NEW)
    harness.clock.set(dt.datetime(2026, 12, 2, 21, 30, tzinfo=dt.UTC))  # 22:30 in Paris: quiet
    assert await run_offer_alerts(harness.db, harness.world) == 1
    assert await delivered(harness) == []  # planned for the morning
    async with harness.db.transaction() as uow:
        person = await uow.people.find("test", "sami")
        assert person is not None
        due = await uow.nudges.count_since(person.id, harness.clock.now() - dt.timedelta(days=7))
    assert due == 1
    harness.clock.set(dt.datetime(2026, 12, 3, 8, 5, tzinfo=dt.UTC))  # 09:05 in Paris
    assert len(await delivered(harness)) == 1
    # Two nudges this week already: the next new offer waits for the cap to free.
    async with harness.db.transaction() as uow:
        await uow.nudges.record(person_id=person.id, key="nudge:x", rule="inactive", anchor=dt.date(2026, 12, 3),
                                due_at=harness.clock.now(), now=harness.clock.now())
    offers_api.ft_offers.append(ft_offer("201NEW2", "Magasinier", rome="N1103"))
    harness.clock.advance(days=1, hours=1)
    assert await run_offer_alerts(harness.db, harness.world) == 0
    harness.clock.advance(days=7)
    assert await run_offer_alerts(harness.db, harness.world) == 1


async def test_stop_and_rappels_stop_the_alerts(db: Database, offers_api: FakeOffersApi, offers_source: object) -> None:
    harness, chat = await subscribed(db, offers_source)
    await chat.command("rappels")
    await chat.press("Rien")
    offers_api.ft_offers.append(NEW)
    harness.clock.advance(hours=25)
    assert await run_offer_alerts(harness.db, harness.world) == 0
    assert await delivered(harness) == []


async def test_the_alert_is_personal_data_shown_and_stopped(db: Database, offers_api: FakeOffersApi,
                                                           offers_source: object) -> None:
    harness, chat = await subscribed(db, offers_source)
    async with harness.db.transaction() as uow:
        person = await uow.people.find("test", "sami")
        assert person is not None
        exported = await uow.personal_data.access(person.id)
    view = access_view(exported, harness.world.settings.tz, harness.clock.now())
    assert view["alertes_nouvelles_offres"] == [{"metier": "logistique", "commune": "92036",
                                                 "depuis_le": view["alertes_nouvelles_offres"][0]["depuis_le"],
                                                 "offres_deja_vues": 2}]
    await harness.delivery.deliver_due()
    offers_api.ft_offers.append(NEW)
    harness.clock.advance(hours=25)
    await run_offer_alerts(harness.db, harness.world)
    [nudge] = await delivered(harness)
    replies = await chat.tap(next(b for row in nudge.buttons for b in row if b.label == "Arrêter les alertes"))
    assert replies[-1].text == "C'est arrêté. Je ne t'envoie plus de nouvelles offres."
    async with harness.db.transaction() as uow:
        assert await uow.offer_alerts.for_person(person.id) is None


async def test_with_both_sources_a_new_apprenticeship_arrives_once(db: Database, offers_api: FakeOffersApi,
                                                                    both_sources: object) -> None:
    harness = with_offers(db, both_sources)  # type: ignore[arg-type]
    chat = harness.chat("sami")
    await onboard(chat, situation="Je cherche une alternance")
    await chat.press("Montre-moi")
    assert (await chat.press("Préviens-moi"))[0].text == "C'est noté ! Je te préviens quand une nouvelle offre arrive."
    # A new apprenticeship, published on France Travail and relayed by La bonne alternance: one nudge, one offer.
    offers_api.ft_offers.append(ft_offer("201NEW9", "Apprenti cariste", rome="N1101", employer="Entrepôt Nord",
                                         contract_label="Apprentissage - 12 Mois", alternance=True))
    offers_api.lba_jobs.append(lba_job("ft-201NEW9", "Apprenti cariste", partner="France Travail",
                                       partner_id="201NEW9", employer="Entrepôt Nord"))
    harness.clock.advance(hours=25)
    assert await run_offer_alerts(harness.db, harness.world) == 1
    [nudge] = await delivered(harness)
    assert nudge.text.splitlines() == [
        "Salut Inès ! Une nouvelle offre en logistique près de chez toi.",
        "💼 Apprenti cariste · Entrepôt Nord · Gennevilliers · Apprentissage - 12 Mois",
        "🔗 Pour postuler : https://candidat.francetravail.fr/offres/recherche/detail/201NEW9",
    ]
    assert len(offers_api.searches("/job/v1/search")) == 2  # the ideas (day 0), the job (day 1)


async def test_with_la_bonne_alternance_failing_a_new_france_travail_offer_still_arrives(
    db: Database, offers_api: FakeOffersApi, both_sources: object
) -> None:
    harness = with_offers(db, both_sources)  # type: ignore[arg-type]
    chat = harness.chat("sami")
    await onboard(chat, situation="Je cherche une alternance")
    await chat.press("Montre-moi")
    await chat.press("Préviens-moi")
    offers_api.ft_offers.append(ft_offer("201NEW9", "Apprenti cariste", rome="N1101", employer="Entrepôt Nord",
                                         contract_label="Apprentissage - 12 Mois", alternance=True))
    offers_api.mode, offers_api.failing = "401", "la_bonne_alternance"  # its token revoked
    harness.clock.advance(hours=25)
    assert await run_offer_alerts(harness.db, harness.world) == 1
    [nudge] = await delivered(harness)
    assert nudge.text.splitlines()[1] == "💼 Apprenti cariste · Entrepôt Nord · Gennevilliers · Apprentissage - 12 Mois"
    # Both tried on day 1; France Travail's fresh answer is cached on its own: not asked again by the ideas.
    assert (len(offers_api.searches()), len(offers_api.searches("/job/v1/search"))) == (2, 2)
    await chat.command("idees")
    assert len(offers_api.searches()) == 2


async def test_the_outcome_question_goes_before_an_alert_in_the_weekly_cap(db: Database, offers_api: FakeOffersApi,
                                                                          offers_source: object) -> None:
    harness, _ = await subscribed(db, offers_source)
    now = harness.clock.now()
    async with harness.db.transaction() as uow:  # three months since the onboarding, and one nudge this week
        person = await uow.people.find("test", "sami")
        assert person is not None
        await uow.people.update(person, onboarded_at=now - dt.timedelta(days=91, minutes=5))
        await uow.nudges.record(person_id=person.id, key="nudge:x", rule="inactive", anchor=now.date(),
                                due_at=now - dt.timedelta(days=1), now=now)
    offers_api.ft_offers.append(NEW)
    harness.clock.advance(hours=25)
    assert await run_offer_alerts(harness.db, harness.world) == 0  # the cap's last place went to the question
    [question] = await delivered(harness)
    assert question.text.startswith("Salut Inès ! Ça fait trois mois qu'on se connaît.")
    harness.clock.advance(days=7)
    assert await run_offer_alerts(harness.db, harness.world) == 1  # the alert comes once the week has passed
