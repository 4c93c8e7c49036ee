"""The demo county's feedback loop: June notices, receipts, answers of every kind, progress, verification,
extensions, commitment letters and re-checks.

县公安局 went through all of it (one item of each kind, its letter filed, a re-check); 县教育局 has not
confirmed receipt of its notice, so it is flagged; the other units spread over the loop's stages.
"""
from datetime import date, datetime, timedelta

from pingyi.checklists.services import dimensions
from pingyi.demo.board import _pdf
from pingyi.feedback import services as feedback
from pingyi.rectifications import services as rect
from pingyi.timeutil import acting_at

SUGGESTIONS = {
    "责任落实": "进一步细化纠风工作任务分解，明确到科室和责任人，纳入年度目标考核。",
    "依法行政": "立即停止违规行为，开展专项清理，对相关责任人批评教育，并向服务对象作出说明。",
    "政务公开": "全面核对公示内容，在办事大厅和门户网站同步更新，建立每月核对制度。",
    "服务质量": "加强窗口人员文明服务培训，落实首问负责、一次性告知和限时办结制度。",
    "清正廉洁": "开展廉政警示教育，严格执行廉洁自律规定，设立举报电话并公开。",
    "制度建设": "完善群众诉求受理、办理、反馈台账，做到件件有登记、事事有回音。",
}


def _at(day, hour=10, minute=0):
    return datetime(day.year, day.month, day.day, hour, minute)


def _send(campaign, unit, office, day, extra=(), deadlines=None):
    with acting_at(_at(day, 9)):
        notice = feedback.compile_notice(campaign, unit, "june", office)
        for n, item in enumerate(notice.items):
            feedback.save_item(notice, item, item.version, item.dimension_id, item.problem,
                               SUGGESTIONS.get(item.dimension.name, "认真对照整改，按期报告整改情况。"),
                               (deadlines or {}).get(n, item.deadline))
        for dimension_id, problem, suggestion in extra:
            feedback.save_item(notice, None, None, dimension_id, problem, suggestion, notice.answer_deadline)
    with acting_at(_at(day + timedelta(days=2), 16)):
        feedback.send_notice(notice, office)
    return notice


def _answer(item, user, day, kind, deadline=None, owner="办公室主任", leader="分管副职", department="办公室"):
    values = {"measures": "制定整改方案，明确专人负责，逐项落实并建立长效机制。" if kind != "policy" else "",
              "owner": owner if kind != "policy" else "", "deadline": deadline,
              "leader": leader if kind != "policy" else "", "department": department if kind != "policy" else "",
              "commitment": "向社会公开承诺按期整改到位，接受群众监督。" if kind == "plan" else "",
              "explanation": "该事项办理时限由上级主管部门统一规定，本单位已向上级反映群众诉求。" if kind == "policy" else ""}
    with acting_at(_at(day, 15)):
        return rect.answer_item(item, user, kind, values)


def _complete(r, user, day, note="已按整改措施完成整改。"):
    with acting_at(_at(day, 11)):
        rect.add_update(r, user, note, [("整改佐证材料.pdf", _pdf("Rectification evidence"))], True)


def load(campaign, units, liaisons, accounts):
    office, supervisor = accounts["office"], accounts["supervisor"]
    police, education = units["县公安局"], units["县教育局"]
    dims = dimensions(campaign.id)
    sent_on = date(2026, 6, 26)

    notice = _send(campaign, police, office, sent_on, [(dims[3].id, "群众反映出入境证件办理时限较长",
                                                       "对确属政策规定的时限，做好解释说明，并向上级反映群众诉求。")],
                   deadlines={1: date(2026, 12, 31)})  # the website overhaul cannot be done by August
    with acting_at(_at(date(2026, 6, 29), 8, 40)):
        feedback.receive_notice(notice, liaisons[police.id])
    fix, plan, policy_item = notice.items[0], notice.items[1], notice.items[2]
    liaison = liaisons[police.id]
    r_fix = _answer(fix, liaison, date(2026, 7, 3), "fix", date(2026, 7, 31), "户政大队教导员 刘强", "副局长 李卫东",
                    "户政管理大队")
    with acting_at(_at(date(2026, 7, 12), 10)):
        rect.add_update(r_fix, liaison, "已组织窗口人员文明用语培训两期，共 46 人参加。", [], False)
    _complete(r_fix, liaison, date(2026, 7, 28), "窗口全部实行首问负责和一次性告知，群众满意度回访 98%。")
    with acting_at(_at(date(2026, 8, 3), 15)):
        rect.verify(r_fix, office, True, "经暗访复查，窗口服务规范，整改到位。")
    r_plan = _answer(plan, liaison, date(2026, 7, 3), "plan", date(2026, 12, 31), "办公室主任 周敏", "政委 陈立新",
                     "警务保障室")
    _answer(policy_item, liaison, date(2026, 7, 4), "policy")
    with acting_at(_at(date(2026, 7, 30), 9)):
        rect.submit_letter(campaign, police, liaison, [("县公安局整改承诺书（盖章）.pdf", _pdf("Commitment letter"))])
    with acting_at(_at(date(2026, 8, 2), 10)):
        rect.file_letter(rect.letter_for(campaign, police), office, "承诺事项清楚，准予备案。")
    with acting_at(_at(date(2026, 10, 15), 17)):
        rect.recheck(r_plan, supervisor, "partly", "公示栏已更新，网站收费标准仍为旧版本。", date(2026, 10, 15))
    with acting_at(_at(date(2026, 10, 20), 14)):
        rect.request_extension(r_plan, liaison, date(2027, 3, 31), "门户网站改版需上级统一部署，预计明年一季度上线。")

    _send(campaign, education, office, sent_on)  # never confirmed: flagged as overdue receipt

    # Sent over three days, in the order of the days: numbers follow the order of sending and dates.
    ordered = sorted(units.values(), key=lambda u: u.sort_order)
    for day, index, unit in sorted((sent_on + timedelta(days=i % 3), i, u) for i, u in enumerate(ordered)):
        if unit in (police, education) or not feedback.unreported_findings(campaign, unit):
            continue
        notice = _send(campaign, unit, office, day)
        user = liaisons.get(unit.id)
        if user is None or index % 6 == 2:
            continue  # no liaison account, or not yet signed
        with acting_at(_at(notice.sent_at.date() + timedelta(days=1 + index % 4), 9)):
            feedback.receive_notice(notice, user)
        for k, item in enumerate(notice.items):
            stage = (index + k) % 5
            if stage == 0:
                continue  # not answered yet
            kind = "plan" if stage == 4 else "fix"
            r = _answer(item, user, date(2026, 7, 6 + index % 10), kind, date(2026, 8, 25 + index % 5))
            if stage in (2, 3):
                _complete(r, user, date(2026, 8, 20 + index % 5))
                if stage == 3:
                    with acting_at(_at(date(2026, 9, 2 + index % 10), 10)):
                        rect.verify(r, office, index % 4 != 0, "" if index % 4 else "公示内容仍未更新，请继续整改。")
            if stage == 1 and index % 4 == 1:
                with acting_at(_at(date(2026, 8, 18), 10)):
                    ext = rect.request_extension(r, user, date(2026, 10, 31), "涉及设备采购，需履行政府采购程序。")
                with acting_at(_at(date(2026, 8, 20), 10)):
                    rect.decide_extension(ext, office, True, "同意延期，请按新时限完成。")
