"""The right of access (/mes_donnees, ``tremplin data export``): what is held about the person, as
they can read it, in French.

Built from ``uow.personal_data.access`` (every row about the person, and the names of the places and
advisors involved), but only what is *theirs*: what we know (profile, consent), what we sent to their
own chat (texts and button labels, never the signed button data nor the files themselves), what is
planned for them, their appointments, their requests to the mission locale (an advisor's answer to
them is signed with the advisor's short name, never an advisor's id, Telegram id or e-mail), their
saved ideas. Messages written to advisors about them (summaries, forwards) are the staff's: not
here. The erasure (``storage.erasure``) is not chosen here: it still removes every row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flows.outcomes.questions import LABELS as OUTCOME_LABELS
from flows.rules.formatting import clock, day
from storage.handoffs import BOOKED  # the summary that prepared a booking: no request of the person

MESSAGE_STATUS = {
    "pending": "prévu", "sending": "en cours d'envoi", "sent": "envoyé", "failed": "pas arrivé",
    "cancelled": "annulé", "dropped": "pas envoyé",
}
PLANNED = {"pending", "sending"}
APPOINTMENT_STATUS = {
    "unknown": "prévu", "seen": "honoré", "excused": "annulé (tu avais prévenu)", "revoked": "annulé",
    "noshow": "manqué",
}
APPOINTMENT_EVENT = {"booked": "pris", "moved": "déplacé", "cancelled": "annulé", "status": "statut mis à jour"}
BY = {"young": "toi", "agent": "la mission locale", "system": "Tremplin"}
HANDOFF_REASON = {
    "asked": "tu as demandé à parler à quelqu'un", "distress": "tu n'allais pas bien",
    "lost": "je n'arrivais pas à t'aider", BOOKED: "préparer ton rendez-vous",
}
HANDOFF_STATUS = {"open": "en cours", "closed": "terminée"}
IDEA_KIND = {"training": "formation", "job": "emploi", "programme": "dispositif", "service": "service"}
CONSENT = {True: "donné", False: "retiré"}


def access_view(exported: dict[str, Any], tz: dt.tzinfo, now: dt.datetime) -> dict[str, Any]:
    """The person's own data, readable, with French keys (the JSON file and the summary are made of it)."""
    person: dict[str, Any] = exported.get("person", {})
    tables: dict[str, list[dict[str, Any]]] = exported.get("tables", {})
    names: dict[str, dict[Any, Any]] = exported.get("names", {})
    mine = [
        row for row in tables.get("outbox", [])
        if row.get("chat_id") == person.get("chat_id") and row.get("channel") == person.get("channel")
    ]
    sent = [_message(row, tz) for row in mine if row.get("status") not in PLANNED]
    planned = [_message(row, tz) for row in mine if row.get("status") in PLANNED]
    conversation = tables.get("conversations", [])
    return {
        "profil": _profile(person, tz),
        "accords": [
            {"accord": CONSENT.get(bool(c.get("given")), "?"), "le": _local(c.get("at"), tz),
             "version_de_la_notice": c.get("notice_version")}
            for c in tables.get("consents", [])
        ],
        "messages_que_tu_m_as_ecrits": [
            {"le": _local(m.get("created_at"), tz), "texte": m.get("text")}
            for m in tables.get("message_log", []) if m.get("direction") == "in"
        ],
        "mes_reponses_ecrites_gardees": [
            {"le": _local(m.get("created_at"), tz), "texte": m.get("text")}
            for m in tables.get("message_log", []) if m.get("direction") != "in"
        ],
        "messages_que_je_t_ai_envoyes": sent,
        "messages_prevus": planned,
        "relances_prevues": [
            {"prevue_le": _local(n.get("due_at"), tz)}
            for n in tables.get("nudge_log", []) if _after(n.get("due_at"), now)
        ],
        "rendez_vous": _appointments(tables, names, tz),
        "demandes_a_la_mission_locale": _handoffs(tables, names, tz),
        "idees_gardees": [
            {"titre": s.get("title"), "type": IDEA_KIND.get(s.get("kind") or "", s.get("kind")),
             "gardee_le": _local(s.get("saved_at"), tz)}
            for s in tables.get("saved_suggestions", [])
        ],
        "alertes_nouvelles_offres": [_alert(a, tz) for a in tables.get("offer_alerts", [])],
        "ou_tu_en_es": [
            {"reponse": OUTCOME_LABELS.get(o.get("category") or "", o.get("category")),
             "le": _local(o.get("answered_at"), tz),
             "note_par": "toi" if o.get("recorded_by") == "person" else "ta mission locale"}
            for o in tables.get("outcomes", []) if o.get("category")
        ],
        # The raw copies of the messages as the messenger delivered them, kept a few days for safety.
        "traces_techniques_de_tes_messages": {
            "nombre": len(tables.get("inbox", [])),
            "la_plus_ancienne": min((_local(i.get("received_at"), tz) or "" for i in tables.get("inbox", [])),
                                    default=None),
        },
        "conversation_en_cours": (
            {"etape": conversation[0].get("step"), "mise_a_jour_le": _local(conversation[0].get("updated_at"), tz)}
            if conversation else None
        ),
    }


def _alert(alert: dict[str, Any], tz: dt.tzinfo) -> dict[str, Any]:
    """"Préviens-moi": the trade and the commune followed (what could not be decrypted is said as it is)."""
    criteria, seen = alert.get("criteria"), alert.get("seen")
    return {"metier": alert.get("sector"),
            "commune": criteria.get("insee") if isinstance(criteria, dict) else criteria,
            "depuis_le": _local(alert.get("created_at"), tz),
            "offres_deja_vues": len(seen) if isinstance(seen, list) else seen}


def summary_lines(view: dict[str, Any]) -> list[str]:
    """The lines of the summary of /mes_donnees (the profile is said before)."""
    lines = []
    given = [c for c in view["accords"] if c["accord"] == "donné"]
    if given and given[-1]["le"]:
        lines.append(f"• ton accord du {day(dt.datetime.fromisoformat(given[-1]['le']), year=True)}")
    counted = (
        ("messages_que_tu_m_as_ecrits", "message que tu m'as écrit", "messages que tu m'as écrits"),
        ("messages_que_je_t_ai_envoyes", "message que je t'ai envoyé", "messages que je t'ai envoyés"),
        ("messages_prevus", "message prévu pour toi", "messages prévus pour toi"),
        ("rendez_vous", "rendez-vous", "rendez-vous"),
        ("demandes_a_la_mission_locale", "demande à la mission locale", "demandes à la mission locale"),
        ("fiches_de_rendez_vous", "fiche envoyée pour un rendez-vous", "fiches envoyées pour tes rendez-vous"),
        ("idees_gardees", "idée gardée", "idées gardées"),
        ("alertes_nouvelles_offres", "alerte de nouvelles offres", "alertes de nouvelles offres"),
        ("ou_tu_en_es", "réponse sur ta situation", "réponses sur ta situation"),
    )
    # What prepared a booking is kept with the requests, but it is no request of the person: counted apart.
    booked = HANDOFF_REASON[BOOKED]
    rows = {**view, "demandes_a_la_mission_locale": [r for r in view["demandes_a_la_mission_locale"]
                                                     if r["pourquoi"] != booked],
            "fiches_de_rendez_vous": [r for r in view["demandes_a_la_mission_locale"] if r["pourquoi"] == booked]}
    for key, one, several in counted:
        count = len(rows[key])
        if count:
            lines.append(f"• {count} {one if count == 1 else several}")
    return lines


def _profile(person: dict[str, Any], tz: dt.tzinfo) -> dict[str, Any]:
    return {
        "prenom": person.get("first_name"),
        "age": person.get("age"),
        "age_donne_le": person.get("age_given_on"),
        "commune": person.get("commune"),
        "scolarite": person.get("schooling"),
        "situation": person.get("situation"),
        "rsa": person.get("rsa"),
        "suivi_par": person.get("followed_by"),
        "freins": person.get("obstacles") or [],
        "secteurs": person.get("sectors") or [],
        "messages_recus": person.get("notifications"),
        "relances_en_pause": person.get("nudges_paused"),
        "messagerie": person.get("channel"),
        "ton_identifiant": person.get("external_id"),
        "premier_contact": _local(person.get("created_at"), tz),
        "dernier_message": _local(person.get("last_seen_at"), tz),
    }


def _message(row: dict[str, Any], tz: dt.tzinfo) -> dict[str, Any]:
    payload = row.get("payload") if isinstance(row.get("payload"), dict) else {}
    message: dict[str, Any] = {
        "le": _local(row.get("sent_at") or row.get("due_at"), tz),
        "statut": MESSAGE_STATUS.get(row.get("status") or "", row.get("status")),
        "texte": payload.get("text", "") if payload else str(row.get("payload") or ""),
    }
    labels = [b.get("label") for line in payload.get("buttons", []) for b in line if isinstance(b, dict)]
    if labels:
        message["boutons"] = labels
    document = payload.get("document")
    if isinstance(document, dict):
        filename = str(document.get("filename", ""))
        message["fichier"] = "un fichier d'agenda (.ics)" if filename.endswith(".ics") else f"un fichier ({filename})"
    return message


def _appointments(tables: dict[str, list[dict[str, Any]]], names: dict[str, dict[Any, Any]],
                  tz: dt.tzinfo) -> list[dict[str, Any]]:
    history = tables.get("appointment_history", [])
    found = []
    for row in tables.get("appointments", []):
        starts = _moment(row.get("starts_at"), tz)
        place = names.get("lieux", {}).get(row.get("lieu_id")) or {}
        found.append({
            "quand": f"{day(starts, year=True)} à {clock(starts)}" if starts else None,
            "debut": _local(row.get("starts_at"), tz),
            "fin": _local(row.get("ends_at"), tz),
            "ou": names.get("structures", {}).get(row.get("structure_id")),
            "lieu": place.get("name"),
            "adresse": place.get("address"),
            "motif": names.get("motifs", {}).get(row.get("motif_id")),
            "statut": APPOINTMENT_STATUS.get(row.get("status") or "", row.get("status")),
            "historique": [
                {"le": _local(h.get("at"), tz), "quoi": APPOINTMENT_EVENT.get(h.get("event") or "", h.get("event")),
                 "par": BY.get(h.get("by") or "", h.get("by")), "pour_le": _local(h.get("starts_at"), tz)}
                for h in history if h.get("appointment_id") == row.get("id")
            ],
        })
    return found


def _handoffs(tables: dict[str, list[dict[str, Any]]], names: dict[str, dict[Any, Any]],
              tz: dt.tzinfo) -> list[dict[str, Any]]:
    messages = tables.get("handoff_messages", [])
    found = []
    for row in tables.get("handoffs", []):
        opened = _moment(row.get("opened_at"), tz)
        answers = [
            {"de": _short(names.get("agents", {}).get(m.get("agent_id"))), "le": _local(m.get("created_at"), tz),
             "texte": m.get("text")}
            for m in messages if m.get("handoff_id") == row.get("id") and m.get("kind") == "relay" and m.get("text")
        ]
        found.append({
            "demande": _request_words(row.get("reason"), opened),
            "mission_locale": names.get("structures", {}).get(row.get("structure_id")),
            "pourquoi": HANDOFF_REASON.get(row.get("reason") or "", row.get("reason")),
            "urgente": bool(row.get("urgent")),
            "ce_que_tu_as_demande": row.get("request"),
            "statut": HANDOFF_STATUS.get(row.get("status") or "", row.get("status")),
            "terminee_le": _local(row.get("closed_at"), tz),
            "reponses_de_la_mission_locale": answers,
        })
    return found


def _request_words(reason: Any, opened: dt.datetime | None) -> str:
    """"une demande à la mission locale le …", or for a booking's summary, what it was."""
    if reason == BOOKED:
        return (f"ta fiche envoyée à la mission locale le {day(opened, year=True)}, pour ton rendez-vous" if opened
                else "ta fiche envoyée à la mission locale, pour ton rendez-vous")
    return f"une demande à la mission locale le {day(opened, year=True)}" if opened else "une demande"


def _short(display_name: Any) -> str:
    """"Nadia" from "Nadia (exemple)": how the answers were signed for the person (flows.handoff.names)."""
    return str(display_name or "").split("(")[0].strip() or "la mission locale"


def _moment(value: Any, tz: dt.tzinfo) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(tz) if moment.tzinfo else moment


def _local(value: Any, tz: dt.tzinfo) -> str | None:
    """An ISO moment from the export, in the operator's time zone (seconds dropped)."""
    moment = _moment(value, tz)
    return moment.replace(second=0, microsecond=0).isoformat() if moment else None


def _after(value: Any, now: dt.datetime) -> bool:
    moment = _moment(value, dt.UTC)
    return moment is not None and moment.tzinfo is not None and moment > now
