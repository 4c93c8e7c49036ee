"""Revision 24bbf86f7755 on data written before it: the campaign-wide 先进/末位 rule becomes each group's quota,
so the results stay the same, and downgrade puts it back."""
import json

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from pingyi import create_app
from pingyi.results import quotas
from pingyi.results.scoring import competition_ranks
from tests.results.test_migration_data import _row

BEFORE = "3c1d9a7e5b20"


def test_campaign_wide_top_and_bottom_become_each_groups_quota(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        upgrade(revision=BEFORE)
        engine = sa.create_engine(url)
        meta = sa.MetaData()
        meta.reflect(engine)
        t = meta.tables
        groups = [{"name": "县直", "categories": ["department"], "key": "exclude", "published": True},
                  {"name": "驻县", "categories": ["stationed"], "key": "exclude", "published": True}]
        with engine.begin() as c:
            c.execute(t["campaign"].insert(), [_row(t["campaign"], id=1, year=2026)])
            c.execute(t["scoring_config"].insert(), [_row(
                t["scoring_config"], id=1, campaign_id=1, top_count=3, top_share="30", top_min_score="90",
                top_min_inclusive=False, bottom_count=1, groups_json=json.dumps(groups, ensure_ascii=False),
                grades_json="[]", veto_severity="", veto_dimensions="")])
        upgrade(revision="24bbf86f7755")  # this revision; later ones expect rows the app writes
        with engine.connect() as c:
            stored = json.loads(c.execute(sa.text("SELECT groups_json FROM scoring_config")).scalar())
        quota = stored[0]["quota"]
        assert stored[1]["quota"] == quota
        assert quota == {"min_size": 2, "top_count": 3, "top_share": "30", "top_min": "90", "top_inclusive": False,
                         "top_ties": "none", "bottom_count": 1, "bottom_share": None, "bottom_max": None,
                         "bottom_inclusive": True, "bottom_ties": "together"}
        assert quota == quotas.migrated(3, "30", "90", False, 1)
        # the old rule on ten units: 先进 at most min(3, 30 % of 10) above 90 (exclusive), places 3 and 4 tied so
        # only two; 末位 the last place with its tie. The migrated quota names the same units.
        totals = {i: v for i, v in enumerate([98, 95, 93, 93, 91, 88, 85, 80, 70, 70])}
        assert quotas.named(competition_ranks(totals), totals, set(), quota) == ({0, 1}, {8, 9})
        downgrade(revision=BEFORE)
        with engine.connect() as c:
            row = c.execute(sa.text("SELECT top_count, top_share, top_min_score, top_min_inclusive, bottom_count, "
                                    "groups_json FROM scoring_config")).one()
        assert tuple(row[:5]) == (3, "30", "90", 0, 1) and "quota" not in json.loads(row[5])[0]
        engine.dispose()
