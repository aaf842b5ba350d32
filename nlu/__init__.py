"""Understanding French as young people write it.

Public API (the only names other packages use):

- ``ParseResult``, ``Entity``, ``IntentScore``: the result, shaped like Rasa's ``/model/parse``.
- ``NluBackend``: what a backend offers (``await backend.parse(text, now=None)``, ``parse_sync``).
- ``load_backend(...)``: the embedded backend (default) or the Rasa server backend with fallback.
- ``INTENTS``, ``ENTITIES``, ``SECTEURS``: the names the flows rely on (docs/nlu.md).
- ``normalise(text)``: the normalised form of a message (lower case, no accents, SMS spelling expanded).
"""

from nlu.backend import NluBackend, load_backend
from nlu.entities import SECTEURS
from nlu.normalise import normalise
from nlu.result import Entity, IntentScore, ParseResult

INTENTS: tuple[str, ...] = (
    "greet", "goodbye", "thanks", "affirm", "deny", "help", "find_job", "find_training", "find_apprenticeship",
    "financial_aid", "book_appointment", "cancel_appointment", "reschedule_appointment", "my_appointments",
    "talk_to_advisor", "mission_locale_info", "social_support", "distress", "stop_nudges", "delete_data",
    "out_of_scope", "inform",
)
ENTITIES: tuple[str, ...] = (
    "commune", "secteur", "time", "part_of_day", "age", "excluded_time", "clock", "first_name",
    "diplome", "obstacle", "suivi", "situation", "rsa",
)

__all__ = [
    "ENTITIES", "INTENTS", "SECTEURS", "Entity", "IntentScore", "NluBackend", "ParseResult", "load_backend",
    "normalise",
]
