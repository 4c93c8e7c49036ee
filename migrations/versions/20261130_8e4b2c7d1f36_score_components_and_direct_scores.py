"""score components and direct scores

A campaign's scheme becomes a list of score components (scoring_config.components_json). Every existing
scheme is written as its equivalent list, so its results stay the same: 满意度测评, 评议组检查评价 and 整改落实
with the weights and points it had, and the findings' deductions with their cap. The old columns stay (a
config with no components still means them). direct_score holds the values of direct-score components.

Revision ID: 8e4b2c7d1f36
Revises: a7d2e9c41f60
Create Date: 2026-11-30 07:00:00

"""
import json

from alembic import op
import sqlalchemy as sa

from pingyi.exact import exact_text


# revision identifiers, used by Alembic.
revision = '8e4b2c7d1f36'
down_revision = 'a7d2e9c41f60'
branch_labels = None
depends_on = None

OLD_FIELDS = ("weight_satisfaction", "weight_checklist", "weight_rectification", "checklist_meets", "checklist_basic",
              "checklist_problem", "deduct_minor", "deduct_major", "deduct_severe", "deduct_cap")


def _components(row):
    """The component list equivalent to one old scheme (as pingyi.results.components.legacy writes it then)."""
    x = {k: exact_text(v) for k, v in row.items()}
    return [
        {"key": "satisfaction", "name": "满意度测评", "kind": "survey", "weight": x["weight_satisfaction"],
         "missing": "unrated", "questionnaires": [], "mode": "pooled", "type_weights": {}, "question_weights": {},
         "option_points": {}},
        {"key": "checklist", "name": "评议组检查评价", "kind": "checklist", "weight": x["weight_checklist"],
         "missing": "", "meets": x["checklist_meets"], "basic": x["checklist_basic"],
         "problem": x["checklist_problem"], "dimension_weights": {}, "item_weights": {}},
        {"key": "rectification", "name": "整改落实", "kind": "rectification", "weight": x["weight_rectification"],
         "missing": "", "mode": "ratio", "per_overdue": "10", "per_failed": "20", "cap": "100"},
        {"key": "findings", "name": "问题扣分", "kind": "findings", "weight": "0", "missing": "",
         "minor": x["deduct_minor"], "major": x["deduct_major"], "severe": x["deduct_severe"], "cap": x["deduct_cap"]},
    ]


def upgrade():
    op.create_table('direct_score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('component_key', sa.String(length=20), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.String(length=40), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_direct_score_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_direct_score_unit_id_unit')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_direct_score_updated_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_direct_score')),
    sa.UniqueConstraint('campaign_id', 'component_key', 'unit_id', name=op.f('uq_direct_score_campaign_id'))
    )
    with op.batch_alter_table('direct_score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_direct_score_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_direct_score_unit_id'), ['unit_id'], unique=False)

    with op.batch_alter_table('scoring_config', schema=None) as batch_op:
        batch_op.add_column(sa.Column('components_json', sa.Text(), nullable=False, server_default='[]'))

    connection = op.get_bind()
    for row in connection.execute(sa.text(f"SELECT id, {', '.join(OLD_FIELDS)} FROM scoring_config")).mappings().all():
        listed = _components({k: row[k] for k in OLD_FIELDS})
        connection.execute(sa.text("UPDATE scoring_config SET components_json = :c WHERE id = :id"),
                           {"c": json.dumps(listed, ensure_ascii=False), "id": row["id"]})


def downgrade():
    with op.batch_alter_table('scoring_config', schema=None) as batch_op:
        batch_op.drop_column('components_json')
    with op.batch_alter_table('direct_score', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_direct_score_unit_id'))
        batch_op.drop_index(batch_op.f('ix_direct_score_campaign_id'))
    op.drop_table('direct_score')
