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
"""
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from pingyi.checklists.models import RATING_LABELS
from pingyi.findings.models import SEVERITY_LABELS

SOURCES = (("satisfaction", "满意度测评"), ("checklist", "评议组检查评价"), ("rectification", "整改落实"))
UNRATED = "未评定"


def round2(value):
    """Half-up rounding to 2 decimals, as people compute by hand (Python's round() rounds half to even)."""
    return float(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@dataclass
class Rules:
    options: dict            # option_id -> {"label", "score", "valid"}
    types: dict              # respondent_type_id -> {"name", "weight"}
    weights: dict            # source key -> weight
    checklist_points: dict   # rating -> points ("na" absent)
    deductions: dict         # severity -> points
    deduct_cap: float
    veto_severity: str       # "" for no veto
    veto_dimensions: set     # dimension ids; empty = any dimension
    veto_grade: str
    grades: list             # [{"name", "min", "inclusive"}] best first, the last one's min is None
    groups: list             # [{"name", "scope", "published"}]
    top_count: int = 0
    top_share: float = 0.0
    top_min_score: float = 0.0
    bottom_count: int = 0


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


def option_rate(votes, options):
    """(rate 0–100 or None, valid votes, total votes) of a {option_id: n} tally."""
    valid = sum(n for o, n in votes.items() if options[o]["valid"])
    total = sum(votes.values())
    if not valid:
        return None, 0, total
    points = sum(n * options[o]["score"] for o, n in votes.items() if options[o]["valid"])
    return points / valid, valid, total


def satisfaction(votes_by_type, ballots_by_type, rules):
    """(score or None, one line per respondent type)."""
    lines, weighted, weight_sum = [], 0.0, 0.0
    for type_id, rtype in rules.types.items():
        votes = votes_by_type.get(type_id, {})
        rate, valid, total = option_rate(votes, rules.options) if votes else (None, 0, 0)
        lines.append({"name": rtype["name"], "weight": rtype["weight"], "ballots": ballots_by_type.get(type_id, 0),
                      "votes": [{"label": o["label"], "n": votes.get(o_id, 0), "score": o["score"], "valid": o["valid"]}
                                for o_id, o in rules.options.items()],
                      "valid": valid, "total": total, "rate": None if rate is None else round2(rate)})
        if rate is not None and rtype["weight"] > 0:
            weighted += rtype["weight"] * rate
            weight_sum += rtype["weight"]
    return (weighted / weight_sum if weight_sum else None), lines


def checklist_score(ratings, points):
    rated = {r: n for r, n in ratings.items() if r in points and n}
    count = sum(rated.values())
    if not count:
        return None
    return sum(points[r] * n for r, n in rated.items()) / count


def rectification_score(fulfilled, due):
    return 100.0 if not due else fulfilled / due * 100


def deductions(findings, rules):
    lines = [{"severity": SEVERITY_LABELS[s], "n": findings.get(s, 0), "points": rules.deductions[s],
              "subtotal": findings.get(s, 0) * rules.deductions[s]} for s in SEVERITY_LABELS]
    raw = sum(line["subtotal"] for line in lines)
    return min(raw, rules.deduct_cap), raw, lines


def grade_for(total, grades):
    """The first grade (best first) whose lower bound the total reaches: ≥ when inclusive, > otherwise."""
    for grade in grades:
        bound = grade["min"]
        if bound is None or total > bound or (grade["inclusive"] and total == bound):
            return grade["name"]
    return grades[-1]["name"]


def capped_grade(grade, cap, grades):
    """The worse of `grade` and `cap` (the veto's ceiling)."""
    names = [g["name"] for g in grades]
    if cap not in names:
        return grade
    return names[max(names.index(grade), names.index(cap))]


def competition_ranks(totals):
    """{key: rank} from {key: total}, highest first; ties share a rank and the next ranks are skipped."""
    ordered = sorted(totals.items(), key=lambda kv: -kv[1])
    ranks, previous, rank = {}, None, 0
    for position, (key, total) in enumerate(ordered, 1):
        if total != previous:
            rank, previous = position, total
        ranks[key] = rank
    return ranks


def named_top(ranks, totals, vetoed, rules):
    """先进: by rank, at most top_count units and top_share % of the group (rounded down), each at least
    top_min_score; a vetoed unit is passed over. Units tied on a rank are named together or not at all."""
    limit = min(rules.top_count, int(len(ranks) * rules.top_share / 100))
    named = []
    for rank in sorted(set(ranks.values())):
        tied = [k for k, r in ranks.items() if r == rank]
        if totals[tied[0]] < rules.top_min_score:
            break
        candidates = [k for k in tied if k not in vetoed]
        if len(named) + len(candidates) > limit:
            break
        named += candidates
    return set(named)


def named_bottom(ranks, rules, exclude=()):
    """末位: the last bottom_count places; units tied on a place are all named."""
    if not rules.bottom_count or not ranks:
        return set()
    places = sorted(set(ranks.values()), reverse=True)
    named, taken = set(), 0
    for rank in places:
        if taken >= rules.bottom_count:
            break
        tied = {k for k, r in ranks.items() if r == rank}
        named |= tied
        taken += len(tied)
    return named - set(exclude)


def score_unit(inputs, rules):
    """Everything about one unit's score except its rank: a JSON-able dict that explains itself."""
    sat, type_lines = satisfaction(inputs.votes, inputs.ballots, rules)
    scores = {"satisfaction": sat, "checklist": checklist_score(inputs.ratings, rules.checklist_points),
              "rectification": rectification_score(inputs.fulfilled, inputs.due)}
    components, weighted, weight_sum = [], 0.0, 0.0
    for key, name in SOURCES:
        weight, value = rules.weights[key], scores[key]
        components.append({"key": key, "name": name, "weight": weight,
                           "score": None if value is None else round2(value)})
        if value is not None and weight > 0:
            weighted += weight * value
            weight_sum += weight
    applied, raw, deduction_lines = deductions(inputs.findings, rules)
    detail = {
        "unit_id": inputs.unit_id, "unit": inputs.name, "group": inputs.group,
        "types": type_lines, "components": components, "weight_used": weight_sum,
        "ratings": [{"label": RATING_LABELS[r], "n": inputs.ratings.get(r, 0), "points": rules.checklist_points.get(r)}
                    for r in RATING_LABELS],
        "rectification": {"fulfilled": inputs.fulfilled, "due": inputs.due, "pending": inputs.pending},
        "deduction_lines": deduction_lines, "deduction_raw": raw, "deduction": applied,
        "dimensions": {str(d): option_rate(v, rules.options)[0] for d, v in inputs.dimension_votes.items()},
        "veto": list(inputs.veto_findings), "rank": None, "group_size": 0, "mark": "",
    }
    if sat is None:
        detail.update(base=None, total=None, grade=UNRATED, grade_before_veto=UNRATED)
        return detail
    base = weighted / weight_sum
    total = round2(max(0.0, base - applied))
    grade = grade_for(total, rules.grades)
    final = capped_grade(grade, rules.veto_grade, rules.grades) if inputs.veto_findings else grade
    detail.update(base=round2(base), total=total, grade=final, grade_before_veto=grade)
    return detail


def evaluate(units, rules):
    """Score every unit, rank each group, name its 先进 and 末位. Returns the details keyed by unit id."""
    details = {u.unit_id: score_unit(u, rules) for u in units}
    for index in range(len(rules.groups)):
        members = {uid: d["total"] for uid, d in details.items() if d["group"] == index and d["total"] is not None}
        ranks = competition_ranks(members)
        vetoed = {uid for uid in members if details[uid]["veto"]}
        top = named_top(ranks, members, vetoed, rules)
        bottom = named_bottom(ranks, rules, exclude=top)
        for uid, rank in ranks.items():
            details[uid].update(rank=rank, group_size=len(ranks),
                                mark="top" if uid in top else "bottom" if uid in bottom else "")
    return details


def rules_from_config(config, options, types):
    """Rules from a ScoringConfig row (or a dict of the same fields) and the campaign's options/types."""
    get = config.get if isinstance(config, dict) else lambda k: getattr(config, k)
    grades = get("grades")
    veto_dims = get("veto_dimension_ids")
    return Rules(
        options=options, types=types,
        weights={"satisfaction": get("weight_satisfaction"), "checklist": get("weight_checklist"),
                 "rectification": get("weight_rectification")},
        checklist_points={"meets": get("checklist_meets"), "basic": get("checklist_basic"),
                          "problem": get("checklist_problem")},
        deductions={"minor": get("deduct_minor"), "major": get("deduct_major"), "severe": get("deduct_severe")},
        deduct_cap=get("deduct_cap"), veto_severity=get("veto_severity") or "", veto_dimensions=set(veto_dims),
        veto_grade=get("veto_grade"), grades=grades, groups=get("groups"),
        top_count=get("top_count"), top_share=get("top_share"), top_min_score=get("top_min_score"),
        bottom_count=get("bottom_count"))
