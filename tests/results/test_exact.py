"""Exact arithmetic and thresholds in words, against values worked out by hand (and values where binary
floats go wrong)."""
from decimal import Decimal as D
from fractions import Fraction as F

import pytest

from pingyi.exact import exact_text, half_up, parse_exact, read_number, show2, show_exact
from pingyi.results.scoring import (
    UnitInputs,
    at_least_words,
    boundary_words,
    competition_ranks,
    evaluate,
    grade_for,
    grade_words,
    score_unit,
)
from pingyi.results import quotas
from tests.results.test_scoring import SAT, rules

GRADES = [{"name": "优秀", "min": "90", "inclusive": True}, {"name": "良好", "min": "80", "inclusive": False},
          {"name": "一般", "min": "75", "inclusive": True}, {"name": "较差", "min": None, "inclusive": True}]


def test_a_sum_of_tenths_is_exact():
    # as floats 0.1 added ten times is 0.9999999999999999, below the line of 1
    assert sum([0.1] * 10) != 1
    assert sum([parse_exact("0.1")] * 10) == 1
    assert grade_for(sum([parse_exact("0.1")] * 10) * 75, GRADES) == "一般"  # exactly 75, 以上 includes it


def test_64_70_minus_1_005_is_63_695_and_shows_63_70():
    # by hand 63.695 → 63.70 (half up); a float route goes wrong on the same kind of value: 1.005 is stored
    # as 1.00499999999999989… and "%.2f" shows 1.00
    assert "%.2f" % 1.005 == "1.00" and "%.2f" % 2.675 == "2.67"
    value = parse_exact("64.70") - parse_exact("1.005")
    assert value == F(63695, 1000) and exact_text(value) == "63.695"
    assert half_up(value) == D("63.70") and show2(value) == "63.70"


@pytest.mark.parametrize("value, shown", [("2.675", "2.68"), ("1.005", "1.01"), ("0.125", "0.13"), ("74.995", "75.00"),
                                          ("-1.005", "-1.01"), ("89.994", "89.99"), ("250/3", "83.33")])
def test_display_rounds_half_up(value, shown):
    assert show2(parse_exact(value)) == shown


def test_a_value_typed_once_is_stored_and_shown_the_same():
    for typed in ("83.333", "83.3333", "250/3", "0.5", "90", "83.33333333333333"):
        assert exact_text(parse_exact(typed)) == typed
    assert exact_text(parse_exact("80.0")) == "80" and exact_text(parse_exact("0.50")) == "0.5"
    assert exact_text(parse_exact("500/6")) == "250/3" and exact_text(parse_exact("3/4")) == "0.75"
    assert exact_text(83.3333) == "83.3333"  # an old float column value keeps what was typed
    assert show_exact(parse_exact("250/3")) == "83.3333…" and show_exact(parse_exact("74.996")) == "74.996"


@pytest.mark.parametrize("typed", ["", "abc", "１００", "1e3", "inf", "nan", "1/0", "²", "1,5", "0x10"])
def test_numbers_that_are_refused(typed):
    value, message = read_number(typed, "权重", 0, 100)
    assert value is None and message.startswith(("请填写", "权重应为数字"))


def test_range_is_inclusive_both_ends():
    assert read_number("100", "权重", 0, 100) == (100, None)
    assert read_number("0", "权重", 0, 100) == (0, None)
    assert read_number("100.001", "权重", 0, 100)[1] == "权重应在 0 至 100 之间（含 0 和 100）"


@pytest.mark.parametrize("total, grade", [
    ("90", "优秀"),        # 以上: on the line is in
    ("89.999", "良好"),
    ("80.001", "良好"),
    ("80", "一般"),        # 高于 80: exactly 80 is not 良好
    ("75", "一般"),        # 以上 75: on the line is in
    ("74.999", "较差"),
    ("74.996", "较差"),    # rounded it would show 75.00, but the grade uses the exact value
])
def test_grades_on_the_exact_total(total, grade):
    assert grade_for(parse_exact(total), GRADES) == grade


def test_a_total_of_74_996_is_graded_exactly_and_shown_rounded():
    # one respondent type, options 100 / 74.996 points: 1 ballot at 74.996 → 74.996, shown 75.00, graded below 75
    r = rules(options={SAT: {"label": "满意", "score": parse_exact("74.996"), "valid": True}},
              types={1: {"name": "群众", "weight": F(1)}}, weights={"satisfaction": F(100), "checklist": F(0),
                                                                  "rectification": F(0)}, grades=GRADES)
    d = score_unit(UnitInputs(1, "甲", 0, votes={1: {SAT: 1}}), r)
    assert d["total"] == D("75.00") and d["exact"]["total"] == "74.996" and d["grade"] == "较差"


def test_89_99_and_89_991_do_not_tie():
    assert competition_ranks({"a": parse_exact("89.99"), "b": parse_exact("89.991"), "c": parse_exact("89.99")}) == \
        {"b": 1, "a": 2, "c": 2}


def test_ranks_in_a_group_use_exact_totals():
    # 甲: 2 of 3 ballots 满意 → 200/3 = 66.666…; 乙: 66.67 exactly (one ballot at 66.67 points). Both show 66.67.
    r = rules(options={SAT: {"label": "满意", "score": F(100), "valid": True},
                       2: {"label": "不满意", "score": F(0), "valid": True},
                       3: {"label": "较满意", "score": parse_exact("66.67"), "valid": True}},
              types={1: {"name": "群众", "weight": F(1)}},
              weights={"satisfaction": F(1), "checklist": F(0), "rectification": F(0)})
    details = evaluate([UnitInputs(1, "甲", 0, votes={1: {SAT: 2, 2: 1}}), UnitInputs(2, "乙", 0, votes={1: {3: 1}})], r)
    assert details[1]["total"] == details[2]["total"] == D("66.67")
    assert (details[2]["rank"], details[1]["rank"]) == (1, 2)


def test_top_minimum_score_inclusive_or_exclusive_on_the_line():
    totals = {"a": F(90), "b": F(85)}
    ranks = competition_ranks(totals)
    q = dict(quotas.DEFAULT_QUOTA, top_count=1, top_share="50", top_min="90", min_size=1)
    assert quotas.named(ranks, totals, set(), q)[0] == {"a"}
    assert quotas.named(ranks, totals, set(), dict(q, top_inclusive=False))[0] == set()


def test_thresholds_in_words():
    assert grade_words(GRADES) == [
        ("优秀", "90 分以上（含 90 分）"),
        ("良好", "高于 80 分（不含 80 分）、低于 90 分"),
        ("一般", "75 分以上（含 75 分）、80 分以下（含 80 分）"),
        ("较差", "低于 75 分"),
    ]
    assert at_least_words(parse_exact("92.5"), False) == "高于 92.5 分（不含 92.5 分）"
    words = boundary_words({"grades": GRADES, "groups": [{"name": "县直", "quota": dict(
        quotas.DEFAULT_QUOTA, top_inclusive=False)}]})
    assert "综合得分须高于 90 分（不含 90 分）" in words["quotas"][0][1]


@pytest.mark.parametrize("rule, total, grade", [
    # satisfaction 90 (weight 60), no checklist ratings (weight 25), rectification 100 (weight 15)
    ("redistribute", "92", "优秀"),      # (60×90 + 15×100) ÷ 75 = 92
    ("zero", "69", "较差"),              # (60×90 + 25×0 + 15×100) ÷ 100 = 69
    ("unrated", None, "未评定"),
])
def test_a_component_without_data_follows_the_scheme_s_choice(rule, total, grade):
    r = rules(options={SAT: {"label": "满意", "score": F(90), "valid": True}}, types={1: {"name": "群众", "weight": F(1)}},
              weights={"satisfaction": F(60), "checklist": F(25), "rectification": F(15)}, grades=GRADES,
              missing_rule=rule)
    d = score_unit(UnitInputs(1, "甲", 0, votes={1: {SAT: 4}}), r)
    assert d["grade"] == grade and d["missing"] == ["评议组检查评价"]
    assert (d["exact"]["total"] if total else d["total"]) == total
    if rule == "unrated":
        assert "评议组检查评价无数据" in d["unrated_reason"]
        assert evaluate([UnitInputs(1, "甲", 0, votes={1: {SAT: 4}})], r)[1]["rank"] is None
