"""The demo county's checklists and inspections: self-checks, ratings, findings and opinions.

县公安局 has a complete self-check, the key-unit group's full rating and findings that were
confirmed or dismissed; 县教育局's self-check stopped half-way and its findings include a severe
one; other units get a spread of inspections so that the matrix looks like a county in November.
"""
from datetime import date, datetime

from pingyi.checklists import services as checklist_services
from pingyi.findings import services
from pingyi.timeutil import acting_at

POLICE, EDUCATION = "县公安局", "县教育局"
EXPLAIN = {
    "basic": "个别窗口办事指南更新不及时，已要求各窗口每月核对一次。",
    "problem": "群众反映户籍窗口午间无人值守，已安排轮流值班。",
}
PROBLEMS = (  # (dimension index, item index or None, severity, source, description)
    (3, 1, "minor", "unannounced", "窗口工作人员接待群众时态度生硬，未使用规范用语"),
    (2, 0, "minor", "visit", "办事大厅公示的收费标准未随政策调整及时更新"),
    (1, 2, "major", "public", "群众反映办理证照时被要求购买指定的照片服务"),
    (3, 1, "major", "forum", "同一事项需多次往返，办事效率不高"),
    (5, 0, "minor", "report", "群众反映问题的受理台账登记不完整"),
    (0, 1, "minor", "report", "纠风工作任务分解不够具体，未落实到科室"),
    (4, 1, "severe", "public", "有群众反映个别工作人员在审批中收受礼品"),
    (2, 2, "minor", "survey", "依申请公开的答复超过法定期限"),
)


def _at(day, hour=10):
    return datetime(day.year, day.month, day.day, hour, 20)


def _rate(unit, items, kind, user, when, pattern):
    for index, item in enumerate(items):
        rating = pattern(index, item)
        if rating is None:
            continue
        with acting_at(_at(when, 9 + index % 8)):
            checklist_services.save_assessment(unit, item, kind, user, rating, EXPLAIN.get(rating, ""), None)


def _inspect(campaign, unit, user, dims, day, method, problems, opinions=(), summary=""):
    findings = []
    for d, i, severity, source, text in problems:
        dim = dims[d]
        findings.append({"dimension_id": dim.id, "item_id": dim.items[i].id if i is not None else None,
                         "description": text, "severity": severity, "source": source,
                         "reporter": "王先生 139****2231" if source == "public" else "",
                         "confidential": source == "public", "uploads": []})
    values = {"method": method, "held_on": day, "place": f"{unit.name}办事大厅", "participants": user.display_name,
              "summary": summary or f"对{unit.name}开展{'明察暗访' if method == 'unannounced' else '检查'}，重点查看窗口服务和政务公开情况。"}
    with acting_at(_at(day, 15)):
        return services.save_inspection(campaign, unit, user, values, findings, list(opinions), True)


def _decide(inspection, office, day, decisions):
    with acting_at(_at(day, 11)):
        for finding, decision in zip(inspection.findings, decisions):
            if decision == "confirm":
                services.confirm_finding(finding, office)
            elif decision:
                services.dismiss_finding(finding, office, decision)
        for opinion in inspection.opinions:
            services.confirm_opinion(opinion, office)


def load(campaign, units, accounts):
    office, evaluator, supervisor = accounts["office"], accounts["evaluator"], accounts["supervisor"]
    dims = checklist_services.dimensions(campaign.id)
    items = [i for d in dims for i in d.items]
    police, education = units[POLICE], units[EDUCATION]
    liaison, liaison2 = accounts["unit"], accounts["unit2"]

    _rate(police, items, "self", liaison, date(2026, 6, 8),
          lambda n, item: "basic" if n == 7 else "problem" if n == 10 else "meets")
    _rate(police, items, "review", evaluator, date(2026, 6, 22),
          lambda n, item: "basic" if n in (7, 10, 17) else "meets")
    _rate(education, items[:9], "self", liaison2, date(2026, 6, 26), lambda n, item: "meets")
    _rate(education, items[:6], "review", evaluator, date(2026, 6, 24),
          lambda n, item: "problem" if n == 5 else "basic" if n == 4 else "meets")

    first = _inspect(campaign, police, supervisor, dims, date(2026, 6, 12), "unannounced",
                     [PROBLEMS[0], (3, 2, "minor", "unannounced", "午间办事窗口无人值守，群众等候超过半小时")],
                     summary="以办事群众身份到户籍、出入境窗口暗访，观察接待和办理情况。")
    _decide(first, office, date(2026, 6, 15), ["confirm", "经核实为群众误解，当日窗口有人值守，不予采纳"])
    forum = _inspect(campaign, police, evaluator, dims, date(2026, 6, 18), "forum", [PROBLEMS[1]],
                     ["希望延长周末户籍窗口的办理时间", "建议在办事大厅增设自助查询终端"])
    _decide(forum, office, date(2026, 6, 20), ["confirm"])

    severe = _inspect(campaign, education, evaluator, dims, date(2026, 6, 16), "visit",
                      [PROBLEMS[2], PROBLEMS[7], PROBLEMS[4]], ["学校收费公示应放在校门口显眼位置"])
    _decide(severe, office, date(2026, 6, 19), ["confirm", "confirm", "confirm"])
    _inspect(campaign, education, supervisor, dims, date(2026, 11, 12), "unannounced",
             [(1, 2, "severe", "unannounced", "暗访发现个别学校仍在收取教辅资料费")])

    ordered = sorted(units.values(), key=lambda u: u.sort_order)
    for index, unit in enumerate(ordered):
        if unit.name in (POLICE, EDUCATION) or index % 5 == 4:
            continue  # every fifth unit has not been inspected yet
        picked = [PROBLEMS[(index + k * 3) % len(PROBLEMS)] for k in range(index % 4)]
        picked = [p for p in picked if p[2] != "severe" or index % 9 == 0]
        day = date(2026, 6, 3 + index % 25) if index % 3 else date(2026, 11, 2 + index % 20)
        method = ("unannounced", "visit", "forum", "report")[index % 4]
        inspection = _inspect(campaign, unit, office, dims, day, method, picked)
        if index % 7 != 1:  # a few inspections still wait for the office's review
            _decide(inspection, office, day.replace(day=min(day.day + 3, 28)),
                    ["confirm" if k % 3 != 2 else "与已确认问题重复，不予采纳" for k in range(len(picked))])
