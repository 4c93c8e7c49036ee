"""A unit's checklist: ratings and polarity, row-by-row htmx editing, concurrent edits, who may edit."""
from datetime import date

import pytest
import time_machine

from pingyi.campaigns.services import current_campaign
from pingyi.checklists import services
from pingyi.checklists.models import RATING_LABELS, RATING_MEANING
from pingyi.errors import DomainError, StaleEdit
from pingyi.findings.services import confirmed_for_unit
from tests.conftest import unit_named, user


def items():
    return [i for d in services.dimensions(current_campaign().id) for i in d.items]


def test_rating_scale_and_polarity_wording():
    assert list(RATING_LABELS.values()) == ["符合要求", "基本符合", "存在问题", "不适用"]
    assert RATING_MEANING["exist"]["problem"] == "存在该问题" and RATING_MEANING["achieve"]["problem"] == "没有做到"


def test_checklist_shows_both_sides_findings_and_summary(county, client_for):
    police = unit_named("县公安局")
    checklist = services.unit_checklist(current_campaign(), police, confirmed_for_unit(current_campaign(), police))
    assert [len(d["rows"]) for d in checklist] == [3] * 6
    service = checklist[3]
    assert service["self_summary"]["problem"] == 1 and service["review_summary"]["basic"] == 1
    assert any(r["findings"] for r in service["rows"])
    text = client_for("unit").get(f"/units/{police.id}/checklist").text
    assert "六个方面检查清单" in text and "窗口工作人员接待群众时态度生硬" in text and "存在问题" in text


def test_problem_rating_needs_an_explanation(county):
    with pytest.raises(DomainError, match="请说明具体情况"):
        services.save_assessment(unit_named("县财政局"), items()[0], "review", user("office"), "problem", "", None)


def test_evaluator_rates_a_row_through_htmx(county, client_for, htmx):
    education, item = unit_named("县教育局"), items()[10]
    client = client_for("evaluator")
    form = client.get(f"/units/{education.id}/checklist/items/{item.id}/review/edit", headers=htmx)
    assert form.status_code == 200 and "<html" not in form.text and 'name="rating"' in form.text
    saved = client.post(f"/units/{education.id}/checklist/items/{item.id}/review", headers=htmx,
                        data={"rating": "basic", "explanation": "个别学校办事指南未更新", "version": "0"})
    assert saved.status_code == 200 and "基本符合" in saved.text and "<form" not in saved.text
    assert "checklist-changed" in saved.headers["HX-Trigger"]  # the summary above reloads itself
    summary = client.get(f"/units/{education.id}/checklist", headers=htmx).text
    assert "<html" not in summary and "汇总" in summary and "六个方面检查清单" not in summary
    assert services.assessment_for(education, item, "review").updated_by.username == "evaluator"


def test_row_error_keeps_what_was_typed(county, client_for, htmx):
    education, item = unit_named("县教育局"), items()[11]
    response = client_for("office").post(f"/units/{education.id}/checklist/items/{item.id}/review", headers=htmx,
                                         data={"explanation": "尚未核实", "version": "0"})
    assert response.status_code == 422 and "请选择评价结果" in response.text and "尚未核实" in response.text


def test_second_save_of_the_same_item_is_refused_with_the_other_value(county, client_for, htmx):
    education, item = unit_named("县教育局"), items()[12]
    first, second = client_for("evaluator"), client_for("office")
    first.post(f"/units/{education.id}/checklist/items/{item.id}/review", headers=htmx,
               data={"rating": "meets", "version": "0"})
    refused = second.post(f"/units/{education.id}/checklist/items/{item.id}/review", headers=htmx,
                          data={"rating": "problem", "explanation": "暗访发现问题", "version": "0"})
    assert refused.status_code == 422
    assert "刚被 陈明 保存为“符合要求”" in refused.text and "暗访发现问题" in refused.text
    assert services.assessment_for(education, item, "review").rating == "meets"
    current = services.assessment_for(education, item, "review")
    again = second.post(f"/units/{education.id}/checklist/items/{item.id}/review", headers=htmx,
                        data={"rating": "problem", "explanation": "暗访发现问题", "version": str(current.version)})
    assert again.status_code == 200 and services.assessment_for(education, item, "review").rating == "problem"


def test_stale_version_is_refused_by_the_service(county):
    police = unit_named("县公安局")
    a = services.assessment_for(police, items()[0], "self")
    with pytest.raises(StaleEdit):
        services.save_assessment(police, items()[0], "self", user("office"), "basic", "补充", a.version - 1)
    assert services.assessment_for(police, items()[0], "self").rating == "meets"


def test_who_may_edit_which_side(county, client_for):
    police, education, finance = unit_named("县公安局"), unit_named("县教育局"), unit_named("县财政局")
    item = items()[0]
    assert client_for("evaluator").get(f"/units/{finance.id}/checklist/items/{item.id}/review/edit").status_code == 404
    assert client_for("evaluator").get(f"/units/{police.id}/checklist/items/{item.id}/self/edit").status_code == 403
    assert client_for("supervisor").get(f"/units/{police.id}/checklist/items/{item.id}/review/edit").status_code == 200
    assert client_for("leader").get(f"/units/{police.id}/checklist/items/{item.id}/review/edit").status_code == 403
    assert client_for("unit").get(f"/units/{police.id}/checklist/items/{item.id}/review/edit").status_code == 403
    assert client_for("unit").get(f"/units/{education.id}/checklist").status_code == 404


def test_unit_self_check_is_open_until_phase_two_ends(county, client_for):
    police, item = unit_named("县公安局"), items()[1]
    assert services.self_check_open(current_campaign(), date(2026, 6, 30))
    assert not services.self_check_open(current_campaign(), date(2026, 7, 1))
    with time_machine.travel("2026-06-20 10:00 +0800", tick=False):
        client = client_for("unit")
        assert client.get(f"/units/{police.id}/checklist/items/{item.id}/self/edit").status_code == 200
    with time_machine.travel("2026-07-02 10:00 +0800", tick=False):
        client = client_for("unit")
        assert client.get(f"/units/{police.id}/checklist/items/{item.id}/self/edit").status_code == 403
        assert "自查自评阶段已结束" in client.get(f"/units/{police.id}/checklist").text
    assert client_for("office").get(f"/units/{police.id}/checklist/items/{item.id}/self/edit").status_code == 200


def test_self_check_evidence_upload(county, client_for, htmx):
    import io
    with time_machine.travel("2026-06-20 10:00 +0800", tick=False):
        client = client_for("unit")
        police, item = unit_named("县公安局"), items()[2]
        a = services.assessment_for(police, item, "self")
        response = client.post(f"/units/{police.id}/checklist/items/{item.id}/self", headers=htmx,
                               content_type="multipart/form-data",
                               data={"rating": "meets", "version": str(a.version),
                                     "files": [(io.BytesIO(b"%PDF-1.4 minutes"), "党组会议纪要.pdf")]})
        assert response.status_code == 200 and "党组会议纪要.pdf" in response.text
        bad = client.post(f"/units/{police.id}/checklist/items/{item.id}/self", headers=htmx,
                          content_type="multipart/form-data",
                          data={"rating": "meets", "version": str(a.version + 1),
                                "files": [(io.BytesIO(b"MZ\x90"), "纪要.pdf")]})
        assert bad.status_code == 422 and "内容与扩展名 .pdf 不符" in bad.text


def test_the_service_itself_enforces_who_may_save_which_side(county):
    with time_machine.travel("2026-11-26 10:00 +0800", tick=False):  # phase 2 is over
        with pytest.raises(DomainError, match="自查自评阶段已结束"):
            services.save_assessment(unit_named("县公安局"), items()[0], "self", user("unit"), "meets", "", None)
    with pytest.raises(DomainError, match="评议组、义务监督员或纠风办"):
        services.save_assessment(unit_named("县财政局"), items()[0], "review", user("supervisor"), "meets", "", None)
