"""The structures become the database's (storage/structures.py): their opening hours, whether they are active
and when they were last imported or edited, the order of their lieux, and which structure serves each commune
(``structure_communes``). Rows mirrored from the data file before this revision keep ``updated_at`` empty: the
next start imports the file once more (with the communes), then never again.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("structures") as batch:
        batch.add_column(sa.Column("opening_hours", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("lieux") as batch:
        batch.add_column(sa.Column("position", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "structure_communes",
        sa.Column("insee", sa.String(8), nullable=False),
        sa.Column("structure_id", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["structure_id"], ["structures.id"],
                                name=op.f("fk_structure_communes_structure_id_structures")),
        sa.PrimaryKeyConstraint("insee", name=op.f("pk_structure_communes")),
    )
    op.create_index(op.f("ix_structure_communes_structure_id"), "structure_communes", ["structure_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_structure_communes_structure_id"), table_name="structure_communes")
    op.drop_table("structure_communes")
    with op.batch_alter_table("lieux") as batch:
        batch.drop_column("position")
    with op.batch_alter_table("structures") as batch:
        batch.drop_column("updated_at")
        batch.drop_column("active")
        batch.drop_column("opening_hours")
