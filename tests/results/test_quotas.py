"""先进 and 末位 per ranking group, against figures worked out by hand."""
from fractions import Fraction as F

import pytest

from pingyi.results import quotas
from pingyi.results.scoring import UnitInputs, competition_ranks, evaluate
from tests.results.test_scoring import NOT, SAT, rules

Q = quotas.DEFAULT_QUOTA


def named(totals, vetoed=(), **quota):
    return quotas.named(competition_ranks(totals), totals, set(vetoed), dict(Q, **quota))


# Eight units; places 2–3 tied on 95 and places 7–8 tied on 70.
EIGHT = {"a": 98, "b": 95, "c": 95, "d": 90, "e": 88, "f": 80, "g": 70, "h": 70}


def test_top_ties_together_or_none():
    # 先进 at most 2: a, then b and c tie for place 2. "none": neither is named, only a. "together": both, 3 in all.
    assert named(EIGHT, top_count=2, top_share=None, top_ties="none")[0] == {"a"}
    assert named(EIGHT, top_count=2, top_share=None, top_ties="together")[0] == {"a", "b", "c"}


def test_bottom_ties_together_or_none():
    # 末位 1: g and h tie for the last place. "together": both; "none": nobody.
    assert named(EIGHT, bottom_count=1, bottom_ties="together")[1] == {"g", "h"}
    assert named(EIGHT, bottom_count=1, bottom_ties="none")[1] == set()
    # 末位 3 with "none": g, h (2), then f (3) fits exactly
    assert named(EIGHT, bottom_count=3, bottom_ties="none")[1] == {"f", "g", "h"}


def test_a_share_of_the_group_rounds_down():
    # 25 % of 8 = 2 → a plus the b/c tie would be 3: not named with "none"; 12.5 % of 8 = 1 → a
    assert named(EIGHT, top_count=None, top_share="25", top_ties="none")[0] == {"a"}
    assert named(EIGHT, top_count=None, top_share="12.5")[0] == {"a"}
    # count and share both given: the smaller one (count 5, 50 % = 4) → a, b, c, d
    assert named(EIGHT, top_count=5, top_share="50", top_min=None)[0] == {"a", "b", "c", "d"}


@pytest.mark.parametrize("inclusive, expected", [(True, {"a", "b", "c", "d"}), (False, {"a", "b", "c"})])
def test_top_score_line_exactly_on_the_line(inclusive, expected):
    # d has exactly 90: 90 分以上 (inclusive) names it, 高于 90 分 does not
    assert named(EIGHT, top_count=4, top_share=None, top_min="90", top_inclusive=inclusive)[0] == expected


@pytest.mark.parametrize("inclusive, expected", [(True, {"f", "g", "h"}), (False, {"g", "h"})])
def test_bottom_score_line_exactly_on_the_line(inclusive, expected):
    # 末位 at most 3 and only 80 分以下 (inclusive: f with exactly 80 is in) or 低于 80 分 (f is not)
    assert named(EIGHT, bottom_count=3, bottom_max="80", bottom_inclusive=inclusive)[1] == expected


def test_a_vetoed_unit_is_never_top_and_the_next_one_moves_up():
    assert named(EIGHT, top_count=1, top_share=None, vetoed={"a"})[0] == set()  # b and c tie for the one place
    assert named(EIGHT, top_count=3, top_share=None, vetoed={"a"})[0] == {"b", "c", "d"}


def test_a_group_smaller_than_the_minimum_names_nobody():
    assert named({"a": 99}, min_size=2) == (set(), set())
    assert named({"a": 99, "b": 60}, min_size=2, top_count=1, top_share=None) == ({"a"}, {"b"})


def test_a_rule_naming_a_unit_both_top_and_bottom_is_refused():
    # 先进 2 and 末位 2 from groups of 3: three units cannot hold four names
    message = quotas.refusals(dict(Q, min_size=3, top_count=2, top_share=None, top_min=None, bottom_count=2), 10)
    assert "有 3 个单位排名时，先进 2 个、末位 2 个" in message and "既是先进又是末位" in message
    # from 4 ranked units on it fits
    assert quotas.refusals(dict(Q, min_size=4, top_count=2, top_share=None, top_min=None, bottom_count=2), 10) is None
    # score lines that keep the two apart (先进 90 以上, 末位低于 60) make any size safe
    assert quotas.refusals(dict(Q, min_size=3, top_count=2, top_share=None, top_min="90", bottom_count=2,
                                bottom_max="60", bottom_inclusive=False), 10) is None
    # …but not when the lines meet: 先进 60 以上 and 末位 60 以下 both take exactly 60
    assert quotas.refusals(dict(Q, min_size=3, top_count=2, top_share=None, top_min="60", bottom_count=2,
                                bottom_max="60"), 10) is not None
    # shares over 100 % together meet once the group is large enough
    assert "合计超过 100%" in quotas.refusals(dict(Q, top_count=None, top_share="60", top_min=None,
                                                  bottom_count=None, bottom_share="50"), 10)


def test_a_rule_making_a_small_group_all_bottom_is_refused():
    # 末位 1 in a group of 1 is the whole group: refused, unless 末位 needs at least 2 ranked units
    message = quotas.refusals(dict(Q, min_size=1, bottom_count=1), 10)
    assert "只有 1 个单位排名时，末位 1 个即本组全部单位都是末位" in message
    assert quotas.refusals(dict(Q, min_size=2, bottom_count=1), 10) is None
    assert quotas.refusals(dict(Q, min_size=2, bottom_count=2), 10) is not None  # 2 of 2


def test_ties_in_the_data_are_refused_when_they_name_both_or_everyone():
    # Two units tie with the same votes: 先进 1 together and 末位 1 together name both of them both.
    both = dict(Q, min_size=2, top_count=1, top_share=None, top_min=None, top_ties="together", bottom_count=1,
                bottom_ties="together")
    groups = [{"name": "县直", "categories": [], "key": "include", "published": True, "quota": both}]
    units = [UnitInputs(1, "甲", 0, votes={1: {SAT: 9, NOT: 1}}), UnitInputs(2, "乙", 0, votes={1: {SAT: 9, NOT: 1}})]
    details = evaluate(units, rules(groups=groups))
    assert details[1]["both_marks"] and details[1]["mark"] == "top"  # 先进 wins on screen, but it is refused:
    assert "同时被评为先进和末位" in quotas.data_refusals(groups, details)[0]
    only_bottom = dict(both, top_count=None)
    groups[0]["quota"] = only_bottom
    details = evaluate(units, rules(groups=groups))
    assert "全部被评为末位" in quotas.data_refusals(groups, details)[0]
    groups[0]["quota"] = dict(only_bottom, bottom_ties="none")
    assert quotas.data_refusals(groups, evaluate(units, rules(groups=groups))) == {}


def test_quota_in_words():
    top, bottom, condition = quotas.words(dict(Q, top_inclusive=False, bottom_max="60", bottom_inclusive=False))
    assert top == ("先进最多 3 个，且不超过本组排名单位数的 30%（向下取整），综合得分须高于 90 分（不含 90 分），"
                   "被一票否决的不评；名额边界上同分并列的都不评定（不超出名额）")
    assert bottom == "末位按名次从后往前最多 1 个，综合得分须低于 60 分（不含 60 分）；名额边界上同分并列的一并评定（可超出名额）"
    assert condition == "本组排名单位不少于 2 个时才评定先进和末位"
    assert quotas.words(dict(Q, top_count=None, top_share=None))[0] == "不评先进"


def test_migrated_quota_keeps_the_old_marks():
    quota = quotas.migrated(3, "30", "90", True, 1)
    assert quota["min_size"] == 2 and quota["top_ties"] == "none" and quota["bottom_ties"] == "together"
    assert quotas.migrated(3, "30", "90", True, 0)["bottom_count"] is None
    assert quotas.limit(3, F(30), 10) == 3 and quotas.limit(None, "30", 9) == 2 and quotas.limit(None, None, 9) == 0
