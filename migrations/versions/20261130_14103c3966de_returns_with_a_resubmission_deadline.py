"""returns with a resubmission deadline

Revision ID: 14103c3966de
Revises: 5c7e2a91d0b4
Create Date: 2026-11-30 04:10:40.336400

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '14103c3966de'
down_revision = '5c7e2a91d0b4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('submission_return',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('returned_at', sa.DateTime(), nullable=False),
    sa.Column('returned_by_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('resubmit_due', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['returned_by_id'], ['user.id'], name=op.f('fk_submission_return_returned_by_id_user')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_submission_return_submission_id_submission')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission_return'))
    )
    with op.batch_alter_table('submission_return', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_return_submission_id'), ['submission_id'], unique=False)

    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resubmit_due', sa.Date(), nullable=True))



def downgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_column('resubmit_due')

    with op.batch_alter_table('submission_return', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_return_submission_id'))

    op.drop_table('submission_return')
