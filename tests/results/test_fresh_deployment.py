"""A real deployment as README's "A real deployment" runs it: `db upgrade` on an empty database, `create-admin`,
the first campaign from the home page; it must be usable at once: the six dimensions with their items, the
default survey set-up, a default scheme, and a finding can be recorded."""
from flask_migrate import upgrade
from sqlalchemy import func, select

from pingyi.campaigns import categories
from pingyi.campaigns.services import current_campaign
from pingyi.checklists.services import dimensions
from pingyi.extensions import db
from pingyi.findings.models import Finding
from pingyi.results.services import config_for
from pingyi.surveys import services as surveys
from pingyi.timeutil import today
from pingyi.units.models import Unit
from tests.conftest import TEST_CONFIG, _app, user


def test_readme_deployment_steps_give_a_working_first_campaign(tmp_path):
    app = _app(dict(TEST_CONFIG, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'pingyi.db'}",
                    UPLOAD_DIR=str(tmp_path / "uploads")))
    with app.app_context():
        upgrade()  # flask --app app db upgrade
        result = app.test_cli_runner().invoke(args=["pingyi", "create-admin"],
                                              input="admin\n纠风办管理员\nGood2026pw\nGood2026pw\n")
        assert result.exit_code == 0, result.output
        office = app.test_client(user=user("admin"))
        home = office.get("/")
        assert "开始第一个年度评议" in home.text or "尚未建立评议活动" in home.text
        started = office.post("/admin/campaigns", data={"year": str(today().year), "checklist": "template"})
        assert started.status_code == 302
        campaign = current_campaign()
        dims = dimensions(campaign.id)
        assert [d.name for d in dims] == ["责任落实", "依法行政", "政务公开", "服务质量", "清正廉洁", "制度建设"]
        assert [len(d.items) for d in dims] == [3] * 6
        assert surveys.is_set_up(campaign) and len(surveys.questionnaires(campaign.id)) >= 1
        assert [o.label for o in surveys.options(campaign.id)][:3] == ["满意", "基本满意", "不满意"]
        assert config_for(campaign) is not None and len(config_for(campaign).groups) == 3
        assert list(categories.labels(campaign).values()) == ["县政府部门", "县直企事业单位", "驻县单位"]
        assert office.get("/results/settings").status_code == 200
        assert office.get("/results").status_code == 200
        assert office.post("/admin/units/new", data={"name": "县公安局", "category": "department"}).status_code == 302
        police = db.session.scalar(select(Unit).where(Unit.name == "县公安局"))
        data = {"unit_id": str(police.id), "method": "unannounced", "held_on": today().isoformat(), "place": "户籍窗口",
                "participants": "纠风办", "summary": "暗访户籍窗口", "opinions": "",
                "findings-0-dimension_id": str(dims[3].id), "findings-0-item_id": str(dims[3].items[1].id),
                "findings-0-description": "窗口人员脱岗二十分钟", "findings-0-severity": "minor",
                "findings-0-source": "unannounced", "submit": "1"}
        recorded = office.post("/findings/new", data=data, content_type="multipart/form-data")
        assert recorded.status_code == 302, [l for l in recorded.text.splitlines() if "error" in l or "alert" in l]
        assert db.session.scalar(select(func.count(Finding.id)).where(Finding.unit_id == police.id)) == 1
        db.session.remove()
