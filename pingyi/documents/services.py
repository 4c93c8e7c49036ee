"""Gather each document's data, build it, record issued copies, and export batches as one .zip."""
import hashlib
import io
import secrets
import threading
import zipfile
from collections import defaultdict
from pathlib import Path

from flask import current_app
from sqlalchemy import case, select
from sqlalchemy.orm import selectinload

from pingyi.audit.services import record
from pingyi.campaigns.models import Participation
from pingyi.checklists.models import Dimension
from pingyi.checklists.services import dimensions
from pingyi.documents.builders import BUILDERS
from pingyi.documents.models import KIND_LABELS, DocumentBatch, IssuedDocument
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.feedback.models import FeedbackItem, FeedbackNotice
from pingyi.findings.models import Finding
from pingyi.rectifications import services as rectification_services
from pingyi.tasks.services import filtered_units
from pingyi.timeutil import cn_date, local, today, utcnow
from pingyi.units.models import Unit


class DocumentMissing(DomainError):
    """The document's source data is missing; the message says what and where to fill it in."""


def _org(campaign):
    return f"{campaign.office_full_name}文件"


def notice_number(campaign):
    return f"{campaign.doc_prefix}发〔{campaign.year}〕{campaign.notice_number}号" if campaign.notice_number else ""


def notice_data(campaign):
    if not campaign.notice_number or not campaign.notice_date:
        raise DocumentMissing("请先在“管理 → 评议设置”中填写评议工作通知的发文序号和成文日期")
    parts = db.session.execute(select(Participation, Unit).join(Unit).where(
        Participation.campaign_id == campaign.id, Unit.active).order_by(Unit.sort_order)).all()
    counts = {"department": 0, "institution": 0, "stationed": 0}
    for _, unit in parts:
        counts[unit.category] = counts.get(unit.category, 0) + 1  # categories are data: a new one counts too
    texts = {1: "印发实施方案和通知，各单位组织学习，成立评议工作领导小组，制定本单位评议方案",
             2: "各单位广泛征求意见，开展自查自评；纠风办会同评议组、义务监督员进行抽查，收集梳理问题，反馈评议意见",
             3: "各单位逐条对照整改，能解决的限时解决，一时无条件解决的列出整改计划并向社会承诺",
             4: "各单位书面总结报告；组织践诺情况明察暗访和满意度测评，形成评议意见，召开反馈会并全县通报"}
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
        "phases": [(p.name, f"{p.start_date.month}月{p.start_date.day}日", f"{p.end_date.month}月{p.end_date.day}日",
                    texts.get(p.number, "")) for p in campaign.phases],
        "round1": f"{cn_date(campaign.round1_start)}至{cn_date(campaign.round1_end)}",
        "round2": f"{cn_date(campaign.round2_start)}至{cn_date(campaign.round2_end)}",
        "report_deadline": cn_date(campaign.report_deadline),
        "contact": campaign.contact_name, "phone": campaign.contact_phone,
    }


def _latest_sent(campaign, unit):
    return db.session.scalar(select(FeedbackNotice).where(
        FeedbackNotice.campaign_id == campaign.id, FeedbackNotice.unit_id == unit.id, FeedbackNotice.status == "sent")
        .options(selectinload(FeedbackNotice.items).selectinload(FeedbackItem.dimension))
        .order_by(FeedbackNotice.sent_at.desc()).limit(1))


def feedback_data(campaign, unit):
    notice = _latest_sent(campaign, unit)
    if notice is None:
        raise DocumentMissing(f"{unit.name}还没有已发送的评议意见反馈，请先在“反馈”中起草并发送")
    grouped = {}
    for item in notice.items:
        grouped.setdefault(item.dimension.name, []).append(item.problem)
    return {
        "org_mark": _org(campaign), "number": notice.number_label(campaign.doc_prefix), "year": campaign.year,
        "unit": unit.name, "office": campaign.office_full_name, "office_short": campaign.office_name,
        "notice_number": notice_number(campaign), "round": notice.round_label, "overall": notice.overall,
        "problems": list(grouped.items()), "flat_problems": [i.problem for i in notice.items],
        "suggestions": [(i.suggestion, cn_date(i.deadline)) for i in notice.items],
        "answer_deadline": cn_date(notice.answer_deadline), "date": local(notice.sent_at).date(),
    }


def rectification_data(campaign, unit):
    notice = _latest_sent(campaign, unit)
    if notice is None:
        raise DocumentMissing(f"{unit.name}还没有已发送的评议意见反馈，无从下发整改通知书")
    items = []
    for item in notice.items:
        rect = item.rectification
        due = (rect.deadline if rect and rect.deadline else item.deadline)
        if rect is None and due < today():
            items.append((item.problem, "", "逾期未答复整改", cn_date(due)))
        elif rect is not None and rect.status == "failed":
            items.append((item.problem, "", "经核实未整改到位", cn_date(due)))
        elif rect is not None and rect.status == "answered" and due < today():
            items.append((item.problem, "", "超过整改时限仍未整改到位", cn_date(due)))
    if not items:
        raise DocumentMissing(f"{unit.name}没有逾期未整改或核实未到位的问题，无需下发整改通知书")
    return {"org_mark": _org(campaign), "number": f"{campaign.doc_prefix}函〔{campaign.year}〕　　号",
            "year": campaign.year, "unit": unit.name, "office": campaign.office_full_name,
            "office_short": campaign.office_name, "feedback_number": notice.number_label(campaign.doc_prefix),
            "items": items, "date": today()}


def commitment_data(campaign, unit):
    rows = rectification_services.letter_rows(campaign, unit)
    plans = [r for r in rows if r.kind == "plan"]
    if not plans:
        raise DocumentMissing(f"{unit.name}还没有“整改计划并承诺”的问题：请在“反馈”中逐条答复时选择该方式并填写整改计划")
    notice = _latest_sent(campaign, unit)
    items = [[r.item.problem, r.measures.rstrip("。") + (f"。承诺：{r.commitment}" if r.commitment else ""), r.owner,
              cn_date(r.deadline or r.item.deadline)] for r in plans]
    items += [[r.item.problem, f"政策性问题说明：{r.explanation}", "—", "—"] for r in rows if r.kind == "policy"]
    return {"unit": unit.name, "office": campaign.office_full_name, "items": items, "date": "",
            "feedback_number": notice.number_label(campaign.doc_prefix) if notice else ""}


def bulletin_number(campaign, version):
    return f"{campaign.doc_prefix}发〔{campaign.year}〕{version.doc_number or '　　'}号"


def bulletin_data(campaign):
    """评议结果通报 from the latest published results: the published ranking groups, grades, the notable
    problems (confirmed findings, by dimension, the most frequent first) and the year's requirements."""
    from pingyi.results import services as results
    from pingyi.results.models import MARK_LABELS
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
    by_dimension, counts = defaultdict(list), defaultdict(int)
    for dim_name, description in db.session.execute(
            select(Dimension.name, Finding.description).join(Dimension, Finding.dimension_id == Dimension.id)
            .where(Finding.campaign_id == campaign.id, Finding.status == "confirmed")
            .order_by(case({"severe": 0, "major": 1}, value=Finding.severity, else_=2), Finding.id)):
        text = description.rstrip("。；")
        if text not in by_dimension[dim_name]:  # the same problem found in several units is named once
            by_dimension[dim_name].append(text)
        counts[dim_name] += 1
    problems = [f"{name}方面：{'；'.join(found[:2])}{'等' if len(found) > 2 else ''}，共{counts[name]}个问题"
                for name, found in sorted(by_dimension.items(), key=lambda kv: -counts[kv[0]])[:5]]
    config = data["config"]
    requirements = [
        "各单位要认真对照评议结果，深入查找问题根源，对评议中反馈的问题逐条整改，整改情况于通报下发之日起30日内书面报县纠风办",
        "评定为“不满意”等次和排名末位的单位，要向县政府作出书面说明，制定整改方案，县纠风办将适时组织回头看",
        "各单位要把政风行风建设纳入日常工作，健全制度，完善服务承诺和首问负责等制度，持续提升群众满意度",
    ]
    return {"org_mark": _org(campaign), "number": bulletin_number(campaign, version), "year": campaign.year,
            "county": campaign.county_name, "office": campaign.office_full_name, "date": local(version.created_at).date(),
            "version": version.number,
            "summary": {"units": summary["rated"], "ballots": summary["ballots"], "valid": summary["valid"],
                        "rate": f"{summary['rate']:.2f}" if summary["rate"] is not None else "—"},
            "grades": [tuple(g) for g in summary["grades"]], "groups": groups,
            "top_text": config.get("top_text", ""), "bottom_text": config.get("bottom_text", ""),
            "unrated": [d["unit"] for d in data["details"].values() if d["total"] is None],
            "problems": problems, "requirements": requirements,
            "contact": campaign.contact_name, "phone": campaign.contact_phone}


DATA = {"notice": lambda campaign, unit: notice_data(campaign), "feedback-notice": feedback_data,
        "rectification-notice": rectification_data, "commitment": commitment_data,
        "bulletin": lambda campaign, unit: bulletin_data(campaign)}


def filename(kind, campaign, unit=None):
    return f"{unit.name + '_' if unit else ''}{KIND_LABELS[kind]}_{campaign.year}.docx"


def build(kind, campaign, unit=None):
    """The document built from the current data (a preview; nothing is recorded)."""
    return BUILDERS[kind](DATA[kind](campaign, unit))


def _store(data, folder="documents"):
    path = Path(current_app.config["UPLOAD_DIR"]) / folder
    path.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16)
    (path / name).write_bytes(data)
    return name


def issue(kind, campaign, unit, user):
    """Build the document, keep a frozen copy and record it (type, unit, who, when, sha256, size)."""
    data = build(kind, campaign, unit)
    doc = IssuedDocument(campaign_id=campaign.id, unit_id=unit.id if unit else None, kind=kind,
                         filename=filename(kind, campaign, unit), stored_name=_store(data),
                         sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                         created_by_id=user.id if user else None)
    db.session.add(doc)
    db.session.flush()
    record("create", doc, unit_id=doc.unit_id, actor=user, summary=f"生成{doc.kind_label}（{doc.filename}）")
    db.session.commit()
    return doc, data


def stored_path(doc):
    return Path(current_app.config["UPLOAD_DIR"]) / "documents" / doc.stored_name


def issued_documents(campaign, unit_id=None, limit=50):
    stmt = select(IssuedDocument).where(IssuedDocument.campaign_id == campaign.id)
    if unit_id is not None:
        stmt = stmt.where(IssuedDocument.unit_id == unit_id)
    return db.session.scalars(stmt.options(selectinload(IssuedDocument.unit), selectinload(IssuedDocument.created_by))
                              .order_by(IssuedDocument.id.desc()).limit(limit)).all()


def start_batch(campaign, kind, user, category="", key="", group_id=None, run_async=True):
    """Create a batch for the filtered units and build it in a background thread (the page polls it)."""
    if kind not in ("feedback-notice", "rectification-notice", "commitment"):
        raise DomainError("请选择文档类型")
    unit_ids = list(db.session.scalars(filtered_units(campaign, category, key, group_id)))
    if not unit_ids:
        raise DomainError("没有符合条件的单位")
    batch = DocumentBatch(campaign_id=campaign.id, kind=kind, total=len(unit_ids), created_by_id=user.id,
                          description=f"{KIND_LABELS[kind]}，{len(unit_ids)} 个单位")
    db.session.add(batch)
    db.session.flush()
    record("create", batch, actor=user, summary=f"批量生成{batch.description}")
    db.session.commit()
    app = current_app._get_current_object()
    args = (app, batch.id, campaign.id, unit_ids)
    if run_async:
        threading.Thread(target=_run_batch, args=args, daemon=True).start()
    else:
        _run_batch(*args)
        db.session.refresh(batch)
    return batch


def _run_batch(app, batch_id, campaign_id, unit_ids):
    """Build every unit's document into one zip (UTF-8 names), updating progress; the batch itself is the
    record (who, when, filter, sha256 and size of the zip, units skipped and why)."""
    from pingyi.campaigns.models import Campaign
    with app.app_context():
        batch = db.session.get(DocumentBatch, batch_id)
        campaign = db.session.get(Campaign, campaign_id)
        units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids)))}
        out, skipped = io.BytesIO(), []
        try:
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
                for n, unit_id in enumerate(unit_ids, 1):
                    unit = units[unit_id]
                    try:
                        data = BUILDERS[batch.kind](DATA[batch.kind](campaign, unit))
                    except DocumentMissing as e:
                        skipped.append(str(e))
                    else:
                        archive.writestr(filename(batch.kind, campaign, unit), data)
                    if n % 10 == 0 or n == len(unit_ids):
                        batch.done = n
                        db.session.commit()
                if skipped:
                    archive.writestr("未生成的单位说明.txt", "\n".join(skipped))
            data = out.getvalue()
            batch.stored_name, batch.size = _store(data, "batches"), len(data)
            batch.sha256 = hashlib.sha256(data).hexdigest()
            batch.status, batch.skipped = "done", "\n".join(skipped)
        except Exception as e:  # the page must show the failure instead of polling forever
            db.session.rollback()
            batch = db.session.get(DocumentBatch, batch_id)
            batch.status, batch.error = "failed", str(e)[:1000]
        batch.finished_at = utcnow()
        db.session.commit()
        db.session.remove()


def batch_path(batch):
    return Path(current_app.config["UPLOAD_DIR"]) / "batches" / batch.stored_name
