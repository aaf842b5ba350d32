"""The advisors' desk: a web application on the bot's database and outbox (``tremplin web``).

Server-rendered pages (Starlette, Jinja2), one small script for what refreshes by itself, no build step.
Every route says which roles may use it (web/access.py) and scopes every record to the viewer's structure;
the actions are flows/advisors' operations, the same ones the Telegram commands call.
"""
