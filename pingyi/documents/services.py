"""Gather each document's data, build it, record issued copies, and export batches as one .zip."""
import hashlib
import io
import secrets
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from pingyi.audit.services import record
from pingyi.campaigns.models import Campaign, Participation
from pingyi.checklists.services import dimensions
from pingyi.documents import builders, parallel, render
from pingyi.documents.models import KIND_LABELS, LETTER_KINDS, DocumentBatch, IssuedDocument
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.feedback.models import FeedbackItem, FeedbackNotice
from pingyi.feedback.services import next_letter_number
from pingyi.findings.models import METHOD_LABELS, Inspection
from pingyi.jobs import services as jobs
from pingyi.overdue import overdue_groups
from pingyi.rectifications import services as rectification_services
from pingyi.rectifications.models import Rectification
from pingyi.results import services as results
from pingyi.results.models import MARK_LABELS
from pingyi.tasks.services import filtered_units
from pingyi.timeutil import cn_date, local, today, utcnow
from pingyi.units.models import Unit


class DocumentMissing(DomainError):
    """The document's source data is missing; the message says what and where to fill it in."""


def _org(campaign):
    return f"{campaign.office_full_name}文件"


def letter_number(campaign, number=None):
    """×纠风办函〔2026〕N号; before issuing (a preview, a batch) the number is left blank to be filled in."""
    return f"{campaign.doc_prefix}函〔{campaign.year}〕{number or '　　'}号"


def _letter(campaign):
    """What every 信函 carries: the organisation's name without 文件, the office and its short name."""
    return {"letter": True, "org": campaign.office_full_name, "office": campaign.office_full_name,
            "office_short": campaign.office_name, "year": campaign.year,
            "notice_number": notice_number(campaign)}


# Each built document (preview, issue, batch) goes through render.finished: its 版记 on an even page.
BUILDERS = {kind: (lambda kind, builder: lambda data: render.finished(kind, data, builder))(kind, builder)
            for kind, builder in builders.BUILDERS.items()}


def notice_number(campaign):
    return f"{campaign.doc_prefix}发〔{campaign.year}〕{campaign.notice_number}号" if campaign.notice_number else ""


NOTICE_MISSING = "请先在“管理 → 评议设置”中填写评议工作通知的发文序号和成文日期"


def notice_data(campaign):
    if not campaign.notice_number or not campaign.notice_date:
        raise DocumentMissing(NOTICE_MISSING)
    parts = db.session.execute(select(Participation, Unit).join(Unit).where(
        Participation.campaign_id == campaign.id, Unit.active).order_by(Unit.sort_order)).all()
    counts = {"department": 0, "institution": 0, "stationed": 0}
    for _, unit in parts:
        counts[unit.category] = counts.get(unit.category, 0) + 1  # categories are data: a new one counts too

    def window(start, end):
        return f"{start.month}月{start.day}日至{end.month}月{end.day}日"

    round1, round2 = window(campaign.round1_start, campaign.round1_end), window(campaign.round2_start, campaign.round2_end)
    texts = {1: "印发实施方案和通知，各单位组织学习，成立评议工作领导小组，制定本单位评议方案",
             2: f"各单位广泛征求意见，开展自查自评；{round1}开展第一轮集中评议，纠风办会同评议组、义务监督员进行抽查，"
                "收集梳理问题，反馈评议意见",
             3: "各单位逐条对照整改，能解决的限时解决，一时无条件解决的列出整改计划并向社会承诺",
             4: f"各单位于{cn_date(campaign.report_deadline)}前书面总结报告；{round2}开展第二轮集中评议，组织践诺情况"
                "明察暗访和满意度测评，形成评议意见，召开反馈会并全县通报"}
    last = max((campaign.round2_end, campaign.report_deadline))
    groups = []
    for g in campaign.groups:
        leader = next((m for m in g.members if m.member_role == "leader"), None)
        groups.append((g.name, g.scope_label, f"{leader.name}（{leader.title}）" if leader else "待定",
                       "、".join(f"{m.name}（{m.title}）" for m in g.members if m is not leader) or "待定"))
    return {
        "org_mark": _org(campaign), "number": notice_number(campaign), "year": campaign.year,
        "office": campaign.office_full_name, "date": campaign.notice_date, "counts": counts,
        "key_units": [u.short_name or u.name for p, u in parts if p.is_key],
        "stationed": [u.short_name or u.name for p, u in parts if u.category == "stationed"],
        "dimensions": [(d.name, [i.text for i in d.items]) for d in dimensions(campaign.id)],
        "groups": groups,
        # The last phase runs to the end of the second round, so no step falls after the step list ends.
        "phases": [(p.name, f"{p.start_date.month}月{p.start_date.day}日",
                    f"{(max(p.end_date, last) if p.number == 4 else p.end_date).month}月"
                    f"{(max(p.end_date, last) if p.number == 4 else p.end_date).day}日",
                    texts.get(p.number, "")) for p in campaign.phases],
        "round1": f"{cn_date(campaign.round1_start)}至{cn_date(campaign.round1_end)}",
        "round2": f"{cn_date(campaign.round2_start)}至{cn_date(campaign.round2_end)}",
        "report_deadline": cn_date(campaign.report_deadline),
        "contact": campaign.contact_name, "phone": campaign.contact_phone,
    }


def _latest_sent(campaign, unit, items=True):
    """The unit's latest sent notice, with its items and their dimensions unless `items` is False."""
    query = select(FeedbackNotice).where(
        FeedbackNotice.campaign_id == campaign.id, FeedbackNotice.unit_id == unit.id, FeedbackNotice.status == "sent")
    if items:
        query = query.options(selectinload(FeedbackNotice.items).selectinload(FeedbackItem.dimension))
    return db.session.scalar(query.order_by(FeedbackNotice.sent_at.desc(), FeedbackNotice.id.desc()).limit(1))


def feedback_data(campaign, unit):
    notice = _latest_sent(campaign, unit)
    if notice is None:
        raise DocumentMissing(f"{unit.name}还没有已发送的评议意见反馈，请先在“反馈”中起草并发送")
    return feedback_notice_text(campaign, notice)


def feedback_notice_text(campaign, notice):
    """The 反馈通知书's content for one notice (a draft is dated today, its number left blank): the Word file
    and the preview on screen are both made from it, so they read the same."""
    unit, on = notice.unit, local(notice.sent_at).date() if notice.sent_at else today()
    grouped = {}
    for item in notice.items:
        grouped.setdefault(item.dimension.name, []).append(item.problem)
    return _letter(campaign) | {
        "number": notice.number_label(campaign.doc_prefix) or letter_number(campaign), "unit": unit.name,
        "round": notice.round_label, "methods": _methods(campaign, unit, on), "overall": notice.overall,
        "problems": list(grouped.items()), "flat_problems": [i.problem for i in notice.items],
        "suggestions": [(i.suggestion, cn_date(i.deadline)) for i in notice.items],
        "answer_deadline": cn_date(notice.answer_deadline), "date": on,
        "cc": ["县纪委", "县政府办公室"],
    }


def _methods(campaign, unit, until):
    """"采取明察暗访、问卷调查等方式" from the unit's own submitted inspections up to `until`."""
    methods = []
    for method in db.session.scalars(select(Inspection.method).where(
            Inspection.campaign_id == campaign.id, Inspection.unit_id == unit.id, Inspection.status != "draft",
            Inspection.held_on <= until).order_by(Inspection.held_on)):
        if METHOD_LABELS.get(method) and METHOD_LABELS[method] not in methods:
            methods.append(METHOD_LABELS[method])
    return f"采取{'、'.join(methods or ['明察暗访', '问卷调查', '民意测评'])}等方式"


def rectification_data(campaign, unit, deadline=None, number=None, on=None):
    """整改通知书: each problem of the unit's latest sent notice that is overdue or found not rectified, with
    the date and way it was found and the facts; `deadline` is the new one the office sets on issuing
    (a preview proposes fifteen days on), `number` the 函 number the register gives it."""
    on = on or today()
    notice = _latest_sent(campaign, unit)
    if notice is None:
        raise DocumentMissing(f"{unit.name}还没有已发送的评议意见反馈，无从下发整改通知书")
    items = []
    for item in notice.items:
        rect = item.rectification
        due = rect.deadline if rect and rect.deadline else item.deadline
        if rect is None and due < on:
            state = "逾期未答复整改"
        elif rect is not None and rect.status == "failed":
            state = "经核实未整改到位"
        elif rect is not None and rect.status == "answered" and due < on:
            state = "超过整改时限仍未整改到位"
        else:
            continue
        finding = item.finding
        found_on = finding.inspection.held_on if finding and finding.inspection else local(notice.sent_at).date()
        method = (METHOD_LABELS.get(finding.inspection.method) if finding and finding.inspection else None) or "评议"
        check = finding.item.text.rstrip("。；") if finding and finding.item else ""
        rule = f"评议内容“{item.dimension.name}”中" + (f"“{check}”的要求" if check else "的有关要求")
        items.append({"dimension": item.dimension.name, "found_on": cn_date(found_on), "method": method,
                      "facts": item.problem, "rule": rule, "old_deadline": cn_date(due), "state": state})
    if not items:
        raise DocumentMissing(f"{unit.name}没有逾期未整改或核实未到位的问题，无需下发整改通知书")
    return _letter(campaign) | {
        "number": letter_number(campaign, number), "unit": unit.name,
        "feedback_number": notice.number_label(campaign.doc_prefix), "feedback_date": cn_date(local(notice.sent_at).date()),
        "items": items, "deadline": cn_date(deadline or on + timedelta(days=15)), "date": on, "cc": ["县纪委"]}


def reminder_data(campaign, unit=None, deadline=None, number=None, on=None):
    """催办通知: what the 催办 page lists as overdue for the unit (tasks, notices not signed in time, problems
    past their answer deadline, rectifications past theirs; pingyi.overdue), or without `unit` every lagging
    unit with its count."""
    on = on or today()
    groups = overdue_groups(campaign, on=on, unit_id=unit.id if unit else None)
    if not groups:
        raise DocumentMissing(f"{unit.name if unit else '全县'}目前没有逾期未办的事项，无需催办")
    items = groups[0]["items"] if unit else []

    def of(kind):
        return [(what, cn_date(due), days) for k, what, due, days in items if k == kind]
    return _letter(campaign) | {
        "number": letter_number(campaign, number), "unit": unit.name if unit else None, "as_of": cn_date(on),
        "tasks": of("任务"), "unsigned": [what for what, _, _ in of("未签收")],
        "unanswered": [what for what, _, _ in of("未答复")], "rects": of("整改逾期"),
        "units": [(g["unit"].name, len(g["items"]), g["days"]) for g in groups] if unit is None else [],
        "deadline": cn_date(deadline or on + timedelta(days=7)), "date": on,
        "contact": campaign.contact_name, "phone": campaign.contact_phone}


def commitment_data(campaign, unit):
    return _commitment(campaign, unit, [_letter_row(r) for r in rectification_services.letter_rows(campaign, unit)],
                       lambda: _latest_number(campaign, unit))


class LetterRow(NamedTuple):
    """One row of the 承诺书's table as plain values: a rectification and its feedback item."""
    kind: str
    problem: str
    measures: str
    commitment: str
    leader: str
    department: str
    owner: str
    deadline: date | None  # the rectification's, else the item's
    explanation: str


def _letter_row(r):
    return LetterRow(r.kind, r.item.problem, r.measures, r.commitment, r.leader, r.department, r.owner,
                     r.deadline or r.item.deadline, r.explanation)


def _latest_number(campaign, unit):
    """The 函 number of the unit's latest sent notice (as its number_label), blank without one."""
    notice = _latest_sent(campaign, unit, items=False)  # its number only
    return letter_number(campaign, notice.doc_number) if notice and notice.doc_number else ""


def _commitment(campaign, unit, rows, feedback_number):
    """The 承诺书's content from the unit's LetterRows (in rectification_services.letter_rows' order) and the
    number of its latest sent notice (`feedback_number()`, asked only when there are plans)."""
    plans = [r for r in rows if r.kind == "plan"]
    if not plans:
        raise DocumentMissing(f"{unit.name}还没有“整改计划并承诺”的问题：请在“反馈”中逐条答复时选择该方式并填写整改计划")
    number = feedback_number()
    items = [[r.problem, r.measures.rstrip("。") + (f"。承诺：{r.commitment}" if r.commitment else ""),
              "\n".join(x for x in (r.leader, r.department, r.owner) if x), cn_date(r.deadline)]
             for r in plans]
    items += [[r.problem, f"政策性问题说明：{r.explanation}", "—", "—"] for r in rows if r.kind == "policy"]
    return {"unit": unit.name, "office": campaign.office_full_name, "items": items, "date": "",
            "feedback_number": number}


def _commitments_of(campaign, units):
    """{unit id: commitment_data or the DocumentMissing it raises} for many units in two queries of plain rows
    (the letter rows with their items' text, the sent notices' numbers): no model object per row."""
    ids = [u.id for u in units]
    rows = {}
    for unit_id, *row in db.session.execute(
            select(Rectification.unit_id, Rectification.kind, FeedbackItem.problem, Rectification.measures,
                   Rectification.commitment, Rectification.leader, Rectification.department, Rectification.owner,
                   func.coalesce(Rectification.deadline, FeedbackItem.deadline), Rectification.explanation)
            .join(FeedbackItem, FeedbackItem.id == Rectification.item_id)
            .where(Rectification.campaign_id == campaign.id, Rectification.unit_id.in_(ids),
                   Rectification.kind.in_(("plan", "policy")), Rectification.status != "withdrawn")
            .order_by(Rectification.id)):
        rows.setdefault(unit_id, []).append(LetterRow(*row))
    numbers = {}
    for unit_id, number in db.session.execute(  # the latest sent notice's, chosen as _latest_sent chooses
            select(FeedbackNotice.unit_id, FeedbackNotice.doc_number).where(
                FeedbackNotice.campaign_id == campaign.id, FeedbackNotice.unit_id.in_(ids),
                FeedbackNotice.status == "sent").order_by(FeedbackNotice.sent_at.desc(), FeedbackNotice.id.desc())):
        numbers.setdefault(unit_id, letter_number(campaign, number) if number else "")
    gathered = {}
    for unit in units:  # in letter_rows' order: the plans, then the policy explanations (sorted keeps the ids' order)
        mine = sorted(rows.get(unit.id, []), key=lambda r: r.kind != "plan")
        try:
            gathered[unit.id] = _commitment(campaign, unit, mine, lambda: numbers.get(unit.id, ""))
        except Exception as e:  # raised again for this unit alone (batch_rows)
            gathered[unit.id] = e
    return gathered


def bulletin_number(campaign, version):
    return f"{campaign.doc_prefix}发〔{campaign.year}〕{version.doc_number or '　　'}号"


def bulletin_data(campaign):
    """评议结果通报 from the latest published results: the published ranking groups, grades, the notable
    problems (confirmed findings, by dimension, the most frequent first) and the year's requirements."""
    version = results.latest_version(campaign)
    if version is None:
        raise DocumentMissing("评议结果尚未发布：请先在“结果”页面发布评议结果，再生成通报")
    data = results.version_results(version)
    summary = data["summary"]
    groups = []
    for group, ranked, _ in results.ranking(data["details"], data["groups"]):
        if not group["published"]:
            continue
        groups.append({"name": group["name"], "top": [d["unit"] for d in ranked if d["mark"] == "top"],
                       "bottom": [d["unit"] for d in ranked if d["mark"] == "bottom"],
                       "rows": [{"rank": d["rank"], "unit": d["unit"], "total": f"{d['total']:.2f}", "grade": d["grade"],
                                 "mark": "、".join(x for x in (MARK_LABELS[d["mark"]], "一票否决" if d["veto"] else "") if x)}
                                for d in ranked]})
    # the problems frozen into the version when it was published; versions from before then read the live list
    problems = [tuple(p) for p in summary["problems"]] if "problems" in summary else results.main_problems(campaign)
    config = data["config"]
    requirements = [
        ("抓好整改落实", "各单位要认真对照评议结果，深入查找问题根源，对评议中反馈的问题逐条整改，整改情况于通报下发之日起30日内"
                   "书面报县纠风办"),
        ("落实说明责任", "评定为“不满意”等次和排名末位的单位，要向县政府作出书面说明，制定整改方案，县纠风办将适时组织回头看"),
        ("建立长效机制", "各单位要把政风行风建设纳入日常工作，健全制度，完善服务承诺和首问负责等制度，持续提升群众满意度"),
    ]
    return {"org_mark": _org(campaign), "number": bulletin_number(campaign, version), "year": campaign.year,
            "county": campaign.county_name, "office": campaign.office_full_name, "date": local(version.created_at).date(),
            "version": version.number,
            "summary": {"units": summary["units"], "ballots": summary["ballots"], "valid": summary["valid"],
                        "rate": f"{summary['rate']:.2f}" if summary["rate"] is not None else "—"},
            "grades": [tuple(g) for g in summary["grades"]], "groups": groups,
            "top_text": config.get("top_text", ""), "bottom_text": config.get("bottom_text", ""),
            "unrated": [d["unit"] for d in data["details"].values() if d["total"] is None],
            "problems": problems, "requirements": requirements,
            "contact": campaign.contact_name, "phone": campaign.contact_phone}


DATA = {"notice": lambda campaign, unit: notice_data(campaign), "feedback-notice": feedback_data,
        "rectification-notice": rectification_data, "commitment": commitment_data,
        "bulletin": lambda campaign, unit: bulletin_data(campaign), "reminder": reminder_data}
# A batch reads these kinds' data for all its units at once (each unit's equal to DATA's); the others unit by unit.
DATA_OF = {"commitment": _commitments_of}


def refusal(kind, campaign, unit=None, for_unit=False):
    """Why `kind` cannot be had now (None when it can), so its button is shown disabled with the reason beside it
    instead of failing after the click. A unit (`for_unit`) gets a 信函 only once the office has issued it."""
    if for_unit and kind in LETTER_KINDS:
        return None if latest_issued(campaign, unit, kind) else f"纠风办尚未向你单位下发{KIND_LABELS[kind]}"
    if kind == "notice":  # the notice lacks nothing but its number and date: no need to gather the county for it
        return None if campaign.notice_number and campaign.notice_date else NOTICE_MISSING
    try:
        DATA[kind](campaign, unit)
    except DocumentMissing as e:  # the data functions only read: nothing to roll back
        return str(e)
    return None


def filename(kind, campaign, unit=None):
    return f"{unit.name + '_' if unit else ''}{KIND_LABELS[kind]}_{campaign.year}.docx"


def build(kind, campaign, unit=None, **options):
    """The document built from the current data (a preview; nothing is recorded). `options` (deadline,
    number) go to the data of the 信函 the office issues with a number and a new deadline."""
    return BUILDERS[kind](DATA[kind](campaign, unit, **options))


def laid_out(kind, campaign, unit=None):
    """(docx, pdf) for the preview: the document as build() makes it and its pages laid out by LibreOffice
    (RenderError from pingyi.documents.render when LibreOffice is missing)."""
    data = DATA[kind](campaign, unit)
    if not render.soffice():
        raise render.RenderError("服务器未安装 LibreOffice，无法预览版面")
    return render.paginated(kind, data, builders.BUILDERS[kind])


def _store(data, folder="documents"):
    path = Path(current_app.config["UPLOAD_DIR"]) / folder
    path.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16)
    (path / name).write_bytes(data)
    return name


def issue(kind, campaign, unit, user, deadline=None, commit=True):
    """The office issues a document: build it, keep a frozen copy and enter it in the issued-documents
    register (type, unit, who, when, sha256, size). The 整改通知书 and the 催办通知 take the next 函 number
    of the register they share with the feedback notices, and the new deadline the office sets."""
    options = {}
    if kind in LETTER_KINDS:
        if deadline is None or deadline <= today():
            raise DomainError(f"请设定新的{'整改' if kind == 'rectification-notice' else '完成'}时限（须晚于今天）")
        options = {"deadline": deadline, "number": next_letter_number(campaign)}
    data = build(kind, campaign, unit, **options)
    name = filename(kind, campaign, unit)
    if options:  # numbered letters: several a year to the same unit, told apart by their number
        name = f"{unit.name if unit else '全县'}_{KIND_LABELS[kind]}_{campaign.year}_{options['number']}号.docx"
    doc = IssuedDocument(campaign_id=campaign.id, unit_id=unit.id if unit else None, kind=kind,
                         filename=name, stored_name=_store(data),
                         sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                         created_by_id=user.id if user else None, doc_number=options.get("number"),
                         deadline=options.get("deadline"))
    db.session.add(doc)
    db.session.flush()
    number = f"（{letter_number(campaign, doc.doc_number)}）" if doc.doc_number else ""
    record("create", doc, unit_id=doc.unit_id, actor=user, summary=f"印发{doc.kind_label}{number}（{doc.filename}）")
    if commit:  # the 催办 page commits the notice together with its 催办 record
        db.session.commit()
    return doc, data


def deliver(kind, campaign, unit, user):
    """A document its addressee downloads (the 通知 and the 通报, a unit's own feedback notice and
    commitment letter): built from the frozen data and entered in the audit log, not in the register."""
    data = build(kind, campaign, unit)
    entry = record("download", unit or campaign, unit_id=unit.id if unit else None, actor=user,
                   summary=f"下载{KIND_LABELS[kind]}（{filename(kind, campaign, unit)}，SHA-256 "
                           f"{hashlib.sha256(data).hexdigest()[:12]}…）")
    entry.after = ""                           # a download changes nothing: no field values to show
    db.session.commit()
    return data


def latest_issued(campaign, unit, kind):
    return db.session.scalar(select(IssuedDocument).where(
        IssuedDocument.campaign_id == campaign.id, IssuedDocument.unit_id == unit.id, IssuedDocument.kind == kind)
        .order_by(IssuedDocument.id.desc()).limit(1))


def record_download(doc, user):
    """A unit's download of an issued copy goes to the audit log."""
    entry = record("download", doc, unit_id=doc.unit_id, actor=user, summary=f"下载{doc.kind_label}（{doc.filename}）")
    entry.after = ""
    db.session.commit()


def stored_path(doc):
    return Path(current_app.config["UPLOAD_DIR"]) / "documents" / doc.stored_name


def issued_documents(campaign, unit_id=None, limit=50):
    stmt = select(IssuedDocument).where(IssuedDocument.campaign_id == campaign.id)
    if unit_id is not None:
        stmt = stmt.where(IssuedDocument.unit_id == unit_id)
    return db.session.scalars(stmt.options(selectinload(IssuedDocument.unit), selectinload(IssuedDocument.created_by))
                              .order_by(IssuedDocument.id.desc()).limit(limit)).all()


def start_batch(campaign, kind, user, category="", key="", group_id=None, run_async=True):
    """Create a batch for the filtered units and queue it as a background job (the page polls it);
    run_async=False builds it at once in this thread."""
    if kind not in ("feedback-notice", "rectification-notice", "commitment"):
        raise DomainError("请选择文档类型")
    unit_ids = list(db.session.scalars(filtered_units(campaign, category, key, group_id)))
    if not unit_ids:
        raise DomainError("没有符合条件的单位")
    return queue_batch(campaign, kind, "document-batch", unit_ids, user, run_async)


def queue_batch(campaign, kind, job_kind, unit_ids, user, run_async=True):
    """The batch record of `kind` for these units and its background job of `job_kind` (document
    batches and 一户一档 alike); run_async=False builds it at once in this thread."""
    batch = DocumentBatch(campaign_id=campaign.id, kind=kind, total=len(unit_ids), created_by_id=user.id,
                          status="queued", description=f"{KIND_LABELS[kind]}，{len(unit_ids)} 个单位")
    db.session.add(batch)
    db.session.flush()
    batch.job = jobs.enqueue(job_kind, {"batch_id": batch.id, "campaign_id": campaign.id,
                                        "unit_ids": unit_ids}, user, total=len(unit_ids))
    record("create", batch, actor=user, summary=f"批量生成{batch.description}")
    db.session.commit()
    jobs.wake()  # this process's worker takes it now, not at its next poll
    if not run_async:
        owner = jobs.worker_name()
        job = jobs.claim(owner, batch.job_id)
        if job is not None:
            jobs.run_job(job, owner)
        db.session.refresh(batch)
    return batch


def cancel_batch(batch, user):
    """Ask the batch's job to stop; it stops before the next unit and the batch shows 已取消."""
    if batch.job is None or not batch.active:
        raise DomainError("该批次已结束，无需取消")
    jobs.cancel(batch.job)
    record("update", batch, actor=user, summary=f"取消批量生成{batch.description}")
    db.session.commit()


def batch_rows(kind, campaign, unit_ids, units):
    """Iterate (unit_id, unit name, filename, data, None) for each unit whose document can be built, in the
    order of `unit_ids`, and (unit_id, name, None, None, why it is skipped) for the others: one unit's bad data
    must not cost the other units their documents. Plain values, so builder processes need no database."""
    gathered = DATA_OF[kind](campaign, [u for u in units.values()]) if kind in DATA_OF else {}
    for unit_id in unit_ids:
        unit = units.get(unit_id)
        if unit is None:
            yield unit_id, None, None, None, f"单位（编号 {unit_id}）已被删除，已跳过"
            continue
        try:
            data = gathered[unit_id] if unit_id in gathered else DATA[kind](campaign, unit)
            if isinstance(data, Exception):
                raise data
        except Exception as e:
            name = unit.name
            if not isinstance(e, DocumentMissing):  # the data functions only read: a missing one leaves nothing
                current_app.logger.exception("batch: %s of %s failed", kind, name)
                db.session.rollback()
            yield unit_id, name, None, None, str(e) if isinstance(e, DocumentMissing) else parallel.failure(name, e)
            continue
        yield unit_id, unit.name, filename(kind, campaign, unit), data, None


def build_unit(kind, campaign, unit, unit_id):
    """(unit_id, filename, document bytes or None, why it was skipped or None) for one unit of a batch, built
    here as the batch builds it."""
    row = next(batch_rows(kind, campaign, [unit_id], {unit.id: unit} if unit else {}))
    return parallel.build_row(row, BUILDERS[kind])


def _batch_ended(job):
    """The job ended failed or cancelled: the batch says so instead of 生成中."""
    batch = db.session.scalar(select(DocumentBatch).where(DocumentBatch.job_id == job.id))
    if batch is not None and batch.active:
        batch.status, batch.error, batch.finished_at = job.status, job.error, utcnow()


@jobs.handler("document-batch", finish=_batch_ended)
def _run_batch(context, batch_id, campaign_id, unit_ids):
    """Build every unit's document into one zip (UTF-8 names), updating progress; the batch itself is the
    record (who, when, filter, sha256 and size of the zip, units skipped and why). A unit whose document
    cannot be built is skipped with the reason (listed on the page and in 未生成的单位说明.txt); the others
    are still built. Runs again from the start when a restarted worker takes the job over."""
    batch = db.session.get(DocumentBatch, batch_id)
    campaign = db.session.get(Campaign, campaign_id)
    batch.status, batch.done, batch.error = "running", 0, ""
    context.progress(0, len(unit_ids))
    # Read after that commit, which would expire them: each unit's name would then cost a statement of its own.
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids)))}
    out, skipped = io.BytesIO(), []
    rows = batch_rows(batch.kind, campaign, unit_ids, units)  # read here; built on every core (parallel.py)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive, \
            parallel.built(batch.kind, rows, len(unit_ids), BUILDERS[batch.kind]) as documents:
        for n, (unit_id, name, data, reason, report) in enumerate(documents, 1):
            if reason is not None:
                skipped.append(reason)
            else:
                archive.writestr(name, data, compress_type=zipfile.ZIP_STORED)  # a .docx is compressed already
            if report:
                batch.done = n
                context.progress(n)
        if skipped:
            archive.writestr("未生成的单位说明.txt", "\n".join(skipped))
    data = out.getvalue()
    batch.stored_name, batch.size = _store(data, "batches"), len(data)
    batch.sha256 = hashlib.sha256(data).hexdigest()
    batch.status, batch.skipped = "done", "\n".join(skipped)
    batch.finished_at = utcnow()
    db.session.commit()
    return f"batches/{batch.stored_name}"


def batch_path(batch):
    return Path(current_app.config["UPLOAD_DIR"]) / "batches" / batch.stored_name
