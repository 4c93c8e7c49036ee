"""The unit list (htmx filters and paging), unit pages, the unit form, key flag and group rows."""
from sqlalchemy import select

from pingyi.audit.models import AuditEntry
from pingyi.campaigns.services import current_campaign, participation
from pingyi.extensions import db
from tests.conftest import unit_named, user


def test_list_filters_and_answers_htmx_with_the_fragment_only(county, office_client, htmx):
    full = office_client.get("/units?category=stationed")
    assert "<html" in full.text and "国网青山县供电公司" in full.text and "县公安局" not in full.text
    part = office_client.get("/units?q=教育", headers=htmx)
    assert "<html" not in part.text and "县教育局" in part.text and "县公安局" not in part.text
    assert "HX-Request-Type" in part.headers["Vary"]


def test_list_filters_key_units_and_groups(county, office_client):
    key = office_client.get("/units?key=1").text
    assert key.count('class="tag tag-key"') == 0  # office sees editable rows instead
    assert "县公安局" in key and "国网青山县供电公司" not in key
    group = current_campaign().groups[1]
    by_group = office_client.get(f"/units?group={group.id}").text
    assert "中国石油青山县分公司" in by_group and "县教育局" not in by_group


def test_list_paginates(county, office_client, htmx):
    first = office_client.get("/units")
    assert "第 1–20 条，共 47 条" in first.text
    third = office_client.get("/units?page=3", headers=htmx)
    assert "第 41–47 条，共 47 条" in third.text and third.text.count('<tr id="unit-') == 7


def test_leader_sees_read_only_rows(county, client_for):
    text = client_for("leader").get("/units?key=1").text
    assert "重点" in text and "hx-post" not in text


def test_unit_page_shows_key_flag_group_and_liaison(county, client_for):
    police = unit_named("县公安局")
    text = client_for("unit").get(f"/units/{police.id}").text
    assert "第三评议组" in text and "孙立军（unit）" in text and "张志强" in text


def test_create_unit_with_errors_keeps_what_was_typed(county, office_client):
    response = office_client.post("/admin/units/new", data={"name": "县档案局", "contact_name": "王芳", "category": ""})
    assert response.status_code == 422
    assert "请选择类别" in response.text and 'value="县档案局"' in response.text and 'value="王芳"' in response.text
    assert unit_named("县档案局") is None


def test_create_unit_refuses_a_duplicate_name(county, office_client):
    response = office_client.post("/admin/units/new", data={"name": "县公安局", "category": "department"})
    assert response.status_code == 422 and "已存在，不能重名" in response.text


def test_create_unit_joins_the_current_campaign_and_is_audited(county, office_client):
    response = office_client.post("/admin/units/new", data={"name": "县档案局", "category": "department",
                                                             "is_key": "y"})
    assert response.status_code == 302
    unit = unit_named("县档案局")
    assert participation(current_campaign(), unit).is_key
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "unit",
                                                       AuditEntry.object_id == unit.id))
    assert entry.username == "office" and "县档案局" in entry.after


def test_concurrent_edit_is_detected_not_overwritten(county, office_client):
    unit = unit_named("县林业局")
    form = {"name": "县林业局", "category": "department", "head_name": "新局长", "version": str(unit.version)}
    other = dict(form, head_name="另一位局长")
    assert office_client.post(f"/admin/units/{unit.id}/edit", data=other).status_code == 302
    stale = office_client.post(f"/admin/units/{unit.id}/edit", data=form)
    assert stale.status_code == 422 and "已被他人修改" in stale.text
    assert 'value="新局长"' in stale.text and "另一位局长" in stale.text
    db.session.refresh(unit)
    assert unit.head_name == "另一位局长"


def test_deactivate_unit(county, office_client):
    unit = unit_named("县统计局")
    office_client.post(f"/admin/units/{unit.id}/active", data={"active": "0"})
    office_client.get("/")  # consume the flash message that names the unit
    db.session.refresh(unit)
    assert not unit.active
    assert "县统计局" not in office_client.get("/units?q=统计").text
    assert "县统计局" in office_client.get("/units?q=统计&status=inactive").text


def test_participation_row_saves_through_htmx(county, office_client, htmx):
    unit = unit_named("县财政局")
    part = participation(current_campaign(), unit)
    group = current_campaign().groups[2]
    response = office_client.post(f"/admin/units/{unit.id}/participation", headers=htmx, data={
        f"p{unit.id}-is_key": "y", f"p{unit.id}-group_id": str(group.id), f"p{unit.id}-version": part.version})
    assert response.status_code == 200 and "已保存" in response.text and "<html" not in response.text
    db.session.refresh(part)
    assert part.is_key and part.group_id == group.id


def test_participation_row_reports_a_stale_save(county, office_client, htmx):
    unit = unit_named("县财政局")
    part = participation(current_campaign(), unit)
    old = part.version
    fields = {f"p{unit.id}-group_id": "0", f"p{unit.id}-version": old}
    office_client.post(f"/admin/units/{unit.id}/participation", headers=htmx, data=fields)
    stale = office_client.post(f"/admin/units/{unit.id}/participation", headers=htmx,
                               data=dict(fields, **{f"p{unit.id}-is_key": "y"}))
    assert stale.status_code == 422 and "刚被他人修改" in stale.text
    db.session.refresh(part)
    assert not part.is_key


def test_unit_user_cannot_change_its_own_unit(county, unit_client):
    unit = user("unit").unit
    assert unit_client.post(f"/admin/units/{unit.id}/edit", data={"name": "x", "category": "department"}).status_code == 403
