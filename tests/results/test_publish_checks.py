"""Questionnaires issued and the return rate on the pages; quotas refused on the settings page; publishing
through the check page: blocking checks, ticks, and the changes kept with the version."""
import io
import json

from openpyxl import Workbook
from sqlalchemy import select

from pingyi.audit.models import AuditEntry
from pingyi.extensions import db
from pingyi.results import checks, services
from pingyi.results.models import ResultVersion
from pingyi.surveys import issuance
from pingyi.surveys import services as surveys
from pingyi.surveys.models import QuestionnaireIssue
from tests.conftest import unit_named, user
from tests.results.form_data import quota_fields, return_fields
from tests.results.test_results import _add_votes


def _issued(unit, type_id):
    return db.session.scalar(select(QuestionnaireIssue.issued).where(QuestionnaireIssue.unit_id == unit.id,
                                                                     QuestionnaireIssue.respondent_type_id == type_id))


def test_issuance_grid_is_saved_audited_and_refuses_bad_numbers(county, office_client):
    police, public = unit_named("县公安局"), surveys.respondent_types(county.id)[0]
    before = _issued(police, public.id)
    page = office_client.post("/surveys/issuance", data={f"i-{police.id}-{public.id}": "1２0"})
    assert page.status_code == 422 and "发放数应为 0 至 100000 的整数" in page.text and 'value="1２0"' in page.text
    assert _issued(police, public.id) == before  # nothing saved
    assert office_client.post("/surveys/issuance", data={f"i-{police.id}-{public.id}": "200"}).status_code == 302
    assert _issued(police, public.id) == 200
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "questionnaire_issue")
                              .order_by(AuditEntry.id.desc()))
    assert f"县公安局{public.name}问卷发放数 {before} → 200 份" in entry.summary
    # returned ÷ issued, exact: the grid and the results show the same rate
    returned = issuance.returned_counts(county)
    row = next(r for r in issuance.grid(county)["rows"] if r["unit"].id == police.id)
    assert row["returned"] == sum(returned[(police.id, c["type"].id)] for c in row["cells"] if c["issued"])
    detail = services.compute(county)["details"][police.id]
    assert str(detail["returns"]["rate"]) in office_client.get("/surveys/issuance").text


def _workbook(rows):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_issuance_import_takes_every_row_or_none(county, office_client):
    types = surveys.respondent_types(county.id)
    police, forest = unit_named("县公安局"), unit_named("县林业局")
    bad = _workbook([["单位名称", types[0].name, "旁听群众"], ["县公安局", 150, 3], ["县林业局", "十", 2],
                     ["县不存在局", 5, 5]])
    page = office_client.post("/surveys/issuance/import", data={"file": (io.BytesIO(bad), "发放.xlsx")},
                              content_type="multipart/form-data")
    assert page.status_code == 422 and "“旁听群众”不是本年度的测评对象类别" in page.text
    assert "“县不存在局”不是本年度参加评议的单位" in page.text and "发放数应为" in page.text
    assert _issued(police, types[0].id) != 150
    good = _workbook([["单位名称", types[0].name.replace("/", "／"), types[1].name], ["县公安局 ", 150, 12],
                      ["县林业局", 90, None]])
    response = office_client.post("/surveys/issuance/import", data={"file": (io.BytesIO(good), "发放.xlsx")},
                                  content_type="multipart/form-data")
    assert response.status_code == 302
    assert (_issued(police, types[0].id), _issued(police, types[1].id), _issued(forest, types[0].id)) == (150, 12, 90)


def test_the_lagging_unit_is_flagged_beside_its_result_and_on_its_explanation(county, office_client):
    education = unit_named("县教育局")
    detail = services.compute(county)["details"][education.id]
    assert detail["returns"]["rate"] == 50 and detail["return_flag"] == "回收不足" and detail["rank"] is not None
    page = office_client.get("/results").text
    row = page.split(f'/results/units/{education.id}"')[1].split("</tr>")[0]
    assert "50.00%" in row and "回收不足" in row
    explained = office_client.get(f"/results/units/{education.id}").text
    assert "问卷回收率 50.00%" in explained and "低于评定办法规定的 70%" in explained and "只作标注" in explained


def _settings(config, **group0):
    from tests.results.forms import component_fields
    data = dict(component_fields(config))
    data.update(**return_fields("70", "30", "flag"), veto_severity=config.veto_severity, veto_grade=config.veto_grade,
                version=config.version, top_text="", bottom_text="", missing_rule="redistribute")
    for n, g in enumerate(config.grades):
        data.update({f"grade-{n}-name": g["name"], f"grade-{n}-min": g["min"] or "", f"grade-{n}-inclusive": "y"})
    for n, g in enumerate(config.groups):
        data.update({f"group-{n}-name": g["name"], f"group-{n}-categories": g["categories"], f"group-{n}-key": g["key"],
                     f"group-{n}-published": "y", **quota_fields(n, **(group0 if n == 0 else {}))})
    return data


def test_settings_refuse_a_quota_that_names_a_whole_small_group_bottom(county, office_client):
    config = services.config_for(county)
    response = office_client.post("/results/settings", data=_settings(config, min_size=1))
    assert response.status_code == 400
    assert "只有 1 个单位排名时，末位 1 个即本组全部单位都是末位" in response.text
    response = office_client.post("/results/settings", data=_settings(
        config, min_size=3, top_count=2, top_share="", top_min="", bottom_count=2))
    assert response.status_code == 400 and "先进 2 个、末位 2 个" in response.text
    # 先进 5 with no share would overlap 末位 in a group of 2…
    assert office_client.post("/results/settings", data=_settings(
        config, top_count=5, top_share="", top_ties="together")).status_code == 400
    # …unless 末位 is held below a line 先进 cannot reach
    assert office_client.post("/results/settings", data=_settings(
        config, top_count=5, top_share="", top_ties="together", bottom_max="60",
        bottom_inclusive=False)).status_code == 302
    db.session.expire_all()
    quota = services.config_for(county).groups[0]["quota"]
    assert (quota["top_count"], quota["top_share"], quota["top_ties"]) == (5, None, "together")
    page = office_client.get("/results").text
    assert "先进最多 5 个，综合得分须90 分以上（含 90 分）" in page and "综合得分须低于 60 分（不含 60 分）" in page


def test_a_blocking_check_refuses_publishing_even_with_every_tick(county, office_client):
    q = surveys.questionnaires(county.id)[1]
    internal = surveys.respondent_types(county.id)[3]
    opts = surveys.options(county.id)
    cells = {(x.id, opts[0].id): "5" for x in q.questions}
    surveys.save_tally(county, unit_named("县林业局"), q, internal, "november", 1, "5", cells, None, user("office"))
    page = office_client.get("/results/publish").text
    assert "双人录入的测评票未核对一致或未完成第二遍录入" in page and "须先处理" in page and "disabled" in page
    number = services.latest_version(county).number
    ticks = [c.key for c in checks.run(county, services.compute(county)) if not c.blocks]
    response = office_client.post("/results/publish", data={"seen": ticks})
    assert response.status_code == 422 and "双人录入" in response.text
    assert services.latest_version(county).number == number


def test_every_check_must_be_ticked_before_publishing_and_the_ticks_are_kept(county, office_client):
    page = office_client.get("/results/publish").text
    found = checks.run(county, services.compute(county))
    keys = {c.key for c in found}
    assert {"no_inspection", "no_liaison", "tasks_overdue", "short_returns"} <= keys and not any(c.blocks for c in found)
    assert "县教育局" in page.split('id="check-short_returns"')[1].split("</div>")[0]
    number = services.latest_version(county).number
    response = office_client.post("/results/publish", data={"seen": ["no_inspection"], "show_ranking": "y",
                                                            "note": "第三次发布"})
    assert response.status_code == 422 and "请先逐项查看并勾选确认" in response.text and "没有联络员" in response.text
    assert 'value="第三次发布"' in response.text  # what was typed stays
    assert services.latest_version(county).number == number
    response = office_client.post("/results/publish", data={"seen": sorted(keys), "show_ranking": "y"})
    assert response.status_code == 302
    version = services.latest_version(county)
    assert version.number == number + 1
    record = services.publication_record(version)
    assert record["checks"]["via"] == "page" and record["checks"]["by"] == user("office").display_name
    assert {c["key"] for c in record["checks"]["checks"]} == keys and all(c["ticked"] for c in record["checks"]["checks"])
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "result_version")
                              .order_by(AuditEntry.id.desc()))
    assert "没有联络员" in json.dumps(entry.after, ensure_ascii=False)
    shown = office_client.get(f"/results?version={version.number}").text
    assert f"第 {version.number} 版的发布前检查" in shown and "已由" in shown and "勾选确认" in shown


def test_the_check_page_shows_what_changes_against_the_last_version(county, office_client):
    services.publish(county, user("office"), show_ranking=True)  # the demo's issuance and minimum now published
    assert services.publish_preview(county)["changes"]["rows"] == []  # nothing changed since
    police = unit_named("县公安局")
    before = services.compute(county)["details"][police.id]
    assert before["rank"] == 1 and before["mark"] == "top"
    _add_votes(county, police, 0, 60)  # sixty 不满意 ballots
    after = services.compute(county)["details"][police.id]
    changes = services.publish_preview(county)["changes"]
    row = next(r for r in changes["rows"] if r["unit_id"] == police.id)
    assert row["rank"] == ["1", str(after["rank"])] and row["mark"] == ["top", after["mark"]]
    assert row["total"] == [f"{before['total']:.2f}", f"{after['total']:.2f}"] and row["inputs"] == ["测评票"]
    assert not changes["scheme_changed"] and changes["against"] == services.latest_version(county).number
    unmoved = [r for r in changes["rows"] if r["unit_id"] != police.id]
    assert all(r["inputs"] == [] for r in unmoved)  # moved only because 县公安局 did
    assert changes["unchanged"] + len(changes["rows"]) == len(after and services.compute(county)["details"])
    page = office_client.get("/results/publish").text
    assert "县公安局" in page and "1 → " + str(after["rank"]) in page and "测评票" in page
    version = services.publish(county, user("office"), show_ranking=True)
    kept = services.publication_record(version)["changes"]
    assert next(r for r in kept["rows"] if r["unit_id"] == police.id)["inputs"] == ["测评票"]
    assert db.session.get(ResultVersion, version.id).changes_json


def test_a_cell_changed_by_someone_else_meanwhile_is_not_overwritten_unseen(county, office_client):
    police, public = unit_named("县公安局"), surveys.respondent_types(county.id)[0]
    shown = str(_issued(police, public.id))
    issuance.save_grid(county, {(police.id, public.id): "300"}, user("office"))  # someone else, meanwhile
    key = f"{police.id}-{public.id}"
    page = office_client.post("/surveys/issuance", data={f"i-{key}": "250", f"o-{key}": shown})
    assert page.status_code == 422 and "他人已在您打开本页后改为 300" in page.text and 'value="250"' in page.text
    assert _issued(police, public.id) == 300
    # saved again from the page that now shows 300: the typed value wins
    assert office_client.post("/surveys/issuance", data={f"i-{key}": "250", f"o-{key}": "300"}).status_code == 302
    assert _issued(police, public.id) == 250
