"""The engine: one event in, the effects and the answer written in one transaction.

Order of understanding a message:

1. a command (``/profil``) runs its handler;
2. a button runs the question's answer (if it is still the current question) or an action;
3. free text: distress first: words of danger always; the NLU's distress guess when it is sure and the
   message does not read better as an answer to the question on screen (a first name, a label); then
   "retour" / "passer"; then the global intents (help, talk to an advisor, stop nudges, delete my
   data) when the NLU is sure, unless the message answers the question on screen and asks for nothing;
   then the current question's answer;
   then a request the NLU is sure of (the intents offered in "tu voulais dire"); then a fact the question
   did not want but the profile does (``on_unread``: a first name typed when the hand-off asks the town);
   then any other intent the NLU is sure of (small talk); then "tu voulais dire ... ?"
   from its ranking when it hesitates; and only then "je n'ai pas compris", said differently the second
   time, with a person offered the third time.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Collection, Sequence
from itertools import groupby

from flows.engine.advisor_turn import STALE, AdvisorTurn, advisor_of, dispatch, telegram_id_of
from flows.engine.buttons import Action, StepAnswer
from flows.engine.events import BUTTON, COMMAND, MEDIA, TEXT, Button, Event, Outcome, Reply
from flows.engine.media import answer_media
from flows.engine.script import (
    ACTION_HANDLERS,
    COMMAND_HANDLERS,
    INTENT_HANDLERS,
    INTERCEPTORS,
    OFFERS,
    STEPS,
    UNREAD_READERS,
    Done,
    Goto,
    Next,
    NotUnderstood,
    Option,
    Question,
    Stay,
    Step,
    options_payload,
)
from flows.engine.turn import OPTIONS_KEY, LeaveTransaction, Turn, reply_payload
from flows.engine.world import World
from nlu.result import ParseResult
from nlu.safety import certain_danger, raises_alarm
from storage.db import Database, UnitOfWork
from storage.handoffs import LOST
from storage.outbox import FAREWELL, NewReply, OutboxMessage

log = logging.getLogger(__name__)

# The engine sits below the capabilities that declare these steps: names, checked by tests/flows/test_declarations.py.
HOME = "home"
ADVISOR = "advisor"  # the outbox kind of the answers to an advisor
START = "onboarding.start"
GLOBAL_INTENTS = ("help", "talk_to_advisor", "stop_nudges", "delete_data")
BACK_WORDS = {"retour", "revenir", "precedent", "question precedente", "en arriere"}
SKIP_WORDS = {"passer", "je passe", "suivant", "passe", "skip"}
MAX_TEXT = 1000  # what the NLU reads of a very long message
MAX_LEAVES = 3  # works done outside the transaction for one event; a further one waits inside (no step needs more)
# Words of a request: with them, a global intent (help, a person, stop, delete) is never taken for an answer.
REQUEST_WORDS = re.compile(
    r"\b(?:parler|voir|appeler|joindre|contacter|rappeler|discuter|besoin|veux|voudrais|aide|aidez|stop|"
    r"arrete|arreter|supprime|supprimer|efface|effacer|humain|quelqu un)\b"
)


class Engine:
    """Runs the conversation script for one event at a time, per person, transactionally."""

    def __init__(self, db: Database, world: World) -> None:
        self.db = db
        self.world = world

    async def handle(self, event: Event, *, send_now: Collection[str] = ()) -> Outcome:
        """Handle one event; the replies are in the outbox when this returns (not yet sent).

        ``send_now``: the channels whose replies the caller sends as soon as this returns (a Telegram
        worker). On them the replies are written already taken for delivery and come back in
        ``Outcome.to_send``; otherwise their ids are in ``Outcome.outbox_ids``, for ``Delivery.deliver``.
        """
        now = self.world.clock.now()
        parsed = None
        if event.kind == TEXT and event.text.strip() and not event.text.startswith("/"):
            parsed = await self.world.nlu.parse(event.text[:MAX_TEXT], now=now)
        # A step that needs the network (a live offers search with a cold cache, Turn.outside) leaves the
        # transaction: it is rolled back, the work is done with no transaction open (no connection held, no
        # lock on the person, no other writer kept waiting on SQLite), and the event is handled again from
        # the start with the work's result. Same clock, same understanding: the same answer as if it had
        # waited inside.
        done: dict[str, object] = {}
        while True:
            try:
                return await self._handle_once(event, parsed, now, send_now, done,
                                               may_leave=len(done) < MAX_LEAVES)
            except LeaveTransaction as leave:
                done[leave.key] = await leave.work()

    async def _handle_once(self, event: Event, parsed: ParseResult | None, now: dt.datetime,
                           send_now: Collection[str], done: dict[str, object], *, may_leave: bool) -> Outcome:
        """One attempt at ``handle``, in one transaction; raises ``LeaveTransaction`` to do work outside it."""
        async with self.db.transaction() as uow:
            inbox_id, ref = event.inbox_id, event.person
            # One person's events are handled one at a time across processes (PostgreSQL): a known person is
            # locked first, found by their identity, so that everything read after it is current.
            locked = await uow.lock_known_person(ref.channel, ref.external_id)
            # Whether the update was already handled (a redelivery, a replay after a crash, another process):
            # then no second effect. Where the person is locked, or the transaction holds the whole database
            # (SQLite), its status is read with the person; otherwise its row is locked first.
            with_person = inbox_id is not None and (locked is not None or uow.exclusive)
            if inbox_id is not None and not with_person and not await uow.inbox.lock_pending(inbox_id):
                return Outcome(handled_at=now)
            # The person (if known), their conversation, and whether the sender is a registered advisor: one
            # statement. A registered advisor is not a young person: their commands, buttons and replies run the
            # handlers registered for advisors (flows/engine/advisor_turn.py). Looked up at every event: a
            # removed advisor is no more one, and nobody else ever reaches those handlers.
            telegram_id = telegram_id_of(event)
            found = await uow.conversations.find(ref.channel, ref.external_id, now, agent_telegram_id=telegram_id,
                                                 inbox_id=inbox_id if with_person else None)
            if with_person and inbox_id is not None and not (
                found.inbox_pending if found is not None else await uow.inbox.lock_pending(inbox_id)
            ):
                return Outcome(handled_at=now)
            await self.world.refresh(uow)  # the operator's structures, when this worker's copy is too old
            agent_id = found.agent_id if found is not None else None
            # Known and no agent of that id: no advisor, nothing more to read. Unknown: advisor_of looks.
            maybe_advisor = found is None or agent_id is not None
            if maybe_advisor and (agent := await advisor_of(uow, event, agent_id)) is not None:
                return await self._for_advisor(AdvisorTurn(uow, self.world, event, agent, now), send_now)
            opened = found or await uow.conversations.create(ref.channel, ref.external_id, ref.chat_id, now)
            # Found without their lock (another process made them since the lock was taken): lock, then read them,
            # and the update's status, again. A person created here needs none: nobody sees them before the commit.
            if found is not None and found.person.id != locked and await uow.lock_person(found.person.id):
                if with_person and inbox_id is not None and not await uow.inbox.lock_pending(inbox_id):
                    return Outcome(handled_at=now)
                opened = await uow.conversations.open(ref.channel, ref.external_id, ref.chat_id, now)
            person, conversation = opened.person, opened.conversation
            # Noted now, written with the step's own change of the profile if any (one UPDATE either way).
            uow.people.seen(person, now)
            pressed = self.world.signer.read(person.id, event.payload) if event.payload else None
            turn = Turn(event=event, person=person, conversation=conversation, uow=uow, world=self.world,
                        parsed=parsed, now=now, pressed=pressed, paused=opened.paused, done_outside=done,
                        may_leave=may_leave)
            outcome = Outcome()
            await self._dispatch(turn, outcome)
            person_id = None if turn.erased else person.id
            if not turn.erased:
                if parsed is not None and person.consent_at is not None:
                    await uow.messages.add(person.id, "in", event.text[:4096], parsed.intent.name, now)
                conversation.updated_at = now
                await uow.conversations.save(conversation)
                await uow.people.save(person)
            kind = FAREWELL if turn.erased else "reply"
            await _write_replies(uow, event, [NewReply(f"{event.key}:{index}", kind, reply_payload(reply, edit_of))
                                              for index, (reply, edit_of) in enumerate(turn.replies)],
                                 person_id=person_id, now=now, send_now=send_now, outcome=outcome)
            outcome.outbox_ids.extend(turn.planned)
            if event.inbox_id is not None:
                await uow.inbox.mark_done(event.inbox_id, person_id, now)
        outcome.ack = outcome.ack or turn.ack
        outcome.misunderstood = turn.misunderstood
        if event.message_id is not None and any(edit == event.message_id for _, edit in turn.replies):
            outcome.clear_keyboard = False  # the pressed keyboard is redrawn in place: removing it first would flash
        outcome.handled_at = now
        log.debug("event handled: kind=%s replies=%d", event.kind, len(turn.replies))
        return outcome

    @staticmethod
    async def _for_advisor(a: AdvisorTurn, send_now: Collection[str]) -> Outcome:
        """A registered advisor's event, in the transaction of ``handle``: their handlers run, their answers go
        to the same outbox, the update is marked done in the same inbox."""
        await dispatch(a)
        event, outcome = a.event, Outcome(ack=a.ack, handled_at=a.now)
        keyed = [(f"{event.key}:{index}", reply) for index, reply in enumerate(a.replies)]
        # Each message about a young person carries their id (erased with them): one statement per run.
        for person_id, run in groupby(keyed, key=lambda item: item[1].person_id):
            replies = list(run)
            written = await _write_replies(
                a.uow, event, [NewReply(key, ADVISOR, reply_payload(r.reply, r.edit_of)) for key, r in replies],
                person_id=person_id, now=a.now, send_now=send_now, outcome=outcome)
            ids = {message.key: message.id for message in written}
            for key, reply in replies:
                if reply.on_written is not None and key in ids:
                    await reply.on_written(ids[key])
        outcome.outbox_ids.extend(a.planned)
        if event.inbox_id is not None:
            await a.uow.inbox.mark_done(event.inbox_id, None, a.now)
        return outcome

    # --- Dispatch ---------------------------------------------------------------------------

    async def _dispatch(self, t: Turn, outcome: Outcome) -> None:
        event = t.event
        # An advisor has paused the bot for this person (it forwards, silent), or the person replies to
        # an advisor's message (it goes to them): the interceptors registered by flows/handoff/.
        for intercept in INTERCEPTORS:
            if await intercept(t, outcome):
                return
        if event.kind == COMMAND:
            await self._on_command(t)
        elif event.kind == BUTTON:
            await self._on_button(t, outcome)
        elif event.kind == MEDIA:
            await self.apply(t, await answer_media(t))
        elif t.parsed is not None and self._in_danger(t):
            await self.run_intent(t, "distress")
        elif t.conversation.step is None:
            await self.apply(t, Goto(START))
        else:
            await self._on_text(t)

    async def _on_command(self, t: Turn) -> None:
        handler = COMMAND_HANDLERS.get(t.event.command or "")
        if handler is None:
            t.say("Je ne connais pas cette commande. Tape /aide pour voir ce que je sais faire.")
            return
        await self.apply(t, await handler(t), interrupted=True)

    async def _on_button(self, t: Turn, outcome: Outcome) -> None:
        pressed = t.pressed
        if isinstance(pressed, StepAnswer):
            if pressed.token != t.conversation.token or t.conversation.step is None:
                outcome.ack = "C'est déjà pris en compte."
                return
            outcome.clear_keyboard = True
            step = STEPS[t.conversation.step]
            if pressed.value == "_back" and step.back:
                await self.apply(t, Goto(step.back))
            elif pressed.value == "_skip" and step.skip:
                await self.apply(t, await self._skip(t, step))
            else:
                await self.apply(t, await step.handle(t))
        elif isinstance(pressed, Action) and pressed.name in ACTION_HANDLERS:
            await self.apply(t, await ACTION_HANDLERS[pressed.name](t), interrupted=True)
        else:
            outcome.ack = STALE

    async def _on_text(self, t: Turn) -> None:
        name = t.conversation.step or HOME
        step = STEPS[name]
        folded = t.folded
        if folded in BACK_WORDS and step.back:
            await self.apply(t, Goto(step.back))
            return
        if folded in SKIP_WORDS and step.skip:
            await self.apply(t, await self._skip(t, step))
            return
        strict = 0.85 if step.free_text else 0.0
        if t.intent in GLOBAL_INTENTS and t.sure and t.confidence >= strict and t.intent in INTENT_HANDLERS \
                and not self._answers_instead(t, step):
            await self.run_intent(t, t.intent)
            return
        result = await step.handle(t)
        if not isinstance(result, NotUnderstood):
            await self.apply(t, result)
            return
        if t.sure and t.intent in step.later:
            t.data["later"] = t.intent  # flows/onboarding/questions.py runs it once the questions are done
            await self.apply(t, t.resume(step.later[t.intent]))
        elif t.sure and t.intent in OFFERS and t.intent in INTENT_HANDLERS:
            await self.run_intent(t, t.intent)  # a request ("un taf dans la logistique") is done, not noted
        elif await self._kept_in_passing(t):  # before small talk: "Glodie" may also read as a greeting
            await self.apply(t, Stay(reask=True))
        elif t.sure and t.intent in INTENT_HANDLERS:
            await self.run_intent(t, t.intent)
        elif candidates := self._hesitations(t.parsed):
            t.conversation.misunderstood += 1
            t.misunderstood = True
            t.say(
                "Je ne suis pas sûr d'avoir compris. Tu voulais dire… ?",
                buttons=[t.action(OFFERS[c], "intent", c) for c in candidates]
                + [t.action("Non, autre chose", "intent", "none")],
            )
        else:
            await self.apply(t, NotUnderstood())

    @staticmethod
    async def _kept_in_passing(t: Turn) -> bool:
        """A fact the question on screen did not want (a first name at the hand-off's question of the
        town) is still a fact: the readers registered with ``on_unread`` keep it (none reads a request)."""
        kept = False
        for read in UNREAD_READERS:
            kept = await read(t) or kept
        return kept

    @staticmethod
    def _answers_instead(t: Turn, step: Step) -> bool:
        """A message that answers the question on screen and asks for nothing ("ma conseillère de la
        mission locale s'appelle Sandrine" to "who follows you?") is an answer, not a global request. Not at
        a free-text question (the first name), where any word may read as an answer."""
        return (step.understands is not None and not step.free_text and not REQUEST_WORDS.search(t.folded)
                and step.understands(t))

    @staticmethod
    async def _skip(t: Turn, step: Step) -> Next:
        return await step.on_skip(t) if step.on_skip else Goto(step.skip or HOME)

    @staticmethod
    def _in_danger(t: Turn) -> bool:
        """The crisis path: words of danger (always), or the NLU sure of distress when the message does
        not read better as an answer to the question on screen (a first name, a button's label)."""
        if certain_danger(t.text):
            return True
        if t.parsed is None or not raises_alarm(t.parsed) or t.typed_a_label():
            return False
        step = STEPS.get(t.conversation.step or "")
        return not (step is not None and step.understands is not None and step.understands(t))

    def _hesitations(self, parsed: ParseResult | None) -> list[str]:
        """The intents to offer in "Tu voulais dire… ?": those declared with an offer (``on_intent(offer=)``)
        among the NLU's three best guesses, in its order."""
        if parsed is None:
            return []
        ranking = parsed.intent_ranking or (parsed.intent,)
        return [
            i.name for i in ranking[:3]
            if i.name in OFFERS and i.name in INTENT_HANDLERS and i.confidence >= 0.15
        ][:3]

    async def run_intent(self, t: Turn, intent: str) -> None:
        """Run the handler of an intent (as understood, or as chosen with a button)."""
        handler = INTENT_HANDLERS.get(intent)
        if handler is None:
            await self.apply(t, NotUnderstood())
            return
        await self.apply(t, await handler(t), interrupted=True)

    # --- Where the conversation goes --------------------------------------------------------

    async def apply(self, t: Turn, result: Next, *, interrupted: bool = False) -> None:
        """Move the conversation as the step or handler decided, asking the next question.

        ``interrupted``: the result is that of a command, an action button or an intent, not of the answer
        to the question on screen; asking that question again is then coming back to it (``come_back``).
        """
        conversation = t.conversation
        if isinstance(result, NotUnderstood):
            await self._misunderstood(t)
            return
        if isinstance(result, Goto):
            conversation.step = result.step
            conversation.misunderstood = 0
            await self.ask(t, result.step, intro=True)
        elif isinstance(result, Stay):
            conversation.misunderstood = 0
            if result.redraw:
                await self.ask(t, conversation.step or HOME, edit_of=t.event.message_id)
            elif result.reask and interrupted:
                await self.come_back(t, conversation.step or HOME)
            elif result.reask:
                await self.ask(t, conversation.step or HOME)
        elif isinstance(result, Done):
            conversation.misunderstood = 0
            t.data.pop("editing", None)
            if conversation.stack:
                previous = conversation.stack[-1]
                conversation.stack = conversation.stack[:-1]
                conversation.step = previous
                await self.come_back(t, previous)
            else:
                conversation.step = HOME
                await self.ask(t, HOME, attach=True)

    async def come_back(self, t: Turn, name: str) -> None:
        """Come back to the question ``name`` after a flow or a request that interrupted it: a called flow
        that ended (``t.call`` then ``Done``), or a handler that resumes (``t.resume()``: help, a hand-off,
        /mes_donnees...). The one way back: the question's ``on_resume`` says whether asking it again still
        makes sense (a profile answer given meanwhile, a menu of what to do next that is now stale), and
        what to do instead."""
        resume = STEPS[name].on_resume
        if resume is not None and (instead := await resume(t)) is not None:
            await self.apply(t, instead)
            return
        await self.ask(t, name)

    async def ask(
        self, t: Turn, name: str, *, edit_of: str | None = None, attach: bool = False, intro: bool = False
    ) -> None:
        """Ask a step's question, with fresh buttons (older ones stop working).

        ``intro`` says the question's short preamble (why we ask), only when arriving at the step.
        ``attach`` puts the options under the last message already said, when it has none, rather
        than adding one more message.
        """
        if t.erased:
            return
        step = STEPS[name]
        question = await step.question(t)
        if not intro:
            question.before = ()
        await self.present(t, question, edit_of=edit_of, attach=attach, back=bool(step.back), skip=bool(step.skip))

    async def present(
        self, t: Turn, question: Question, *, edit_of: str | None = None, attach: bool = False,
        back: bool = False, skip: bool = False,
    ) -> None:
        """Show a question and remember its options."""
        conversation = t.conversation
        conversation.token += 1
        conversation.data[OPTIONS_KEY] = options_payload(question.options)
        for text in question.before:
            t.say(text)
        nav: list[Option] = []
        if back:
            nav.append(Option("_back", "Retour"))
        if skip:
            nav.append(Option("_skip", "Passer"))
        rows = self._rows(t, question.options, question.columns)
        rows += [(t.button_for(b),) for b in question.extra_buttons]
        if nav:
            rows.append(tuple(self._button(t, o) for o in nav))
        if attach and t.replies and not t.replies[-1][0].buttons and t.replies[-1][0].document is None:
            last, edit = t.replies[-1]
            t.replies[-1] = (Reply(last.text, tuple(rows), last.document), edit)
            return
        t.replies.append((Reply(question.text, tuple(rows)), edit_of))

    def _button(self, t: Turn, option: Option) -> Button:
        return Button(option.label, self.world.signer.answer(t.person.id, t.conversation.token, option.value))

    def _rows(self, t: Turn, options: Sequence[Option], columns: int) -> list[tuple[Button, ...]]:
        buttons = [self._button(t, o) for o in options]
        width = max(1, columns)
        return [tuple(buttons[i:i + width]) for i in range(0, len(buttons), width)]

    async def _misunderstood(self, t: Turn) -> None:
        conversation = t.conversation
        conversation.misunderstood += 1
        t.misunderstood = True
        name = conversation.step or HOME
        if conversation.misunderstood >= 3:
            conversation.misunderstood = 0
            t.say("Je n'arrive pas à comprendre, désolé.")
            t.say(
                "Tu veux parler à une personne de la mission locale ?",
                # "lost": the hand-off's summary tells the advisor the bot did not understand.
                buttons=[t.action("Oui, à quelqu'un", "handoff", LOST),
                         t.action("Non, on continue", "resume")],
            )
            return
        if conversation.misunderstood == 2:
            step = STEPS[name]
            explained = await step.explanation(t)
            if explained is not None:
                await self.present(t, explained, back=bool(step.back), skip=bool(step.skip))
            else:
                t.say("Je le dis autrement : appuie sur un bouton, ou écris ta réponse en quelques mots.")
                await self.ask(t, name)
            return
        t.say("Je n'ai pas compris.")
        await self.ask(t, name)


async def _write_replies(uow: UnitOfWork, event: Event, replies: list[NewReply], *, person_id: int | None,
                         now: dt.datetime, send_now: Collection[str], outcome: Outcome) -> list[OutboxMessage]:
    """Write the answers to ``event`` in its chat's outbox: already taken for delivery when the caller sends them
    right after the commit (``send_now``), in ``Outcome.to_send``; otherwise pending, in ``Outcome.outbox_ids``."""
    claimed = event.person.channel in send_now
    written = await uow.outbox.add_replies(replies, channel=event.person.channel, chat_id=event.person.chat_id,
                                           now=now, person_id=person_id, claimed=claimed)
    if claimed:
        outcome.to_send.extend(written)
    else:
        outcome.outbox_ids.extend(message.id for message in written)
    return written
