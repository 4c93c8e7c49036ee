"""The combined evaluation's formulas against figures worked out by hand."""
from decimal import Decimal as D

import pytest

from pingyi.results import quotas
from pingyi.results.scoring import (
    Rules,
    UnitInputs,
    competition_ranks,
    evaluate,
    grade_for,
    round2,
    satisfaction,
    score_unit,
)

SAT, BASIC, NOT, UNKNOWN = 1, 2, 3, 4
GRADES = [{"name": "满意", "min": 90, "inclusive": True}, {"name": "比较满意", "min": 80, "inclusive": False},
          {"name": "基本满意", "min": 60, "inclusive": True}, {"name": "不满意", "min": None, "inclusive": True}]


def rules(basic=80.0, **overrides):
    values = dict(
        options={SAT: {"label": "满意", "score": 100.0, "valid": True},
                 BASIC: {"label": "基本满意", "score": basic, "valid": True},
                 NOT: {"label": "不满意", "score": 0.0, "valid": True},
                 UNKNOWN: {"label": "不了解", "score": 0.0, "valid": False}},
        types={1: {"name": "服务对象", "weight": 40.0}, 2: {"name": "义务监督员", "weight": 30.0},
               3: {"name": "人大代表", "weight": 20.0}, 4: {"name": "机关内部", "weight": 10.0}},
        weights={"satisfaction": 60.0, "checklist": 25.0, "rectification": 15.0},
        checklist_points={"meets": 100.0, "basic": 80.0, "problem": 0.0},
        deductions={"minor": 0.5, "major": 1.0, "severe": 3.0}, deduct_cap=4.0,
        veto_severity="severe", veto_dimensions=set(), veto_grade="基本满意",
        grades=GRADES, groups=[{"name": "县直部门", "scope": "general", "published": True}])
    values.update(overrides)
    return Rules(**values)


VOTES = {1: {SAT: 30, BASIC: 10, NOT: 5, UNKNOWN: 5}, 2: {SAT: 8, BASIC: 2}, 4: {SAT: 1, NOT: 1}}


def test_weighted_satisfaction_rate_by_hand():
    # type 1: (30×100 + 10×80) ÷ 45 valid = 84.444…; type 2: (800 + 160) ÷ 10 = 96; type 3 has no votes
    # and drops out; type 4: 100 ÷ 2 = 50.  (40×84.444 + 30×96 + 10×50) ÷ (40 + 30 + 10) = 84.4722…
    score, lines = satisfaction(VOTES, {1: 50, 2: 10, 4: 2}, rules())
    assert round2(score) == D("84.47")
    assert [line["rate"] for line in lines] == [D("84.44"), D("96.00"), None, D("50.00")]
    assert lines[0]["valid"] == 45 and lines[0]["total"] == 50


def test_basic_satisfied_worth_70_in_another_county():
    # type 1: 3700 ÷ 45 = 82.222; type 2: 940 ÷ 10 = 94; type 4: 50 → 6608.89 ÷ 80 = 82.61
    score, _ = satisfaction(VOTES, {}, rules(basic=70.0))
    assert round2(score) == D("82.61")


def test_components_and_deductions_by_hand():
    unit = UnitInputs(1, "县公安局", 0, votes=VOTES, ratings={"meets": 15, "basic": 2, "problem": 1, "na": 3},
                      findings={"minor": 2, "major": 1}, fulfilled=3, due=4)
    d = score_unit(unit, rules())
    # checklist: (15×100 + 2×80 + 0) ÷ 18 = 92.222…; rectification 3 ÷ 4 = 75
    assert [c["score"] for c in d["components"]] == [D("84.47"), D("92.22"), D("75.00")]
    # base = (60×84.4722 + 25×92.2222 + 15×75) ÷ 100 = 50.6833 + 23.0556 + 11.25 = 84.9889 → 84.99
    assert d["base"] == D("84.99")
    # deductions 2×0.5 + 1×1 = 2 (below the cap of 4): 84.9889 − 2 = 82.9889 → 82.99
    assert d["deduction"] == D("2.00") and d["total"] == D("82.99") and d["grade"] == "比较满意"


def test_deductions_are_capped():
    unit = UnitInputs(1, "县公安局", 0, votes={1: {SAT: 10}}, findings={"minor": 4, "major": 3, "severe": 0})
    d = score_unit(unit, rules())
    # 4×0.5 + 3×1 = 5 > cap 4; base = (60×100 + 15×100) ÷ 75 = 100 (no checklist ratings: its weight drops out)
    assert d["deduction_raw"] == D("5.00") and d["deduction"] == D("4.00")
    assert d["base"] == D("100.00") and d["total"] == D("96.00") and d["weight_used"] == "75"


@pytest.mark.parametrize("total, grade", [(90.0, "满意"), (89.99, "比较满意"), (80.01, "比较满意"),
                                          (80.0, "基本满意"), (60.0, "基本满意"), (59.99, "不满意"), (0.0, "不满意")])
def test_grade_boundaries_exactly_on_a_threshold(total, grade):
    # 90 and 60 are inclusive boundaries, 80 is not: exactly 80 is not yet 比较满意
    assert grade_for(total, GRADES) == grade


def test_ties_share_a_rank_and_the_next_is_skipped():
    assert competition_ranks({"a": 90.0, "b": 95.0, "c": 90.0, "d": 80.0}) == {"b": 1, "a": 2, "c": 2, "d": 4}


def test_unit_without_ballots_is_not_rated_nor_ranked():
    units = [UnitInputs(1, "甲", 0, votes={1: {SAT: 10}}), UnitInputs(2, "乙", 0, votes={1: {UNKNOWN: 7}}),
             UnitInputs(3, "丙", 0)]
    details = evaluate(units, rules(groups=[{"name": "县直部门", "scope": "general", "published": True,
                                            "quota": dict(quotas.DEFAULT_QUOTA, bottom_count=None)}]))
    assert details[1]["rank"] == 1 and details[1]["group_size"] == 1
    for uid in (2, 3):  # only 不了解, or nothing at all
        assert details[uid]["total"] is None and details[uid]["grade"] == "未评定" and details[uid]["rank"] is None


def test_veto_caps_the_grade():
    unit = UnitInputs(1, "甲", 0, votes={1: {SAT: 10}}, findings={"severe": 1},
                      veto_findings=["窗口工作人员索要好处费"])
    d = score_unit(unit, rules())
    assert d["total"] == D("97.00") and d["grade_before_veto"] == "满意" and d["grade"] == "基本满意"
    low = score_unit(UnitInputs(2, "乙", 0, votes={1: {NOT: 10}}, veto_findings=["x"]), rules())
    assert low["grade"] == "不满意"  # a cap never raises a grade


def test_top_share_cap_min_score_and_ties():
    q = dict(quotas.DEFAULT_QUOTA, top_count=3, top_share="30", top_min="90")
    totals = {i: t for i, t in enumerate([98, 95, 93, 93, 91, 88, 85, 80, 70, 60])}
    ranks = competition_ranks(totals)
    # 30 % of 10 = 3, but places 3 and 4 are tied: both or neither, so only two are named
    assert quotas.named(ranks, totals, set(), q)[0] == {0, 1}
    assert quotas.named(ranks, totals, {1}, q)[0] == {0, 2, 3}  # a vetoed unit is passed over
    assert quotas.named(ranks, totals, set(), dict(q, top_min="96"))[0] == {0}
    totals[9] = 70  # tie for last place: both are named 末位
    assert quotas.named(competition_ranks(totals), totals, set(), q)[1] == {8, 9}


def test_groups_are_ranked_separately():
    no_bottom = dict(quotas.DEFAULT_QUOTA, bottom_count=None)
    r = rules(groups=[{"name": "县直", "scope": "general", "published": True, "quota": no_bottom},
                      {"name": "驻县", "scope": "stationed", "published": True, "quota": no_bottom}])
    units = [UnitInputs(1, "甲", 0, votes={1: {SAT: 9, NOT: 1}}), UnitInputs(2, "乙", 1, votes={1: {SAT: 5, NOT: 5}}),
             UnitInputs(3, "丙", 1, votes={1: {SAT: 10}})]
    details = evaluate(units, r)
    assert (details[1]["rank"], details[2]["rank"], details[3]["rank"]) == (1, 2, 1)
