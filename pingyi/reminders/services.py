"""催办: gather each unit's overdue work, record who chased it when and how, and issue numbered 催办通知."""
import hashlib
from collections import defaultdict
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from pingyi.audit.services import record
from pingyi.auth.models import User
from pingyi.auth.roles import UNIT
from pingyi.documents.models import IssuedDocument
from pingyi.documents.services import _store
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.feedback.models import FeedbackItem, FeedbackNotice
from pingyi.feedback.services import next_letter_number
from pingyi.rectifications.models import Rectification
from pingyi.reminders.docx import reminder_docx
from pingyi.reminders.models import METHOD_LABELS, Reminder, ReminderNotice
from pingyi.tasks import services as task_services
from pingyi.timeutil import cn_date, local, today, utcnow

NOTE_MAX = 500


def unsigned_notices(campaign, unit_ids=None, days=None):
    """Sent notices without a receipt; with `days`, only those sent more than that many days ago."""
    stmt = (select(FeedbackNotice).where(FeedbackNotice.campaign_id == campaign.id, FeedbackNotice.status == "sent",
                                         FeedbackNotice.received_at.is_(None))
            .options(selectinload(FeedbackNotice.unit)).order_by(FeedbackNotice.sent_at))
    if days is not None:
        stmt = stmt.where(FeedbackNotice.sent_at < utcnow() - timedelta(days=days))
    if unit_ids is not None:
        stmt = stmt.where(FeedbackNotice.unit_id.in_(unit_ids))
    return db.session.scalars(stmt).all()


def unanswered_items(campaign, unit_ids=None):
    """Items of signed notices that have no answer yet, oldest deadline first."""
    stmt = (select(FeedbackItem).join(FeedbackNotice)
            .outerjoin(Rectification, Rectification.item_id == FeedbackItem.id)
            .where(FeedbackNotice.campaign_id == campaign.id, FeedbackNotice.status == "sent",
                   FeedbackNotice.received_at.is_not(None), Rectification.id.is_(None))
            .options(selectinload(FeedbackItem.notice).selectinload(FeedbackNotice.unit))
            .order_by(FeedbackNotice.answer_deadline, FeedbackItem.sort_order))
    if unit_ids is not None:
        stmt = stmt.where(FeedbackNotice.unit_id.in_(unit_ids))
    return db.session.scalars(stmt).all()


def overdue_rectifications(campaign, unit_ids=None):
    """Answered (or failed) rectifications past their deadline, the extension included."""
    stmt = (select(Rectification).join(FeedbackItem, FeedbackItem.id == Rectification.item_id)
            .where(Rectification.campaign_id == campaign.id, Rectification.status.in_(("answered", "failed")),
                   func.coalesce(Rectification.deadline, FeedbackItem.deadline) < today())
            .options(selectinload(Rectification.unit), selectinload(Rectification.item))
            .order_by(func.coalesce(Rectification.deadline, FeedbackItem.deadline), Rectification.id))
    if unit_ids is not None:
        stmt = stmt.where(Rectification.unit_id.in_(unit_ids))
    return db.session.scalars(stmt).all()


def overdue_work(campaign, on=None, unit_id=None):
    """[{unit, liaison, phone, items: [(kind, what, due, days)], days, last}] of every unit with overdue work
    (tasks, unsigned notices, unanswered problems, overdue rectifications), the longest overdue first."""
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
        items[notice.unit_id].append(("未签收", f"{notice.round_label}评议意见反馈通知书", due))
    for item in unanswered_items(campaign):
        if item.notice.answer_deadline < on:
            units[item.notice.unit_id] = item.notice.unit
            items[item.notice.unit_id].append(("未答复", item.problem, item.notice.answer_deadline))
    for rect in overdue_rectifications(campaign):
        units[rect.unit_id] = rect.unit
        items[rect.unit_id].append(("整改逾期", rect.item.problem, rect.deadline or rect.item.deadline))
    if unit_id is not None:
        units = {k: v for k, v in units.items() if k == unit_id}
    liaisons = {u.unit_id: u for u in db.session.scalars(select(User).where(
        User.role == UNIT, User.active, User.unit_id.in_(list(units))).order_by(User.id))}
    last = {r.unit_id: r for r in db.session.scalars(select(Reminder).where(
        Reminder.campaign_id == campaign.id, Reminder.unit_id.in_(list(units)))
        .options(selectinload(Reminder.created_by)).order_by(Reminder.reminded_on, Reminder.id))}
    out = []
    for uid, unit in units.items():
        rows = sorted(((kind, what, due, (on - due).days) for kind, what, due in items[uid]), key=lambda r: -r[3])
        liaison = liaisons.get(uid)
        out.append({"unit": unit, "liaison": unit.contact_name or (liaison.display_name if liaison else ""),
                    "phone": unit.contact_phone, "items": rows, "days": rows[0][3] if rows else 0,
                    "last": last.get(uid)})
    out.sort(key=lambda r: (-r["days"], -len(r["items"]), r["unit"].sort_order))
    return out


def phone_list(groups):
    """The plain-text phone list to print or paste: one unit a line."""
    return "\n".join(f"{g['unit'].name}\t{g['liaison'] or '未指定联络员'}\t{g['phone'] or '无电话'}\t"
                     f"逾期 {len(g['items'])} 项，最长 {g['days']} 天" for g in groups)


def record_reminder(campaign, unit, user, reminded_on, method, note, notice=None):
    """Record that the unit was chased (已催办): when, how, by whom (the user), with a note."""
    if campaign.status == "closed":
        raise DomainError(f"{campaign.year}年度评议已结束，不能再登记催办")
    if method not in METHOD_LABELS:
        raise DomainError("请选择催办方式：电话、通知或当面")
    if not isinstance(reminded_on, date):
        raise DomainError("请填写催办日期")
    if reminded_on > today():
        raise DomainError("催办日期不能晚于今天")
    if reminded_on.year < campaign.year - 1:
        raise DomainError("催办日期不在本年度评议期间")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(f"备注不能超过 {NOTE_MAX} 字")
    reminder = Reminder(campaign_id=campaign.id, unit_id=unit.id, reminded_on=reminded_on, method=method,
                        note=note, notice_id=notice.id if notice else None, created_by_id=user.id)
    db.session.add(reminder)
    db.session.flush()
    record("create", reminder, unit_id=unit.id, actor=user,
           summary=f"{METHOD_LABELS[method]}催办{unit.name}（{cn_date(reminded_on)}）" + (f"：{note}" if note else ""))
    db.session.commit()
    return reminder


def notice_number(campaign, number):
    return f"{campaign.doc_prefix}函〔{campaign.year}〕{number}号"


def reminder_data(campaign, groups, number, on=None, unit=None):
    """The 催办通知's content: to one unit (its overdue items) or county-wide (every unit, its count)."""
    on = on or today()
    if not groups:
        raise DomainError(f"{unit.name if unit else '全县'}目前没有逾期未办的事项，无需催办")
    return {
        "org_mark": f"{campaign.office_full_name}", "number": notice_number(campaign, number), "year": campaign.year,
        "office": campaign.office_full_name, "office_short": campaign.office_name, "date": on,
        "unit": unit.name if unit else None,
        "addressee": f"{unit.name}：" if unit else "各评议单位：",
        "items": [(kind, what, cn_date(due), days) for kind, what, due, days in groups[0]["items"]] if unit else [],
        "units": [(g["unit"].name, len(g["items"]), g["days"]) for g in groups] if not unit else [],
        "contact": campaign.contact_name, "phone": campaign.contact_phone,
    }


def issue_notice(campaign, user, unit=None, on=None):
    """Number (×纠风办函〔YYYY〕N号), build and keep a 催办通知 in the documents register; for one unit it is
    also recorded as a 催办 by 通知. Returns (ReminderNotice, bytes)."""
    if campaign.status == "closed":
        raise DomainError(f"{campaign.year}年度评议已结束，不能再发催办通知")
    groups = overdue_work(campaign, on=on, unit_id=unit.id if unit else None)
    number = next_letter_number(campaign)  # the year's one 函 register, shared with feedback and 整改通知书
    data = reminder_docx(reminder_data(campaign, groups, number, on, unit))
    name = f"{unit.name + '_' if unit else '全县_'}催办通知_{campaign.year}_{number}号.docx"
    doc = IssuedDocument(campaign_id=campaign.id, unit_id=unit.id if unit else None, kind="reminder-notice",
                         doc_number=number, filename=name, stored_name=_store(data), sha256=hashlib.sha256(data).hexdigest(),
                         size=len(data), created_by_id=user.id)
    db.session.add(doc)
    db.session.flush()
    notice = ReminderNotice(campaign_id=campaign.id, unit_id=unit.id if unit else None, number=number,
                            document_id=doc.id)
    db.session.add(notice)
    db.session.flush()
    record("create", doc, unit_id=doc.unit_id, actor=user,
           summary=f"生成催办通知 {notice_number(campaign, number)}（{name}）")
    if unit is not None:
        record_reminder(campaign, unit, user, on or today(), "notice", f"发出催办通知 {notice_number(campaign, number)}",
                        notice)
    db.session.commit()
    return notice, data


def unit_history(campaign, unit):
    """The unit's 催办 records of the year, newest first."""
    return db.session.scalars(select(Reminder).where(Reminder.campaign_id == campaign.id, Reminder.unit_id == unit.id)
                              .options(selectinload(Reminder.created_by), selectinload(Reminder.notice))
                              .order_by(Reminder.reminded_on.desc(), Reminder.id.desc())).all()


def notices(campaign):
    return db.session.scalars(select(ReminderNotice).where(ReminderNotice.campaign_id == campaign.id)
                              .options(selectinload(ReminderNotice.unit), selectinload(ReminderNotice.document))
                              .order_by(ReminderNotice.number.desc())).all()

