"""Tables of the nudges capability: the log of every inactivity nudge planned for a person.

Reminders and nudges themselves are outbox rows (0001); this log outlives the outbox's purge so that
a nudge is never planned twice. ``person_id`` lets the generic erasure find it.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nudge_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("rule", sa.String(length=24), nullable=False),
        sa.Column("anchor", sa.Date(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_nudge_log_person_id_people"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nudge_log")),
        sa.UniqueConstraint("key", name=op.f("uq_nudge_log_key")),
    )
    with op.batch_alter_table("nudge_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nudge_log_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("nudge_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nudge_log_person_id"))
    op.drop_table("nudge_log")
