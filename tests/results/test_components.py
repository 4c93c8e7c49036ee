"""Score components against figures worked out by hand: weighted questions (pooled and per ballot), direct
scores with a maximum and their import, task completion, rectification by deductions, the weights' checks,
the no-data choices, ready schemes loaded as a preview."""
import io
import json
from decimal import Decimal as D
from fractions import Fraction

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from pingyi.audit.models import AuditEntry
from pingyi.extensions import db
from pingyi.results import components, direct, services
from pingyi.results.components import DEFAULTS, exact_component, parse_form
from pingyi.exact import exact_text
from pingyi.results.schemes import ready
from pingyi.results.scoring import UnitInputs, score_unit
from pingyi.surveys import services as surveys
from pingyi.surveys.models import Ballot
from pingyi.units.services import ImportRefused
from tests.conftest import unit_named, user
from tests.results.form_data import quota_fields, return_fields
from tests.results.forms import component_fields
from tests.results.test_scoring import BASIC, NOT, SAT, UNKNOWN, rules


def comp(kind, key=None, weight="100", name=None, **params):
    return exact_component({**DEFAULTS[kind], "key": key or kind, "name": name or key or kind, "kind": kind,
                            "weight": weight, "missing": "", **params})


def scheme_rules(listed, **overrides):
    return rules(components=listed, **overrides)


ONE_TYPE = {1: {"name": "服务对象", "weight": Fraction(100)}}


def test_weighted_questions_pooled_by_hand():
    # question 10 (weight 1): 8 满意 + 2 不满意; question 11 (weight 2): 5 满意 + 5 基本满意 + 3 不了解.
    # Weighted votes: 满意 8 + 2 × 5 = 18, 基本满意 2 × 5 = 10, 不满意 2, 不了解 6 (not valid)
    # rate = (18 × 100 + 10 × 80 + 2 × 0) ÷ (18 + 10 + 2) = 2600 ÷ 30 = 86.666… → 86.67
    survey = comp("survey", question_weights={"11": "2"})
    unit = UnitInputs(1, "县财政局", 0, weighted_votes={"survey": {1: {SAT: (13, 18), BASIC: (5, 10), NOT: (2, 2),
                                                                          UNKNOWN: (3, 6)}}})
    d = score_unit(unit, scheme_rules([survey], types=ONE_TYPE))
    assert d["components"][0]["exact"] == "260/3" and d["total"] == D("86.67")
    assert any("2600 ÷ Σ（题权重 × 有效票数）30" in line for line in d["components"][0]["formula"])
    assert d["components"][0]["types"][0]["votes"][0]["n"] == 13  # the table shows the votes as cast
    # a questionnaire nobody answered: the survey has no data and the unit is unrated
    assert score_unit(UnitInputs(1, "县财政局", 0), scheme_rules([comp("survey", questionnaires=[2], missing="unrated")],
                                                                types=ONE_TYPE))["total"] is None


def _new_unit(county, name):
    from pingyi.campaigns.models import Participation
    from pingyi.units.models import Unit
    unit = Unit(name=name, short_name=name, category="department", sort_order=999)
    db.session.add(unit)
    db.session.add(Participation(campaign=county, unit=unit, is_key=False))
    db.session.commit()
    return unit


def test_question_weights_are_summed_by_the_database_exactly(county):
    """Two ballots of a new unit (six questions on the dimensions, the overall one weighted 5/2): all 满意, and
    不满意 everywhere but 满意 overall. Weighted 满意 = 6 + 5/2 + 5/2 = 11, 不满意 6 → 1100 ÷ 17 = 64.705…"""
    unit = _new_unit(county, "县测试局")
    main = surveys.questionnaires(county.id)[0]
    public = surveys.respondent_types(county.id)[0]
    sat, _, dis, _ = surveys.options(county.id)
    overall = next(q for q in main.questions if q.dimension_id is None)
    for everywhere in (sat, dis):
        answers = {q.id: (sat if q.id == overall.id else everywhere).id for q in main.questions}
        assert surveys.add_ballot(county, unit, main, public, "november", answers, user("office")) == {}
    listed = [dict(DEFAULTS["survey"], key="s", name="群众满意度", kind="survey", weight="100", missing="",
                   question_weights={str(overall.id): "5/2"})]
    config = dict(services.config_as_dict(services.config_for(county)), components=listed)
    d = services.worked_example(county, config, unit.id)["d"]
    assert d["components"][0]["exact"] == "1100/17" and d["total"] == D("64.71")


def test_each_ballot_scored_then_averaged_by_hand(county):
    """Three ballots entered one by one for 县财政局 (main questionnaire: six questions on the dimensions and one
    overall question, weighted 2): all 满意 → 100; 基本满意 everywhere but 满意 overall → (6 × 80 + 2 × 100) ÷ 8 = 85;
    不了解 everywhere but 不满意 overall → 0 ÷ 2 = 0; a fourth all 不了解 is no valid ballot. Mean: 185 ÷ 3 = 61.666…
    The paper tallies cannot be scored ballot by ballot and are left out."""
    unit = unit_named("县财政局")
    main = surveys.questionnaires(county.id)[0]
    public = surveys.respondent_types(county.id)[0]
    sat, basic, dis, unknown = surveys.options(county.id)
    overall = next(q for q in main.questions if q.dimension_id is None)
    office = user("office")
    for ballot in db.session.scalars(select(Ballot).where(Ballot.unit_id == unit.id, Ballot.campaign_id == county.id)):
        ballot.excluded_as = "test"  # the demo's link and phone answers set aside: only the three below count
    surveys.recount(county)
    db.session.commit()
    for everywhere, at_overall in ((sat, sat), (basic, sat), (unknown, dis), (unknown, unknown)):
        answers = {q.id: (at_overall if q.id == overall.id else everywhere).id for q in main.questions}
        assert surveys.add_ballot(county, unit, main, public, "november", answers, office) == {}
    config = services.config_for(county)
    listed = [dict(DEFAULTS["survey"], key="s", name="群众满意度", kind="survey", weight="100", missing="",
                   mode="ballot", question_weights={str(overall.id): "2"})]
    d = services.worked_example(county, dict(services.config_as_dict(config), components=listed), unit.id)["d"]
    survey = d["components"][0]
    assert survey["exact"] == "185/3" and d["total"] == D("61.67")
    assert survey["types"][0]["ballots"] == 3 and "3 份有效问卷得分之和 185 ÷ 3 = 61.6667…" in survey["formula"][0]


def test_direct_score_out_of_its_maximum_by_hand():
    # 领导评议 18.5 of 20 → 92.5 on the 0–100 scale; with 群众满意度 80 (one type, 90): (80 × 90 + 20 × 92.5) ÷ 100 = 90.5
    leaders = comp("direct", key="leaders", weight="20", max="20")
    survey = comp("survey", weight="80")
    unit = UnitInputs(1, "县公安局", 0, votes={1: {SAT: 9, NOT: 1}}, direct={"leaders": Fraction(37, 2)})
    d = score_unit(unit, scheme_rules([survey, leaders], types=ONE_TYPE))
    assert [c["score"] for c in d["components"]] == [D("90.00"), D("92.50")]
    assert d["total"] == D("90.50")
    assert d["components"][1]["formula"] == ["录入分数 18.5 ÷ 满分 20 × 100 = 92.50"]


@pytest.mark.parametrize("rule, total, reason", [
    ("redistribute", D("90.00"), ""),      # 领导评议 not typed in: 80 × 90 ÷ 80
    ("zero", D("72.00"), ""),              # counted as 0: 80 × 90 ÷ 100
    ("unrated", None, "领导评议无数据（评定办法规定此时不评定）"),
])
def test_no_data_choices_of_a_component(rule, total, reason):
    leaders = comp("direct", key="leaders", name="领导评议", weight="20", max="20", missing=rule)
    unit = UnitInputs(1, "县公安局", 0, votes={1: {SAT: 9, NOT: 1}})
    d = score_unit(unit, scheme_rules([comp("survey", weight="80"), leaders], types=ONE_TYPE))
    assert d["total"] == total and d["unrated_reason"] == reason and d["missing"] == ["领导评议"]


def test_the_scheme_wide_no_data_choice_applies_where_the_component_has_none():
    leaders = comp("direct", key="leaders", weight="20", max="20")  # missing "" → the scheme's rule
    unit = UnitInputs(1, "县公安局", 0, votes={1: {SAT: 9, NOT: 1}})
    d = score_unit(unit, scheme_rules([comp("survey", weight="80"), leaders], types=ONE_TYPE, missing_rule="zero"))
    assert d["total"] == D("72.00")


def test_task_completion_by_hand():
    # 3 on time × 100 + 1 late × 60 + 1 undone × 0 = 360 over 5 tasks = 72
    tasks = comp("tasks")
    d = score_unit(UnitInputs(1, "县教育局", 0, votes={1: {SAT: 1}}, tasks={"on_time": 3, "late": 1, "undone": 1}),
                   scheme_rules([comp("survey", weight="0"), tasks], types=ONE_TYPE))
    assert d["components"][1]["score"] == D("72.00")
    assert d["components"][1]["formula"] == ["（按时完成 3 项 × 100 + 逾期完成 1 项 × 60 + 逾期未完成 1 项 × 0）÷ 5 项 = 72.00"]


@pytest.mark.parametrize("params, score", [
    ({"mode": "ratio"}, D("25.00")),                                           # 1 fulfilled of 4 due
    ({"mode": "deduct", "per_overdue": "10", "per_failed": "20"}, D("60.00")),  # 100 − (2 × 10 + 1 × 20)
    ({"mode": "deduct", "per_overdue": "10", "per_failed": "20", "cap": "30"}, D("70.00")),  # capped at 30
])
def test_rectification_ratio_or_deductions_by_hand(params, score):
    unit = UnitInputs(1, "县教育局", 0, fulfilled=1, due=4, failed=1)
    d = score_unit(unit, scheme_rules([comp("rectification", **params)], types=ONE_TYPE))
    assert d["components"][0]["score"] == score


def test_one_late_item_costs_a_proportion_not_everything():
    unit = UnitInputs(1, "县统计局", 0, fulfilled=0, due=1)
    deduct = comp("rectification", mode="deduct", per_overdue="10")
    assert score_unit(unit, scheme_rules([deduct], types=ONE_TYPE))["components"][0]["score"] == D("90.00")


def test_the_legacy_fields_and_their_migrated_components_score_the_same():
    unit = UnitInputs(1, "县公安局", 0, votes={1: {SAT: 30, BASIC: 10, NOT: 5}, 2: {SAT: 8, BASIC: 2}},
                      ratings={"meets": 15, "basic": 2, "problem": 1}, findings={"minor": 2, "major": 1},
                      fulfilled=3, due=4)
    plain = rules()
    fields = {"weight_satisfaction": 60.0, "weight_checklist": 25.0, "weight_rectification": 15.0,
              "checklist_meets": 100.0, "checklist_basic": 80.0, "checklist_problem": 0.0, "deduct_minor": 0.5,
              "deduct_major": 1.0, "deduct_severe": 3.0, "deduct_cap": 4.0}
    migrated = rules(components=[exact_component(c) for c in components.legacy(fields.get)])
    assert score_unit(unit, plain) == score_unit(unit, migrated)


CONTEXT = {"types": {1: "服务对象"}, "options": {1: "满意"}, "questionnaires": {5: "测评表"}, "questions": [50, 51],
           "dimensions": {7: "服务质量"}, "items": [70]}


def _form(rows):
    data = MultiDict()
    for n, row in enumerate(rows):
        for k, v in row.items():
            data.add(f"comp-{n}-{k}", v)
    return data


def test_weights_must_sum_to_100_with_the_message_beside_the_fields():
    rows = [{"name": "群众满意度", "kind": "survey", "weight": "60", "mode": "pooled"},
            {"name": "检查考核", "kind": "checklist", "weight": "20", "meets": "100", "basic": "80", "problem": "0"},
            {"name": "领导评议", "kind": "direct", "weight": "15", "max": "20"},
            {"name": "问题扣分", "kind": "findings", "weight": "", "minor": "0.5", "major": "1", "severe": "3", "cap": "10"}]
    _, clean, errors = parse_form(_form(rows), CONTEXT)
    assert errors == {"components": "各评分项的权重之和应为 100，现为 95（60 + 20 + 15）"}
    rows[2]["weight"] = "20"
    _, clean, errors = parse_form(_form(rows), CONTEXT)
    assert errors == {} and [c["key"] for c in clean] == ["c1", "c2", "c3", "c4"]
    rows[1]["weight"] = "二十"
    rows[2]["max"] = "0"
    _, _, errors = parse_form(_form(rows), CONTEXT)
    assert errors["comp-1-weight"].startswith("“检查考核”的权重应为数字") and errors["comp-2"] == "满分应大于 0"
    rows[1]["weight"] = "120"
    assert parse_form(_form(rows), CONTEXT)[2]["comp-1-weight"] == "“检查考核”的权重应在 0 至 100 之间（含 0 和 100）"


def test_scheme_checks_names_and_a_single_findings_component():
    findings = {"kind": "findings", "minor": "0.5", "major": "1", "severe": "3", "cap": "10"}
    rows = [{"name": "群众满意度", "kind": "survey", "weight": "100", "mode": "pooled"},
            dict(findings, name="问题扣分"), dict(findings, name="暗访扣分")]
    assert parse_form(_form(rows), CONTEXT)[2] == {"components": "问题扣分只能设一项"}
    rows[2] = {"name": "群众满意度", "kind": "direct", "weight": "0", "max": "20"}
    assert parse_form(_form(rows), CONTEXT)[2] == {"components": "评分项的名称不能重复"}
    rows = [{"name": "群众满意度", "kind": "survey", "weight": "100", "mode": "pooled", "tw-1": "x", "op-1": "不计"}]
    typed, clean, errors = parse_form(_form(rows), CONTEXT)
    assert errors == {"comp-0": "“服务对象”的权重应为数字（如 83.5，或分数 250/3），请用半角数字"}
    assert typed[0]["option_points"] == {"满意": "不计"}


def test_direct_scores_are_checked_against_the_maximum_and_audited(county, office_client):
    police, education = unit_named("县公安局"), unit_named("县教育局")
    page = office_client.get("/results/direct/leaders")
    assert page.status_code == 200 and "满分 20" in page.text
    form = {f"unit-{uid}": "" for uid, _ in direct.participating_units(county)}
    form.update({f"unit-{police.id}": "20.5", f"unit-{education.id}": "15"})
    response = office_client.post("/results/direct/leaders", data=form)
    assert response.status_code == 400 and "应在 0 至 20 之间（满分 20）" in response.text
    assert direct.values(county, "leaders")[education.id] != Fraction(15)  # nothing saved
    form[f"unit-{police.id}"] = "37/2"
    before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    assert office_client.post("/results/direct/leaders", data=form).status_code == 302
    values = direct.values(county, "leaders")
    assert values[police.id] == Fraction(37, 2) and values[education.id] == 15 and len(values) == 2  # blanks removed
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) > before
    explained = office_client.get(f"/results/units/{police.id}").text
    assert "录入分数 18.5 ÷ 满分 20 × 100 = 92.50" in explained


def test_direct_score_import_lists_every_bad_row_and_imports_nothing(county, office_client):
    config = services.config_for(county)
    comp_ = direct.component(config, "leaders")
    before = direct.values(county, "leaders")
    bad = "单位名称,分数\n县公安局,19\n县不存在局,18\n县公安局,17\n县教育局,21\n县财政局,好\n"
    with pytest.raises(ImportRefused) as refused:
        direct.import_values(county, comp_, "leaders.csv", bad.encode("utf-8"), user("office"))
    assert refused.value.problems == [(3, "单位名称", "“县不存在局”不是本年度的评议对象"),
                                      (4, "单位名称", "“县公安局”与第 2 行重复"),
                                      (5, "分数", "应在 0 至 20 之间（满分 20）"),
                                      (6, "分数", "“好”不是数字（可填小数或分数，请用半角数字）")]
    db.session.rollback()
    assert direct.values(county, "leaders") == before
    response = office_client.post("/results/direct/leaders/import",
                                  data={"file": (io.BytesIO(bad.encode("gb18030")), "leaders.csv")})
    assert response.status_code == 400 and "未导入任何分数" in response.text and "第 5 行" in response.text
    good = "单位名称,领导评议\n县公安局 ,19\n县教育局,16.5\n"  # a stray space still names the unit
    response = office_client.post("/results/direct/leaders/import",
                                  data={"file": (io.BytesIO(good.encode("utf-8")), "leaders.csv")})
    assert response.status_code == 302
    after = direct.values(county, "leaders")
    assert after[unit_named("县公安局").id] == 19 and after[unit_named("县教育局").id] == Fraction(33, 2)
    assert len(after) == len(before)  # units not in the file keep their values
    template = office_client.get("/results/direct/leaders/template.xlsx")
    assert template.status_code == 200 and template.mimetype.endswith("sheet")


def test_a_ready_scheme_is_a_preview_until_saved(county, office_client):
    config = services.config_for(county)
    stored_before = config.components_json
    page = office_client.get("/results/settings?scheme=satisfaction").text
    assert "已载入“只按满意度测评" in page and "尚未保存" in page
    assert 'value="群众满意度"' in page and 'name="comp-1-name" value=""' in page  # one component, then the blank row
    police = unit_named("县公安局")
    live = services.compute(county)["details"][police.id]
    preview = dict(services.config_as_dict(config), components=ready("satisfaction")[2])
    example = services.worked_example(county, preview, police.id)["d"]
    assert example["total"] == example["components"][0]["score"] != live["total"]
    db.session.expire_all()
    assert services.config_for(county).components_json == stored_before  # loading saved nothing
    assert "已载入“群众满意度 60 + 检查考核 20" in office_client.get("/results/settings?scheme=multi").text
    assert "已载入“本县评议方案" in office_client.get("/results/settings?scheme=plan").text


def test_saving_a_loaded_scheme_stores_its_components(county, office_client):
    from tests.results.test_results import settings_keys
    config = services.config_for(county)
    data = {k: exact_text(getattr(config, k)) for k in settings_keys()}
    data.update(component_fields(ready("multi")[2], county))
    data.update(**return_fields(), veto_severity="severe", veto_grade="基本满意", version=config.version,
                top_text="", bottom_text="", missing_rule="redistribute")
    for n, g in enumerate(config.grades):
        data.update({f"grade-{n}-name": g["name"], f"grade-{n}-min": g["min"] or "", f"grade-{n}-inclusive": "y"})
    for n, g in enumerate(config.groups):
        data.update({f"group-{n}-name": g["name"], f"group-{n}-categories": g["categories"], f"group-{n}-key": g["key"],
                     f"group-{n}-published": "y", **quota_fields(n)})
    data["comp-0-weight"] = "65"  # edited after loading: the sum is checked
    response = office_client.post("/results/settings", data=data)
    assert response.status_code == 400 and "各评分项的权重之和应为 100，现为 105" in response.text
    data["comp-1-weight"] = "15"
    assert office_client.post("/results/settings", data=data).status_code == 302
    db.session.expire_all()
    saved = json.loads(services.config_for(county).components_json)
    assert [(c["name"], c["weight"]) for c in saved] == [("群众满意度", "65"), ("检查考核", "15"), ("整改落实", "20"),
                                                         ("问题扣分", "0")]
    assert saved[2]["mode"] == "deduct"


def test_demo_ranking_can_be_defended(county):
    """No unit that was never inspected and has no liaison is among the first three of its group; the demo's
    rectification is proportionate (no unit at 0 for one late item); every unit has a 领导评议 value."""
    from pingyi.findings.models import Inspection
    data = services.compute(county)
    inspected = set(db.session.scalars(select(Inspection.unit_id).where(Inspection.campaign_id == county.id)))
    units = {u.id: u for u in direct.participating_units(county)}
    assert len(direct.values(county, "leaders")) == len(units)
    for group, ranked, _ in services.ranking(data["details"], data["groups"]):
        for d in ranked[:3]:
            unit = unit_named(d["unit"])
            assert unit.contact_name or d["unit_id"] in inspected, d["unit"]
    rect = [c["score"] for d in data["details"].values() for c in d["components"] if c["key"] == "rectification"]
    assert min(rect) > 0 and sorted(set(rect))[:2] != [D("0.00")]
    survey = next(c for c in components.stored(services.config_for(county)) if c["kind"] == "survey")
    assert "2" in survey["question_weights"].values()  # one weighted questionnaire


def test_checklist_with_item_and_dimension_weights_by_hand():
    # dimension 1 (weight 3): item 11 weight 2 rated 符合要求 ×2 (100), item 12 rated 存在问题 ×1 (0)
    #   → (2 × 2 × 100 + 1 × 0) ÷ (2 × 2 + 1) = 400 ÷ 5 = 80
    # dimension 2 (weight 1): item 21 rated 基本符合 ×1 (80) → 80 ÷ 1... then 90 with 符合要求 ×1: 180 ÷ 2 = 90
    # score = (3 × 80 + 1 × 90) ÷ 4 = 82.5; with item weights only: (400 + 180) ÷ (5 + 2) = 82.857…
    unit = UnitInputs(1, "县公安局", 0, item_ratings={11: {"meets": 2}, 12: {"problem": 1},
                                                      21: {"basic": 1, "meets": 1, "na": 1}})
    structure = {"items": {11: 1, 12: 1, 21: 2}, "dimensions": {1: "服务质量", 2: "依法行政"}, "types": ONE_TYPE}
    both = comp("checklist", item_weights={"11": "2"}, dimension_weights={"1": "3", "2": "1"})
    d = score_unit(unit, scheme_rules([both], **structure))
    assert d["components"][0]["exact"] == "82.5"
    assert d["components"][0]["formula"][-1] == "Σ（方面权重 × 方面得分）330 ÷ 4 = 82.50"
    items_only = comp("checklist", item_weights={"11": "2"})
    assert score_unit(unit, scheme_rules([items_only], **structure))["components"][0]["exact"] == "580/7"


def test_a_new_year_carries_the_components_over(county):
    from pingyi.years import lifecycle
    config = services.config_for(county)
    old = {c["key"]: c for c in components.stored(config)}
    main = surveys.questionnaires(county.id)[0]
    overall = next(q for q in main.questions if q.dimension_id is None)
    assert old["satisfaction"]["question_weights"] == {str(overall.id): "2"}
    county.status = "closed"
    db.session.commit()
    following = lifecycle.start_campaign(county.year + 1, county)
    db.session.commit()
    new = {c["key"]: c for c in components.stored(services.config_for(following))}
    new_main = surveys.questionnaires(following.id)[0]
    new_overall = next(q for q in new_main.questions if q.dimension_id is None)
    assert list(new) == list(old) and new["leaders"]["max"] == "20"
    assert new["satisfaction"]["questionnaires"] == [new_main.id]
    assert new["satisfaction"]["question_weights"] == {str(new_overall.id): "2"}


def test_five_components_take_the_same_number_of_queries_as_units_grow(county):
    from sqlalchemy import event
    import sys
    sys.path.insert(0, "scripts")
    from bench import five_components
    listed, _ = five_components(county.id)
    config = services.config_for(county)
    config.components_json = json.dumps(listed, ensure_ascii=False)
    db.session.commit()

    def count():
        db.session.expire_all()
        statements = []
        listener = lambda *args: statements.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        data = services.compute(county)
        event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements), len(data["details"])

    first, units = count()
    main = surveys.questionnaires(county.id)[0]
    public = surveys.respondent_types(county.id)[0]
    sat = surveys.options(county.id)[0]
    comp_ = next(c for c in listed if c["kind"] == "direct")
    for n in range(3):
        unit = _new_unit(county, f"县新增局{n}")
        surveys.add_ballot(county, unit, main, public, "november", {q.id: sat.id for q in main.questions}, user("office"))
        direct.save_values(county, comp_, {unit.id: Fraction(18)}, user("office"))
    again, more = count()
    assert more == units + 3 and again == first
