"""Booking: structures, lieux, motifs, agents, plages d'ouverture, absences, appointments and their history.

The partial unique indexes on ``appointments`` are the no-double-booking guarantee (see
storage/appointments.py); SQLite and PostgreSQL both support them.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LIVE = "status = 'unknown'"


def upgrade() -> None:
    op.create_table('structures',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('example', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_structures'))
    )
    op.create_table('lieux',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('structure_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('commune', sa.String(length=8), nullable=False),
    sa.Column('access', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['structure_id'], ['structures.id'], name=op.f('fk_lieux_structure_id_structures')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lieux'))
    )
    with op.batch_alter_table('lieux', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lieux_structure_id'), ['structure_id'], unique=False)

    op.create_table('motifs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('structure_id', sa.String(length=64), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('min_booking_delay_minutes', sa.Integer(), nullable=False),
    sa.Column('max_booking_delay_minutes', sa.Integer(), nullable=False),
    sa.Column('location_type', sa.String(length=16), nullable=False),
    sa.Column('collective', sa.Boolean(), nullable=False),
    sa.Column('max_participants', sa.Integer(), nullable=True),
    sa.Column('bookable_publicly', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint('duration_minutes > 0', name=op.f('ck_motifs_duration_positive')),
    sa.CheckConstraint('NOT collective OR max_participants >= 1', name=op.f('ck_motifs_collective_has_seats')),
    sa.ForeignKeyConstraint(['structure_id'], ['structures.id'], name=op.f('fk_motifs_structure_id_structures')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_motifs')),
    sa.UniqueConstraint('structure_id', 'code', name=op.f('uq_motifs_structure_id_code'))
    )
    with op.batch_alter_table('motifs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_motifs_structure_id'), ['structure_id'], unique=False)

    op.create_table('agents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('structure_id', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('telegram_id', sa.BigInteger(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['structure_id'], ['structures.id'], name=op.f('fk_agents_structure_id_structures')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agents')),
    sa.UniqueConstraint('email', name=op.f('uq_agents_email')),
    sa.UniqueConstraint('telegram_id', name=op.f('uq_agents_telegram_id'))
    )
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agents_structure_id'), ['structure_id'], unique=False)

    op.create_table('plages_ouverture',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('lieu_id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=False),
    sa.Column('rrule', sa.Text(), nullable=True),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.CheckConstraint('start_time < end_time', name=op.f('ck_plages_ouverture_starts_before_end')),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_plages_ouverture_agent_id_agents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lieu_id'], ['lieux.id'], name=op.f('fk_plages_ouverture_lieu_id_lieux')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plages_ouverture')),
    sa.UniqueConstraint('ref', name=op.f('uq_plages_ouverture_ref'))
    )
    with op.batch_alter_table('plages_ouverture', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plages_ouverture_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plages_ouverture_lieu_id'), ['lieu_id'], unique=False)

    op.create_table('plage_ouverture_motifs',
    sa.Column('plage_ouverture_id', sa.Integer(), nullable=False),
    sa.Column('motif_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['motif_id'], ['motifs.id'], name=op.f('fk_plage_ouverture_motifs_motif_id_motifs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plage_ouverture_id'], ['plages_ouverture.id'], name=op.f('fk_plage_ouverture_motifs_plage_ouverture_id_plages_ouverture'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('plage_ouverture_id', 'motif_id', name=op.f('pk_plage_ouverture_motifs'))
    )
    op.create_table('absences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('structure_id', sa.String(length=64), nullable=True),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(agent_id IS NULL) <> (structure_id IS NULL)', name=op.f('ck_absences_agent_or_structure')),
    sa.CheckConstraint('starts_at < ends_at', name=op.f('ck_absences_starts_before_end')),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_absences_agent_id_agents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['structure_id'], ['structures.id'], name=op.f('fk_absences_structure_id_structures')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_absences')),
    sa.UniqueConstraint('ref', name=op.f('uq_absences_ref'))
    )
    with op.batch_alter_table('absences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_absences_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_absences_structure_id'), ['structure_id'], unique=False)

    op.create_table('appointments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=80), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('structure_id', sa.String(length=64), nullable=False),
    sa.Column('lieu_id', sa.String(length=64), nullable=False),
    sa.Column('motif_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('collective', sa.Boolean(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('created_by', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_appointments_agent_id_agents')),
    sa.ForeignKeyConstraint(['lieu_id'], ['lieux.id'], name=op.f('fk_appointments_lieu_id_lieux')),
    sa.ForeignKeyConstraint(['motif_id'], ['motifs.id'], name=op.f('fk_appointments_motif_id_motifs')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_appointments_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['structure_id'], ['structures.id'], name=op.f('fk_appointments_structure_id_structures')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointments')),
    sa.UniqueConstraint('uid', name=op.f('uq_appointments_uid'))
    )
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.create_index('ix_appointments_agent_id_starts_at', ['agent_id', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointments_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointments_structure_id'), ['structure_id'], unique=False)
        batch_op.create_index('uq_appointments_agent_live_start', ['agent_id', 'starts_at'], unique=True,
                              sqlite_where=sa.text(f"{LIVE} AND NOT collective"),
                              postgresql_where=sa.text(f"{LIVE} AND NOT collective"))
        batch_op.create_index('uq_appointments_person_live_start', ['person_id', 'starts_at'], unique=True,
                              sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE))

    op.create_table('appointment_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('event', sa.String(length=16), nullable=False),
    sa.Column('by', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('previous_status', sa.String(length=8), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('previous_starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_appointment_history_appointment_id_appointments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_appointment_history_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment_history'))
    )
    with op.batch_alter_table('appointment_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_history_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_history_person_id'), ['person_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('appointment_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointment_history_person_id'))
        batch_op.drop_index(batch_op.f('ix_appointment_history_appointment_id'))
    op.drop_table('appointment_history')

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_index('uq_appointments_person_live_start')
        batch_op.drop_index('uq_appointments_agent_live_start')
        batch_op.drop_index(batch_op.f('ix_appointments_structure_id'))
        batch_op.drop_index(batch_op.f('ix_appointments_person_id'))
        batch_op.drop_index('ix_appointments_agent_id_starts_at')
    op.drop_table('appointments')

    with op.batch_alter_table('absences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_absences_structure_id'))
        batch_op.drop_index(batch_op.f('ix_absences_agent_id'))
    op.drop_table('absences')
    op.drop_table('plage_ouverture_motifs')

    with op.batch_alter_table('plages_ouverture', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plages_ouverture_lieu_id'))
        batch_op.drop_index(batch_op.f('ix_plages_ouverture_agent_id'))
    op.drop_table('plages_ouverture')

    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agents_structure_id'))
    op.drop_table('agents')

    with op.batch_alter_table('motifs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_motifs_structure_id'))
    op.drop_table('motifs')

    with op.batch_alter_table('lieux', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lieux_structure_id'))
    op.drop_table('lieux')
    op.drop_table('structures')
