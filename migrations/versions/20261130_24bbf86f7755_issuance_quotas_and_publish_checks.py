"""issuance, per-group quotas and publish checks

Questionnaires issued per unit × respondent type (questionnaire_issue); the scheme's return-rate minimum
(min_return_rate, min_valid_ballots, return_shortfall); what each published version was checked against and
what it changed (result_version.checks_json, changes_json).

先进/末位 move from campaign-wide columns into each ranking group (groups_json, "quota"): every group gets the
old rule, 先进 ties not named beyond the quota and 末位 ties named together as before, with min_size the
smallest group the old rule could not name entirely 末位 (or both 先进 and 末位), so every larger group's marks
stay the same. Downgrade puts the first group's quota back into the columns.

Revision ID: 24bbf86f7755
Revises: 8d4e6f1a2b37
Create Date: 2026-11-30 06:49:10.114539

"""
import json
from fractions import Fraction

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '24bbf86f7755'
down_revision = '8d4e6f1a2b37'
branch_labels = None
depends_on = None


def _number(text):
    """Exact text as stored by pingyi.exact ("30", "83.5", "250/3") to a Fraction."""
    text = str(text)
    if "/" in text:
        a, b = text.split("/")
        return Fraction(int(a), int(b))
    return Fraction(text)


def _quota(top_count, top_share, top_min, top_inclusive, bottom_count):
    """The per-group quota reproducing the old campaign-wide rule (see pingyi.results.quotas.migrated)."""
    top_count, bottom_count, share = int(top_count or 0), int(bottom_count or 0), _number(top_share or "0")
    size = 1
    while bottom_count and (bottom_count >= size or min(top_count, int(size * share // 100)) + bottom_count > size):
        size += 1
    return {"min_size": size, "top_count": top_count, "top_share": str(top_share), "top_min": str(top_min),
            "top_inclusive": bool(top_inclusive), "top_ties": "none", "bottom_count": bottom_count or None,
            "bottom_share": None, "bottom_max": None, "bottom_inclusive": True, "bottom_ties": "together"}


def upgrade():
    op.create_table('questionnaire_issue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('respondent_type_id', sa.Integer(), nullable=False),
    sa.Column('issued', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_questionnaire_issue_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['respondent_type_id'], ['respondent_type.id'], name=op.f('fk_questionnaire_issue_respondent_type_id_respondent_type')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_questionnaire_issue_unit_id_unit')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_questionnaire_issue_updated_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_issue')),
    sa.UniqueConstraint('campaign_id', 'unit_id', 'respondent_type_id', name=op.f('uq_questionnaire_issue_campaign_id'))
    )
    with op.batch_alter_table('questionnaire_issue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_issue_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_questionnaire_issue_unit_id'), ['unit_id'], unique=False)

    with op.batch_alter_table('result_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checks_json', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('changes_json', sa.Text(), nullable=False, server_default=''))

    connection = op.get_bind()
    for config_id, groups_text, top_count, top_share, top_min, top_inclusive, bottom_count in connection.execute(sa.text(
            "SELECT id, groups_json, top_count, top_share, top_min_score, top_min_inclusive, bottom_count "
            "FROM scoring_config")).fetchall():
        quota = _quota(top_count, top_share, top_min, top_inclusive, bottom_count)
        groups = [dict(g, quota=dict(quota)) for g in json.loads(groups_text or "[]")]
        connection.execute(sa.text("UPDATE scoring_config SET groups_json = :g WHERE id = :id"),
                           {"g": json.dumps(groups, ensure_ascii=False), "id": config_id})

    with op.batch_alter_table('scoring_config', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_return_rate', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('min_valid_ballots', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('return_shortfall', sa.String(length=10), nullable=False,
                                      server_default='flag'))
        batch_op.drop_column('top_min_score')
        batch_op.drop_column('top_share')
        batch_op.drop_column('top_min_inclusive')
        batch_op.drop_column('top_count')
        batch_op.drop_column('bottom_count')


def downgrade():
    with op.batch_alter_table('scoring_config', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bottom_count', sa.INTEGER(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('top_count', sa.INTEGER(), nullable=False, server_default='3'))
        batch_op.add_column(sa.Column('top_min_inclusive', sa.BOOLEAN(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('top_share', sa.VARCHAR(length=40), nullable=False, server_default='30'))
        batch_op.add_column(sa.Column('top_min_score', sa.VARCHAR(length=40), nullable=False, server_default='90'))
        batch_op.drop_column('return_shortfall')
        batch_op.drop_column('min_valid_ballots')
        batch_op.drop_column('min_return_rate')
    connection = op.get_bind()
    for config_id, groups_text in connection.execute(sa.text("SELECT id, groups_json FROM scoring_config")).fetchall():
        groups = json.loads(groups_text or "[]")
        quota = next((g["quota"] for g in groups if g.get("quota")), None)
        if quota:
            connection.execute(sa.text(
                "UPDATE scoring_config SET top_count = :tc, top_share = :ts, top_min_score = :tm, "
                "top_min_inclusive = :ti, bottom_count = :bc WHERE id = :id"),
                {"tc": quota.get("top_count") or 0, "ts": quota.get("top_share") or "100",
                 "tm": quota.get("top_min") or "0", "ti": bool(quota.get("top_inclusive", True)),
                 "bc": quota.get("bottom_count") or 0, "id": config_id})
        for g in groups:
            g.pop("quota", None)
        connection.execute(sa.text("UPDATE scoring_config SET groups_json = :g WHERE id = :id"),
                           {"g": json.dumps(groups, ensure_ascii=False), "id": config_id})
    with op.batch_alter_table('scoring_config', schema=None) as batch_op:  # without defaults, as the revision
        for name in ("top_share", "top_min_score", "top_count", "bottom_count"):  # before left them (PostgreSQL
            batch_op.alter_column(name, server_default=None)  # cannot cast a text default when going further down)

    with op.batch_alter_table('result_version', schema=None) as batch_op:
        batch_op.drop_column('changes_json')
        batch_op.drop_column('checks_json')

    with op.batch_alter_table('questionnaire_issue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_issue_unit_id'))
        batch_op.drop_index(batch_op.f('ix_questionnaire_issue_campaign_id'))

    op.drop_table('questionnaire_issue')
