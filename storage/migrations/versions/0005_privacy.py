"""Tables of the privacy (consents, anonymous statistics) capability.

Reserved in the revision chain so that capabilities built side by side never fork the history;
empty until the capability adds its tables here.

Revision ID: 0005
Revises: 0004
"""

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
