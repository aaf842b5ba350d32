"""The ids of every piece of an outbox message sent in several (a text longer than Telegram's 4,096
characters): a reply to any piece leads back to the message (storage/outbox.py, ``sent_as``).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("piece_ids", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("piece_ids")
