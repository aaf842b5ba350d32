"""The id of the data key (first 8 hex characters of its SHA-256, never the key): a start with another
key, or without the key, is refused while encrypted data exists (storage/keyring.py, bot/keys.py).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "key_ids",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_key_ids")),
    )


def downgrade() -> None:
    op.drop_table("key_ids")
