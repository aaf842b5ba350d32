"""What became of the young people (storage/outcomes.py), the report's pseudonymous events
(storage/report_events.py) and the random key that links a person to theirs (people.report_key).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("horizon", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=160), nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("category", sa.String(length=24), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_by", sa.String(length=24), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_outcomes_person_id_people"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomes")),
        sa.UniqueConstraint("key", name=op.f("uq_outcomes_key")),
    )
    with op.batch_alter_table("outcomes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outcomes_person_id"), ["person_id"], unique=False)
    op.create_table(
        "report_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("subject", sa.String(length=24), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("structure", sa.String(length=64), nullable=True),
        sa.Column("territory", sa.String(length=16), nullable=True),
        sa.Column("age_band", sa.String(length=8), nullable=True),
        sa.Column("rsa", sa.Boolean(), nullable=True),
        sa.Column("detail", sa.String(length=64), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("about_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("item", sa.String(length=24), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_events")),
    )
    with op.batch_alter_table("report_events", schema=None) as batch_op:
        batch_op.create_index("ix_report_events_kind_at", ["kind", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_events_subject"), ["subject"], unique=False)
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("report_key", sa.String(length=24), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("report_key")
    with op.batch_alter_table("report_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_events_subject"))
        batch_op.drop_index("ix_report_events_kind_at")
    op.drop_table("report_events")
    with op.batch_alter_table("outcomes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outcomes_person_id"))
    op.drop_table("outcomes")
