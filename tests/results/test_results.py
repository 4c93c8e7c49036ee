"""Results from the database: gathering, publication (frozen, versioned), who sees what, export, bulletin."""
import io
import json
import re
from decimal import Decimal
from fractions import Fraction

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import event, select

from pingyi.errors import DomainError
from pingyi.exact import exact_text, half_up
from pingyi.extensions import db
from pingyi.results import services
from pingyi.results.components import stored
from pingyi.results.models import ResultVersion, UnitResult
from pingyi.surveys import services as surveys
from tests.results.form_data import quota_fields, return_fields
from tests.conftest import unit_named, user
from tests.results.forms import component_fields, field_of


def county_request():
    from flask import current_app
    return current_app.test_request_context()


def _add_votes(campaign, unit, n_satisfied, n_not):
    q = surveys.questionnaires(campaign.id)[0]
    opts = surveys.options(campaign.id)
    for i in range(n_satisfied + n_not):
        surveys.add_ballot(campaign, unit, q, surveys.respondent_types(campaign.id)[0], "november",
                           {x.id: (opts[0] if i < n_satisfied else opts[2]).id for x in q.questions}, user("office"))


def test_live_results_follow_the_inputs(county):
    police = unit_named("县公安局")
    before = services.compute(county)["details"][police.id]
    _add_votes(county, police, 0, 30)
    after = services.compute(county)["details"][police.id]
    assert after["types"][0]["ballots"] == before["types"][0]["ballots"] + 30
    assert after["total"] < before["total"]


def test_a_unit_without_ballots_is_listed_unrated(county):
    details = services.compute(county)["details"]
    petro = details[unit_named("中国石油青山县分公司").id]
    assert petro["total"] is None and petro["grade"] == "未评定" and petro["rank"] is None


def test_publication_is_frozen_and_versioned(county):
    police = unit_named("县公安局")
    latest = services.latest_version(county)
    published = services.unit_result(latest, police.id)
    _add_votes(county, police, 0, 40)
    assert services.unit_result(services.latest_version(county), police.id) == published  # frozen
    new = services.publish(county, user("office"), show_ranking=False, note="更正")
    db.session.refresh(latest)
    assert new.number == latest.number + 1 and latest.status == "superseded"
    assert services.unit_result(latest, police.id) == published  # the old version is kept as it was
    assert services.unit_result(new, police.id)["total"] < published["total"]
    assert [v.number for v in services.versions(county)] == [new.number, latest.number, latest.number - 1]
    assert json.loads(new.config_json)["options"][1] == {"label": "基本满意", "score": "80", "valid": True}


def test_publishing_waits_for_double_entries_to_agree(county):
    q = surveys.questionnaires(county.id)[1]
    internal = surveys.respondent_types(county.id)[3]
    opts = surveys.options(county.id)
    cells = {(x.id, opts[0].id): "5" for x in q.questions}
    surveys.save_tally(county, unit_named("县林业局"), q, internal, "november", 1, "5", cells, None, user("office"))
    with pytest.raises(DomainError, match="双人录入"):
        services.publish(county, user("office"), show_ranking=False)
    from pingyi.notifications import todo
    with county_request():
        assert ("双人录入待完成或不一致的测评票", 1) in [item[:2] for item in todo(user("office"), county)]


def test_gathering_takes_the_same_number_of_queries_whatever_the_data(county):
    def count():
        db.session.expire_all()
        statements = []
        listener = lambda *args: statements.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        services.compute(county)
        event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    first = count()
    _add_votes(county, unit_named("县财政局"), 5, 5)
    _add_votes(county, unit_named("县卫生局"), 5, 5)
    assert count() == first


def _without_tokens(text):
    """The page without its CSRF tokens, which are signed afresh (with the time) for every request."""
    return re.sub(r'"X-CSRFToken": "[^"]+"|name="csrf_token"( type="hidden")? value="[^"]+"', "TOKEN", text)


def test_unit_sees_only_its_own_result_unless_the_ranking_is_published(county, client_for):
    office, unit = client_for("office"), client_for("unit")
    services.publish(county, user("office"), show_ranking=False)
    page = unit.get("/results").text
    assert "本单位结果" in page and "县财政局" not in page and "svg" not in page.split("本单位结果")[1].split("</section>")[0]
    police = unit_named("县公安局")
    assert unit.get(f"/results/units/{police.id}").status_code == 200
    assert unit.get(f"/results/units/{unit_named('县财政局').id}").status_code == 404
    same = _without_tokens(unit.get("/results?version=1").text) == _without_tokens(page)
    assert same  # a unit cannot pick a version
    assert unit.get("/results/export.xlsx").status_code == 403
    assert office.get("/results").status_code == 200
    services.publish(county, user("office"), show_ranking=True)
    page = unit.get("/results").text
    assert "县财政局" in page and "驻县单位" in page


def test_unpublished_groups_stay_with_the_office_and_leaders(county, client_for):
    config = services.config_for(county)
    groups = config.groups
    groups[1]["published"] = False
    config.groups_json = json.dumps(groups, ensure_ascii=False)
    db.session.commit()
    services.publish(county, user("office"), show_ranking=True)
    stationed = "国网青山县供电公司"
    assert stationed not in client_for("unit").get("/results").text
    assert stationed not in client_for("evaluator").get("/results").text
    assert stationed in client_for("leader").get("/results").text


def test_nothing_is_shown_to_units_before_publication(empty_app):
    from pingyi import demo
    from pingyi.campaigns.services import current_campaign
    demo.load_demo()
    for version in db.session.scalars(select(ResultVersion)):
        db.session.delete(version)
    db.session.commit()
    client = empty_app.test_client(user=user("unit"))
    assert "尚未发布" in client.get("/results").text
    assert "尚未发布" in client.get(f"/results/units/{user('unit').unit_id}").text
    assert current_campaign() is not None


def test_export_has_one_sheet_per_group(county, office_client):
    response = office_client.get("/results/export.xlsx")
    book = load_workbook(io.BytesIO(response.data))
    response.close()
    assert book.sheetnames == ["县政府部门和县直企事业单位", "驻县单位", "重点评议部门"]
    sheet = book["重点评议部门"]
    assert [c.value for c in sheet[1]][:2] == ["名次", "单位"] and sheet.max_row == 9
    assert sheet["B2"].value == "县公安局"


def test_settings_reject_bad_thresholds_and_keep_the_typed_values(county, office_client):
    form = office_client.get("/results/settings")
    assert "试算示例" in form.text and "按上面<strong>尚未保存</strong>的设置试算" in form.text
    config = services.config_for(county)
    opened = config.version
    data = dict(component_fields(config))
    data.update(**return_fields(), veto_severity="severe", veto_grade="基本满意", version=config.version,
                top_text="", bottom_text="", missing_rule="redistribute")
    grades = [("满意", "90"), ("比较满意", "95"), ("基本满意", "60"), ("不满意", "")]
    for n, (name, low) in enumerate(grades):
        data.update({f"grade-{n}-name": name, f"grade-{n}-min": low, f"grade-{n}-inclusive": "y"})
    for n, g in enumerate(config.groups):
        data.update({f"group-{n}-name": g["name"], f"group-{n}-categories": g["categories"], f"group-{n}-key": g["key"],
                     f"group-{n}-published": "y", **quota_fields(n)})
    response = office_client.post("/results/settings", data=data)
    assert response.status_code == 400 and "分数线应从高到低排列" in response.text and 'value="95"' in response.text
    data["grade-1-min"] = "80"
    data["grade-2-min"] = "70"  # another county's boundary
    example = office_client.post("/results/settings/example", data=data)
    assert "尚未保存" in example.text
    assert services.config_for(county).grades[2]["min"] == "60"  # the example saved nothing
    assert office_client.post("/results/settings", data=data).status_code == 302
    assert services.config_for(county).grades[2]["min"] == "70"
    data["version"] = opened  # the form opened before that save
    assert office_client.post("/results/settings", data=data).status_code == 409


def test_bulletin_is_built_from_the_published_version(county, office_client):
    response = office_client.get("/documents/bulletin.docx")
    doc = Document(io.BytesIO(response.data))
    response.close()
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = {c.text for t in doc.tables for row in t.rows for c in row.cells}
    assert "关于2026年度" in text and "青纠风办发〔2026〕15号" in text
    latest = services.version_results(services.latest_version(county))
    police = latest["details"][unit_named("县公安局").id]
    assert "县公安局" in cells and f"{police['total']:.2f}" in cells
    assert "以下单位因无有效测评票未参加排名：中国石油青山县分公司。" in text


def test_no_bulletin_before_publication(county, office_client):
    for version in db.session.scalars(select(ResultVersion)):
        db.session.delete(version)
    db.session.commit()
    response = office_client.get("/documents/bulletin.docx")
    assert response.status_code == 302
    assert "评议结果尚未发布" in office_client.get(response.location).text


def test_evaluators_read_explanations_of_the_units_they_inspect_only(county, client_for):
    evaluator = client_for("evaluator")
    assert evaluator.get(f"/results/units/{unit_named('县公安局').id}").status_code == 200
    other = unit_named("县广播电视台")  # not in the evaluator's group; its explanation names a finding
    assert evaluator.get(f"/results/units/{other.id}").status_code == 404
    page = evaluator.get("/results").text
    assert f'href="/results/units/{other.id}"' not in page and "县广播电视台" in page
    unit_page = client_for("unit").get("/results").text
    assert f'href="/results/units/{other.id}"' not in unit_page


def _options_form(county):
    data = {}
    for n, o in enumerate(surveys.options(county.id)):
        data.update({f"option-{n}-id": o.id, f"option-{n}-label": o.label, f"option-{n}-version": o.version,
                     f"option-{n}-score": exact_text(o.score)})
        if o.counts_valid:
            data[f"option-{n}-valid"] = "y"
    return data


def test_option_points_round_trip_through_the_form_exactly(county, office_client):
    from pingyi.surveys.models import SurveyOption
    data = _options_form(county)
    data["option-1-score"] = "250/3"  # 基本满意 worth 83.333… (a county that scores thirds)
    assert office_client.post("/surveys/setup/options", data=data).status_code == 302
    option = db.session.get(SurveyOption, surveys.options(county.id)[1].id)
    assert option.score == Fraction(250, 3)
    page = office_client.get("/surveys/setup").text
    assert 'value="250/3"' in page
    again = _options_form(county)  # the form as shown, saved unchanged
    assert again["option-1-score"] == "250/3"
    assert office_client.post("/surveys/setup/options", data=again).status_code == 302
    db.session.expire_all()
    assert db.session.get(SurveyOption, option.id).score == Fraction(250, 3)
    data = _options_form(county)
    data["option-1-score"] = "83.333"
    office_client.post("/surveys/setup/options", data=data)
    db.session.expire_all()
    assert db.session.get(SurveyOption, option.id).score == Fraction(83333, 1000)
    assert 'value="83.333"' in office_client.get("/surveys/setup").text


def test_settings_round_trip_and_show_boundaries_in_words(county, office_client):
    config = services.config_for(county)
    page = office_client.get("/results/settings").text
    assert "满意：90 分以上（含 90 分）" in page and "比较满意：80 分以上（含 80 分）、低于 90 分" in page
    assert "不满意：低于 60 分" in page and "综合得分须90 分以上（含 90 分）" in page
    data = {k: exact_text(getattr(config, k)) for k in settings_keys()}
    data.update(component_fields(config))
    data.update(**return_fields(), veto_severity="severe", veto_grade="基本满意", version=config.version,
                top_text="", bottom_text="", missing_rule="zero")
    data[field_of(data, "问题扣分", "minor")] = "0.1"
    data[field_of(data, "检查考核", "basic")] = "250/3"
    for n, g in enumerate(config.grades):
        data.update({f"grade-{n}-name": g["name"], f"grade-{n}-min": g["min"] or "",
                     f"grade-{n}-inclusive": "n" if g["name"] == "比较满意" else "y"})
    for n, g in enumerate(config.groups):
        data.update({f"group-{n}-name": g["name"], f"group-{n}-categories": g["categories"], f"group-{n}-key": g["key"],
                     f"group-{n}-published": "y", **quota_fields(n, top_inclusive=False)})
    example = office_client.post("/results/settings/example", data=data).text
    assert "比较满意 高于 80 分（不含 80 分）、低于 90 分" in example  # the worked example states them too
    assert office_client.post("/results/settings", data=data).status_code == 302
    db.session.expire_all()
    config = services.config_for(county)
    saved = {c["key"]: c for c in stored(config)}
    assert saved["findings"]["minor"] == "0.1" and saved["checklist"]["basic"] == "250/3"
    assert config.groups[0]["quota"]["top_inclusive"] is False and config.grades[1]["inclusive"] is False and config.missing_rule == "zero"
    page = office_client.get("/results/settings").text
    assert 'value="250/3"' in page and 'value="0.1"' in page and "综合得分须高于 90 分（不含 90 分）" in page
    del data["grade-1-inclusive"]  # the boundary is chosen, never assumed
    data["version"] = config.version
    response = office_client.post("/results/settings", data=data)
    assert response.status_code == 400 and "以上／高于" in response.text


def settings_keys():
    return ()  # weights, points and deductions are the components' fields; 先进/末位 each group's quota


def test_published_figures_read_back_exact_and_the_bulletin_data_states_boundaries(county):
    from pingyi.documents.services import bulletin_data
    version = services.latest_version(county)
    data = services.version_results(version)
    detail = next(d for d in data["details"].values() if d["total"] is not None)
    assert isinstance(detail["total"], Decimal) and detail["total"] == detail["total"].quantize(Decimal("0.01"))
    row = db.session.scalar(select(UnitResult).where(UnitResult.version_id == version.id,
                                                     UnitResult.unit_id == detail["unit_id"]))
    assert isinstance(row.total, Fraction) and half_up(row.total) == detail["total"]
    assert data["config"]["boundaries"]["grades"][0] == ["满意", "90 分以上（含 90 分）"] or \
        tuple(data["config"]["boundaries"]["grades"][0]) == ("满意", "90 分以上（含 90 分）")
    bulletin = bulletin_data(county)
    assert all("." in r["total"] for g in bulletin["groups"] for r in g["rows"])


def test_bulletin_names_the_problems_frozen_with_its_version(county):
    """The 通报's 存在的主要问题 come from the published version, like its figures; a version published before the
    problems were frozen falls back to the live list."""
    from pingyi.documents.services import bulletin_data
    from pingyi.findings.models import Finding
    version = services.publish(county, user("office"), show_ranking=False)
    published = bulletin_data(county)["problems"]
    assert published and published == [tuple(p) for p in json.loads(version.summary_json)["problems"]]
    finding = db.session.scalar(select(Finding).where(Finding.campaign_id == county.id, Finding.status == "confirmed")
                                .order_by(Finding.id))
    finding.description = "发布后才改写的问题描述"
    finding.severity = "severe"
    db.session.commit()
    assert bulletin_data(county)["problems"] == published
    assert not any("发布后才改写" in text for _, text in published)
    summary = json.loads(version.summary_json)
    del summary["problems"]  # as stored before the problems were frozen
    version.summary_json = json.dumps(summary)
    db.session.commit()
    assert any("发布后才改写的问题描述" in text for _, text in bulletin_data(county)["problems"])
