"""The combined evaluation (综合评定) as plain functions on plain data: no query, no request.

Every rule comes from the campaign's ScoringConfig (through `Rules`); the functions here only apply
them, so that tests and the settings page's worked example call exactly what /results uses.

Formulas (shown to users in the same words on the explanation page):
- satisfaction rate of a respondent type = Σ(votes × option points) ÷ valid votes, over the options
  that count as valid votes (不了解 does not by default);
- satisfaction score = Σ(type weight × type rate) ÷ Σ(weights of the types that have valid votes);
- checklist score = mean of the evaluators' ratings' points over the rated items (不适用 left out);
- rectification score = fulfilled ÷ due × 100 (100 when nothing is due);
- base = Σ(source weight × source score) ÷ Σ(weights of the sources that have data);
- total = base − min(cap, Σ confirmed findings × points of their severity), never below 0;
- a unit without any valid vote gets no total, grade or rank (未评定).

Arithmetic is exact: points, weights and thresholds are Fractions (pingyi.exact), never binary floats;
grades, ranks, ties and 先进 use the exact total. Only what is shown is rounded, half up to 2 decimals
(round2), and the details keep the exact values as text under "exact".
"""
from dataclasses import dataclass, field
from fractions import Fraction

from pingyi.checklists.models import RATING_LABELS
from pingyi.exact import exact_text, half_up, parse_exact
from pingyi.findings.models import SEVERITY_LABELS
from pingyi.results import quotas, returns

SOURCES = (("satisfaction", "满意度测评"), ("checklist", "评议组检查评价"), ("rectification", "整改落实"))
UNRATED = "未评定"
MISSING_RULES = {  # what a component without data does to a unit's total (a visible choice of the scheme)
    "redistribute": "其权重按比例分给有数据的其他项",
    "zero": "按 0 分计入",
    "unrated": "该单位未评定、不参加排名",
}
ZERO, HUNDRED = Fraction(0), Fraction(100)


def round2(value):
    """Half-up rounding to 2 decimals of an exact value, as people compute by hand: a Decimal (63.695 → 63.70).
    Only what is shown is rounded; grades, ranks and ties use the exact value."""
    return half_up(value, 2)


@dataclass
class Rules:
    """Every number here is exact (Fraction or int); rules_from_config() converts stored values."""
    options: dict            # option_id -> {"label", "score", "valid"}
    types: dict              # respondent_type_id -> {"name", "weight"}
    weights: dict            # source key -> weight
    checklist_points: dict   # rating -> points ("na" absent)
    deductions: dict         # severity -> points
    deduct_cap: Fraction
    veto_severity: str       # "" for no veto
    veto_dimensions: set     # dimension ids; empty = any dimension
    veto_grade: str
    grades: list             # [{"name", "min", "inclusive"}] best first, the last one's min is None
    groups: list             # [{"name", "categories", "key", "published"}] (pingyi.results.groups)
    missing_rule: str = "redistribute"  # a key of MISSING_RULES
    min_return_rate: Fraction | None = None  # % of issued questionnaires returned (pingyi.results.returns)
    min_valid_ballots: int = 0
    return_shortfall: str = "flag"  # a key of returns.SHORTFALL_RULES


@dataclass
class UnitInputs:
    unit_id: int
    name: str
    group: int | None                                   # index into Rules.groups, None if in no group
    votes: dict = field(default_factory=dict)           # type_id -> {option_id: n}
    ballots: dict = field(default_factory=dict)         # type_id -> questionnaires returned
    dimension_votes: dict = field(default_factory=dict)  # dimension_id -> {option_id: n}
    ratings: dict = field(default_factory=dict)         # rating -> n (evaluators' checklist ratings)
    findings: dict = field(default_factory=dict)        # severity -> n (confirmed)
    veto_findings: list = field(default_factory=list)   # descriptions of findings that trigger the veto
    fulfilled: int = 0
    due: int = 0
    pending: int = 0
    issued: dict = field(default_factory=dict)          # type_id -> questionnaires issued (surveys.issuance)


def option_rate(votes, options):
    """(exact rate 0–100 or None, valid votes, total votes) of a {option_id: n} tally."""
    valid = sum(n for o, n in votes.items() if options[o]["valid"])
    total = sum(votes.values())
    if not valid:
        return None, 0, total
    points = sum((n * options[o]["score"] for o, n in votes.items() if options[o]["valid"]), ZERO)
    return Fraction(points) / valid, valid, total


def satisfaction(votes_by_type, ballots_by_type, rules):
    """(exact score or None, one line per respondent type)."""
    lines, weighted, weight_sum = [], ZERO, ZERO
    for type_id, rtype in rules.types.items():
        votes = votes_by_type.get(type_id, {})
        rate, valid, total = option_rate(votes, rules.options) if votes else (None, 0, 0)
        lines.append({"name": rtype["name"], "weight": exact_text(rtype["weight"]),
                      "ballots": ballots_by_type.get(type_id, 0),
                      "votes": [{"label": o["label"], "n": votes.get(o_id, 0), "score": exact_text(o["score"]),
                                 "valid": o["valid"]} for o_id, o in rules.options.items()],
                      "valid": valid, "total": total, "rate": round2(rate),
                      "rate_exact": None if rate is None else exact_text(rate),
                      "points": None if rate is None else exact_text(rate * valid),
                      "used": rate is not None and rtype["weight"] > 0})
        if rate is not None and rtype["weight"] > 0:
            weighted += rtype["weight"] * rate
            weight_sum += rtype["weight"]
    return (weighted / weight_sum if weight_sum else None), lines


def checklist_score(ratings, points):
    rated = {r: n for r, n in ratings.items() if r in points and n}
    count = sum(rated.values())
    if not count:
        return None
    return sum((points[r] * n for r, n in rated.items()), ZERO) / count


def rectification_score(fulfilled, due):
    return HUNDRED if not due else Fraction(fulfilled * 100, due)


def deductions(findings, rules):
    lines = [{"severity": SEVERITY_LABELS[s], "n": findings.get(s, 0), "points": exact_text(rules.deductions[s]),
              "subtotal": findings.get(s, 0) * rules.deductions[s]} for s in SEVERITY_LABELS]
    raw = sum((line["subtotal"] for line in lines), ZERO)
    for line in lines:
        line["subtotal"] = exact_text(line["subtotal"])
    return min(raw, rules.deduct_cap), raw, lines


def reaches(value, bound, inclusive):
    """Whether an exact value is on the right side of a threshold: ≥ (以上) when inclusive, > (高于) otherwise."""
    return value > bound or (inclusive and value == bound)


def grade_for(total, grades):
    """The first grade (best first) whose lower bound the exact total reaches: ≥ when inclusive, > otherwise."""
    for grade in grades:
        bound = grade["min"]
        if bound is None or reaches(parse_exact(total), parse_exact(bound), grade["inclusive"]):
            return grade["name"]
    return grades[-1]["name"]


def capped_grade(grade, cap, grades):
    """The worse of `grade` and `cap` (the veto's ceiling)."""
    names = [g["name"] for g in grades]
    if cap not in names:
        return grade
    return names[max(names.index(grade), names.index(cap))]


def competition_ranks(totals):
    """{key: rank} from {key: exact total}, highest first; only equal exact totals share a rank (89.99 and
    89.991 do not), and the next ranks are skipped."""
    ordered = sorted(totals.items(), key=lambda kv: -kv[1])
    ranks, previous, rank = {}, None, 0
    for position, (key, total) in enumerate(ordered, 1):
        if total != previous:
            rank, previous = position, total
        ranks[key] = rank
    return ranks


def score_unit(inputs, rules):
    """Everything about one unit's score except its rank: a JSON-able dict that explains itself. Shown
    figures are Decimals rounded half up to 2 places; "exact" keeps the unrounded values as text."""
    sat, type_lines = satisfaction(inputs.votes, inputs.ballots, rules)
    scores = {"satisfaction": sat, "checklist": checklist_score(inputs.ratings, rules.checklist_points),
              "rectification": rectification_score(inputs.fulfilled, inputs.due)}
    components, weighted, weight_sum, missing = [], ZERO, ZERO, []
    for key, name in SOURCES:
        weight, value = rules.weights[key], scores[key]
        if value is None and weight > 0 and key != "satisfaction":
            missing.append(name)
            if rules.missing_rule == "zero":
                value = ZERO
        used = value is not None and weight > 0
        components.append({"key": key, "name": name, "weight": exact_text(weight), "score": round2(value),
                           "exact": None if value is None else exact_text(value), "used": used,
                           "missing": name in missing})
        if used:
            weighted += weight * value
            weight_sum += weight
    applied, raw, deduction_lines = deductions(inputs.findings, rules)
    type_weight_used = sum((rules.types[t]["weight"] for t, line in zip(rules.types, type_lines) if line["used"]),
                           ZERO)
    detail = {
        "unit_id": inputs.unit_id, "unit": inputs.name, "group": inputs.group,
        "types": type_lines, "type_weight_used": exact_text(type_weight_used),
        "components": components, "weight_used": exact_text(weight_sum),
        "ratings": [{"label": RATING_LABELS[r], "n": inputs.ratings.get(r, 0),
                     "points": None if rules.checklist_points.get(r) is None else exact_text(rules.checklist_points[r])}
                    for r in RATING_LABELS],
        "rectification": {"fulfilled": inputs.fulfilled, "due": inputs.due, "pending": inputs.pending},
        "deduction_lines": deduction_lines, "deduction_raw": round2(raw), "deduction": round2(applied),
        "capped": raw > applied,
        "dimensions": {str(d): round2(option_rate(v, rules.options)[0]) for d, v in inputs.dimension_votes.items()},
        "veto": list(inputs.veto_findings), "rank": None, "group_size": 0, "mark": "",
        "exact": {"satisfaction": None if sat is None else exact_text(sat), "deduction": exact_text(applied)},
        "missing": missing, "missing_rule": rules.missing_rule,
        "missing_rule_text": MISSING_RULES.get(rules.missing_rule, ""),
        "unrated_reason": "" if sat is not None else "没有有效测评票",
    }
    if sat is not None and missing and rules.missing_rule == "unrated":
        detail["unrated_reason"] = f"{'、'.join(missing)}无数据（评定办法规定此时不评定）"
    if detail["unrated_reason"]:
        detail.update(base=None, total=None, grade=UNRATED, grade_before_veto=UNRATED)
        detail["exact"].update(base=None, total=None)
        return detail
    base = weighted / weight_sum
    total = max(ZERO, base - applied)
    grade = grade_for(total, rules.grades)
    final = capped_grade(grade, rules.veto_grade, rules.grades) if inputs.veto_findings else grade
    detail.update(base=round2(base), total=round2(total), grade=final, grade_before_veto=grade)
    detail["exact"].update(base=exact_text(base), total=exact_text(total))
    return detail


def exact_total(detail):
    """The unrounded total of a detail (None when unrated)."""
    text = (detail.get("exact") or {}).get("total")
    return parse_exact(text) if text else parse_exact(detail["total"]) if detail["total"] is not None else None


def evaluate(units, rules):
    """Score every unit, rank each group on exact totals, name its 先进 and 末位. Details keyed by unit id."""
    details = {u.unit_id: returns.apply(score_unit(u, rules), u, rules) for u in units}
    for index, group in enumerate(rules.groups):
        members = {uid: exact_total(d) for uid, d in details.items() if d["group"] == index and d["total"] is not None}
        ranks = competition_ranks(members)
        vetoed = {uid for uid in members if details[uid]["veto"]}
        top, bottom = quotas.named(ranks, members, vetoed, group.get("quota"))
        for uid, rank in ranks.items():
            details[uid].update(rank=rank, group_size=len(ranks), both_marks=uid in top and uid in bottom,
                                mark="top" if uid in top else "bottom" if uid in bottom else "")
    return details


def rules_from_config(config, options, types):
    """Rules from a ScoringConfig row (or a dict of the same fields, as typed or as frozen in a version) and
    the campaign's options/types; every number becomes exact (old float data through its shortest repr)."""
    get = config.get if isinstance(config, dict) else lambda k: getattr(config, k)
    x = parse_exact
    grades = [dict(g, min=None if g["min"] in (None, "") else x(g["min"])) for g in get("grades")]
    veto_dims = get("veto_dimension_ids")
    return Rules(
        options={k: dict(o, score=x(o["score"])) for k, o in options.items()},
        types={k: dict(t, weight=x(t["weight"])) for k, t in types.items()},
        weights={"satisfaction": x(get("weight_satisfaction")), "checklist": x(get("weight_checklist")),
                 "rectification": x(get("weight_rectification"))},
        checklist_points={"meets": x(get("checklist_meets")), "basic": x(get("checklist_basic")),
                          "problem": x(get("checklist_problem"))},
        deductions={"minor": x(get("deduct_minor")), "major": x(get("deduct_major")),
                    "severe": x(get("deduct_severe"))},
        deduct_cap=x(get("deduct_cap")), veto_severity=get("veto_severity") or "", veto_dimensions=set(veto_dims),
        veto_grade=get("veto_grade"), grades=grades, groups=get("groups"),
        missing_rule=(config.get("missing_rule", "redistribute") if isinstance(config, dict) else config.missing_rule),
        **returns.rules_values(config))


def at_least_words(bound, inclusive):
    """A lower threshold in words: 以上 includes the line (≥), 高于 does not (>)."""
    shown = exact_text(bound)
    return f"{shown} 分以上（含 {shown} 分）" if inclusive else f"高于 {shown} 分（不含 {shown} 分）"


def below_words(bound, inclusive_above):
    """The upper edge of a range whose next-better range starts at `bound` (inclusive_above: that one takes
    the line, so this one is 低于 it; otherwise this one keeps the line: 以下)."""
    shown = exact_text(bound)
    return f"低于 {shown} 分" if inclusive_above else f"{shown} 分以下（含 {shown} 分）"


def grade_words(grades):
    """[(grade name, its range in words)] best first, e.g. ("比较满意", "80 分以上（含 80 分）、低于 90 分")."""
    out = []
    for index, grade in enumerate(grades):
        parts = []
        if grade["min"] not in (None, ""):
            parts.append(at_least_words(parse_exact(grade["min"]), grade["inclusive"]))
        if index:
            above = grades[index - 1]
            parts.append(below_words(parse_exact(above["min"]), above["inclusive"]))
        out.append((grade["name"], "、".join(parts) if parts else "不限"))
    return out


def boundary_words(config):
    """Every threshold of a scheme in words, for the settings page, the worked example and the bulletin:
    {"grades": [(name, words)], "quotas": [(group name, 先进 words, 末位 words, condition)], "returns": words}.
    `config`: a ScoringConfig or its dict (config_as_dict)."""
    get = config.get if isinstance(config, dict) else lambda k: getattr(config, k)
    return {"grades": grade_words(get("grades")),
            "quotas": [(g["name"], *quotas.words(g.get("quota"))) for g in get("groups")],
            "returns": returns.words(config)}
