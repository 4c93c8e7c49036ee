"""Return rate (问卷回收率) and the minimum the scheme sets: plain functions on plain data, no query.

回收率 of a unit = questionnaires returned ÷ questionnaires issued × 100, over the respondent types for which
the office recorded how many it issued (pingyi.surveys.issuance); returned = paper tallies (first entry, double
entries only once they agree) + ballots entered one by one + online answers. 有效问卷 = every questionnaire
returned for the unit. A unit below the scheme's minimum rate or number of questionnaires is either left
未评定 or only flagged, as the scheme says; exactly on the minimum is enough (以上, inclusive).
"""
from fractions import Fraction

from pingyi.exact import exact_text, half_up, parse_exact

SHORTFALL_RULES = {"flag": "照常评定和排名，在结果中标注“回收不足”",
                   "unrated": "该单位未评定、不参加排名"}
UNRATED = "未评定"


def rules_values(config):
    """The Rules fields of the return-rate minimum, from a ScoringConfig or its dict (old dicts have none)."""
    get = (lambda k: config.get(k)) if isinstance(config, dict) else (lambda k: getattr(config, k, None))
    rate = get("min_return_rate")
    return {"min_return_rate": None if rate in (None, "") else parse_exact(rate),
            "min_valid_ballots": int(get("min_valid_ballots") or 0),
            "return_shortfall": get("return_shortfall") or "flag"}


def rate(returned, issued):
    """The exact return rate in % (None when nothing was issued)."""
    return Fraction(returned * 100, issued) if issued else None


def shortfalls(returned_all, issued, returned_issued, min_rate, min_ballots):
    """The reasons (Chinese) a unit falls short of the minimum; [] when it does not or no minimum applies."""
    out = []
    exact = rate(returned_issued, issued)
    if min_rate is not None and exact is not None and exact < min_rate:
        out.append(f"问卷回收率 {half_up(exact)}%（回收 {returned_issued} 份 ÷ 发放 {issued} 份），"
                   f"低于评定办法规定的 {exact_text(min_rate)}%")
    if min_ballots and returned_all < min_ballots:
        out.append(f"有效问卷 {returned_all} 份，少于评定办法规定的 {min_ballots} 份")
    return out


def apply(detail, inputs, rules):
    """Add the unit's issuance and return rate to its scoring detail (per respondent type too), and apply the
    scheme's minimum: 未评定 or a flag. Returns the detail."""
    issued = {t: n for t, n in (inputs.issued or {}).items() if n}
    returned_issued = sum(inputs.ballots.get(t, 0) for t in issued)
    total_issued = sum(issued.values())
    returned_all = sum(inputs.ballots.values())
    exact = rate(returned_issued, total_issued)
    for line, type_id in zip(detail.get("types", []), rules.types):
        n = issued.get(type_id, 0)
        line["issued"] = n
        line["return_rate"] = half_up(rate(inputs.ballots.get(type_id, 0), n)) if n else None
    reasons = shortfalls(returned_all, total_issued, returned_issued, rules.min_return_rate, rules.min_valid_ballots)
    detail["returns"] = {"issued": total_issued, "returned": returned_issued, "ballots": returned_all,
                         "rate": half_up(exact) if exact is not None else None,
                         "rate_exact": None if exact is None else exact_text(exact), "short": reasons,
                         "rule": rules.return_shortfall}
    detail["return_flag"] = ""
    if reasons and rules.return_shortfall == "unrated":
        if detail.get("total") is not None:
            detail.update(total=None, grade=UNRATED, grade_before_veto=UNRATED,
                          unrated_reason="；".join(reasons) + "（评定办法规定此时不评定）")
            detail.setdefault("exact", {})["total"] = None
    elif reasons and detail.get("total") is not None:
        detail["return_flag"] = "回收不足"
    return detail


def words(config):
    """The minimum in words, e.g. "问卷回收率 60% 以上（含 60%）且有效问卷 30 份以上；不足的只作标注"."""
    values = rules_values(config)
    parts = []
    if values["min_return_rate"] is not None:
        shown = exact_text(values["min_return_rate"])
        parts.append(f"问卷回收率 {shown}% 以上（含 {shown}%）")
    if values["min_valid_ballots"]:
        parts.append(f"有效问卷 {values['min_valid_ballots']} 份以上（含 {values['min_valid_ballots']} 份）")
    if not parts:
        return "不设回收率和有效问卷数的最低要求"
    rule = SHORTFALL_RULES.get(values["return_shortfall"], "")
    return "应达到" + "且".join(parts) + f"；达不到的，{rule}"
