"""Cards named in words: with several ideas on screen, "le 2e", "la dernière", "le cariste" or
"la formation de vendeur" open (or keep, or book) the right one; when the words fit several, the bot
asks which, with a button for each."""

from __future__ import annotations

import pytest

from flows.engine.events import Reply
from flows.engine.script import INTENT_HANDLERS, Next
from flows.engine.turn import Turn
from nlu.embedded import EmbeddedBackend
from storage import Database
from tests.flows.test_suggestions import labels, onboard
from tests.kit import Chat, Harness, make_harness

PREPA = "Préparateur de commandes en entrepôt"
CARISTE = "Cariste d'entrepôt (CACES R489)"
EPIDE = "EPIDE, un nouveau départ en internat"
LOGISTICS = {"age": "19", "commune": "Nanterre", "schooling": "CAP ou BEP", "situation": "Je cherche une formation",
             "sectors": ("Logistique",)}


@pytest.fixture
def harness(db: Database) -> Harness:
    return make_harness(db)


async def three_cards(chat: Chat, **profile: object) -> list[Reply]:
    """Onboard, then show the cards: Préparateur de commandes, Cariste, EPIDE (for the logistics profile)."""
    await onboard(chat, **(profile or LOGISTICS))  # type: ignore[arg-type]
    cards = await chat.press("Montre-moi")
    assert len(cards) == 3
    return cards


def title(reply: Reply) -> str:
    """The title of a card or of its details ("Formation : Cariste d'entrepôt (CACES R489)")."""
    first = reply.text.splitlines()[0].removeprefix("💡 ")
    return first.split(" : ", 1)[1]


async def saved_ids(harness: Harness, user: str = "ines") -> list[str]:
    async with harness.db.transaction() as uow:
        person = await uow.people.find("test", user)
        assert person is not None
        return [row.entry_id for row in await uow.suggestions.for_person(person.id)]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("le 2e", CARISTE), ("la deuxième", CARISTE), ("le second", CARISTE), ("plus d'infos sur le 2", CARISTE),
        ("2", CARISTE), ("la 2", CARISTE), ("c'est quoi le numéro 2 ?", CARISTE), ("Le 2ème", CARISTE),
        ("le premier", PREPA), ("la 1re", PREPA), ("1er", PREPA), ("et la première ?", PREPA),
        ("le dernier", EPIDE), ("la dernière stp", EPIDE), ("le 3e", EPIDE), ("la troisième", EPIDE),
        ("l'avant-dernier", CARISTE),
        ("et le cariste c'est quoi ?", CARISTE), ("la formation de cariste", CARISTE), ("cariste", CARISTE),
        ("CARISTES", CARISTE), ("le caces", CARISTE), ("le préparateur", PREPA), ("l'epide", EPIDE),
        ("c quoi l'internat", EPIDE), ("je veux voir le 2", CARISTE), ("montre-moi la dernière", EPIDE),
    ],
)
async def test_a_card_named_by_its_place_or_a_word_of_its_title_opens_its_details(
    harness: Harness, typed: str, expected: str
) -> None:
    chat = harness.chat()
    await three_cards(chat)
    replies = await chat.send(typed)
    assert len(replies) == 1, [r.text for r in replies]
    assert replies[0].text.splitlines()[0].endswith(f" : {expected}")
    assert not replies[0].text.startswith("💡")  # the details, not the card again
    assert labels(replies[0]) == ["Ça m'intéresse", "Prendre rendez-vous"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("garde la 1re", "tr-prepa-commandes"), ("je veux le dernier", "pg-epide"),
     ("le 2 m'intéresse", "tr-cariste"), ("ça m'intéresse, le cariste", "tr-cariste"),
     ("je prends la deuxième", "tr-cariste")],
)
async def test_a_card_named_with_interest_is_kept_for_the_advisor(harness: Harness, typed: str, expected: str) -> None:
    chat = harness.chat()
    await three_cards(chat)
    replies = await chat.send(typed)
    assert replies[0].text.startswith("C'est noté : « ")
    assert await saved_ids(harness) == [expected]


async def test_not_interested_keeps_nothing(harness: Harness) -> None:
    chat = harness.chat()
    await three_cards(chat)
    replies = await chat.send("le 2 m'intéresse pas")
    assert [r.text for r in replies] == [f"D'accord, je ne note pas « {CARISTE} »."]
    assert await saved_ids(harness) == []


async def test_words_that_fit_several_cards_ask_which_with_buttons(harness: Harness) -> None:
    chat = harness.chat()
    await three_cards(chat)
    replies = await chat.send("c'est quoi le truc en entrepôt ?")  # two titles say "entrepôt"
    assert [r.text for r in replies] == ["Tu parles de quelle idée ?"]
    assert labels(replies[0]) == ["Préparateur de commandes en…", CARISTE]
    details = await chat.press(CARISTE)
    assert title(details[0]) == CARISTE

    replies = await chat.send("ça m'intéresse")  # no card named: which one?
    assert [r.text for r in replies] == ["Laquelle t'intéresse ?"]
    assert labels(replies[0]) == ["Préparateur de commandes en…", CARISTE, "EPIDE, un nouveau départ en…"]
    await chat.press("EPIDE, un nouveau départ en…")
    assert await saved_ids(harness) == ["pg-epide"]

    replies = await chat.send("le 5e")  # there are three
    assert replies[0].text == "Tu parles de quelle idée ?" and len(labels(replies[0])) == 3


async def test_the_places_are_those_of_the_cards_on_screen(harness: Harness) -> None:
    chat = harness.chat()
    first = await three_cards(chat)
    second = await chat.press("Autre chose")
    replies = await chat.send("le premier")
    assert title(replies[0]) == title(second[0]) != title(first[0])
    replies = await chat.send("et le dernier ?")
    assert title(replies[0]) == title(second[-1])


async def test_a_title_with_a_number_is_not_a_place(harness: Harness) -> None:
    chat = harness.chat()
    cards = await three_cards(chat, age="17", commune="Gennevilliers")
    assert [title(c) for c in cards][:2] == ["École de la 2e chance (E2C)", "Promo 16-18"]
    replies = await chat.send("c'est quoi la 2e chance ?")
    assert title(replies[0]) == "École de la 2e chance (E2C)"
    replies = await chat.send("la 2e")
    assert title(replies[0]) == "Promo 16-18"


async def test_a_new_search_is_not_taken_for_a_card(harness: Harness) -> None:
    chat = harness.chat()
    await three_cards(chat)
    harness.nlu.learn("je cherche un travail de cariste", "find_job", secteur="logistique")
    replies = await chat.send("je cherche un travail de cariste")
    assert all(r.text.startswith("💡 ") for r in replies) and len(replies) >= 1
    assert "Cariste" not in replies[0].text.splitlines()[0] or "Métier" in replies[0].text.splitlines()[0]


async def test_words_about_nothing_on_screen_are_left_to_the_rest(harness: Harness) -> None:
    chat = harness.chat()
    await three_cards(chat)
    replies = await chat.send("et le boulanger c'est quoi ?")
    assert replies[0].text == "Je n'ai pas compris."


async def test_booking_a_named_card_books(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    async def fake_booking(t: Turn) -> Next:
        t.say("On prend rendez-vous.")
        return t.stay()

    monkeypatch.setitem(INTENT_HANDLERS, "book_appointment", fake_booking)
    chat = harness.chat()
    await three_cards(chat)
    replies = await chat.send("je veux un rdv pour le 2")
    assert [r.text for r in replies] == ["On prend rendez-vous."]


# --- The same, understood by the real NLU -------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected", "saved"),
    [
        ("et le cariste c'est quoi ?", CARISTE, False), ("le 2e", CARISTE, False), ("la deuxième", CARISTE, False),
        ("le premier", PREPA, False), ("la formation de cariste", CARISTE, False), ("le dernier", EPIDE, False),
        ("plus d'infos sur le 2", CARISTE, False), ("garde la 1re", PREPA, True), ("je veux le dernier", EPIDE, True),
    ],
)
async def test_with_the_real_nlu_the_right_card_is_opened(
    db: Database, real_nlu: EmbeddedBackend, typed: str, expected: str, saved: bool
) -> None:
    harness = make_harness(db, nlu=real_nlu)
    chat = harness.chat()
    await three_cards(chat)
    replies = await chat.send(typed)
    if saved:
        assert replies[0].text.startswith(f"C'est noté : « {expected} »"), [r.text for r in replies]
    else:
        assert len(replies) == 1 and title(replies[0]) == expected, [r.text for r in replies]
        assert not replies[0].text.startswith("💡")


async def test_with_the_real_nlu_the_trade_names_the_card(db: Database, real_nlu: EmbeddedBackend) -> None:
    harness = make_harness(db, nlu=real_nlu)
    chat = harness.chat()
    cards = await three_cards(chat, age="22", commune="Colombes", schooling="Le brevet",
                              situation="Je cherche un emploi", sectors=("Commerce, vente",))
    assert [title(c) for c in cards] == ["Employé commercial en magasin", "Hôte de caisse", "Employé de libre-service"]
    replies = await chat.send("la formation de vendeur")  # no title says "vendeur": the trade and the kind do
    assert len(replies) == 1 and title(replies[0]) == "Employé commercial en magasin"
