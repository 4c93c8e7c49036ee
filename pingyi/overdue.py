"""What a campaign has overdue, unit by unit: tasks past their deadline, feedback notices not signed for in
time, problems not answered by the notice's deadline, rectifications past theirs.

Below the areas that act on it (the to-do queues, 催办 and its 催办通知 in documents), so each of them asks
here and none asks the others."""
from collections import defaultdict
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from pingyi.extensions import db
from pingyi.feedback.models import FeedbackItem, FeedbackNotice
from pingyi.rectifications.models import Rectification
from pingyi.tasks import services as task_services
from pingyi.timeutil import local, today, utcnow


def unsigned_notices(campaign, unit_ids=None, days=None):
    """Sent notices without a receipt; with `days`, only those sent more than that many days ago."""
    return db.session.scalars(unsigned_notices_stmt(campaign, unit_ids, days)).all()


def unsigned_notices_stmt(campaign, unit_ids=None, days=None):
    """The ordered select of unsigned_notices, to count or to take a slice of in the database."""
    stmt = (select(FeedbackNotice).where(FeedbackNotice.campaign_id == campaign.id, FeedbackNotice.status == "sent",
                                         FeedbackNotice.received_at.is_(None))
            .options(selectinload(FeedbackNotice.unit)).order_by(FeedbackNotice.sent_at, FeedbackNotice.id))
    if days is not None:
        stmt = stmt.where(FeedbackNotice.sent_at < utcnow() - timedelta(days=days))
    if unit_ids is not None:
        stmt = stmt.where(FeedbackNotice.unit_id.in_(unit_ids))
    return stmt


def unanswered_items(campaign, unit_ids=None):
    """Items of signed notices that have no answer yet, oldest deadline first."""
    return db.session.scalars(unanswered_items_stmt(campaign, unit_ids)).all()


def unanswered_items_stmt(campaign, unit_ids=None):
    """The ordered select of unanswered_items, to count or to take a slice of in the database."""
    stmt = (select(FeedbackItem).join(FeedbackNotice)
            .outerjoin(Rectification, Rectification.item_id == FeedbackItem.id)
            .where(FeedbackNotice.campaign_id == campaign.id, FeedbackNotice.status == "sent",
                   FeedbackNotice.received_at.is_not(None), Rectification.id.is_(None))
            .options(selectinload(FeedbackItem.notice).selectinload(FeedbackNotice.unit))
            .order_by(FeedbackNotice.answer_deadline, FeedbackItem.sort_order, FeedbackItem.id))
    if unit_ids is not None:
        stmt = stmt.where(FeedbackNotice.unit_id.in_(unit_ids))
    return stmt


def overdue_rectifications(campaign, unit_ids=None):
    """Answered (or failed) rectifications past their deadline, the extension included."""
    return db.session.scalars(overdue_rectifications_stmt(campaign, unit_ids)).all()


def overdue_rectifications_stmt(campaign, unit_ids=None):
    """The ordered select of overdue_rectifications, to count or to take a slice of in the database."""
    stmt = (select(Rectification).join(FeedbackItem, FeedbackItem.id == Rectification.item_id)
            .where(Rectification.campaign_id == campaign.id, Rectification.status.in_(("answered", "failed")),
                   func.coalesce(Rectification.deadline, FeedbackItem.deadline) < today())
            .options(selectinload(Rectification.unit), selectinload(Rectification.item))
            .order_by(func.coalesce(Rectification.deadline, FeedbackItem.deadline), Rectification.id))
    if unit_ids is not None:
        stmt = stmt.where(Rectification.unit_id.in_(unit_ids))
    return stmt


def overdue_groups(campaign, on=None, unit_id=None):
    """[{unit, items: [(kind, what, due, days overdue)], days}] of every unit with overdue work, the longest
    overdue first; kind is one of 任务, 未签收, 未答复, 整改逾期."""
    on = on or today()
    receipt_days = current_app.config["FEEDBACK_RECEIPT_DAYS"]
    items = defaultdict(list)
    units = {}
    for task, unit in task_services.overdue_pairs(campaign, on=on):
        units[unit.id] = unit
        items[unit.id].append(("任务", task.title, task.due_date))
    for notice in unsigned_notices(campaign, days=receipt_days):
        units[notice.unit_id] = notice.unit
        due = local(notice.sent_at).date() + timedelta(days=receipt_days)
        items[notice.unit_id].append(
            ("未签收", f"{notice.round_label}评议意见反馈通知书（{notice.number_label(campaign.doc_prefix)}）", due))
    for item in unanswered_items(campaign):
        if item.notice.answer_deadline < on:
            units[item.notice.unit_id] = item.notice.unit
            items[item.notice.unit_id].append(("未答复", item.problem, item.notice.answer_deadline))
    for rect in overdue_rectifications(campaign):
        units[rect.unit_id] = rect.unit
        items[rect.unit_id].append(("整改逾期", rect.item.problem, rect.deadline or rect.item.deadline))
    out = []
    for uid, unit in units.items():
        if unit_id is not None and uid != unit_id:
            continue
        rows = sorted(((kind, what, due, (on - due).days) for kind, what, due in items[uid]), key=lambda r: -r[3])
        out.append({"unit": unit, "items": rows, "days": rows[0][3] if rows else 0})
    out.sort(key=lambda r: (-r["days"], -len(r["items"]), r["unit"].sort_order))
    return out
