"""exact scores and categories

Points, weights and thresholds become exact numbers kept as canonical text (pingyi.exact): float columns
are converted through their shortest repr, so 83.3333 stays 83.3333 and 90.0 becomes "90".

Categories become data per campaign: a `category` table, and for every campaign the plan's three
(县政府部门, 县直企事业单位, 驻县单位) under the keys units already carry (unit.category keeps its value).
Ranking groups stored with a fixed "scope" are rewritten as categories + key-unit rule.

Revision ID: 5c7e2a91d0b4
Revises: 4d0c5e1a7b92
Create Date: 2026-11-30 04:00:00

"""
import json

from alembic import op
import sqlalchemy as sa

from pingyi.exact import exact_text, parse_exact


# revision identifiers, used by Alembic.
revision = '5c7e2a91d0b4'
down_revision = '4d0c5e1a7b92'
branch_labels = None
depends_on = None

EXACT_COLUMNS = {
    "scoring_config": ("weight_satisfaction", "weight_checklist", "weight_rectification", "checklist_meets",
                       "checklist_basic", "checklist_problem", "deduct_minor", "deduct_major", "deduct_severe",
                       "deduct_cap", "top_share", "top_min_score"),
    "unit_result": ("total",),
    "survey_option": ("score",),
    "respondent_type": ("weight",),
}


def _read(table, columns):
    """{id: {column: value}} of `columns`, read with the column's current type (floats at full precision:
    SQLite's CAST to text would keep only 15 digits)."""
    rows = op.get_bind().execute(sa.text(f"SELECT id, {', '.join(columns)} FROM {table}")).fetchall()
    return {row[0]: dict(zip(columns, row[1:])) for row in rows}


def _write(table, values, convert):
    """Write back every value read by _read() through `convert` (row by row: a county has a few hundred)."""
    connection = op.get_bind()
    for row_id, row in values.items():
        sets = ", ".join(f"{c} = :{c}" for c in row)
        connection.execute(sa.text(f"UPDATE {table} SET {sets} WHERE id = :id"),
                           {**{c: None if v is None else convert(v) for c, v in row.items()}, "id": row_id})


def _pg_number(column):
    """PostgreSQL's USING expression turning exact text ("83.5", "250/3") back into a float."""
    return (f"CASE WHEN position('/' in {column}) > 0 THEN split_part({column}, '/', 1)::double precision"
            f" / split_part({column}, '/', 2)::double precision ELSE {column}::double precision END")


def _rewrite_grades(convert):
    """The grade boundaries kept in scoring_config.grades_json, each through `convert`."""
    connection = op.get_bind()
    for config_id, text in connection.execute(sa.text("SELECT id, grades_json FROM scoring_config")).fetchall():
        grades = [dict(g, min=None if g.get("min") in (None, "") else convert(g["min"])) for g in json.loads(text)]
        connection.execute(sa.text("UPDATE scoring_config SET grades_json = :g WHERE id = :id"),
                           {"g": json.dumps(grades, ensure_ascii=False), "id": config_id})


OLD_CATEGORIES = (("department", "县政府部门"), ("institution", "县直企事业单位"), ("stationed", "驻县单位"))
OLD_SCOPES = {"general": (["department", "institution"], "exclude"), "stationed": (["stationed"], "exclude"),
              "key": ([], "only"), "all": ([], "include")}


def _categories_up():
    op.create_table('category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('retired', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_category_campaign_id_campaign')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_category')),
    sa.UniqueConstraint('campaign_id', 'key', name=op.f('uq_category_campaign_id'))
    )
    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_category_campaign_id'), ['campaign_id'], unique=False)
    connection = op.get_bind()
    table = sa.table('category', sa.column('campaign_id', sa.Integer), sa.column('key', sa.String),
                     sa.column('name', sa.String), sa.column('sort_order', sa.Integer),
                     sa.column('retired', sa.Boolean), sa.column('version', sa.Integer))
    rows = [{"campaign_id": campaign_id, "key": key, "name": name, "sort_order": order, "retired": False, "version": 1}
            for (campaign_id,) in connection.execute(sa.text("SELECT id FROM campaign")).fetchall()
            for order, (key, name) in enumerate(OLD_CATEGORIES, 1)]
    if rows:
        op.bulk_insert(table, rows)
    for config_id, text in connection.execute(sa.text("SELECT id, groups_json FROM scoring_config")).fetchall():
        groups = []
        for group in json.loads(text):
            if "categories" not in group:
                categories, key = OLD_SCOPES.get(group.get("scope"), ([], "include"))
                group = {"name": group["name"], "categories": categories, "key": key,
                         "published": group.get("published", True)}
            groups.append(group)
        connection.execute(sa.text("UPDATE scoring_config SET groups_json = :g WHERE id = :id"),
                           {"g": json.dumps(groups, ensure_ascii=False), "id": config_id})


def _categories_down():
    connection = op.get_bind()
    back = {tuple(v[0]) + (v[1],): k for k, v in OLD_SCOPES.items()}
    for config_id, text in connection.execute(sa.text("SELECT id, groups_json FROM scoring_config")).fetchall():
        groups = [{"name": g["name"], "scope": back.get(tuple(g.get("categories", [])) + (g.get("key"),), "all"),
                   "published": g.get("published", True)} for g in json.loads(text)]
        connection.execute(sa.text("UPDATE scoring_config SET groups_json = :g WHERE id = :id"),
                           {"g": json.dumps(groups, ensure_ascii=False), "id": config_id})
    # units in a category created after the upgrade fall back to the general class of the plan
    connection.execute(sa.text("UPDATE unit SET category = 'department' "
                               "WHERE category NOT IN ('department', 'institution', 'stationed')"))
    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_category_campaign_id'))
    op.drop_table('category')


def upgrade():
    _categories_up()
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, columns in EXACT_COLUMNS.items():
        values = _read(table, columns)
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, existing_type=sa.Float(), type_=sa.String(length=40),
                                      **({"postgresql_using": f"{column}::text"} if postgres else {}))
        _write(table, values, lambda number: exact_text(parse_exact(float(number))))
    with op.batch_alter_table('scoring_config', schema=None) as batch_op:
        batch_op.add_column(sa.Column('top_min_inclusive', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('missing_rule', sa.String(length=20), nullable=False,
                                      server_default='redistribute'))
    _rewrite_grades(lambda bound: exact_text(parse_exact(bound)))


def downgrade():
    _categories_down()
    postgres = op.get_bind().dialect.name == "postgresql"
    _rewrite_grades(lambda bound: float(parse_exact(bound)))
    with op.batch_alter_table('scoring_config', schema=None) as batch_op:
        batch_op.drop_column('missing_rule')
        batch_op.drop_column('top_min_inclusive')
    for table, columns in EXACT_COLUMNS.items():
        values = _read(table, columns)
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, existing_type=sa.String(length=40), type_=sa.Float(),
                                      **({"postgresql_using": _pg_number(column)} if postgres else {}))
        _write(table, values, lambda text: float(parse_exact(text)))
