"""Revision 5c7e2a91d0b4 on data written before it: float points become exact text, every campaign gets the
plan's three categories under the keys its units carry, ranking groups' fixed scopes become categories."""
import json
from datetime import date, datetime
from fractions import Fraction

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from pingyi import create_app
from pingyi.extensions import db

BEFORE = "e87b93e0595a"


def _row(table, **values):
    """A row for `table` with every required column filled, `values` overriding."""
    filler = {sa.Integer: 1, sa.Float: 1.0, sa.Boolean: False, sa.Date: date(2025, 5, 1),
              sa.DateTime: datetime(2025, 5, 1), sa.Text: "", sa.String: "x"}
    row = {}
    for column in table.columns:
        if column.primary_key or column.nullable:
            continue
        row[column.name] = next((v for t, v in filler.items() if isinstance(column.type, t)), "x")
    row.update(values)
    return row


def test_old_rows_are_carried_into_categories_and_exact_numbers(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        upgrade(revision=BEFORE)
        engine = sa.create_engine(url)
        meta = sa.MetaData()
        meta.reflect(engine)
        t = meta.tables
        old_groups = [{"name": "县直", "scope": "general", "published": True},
                      {"name": "驻县", "scope": "stationed", "published": True},
                      {"name": "重点", "scope": "key", "published": False}]
        with engine.begin() as c:
            c.execute(t["campaign"].insert(), [_row(t["campaign"], id=1, year=2025), _row(t["campaign"], id=2, year=2026)])
            c.execute(t["unit"].insert(), [_row(t["unit"], id=1, name="县公安局", category="department"),
                                          _row(t["unit"], id=2, name="县国税局", category="stationed")])
            c.execute(t["scoring_config"].insert(), [_row(
                t["scoring_config"], id=1, campaign_id=2, weight_satisfaction=83.3333, deduct_minor=0.1,
                top_min_score=90.0, grades_json=json.dumps([{"name": "满意", "min": 90.0, "inclusive": True},
                                                            {"name": "不满意", "min": None, "inclusive": True}]),
                groups_json=json.dumps(old_groups, ensure_ascii=False), veto_severity="", veto_dimensions="")])
            c.execute(t["survey_option"].insert(), [_row(t["survey_option"], id=1, campaign_id=2, label="基本满意",
                                                         score=83.33333333333333)])
        upgrade(revision="5c7e2a91d0b4")  # that revision's own result; later ones move 先进/末位 into the groups
        with engine.connect() as c:
            rows = c.execute(sa.text("SELECT campaign_id, key, name, sort_order FROM category ORDER BY campaign_id, sort_order")).all()
            assert [tuple(r) for r in rows] == [
                (1, "department", "县政府部门", 1), (1, "institution", "县直企事业单位", 2), (1, "stationed", "驻县单位", 3),
                (2, "department", "县政府部门", 1), (2, "institution", "县直企事业单位", 2), (2, "stationed", "驻县单位", 3)]
            config = c.execute(sa.text("SELECT weight_satisfaction, deduct_minor, top_min_score, top_min_inclusive, "
                                       "grades_json, groups_json FROM scoring_config")).one()
            assert tuple(config[:4]) == ("83.3333", "0.1", "90", 1)
            assert json.loads(config[4])[0]["min"] == "90"
            assert json.loads(config[5]) == [
                {"name": "县直", "categories": ["department", "institution"], "key": "exclude", "published": True},
                {"name": "驻县", "categories": ["stationed"], "key": "exclude", "published": True},
                {"name": "重点", "categories": [], "key": "only", "published": False}]
            assert c.execute(sa.text("SELECT score FROM survey_option")).scalar() == "83.33333333333333"
        from pingyi.surveys.models import SurveyOption
        assert db.session.get(SurveyOption, 1).score == Fraction("83.33333333333333")
        db.session.remove()
        downgrade(revision=BEFORE)
        with engine.connect() as c:
            assert c.execute(sa.text("SELECT weight_satisfaction FROM scoring_config")).scalar() == 83.3333
            assert json.loads(c.execute(sa.text("SELECT groups_json FROM scoring_config")).scalar())[0]["scope"] == "general"
        engine.dispose()
