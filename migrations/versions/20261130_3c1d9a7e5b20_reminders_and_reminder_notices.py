"""reminders and reminder notices

Revision ID: 3c1d9a7e5b20
Revises: 14103c3966de
Create Date: 2026-11-30 04:25:00.811142

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c1d9a7e5b20'
down_revision = '14103c3966de'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reminder_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_reminder_notice_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['document_id'], ['issued_document.id'], name=op.f('fk_reminder_notice_document_id_issued_document')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_reminder_notice_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_notice')),
    sa.UniqueConstraint('campaign_id', 'number', name=op.f('uq_reminder_notice_campaign_id'))
    )
    with op.batch_alter_table('reminder_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_notice_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_notice_unit_id'), ['unit_id'], unique=False)

    op.create_table('reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('reminded_on', sa.Date(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_reminder_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_reminder_created_by_id_user')),
    sa.ForeignKeyConstraint(['notice_id'], ['reminder_notice.id'], name=op.f('fk_reminder_notice_id_reminder_notice')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_reminder_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder'))
    )
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_unit_id'), ['unit_id'], unique=False)



def downgrade():
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_unit_id'))
        batch_op.drop_index(batch_op.f('ix_reminder_campaign_id'))

    op.drop_table('reminder')
    with op.batch_alter_table('reminder_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_notice_unit_id'))
        batch_op.drop_index(batch_op.f('ix_reminder_notice_campaign_id'))

    op.drop_table('reminder_notice')
