"""Privacy: consent history and anonymous daily statistics.

People who consented before this revision get one consent row each, from ``people.consent_at`` and
``people.consent_version`` (the history starts with what was already known).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("given", sa.Boolean(), nullable=False),
        sa.Column("notice_version", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_consents_person_id_people"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consents_person_id"), ["person_id"], unique=False)

    op.create_table(
        "daily_stats",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=48), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "name", name=op.f("pk_daily_stats")),
    )

    people = sa.table(
        "people", sa.column("id", sa.Integer()), sa.column("consent_at", sa.DateTime(timezone=True)),
        sa.column("consent_version", sa.String()),
    )
    consents = sa.table(
        "consents", sa.column("person_id", sa.Integer()), sa.column("given", sa.Boolean()),
        sa.column("notice_version", sa.String()), sa.column("at", sa.DateTime(timezone=True)),
    )
    op.execute(
        consents.insert().from_select(
            ["person_id", "given", "notice_version", "at"],
            sa.select(
                people.c.id, sa.true(), sa.func.coalesce(people.c.consent_version, "unknown"), people.c.consent_at
            ).where(people.c.consent_at.isnot(None)),
        )
    )


def downgrade() -> None:
    op.drop_table("daily_stats")
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consents_person_id"))

    op.drop_table("consents")
