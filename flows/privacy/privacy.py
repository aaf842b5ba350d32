"""Privacy: what is kept and why (/confidentialite), everything held about me (/mes_donnees), and
erasing it all (/supprimer, or "efface mes données").

The notice is written once, here: the onboarding's "En savoir plus" shows the same texts. Erasure
runs the capabilities' ``on_erasure`` hooks (cancel future appointments, tell the structure...), then
deletes every row about the person, in every table (``storage.erasure``), in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

from flows.engine.events import Document, Event, PersonRef
from flows.engine.script import ERASURE_HOOKS, Next, Option, Question, Step, on_action, on_command, on_intent
from flows.engine.turn import Turn
from flows.engine.world import World
from flows.privacy.access import access_view, summary_lines
from flows.profile.description import commune_name, describe
from flows.rules.formatting import months
from flows.rules.settings import ConversationSettings
from storage import crypto
from storage.db import UnitOfWork
from storage.people import Person

log = logging.getLogger(__name__)

confirm_erasure = Step("privacy.erase")
NOTICE_COMMAND = "confidentialite"

# --- The notice ---------------------------------------------------------------------------------

# Who sees the answers: said the same way by the consent question (flows/onboarding/questions.py) and
# the notice, so the consent never promises more than the notice says.
WHO_SEES = "Seules les personnes qui t'accompagnent les voient : ta mission locale et le Département."


def notice(settings: ConversationSettings) -> tuple[str, str, str]:
    """The privacy notice in three short messages: what and why; who and how long; your rights."""
    retention, privacy = settings.retention, settings.privacy
    kept = (
        "Je garde ce que tu me dis : prénom, âge, ville, diplôme, situation et messages. "
        "Ça sert à t'orienter vers une formation, un emploi ou une aide. "
        f"C'est une mission de service public. Le responsable : {privacy.controller}."
    )
    who = (
        f"{WHO_SEES} "
        f"Tes messages sont effacés après {retention.message_text_days} jours. "
        f"Le reste est effacé {months(retention.profile_months)} après ton dernier message."
    )
    rights = (
        "Tu peux voir tes données (/mes_donnees), les corriger (/profil) ou tout effacer (/supprimer). "
        "Tu peux aussi refuser qu'on s'en serve.\n"
        f"Une question ? Écris à la personne chargée de protéger les données : {privacy.dpo_contact}.\n"
        "Pas d'accord ? Tu peux te plaindre à la CNIL, qui protège les données personnelles : cnil.fr."
    )
    return kept, who, rights


def notice_before_consent(settings: ConversationSettings) -> tuple[str, str]:
    """The notice as "En savoir plus" shows it, before the consent question is asked again."""
    kept, who, _ = notice(settings)
    return kept, f"{who} Tu pourras tout voir ou tout effacer quand tu veux : /{NOTICE_COMMAND}."


@on_command(NOTICE_COMMAND, "Ce que je garde et pourquoi", rank=70)
async def show_notice(t: Turn) -> Next:
    """The notice; the last message offers to see or erase the data, or to go on."""
    kept, who, rights = notice(t.world.settings)
    t.say(kept)
    t.say(who)
    t.say(rights, buttons=[
        t.action("Voir mes données", "my_data"),
        t.action("Tout effacer", "erase"),
        t.action("On continue", "resume"),
    ])
    return t.stay()


# --- Access -------------------------------------------------------------------------------------


@on_command("mes_donnees", "Tout ce que je sais de toi", rank=80)
async def my_data(t: Turn) -> Next:
    """Everything held about the person: a readable summary, and all of it in a JSON file (their own data
    only, in French: ``flows.privacy.access``)."""
    with crypto.tolerant_reads() as unreadable:  # what the data key cannot read is said, not an error
        exported = await t.uow.personal_data.access(t.person.id) or {"person": {}, "tables": {}}
    await t.uow.stats.bump("exports", local_day(t))
    t.say(f"Voici ce que je sais de toi :\n{_profile_lines(t)}")
    summary = _summary(access_view(exported, t.world.settings.tz, t.now))
    if unreadable.count:
        summary += (f"\nJe n'arrive plus à lire {unreadable.count} "
                    f"{'élément' if unreadable.count == 1 else 'éléments'} : ils sont marqués « illisible » "
                    "dans le fichier. /supprimer les efface quand même.")
    t.say(summary, document=export_document(t.world.settings, exported, t.now))
    return t.resume()


@on_action("my_data")
async def my_data_button(t: Turn) -> Next:
    """"Voir mes données" under the notice."""
    return await my_data(t)


def export_document(settings: ConversationSettings, exported: dict, now: dt.datetime) -> Document:
    """The export as a JSON file: who holds the data, for how long, then the person's own data
    (``flows.privacy.access``), French keys throughout."""
    privacy, retention = settings.privacy, settings.retention
    content = {
        "service": "Tremplin",
        "responsable": privacy.controller,
        "contact_protection_des_donnees": privacy.dpo_contact,
        "version_de_la_notice": privacy.notice_version,
        "genere_le": now.astimezone(settings.tz).replace(microsecond=0).isoformat(),
        "durees_de_conservation": {
            "messages_jours": retention.message_text_days,
            "profil_mois_apres_le_dernier_message": retention.profile_months,
            "traces_techniques_jours": retention.processed_updates_days,
        },
        **access_view(exported, settings.tz, now),
    }
    text = json.dumps(content, ensure_ascii=False, indent=2, sort_keys=False)
    filename = f"tremplin-mes-donnees-{now.astimezone(settings.tz).date().isoformat()}.json"
    return Document(filename, text.encode("utf-8"), "application/json")


def _profile_lines(t: Turn) -> str:
    return describe(t.person, commune_name(t))


def _summary(view: dict) -> str:
    lines = summary_lines(view)
    kept = "\n".join(lines) if lines else "• rien d'autre"
    return f"Je garde aussi :\n{kept}\nTout est dans ce fichier, en détail."


# --- Erasure ------------------------------------------------------------------------------------


@on_intent("delete_data", offer="Effacer mes données")
@on_command("supprimer", "Effacer tes données", rank=90)
async def ask_erasure(t: Turn) -> Next:
    """Ask to confirm first: erasing cannot be undone."""
    return t.call(confirm_erasure.name)


@on_action("erase")
async def erase_button(t: Turn) -> Next:
    """"Tout effacer" under the notice."""
    return t.call(confirm_erasure.name)


@confirm_erasure.ask
async def _(t: Turn) -> Question:
    return Question(
        "Tu veux vraiment tout effacer ? Je ne pourrai pas revenir en arrière.",
        before=("J'efface tout ce que je sais de toi : ton profil, tes messages, tes rendez-vous prévus.",),
        options=(
            Option("yes", "Oui, tout effacer", ("oui", "ouais", "ouai", "oe", "yes", "efface", "vas y", "ok")),
            Option("no", "Non, je garde", ("non", "nan", "no", "garde", "annule", "laisse", "stop")),
        ),
        columns=1,
    )


@confirm_erasure.explain
async def _(t: Turn) -> Question:
    question = await confirm_erasure.question(t)
    question.before = ("Appuie sur « Oui, tout effacer » ou sur « Non, je garde ».",)
    return question


@confirm_erasure.answer
async def _(t: Turn) -> Next:
    answer = t.choice() or ("yes" if t.is_intent("affirm") else "no" if t.is_intent("deny") else None)
    if answer == "yes":
        await erase_everything(t, "erasures_requested")
        t.say("C'est fait : j'ai tout effacé.")
        t.say("Si tu m'écris à nouveau, on repart de zéro. Prends soin de toi !")
        return t.stay()
    if answer == "no":
        return t.done("D'accord, je ne touche à rien.")
    return t.not_understood()


async def erase_everything(t: Turn, counter: str | None) -> dict[str, int]:
    """Run the erasure hooks, then delete every row about the person, in this transaction.

    ``counter`` names the anonymous daily counter to add one to (None when another counter already
    says why, as for a refused consent). Afterwards ``t.erased`` is set: the engine stores nothing
    more about this turn, and the replies still go out (addressed by chat, with no person attached).
    """
    with crypto.tolerant_reads():  # an erasure never needs to read what was written with a lost key
        for hook in ERASURE_HOOKS:
            await hook(t)
    if counter:
        await t.uow.stats.bump(counter, local_day(t))
    counts = await t.uow.personal_data.erase(t.person.id)
    t.erased = True
    log.info("personal data erased (%s): %d rows", counter or "not kept", sum(counts.values()))
    return counts


async def system_turn(uow: UnitOfWork, world: World, person: Person, now: dt.datetime, key: str) -> Turn:
    """A turn that no message started (retention job, operator command), for the erasure hooks.

    What hooks ``say`` in it is not sent: the person did not write. Messages to others (``send_to``)
    and cancellations are written as usual.
    """
    await world.refresh(uow)  # the operator's structures, as the engine's turns read them
    conversation = await uow.conversations.load(person.id, now)
    event = Event(PersonRef(person.channel, person.external_id, person.chat_id), "system", key=key)
    return Turn(event=event, person=person, conversation=conversation, uow=uow, world=world, parsed=None, now=now)


def local_day(t: Turn) -> dt.date:
    """Today in the operator's time zone (the day anonymous counters are kept under)."""
    return t.now.astimezone(t.world.settings.tz).date()
