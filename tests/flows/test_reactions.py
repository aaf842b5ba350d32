"""The reactions registry (flows/engine/reactions.py): listeners registered for a signal run on emit, in order."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

import flows.assistant  # noqa: F401  (registers every capability)
from flows.booking.cancelling import cancel_before_erasure
from flows.data.opening_hours import seed_agenda
from flows.engine.reactions import APPOINTMENT_CHANGED, Signal, emit, reacts_to
from flows.engine.script import ERASURE_HOOKS, on_erasure
from flows.engine.turn import Turn
from flows.handoff.asking import close_before_erasure
from storage import Database
from storage.appointments import NOSHOW
from tests.flows.test_reminders import AGENDA, NOW, book_at, buttons_of, mark, onboarded, paris
from tests.kit import Harness, make_harness

TURN = cast(Turn, object())  # the registry only passes the turn on


async def test_a_listener_gets_the_turn_and_the_data() -> None:
    signal: Signal[dict[str, int]] = Signal("test.one")
    heard: list[tuple[Any, dict[str, int]]] = []

    @reacts_to(signal)
    async def listen(t: Turn, data: dict[str, int]) -> None:
        heard.append((t, data))

    await emit(TURN, signal, {"id": 7})
    assert heard == [(TURN, {"id": 7})]


async def test_listeners_run_in_registration_order() -> None:
    signal: Signal[str] = Signal("test.order")
    calls: list[str] = []

    @reacts_to(signal)
    async def first(t: Turn, data: str) -> None:
        calls.append(f"first:{data}")

    @reacts_to(signal)
    async def second(t: Turn, data: str) -> None:
        calls.append(f"second:{data}")

    await emit(TURN, signal, "moved")
    assert calls == ["first:moved", "second:moved"]


async def test_a_signal_nobody_listens_to_does_nothing() -> None:
    signal: Signal[str] = Signal("test.silent")
    await emit(TURN, signal, "anything")
    assert signal.listeners == []


def test_the_appointment_listeners_are_registered_by_the_capabilities() -> None:
    """Booking emits; the hand-off, the reminders and the report's events listen (and import neither booking nor
    each other)."""
    modules = {listener.__module__ for listener in APPOINTMENT_CHANGED.listeners}
    assert modules == {"flows.handoff.appointments", "flows.nudges.reminders", "flows.outcomes.appointment_events"}


@pytest.fixture
async def harness(db: Database, tmp_path: Path) -> Harness:
    h = make_harness(db, at=NOW)
    path = tmp_path / "agenda.yml"
    path.write_text(AGENDA, encoding="utf-8")
    async with db.transaction() as uow:
        await seed_agenda(uow, h.world.territory, path, h.world.settings.tz)
    return h


async def test_the_reminders_autres_dates_runs_the_booking_by_name(harness: Harness) -> None:
    """"Autres dates" under "on replanifie ?" (a reminders' button) opens the booking's choice of times, same lieu."""
    chat = await onboarded(harness)
    appointment_id = await book_at(harness, paris(2026, 12, 10, 14, 0))
    harness.clock.set(paris(2026, 12, 10, 15, 0))
    due_now = await mark(harness, appointment_id, NOSHOW)
    before = len(harness.sender.sent)
    await harness.delivery.deliver(due_now)
    [(_, message, _, _)] = harness.sender.sent[before:]
    replies = await chat.tap(buttons_of(message)["Autres dates"])
    assert replies[-1].text == "Premier rendez-vous (45 min), à Nanterre. Quel créneau te va ?"
    assert [b.label for row in replies[-1].buttons for b in row][:2] == ["vendredi 11 déc. 15 h 30",
                                                                          "vendredi 11 déc. 16 h 15"]


def test_erasure_hooks_run_in_their_declared_order_not_the_import_order() -> None:

    assert ERASURE_HOOKS.index(cancel_before_erasure) < ERASURE_HOOKS.index(close_before_erasure)

    async def first(t: object) -> None:  # registered last, runs first
        return None

    on_erasure(order=0)(first)
    try:
        assert ERASURE_HOOKS[0] is first
    finally:
        ERASURE_HOOKS.remove(first)
