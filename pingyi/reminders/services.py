"""催办: gather each unit's overdue work, record who chased it when and how, and issue numbered 催办通知."""
import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from pingyi.audit.services import record
from pingyi.auth.models import User
from pingyi.auth.roles import UNIT
from pingyi.documents import services as documents
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.outbound import services as outbound
from pingyi.overdue import overdue_groups
from pingyi.reminders.models import METHOD_LABELS, Reminder, ReminderNotice
from pingyi.timeutil import cn_date, today

NOTE_MAX = 500
NOTICE_DAYS = 7  # the new deadline a 催办通知 proposes: a week on


def overdue_work(campaign, on=None, unit_id=None):
    """[{unit, liaison, phone, items: [(kind, what, due, days)], days, last}] of every unit with overdue work
    (pingyi.overdue), with whom to call and the last 催办, the longest overdue first."""
    groups = overdue_groups(campaign, on=on, unit_id=unit_id)
    ids = [g["unit"].id for g in groups]
    liaisons = {u.unit_id: u for u in db.session.scalars(select(User).where(
        User.role == UNIT, User.active, User.unit_id.in_(ids)).order_by(User.id))}
    last = {r.unit_id: r for r in db.session.scalars(select(Reminder).where(
        Reminder.campaign_id == campaign.id, Reminder.unit_id.in_(ids))
        .options(selectinload(Reminder.created_by)).order_by(Reminder.reminded_on, Reminder.id))}
    for group in groups:
        unit, liaison = group["unit"], liaisons.get(group["unit"].id)
        group.update(liaison=unit.contact_name or (liaison.display_name if liaison else ""), phone=unit.contact_phone,
                     last=last.get(unit.id))
    return groups


def phone_list(groups):
    """The plain-text phone list to print or paste: one unit a line."""
    return "\n".join(f"{g['unit'].name}\t{g['liaison'] or '未指定联络员'}\t{g['phone'] or '无电话'}\t"
                     f"逾期 {len(g['items'])} 项，最长 {g['days']} 天" for g in groups)


def sms_phone(unit):
    """The number a 短信催办 goes to: the unit's contact phone, else an active liaison's; a mobile number is
    preferred over a landline. Empty when the unit has none."""
    liaisons = db.session.scalars(select(User.phone).where(User.role == UNIT, User.active, User.unit_id == unit.id)
                                  .order_by(User.id)).all()
    phones = [p.strip() for p in [unit.contact_phone, *liaisons] if p and p.strip()]
    mobiles = [p for p in phones if re.fullmatch(r"1\d{10}", re.sub(r"[\s-]", "", p))]
    return re.sub(r"[\s-]", "", mobiles[0]) if mobiles else (phones[0] if phones else "")


def sms_text(campaign, unit, on=None):
    """The short 催办 text: how many items are overdue and the earliest deadline, signed with the office name."""
    groups = overdue_groups(campaign, on=on, unit_id=unit.id)
    items = groups[0]["items"] if groups else []
    if items:
        earliest = min(due for _, _, due, _ in items)
        body = f"贵单位在{campaign.title}中有 {len(items)} 项工作已逾期（最早办理时限 {cn_date(earliest)}），请尽快办理。"
    else:
        body = f"请贵单位抓紧办理{campaign.title}的各项工作。"
    return f"{unit.name}：{body}【{campaign.office_name}】"


def record_reminder(campaign, unit, user, reminded_on, method, note, notice=None):
    """Record that the unit was chased (已催办): when, how, by whom (the user), with a note. A 催办 by 短信
    also sends the text to the unit's phone through the outbound module (only logged while SMS is off)."""
    if campaign.status == "closed":
        raise DomainError(f"{campaign.year}年度评议已结束，不能再登记催办")
    if method not in METHOD_LABELS:
        raise DomainError("请选择催办方式：电话、通知、当面或短信")
    if not isinstance(reminded_on, date):
        raise DomainError("请填写催办日期")
    if reminded_on > today():
        raise DomainError("催办日期不能晚于今天")
    if reminded_on.year < campaign.year - 1:
        raise DomainError("催办日期不在本年度评议期间")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(f"备注不能超过 {NOTE_MAX} 字")
    phone = sms_phone(unit) if method == "sms" else ""
    if method == "sms" and not phone:
        raise DomainError(f"{unit.name}没有联系电话，无法发短信催办：请先在单位信息中填写联系电话")
    reminder = Reminder(campaign_id=campaign.id, unit_id=unit.id, reminded_on=reminded_on, method=method,
                        note=note, notice_id=notice.id if notice else None, created_by_id=user.id)
    db.session.add(reminder)
    db.session.flush()
    sent = ""
    if method == "sms":
        message = outbound.send("sms", phone, sms_text(campaign, unit), purpose="reminder", user=user)
        sent = f"，短信发往 {message.recipient_masked}"
    record("create", reminder, unit_id=unit.id, actor=user,
           summary=f"{METHOD_LABELS[method]}催办{unit.name}（{cn_date(reminded_on)}）{sent}" + (f"：{note}" if note else ""))
    db.session.commit()
    return reminder


def notice_number(campaign, number):
    return f"{campaign.doc_prefix}函〔{campaign.year}〕{number}号"


def issue_notice(campaign, user, unit=None, deadline=None, on=None):
    """Issue a 催办通知 to one unit or county-wide (unit None): the documents area numbers it from the year's one
    函 register (×纠风办函〔YYYY〕N号), builds it and enters it in the documents register; here it is linked to
    the 催办 page and, for one unit, recorded as a 催办 by 通知. Returns (ReminderNotice, bytes)."""
    if campaign.status == "closed":
        raise DomainError(f"{campaign.year}年度评议已结束，不能再发催办通知")
    doc, data = documents.issue("reminder", campaign, unit, user, deadline, commit=False)
    notice = ReminderNotice(campaign_id=campaign.id, unit_id=doc.unit_id, number=doc.doc_number, document_id=doc.id)
    db.session.add(notice)
    db.session.flush()
    if unit is not None:
        record_reminder(campaign, unit, user, on or today(), "notice",
                        f"发出催办通知 {notice_number(campaign, doc.doc_number)}，限 {cn_date(deadline)} 前完成", notice)
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

