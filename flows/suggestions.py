"""Suggestions: ideas of trainings, jobs, programmes and support that fit the person, and why.

Reached at the end of onboarding ("J'ai des idées pour toi"), with /idees, and from the intents
find_job, find_training, find_apprenticeship, financial_aid and social_support, whose entities narrow
the search for that request ("une formation en logistique à Nanterre").

The ideas come three at a time as short cards, one message each, with a line "Pourquoi pour toi"
made of the person's own answers (``flows.matching`` gives the reasons). Under each card,
"Plus d'infos" and "Ça m'intéresse" (saved for the advisor's hand-off summary); under the last one,
"Autre chose" (the next ideas) and "Prendre rendez-vous". These are action buttons: they stay valid
later and are idempotent. The list is computed again at every page from the current profile, so
an old "Autre chose" never shows something the person can no longer enter.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flows.catalogue import SECTEURS, Job, Offer, Programme, ServiceEntry, Training
from flows.contacts import all_structures, structure_card
from flows.formatting import day, join
from flows.matching import (
    LEVEL_WORDS,
    OBSTACLE_ORDER,
    SECTOR_IN,
    Profile,
    Request,
    Suggestion,
    has_suggestions,
    suggest,
)
from flows.onboarding import OBSTACLES
from flows.script import INTENT_HANDLERS, Next, Option, Question, Step, on_action, on_command, on_intent
from flows.territory import fold
from flows.turn import Turn

welcome = Step("suggestions.welcome")  # after onboarding: offer to show the ideas
ideas = Step("suggestions.ideas")  # the cards; asked again, a short "d'autres idées ?"
topic = Step("suggestions.topic")  # "une aide" without saying for what

STATE = "ideas"  # conversation data: {"req": Request, "shown": [refs], "page": [refs], "fresh": bool}
PAGE = 3  # cards at a time: at most three messages in a row
MAX_SHOWN = 60

KIND_LABELS = {"training": "Formation", "job": "Métier", "programme": "Programme", "service": "Aide"}
MORE_WORDS = {"autre chose", "autre", "autres", "d autres", "d autres idees", "suivant", "encore", "la suite",
              "plus", "d autre"}
MENU_WORDS = {"menu", "plus tard", "non merci", "stop", "c est bon", "rien", "pas maintenant"}
BOOK_WORDS = {"rdv", "rendez vous", "prendre rendez vous", "un rdv", "un rendez vous"}
# Typed instead of pressed: understood here first, because the NLU may hear "ça m'intéresse" as a "no".
INTEREST = re.compile(r"\b(interess\w*|ca me plait|ca me tente|je garde|garde la)\b")
INFO = re.compile(r"\b(plus d infos?|plus d informations?|details?|en savoir plus|c est quoi)\b")
INTENT_REQUESTS = {
    "find_job": Request(kinds=("job", "programme"), situation="emploi"),
    "find_training": Request(kinds=("training", "programme"), situation="formation"),
    "find_apprenticeship": Request(kinds=("training", "programme", "job"), situation="alternance",
                                   alternance_only=True),
    "financial_aid": Request(topics=("argent",)),
}
# Words that say what a request for help is about (social_support has no entity for it).
TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    "logement": ("logement", "loger", "appart", "appartement", "studio", "loyer", "hlm", "foyer", "fjt",
                 "heberge", "hebergement", "dormir", "dors", "dort", "squat", "sdf", "expulse", "expulsion", "proprio",
                 "a la rue", "toit"),
    "sante": ("sante", "malade", "medecin", "docteur", "psy", "handicap", "soigner", "soins", "mutuelle",
              "enceinte", "dentiste", "lunettes", "moral", "depression", "addiction"),
    "famille": ("enfant", "enfants", "bebe", "creche", "garde", "nounou", "mon fils", "ma fille"),
    "argent": ("argent", "dette", "dettes", "budget", "banque", "compte bancaire", "facture", "factures",
               "amende", "amendes", "thune", "thunes", "manger", "decouvert", "fric", "sous"),
    "mobilite": ("permis", "transport", "transports", "voiture", "navigo", "deplacer", "conduite", "code",
                 "auto ecole", "velo", "scooter", "trottinette", "bouger"),
    "langue": ("lire", "ecrire", "francais", "lecture", "ecriture", "alphabetisation", "orthographe"),
    "demarches": ("papiers", "demarche", "demarches", "administratif", "caf", "titre de sejour", "carte vitale",
                  "impots", "dossier", "passeport", "carte d identite"),
}
TOPIC_LABELS = {o.value: o.label for o in OBSTACLES}
UP_TO_LEVEL = {
    "aucun": "sans diplôme", "brevet": "sans diplôme ou avec le brevet", "cap_bep": "jusqu'au CAP ou BEP",
    "bac": "jusqu'au bac", "bac_plus_2": "jusqu'au bac+2",
}


# --- Entry points ---------------------------------------------------------------------------


def _not_ready(t: Turn) -> Next | None:
    """Before the profile is complete: say what is possible, then the question in progress."""
    if t.person.onboarded_at is not None:
        return None
    t.say("Je peux te proposer des formations, des métiers et des aides près de chez toi.")
    t.say("Il me faut d'abord tes réponses. On finit les questions ?")
    if t.conversation.step is None:
        return t.goto("onboarding.start")
    return t.resume()


def _enter(t: Turn, step: str) -> Next:
    """Go to a suggestions question; from elsewhere in a script, come back there afterwards."""
    current = t.conversation.step
    if current in (None, "home") or current.startswith("suggestions."):
        return t.goto(step)
    return t.call(step)


async def open_ideas(t: Turn, request: Request) -> Next:
    """Show the first cards for this request."""
    t.data[STATE] = {"req": request.to_data(), "shown": [], "fresh": True}
    return _enter(t, ideas.name)


@on_command("idees", "Des idées pour toi")
async def ideas_command(t: Turn) -> Next:
    """/idees: the ideas for the profile as it is."""
    if (stop := _not_ready(t)) is not None:
        return stop
    return await open_ideas(t, Request())


@on_intent("find_job", "find_training", "find_apprenticeship", "financial_aid")
async def find(t: Turn) -> Next:
    """"je cherche une formation en logistique à Nanterre": the ideas for that request."""
    if (stop := _not_ready(t)) is not None:
        return stop
    base = INTENT_REQUESTS.get(t.intent or "", Request())
    return await open_ideas(t, await _narrowed(t, base))


@on_intent("social_support")
async def support(t: Turn) -> Next:
    """"j'ai besoin d'un logement": the support services for what the person names, or asks for."""
    if (stop := _not_ready(t)) is not None:
        return stop
    topics = topics_in(t.text) or [o for o in OBSTACLE_ORDER if o in (t.person.obstacles or [])]
    if not topics:
        return _enter(t, topic.name)
    return await open_ideas(t, await _narrowed(t, Request(topics=tuple(topics))))


def topics_in(text: str) -> list[str]:
    """The kinds of help named in a message ("je cherche un appart" -> logement), most urgent first."""
    folded = f" {fold(text)} "
    return [name for name in OBSTACLE_ORDER
            if any(re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", folded) for word in TOPIC_WORDS[name])]


async def _narrowed(t: Turn, base: Request) -> Request:
    """The request with the message's sector and commune; an empty profile field is filled with them."""
    secteur = next((s for s in t.entities("secteur") if s in SECTEURS), None)
    named = t.entity("commune")
    found = t.world.territory.commune_named(named) if named else None
    if secteur and not t.person.sectors:
        await t.uow.people.update(t.person, sectors=[secteur])
    if found is not None and not t.person.commune:
        await t.uow.people.update(t.person, commune=found.insee)
    commune = found.insee if found is not None and found.insee != t.person.commune else None
    return Request(kinds=base.kinds, secteur=secteur, commune=commune, topics=base.topics,
                   situation=base.situation, alternance_only=base.alternance_only)


# --- The cards ------------------------------------------------------------------------------


def _today(t: Turn) -> dt.date:
    return t.now.astimezone(t.world.settings.tz).date()


def ranked(t: Turn, request: Request) -> list[Suggestion]:
    """Every idea for the person and this request, best first."""
    catalogue = t.world.catalogue
    if catalogue is None:
        return []
    return suggest(catalogue.offers, Profile.of(t.person), t.world.territory, _today(t), request)


def any_idea(t: Turn) -> bool:
    """Whether ``ranked(t, Request())`` is not empty, without ranking (flows.matching.has_suggestions)."""
    catalogue = t.world.catalogue
    return catalogue is not None and has_suggestions(catalogue.offers, Profile.of(t.person), t.world.territory,
                                                     _today(t))


def kind_label(offer: Offer) -> str:
    """"Formation", "Métier", "Programme", "Aide"."""
    return "Aide" if offer.role == "support" else KIND_LABELS[offer.kind]


def why(suggestion: Suggestion) -> str:
    """The "pourquoi pour toi": the two strongest reasons, or the plain fact that the person can enter."""
    texts = [r.text for r in suggestion.reasons]
    if not texts:
        return "Tu remplis les conditions pour y entrer."
    chosen = texts[:2] if len(" ".join(texts[:2]).split()) <= 22 else texts[:1]
    return " ".join(chosen)


def _commune_name(t: Turn, insee: str | None) -> str | None:
    found = t.world.territory.commune(insee)
    return found.name if found else None


def _short(text: str | None) -> str:
    """"4 mois, dont 5 semaines en entreprise" -> "4 mois"."""
    return (text or "").split(",")[0].strip()


def facts(t: Turn, offer: Offer) -> str:
    """One line of key facts for the card: duration, pay, place."""
    entry = offer.entry
    parts: list[str] = []
    where = _commune_name(t, offer.place)
    if isinstance(entry, Training):
        parts = [_short(entry.duration), "payée" if entry.paid else "non payée"]
    elif isinstance(entry, Job):
        parts = [f"Diplôme demandé : {entry.diploma}" if entry.diploma_required else "Sans diplôme"]
    elif isinstance(entry, Programme):
        parts = [_short(entry.duration)] if entry.duration else []
        if entry.via_mission_locale:
            parts.append("avec ta mission locale")
    elif isinstance(entry, ServiceEntry):
        if entry.frais is not None:
            parts.append("gratuit" if entry.frais.value == "gratuit" else "payant")
        if where is None and entry.telephone:
            parts.append(f"au {entry.telephone}")
    if where:
        parts.append(f"à {where}")
    text = " · ".join(p for p in parts if p)
    return text[:1].upper() + text[1:]


def card(t: Turn, suggestion: Suggestion) -> str:
    """A short card: what it is, one sentence, the key facts, and why it fits."""
    offer = suggestion.offer
    lines = [f"💡 {kind_label(offer)} : {offer.title}", offer.summary]
    if line := facts(t, offer):
        lines.append(line)
    lines.append(f"👉 Pourquoi pour toi : {why(suggestion)}")
    return "\n".join(lines)


def _card_buttons(t: Turn, offer: Offer) -> list[Any]:
    return [t.action("Plus d'infos", "sg_info", offer.ref), t.action("Ça m'intéresse", "sg_save", offer.ref)]


def _last_buttons(t: Turn, more: bool) -> list[Any]:
    buttons = [t.action("Autre chose", "sg_more")] if more else []
    return [*buttons, t.action("Prendre rendez-vous", "sg_rdv")]


def _options(*values: str) -> list[Option]:
    known = {
        "more": Option("more", "Autre chose", ("autre", "d'autres idées", "encore", "suite")),
        "again": Option("again", "Revoir les idées", ("revoir", "recommencer", "du debut")),
        "all": Option("all", "Toutes mes idées", ("toutes", "tout", "autres idees")),
        "rdv": Option("rdv", "Prendre rendez-vous", ("rdv", "rendez-vous", "conseiller")),
        "menu": Option("menu", "Menu", ("retour", "plus tard", "non merci")),
        "show": Option("show", "Montre-moi", ("oui", "ok", "vas y", "go", "montre", "d'accord", "ouais")),
        "later": Option("later", "Plus tard", ("non", "pas maintenant", "nan")),
    }
    return [known[v] for v in values]


@welcome.ask
async def _(t: Turn) -> Question:
    if not any_idea(t):
        return _nothing(t, Request())
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
    if not state.get("fresh"):
        return Question("Tu veux d'autres idées ?", options=_options("more", "rdv", "menu"))
    state["fresh"] = False
    request = Request.from_data(state.get("req"))
    found = ranked(t, request)
    shown = list(state.get("shown") or [])
    page = [s for s in found if s.offer.ref not in shown][:PAGE]
    narrowed_to_paths = request != Request() and not request.topics
    if not found or (narrowed_to_paths and not any(s.offer.role == "path" for s in found)):
        return _nothing(t, request)  # "a job in logistics" answered with support alone is "nothing found"
    if not page:
        return Question("C'est tout ce que j'ai pour l'instant. Un conseiller peut chercher plus loin avec toi.",
                        options=_options("rdv", "again", "menu"), columns=1)
    state["shown"] = [*shown, *(s.offer.ref for s in page)][-MAX_SHOWN:]
    state["page"] = [s.offer.ref for s in page]
    more = len(found) > len(shown) + len(page)
    for suggestion in page[:-1]:
        t.say(card(t, suggestion), buttons=_card_buttons(t, suggestion.offer))
    last = page[-1]
    return Question(card(t, last), extra_buttons=[*_card_buttons(t, last.offer), *_last_buttons(t, more)])


@ideas.explain
async def _(t: Turn) -> Question:
    return Question("Appuie sur un bouton sous une idée. Ou écris « autre chose » pour d'autres idées.",
                    options=_options("more", "rdv", "menu"))


@ideas.answer
async def _(t: Turn) -> Next:
    return await _answer_common(t, t.choice())


def _nothing(t: Turn, request: Request) -> Question:
    """Nothing fits: say so plainly, and offer a person (and the wider list when the request was narrow)."""
    narrow = request != Request()
    if request.secteur:
        said = f"Je n'ai rien trouvé {SECTOR_IN[request.secteur]} pour toi."
    elif request.topics:
        said = f"Je n'ai pas trouvé d'aide « {TOPIC_LABELS.get(request.topics[0], '').lower()} » pour toi."
    else:
        said = "Je n'ai pas trouvé d'idée pour toi dans ma liste."
    options = ["rdv", "all", "menu"] if narrow and any_idea(t) else ["rdv", "menu"]
    return Question(f"{said} Un conseiller peut chercher avec toi.", options=_options(*options), columns=1)


async def _answer_common(t: Turn, chosen: str | None) -> Next:
    folded = t.folded
    if chosen is None and (INTEREST.search(folded) or INFO.search(folded)):
        return await _typed_card_button(t, "save" if INTEREST.search(folded) else "info")
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


async def _typed_card_button(t: Turn, what: str) -> Next:
    """"ça m'intéresse" typed: with one idea on screen, that one; with several, which button to press."""
    page = (t.data.get(STATE) or {}).get("page") or []
    catalogue = t.world.catalogue
    offer = catalogue.offer(page[0]) if catalogue is not None and len(page) == 1 else None
    if offer is not None:
        return await (save_offer(t, offer) if what == "save" else show_info(t, offer))
    label = "Ça m'intéresse" if what == "save" else "Plus d'infos"
    return t.stay(f"Appuie sur « {label} » sous l'idée que tu veux.")


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


# --- The card buttons -----------------------------------------------------------------------


def _offer_pressed(t: Turn) -> Offer | None:
    catalogue = t.world.catalogue
    return catalogue.offer(t.argument) if catalogue is not None and t.argument else None


@on_action("sg_more")
async def more_ideas(t: Turn) -> Next:
    """"Autre chose": the next ideas of the same request (computed again from the current profile)."""
    if (stop := _not_ready(t)) is not None:
        return stop
    state = t.data.setdefault(STATE, {"req": {}, "shown": []})
    state["fresh"] = True
    return _enter(t, ideas.name)


@on_action("sg_info")
async def more_info(t: Turn) -> Next:
    """"Plus d'infos": the details of one idea, with what to do next."""
    offer = _offer_pressed(t)
    if offer is None:
        t.say("Cette idée n'est plus dans ma liste. Écris /idees pour voir les nouvelles.")
        return t.stay()
    return await show_info(t, offer)


async def show_info(t: Turn, offer: Offer) -> Next:
    """The details of one idea, with what to do next."""
    t.say(details(t, offer), buttons=[t.action("Ça m'intéresse", "sg_save", offer.ref),
                                      t.action("Prendre rendez-vous", "sg_rdv", offer.ref)])
    return t.stay()


@on_action("sg_save")
async def save(t: Turn) -> Next:
    """"Ça m'intéresse": kept for the advisor (once, however many taps)."""
    offer = _offer_pressed(t)
    if offer is None:
        t.say("Cette idée n'est plus dans ma liste. Écris /idees pour voir les nouvelles.")
        return t.stay()
    return await save_offer(t, offer)


async def save_offer(t: Turn, offer: Offer) -> Next:
    """Keep an idea for the advisor, once."""
    if t.person.consent_at is None:
        t.say("Je ne garde rien sans ton accord. Tu peux en parler directement à ta mission locale.")
        return t.stay()
    added = await t.uow.suggestions.save(t.person.id, offer.id, offer.kind, offer.title, t.now)
    if added:
        t.ack = "C'est noté"
        t.say(f"C'est noté : « {offer.title} » t'intéresse. Ton conseiller le verra.",
              buttons=[t.action("Prendre rendez-vous", "sg_rdv", offer.ref)])
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


# --- Plus d'infos ---------------------------------------------------------------------------


def _dates(days: Any, today: dt.date) -> str:
    coming = [d for d in days if d >= today][:3]
    return join([day(d) for d in coming])


def _for_whom(offer: Offer) -> str:
    """Who can enter, from the rules: "de 16 à 25 ans, sans diplôme ou avec le brevet"."""
    parts = []
    if offer.age_max < 99:
        parts.append(f"de {offer.age_min} à {offer.age_max} ans")
    elif offer.age_min > 16:
        parts.append(f"à partir de {offer.age_min} ans")
    if offer.level_max:
        parts.append(UP_TO_LEVEL[offer.level_max])
    elif offer.level_required != "aucun":
        parts.append(f"avec au moins {LEVEL_WORDS[offer.level_required]}")
    if offer.rsa == "required":
        parts.append("si tu touches le RSA")
    if offer.needs_driving_licence:
        parts.append("avec le permis B")
    if "etudes" in offer.situations_excluded:
        parts.append("hors études")
    return ", ".join(parts)


def details(t: Turn, offer: Offer) -> str:
    """Everything useful about one idea, in short lines."""
    entry = offer.entry
    today = _today(t)
    lines = [f"{kind_label(offer)} : {offer.title}", offer.summary]
    if isinstance(entry, Training):
        if entry.certification:
            lines.append(f"🎓 {entry.certification}")
        lines.append(f"🏫 {entry.organisme}")
        if entry.address:
            lines.append(f"📍 {entry.address}" + (f" ({entry.access})" if entry.access else ""))
        coming = _dates(entry.next_sessions, today)
        lines.append(f"📅 Prochaines entrées : {coming}" if coming else "📅 Entrées toute l'année")
        lines.append(f"⏱️ {entry.duration}")
        lines.append(f"💶 {entry.pay or ('Payée' if entry.paid else 'Non payée')}")
        lines.append(f"📝 Pour t'inscrire : {entry.how_to_apply}")
    elif isinstance(entry, Job):
        lines.append(f"🎓 Diplôme demandé : {entry.diploma}" if entry.diploma_required else "🎓 Sans diplôme")
        lines.append(f"🔎 {entry.how_to_find}")
    elif isinstance(entry, Programme):
        if entry.duration:
            lines.append(f"⏱️ {entry.duration}")
        if entry.pay:
            lines.append(f"💶 {entry.pay}")
        if entry.address:
            lines.append(f"📍 {entry.address}")
        lines.append(f"📝 {entry.how_to_apply}")
    elif isinstance(entry, ServiceEntry):
        structure = t.world.catalogue.structure(entry.structure_id) if t.world.catalogue else None
        if structure is not None:
            lines.append(f"🏢 {structure.nom}")
        if entry.adresse:
            lines.append(f"📍 {entry.adresse}, {entry.code_postal or ''} {entry.commune or ''}".rstrip())
        if entry.telephone:
            lines.append(f"📞 {entry.telephone}")
        if entry.frais_precisions:
            lines.append(f"💶 {entry.frais_precisions}")
        if entry.conditions_acces:
            lines.append(f"✅ {entry.conditions_acces}")
        if entry.mobilisation_precisions:
            lines.append(f"📝 {entry.mobilisation_precisions}")
        if entry.lien_mobilisation:
            lines.append(f"🔗 {entry.lien_mobilisation}")
    if who := _for_whom(offer):
        lines.append(f"👤 Pour qui : {who}")
    if offer.via_mission_locale and (structure_ml := t.world.territory.structure_for(t.person.commune)):
        lines.append(f"🤝 Ta mission locale : {structure_ml.name}, {structure_ml.phone}")
    if offer.example:
        lines.append("ℹ️ Fiche d'exemple : vérifie ces infos avec ta mission locale.")
    return "\n".join(lines)
