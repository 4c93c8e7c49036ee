"""The combined evaluation (综合评定) as plain functions on plain data: no query, no request.

Every rule comes from the campaign's ScoringConfig (through `Rules`); the functions here only apply
them, so that tests and the settings page's worked example call exactly what /results uses.

Formulas (shown to users in the same words on the explanation page): the total is built from the scheme's
score components (pingyi.results.components, which scores each kind):
- base = Σ(component weight × component score 0–100) ÷ Σ(weights of the components counted); a component
  without data is redistributed, counted as 0, or makes the unit 未评定, as the scheme chooses (MISSING_RULES);
- total = base − min(cap, Σ confirmed findings × points of their severity), never below 0;
- a survey component without any valid vote makes the unit 未评定 in the plan's scheme.
Rules without components (tests building Rules by hand) use the legacy fields, i.e. the plan's scheme:
satisfaction by respondent type, mean checklist points, fulfilled ÷ due × 100, and the findings' deductions.

Arithmetic is exact: points, weights and thresholds are Fractions (pingyi.exact), never binary floats;
grades, ranks, ties and 先进 use the exact total. Only what is shown is rounded, half up to 2 decimals
(round2), and the details keep the exact values as text under "exact".
"""
from dataclasses import dataclass, field
from fractions import Fraction

from pingyi.checklists.models import RATING_LABELS
from pingyi.results import components
from pingyi.results.components import MISSING_RULES
from pingyi.exact import exact_text, half_up, parse_exact
from pingyi.findings.models import SEVERITY_LABELS
from pingyi.results import quotas, returns

SOURCES = (("satisfaction", "满意度测评"), ("checklist", "评议组检查评价"), ("rectification", "整改落实"))
UNRATED = "未评定"
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
    components: list | None = None  # exact components (pingyi.results.components); None = from the fields above
    questions: dict = field(default_factory=dict)   # question_id -> {"questionnaire"} (when components need it)
    items: dict = field(default_factory=dict)       # check item id -> dimension id (when components need it)
    dimensions: dict = field(default_factory=dict)  # dimension id -> name


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
    failed: int = 0                                     # due and found not rectified (整改不到位)
    weighted_votes: dict = field(default_factory=dict)  # component key -> {type_id: {option_id: (n, Σ n × q weight)}}
    ballot_scores: dict = field(default_factory=dict)   # component key -> {type_id: [(num, den, ballots)]}
    item_ratings: dict = field(default_factory=dict)    # item_id -> {rating: n} (if needed)
    tasks: dict = field(default_factory=dict)           # "on_time" / "late" / "undone" -> n unit tasks
    direct: dict = field(default_factory=dict)          # component key -> exact value typed in


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


def scheme_components(rules):
    """The rules' exact components: as configured, or the equivalent of the legacy fields."""
    if rules.components is not None:
        return rules.components
    fields = {"weight_satisfaction": rules.weights["satisfaction"], "weight_checklist": rules.weights["checklist"],
              "weight_rectification": rules.weights["rectification"], "deduct_cap": rules.deduct_cap,
              **{f"checklist_{k}": v for k, v in rules.checklist_points.items()},
              **{f"deduct_{k}": v for k, v in rules.deductions.items()}}
    return [components.exact_component(c) for c in components.legacy(fields.get)]


def _unrated_reason(unrated_by):
    """Why a unit is not rated, from the components whose missing data makes it so."""
    parts = ["没有有效测评票" for c in unrated_by if c["kind"] == "survey"][:1]
    others = [c["name"] for c in unrated_by if c["kind"] != "survey"]
    if others:
        parts.append(f"{'、'.join(others)}无数据（评定办法规定此时不评定）")
    return "；".join(parts)


def score_unit(inputs, rules):
    """Everything about one unit's score except its rank: a JSON-able dict that explains itself. Shown
    figures are Decimals rounded half up to 2 places; "exact" keeps the unrounded values as text; each
    component carries its formula with the unit's numbers."""
    scheme = scheme_components(rules)
    shown, weighted, weight_sum, missing, unrated_by = [], ZERO, ZERO, [], []
    type_lines, type_weight_used, sat = [], ZERO, None
    for comp in scheme:
        if not components.is_weighted(comp):
            continue
        value, formula, lines = components.score(comp, inputs, rules)
        if comp["kind"] == "survey" and not type_lines:
            type_lines, sat = lines, value
            type_weight_used = sum((parse_exact(line["weight"]) for line in lines if line["used"]), ZERO)
        weight, is_missing = comp["weight"], False
        if value is None and weight > 0:
            is_missing = True
            missing.append(comp["name"])
            rule = comp.get("missing") or rules.missing_rule
            if rule == "zero":
                value = ZERO
                formula = formula + ["无数据，按评定办法计 0 分"]
            elif rule == "unrated":
                unrated_by.append(comp)
            else:
                formula = formula + ["无数据，其权重按比例分给有数据的其他项"]
        used = value is not None and weight > 0
        shown.append({"key": comp["key"], "name": comp["name"], "kind": comp["kind"],
                      "kind_label": components.KINDS[comp["kind"]], "weight": exact_text(weight),
                      "score": round2(value), "exact": None if value is None else exact_text(value), "used": used,
                      "missing": is_missing, "formula": formula, "types": lines,
                      "mode": comp.get("mode", ""), "max": exact_text(comp["max"]) if comp["kind"] == "direct" else None,
                      "value": exact_text(inputs.direct[comp["key"]]) if inputs.direct.get(comp["key"]) is not None else None})
        if used:
            weighted += weight * value
            weight_sum += weight
    deduct = next((c for c in scheme if c["kind"] == "findings"), None)
    applied, raw, deduction_lines = components.findings(deduct, inputs) if deduct else (ZERO, ZERO, [])
    detail = {
        "unit_id": inputs.unit_id, "unit": inputs.name, "group": inputs.group, "scheme": True,
        "types": type_lines, "type_weight_used": exact_text(type_weight_used),
        "components": shown, "weight_used": exact_text(weight_sum),
        "ratings": [{"label": RATING_LABELS[r], "n": inputs.ratings.get(r, 0),
                     "points": None if rules.checklist_points.get(r) is None else exact_text(rules.checklist_points[r])}
                    for r in RATING_LABELS],
        "rectification": {"fulfilled": inputs.fulfilled, "due": inputs.due, "pending": inputs.pending,
                          "failed": inputs.failed},
        "deduction_name": deduct["name"] if deduct else "", "deduction_cap": exact_text(deduct["cap"]) if deduct else None,
        "deduction_lines": deduction_lines, "deduction_raw": round2(raw), "deduction": round2(applied),
        "capped": raw > applied,
        "dimensions": {str(d): round2(option_rate(v, rules.options)[0]) for d, v in inputs.dimension_votes.items()},
        "veto": list(inputs.veto_findings), "rank": None, "group_size": 0, "mark": "",
        "exact": {"satisfaction": None if sat is None else exact_text(sat), "deduction": exact_text(applied)},
        "missing": missing, "missing_rule": rules.missing_rule,
        "missing_rule_text": MISSING_RULES.get(rules.missing_rule, ""),
        "unrated_reason": _unrated_reason(unrated_by),
    }
    if not detail["unrated_reason"] and not weight_sum:
        detail["unrated_reason"] = "各评分项都没有数据"
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
        components=[components.exact_component(c) for c in components.stored(config)],
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
