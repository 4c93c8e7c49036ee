"""data version and results cache

Revision ID: 8e4b6d2f1a37
Revises: 8e4b2c7d1f36
Create Date: 2026-11-30 07:00:00.000000

"""
import uuid

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8e4b6d2f1a37'
down_revision = '8e4b2c7d1f36'
branch_labels = None
depends_on = None


def upgrade():
    data_version = op.create_table('data_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('counter', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_version'))
    )
    op.bulk_insert(data_version, [{'id': 1, 'counter': 0, 'token': uuid.uuid4().hex}])
    op.create_table('results_cache',
    sa.Column('campaign_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('marker', sa.String(length=100), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_results_cache'))
    )


def downgrade():
    op.drop_table('results_cache')
    op.drop_table('data_version')
