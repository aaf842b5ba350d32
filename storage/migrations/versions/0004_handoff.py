"""Tables of the hand-off capability: hand-offs to advisors and the messages sent about them.

``request`` and ``text`` are Text columns holding Fernet tokens (encrypted at rest); datetimes are
stored in UTC. Advisors themselves are ``agents`` rows (0002) with a Telegram id: no table here.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("paused_by", sa.Integer(), nullable=True),
        sa.Column("paused_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("request", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_handoffs_person_id_people"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoffs")),
    )
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handoffs_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_handoffs_structure_id"), ["structure_id"], unique=False)

    op.create_table(
        "handoff_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["handoff_id"], ["handoffs.id"], name=op.f("fk_handoff_messages_handoff_id_handoffs"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_handoff_messages_person_id_people"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_messages")),
    )
    with op.batch_alter_table("handoff_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handoff_messages_handoff_id"), ["handoff_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_handoff_messages_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_handoff_messages_outbox_id"), ["outbox_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_handoff_messages_agent_id"), ["agent_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("handoff_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoff_messages_agent_id"))
        batch_op.drop_index(batch_op.f("ix_handoff_messages_outbox_id"))
        batch_op.drop_index(batch_op.f("ix_handoff_messages_person_id"))
        batch_op.drop_index(batch_op.f("ix_handoff_messages_handoff_id"))
    op.drop_table("handoff_messages")
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoffs_structure_id"))
        batch_op.drop_index(batch_op.f("ix_handoffs_person_id"))
    op.drop_table("handoffs")
