"""Tables of the nudges capability.

Reserved in the revision chain so that capabilities built side by side never fork the history;
empty until the capability adds its tables here.

Revision ID: 0006
Revises: 0005
"""

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
