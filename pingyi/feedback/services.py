"""Compile feedback notices from confirmed findings, send them frozen, record the unit's receipt."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from pingyi.audit.services import record, snapshot
from pingyi.cache.services import kept
from pingyi.campaigns.models import Participation
from pingyi.checklists.models import Dimension
from pingyi.errors import DomainError, check_version
from pingyi.extensions import db
from pingyi.feedback.assessment import overall_assessment
from pingyi.feedback.models import ROUND_LABELS, FeedbackItem, FeedbackNotice
from pingyi.findings.models import Finding, Opinion
from pingyi.paging import page_of_list
from pingyi.tables import table
from pingyi.timeutil import cn_datetime, today, utcnow
from pingyi.units.models import Unit


def default_deadline(campaign, on=None):
    """Rectification is due by the end of phase 3; after that, thirty days from today."""
    on = on or today()
    phase3 = next(p for p in campaign.phases if p.number == 3)
    return phase3.end_date if on < phase3.end_date - timedelta(days=14) else on + timedelta(days=30)


def current_round(campaign, on=None):
    """The June round until the end of phase 3, the November round after it."""
    on = on or today()
    phase3 = next(p for p in campaign.phases if p.number == 3)
    return "june" if on <= phase3.end_date else "november"


def latest_notice(campaign, unit, round_=None, statuses=("draft", "sent")):
    stmt = select(FeedbackNotice).where(FeedbackNotice.campaign_id == campaign.id, FeedbackNotice.unit_id == unit.id,
                                        FeedbackNotice.status.in_(statuses))
    if round_:
        stmt = stmt.where(FeedbackNotice.round == round_)
    return db.session.scalar(stmt.order_by(FeedbackNotice.edition.desc(), FeedbackNotice.id.desc()).limit(1))


def unreported_findings(campaign, unit):
    """Confirmed findings of the unit that no sent or draft notice carries yet."""
    used = select(FeedbackItem.finding_id).join(FeedbackNotice).where(
        FeedbackNotice.campaign_id == campaign.id, FeedbackNotice.status.in_(("draft", "sent")),
        FeedbackItem.finding_id.is_not(None))
    return db.session.scalars(
        select(Finding).join(Dimension, Dimension.id == Finding.dimension_id)
        .where(Finding.campaign_id == campaign.id, Finding.unit_id == unit.id, Finding.status == "confirmed",
               Finding.id.not_in(used))
        .order_by(Dimension.sort_order, Finding.id)).all()


def compile_notice(campaign, unit, round_, user):
    """A draft notice pre-filled with the unit's confirmed findings (by dimension) and opinions."""
    if round_ not in ROUND_LABELS:
        raise DomainError("请选择评议轮次")
    if latest_notice(campaign, unit, round_, ("draft",)):
        raise DomainError(f"{unit.name}已有本轮的反馈草稿，请直接修改")
    findings = unreported_findings(campaign, unit)
    sent = latest_notice(campaign, unit, round_, ("sent",))
    # Opinions go into a unit's first notice of a round; once one is sent, only new findings justify another.
    opinions = [] if sent else db.session.scalars(select(Opinion).where(
        Opinion.campaign_id == campaign.id, Opinion.unit_id == unit.id, Opinion.status == "confirmed")).all()
    if not findings and not opinions:
        if sent:
            raise DomainError(f"{unit.name}本轮反馈通知书已发送，没有新的问题需要反馈；如需更正，请在通知书页发更正版")
        raise DomainError(f"{unit.name}没有尚未反馈的已确认问题或意见建议")
    deadline = default_deadline(campaign)
    overall = overall_assessment(campaign, unit, findings)
    if opinions:
        overall += "评议中收集到的群众意见建议：" + "；".join(o.text for o in opinions) + "。"
    notice = FeedbackNotice(campaign_id=campaign.id, unit_id=unit.id, round=round_, created_by_id=user.id,
                            overall=overall, answer_deadline=deadline)
    for order, f in enumerate(findings, 1):
        notice.items.append(FeedbackItem(finding_id=f.id, dimension_id=f.dimension_id, problem=f.description,
                                         suggestion="", deadline=deadline, sort_order=order))
    db.session.add(notice)
    db.session.flush()
    record("create", notice, unit_id=None,
           summary=f"起草{unit.name}{ROUND_LABELS[round_]}反馈通知书（{len(findings)} 个问题）", actor=user)
    db.session.commit()
    return notice


def compile_group(campaign, group, round_, user):
    """Draft notices for every unit of a group that has findings to feed back; returns (made, skipped)."""
    made, skipped = [], []
    for part in group.participations:
        try:
            made.append(compile_notice(campaign, part.unit, round_, user))
        except DomainError:
            db.session.rollback()
            skipped.append(part.unit)
    return made, skipped


def delete_draft(notice, user):
    """The office throws away a notice never sent (a first draft or an unsent correction)."""
    if notice.status != "draft":
        raise DomainError("已发送的反馈通知书不能删除；如需更正，请发更正版")
    before = snapshot(notice)
    record("delete", notice, before, unit_id=notice.unit_id, actor=user,
           summary=f"删除{notice.unit.name}{notice.round_label}反馈通知书草稿（{len(notice.items)} 个问题）")
    db.session.delete(notice)
    db.session.commit()


def _draft(notice):
    if notice.status != "draft":
        raise DomainError("已发送的反馈通知书不能修改；如需更正，请发更正版")


def save_notice(notice, version, overall, answer_deadline):
    _draft(notice)
    check_version(notice, version)
    before = snapshot(notice)
    notice.overall, notice.answer_deadline = overall.strip(), answer_deadline
    record("update", notice, before, summary=f"修改{notice.unit.name}反馈通知书（草稿）")
    db.session.commit()


def regenerate_overall(notice, version, user):
    """Write the draft's 总体评价 afresh from the unit's current data (the office then edits it)."""
    _draft(notice)
    check_version(notice, version)
    before = snapshot(notice)
    notice.overall = overall_assessment(notice.campaign, notice.unit,
                                        [i.finding for i in notice.items if i.finding is not None])
    record("update", notice, before, actor=user, summary=f"按单位数据重新生成{notice.unit.name}反馈通知书的总体评价")
    db.session.commit()


def next_letter_number(campaign):
    """The next number of the year's 函 register: feedback notices, 整改通知书 and 催办通知 share it, given in
    the order of sending."""
    issued = table("issued_document")  # the documents' register: documents sit above feedback
    last = max(db.session.scalar(select(func.max(FeedbackNotice.doc_number)).where(
        FeedbackNotice.campaign_id == campaign.id)) or 0,
        db.session.scalar(select(func.max(issued.c.doc_number)).where(
            issued.c.campaign_id == campaign.id)) or 0)
    return last + 1


def save_item(notice, item, version, dimension_id, problem, suggestion, deadline):
    """Create (item None) or edit one problem of a draft notice."""
    _draft(notice)
    if not problem.strip():
        raise DomainError("请填写问题")
    dim = db.session.get(Dimension, dimension_id)
    if dim is None or dim.campaign_id != notice.campaign_id:
        raise DomainError("请选择评议方面")
    if item is None:
        item = FeedbackItem(dimension_id=dimension_id, problem=problem.strip(), suggestion=suggestion.strip(),
                            deadline=deadline, sort_order=len(notice.items) + 1)
        notice.items.append(item)
        db.session.flush()
        record("create", item, summary=f"{notice.unit.name}反馈通知书（草稿）：新增问题")
    else:
        check_version(item, version)
        before = snapshot(item)
        item.dimension_id, item.problem = dimension_id, problem.strip()
        item.suggestion, item.deadline = suggestion.strip(), deadline
        record("update", item, before, summary=f"{notice.unit.name}反馈通知书（草稿）：修改问题")
    db.session.commit()
    return item


def delete_item(item):
    notice = item.notice
    _draft(notice)
    before = snapshot(item)
    notice.items.remove(item)
    record("delete", item, before, summary=f"{notice.unit.name}反馈通知书（草稿）：删除问题")
    db.session.commit()


def send_refusal(notice):
    """Why a draft cannot be sent yet, or None; the 发送 button shows it beside itself."""
    if not notice.items:
        return "反馈通知书至少要有一个问题"
    missing = [str(i) for i, item in enumerate(notice.items, 1) if not item.suggestion.strip()]
    if missing:
        return f"第 {'、'.join(missing)} 个问题还没有整改建议"
    return None


def send_notice(notice, user):
    """Send a draft: it gets its document number and is frozen; a correction replaces the old edition,
    whose receipt stays on record and whose answers move to the corrected items."""
    _draft(notice)
    reason = send_refusal(notice)
    if reason:
        raise DomainError(reason)
    before = snapshot(notice)
    notice.status, notice.doc_number = "sent", next_letter_number(notice.campaign)
    notice.sent_at, notice.sent_by_id = utcnow(), user.id
    if notice.replaces is not None:
        old = notice.replaces
        old_before = snapshot(old)
        old.status = "superseded"
        record("update", old, old_before, unit_id=old.unit_id, summary=f"{old.unit.name}反馈通知书被更正版取代", actor=user)
        carried = set()
        for item in notice.items:
            previous = db.session.get(FeedbackItem, item.previous_item_id) if item.previous_item_id else None
            if previous is not None and previous.rectification is not None:
                moved = previous.rectification
                moved_before = snapshot(moved)
                moved.item_id = item.id
                carried.add(previous.id)
                record("update", moved, moved_before, unit_id=moved.unit_id, actor=user,
                       summary=f"更正版沿用原答复：{item.problem[:24]}")
        for dropped in old.items:
            if dropped.id not in carried and dropped.rectification is not None:
                r = dropped.rectification
                r_before = snapshot(r)
                r.status = "withdrawn"
                record("update", r, r_before, unit_id=r.unit_id, actor=user,
                       summary=f"更正版删除了问题，相应整改撤销：{dropped.problem[:24]}")
    record("update", notice, before, unit_id=notice.unit_id,
           summary=f"发送{notice.unit.name}{notice.round_label}反馈通知书（第 {notice.edition} 版，{len(notice.items)} 个问题）", actor=user)
    db.session.commit()


def revise_notice(notice, user):
    """Start a corrected edition of a sent notice as a draft copy; the sent one stays as it was.
    The unit signs the corrected edition again; its answers move to the corrected items on sending."""
    if notice.status != "sent":
        raise DomainError("只有已发送的反馈通知书可以发更正版")
    if latest_notice(notice.campaign, notice.unit, notice.round, ("draft",)):
        raise DomainError("已有待发送的更正版草稿")
    draft = FeedbackNotice(campaign_id=notice.campaign_id, unit_id=notice.unit_id, round=notice.round,
                           edition=notice.edition + 1, replaces_id=notice.id, created_by_id=user.id,
                           overall=notice.overall, answer_deadline=notice.answer_deadline)
    for item in notice.items:
        draft.items.append(FeedbackItem(finding_id=item.finding_id, dimension_id=item.dimension_id,
                                        problem=item.problem, suggestion=item.suggestion, deadline=item.deadline,
                                        sort_order=item.sort_order, previous_item_id=item.id))
    db.session.add(draft)
    db.session.flush()
    record("create", draft, summary=f"起草{notice.unit.name}反馈通知书更正版（第 {draft.edition} 版）", actor=user)
    db.session.commit()
    return draft


def receive_notice(notice, user):
    """The unit's liaison confirms receipt (签收): who and when, once, never undone."""
    if user.role != "unit" or user.unit_id != notice.unit_id:
        raise DomainError("只能由本单位联络员签收")
    if notice.status != "sent":
        raise DomainError("该反馈通知书不在可签收状态")
    if notice.received_at is not None:
        raise DomainError(f"已于 {cn_datetime(notice.received_at)} 签收，不能重复签收")
    before = snapshot(notice)
    notice.received_at, notice.received_by_id = utcnow(), user.id
    record("update", notice, before, unit_id=notice.unit_id, summary=f"{notice.unit.name}签收{notice.round_label}反馈通知书", actor=user)
    db.session.commit()


def receipt_overdue(notice, now=None):
    """A sent notice not confirmed within FEEDBACK_RECEIPT_DAYS days is flagged."""
    if notice.status != "sent" or notice.received_at is not None or notice.sent_at is None:
        return False
    now = now or utcnow()
    return now - notice.sent_at > timedelta(days=current_app.config["FEEDBACK_RECEIPT_DAYS"])


# The overview's stat cards: which rows (units, plain rows of overview_rows) each counts; a card opens the overview
# showing only those.
OVERVIEW_CARDS = {
    "sent": ("已发送", lambda r: r["notice"] is not None),
    "received": ("已签收", lambda r: r["notice"] is not None and r["notice"]["received_at"] is not None),
    "overdue": ("超期未签收", lambda r: bool(r["overdue"])),
    "drafts": ("草稿", lambda r: r["draft"] is not None),
    "waiting": ("有待反馈问题的单位", lambda r: bool(r["waiting"])),
}


def overview_cards(rows, show=""):
    """({card: count} over all rows, the rows the card `show` counts, or all rows)."""
    counts = {key: sum(1 for r in rows if keep(r)) for key, (_, keep) in OVERVIEW_CARDS.items()}
    if show in OVERVIEW_CARDS:
        rows = [r for r in rows if OVERVIEW_CARDS[show][1](r)]
    return counts, rows


def overview_rows(campaign, round_):
    """overview() for every active unit taking part in `campaign`, as plain rows in four statements whatever the
    size of the county: {unit_id, unit_name, group_id, notice, draft, waiting, can_compile, overdue}, where notice
    (the latest sent one of the round) and draft are None or {id, label, edition, correction, received_at,
    sent_at, items}. Kept while the data and the hour are unchanged (a receipt becomes overdue with time); each
    call gets its own list, the rows themselves are shared and must not be changed."""
    return list(kept("feedback-overview-rows", (campaign.id, round_), lambda: _overview_rows(campaign, round_),
                     clock="hour"))


def _to_feed_back(campaign):
    """({unit id: confirmed findings not yet in a draft or sent notice}, the ids of units with confirmed opinions)."""
    used = select(FeedbackItem.finding_id).join(FeedbackNotice).where(
        FeedbackNotice.campaign_id == campaign.id, FeedbackNotice.status.in_(("draft", "sent")),
        FeedbackItem.finding_id.is_not(None))
    waiting = dict(db.session.execute(
        select(Finding.unit_id, func.count()).where(Finding.campaign_id == campaign.id, Finding.status == "confirmed",
                                                   Finding.id.not_in(used)).group_by(Finding.unit_id)).all())
    with_opinions = set(db.session.scalars(select(Opinion.unit_id).where(
        Opinion.campaign_id == campaign.id, Opinion.status == "confirmed").distinct()))
    return waiting, with_opinions


def _overview_rows(campaign, round_):
    units = db.session.execute(
        select(Unit.id, Unit.name, Participation.group_id)
        .join(Participation, (Participation.unit_id == Unit.id) & (Participation.campaign_id == campaign.id))
        .where(Unit.active.is_(True)).order_by(Unit.category, Unit.sort_order)).all()
    items = (select(func.count(FeedbackItem.id)).where(FeedbackItem.notice_id == FeedbackNotice.id)
             .correlate(FeedbackNotice).scalar_subquery())
    notices = db.session.execute(
        select(FeedbackNotice.id, FeedbackNotice.unit_id, FeedbackNotice.status, FeedbackNotice.edition,
               FeedbackNotice.doc_number, FeedbackNotice.replaces_id, FeedbackNotice.received_at,
               FeedbackNotice.sent_at, items.label("items"))
        .where(FeedbackNotice.campaign_id == campaign.id, FeedbackNotice.round == round_,
               FeedbackNotice.status.in_(("draft", "sent")))
        .order_by(FeedbackNotice.edition, FeedbackNotice.id)).all()
    sent, drafts = {}, {}
    for n in notices:
        (sent if n.status == "sent" else drafts)[n.unit_id] = {
            "id": n.id, "edition": n.edition, "correction": n.replaces_id is not None, "items": n.items,
            "received_at": n.received_at, "sent_at": n.sent_at,
            "label": f"{campaign.doc_prefix}函〔{campaign.year}〕{n.doc_number}号" if n.doc_number else ""}
    waiting, with_opinions = _to_feed_back(campaign)
    now, days = utcnow(), timedelta(days=current_app.config["FEEDBACK_RECEIPT_DAYS"])
    rows = []
    for unit_id, name, group_id in units:
        notice = sent.get(unit_id)
        rows.append({
            "unit_id": unit_id, "unit_name": name, "group_id": group_id, "notice": notice,
            "draft": drafts.get(unit_id), "waiting": waiting.get(unit_id, 0),
            "can_compile": unit_id not in drafts and bool(waiting.get(unit_id) or (notice is None and unit_id in with_opinions)),
            # receipt_overdue() of the sent notice
            "overdue": bool(notice and notice["received_at"] is None and notice["sent_at"] is not None
                            and now - notice["sent_at"] > days)})
    return rows


def overview_page(campaign, round_, scope=None, group_id=None, show="", page=1, per_page=50):
    """The overview of the units in `scope` (ids; None: all) and of the group, as ({card: count}, the page of
    the rows the card `show` lists, the number of units): the cards count all pages."""
    rows = [r for r in overview_rows(campaign, round_)
            if (scope is None or r["unit_id"] in scope) and (not group_id or r["group_id"] == group_id)]
    summary, shown = overview_cards(rows, show)
    return summary, page_of_list(shown, page, per_page), len(rows)


def overview(campaign, round_, unit_ids):
    """Per unit of `unit_ids` (a select): its latest sent notice of the round, its unsent draft (kept apart, so
    a draft never hides a sent notice), the findings still to feed back and whether a new draft makes sense."""
    units = db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids)).order_by(Unit.category, Unit.sort_order)).all()
    notices = db.session.scalars(
        select(FeedbackNotice).where(FeedbackNotice.campaign_id == campaign.id, FeedbackNotice.round == round_,
                                     FeedbackNotice.status.in_(("draft", "sent")))
        .options(selectinload(FeedbackNotice.items), selectinload(FeedbackNotice.received_by))
        .order_by(FeedbackNotice.edition, FeedbackNotice.id)).all()
    sent, drafts = {}, {}
    for n in notices:
        (sent if n.status == "sent" else drafts)[n.unit_id] = n
    waiting, with_opinions = _to_feed_back(campaign)
    return [{"unit": u, "notice": sent.get(u.id), "draft": drafts.get(u.id), "waiting": waiting.get(u.id, 0),
             "can_compile": u.id not in drafts and bool(waiting.get(u.id) or (u.id not in sent and u.id in with_opinions)),
             "overdue": receipt_overdue(sent[u.id]) if u.id in sent else False} for u in units]


def unit_notices(campaign, unit):
    """A unit's sent notices (and superseded editions, kept for the record), newest first."""
    return db.session.scalars(
        select(FeedbackNotice).where(FeedbackNotice.campaign_id == campaign.id, FeedbackNotice.unit_id == unit.id,
                                     FeedbackNotice.status.in_(("sent", "superseded")))
        .order_by(FeedbackNotice.sent_at.desc(), FeedbackNotice.id.desc())).all()
