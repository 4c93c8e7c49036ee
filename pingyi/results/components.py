"""Score components (评分项): a campaign's total is the weighted sum of the components its office defines.

A component is a dict kept in ScoringConfig.components_json, with exact numbers as canonical text:
    {"key", "name", "kind", "weight", "missing" ("" = the scheme's no-data choice), ...its kind's parameters}
Kinds and their parameters (DEFAULTS):
- survey: questionnaires (ids; empty = all), mode ("pooled" votes, or each "ballot" scored and averaged),
  type_weights {respondent type name: weight} (absent = the weight set with the survey),
  question_weights {question id: weight} (absent = 1), option_points {option label: points, or None = 不计};
- checklist: points of meets/basic/problem, dimension_weights {dimension id: weight}, item_weights {item id: weight};
- rectification: mode "ratio" (fulfilled ÷ due × 100) or "deduct" (100 − per overdue / per failed item, capped);
- tasks: points of a unit task done on time, late, or undone past its deadline (on the board);
- direct: a value typed in or imported per unit (pingyi.results.direct), out of `max`;
- findings: points per confirmed finding by severity, with a cap, taken off the weighted total (no weight).
Each weighted component scores 0–100; base = Σ(weight × score) ÷ Σ(weights of the components counted).
Functions here are plain: tests and the settings page's worked example call exactly what /results uses.
"""
import json
import re
from fractions import Fraction

from pingyi.checklists.models import RATING_LABELS
from pingyi.exact import exact_text, half_up, parse_exact, read_number, show_exact
from pingyi.findings.models import SEVERITY_LABELS

KINDS = {"survey": "满意度测评（问卷）", "checklist": "评议组检查评价（检查清单）", "rectification": "整改落实",
         "tasks": "工作任务完成情况", "direct": "直接录入的分数（如领导评议、年度考核）",
         "findings": "问题扣分（按问题程度，设上限）"}
SURVEY_MODES = {"pooled": "合并计票：各题票数合并计算满意率", "ballot": "逐票计分：每份问卷先算得分，单位得分取各份平均"}
RECTIFICATION_MODES = {"ratio": "按比例：整改到位数 ÷ 到期应整改数 × 100",
                       "deduct": "按项扣分：满分 100，每个逾期未整改、整改不到位的问题扣分，设上限"}
DEFAULTS = {
    "survey": {"questionnaires": [], "mode": "pooled", "type_weights": {}, "question_weights": {}, "option_points": {}},
    "checklist": {"meets": "100", "basic": "80", "problem": "0", "dimension_weights": {}, "item_weights": {}},
    "rectification": {"mode": "ratio", "per_overdue": "10", "per_failed": "20", "cap": "100"},
    "tasks": {"on_time": "100", "late": "60", "undone": "0"},
    "direct": {"max": "100"},
    "findings": {"minor": "0.5", "major": "1", "severe": "3", "cap": "10"},
}
NUMBER_PARAMS = {  # kind -> {param: (label, low, high)}
    "checklist": {"meets": ("“符合要求”得分", 0, 100), "basic": ("“基本符合”得分", 0, 100), "problem": ("“存在问题”得分", 0, 100)},
    "rectification": {"per_overdue": ("每个逾期未整改的问题扣", 0, 100), "per_failed": ("每个整改不到位的问题扣", 0, 100),
                      "cap": ("整改扣分上限", 0, 100)},
    "tasks": {"on_time": ("按时完成得分", 0, 100), "late": ("逾期完成得分", 0, 100), "undone": ("逾期未完成得分", 0, 100)},
    "direct": {"max": ("满分", 0, 1000)},
    "findings": {"minor": ("一般问题每个扣", 0, 100), "major": ("较重问题每个扣", 0, 100), "severe": ("严重问题每个扣", 0, 100),
                 "cap": ("问题扣分上限", 0, 100)},
}
WEIGHT_MAPS = {"survey": ("type_weights", "question_weights"), "checklist": ("dimension_weights", "item_weights")}
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,19}$")
NOT_COUNTED = "不计"
ZERO, ONE, HUNDRED = Fraction(0), Fraction(1), Fraction(100)


MISSING_RULES = {  # what a component without data does to a unit's total (a visible choice of the scheme)
    "redistribute": "其权重按比例分给有数据的其他项",
    "zero": "按 0 分计入",
    "unrated": "该单位未评定、不参加排名",
}

def is_weighted(component):
    return component["kind"] != "findings"


def legacy(get):
    """The component list equivalent to the single scheme kept before components (three weighted sources and the
    findings' deductions); `get(field)` reads the old ScoringConfig fields. Scores stay the same."""
    text = lambda field: exact_text(get(field))  # noqa: E731
    return [
        dict(DEFAULTS["survey"], key="satisfaction", name="满意度测评", kind="survey", weight=text("weight_satisfaction"),
             missing="unrated", questionnaires=[], type_weights={}, question_weights={}, option_points={}),
        dict(DEFAULTS["checklist"], key="checklist", name="评议组检查评价", kind="checklist",
             weight=text("weight_checklist"), missing="", meets=text("checklist_meets"), basic=text("checklist_basic"),
             problem=text("checklist_problem"), dimension_weights={}, item_weights={}),
        dict(DEFAULTS["rectification"], key="rectification", name="整改落实", kind="rectification",
             weight=text("weight_rectification"), missing=""),
        dict(key="findings", name="问题扣分", kind="findings", weight="0", missing="", minor=text("deduct_minor"),
             major=text("deduct_major"), severe=text("deduct_severe"), cap=text("deduct_cap")),
    ]


def stored(config):
    """A ScoringConfig's (or its dict's) components as stored, [] meaning the legacy fields' equivalent."""
    if isinstance(config, dict):
        if config.get("components") is not None:
            return config["components"]
        raw = config.get("components_json") or "[]"
        get = config.get
    else:
        raw, get = config.components_json or "[]", lambda k: getattr(config, k)
    listed = json.loads(raw) if isinstance(raw, str) else raw
    return listed or legacy(get)


def exact_component(component):
    """A stored component with every number as a Fraction (weights maps included)."""
    out = dict(DEFAULTS.get(component["kind"], {}), **component)
    out["weight"] = parse_exact(out.get("weight") or "0")
    for param in NUMBER_PARAMS.get(out["kind"], {}):
        out[param] = parse_exact(out[param])
    for name in WEIGHT_MAPS.get(out["kind"], ()):
        out[name] = {k: parse_exact(v) for k, v in (out.get(name) or {}).items()}
    if out["kind"] == "survey":
        out["option_points"] = {k: None if v is None else parse_exact(v) for k, v in (out.get("option_points") or {}).items()}
        out["questionnaires"] = [int(q) for q in out.get("questionnaires") or []]
    return out


def needs_questions(component):
    """Whether a survey component needs votes per question (a questionnaire filter or question weights)."""
    return component["kind"] == "survey" and bool(component["questionnaires"] or component["question_weights"])


def needs_items(component):
    return component["kind"] == "checklist" and bool(component["dimension_weights"] or component["item_weights"])


# ---- scoring each kind -------------------------------------------------------------------------------------

def effective_options(component, options):
    """The campaign's options with this component's points: {option_id: {"label", "score", "valid"}}."""
    overrides = component.get("option_points") or {}
    out = {}
    for option_id, option in options.items():
        if option["label"] in overrides:
            points = overrides[option["label"]]
            out[option_id] = dict(option, score=points or ZERO, valid=points is not None)
        else:
            out[option_id] = option
    return out


def question_weight(component, question_id):
    return component["question_weights"].get(str(question_id), ONE)


def type_weight(component, rtype):
    return component["type_weights"].get(rtype["name"], rtype["weight"])


def _type_rate(component, type_id, inputs, rules, options):
    """(exact rate or None, points, valid weight, shown votes per option, valid ballots) of one respondent type."""
    if component["mode"] == "ballot":
        scores = inputs.ballot_scores.get(component["key"], {}).get(type_id, [])
        count = sum(n for _, _, n in scores)
        if not count:
            return None, ZERO, 0, {}, 0
        total = sum((Fraction(num, den) * n for num, den, n in scores), ZERO)
        return total / count, total, count, {}, count
    if needs_questions(component):
        tally = inputs.weighted_votes.get(component["key"], {}).get(type_id, {})
        votes = {o: n for o, (n, _) in tally.items()}
        valid = sum((w for o, (_, w) in tally.items() if options[o]["valid"]), ZERO)
        points = sum((w * options[o]["score"] for o, (_, w) in tally.items() if options[o]["valid"]), ZERO)
    else:
        votes = inputs.votes.get(type_id, {})
        valid = sum(n for o, n in votes.items() if options[o]["valid"])
        points = sum((n * options[o]["score"] for o, n in votes.items() if options[o]["valid"]), ZERO)
    if not valid:
        return None, ZERO, 0, votes, 0
    return Fraction(points) / valid, Fraction(points), valid, votes, None


def survey(component, inputs, rules):
    """(exact score or None, per-type lines, weight of the types counted, formula lines)."""
    options = effective_options(component, rules.options)
    lines, weighted, weight_sum, formula, shown_terms = [], ZERO, ZERO, [], []
    weighted_questions = needs_questions(component) and component["question_weights"]
    for type_id, rtype in rules.types.items():
        weight = type_weight(component, rtype)
        rate, points, valid, votes, scored = _type_rate(component, type_id, inputs, rules, options)
        valid_votes = sum(n for o, n in votes.items() if options[o]["valid"])
        used = rate is not None and weight > 0
        lines.append({"name": rtype["name"], "weight": exact_text(weight),
                      "ballots": scored if scored is not None else inputs.ballots.get(type_id, 0),
                      "votes": [{"label": o["label"], "n": votes.get(o_id, 0), "score": exact_text(o["score"]),
                                 "valid": o["valid"]} for o_id, o in options.items()],
                      "valid": valid_votes if component["mode"] != "ballot" else scored or 0,
                      "total": sum(votes.values()), "rate": half_up(rate),
                      "rate_exact": None if rate is None else exact_text(rate),
                      "points": None if rate is None else exact_text(points), "used": used})
        if rate is not None:
            shown_rate = show_exact(rate)
            if component["mode"] == "ballot":
                formula.append(f"{rtype['name']}：{scored} 份有效问卷得分之和 {show_exact(points)} ÷ {scored} = "
                               f"{shown_rate}")
            elif weighted_questions:
                formula.append(f"{rtype['name']}：Σ（题权重 × 票数 × 分值）{show_exact(points)} ÷ Σ（题权重 × 有效票数）"
                               f"{show_exact(valid)} = {shown_rate}")
            else:
                formula.append(f"{rtype['name']}：{show_exact(points)} ÷ {valid} 票 = {shown_rate}")
        if used:
            weighted += weight * rate
            weight_sum += weight
            shown_terms.append(f"{exact_text(weight)} × {shown_rate}")
    score = weighted / weight_sum if weight_sum else None
    if score is not None:
        formula.append("（" + " + ".join(shown_terms) + f"）÷ {exact_text(weight_sum)} = {half_up(score)}")
    return score, lines, weight_sum, formula


def checklist(component, inputs, rules):
    """(exact score or None, formula lines). Without weights: the mean of all ratings' points (不适用 left out);
    with item weights: Σ(item weight × points) ÷ Σ(item weights) over the ratings; with dimension weights:
    each dimension's (item-weighted) mean, then Σ(dimension weight × its mean) ÷ Σ(weights of rated dimensions)."""
    points = {r: component[r] for r in ("meets", "basic", "problem")}
    if not needs_items(component):
        rated = {r: n for r, n in inputs.ratings.items() if r in points and n}
        count = sum(rated.values())
        if not count:
            return None, ["评议组尚未评价任何检查项"]
        score = sum((points[r] * n for r, n in rated.items()), ZERO) / count
        parts = " + ".join(f"{RATING_LABELS[r]} {rated.get(r, 0)} 项 × {exact_text(points[r])} 分" for r in points)
        skipped = inputs.ratings.get("na", 0)
        return score, [f"（{parts}）÷ {count} 项 = {half_up(score)}" + (f"（另有不适用 {skipped} 项不计）" if skipped else "")]
    by_dimension = {}
    for item_id, ratings in inputs.item_ratings.items():
        dimension_id = rules.items.get(item_id)
        weight = component["item_weights"].get(str(item_id), ONE)
        bucket = by_dimension.setdefault(dimension_id, [ZERO, ZERO])
        for rating, n in ratings.items():
            if rating in points:
                bucket[0] += weight * n * points[rating]
                bucket[1] += weight * n
    by_dimension = {d: (p, w) for d, (p, w) in by_dimension.items() if w}
    if not by_dimension:
        return None, ["评议组尚未评价任何检查项"]
    if not component["dimension_weights"]:
        p = sum((p for p, _ in by_dimension.values()), ZERO)
        w = sum((w for _, w in by_dimension.values()), ZERO)
        return p / w, [f"Σ（检查项权重 × 评价分）{show_exact(p)} ÷ Σ（检查项权重）{show_exact(w)} = {half_up(p / w)}"]
    formula, weighted, weight_sum = [], ZERO, ZERO
    for dimension_id, (p, w) in by_dimension.items():
        name = rules.dimensions.get(dimension_id, "其他")
        d_weight = component["dimension_weights"].get(str(dimension_id), ONE)
        formula.append(f"{name}：{show_exact(p)} ÷ {show_exact(w)} = {show_exact(p / w)}（方面权重 {exact_text(d_weight)}）")
        weighted += d_weight * p / w
        weight_sum += d_weight
    if not weight_sum:
        return None, formula + ["评价过的方面权重都为 0"]
    score = weighted / weight_sum
    formula.append(f"Σ（方面权重 × 方面得分）{show_exact(weighted)} ÷ {exact_text(weight_sum)} = {half_up(score)}")
    return score, formula


def rectification(component, inputs):
    """(exact score, formula lines): never without data (nothing due scores 100)."""
    overdue = inputs.due - inputs.fulfilled - inputs.failed
    pending = f"（另有 {inputs.pending} 个问题尚未到期或待核实，暂不计入）" if inputs.pending else ""
    if component["mode"] == "deduct":
        raw = overdue * component["per_overdue"] + inputs.failed * component["per_failed"]
        applied = min(raw, component["cap"])
        score = max(ZERO, HUNDRED - applied)
        line = (f"100 − （逾期未整改 {overdue} 个 × {exact_text(component['per_overdue'])} + 整改不到位 {inputs.failed} 个 × "
                f"{exact_text(component['per_failed'])}"
                f"{'，超过上限按 ' + exact_text(component['cap']) + ' 扣' if raw > applied else ''}）= {half_up(score)}")
        return score, [line + pending]
    if not inputs.due:
        return HUNDRED, ["没有到期应整改的问题，按 100 计" + pending]
    score = Fraction(inputs.fulfilled * 100, inputs.due)
    return score, [f"整改到位 {inputs.fulfilled} ÷ 到期应整改 {inputs.due} × 100 = {half_up(score)}" + pending]


def tasks(component, inputs):
    done = inputs.tasks
    counted = sum(done.values())
    if not counted:
        return None, ["没有已到期的工作任务"]
    parts = [("按时完成", "on_time"), ("逾期完成", "late"), ("逾期未完成", "undone")]
    total = sum((done.get(k, 0) * component[k] for _, k in parts), ZERO)
    score = total / counted
    shown = " + ".join(f"{label} {done.get(k, 0)} 项 × {exact_text(component[k])}" for label, k in parts)
    return score, [f"（{shown}）÷ {counted} 项 = {half_up(score)}"]


def direct(component, inputs):
    value = inputs.direct.get(component["key"])
    if value is None:
        return None, [f"尚未录入{component['name']}分数"]
    maximum = component["max"]
    if maximum == 100:
        return value, [f"录入分数 {show_exact(value)}（满分 100）"]
    score = value * 100 / maximum
    return score, [f"录入分数 {show_exact(value)} ÷ 满分 {exact_text(maximum)} × 100 = {half_up(score)}"]


def findings(component, inputs):
    """(applied deduction, raw deduction, lines) of the confirmed findings."""
    lines = [{"severity": SEVERITY_LABELS[s], "n": inputs.findings.get(s, 0), "points": exact_text(component[s]),
              "subtotal": inputs.findings.get(s, 0) * component[s]} for s in SEVERITY_LABELS]
    raw = sum((line["subtotal"] for line in lines), ZERO)
    for line in lines:
        line["subtotal"] = exact_text(line["subtotal"])
    return min(raw, component["cap"]), raw, lines


def score(component, inputs, rules):
    """(exact 0–100 score or None when there is no data, formula lines, survey type lines or None)."""
    kind = component["kind"]
    if kind == "survey":
        value, lines, _, formula = survey(component, inputs, rules)
        return value, formula, lines
    if kind == "checklist":
        return (*checklist(component, inputs, rules), None)
    if kind == "rectification":
        return (*rectification(component, inputs), None)
    if kind == "tasks":
        return (*tasks(component, inputs), None)
    if kind == "direct":
        return (*direct(component, inputs), None)
    raise ValueError(kind)


# ---- the settings form --------------------------------------------------------------------------------------

def form_rows(components):
    """The form's rows for stored components (strings, as the form shows them)."""
    rows = []
    for c in components:
        row = dict(DEFAULTS.get(c["kind"], {}), **c)
        for name in WEIGHT_MAPS.get(c["kind"], ()):
            row[name] = {k: exact_text(parse_exact(v)) for k, v in (row.get(name) or {}).items()}
        if c["kind"] == "survey":
            row["option_points"] = {k: NOT_COUNTED if v is None else exact_text(parse_exact(v))
                                    for k, v in (row.get("option_points") or {}).items()}
            row["questionnaires"] = [int(q) for q in row.get("questionnaires") or []]
        rows.append(row)
    return rows


def blank_row(kind="direct"):
    return dict(DEFAULTS[kind], key="", name="", kind=kind, weight="", missing="")


def _weights(form, prefix, keys, label, errors, field):
    """{key: canonical text} of the non-empty weight inputs `prefix<key>`; an empty input means the default."""
    typed, clean = {}, {}
    for key in keys:
        raw = form.get(f"{prefix}{key}", "").strip()
        if not raw:
            continue
        typed[str(key)] = raw
        value, message = read_number(raw, label, 0, 100)
        if message:
            errors.setdefault(field, message)
        else:
            clean[str(key)] = exact_text(value)
    return typed, clean


def parse_form(form, context):
    """(typed rows to show again, clean components to store, {field: message}) from the form's `comp-N-*`
    fields. `context`: {"types": {id: name}, "options": {id: label}, "questionnaires": {id: title},
    "questions": [ids], "dimensions": {id: name}, "items": [ids]} of the campaign. A row whose name is
    cleared is removed; keys of existing rows stay (direct scores are kept under them)."""
    typed_rows, clean_rows, errors, n = [], [], {}, 0
    while f"comp-{n}-name" in form:
        p = f"comp-{n}-"
        kind = form.get(p + "kind", "")
        row = dict(DEFAULTS.get(kind, {}), key=form.get(p + "key", "").strip(), name=form.get(p + "name", "").strip()[:20],
                   kind=kind, weight=form.get(p + "weight", "").strip(), missing=form.get(p + "missing", ""), n=n)
        n += 1
        if not row["name"]:
            continue
        typed_rows.append(row)
        field = f"comp-{row['n']}"
        if kind not in KINDS:
            errors[field] = "请选择该评分项的类型"
            continue
        clean = {"key": row["key"], "name": row["name"], "kind": kind, "missing": row["missing"]}
        if row["missing"] not in ("", *MISSING_RULES):
            errors[field] = "请选择该项无数据时的处理办法"
        if kind == "findings":
            clean["weight"] = "0"
        else:
            value, message = read_number(row["weight"], f"“{row['name']}”的权重", 0, 100)
            if message:
                errors[field + "-weight"] = message
            else:
                clean["weight"] = exact_text(value)
        for param, (label, low, high) in NUMBER_PARAMS.get(kind, {}).items():
            row[param] = form.get(p + param, "").strip()
            value, message = read_number(row[param], label, low, high)
            if message:
                errors.setdefault(field, message)
            else:
                clean[param] = exact_text(value)
        if kind == "direct" and clean.get("max") == "0":
            errors.setdefault(field, "满分应大于 0")
        if kind == "survey":
            row["mode"] = clean["mode"] = form.get(p + "mode", "")
            if row["mode"] not in SURVEY_MODES:
                errors.setdefault(field, "请选择问卷的计分方式")
            chosen = [int(q) for q in form.getlist(p + "questionnaires") if q.isdigit()]
            if any(q not in context["questionnaires"] for q in chosen):
                errors.setdefault(field, "请选择本年度的问卷")
            row["questionnaires"] = clean["questionnaires"] = chosen
            by_name = {}
            for type_id, name in context["types"].items():
                raw = form.get(f"{p}tw-{type_id}", "").strip()
                if raw:
                    by_name[name] = raw
            row["type_weights"] = by_name
            clean["type_weights"] = {}
            for name, raw in by_name.items():
                value, message = read_number(raw, f"“{name}”的权重", 0, 100)
                if message:
                    errors.setdefault(field, message)
                else:
                    clean["type_weights"][name] = exact_text(value)
            row["question_weights"], clean["question_weights"] = _weights(
                form, p + "qw-", context["questions"], "题目权重", errors, field)
            row["option_points"], clean["option_points"] = {}, {}
            for option_id, label in context["options"].items():
                raw = form.get(f"{p}op-{option_id}", "").strip()
                if not raw:
                    continue
                row["option_points"][label] = raw
                if raw == NOT_COUNTED:
                    clean["option_points"][label] = None
                    continue
                value, message = read_number(raw, f"“{label}”的分值", 0, 100)
                if message:
                    errors.setdefault(field, message + f"，或填“{NOT_COUNTED}”")
                else:
                    clean["option_points"][label] = exact_text(value)
        if kind == "checklist":
            row["dimension_weights"], clean["dimension_weights"] = _weights(
                form, p + "dw-", context["dimensions"], "方面权重", errors, field)
            row["item_weights"], clean["item_weights"] = _weights(form, p + "iw-", context["items"], "检查项权重",
                                                                  errors, field)
        if kind == "rectification":
            row["mode"] = clean["mode"] = form.get(p + "rmode", "")
            if row["mode"] not in RECTIFICATION_MODES:
                errors.setdefault(field, "请选择整改落实的计分方式")
        clean_rows.append(clean)
    errors.update(check(clean_rows, typed_rows, errors))
    _assign_keys(clean_rows)
    return typed_rows, clean_rows, errors


def check(clean_rows, typed_rows, errors):
    """Whole-scheme checks: names unique, at most one findings component, weights summing to 100."""
    out = {}
    names = [c["name"] for c in clean_rows]
    if not clean_rows:
        out["components"] = "至少设一个评分项"
    elif len(set(names)) != len(names):
        out["components"] = "评分项的名称不能重复"
    elif sum(1 for c in clean_rows if c["kind"] == "findings") > 1:
        out["components"] = "问题扣分只能设一项"
    elif not any(k.startswith("comp-") for k in errors):
        weighted = [c for c in clean_rows if is_weighted(c)]
        total = sum((parse_exact(c["weight"]) for c in weighted), ZERO)
        if not weighted or total <= 0:
            out["components"] = "至少要有一个权重大于 0 的评分项（问题扣分之外）"
        elif total != HUNDRED:
            out["components"] = (f"各评分项的权重之和应为 100，现为 {exact_text(total)}"
                                 f"（{' + '.join(c['weight'] for c in weighted)}）")
    return out


def _assign_keys(rows):
    """Keep valid existing keys; give new rows (or a duplicated key) a fresh one."""
    seen = set()
    for row in rows:
        if not KEY_PATTERN.match(row["key"] or "") or row["key"] in seen:
            row["key"] = ""
        seen.add(row["key"])
    number = 1
    for row in rows:
        if not row["key"]:
            while f"c{number}" in seen:
                number += 1
            row["key"] = f"c{number}"
            seen.add(row["key"])
