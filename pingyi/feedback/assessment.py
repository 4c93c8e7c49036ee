"""The 总体评价 of a feedback notice, written from the unit's own data: the evaluators' checklist ratings and
the dimensions it did well in, how it cooperated (tasks done on time, notices signed), the problems found,
and its score and grade once results are published. The office edits it per unit before sending; sending
freezes it with the notice."""
import json
from collections import Counter
from decimal import Decimal

from sqlalchemy import select

from pingyi.checklists.models import Assessment, CheckItem, Dimension
from pingyi.extensions import db
from pingyi.feedback.models import FeedbackNotice
from pingyi.findings.models import SEVERITY_LABELS, Finding
from pingyi.tables import table
from pingyi.tasks.models import Submission, Task
from pingyi.timeutil import local, today


def _ratings(campaign, unit):
    """{dimension name: [ratings]} of the evaluators' ratings, the unit's self-check where none."""
    rows = db.session.execute(
        select(Dimension.name, Dimension.sort_order, Assessment.kind, Assessment.rating, Assessment.item_id)
        .join(CheckItem, CheckItem.dimension_id == Dimension.id).join(Assessment, Assessment.item_id == CheckItem.id)
        .where(Dimension.campaign_id == campaign.id, Assessment.unit_id == unit.id)
        .order_by(Dimension.sort_order, Dimension.id)).all()
    chosen, order = {}, {}
    for name, sort, kind, rating, item_id in rows:
        order[name] = sort
        if kind == "review" or (item_id not in chosen):
            chosen[item_id] = (name, kind, rating)
    by_dim = {}
    for name, kind, rating in chosen.values():
        by_dim.setdefault(name, []).append((kind, rating))
    return dict(sorted(by_dim.items(), key=lambda kv: order[kv[0]]))


def _tasks(campaign, unit, on):
    """(done on time, done late, overdue and open) of the unit's tasks due by `on`."""
    tasks = db.session.scalars(select(Task).where(Task.campaign_id == campaign.id, Task.actor == "unit",
                                                  Task.due_date <= on)).all()
    subs = {s.task_id: s for s in db.session.scalars(select(Submission).where(
        Submission.unit_id == unit.id, Submission.task_id.in_([t.id for t in tasks] or [0])))}
    on_time = late = open_ = 0
    for task in tasks:
        sub = subs.get(task.id)
        if sub is None or sub.status not in ("submitted", "confirmed") or sub.submitted_at is None:
            open_ += 1
        elif local(sub.submitted_at).date() <= task.due_date:
            on_time += 1
        else:
            late += 1
    return on_time, late, open_


def _receipts(campaign, unit):
    """(signed, unsigned) earlier feedback notices of the unit."""
    notices = db.session.scalars(select(FeedbackNotice).where(
        FeedbackNotice.campaign_id == campaign.id, FeedbackNotice.unit_id == unit.id,
        FeedbackNotice.status.in_(("sent", "superseded")))).all()
    signed = sum(1 for n in notices if n.received_at is not None)
    return signed, len(notices) - signed


def _result(campaign, unit):
    """The unit's figures in the year's published results (results sit above feedback, which they score:
    their tables are read by name)."""
    version, row = table("result_version"), table("unit_result")
    text = db.session.scalar(select(row.c.detail_json).join(version, version.c.id == row.c.version_id).where(
        version.c.campaign_id == campaign.id, version.c.status == "published", row.c.unit_id == unit.id))
    detail = json.loads(text, parse_float=Decimal) if text else None  # as results.services.loads
    return detail if detail and detail.get("total") is not None else None


def overall_assessment(campaign, unit, findings=None, on=None):
    """The paragraph of 一、总体评价 for `unit`; `findings` are the problems the notice feeds back
    (the unit's confirmed findings when None)."""
    on = on or today()
    if findings is None:
        findings = db.session.scalars(select(Finding).where(
            Finding.campaign_id == campaign.id, Finding.unit_id == unit.id, Finding.status == "confirmed")).all()
    sentences = []
    ratings = _ratings(campaign, unit)
    flat = [r for values in ratings.values() for r in values]
    if flat:
        who = "评议组" if any(kind == "review" for kind, _ in flat) else "单位自查"
        counts = Counter(rating for _, rating in flat if rating != "na")
        rated = sum(counts.values())
        parts = [f"{counts[k]}项{label}" for k, label in (("meets", "符合要求"), ("basic", "基本符合"),
                                                        ("problem", "存在问题")) if counts[k]]
        problem_dims = {f.dimension.name for f in findings if f.dimension is not None}
        strong = [name for name, values in ratings.items()
                  if name not in problem_dims and all(r in ("meets", "na") for _, r in values)
                  and any(r == "meets" for _, r in values)]
        text = f"对照评议内容，{who}逐项评价的{rated}项中，{'、'.join(parts)}" if rated else ""
        if strong:
            text += ("，" if text else "") + f"在{'、'.join(strong[:3])}{'等' if len(strong) > 3 else ''}方面做得较好"
        if text:
            sentences.append(text)
    on_time, late, open_ = _tasks(campaign, unit, on)
    signed, unsigned = _receipts(campaign, unit)
    cooperation = []
    if on_time + late + open_:
        if not late and not open_:
            cooperation.append(f"按时完成了规定的{on_time}项工作任务")
        else:
            text = f"规定的{on_time + late + open_}项工作任务中按时完成{on_time}项"
            text += f"、逾期完成{late}项" if late else ""
            text += f"，{open_}项逾期未完成" if open_ else ""
            cooperation.append(text)
    if signed and not unsigned:
        cooperation.append("按时签收评议意见反馈通知书")
    elif unsigned:
        cooperation.append(f"有{unsigned}份评议意见反馈通知书未签收")
    if cooperation:
        lead = "能够积极配合评议工作" if not (unsigned or open_) else "配合评议工作仍有不足"
        sentences.append(f"{lead}，{'，'.join(cooperation)}")
    if findings:
        severity = Counter(f.severity for f in findings)
        serious = "，".join(f"{SEVERITY_LABELS[k]}问题{severity[k]}个" for k in ("severe", "major") if severity[k])
        dims = []
        for f in findings:
            if f.dimension is not None and f.dimension.name not in dims:
                dims.append(f.dimension.name)
        text = f"评议中发现问题{len(findings)}个" + (f"（其中{serious}）" if serious else "")
        if dims:
            text += f"，主要集中在{'、'.join(dims[:3])}{'等' if len(dims) > 3 else ''}方面"
        sentences.append(text)
    else:
        sentences.append("评议中未发现需要反馈的问题")
    result = _result(campaign, unit)
    if result is not None:
        sentences.append(f"在{campaign.year}年度综合评定中得分{Decimal(str(result['total'])).quantize(Decimal('0.01'))}分，"
                         f"评定为“{result['grade']}”等次")
    return "。".join([f"{unit.name}参加了{campaign.year}年度政风行风评议"] + sentences) + "。"
