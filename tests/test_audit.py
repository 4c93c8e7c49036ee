"""Every state change leaves who, when, what, before and after in the audit log."""
import json

from sqlalchemy import select

from pingyi.audit.models import AuditEntry
from pingyi.campaigns.services import current_campaign, participation
from pingyi.extensions import db
from tests.conftest import unit_named, user


def entries(object_type):
    return db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == object_type)
                              .order_by(AuditEntry.id)).all()


def test_participation_change_records_before_and_after(county, office_client, htmx):
    unit = unit_named("县水利局")
    part = participation(current_campaign(), unit)
    group = current_campaign().groups[2]
    office_client.post(f"/admin/units/{unit.id}/participation", headers=htmx, data={
        f"p{unit.id}-is_key": "y", f"p{unit.id}-group_id": group.id, f"p{unit.id}-version": part.version})
    entry = entries("participation")[-1]
    assert entry.username == "office" and entry.unit_id == unit.id
    assert json.loads(entry.before) == {"group_id": current_campaign().groups[0].id, "is_key": False}
    assert json.loads(entry.after) == {"group_id": group.id, "is_key": True}


def test_user_changes_are_audited_without_password_hashes(county, office_client):
    target = user("unit2")
    office_client.post(f"/admin/users/{target.id}/password", data={"password": "Reset2026x"})
    office_client.post(f"/admin/users/{target.id}/active", data={"active": "0"})
    logged = entries("user")
    assert [e.summary for e in logged[-2:]] == ["重置用户 unit2 的密码", "停用用户 unit2"]
    assert all("password_hash" not in e.before + e.after for e in logged)


def test_audit_page_lists_changes_for_office_and_leader(county, office_client, client_for, htmx):
    unit = unit_named("县审计局")
    office_client.post(f"/admin/units/{unit.id}/active", data={"active": "0"})
    text = client_for("leader").get("/admin/audit?q=审计局", headers=htmx).text
    assert "停用单位 县审计局" in text and "在用：是 → 否" in text


def test_unit_timeline_shows_its_own_entries(county, unit_client, office_client):
    police = unit_named("县公安局")
    office_client.post(f"/admin/units/{police.id}/edit", data={"name": "县公安局", "category": "department",
                                                               "head_name": "马卫东", "version": police.version})
    assert "修改单位 县公安局" in unit_client.get(f"/units/{police.id}").text


def test_unit_timeline_hides_who_inspects_it(county, office_client, unit_client):
    supervisor, police = user("supervisor"), unit_named("县公安局")
    office_client.post(f"/admin/users/{supervisor.id}/units", data={"unit_id": []})
    office_client.post(f"/admin/users/{supervisor.id}/units", data={"unit_id": [str(police.id)]})
    assert "赵淑芬" in office_client.get(f"/units/{police.id}").text
    assert "赵淑芬" not in unit_client.get(f"/units/{police.id}").text


def test_statuses_read_in_chinese_for_every_kind_of_record():
    from pingyi.audit.labels import OBJECTS, value_label
    assert value_label("status", "verified", "rectification") == "已整改到位"
    assert value_label("status", "sent", "feedback_notice") == "已发送"
    assert value_label("status", "confirmed", "finding") == "已确认"
    assert value_label("status", "closed", "campaign") == "已结束"
    assert value_label("severity", "severe") == "严重"
    assert {"rectification", "finding", "tally_sheet", "result_version"} <= set(OBJECTS)


def test_starting_a_year_records_that_the_old_one_closed(county):
    from sqlalchemy import select

    from pingyi.audit.models import AuditEntry
    from pingyi.campaigns.services import start_campaign
    from pingyi.extensions import db
    start_campaign(2027, county)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "campaign",
                                                       AuditEntry.object_id == county.id,
                                                       AuditEntry.action == "update").order_by(AuditEntry.id.desc()))
    assert entry is not None and "2026年度评议结束" in entry.summary and '"closed"' in entry.after


def test_a_progress_note_is_recorded_even_when_the_status_stays(county):
    from sqlalchemy import func, select

    from pingyi.audit.models import AuditEntry
    from pingyi.auth.models import User
    from pingyi.extensions import db
    from pingyi.rectifications import services as rect
    from pingyi.rectifications.models import Rectification
    r = db.session.scalar(select(Rectification).join(User, User.unit_id == Rectification.unit_id)
                          .where(Rectification.status == "answered", Rectification.kind != "policy"))
    liaison = db.session.scalar(select(User).where(User.unit_id == r.unit_id))
    count = select(func.count(AuditEntry.id)).where(AuditEntry.object_type == "rectification_update")
    before = db.session.scalar(count)
    rect.add_update(r, liaison, "已完成第一阶段培训", [], False)
    assert db.session.scalar(count) == before + 1
