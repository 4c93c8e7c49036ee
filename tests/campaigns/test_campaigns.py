"""Campaign settings and phases, starting a new year, groups and members."""
from datetime import date

import pytest
from sqlalchemy import select

from pingyi.audit.models import AuditEntry
from pingyi.campaigns import services
from pingyi.campaigns.models import Campaign
from pingyi.campaigns.services import current_campaign, current_phase
from pingyi.checklists.services import dimensions
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.units import services as unit_services
from pingyi.years import lifecycle
from tests.conftest import unit_named, user


def settings_form(campaign, **changes):
    data = {"version": campaign.version, "title": campaign.title, "county_name": campaign.county_name,
            "office_name": campaign.office_name, "office_full_name": campaign.office_full_name,
            "doc_prefix": campaign.doc_prefix, "report_deadline": campaign.report_deadline.isoformat(),
            "round1_start": "2026-06-01", "round1_end": "2026-06-30", "round2_start": "2026-11-01",
            "round2_end": "2026-11-30", "contact_name": "刘晓燕", "contact_phone": "0791-8321456",
            "notice_number": "3", "notice_date": "2026-03-28"}
    for p in campaign.phases:
        data[f"phase{p.number}_start"] = p.start_date.isoformat()
        data[f"phase{p.number}_end"] = p.end_date.isoformat()
    data.update(changes)
    return data


def test_demo_campaign_holds_the_plan(county):
    campaign = current_campaign()
    assert campaign.year == 2026 and campaign.title == "2026年度政风行风评议"
    assert [p.name for p in campaign.phases] == ["安排部署", "自查自评、民主测评", "落实整改、健全制度", "总结报告、综合评定"]
    assert campaign.report_deadline == date(2026, 10, 20)
    assert sum(p.is_key for p in campaign.participations) == 8
    assert sum(p.unit.category == "stationed" for p in campaign.participations) == 15
    assert [g.scope for g in campaign.groups] == ["general", "stationed", "key"]
    assert all(any(m.member_role == "leader" for m in g.members) for g in campaign.groups)


def test_current_phase_follows_the_date(county):
    campaign = current_campaign()
    assert current_phase(campaign, date(2026, 5, 20)).number == 2
    assert current_phase(campaign, date(2026, 11, 26)) is None


def test_office_edits_settings_and_phase_windows(county, office_client):
    campaign = current_campaign()
    response = office_client.post("/admin/campaign", data=settings_form(
        campaign, county_name="青山县", doc_prefix="青纠办", phase4_end="2026-11-15", report_deadline="2026-10-25"))
    assert response.status_code == 302
    db.session.refresh(campaign)
    assert campaign.doc_prefix == "青纠办" and campaign.phases[3].end_date == date(2026, 11, 15)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "campaign",
                                                       AuditEntry.action == "update"))
    assert '"doc_prefix": "青纠风办"' in entry.before and '"doc_prefix": "青纠办"' in entry.after


def test_settings_refuse_bad_dates_and_keep_the_input(county, office_client):
    campaign = current_campaign()
    response = office_client.post("/admin/campaign", data=settings_form(
        campaign, doc_prefix="新前缀", phase2_start="2026-04-20", round1_end="2026-13-01"))
    assert response.status_code == 422
    assert "请填写有效日期" in response.text and 'value="新前缀"' in response.text
    overlap = office_client.post("/admin/campaign", data=settings_form(campaign, phase2_start="2026-04-20"))
    assert overlap.status_code == 422 and "第二阶段应在第一阶段结束之后开始" in overlap.text
    db.session.refresh(campaign)
    assert campaign.doc_prefix == "青纠风办"


def test_settings_detect_a_concurrent_save(county, office_client):
    campaign = current_campaign()
    stale = settings_form(campaign, contact_name="张三")
    assert office_client.post("/admin/campaign", data=settings_form(campaign, contact_name="李四")).status_code == 302
    response = office_client.post("/admin/campaign", data=stale)
    assert response.status_code == 422 and "已被他人修改" in response.text and 'value="张三"' in response.text
    db.session.refresh(campaign)
    assert campaign.contact_name == "李四"


def test_new_campaign_copies_units_groups_and_checklist(county, office_client):
    unit_services.set_unit_active(unit_named("县统计局"), False)
    assert office_client.post("/admin/campaigns", data={"year": "2027"}).status_code == 302
    new = current_campaign()
    assert new.year == 2027 and new.phases[1].start_date == date(2027, 5, 1)
    assert new.report_deadline == date(2027, 10, 20)
    assert len(new.participations) == 46 and sum(p.is_key for p in new.participations) == 8
    assert [g.name for g in new.groups] == ["第一评议组", "第二评议组", "第三评议组"]
    police = next(p for p in new.participations if p.unit.name == "县公安局")
    assert police.group.campaign_id == new.id and police.group.name == "第三评议组"
    assert any(m.user_id == user("evaluator").id for m in new.groups[2].members)
    assert sum(len(d.items) for d in dimensions(new.id)) == 18
    assert len(db.session.scalars(select(Campaign)).all()) == 3


def test_new_campaign_must_be_a_later_year(county):
    with pytest.raises(DomainError, match="新年度应晚于 2026 年"):
        lifecycle.start_campaign(2026, current_campaign())


def test_first_campaign_of_a_fresh_deployment(empty_app):
    unit_services.create_unit({"name": "县档案局", "category": "department"})
    from pingyi.checklists.services import load_default_template
    load_default_template()
    campaign = lifecycle.start_campaign(2026)
    assert len(campaign.participations) == 1 and len(dimensions(campaign.id)) == 6


def test_groups_and_members_are_managed(county, office_client):
    response = office_client.post("/admin/groups", data={"name": "第四评议组", "scope": "general"})
    assert response.status_code == 302
    group = current_campaign().groups[-1]
    assert group.name == "第四评议组"
    office_client.post(f"/admin/groups/{group.id}/members", data={
        "name": "林芳", "title": "县政协委员", "member_role": "leader", "user_id": "0"})
    assert [(m.name, m.member_role_label) for m in group.members] == [("林芳", "组长")]
    member = group.members[0]
    office_client.post(f"/admin/members/{member.id}/edit", data={
        "name": "林芳", "title": "县政协常委", "member_role": "deputy", "user_id": str(user("evaluator").id)})
    db.session.refresh(member)
    assert member.title == "县政协常委" and member.user_id == user("evaluator").id
    assert office_client.post(f"/admin/members/{member.id}/delete").status_code == 302
    assert office_client.post(f"/admin/groups/{group.id}/delete").status_code == 302
    assert current_campaign().groups[-1].name == "第三评议组"


def test_member_form_errors_are_shown(county, office_client):
    group = current_campaign().groups[0]
    response = office_client.post(f"/admin/groups/{group.id}/members", data={"name": "", "member_role": "member",
                                                                              "user_id": "0"})
    assert response.status_code == 422 and "请填写姓名" in response.text


def test_group_with_units_cannot_be_deleted(county, office_client):
    group = current_campaign().groups[0]
    office_client.post(f"/admin/groups/{group.id}/delete")
    assert "仍负责" in office_client.get("/admin/groups").text
    assert db.session.get(type(group), group.id) is not None


def test_duplicate_group_name_is_refused(county, office_client):
    response = office_client.post("/admin/groups", data={"name": "第一评议组", "scope": "general"})
    assert response.status_code == 422 and "已存在" in response.text


def test_new_campaign_can_take_the_template_and_keeps_supervisors(county, office_client):
    from pingyi.checklists.services import save_item
    template_dim = dimensions()[0]
    save_item(template_dim, None, None, "是否建立评议工作台账", "achieve")
    old = current_campaign()
    office_client.post("/admin/campaigns", data={"year": "2027", "checklist": "template"})
    new = current_campaign()
    assert new.year == 2027 and len(dimensions(new.id)[0].items) == 4
    db.session.refresh(old)
    assert old.status == "closed"
    text = office_client.get(f"/admin/users/{user('supervisor').id}/edit").text
    assert "已选 4 个" in text


def test_settings_dates_must_fall_in_the_campaign_year(county, office_client):
    campaign = current_campaign()
    response = office_client.post("/admin/campaign", data=settings_form(campaign, report_deadline="2019-10-20"))
    assert response.status_code == 422 and "各项日期应在 2026 年内" in response.text
