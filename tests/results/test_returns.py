"""The return rate and the scheme's minimum, against figures worked out by hand."""
from decimal import Decimal as D
from fractions import Fraction as F

import pytest

from pingyi.results import returns
from pingyi.results.scoring import UnitInputs, evaluate
from tests.results.test_scoring import SAT, rules

GROUPS = [{"name": "县直", "categories": [], "key": "include", "published": True,
           "quota": {"min_size": 1, "top_count": None, "top_share": None, "bottom_count": None}}]


def unit(uid, issued, ballots):
    """A unit whose public (type 1) returned `ballots[1]` questionnaires, all 满意."""
    return UnitInputs(uid, f"单位{uid}", 0, votes={1: {SAT: ballots.get(1, 0)}}, ballots=ballots, issued=issued)


def test_return_rate_by_hand():
    # type 1: 45 returned of 60 issued, type 2: 9 of 10; type 4 returned 5 but had nothing issued: left out.
    # (45 + 9) ÷ (60 + 10) × 100 = 5400/70 = 77.142857… → 77.14
    d = evaluate([unit(1, {1: 60, 2: 10}, {1: 45, 2: 9, 4: 5})], rules(groups=GROUPS))[1]
    assert d["returns"]["rate"] == D("77.14") and d["returns"]["rate_exact"] == "540/7"
    assert (d["returns"]["issued"], d["returns"]["returned"], d["returns"]["ballots"]) == (70, 54, 59)
    assert [line["issued"] for line in d["types"]] == [60, 10, 0, 0]
    assert d["types"][0]["return_rate"] == D("75.00") and d["types"][1]["return_rate"] == D("90.00")


@pytest.mark.parametrize("returned, short", [(42, False), (41, True)])
def test_minimum_rate_exactly_on_the_line(returned, short):
    # minimum 70 %: 42 of 60 is exactly 70 % (以上 includes it); 41 of 60 = 68.33 % is short
    r = rules(groups=GROUPS, min_return_rate=F(70), return_shortfall="unrated")
    d = evaluate([unit(1, {1: 60}, {1: returned})], r)[1]
    assert (d["total"] is None) == short and bool(d["returns"]["short"]) == short


def test_short_of_the_minimum_makes_the_unit_unrated():
    # 30 of 60 = 50 % < 60 %: 未评定, not ranked; the other unit is ranked alone
    r = rules(groups=GROUPS, min_return_rate=F(60), return_shortfall="unrated")
    details = evaluate([unit(1, {1: 60}, {1: 30}), unit(2, {1: 50}, {1: 45})], r)
    assert details[1]["total"] is None and details[1]["grade"] == "未评定" and details[1]["rank"] is None
    assert details[1]["unrated_reason"] == ("问卷回收率 50.00%（回收 30 份 ÷ 发放 60 份），低于评定办法规定的 60%"
                                            "（评定办法规定此时不评定）")
    assert details[2]["rank"] == 1 and details[2]["group_size"] == 1 and details[2]["return_flag"] == ""


def test_short_of_the_minimum_only_flags_the_unit():
    r = rules(groups=GROUPS, min_return_rate=F(60), return_shortfall="flag")
    details = evaluate([unit(1, {1: 60}, {1: 30}), unit(2, {1: 50}, {1: 45})], r)
    assert details[1]["total"] == D("100.00") and details[1]["rank"] == 1 and details[1]["return_flag"] == "回收不足"
    assert details[2]["rank"] == 1 and details[2]["return_flag"] == ""  # tied on 100


def test_minimum_valid_ballots_exactly_on_the_line():
    r = rules(groups=GROUPS, min_valid_ballots=30, return_shortfall="unrated")
    details = evaluate([unit(1, {}, {1: 30}), unit(2, {}, {1: 29})], r)
    assert details[1]["total"] is not None and details[1]["returns"]["rate"] is None  # nothing issued: no rate
    assert details[2]["total"] is None and "有效问卷 29 份，少于评定办法规定的 30 份" in details[2]["unrated_reason"]


def test_no_minimum_checks_nothing():
    d = evaluate([unit(1, {1: 60}, {1: 1})], rules(groups=GROUPS))[1]
    assert d["total"] is not None and d["returns"]["short"] == [] and d["returns"]["rate"] == D("1.67")


def test_minimum_in_words():
    assert returns.words({"min_return_rate": "70", "min_valid_ballots": 30, "return_shortfall": "flag"}) == (
        "应达到问卷回收率 70% 以上（含 70%）且有效问卷 30 份以上（含 30 份）；达不到的，照常评定和排名，在结果中标注“回收不足”")
    assert returns.words({}) == "不设回收率和有效问卷数的最低要求"
