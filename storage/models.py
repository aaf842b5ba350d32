"""Every table of the schema, imported in one place so that Alembic and the tests see all of them."""

from storage import conversations, inbox, message_log, outbox, people
from storage.base import Base

# One module per concept; a capability adds its module to this list.
MODULES = (people, conversations, inbox, outbox, message_log)

metadata = Base.metadata
