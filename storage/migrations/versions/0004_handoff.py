"""Tables of the hand-off (advisors, hand-offs, deliveries) capability.

Reserved in the revision chain so that capabilities built side by side never fork the history;
empty until the capability adds its tables here.

Revision ID: 0004
Revises: 0003
"""

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
