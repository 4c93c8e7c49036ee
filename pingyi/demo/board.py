"""The demo county's year on the task board: who submitted what, when, and how the office answered.

县公安局 (the `unit` account) went through every stage, including one report returned and
resubmitted; 县教育局 (`unit2`) lags behind with a returned report and overdue tasks; the other
units follow a spread that makes the board's counts look like a real county in late November.
"""
import io
from datetime import datetime, timedelta

from docx import Document

from pingyi.tasks import services
from pingyi.timeutil import acting_at

POLICE, EDUCATION = "县公安局", "县教育局"
NOTES = {
    "组织学习实施方案": "已于4月中旬召开全体干部职工大会传达学习实施方案，参加 {n} 人。",
    "征求内部、下属单位、服务对象和社会各界意见": "通过座谈会、意见箱和网上留言征求意见，共收集意见建议 {n} 条。",
    "组织义务监督员自查自评": "邀请义务监督员参加自查自评座谈会，提出意见 {m} 条。",
    "制订整改措施": "针对自查发现的 {m} 个问题逐条制订整改措施，明确责任人和时限。",
    "逐条对照整改，能解决的限时解决": "已整改到位 {m} 项，其余问题已列入整改计划。",
    "政策性问题作出说明": "无政策性问题。",
}
FILE_TITLES = {
    "成立评议工作领导小组": "关于成立政风行风评议工作领导小组的通知",
    "制定本单位评议方案": "政风行风评议工作实施方案",
    "书面报告自查自评情况": "政风行风评议自查自评情况报告",
    "书面承诺书报纠风办备案": "政风行风评议整改承诺书",
    "书面总结报告": "政风行风评议工作总结报告",
}


def _docx(unit_name, title):
    doc = Document()
    doc.add_heading(f"{unit_name}{title}", level=1)
    doc.add_paragraph(f"县纠风办：根据《关于开展2026年度政风行风评议工作的通知》要求，{unit_name}高度重视，"
                      "成立了由主要负责人任组长的评议工作领导小组，现将有关情况报告如下。")
    doc.add_paragraph("一、主要工作情况。按照实施方案，认真组织学习，广泛征求意见，逐条对照评议内容开展自查。")
    doc.add_paragraph("二、存在的问题。个别窗口服务效率不高，办事指南公开不够及时。")
    doc.add_paragraph("三、下一步措施。完善首问负责、限时办结制度，按期公开办事流程和收费标准。")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _pdf(text):
    """A one-page PDF with a line of ASCII text: small, valid, opens in any reader."""
    stream = f"BT /F1 14 Tf 72 760 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _at(day, index, hour=9):
    return datetime(day.year, day.month, day.day, hour + index % 8, (index * 7) % 60)


def _submit(task, unit, user, index, when, files_as_docx=False):
    note = NOTES.get(task.title, "").format(n=60 + index * 3 % 90, m=3 + index % 5)
    uploads = []
    if task.requires_file:
        title = FILE_TITLES.get(task.title, task.title)
        if files_as_docx:
            uploads = [(f"{unit.name}{title}.docx", _docx(unit.name, title))]
        else:
            uploads = [(f"{unit.name}{title}.pdf", _pdf(f"{title} - {unit.short_name or unit.name} 2026"))]
    sub = services.submission_for(task, unit)
    with acting_at(when):
        return services.submit(task, unit, user, note or "已按要求完成。", uploads, sub.version if sub else None)


def _review(sub, office, when, reason=None):
    with acting_at(when):
        if reason:
            services.return_submission(sub, office, reason)
        else:
            services.confirm(sub, office)


def load(campaign, units, liaisons, office):
    """Play the demo year onto the 2026 board; units without a liaison account submitted nothing."""
    tasks = services.campaign_tasks(campaign.id)
    unit_tasks = [t for t in tasks if t.for_units]
    ordered = sorted(units.values(), key=lambda u: u.sort_order)
    for index, unit in enumerate(ordered):
        if unit.id in liaisons:
            for task in unit_tasks:
                _play(task, unit, liaisons[unit.id], office, index)
    for task in tasks:
        if not task.for_units and task.title != "召开评议结果反馈会，全县通报" and task.title != "满意度测评":
            with acting_at(_at(task.due_date - timedelta(days=2), 0, 15)):
                services.set_task_done(task, office, True)


def _play(task, unit, user, office, index):
    due = task.due_date
    if unit.name == POLICE:
        early = due - timedelta(days=4)
        sub = _submit(task, unit, user, index, _at(early, 1), files_as_docx=True)
        if task.title == "书面报告自查自评情况":
            _review(sub, office, _at(early + timedelta(days=1), 2), "报告缺少问题清单和整改措施，请补充后重新提交。")
            sub = _submit(task, unit, user, index, _at(early + timedelta(days=2), 3), files_as_docx=True)
        _review(sub, office, _at(early + timedelta(days=3), 4))
        return
    if unit.name == EDUCATION:
        if task.phase_number == 1:
            sub = _submit(task, unit, user, index, _at(due - timedelta(days=1), 5), files_as_docx=True)
            _review(sub, office, _at(due + timedelta(days=3), 2))
        elif task.title == "征求内部、下属单位、服务对象和社会各界意见":
            _submit(task, unit, user, index, _at(due + timedelta(days=6), 3))
        elif task.title == "书面报告自查自评情况":
            sub = _submit(task, unit, user, index, _at(due - timedelta(days=1), 6), files_as_docx=True)
            _review(sub, office, _at(due + timedelta(days=2), 1), "报告内容与本单位实际不符，未列出自查发现的问题，请重新撰写。")
        return
    # Everyone else: early phases complete, later ones thinning out; a few units always late.
    skip = {1: False, 2: False, 3: index % 7 == 3, 4: index % 4 == 1}
    if skip[task.phase_number]:
        return
    sub = _submit(task, unit, user, index, _at(due - timedelta(days=1 + index % 6), index))
    reviewed = task.phase_number <= 2 or (task.phase_number == 3 and index % 3 != 0) or index % 5 == 0
    if reviewed:
        _review(sub, office, _at(due + timedelta(days=2 + index % 3), index, 10))


