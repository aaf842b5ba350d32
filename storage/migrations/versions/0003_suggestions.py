"""Tables of the suggestions capability: the suggestions a person saved ("ça m'intéresse").

The title is a Text holding a Fernet token (encrypted at rest); datetimes are stored in UTC.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_suggestions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_saved_suggestions_person_id_people"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_suggestions")),
        sa.UniqueConstraint("person_id", "entry_id", name=op.f("uq_saved_suggestions_person_id_entry_id")),
    )
    with op.batch_alter_table("saved_suggestions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saved_suggestions_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("saved_suggestions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_suggestions_person_id"))
    op.drop_table("saved_suggestions")
