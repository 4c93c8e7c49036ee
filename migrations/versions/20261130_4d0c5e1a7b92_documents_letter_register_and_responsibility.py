"""documents: 函 numbers and deadlines of issued letters; 责任领导 and 责任部门 of a rectification

Revision ID: 4d0c5e1a7b92
Revises: bbf9485eaf8a
Create Date: 2026-11-30 04:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4d0c5e1a7b92'
down_revision = 'bbf9485eaf8a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('issued_document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('doc_number', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('deadline', sa.Date(), nullable=True))

    with op.batch_alter_table('rectification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('leader', sa.String(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('department', sa.String(length=100), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('rectification', schema=None) as batch_op:
        batch_op.drop_column('department')
        batch_op.drop_column('leader')

    with op.batch_alter_table('issued_document', schema=None) as batch_op:
        batch_op.drop_column('deadline')
        batch_op.drop_column('doc_number')
