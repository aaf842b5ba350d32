"""The Département's report: figures of a calendar period from the pseudonymous events (storage/report_events.py),
small counts suppressed, charts, HTML / PDF / CSV in French (docs/rapport.md).

A layer beside ``flows``: it reads ``storage`` and is used by ``bot`` (the command) and ``web`` (the desk's page).
"""

FORMATS = ("html", "pdf", "csv")
