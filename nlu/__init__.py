"""Understanding French as young people write it.

Public API (the only names other packages use):

- ``ParseResult``, ``Entity``, ``IntentScore``: the result, shaped like Rasa's ``/model/parse``.
- ``NluBackend``: what a backend offers (``await backend.parse(text)``).
- ``load_backend(...)``: the embedded backend (default) or the Rasa server backend with fallback.
- ``INTENTS``, ``SECTEURS``: the contract names of DESIGN.md.
"""

from nlu.result import Entity, IntentScore, ParseResult

__all__ = ["Entity", "IntentScore", "ParseResult"]
