"""The ideas as the person sees them: a short card for each, its details ("Plus d'infos"), and the
ranking of the ideas for a person (``flows.suggestions.matching`` does the choosing and gives the reasons).

A card says what the idea is, one sentence, the key facts (duration, pay, place) and a line
"Pourquoi pour toi" made of the person's own answers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flows.data.catalogue import Job, Offer, Programme, ServiceEntry, Training
from flows.data.live_offers import LiveOffer
from flows.engine.turn import Turn
from flows.rules.formatting import day, join
from flows.suggestions.live import live_suggestions
from flows.suggestions.matching import LEVEL_WORDS, Profile, Request, Suggestion, has_suggestions, suggest

STATE = "ideas"  # conversation data: {"req": Request, "shown": [refs], "page": [refs], "fresh": bool}
# "page": the refs of the cards on screen, in the order shown (what "le 2e" counts in).

KIND_LABELS = {"training": "Formation", "job": "Métier", "programme": "Programme", "service": "Aide",
               "offer": "Offre d'emploi"}
UP_TO_LEVEL = {
    "aucun": "sans diplôme", "brevet": "sans diplôme ou avec le brevet", "cap_bep": "jusqu'au CAP ou BEP",
    "bac": "jusqu'au bac", "bac_plus_2": "jusqu'au bac+2",
}


def _today(t: Turn) -> dt.date:
    return t.now.astimezone(t.world.settings.tz).date()


async def ranked_with_offers(t: Turn, request: Request) -> list[Suggestion]:
    """Every idea for the person and this request, best first, with the live offers that fit among the paths
    (none without a source: the catalogue alone)."""
    catalogue = t.world.catalogue
    if catalogue is None:
        return []
    profile = Profile.of(t.person)
    live = await live_suggestions(t, profile, request)
    return suggest(catalogue.offers, profile, t.world.territory, _today(t), request, live=live)


def any_idea(t: Turn) -> bool:
    """Whether there is a catalogue idea for the person, without ranking (matching.has_suggestions)."""
    catalogue = t.world.catalogue
    return catalogue is not None and has_suggestions(catalogue.offers, Profile.of(t.person), t.world.territory,
                                                     _today(t))


def kind_label(offer: Offer) -> str:
    """"Formation", "Métier", "Programme", "Aide", "Offre d'emploi"."""
    if offer.kind == "offer" and offer.alternance:
        return "Offre en alternance"
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


def _start(start: str | None, today: dt.date) -> str:
    """"début lundi 14 décembre" from an offer's ISO date (a date past or unreadable says nothing)."""
    try:
        date = dt.date.fromisoformat(start[:10]) if start else None
    except ValueError:
        return ""
    return f"début {day(date, today=today)}" if date is not None and date >= today else ""


def facts(t: Turn, offer: Offer) -> str:
    """One line of key facts for the card: duration, pay, place."""
    entry = offer.entry
    parts: list[str] = []
    where = _commune_name(t, offer.place)
    if isinstance(entry, LiveOffer):
        parts = [entry.place or "", entry.contract or "", entry.hours or "", _start(entry.start, _today(t))]
    elif isinstance(entry, Training):
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
    if isinstance(offer.entry, LiveOffer) and offer.entry.url:
        lines.append(f"🔗 Pour postuler : {offer.entry.url}")
    return "\n".join(lines)


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
