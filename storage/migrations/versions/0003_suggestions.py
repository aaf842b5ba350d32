"""Tables of the suggestions (saved suggestions) capability.

Reserved in the revision chain so that capabilities built side by side never fork the history;
empty until the capability adds its tables here.

Revision ID: 0003
Revises: 0002
"""

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
