"""Read and check the scoring-rules form (综合评定办法): every message in Chinese, next to its field."""
import json

from pingyi.exact import exact_text, parse_exact, read_number
from pingyi.findings.models import SEVERITY_LABELS
from pingyi.forms import plain_int
from pingyi.results import components
from pingyi.results.groups import KEY_RULES, describe, overlap
from pingyi.results import quotas
from pingyi.results.returns import SHORTFALL_RULES
from pingyi.results.scoring import MISSING_RULES

NUMBER_FIELDS = {}  # weights, points and deductions are the components' (pingyi.results.components)
INT_FIELDS = {}     # 先进/末位 are each group's quota (pingyi.results.quotas)
TEXT_FIELDS = ("top_text", "bottom_text")


def form_from_config(config):
    """The form's values for a stored config (as strings, the way the form shows them)."""
    values = {k: exact_text(getattr(config, k)) for k in NUMBER_FIELDS}
    values.update({k: str(getattr(config, k)) for k in INT_FIELDS})
    values.update({k: getattr(config, k) for k in TEXT_FIELDS})
    values.update(veto_severity=config.veto_severity, veto_grade=config.veto_grade,
                  veto_dimensions=sorted(config.veto_dimension_ids), version=config.version,
                  missing_rule=config.missing_rule, **returns_form(config),
                  grades=[{"name": g["name"], "min": "" if g["min"] is None else exact_text(parse_exact(g["min"])),
                           "inclusive": g["inclusive"]} for g in config.grades],
                  groups=[dict(g, quota=quotas.form_values(g.get("quota")), clean_quota=quotas.quota_of(g))
                          for g in config.groups],
                  components=components.form_rows(components.stored(config)))
    return values


def parse(form, dimension_ids, categories, context):
    """(typed values to show again, config values ready to store, {field: message}). `categories`: {key: name}
    of the campaign's categories that ranking groups may use; `context`: the campaign's survey and checklist
    ids for the score components (components.parse_form)."""
    errors, typed, clean = {}, {}, {}
    for key, (label, low, high) in NUMBER_FIELDS.items():
        typed[key] = form.get(key, "").strip()
        clean[key], message = read_number(typed[key], label, low, high)
        if message:
            errors[key] = message
    for key, (label, low, high) in INT_FIELDS.items():
        typed[key] = form.get(key, "").strip()
        if plain_int(typed[key]) is not None and low <= plain_int(typed[key]) <= high:
            clean[key] = plain_int(typed[key])
        else:
            errors[key] = f"{label}应为 {low} 至 {high} 的整数"
    for key in TEXT_FIELDS:
        typed[key] = clean[key] = form.get(key, "").strip()[:500]
    typed["components"], clean_components, component_errors = components.parse_form(form, context)
    errors.update(component_errors)
    clean["components_json"] = json.dumps(clean_components, ensure_ascii=False)

    grades, n = [], 0
    while f"grade-{n}-name" in form:
        name = form.get(f"grade-{n}-name", "").strip()[:20]
        raw_min = form.get(f"grade-{n}-min", "").strip()
        inclusive = form.get(f"grade-{n}-inclusive")
        if name or raw_min:
            grades.append({"name": name, "min": raw_min, "inclusive": inclusive != "n", "chosen": inclusive, "n": n})
        n += 1
    typed["grades"] = grades
    clean_grades = []
    for position, g in enumerate(grades):
        last = position == len(grades) - 1
        if not g["name"]:
            errors[f"grade-{g['n']}"] = "请填写等次名称"
            continue
        if g["chosen"] not in ("y", "n") and not last:
            errors[f"grade-{g['n']}"] = "请选择恰好等于分数线时是否评为该等次（以上／高于）"
            continue
        if last:
            if g["min"]:
                errors[f"grade-{g['n']}"] = "最后一个等次是兜底等次，不设分数线"
            clean_grades.append({"name": g["name"], "min": None, "inclusive": True})
            continue
        bound, message = read_number(g["min"], "该等次的分数线", 0, 100)
        if message:
            errors[f"grade-{g['n']}"] = message
            continue
        if clean_grades and clean_grades[-1]["min"] is not None and bound >= parse_exact(clean_grades[-1]["min"]):
            errors[f"grade-{g['n']}"] = "分数线应从高到低排列"
        clean_grades.append({"name": g["name"], "min": exact_text(bound), "inclusive": g["inclusive"]})
    names = [g["name"] for g in clean_grades]
    if len(clean_grades) < 2:
        errors["grades"] = "至少设两个等次"
    elif len(set(names)) != len(names):
        errors["grades"] = "等次名称不能重复"

    groups, n = [], 0
    while f"group-{n}-name" in form:
        name = form.get(f"group-{n}-name", "").strip()[:50]
        chosen = [k for k in form.getlist(f"group-{n}-categories") if k]
        key_rule = form.get(f"group-{n}-key", "")
        published = form.get(f"group-{n}-published") == "y"
        if name:
            typed_quota, quota, quota_errors = quotas.parse(form, n)
            groups.append({"name": name, "categories": chosen, "key": key_rule, "published": published, "n": n,
                           "quota": typed_quota, "clean_quota": None if quota_errors else quota})
            errors.update({f"group-{n}-{k}": message for k, message in quota_errors.items()})
        n += 1
    typed["groups"] = groups
    for g in groups:
        if any(k not in categories for k in g["categories"]):
            errors[f"group-{g['n']}"] = "请选择本年度的评议类别"
        elif g["key"] not in KEY_RULES:
            errors[f"group-{g['n']}"] = "请选择该组是否包括重点评议部门"
    group_names = [g["name"] for g in groups]
    if not groups:
        errors["groups"] = "至少设一个排名分组"
    elif len(set(group_names)) != len(group_names):
        errors["groups"] = "排名分组的名称不能重复"
    elif not any(k.startswith("group-") and k.count("-") == 1 for k in errors):
        for i, a in enumerate(groups):
            clash = next((b for b in groups[:i] if overlap(a, b)), None)
            if clash is not None:
                errors[f"group-{a['n']}"] = (f"与“{clash['name']}”包括的单位重叠（{describe(clash, categories)}），"
                                             "同一单位只能在一个组内排名：请调整类别或重点评议部门的选择")
    typed["missing_rule"] = clean["missing_rule"] = form.get("missing_rule", "")
    if typed["missing_rule"] not in MISSING_RULES:
        errors["missing_rule"] = "请选择某项无数据时的处理办法"
    typed["veto_severity"] = form.get("veto_severity", "")
    typed["veto_grade"] = form.get("veto_grade", "").strip()
    typed["veto_dimensions"] = [plain_int(x) for x in form.getlist("veto_dimensions") if plain_int(x) is not None]
    typed["version"] = form.get("version", "")
    if typed["veto_severity"] not in ("", *SEVERITY_LABELS):
        errors["veto_severity"] = "请选择触发一票否决的问题程度"
    if typed["veto_severity"] and typed["veto_grade"] not in names:
        errors["veto_grade"] = "请选择一票否决后的最高等次"
    if any(d not in dimension_ids for d in typed["veto_dimensions"]):
        errors["veto_dimensions"] = "请选择本年度的评议方面"
    clean.update(veto_severity=typed["veto_severity"], veto_grade=typed["veto_grade"],
                 veto_dimensions=",".join(str(d) for d in typed["veto_dimensions"]),
                 grades_json=json.dumps(clean_grades, ensure_ascii=False),
                 groups_json=json.dumps([{**{k: g[k] for k in ("name", "categories", "key", "published")},
                                          "quota": g["clean_quota"]} for g in groups], ensure_ascii=False))
    parse_returns(form, typed, clean, errors)
    return typed, clean, errors


def returns_form(config):
    """The return-rate minimum as the form shows it."""
    return {"min_return_rate": exact_text(config.min_return_rate) if config.min_return_rate is not None else "",
            "min_valid_ballots": str(config.min_valid_ballots or ""), "return_shortfall": config.return_shortfall}


def parse_returns(form, typed, clean, errors):
    """The return-rate minimum: a rate in % (blank: none), a number of questionnaires (blank: none), and
    whether a unit short of it is unrated or flagged."""
    typed["min_return_rate"] = form.get("min_return_rate", "").strip()
    clean["min_return_rate"] = None
    if typed["min_return_rate"]:
        clean["min_return_rate"], message = read_number(typed["min_return_rate"], "最低回收率", 0, 100)
        if message:
            errors["min_return_rate"] = message + "（不设请留空）"
    typed["min_valid_ballots"] = form.get("min_valid_ballots", "").strip()
    clean["min_valid_ballots"] = 0
    if typed["min_valid_ballots"]:
        clean["min_valid_ballots"] = plain_int(typed["min_valid_ballots"], 100_000)
        if clean["min_valid_ballots"] is None:
            errors["min_valid_ballots"] = "最少有效问卷数应为 0 至 100000 的整数（不设请留空）"
            clean["min_valid_ballots"] = 0
    typed["return_shortfall"] = clean["return_shortfall"] = form.get("return_shortfall", "")
    if typed["return_shortfall"] not in SHORTFALL_RULES:
        errors["return_shortfall"] = "请选择达不到最低回收要求时的处理办法"


def rules_values(clean):
    """A dict rules_from_config() accepts, from parse()'s clean values (nothing stored)."""
    values = dict(clean)
    values.update(grades=json.loads(clean["grades_json"]), groups=json.loads(clean["groups_json"]),
                  veto_dimension_ids={int(x) for x in clean["veto_dimensions"].split(",") if x},
                  components=json.loads(clean["components_json"]))
    return values
