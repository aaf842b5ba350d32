"""Every table of the schema, imported in one place so that Alembic and the tests see all of them."""

from storage import (
    appointments,
    consents,
    conversations,
    employer_offers,
    handoffs,
    inbox,
    keyring,
    message_log,
    nudges,
    offer_alerts,
    offer_searches,
    outbox,
    outcomes,
    people,
    report_events,
    staff,
    stats,
    structures,
    suggestions,
)
from storage.base import Base

# One module per concept; a capability adds its module to this list.
MODULES = (people, conversations, inbox, outbox, message_log, structures, appointments, consents, stats, suggestions,
           handoffs, nudges, keyring, staff, offer_searches, offer_alerts, employer_offers,
           outcomes, report_events)

metadata = Base.metadata
