"""What awaits each user (to confirm, answer, verify, overdue): the list and the count in the navigation."""
from datetime import timedelta

from flask import current_app, url_for
from sqlalchemy import func, select

from pingyi import policy
from pingyi.extensions import db
from pingyi.feedback.models import FeedbackItem, FeedbackNotice
from pingyi.findings.models import Finding, Inspection, Opinion
from pingyi.rectifications.models import CommitmentLetter, Extension, RecheckRecord, Rectification
from pingyi.surveys.services import double_entry_state
from pingyi.tasks.models import Submission, Task
from pingyi.tasks.services import unit_tasks
from pingyi.timeutil import today, utcnow


def _count(stmt):
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


def _open_overdue(campaign, unit_ids=None):
    stmt = (select(Rectification.id).join(FeedbackItem, FeedbackItem.id == Rectification.item_id)
            .where(Rectification.campaign_id == campaign.id, Rectification.status.in_(("answered", "failed")),
                   func.coalesce(Rectification.deadline, FeedbackItem.deadline) < today()))
    if unit_ids is not None:
        stmt = stmt.where(Rectification.unit_id.in_(unit_ids))
    return stmt


def todo(user, campaign):
    """[(label, count, url, level)] of what the user should act on now; level 'alert' for overdue."""
    if campaign is None:
        return []
    items = []
    if user.role == "unit":
        unit_id = user.unit_id
        unsigned = select(FeedbackNotice.id).where(FeedbackNotice.campaign_id == campaign.id,
                                                   FeedbackNotice.unit_id == unit_id, FeedbackNotice.status == "sent",
                                                   FeedbackNotice.received_at.is_(None))
        unanswered = (select(FeedbackItem.id).join(FeedbackNotice)
                      .outerjoin(Rectification, Rectification.item_id == FeedbackItem.id)
                      .where(FeedbackNotice.campaign_id == campaign.id, FeedbackNotice.unit_id == unit_id,
                             FeedbackNotice.status == "sent", FeedbackNotice.received_at.is_not(None),
                             Rectification.id.is_(None)))
        failed = select(Rectification.id).where(Rectification.campaign_id == campaign.id,
                                                Rectification.unit_id == unit_id, Rectification.status == "failed")
        plans = select(Rectification.id).where(Rectification.campaign_id == campaign.id,
                                               Rectification.unit_id == unit_id, Rectification.kind == "plan")
        letter = db.session.scalar(select(CommitmentLetter.status).where(
            CommitmentLetter.campaign_id == campaign.id, CommitmentLetter.unit_id == unit_id))
        tasks = unit_tasks(campaign, user.unit)
        items += [
            ("待签收的反馈通知书", _count(unsigned), url_for("feedback.index"), "alert"),
            ("待答复的反馈问题", _count(unanswered), url_for("rectifications.index"), "warn"),
            ("逾期未完成的整改", _count(_open_overdue(campaign, [unit_id])), url_for("rectifications.index", overdue="1"), "alert"),
            ("未整改到位、需继续整改", _count(failed), url_for("rectifications.index", status="failed"), "alert"),
            ("待提交的整改承诺书", 1 if _count(plans) and letter in (None, "draft") else 0,
             url_for("rectifications.commitment", unit_id=unit_id), "warn"),
            ("被退回、待补交的任务材料", sum(1 for r in tasks if r["status"] == "returned" and not r["overdue"]),
             url_for("board.index"), "alert"),
            ("逾期未提交的任务", sum(1 for r in tasks if r["overdue"]), url_for("board.index"), "alert"),
        ]
    elif user.role == "office":
        days = current_app.config["FEEDBACK_RECEIPT_DAYS"]
        letters = select(CommitmentLetter.unit_id).where(CommitmentLetter.campaign_id == campaign.id,
                                                         CommitmentLetter.status == "submitted")
        late_receipt = select(FeedbackNotice.round).where(
            FeedbackNotice.campaign_id == campaign.id, FeedbackNotice.status == "sent",
            FeedbackNotice.received_at.is_(None), FeedbackNotice.sent_at < utcnow() - timedelta(days=days))
        items += [
            ("待审核的问题", _count(select(Finding.id).where(Finding.campaign_id == campaign.id,
                                                           Finding.status == "submitted")),
             url_for("findings.index", status="submitted"), "warn"),
            ("待确认的任务材料", _count(select(Submission.id).join(Task).where(
                Task.campaign_id == campaign.id, Submission.status == "submitted")), url_for("board.index"), "warn"),
            ("超期未签收的反馈", _count(late_receipt),
             url_for("feedback.index", round=db.session.scalar(late_receipt.limit(1)) or "june"), "alert"),
            ("待核实的整改", _count(select(Rectification.id).where(Rectification.campaign_id == campaign.id,
                                                                  Rectification.status == "completed")),
             url_for("rectifications.index", status="completed"), "warn"),
            ("待审批的延期申请", _count(select(Extension.id).join(Rectification).where(
                Rectification.campaign_id == campaign.id, Extension.status == "pending")),
             url_for("rectifications.index", extension="pending"), "warn"),
            ("待备案的整改承诺书", _count(letters), url_for(
                "rectifications.commitment", unit_id=db.session.scalar(letters.limit(1)) or 0), "warn"),
            ("逾期未完成的整改", _count(_open_overdue(campaign)), url_for("rectifications.index", overdue="1"), "alert"),
            ("待审核的意见建议（含网上问卷留言）", _count(select(Opinion.id).where(
                Opinion.campaign_id == campaign.id, Opinion.status == "submitted")),
             url_for("findings.index", _anchor="opinions"), "warn"),
            ("双人录入待完成或不一致的测评票", len(double_entry_state(campaign)), url_for("surveys.index"), "warn"),
        ]
    elif user.role in ("evaluator", "supervisor"):
        scope = policy.inspected_unit_ids(user, campaign) or {0}
        drafts = select(Inspection.id).where(Inspection.campaign_id == campaign.id,
                                             Inspection.created_by_id == user.id, Inspection.status == "draft")
        items.append(("未提交的检查草稿", _count(drafts), url_for("findings.index"), "warn"))
        if user.role == "supervisor":
            checked = select(RecheckRecord.rectification_id)
            recheck = select(Rectification.id).where(
                Rectification.campaign_id == campaign.id, Rectification.unit_id.in_(scope),
                Rectification.kind == "plan", Rectification.id.not_in(checked))
            items.append(("待践诺核查的承诺事项", _count(recheck), url_for("rectifications.index", kind="plan"), "warn"))
    return [i for i in items if i[1]]
