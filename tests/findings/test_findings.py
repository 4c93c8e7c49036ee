"""Inspections and findings: entry, lifecycle, review, visibility, the matrix, export."""
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from pingyi.campaigns.services import current_campaign
from pingyi.checklists.services import dimensions
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.findings import services
from pingyi.findings.models import Finding, Inspection
from tests.conftest import unit_named, user


def entry(index, dim, item=None, text="窗口人员脱岗", severity="minor", source="unannounced", **extra):
    data = {f"findings-{index}-dimension_id": str(dim.id), f"findings-{index}-item_id": str(item.id if item else 0),
            f"findings-{index}-description": text, f"findings-{index}-severity": severity,
            f"findings-{index}-source": source}
    data.update({f"findings-{index}-{k}": v for k, v in extra.items()})
    return data


def inspection_form(unit, *entries, submit=True, **fields):
    data = {"unit_id": str(unit.id), "method": "unannounced", "held_on": "2026-11-20", "place": "办事大厅",
            "participants": "赵淑芬", "summary": "暗访窗口服务", "opinions": "希望增加周末服务\n建议公开投诉电话"}
    for e in entries:
        data.update(e)
    data.update(fields)
    data["submit" if submit else "save_draft"] = "1"
    return data


def test_supervisor_records_an_inspection_with_two_findings_and_opinions(county, client_for):
    police = unit_named("县公安局")
    dims = dimensions(current_campaign().id)
    data = inspection_form(police, entry(0, dims[3], dims[3].items[1]),
                           entry(1, dims[4], None, "工作人员向群众索要香烟", "severe", "public",
                                 reporter="李女士 13800000000", confidential="y"))
    data["findings-1-files"] = [(io.BytesIO(b"\xff\xd8\xff\xe0photo"), "现场照片.jpg")]
    response = client_for("supervisor").post("/findings/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    inspection = db.session.scalar(select(Inspection).order_by(Inspection.id.desc()))
    assert inspection.status == "submitted" and [f.status for f in inspection.findings] == ["submitted"] * 2
    assert inspection.findings[1].confidential and inspection.findings[1].files[0].original_name == "现场照片.jpg"
    assert [o.text for o in inspection.opinions] == ["希望增加周末服务", "建议公开投诉电话"]


def test_bad_finding_rows_are_reported_and_nothing_is_stored(county, client_for):
    police = unit_named("县公安局")
    dims = dimensions(current_campaign().id)
    before = db.session.scalar(select(Inspection.id).order_by(Inspection.id.desc()))
    data = inspection_form(police, entry(0, dims[0]), entry(1, dims[1], dims[0].items[0], "检查项与方面不符"))
    response = client_for("supervisor").post("/findings/new", data=data)
    assert response.status_code == 422
    assert "所选检查项不属于该评议方面" in response.text and "检查项与方面不符" in response.text
    assert "暗访窗口服务" in response.text  # what was typed stays
    assert db.session.scalar(select(Inspection.id).order_by(Inspection.id.desc())) == before


def test_supervisor_cannot_record_for_units_not_assigned(county, client_for):
    finance = unit_named("县财政局")
    dims = dimensions(current_campaign().id)
    response = client_for("supervisor").post("/findings/new", data=inspection_form(finance, entry(0, dims[0])))
    assert response.status_code == 422 and "不是有效的选择" in response.text  # not among the supervisor's units
    assert finance.name not in client_for("supervisor").get("/findings/new").text
    assert db.session.scalar(select(Inspection).where(Inspection.unit_id == finance.id,
                                                      Inspection.created_by_id == user("supervisor").id)) is None
    with pytest.raises(DomainError, match="不负责该单位"):
        services.save_inspection(current_campaign(), finance, user("supervisor"),
                                 {"method": "visit", "held_on": date(2026, 11, 2), "place": "", "participants": "",
                                  "summary": "走访"}, [], [], True)


def test_draft_is_kept_edited_and_submitted_by_its_author(county, client_for):
    police = unit_named("县公安局")
    dims = dimensions(current_campaign().id)
    client = client_for("evaluator")
    client.post("/findings/new", data=inspection_form(police, entry(0, dims[2]), submit=False))
    draft = db.session.scalar(select(Inspection).where(Inspection.status == "draft"))
    assert draft.findings[0].status == "draft"
    assert "我的草稿（1）" in client.get("/findings").text
    assert client_for("supervisor").get(f"/findings/inspections/{draft.id}").status_code == 404
    assert "窗口人员脱岗" not in client_for("office").get("/findings").text  # drafts stay with their author
    data = inspection_form(police, entry(0, dims[2], None, "改写后的问题"), version=str(draft.version))
    assert client.post(f"/findings/inspections/{draft.id}/edit", data=data).status_code == 302
    db.session.refresh(draft)
    assert draft.status == "submitted" and [f.description for f in draft.findings] == ["改写后的问题"]
    with pytest.raises(DomainError, match="已提交"):
        services.save_inspection(current_campaign(), police, user("evaluator"),
                                 {"method": "forum", "held_on": date(2026, 11, 1), "place": "", "participants": "",
                                  "summary": "x"}, [], [], True, draft, draft.version)


def test_finding_lifecycle(county):
    office = user("office")
    a, other = db.session.scalars(select(Finding).where(Finding.status == "submitted").limit(2)).all()
    services.confirm_finding(a, office)
    assert a.status == "confirmed" and a.reviewed_by == office
    with pytest.raises(DomainError, match="待审核"):
        services.dismiss_finding(a, office, "重复")
    with pytest.raises(DomainError, match="理由"):
        services.dismiss_finding(other, office, " ")
    services.dismiss_finding(other, office, "经核实不属实")
    assert other.status == "dismissed" and other.review_note == "经核实不属实"


def test_duplicate_is_merged_into_a_finding_of_the_same_unit(county, client_for):
    police = unit_named("县公安局")
    dims = dimensions(current_campaign().id)
    client_for("supervisor").post("/findings/new", data=inspection_form(
        police, entry(0, dims[3], None, "窗口态度生硬"), entry(1, dims[3], None, "窗口人员态度不好")))
    first, second = db.session.scalars(select(Finding).order_by(Finding.id.desc()).limit(2)).all()[::-1]
    office = client_for("office")
    response = office.post(f"/findings/{second.id}/merge", data={"target": str(first.id)},
                           headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    assert response.status_code == 200 and "并入 #" in response.text
    db.session.refresh(second)
    assert second.status == "merged" and second.merged_into_id == first.id
    finance_finding = db.session.scalar(select(Finding).where(Finding.unit_id == unit_named("县财政局").id))
    with pytest.raises(DomainError, match="同一单位"):
        services.merge_finding(first, finance_finding, user("office"))


def test_unit_sees_only_its_confirmed_findings_without_confidential_reporters(county, client_for):
    police = unit_named("县公安局")
    dims = dimensions(current_campaign().id)
    client_for("supervisor").post("/findings/new", data=inspection_form(
        police, entry(0, dims[4], None, "收受土特产", "severe", "public", reporter="张先生 139", confidential="y"),
        entry(1, dims[4], None, "尚未审核的问题")))
    secret, unreviewed = db.session.scalars(select(Finding).order_by(Finding.id.desc()).limit(2)).all()[::-1]
    services.confirm_finding(secret, user("office"))
    text = client_for("unit").get("/findings").text
    assert "收受土特产" in text and "张先生" not in text and "尚未审核的问题" not in text
    assert "办事大厅公示的收费标准" in text and "午间办事窗口无人值守" not in text  # dismissed stays hidden
    assert "群众反映办理证照" not in text  # another unit's finding
    assert "赵淑芬" not in text  # who inspected stays with the office
    assert "张先生" in client_for("office").get(f"/findings?unit={police.id}").text


def test_office_filters_findings_and_exports_them(county, office_client, htmx):
    dims = dimensions(current_campaign().id)
    part = office_client.get(f"/findings?dimension={dims[2].id}&status=confirmed", headers=htmx)
    assert "<html" not in part.text and "政务公开" in part.text and "服务质量</td>" not in part.text
    export = office_client.get("/findings/export.xlsx?severity=major")
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("编号", "单位", "评议方面") and len(rows) > 1 and {r[5] for r in rows[1:]} == {"较重"}


def test_matrix_counts_confirmed_findings_per_unit_and_dimension(county, office_client):
    campaign = current_campaign()
    data = services.matrix(campaign)
    education = unit_named("县教育局")
    dims = dimensions(campaign.id)
    assert data["cells"][(education.id, dims[1].id)] == 1  # the severe November one waits for review
    assert sum(data["totals"]) == sum(1 for f in db.session.scalars(select(Finding).where(
        Finding.campaign_id == campaign.id)) if f.status == "confirmed")
    assert unit_named("县民政局").id not in data["inspected"] and data["page"].total == 47
    pending = db.session.scalar(select(Finding).where(Finding.unit_id == education.id, Finding.severity == "severe"))
    services.confirm_finding(pending, user("office"))
    after = services.matrix(campaign)
    assert after["cells"][(education.id, dims[1].id)] == 2 and after["worst"][(education.id, dims[1].id)] == 3
    text = office_client.get("/findings/matrix?key=1").text
    assert "worst-severe" in text and "县教育局" in text and "县财政局" not in text


def test_opinions_are_reviewed_by_the_office(county, office_client, client_for):
    police = unit_named("县公安局")
    dims = dimensions(current_campaign().id)
    client_for("supervisor").post("/findings/new", data=inspection_form(police, entry(0, dims[0])))
    text = office_client.get("/findings").text
    assert "待审核的群众意见建议" in text and "希望增加周末服务" in text
    inspection = db.session.scalar(select(Inspection).order_by(Inspection.id.desc()))
    office_client.post(f"/findings/opinions/{inspection.opinions[0].id}/review", data={"decision": "confirm"})
    office_client.post(f"/findings/opinions/{inspection.opinions[1].id}/review", data={"decision": "dismiss"})
    db.session.refresh(inspection)
    assert [o.status for o in inspection.opinions] == ["confirmed", "submitted"]  # dismissing needs a reason


def test_entry_form_adds_finding_blocks_through_htmx(county, client_for, htmx):
    response = client_for("supervisor").get("/findings/new/finding?index=3", headers=htmx)
    assert 'name="findings-3-description"' in response.text and "问题 4" in response.text
    assert 'hx-swap-oob="true"' in response.text and "index=4" in response.text


def test_evidence_follows_the_finding_and_survives_draft_edits(county, client_for):
    police = unit_named("县公安局")
    dims = dimensions(current_campaign().id)
    data = inspection_form(police, entry(0, dims[3], None, "排队无人引导"), submit=False)
    data["findings-0-files"] = [(io.BytesIO(b"\xff\xd8\xff\xe0photo"), "排队照片.jpg")]
    supervisor = client_for("supervisor")
    supervisor.post("/findings/new", data=data, content_type="multipart/form-data")
    draft = db.session.scalar(select(Inspection).where(Inspection.status == "draft"))
    photo = draft.findings[0].files[0]
    own = supervisor.get(f"/files/{photo.id}")
    own.close()
    assert own.status_code == 200
    for name in ("unit", "office", "leader", "evaluator"):
        assert client_for(name).get(f"/files/{photo.id}").status_code == 404, name  # a draft's photo
    page = supervisor.get(f"/findings/inspections/{draft.id}/edit").text
    assert "已上传：排队照片.jpg" in page
    supervisor.post(f"/findings/inspections/{draft.id}/edit", data=inspection_form(
        police, entry(0, dims[3], None, "排队无人引导，等候超过二十分钟"), version=str(draft.version)))
    db.session.refresh(draft)
    finding = draft.findings[0]
    assert draft.status == "submitted" and [f.original_name for f in finding.files] == ["排队照片.jpg"]
    assert client_for("unit").get(f"/files/{photo.id}").status_code == 404  # not confirmed yet
    services.confirm_finding(finding, user("office"))
    response = client_for("unit").get(f"/files/{photo.id}")
    assert response.status_code == 200
    response.close()


def test_unit_timeline_shows_no_inspection_activity(county, client_for):
    police = unit_named("县公安局")
    dims = dimensions(current_campaign().id)
    client_for("supervisor").post("/findings/new", data=inspection_form(police, entry(0, dims[0]), submit=False))
    text = client_for("unit").get(f"/units/{police.id}").text
    assert "保存草稿" not in text and "明察暗访记录" not in text and "不予采纳" not in text
    assert "签收" in text  # its own steps remain
