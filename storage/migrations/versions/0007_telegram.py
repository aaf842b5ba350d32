"""Tables of the telegram channel capability.

Reserved in the revision chain so that capabilities built side by side never fork the history;
empty until the capability adds its tables here.

Revision ID: 0007
Revises: 0006
"""

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
