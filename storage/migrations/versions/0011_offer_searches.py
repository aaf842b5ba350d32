"""Live offers searches (France Travail, La bonne alternance) cached by their criteria (storage/offer_searches.py),
and the people's alerts for new offers, "Préviens-moi" (storage/offer_alerts.py).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "offer_searches",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("offers", sa.Text(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fresh_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_offer_searches")),
    )
    with op.batch_alter_table("offer_searches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_offer_searches_fresh_until"), ["fresh_until"], unique=False)
    op.create_table(
        "offer_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("sector", sa.String(length=32), nullable=False),
        sa.Column("seen", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_offer_alerts_person_id_people"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_alerts")),
        sa.UniqueConstraint("person_id", name=op.f("uq_offer_alerts_person_id")),
    )
    with op.batch_alter_table("offer_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_offer_alerts_checked_at"), ["checked_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("offer_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offer_alerts_checked_at"))
    op.drop_table("offer_alerts")
    with op.batch_alter_table("offer_searches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offer_searches_fresh_until"))
    op.drop_table("offer_searches")
