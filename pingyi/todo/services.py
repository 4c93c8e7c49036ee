"""The work queues of each role: every queue is its rows, so the count shown is always the number of rows."""
from datetime import timedelta

from flask import current_app, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from pingyi import policy
from pingyi.appeals.models import Appeal
from pingyi.audit.services import record, snapshot
from pingyi.auth.roles import EVALUATOR, OFFICE, SUPERVISOR, UNIT
from pingyi.checklists.models import Assessment, CheckItem, Dimension
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.findings.models import Finding, Inspection, Opinion
from pingyi.rectifications.models import CommitmentLetter, Extension, RecheckRecord, Rectification
from pingyi.reminders.models import Reminder
from pingyi.overdue import overdue_rectifications_stmt, unanswered_items_stmt, unsigned_notices_stmt
from pingyi.paging import Page
from pingyi.surveys.integrity_models import FollowUp
from pingyi.surveys.services import double_entry_state
from pingyi.tasks import services as task_services
from pingyi.tasks.models import Submission, Task
from pingyi.timeutil import local, today, utcnow
from pingyi.units.models import Unit

# key -> (label, level); the order is the order on the page.
QUEUES = {
    "materials": ("待确认的任务材料", "warn"),
    "unsigned": ("超期未签收的反馈", "alert"),
    "unanswered": ("尚未答复的反馈问题", "warn"),
    "verify": ("待核实的整改", "warn"),
    "extensions": ("待审批的延期申请", "warn"),
    "letters": ("待备案的整改承诺书", "warn"),
    "findings": ("待审核的问题", "warn"),
    "opinions": ("待审核的意见建议（含网上问卷留言）", "warn"),
    "double-entry": ("双人录入待完成或不一致的测评票", "warn"),
    "overdue-rects": ("逾期未完成的整改", "alert"),
    "failed": ("未整改到位、需继续整改", "alert"),
    "sign": ("待签收的反馈通知书", "alert"),
    "answer": ("待答复的反馈问题", "warn"),
    "returned": ("被退回的任务材料", "alert"),
    "due": ("逾期或即将到期的任务", "alert"),
    "commitment": ("待提交的整改承诺书", "warn"),
    "reminded": ("纠风办的催办", "alert"),
    "unrated": ("尚未评分的单位", "warn"),
    "uninspected": ("尚未检查的单位", "warn"),
    "drafts": ("未提交的检查草稿", "warn"),
    "recheck": ("待践诺核查的承诺事项", "warn"),
    "follow-ups": ("待回访核实的不满意意见", "warn"),
    "appeals": ("待决定的申诉", "warn"),
    "public-reply": ("待公开答复的群众意见", "warn"),
}
ROLE_QUEUES = {
    OFFICE: ("materials", "unsigned", "unanswered", "verify", "extensions", "letters", "findings", "opinions",
             "double-entry", "overdue-rects", "follow-ups", "appeals"),
    UNIT: ("reminded", "sign", "answer", "returned", "due", "overdue-rects", "failed", "commitment", "public-reply"),
    EVALUATOR: ("unrated", "drafts"),
    SUPERVISOR: ("uninspected", "drafts", "recheck"),
}
REMINDER_DAYS = 30  # a unit sees a 催办 in its to-dos for a month
PER_PAGE = 50  # rows of a queue on one page of /todo

# Every queue is a function (campaign, user, window=None) -> (total, rows): all its rows, or with window
# (offset, limit) the number of all and only that slice, fetched as such from the database where it can be.


def _fetch(stmt, window, pairs=False):
    """(total, found) of an ORM statement: every row, or the count and the window's rows only."""
    run = db.session.execute if pairs else db.session.scalars
    if window is None:
        found = run(stmt).all()
        return len(found), found
    offset, limit = window
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    if not limit or offset >= total:
        return total, []
    return total, run(stmt.offset(offset).limit(limit)).all()


def _slice(found, window):
    """(total, found) of rows worked out in Python: all, or the window's slice."""
    if window is None:
        return len(found), found
    offset, limit = window
    return len(found), found[offset:offset + limit]


def _row(unit, title, detail="", when=None, url=None, **extra):
    return {"unit": unit, "title": title, "detail": detail, "when": when, "url": url, **extra}


def _materials(campaign, user, window=None):
    total, subs = _fetch(
        select(Submission).join(Task).join(Unit, Unit.id == Submission.unit_id)
        .where(Task.campaign_id == campaign.id, Submission.status == "submitted")
        .options(selectinload(Submission.task), selectinload(Submission.unit), selectinload(Submission.files))
        .order_by(Submission.submitted_at, Task.due_date, Unit.sort_order, Submission.id), window)
    return total, [_row(s.unit, s.task.title, s.note, local(s.submitted_at).date() if s.submitted_at else None,
                        url_for("board.show", task_id=s.task_id, unit=s.unit_id), submission=s) for s in subs]


def _unsigned(campaign, user, window=None):
    days = current_app.config["FEEDBACK_RECEIPT_DAYS"]
    total, found = _fetch(unsigned_notices_stmt(campaign, days=days), window)
    return total, [_row(n.unit, f"{n.round_label}评议意见反馈通知书", f"发出已超过 {days} 天", local(n.sent_at).date(),
                        url_for("feedback.show", notice_id=n.id)) for n in found]


def _unanswered(campaign, user, window=None):
    total, found = _fetch(unanswered_items_stmt(campaign), window)
    return total, [_row(i.notice.unit, i.problem, f"答复期限 {i.notice.answer_deadline:%Y-%m-%d}",
                        i.notice.answer_deadline, url_for("feedback.show", notice_id=i.notice_id)) for i in found]


def _rects(campaign, window, *conditions):
    return _fetch(select(Rectification).where(Rectification.campaign_id == campaign.id, *conditions)
                  .options(selectinload(Rectification.unit), selectinload(Rectification.item))
                  .order_by(Rectification.completed_at, Rectification.id), window)


def _verify(campaign, user, window=None):
    total, found = _rects(campaign, window, Rectification.status == "completed")
    return total, [_row(r.unit, r.item.problem, r.kind_label, local(r.completed_at).date() if r.completed_at else None,
                        url_for("rectifications.show", rect_id=r.id)) for r in found]


def _extensions(campaign, user, window=None):
    total, rows = _fetch(select(Extension, Rectification).join(Rectification).where(
        Rectification.campaign_id == campaign.id, Extension.status == "pending")
        .options(selectinload(Rectification.unit), selectinload(Rectification.item))
        .order_by(Extension.requested_at, Extension.id), window, pairs=True)
    return total, [_row(r.unit, r.item.problem, f"申请延期至 {e.requested_deadline:%Y-%m-%d}：{e.reason}",
                 local(e.requested_at).date(), url_for("rectifications.show", rect_id=r.id)) for e, r in rows]


def _letters(campaign, user, window=None):
    total, letters = _fetch(select(CommitmentLetter).join(Unit, Unit.id == CommitmentLetter.unit_id).where(
        CommitmentLetter.campaign_id == campaign.id, CommitmentLetter.status == "submitted")
        .order_by(CommitmentLetter.submitted_at, CommitmentLetter.id), window)
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_([x.unit_id for x in letters])))} \
        if letters else {}
    return total, [_row(units[x.unit_id], "整改承诺书（已上传签章件）", "", local(x.submitted_at).date() if x.submitted_at else None,
                 url_for("rectifications.commitment", unit_id=x.unit_id)) for x in letters]


def _rect_rows(counted):
    total, rects = counted
    return total, [_row(r.unit, r.item.problem, f"{r.kind_label} · {r.status_label}", r.deadline or r.item.deadline,
                 url_for("rectifications.show", rect_id=r.id)) for r in rects]


def _overdue_rects(campaign, user, window=None):
    return _rect_rows(_fetch(overdue_rectifications_stmt(campaign, [user.unit_id] if user.role == UNIT else None), window))


def _failed(campaign, user, window=None):
    return _rect_rows(_rects(campaign, window, Rectification.unit_id == user.unit_id, Rectification.status == "failed"))


def _drafts(campaign, user, window=None):
    total, found = _fetch(select(Inspection).where(
        Inspection.campaign_id == campaign.id, Inspection.created_by_id == user.id, Inspection.status == "draft")
        .options(selectinload(Inspection.unit)).order_by(Inspection.held_on, Inspection.id), window)
    return total, [_row(i.unit, f"{i.method_label}（草稿）", i.summary, i.held_on,
                 url_for("findings.edit_inspection", inspection_id=i.id)) for i in found]


def _recheck(campaign, user, window=None):
    scope = policy.inspected_unit_ids(user, campaign) or {0}
    return _rect_rows(_rects(campaign, window, Rectification.unit_id.in_(scope), Rectification.kind == "plan",
                             Rectification.id.not_in(select(RecheckRecord.rectification_id))))


def _findings(campaign, user, window=None):
    total, found = _fetch(select(Finding).where(Finding.campaign_id == campaign.id, Finding.status == "submitted")
                          .options(selectinload(Finding.unit)).order_by(Finding.id), window)
    return total, [_row(f.unit, f.description, "", None, url_for("findings.show_inspection", inspection_id=f.inspection_id))
            for f in found]


def _opinions(campaign, user, window=None):
    total, found = _fetch(select(Opinion).where(Opinion.campaign_id == campaign.id, Opinion.status == "submitted")
                          .options(selectinload(Opinion.unit)).order_by(Opinion.id), window)
    return total, [_row(o.unit, o.text, "网上问卷留言" if o.source == "survey" else "", None,
                 url_for("findings.index", unit=o.unit_id, _anchor="opinions")) for o in found]


def _double_entry(campaign, user, window=None):
    state = double_entry_state(campaign)
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_({k[0] for k in state})))}
    return _slice([_row(units[unit_id], "测评票录入", label, None, url_for("surveys.tally", unit_id=unit_id))
                   for (unit_id, _, _, _), label in sorted(state.items(), key=lambda kv: units[kv[0][0]].sort_order)],
                  window)


def _sign(campaign, user, window=None):
    total, found = _fetch(unsigned_notices_stmt(campaign, [user.unit_id]), window)
    return total, [_row(n.unit, f"{n.round_label}评议意见反馈通知书", "请阅读后签收", local(n.sent_at).date(),
                        url_for("feedback.show", notice_id=n.id)) for n in found]


def _answer(campaign, user, window=None):
    total, found = _fetch(unanswered_items_stmt(campaign, [user.unit_id]), window)
    return total, [_row(i.notice.unit, i.problem, f"答复期限 {i.notice.answer_deadline:%Y-%m-%d}",
                        i.notice.answer_deadline, url_for("rectifications.answer", item_id=i.id)) for i in found]


def _unit_task_rows(campaign, user, keep, window, tasks=None):
    """The unit's tasks that `keep` picks, from `tasks` (task_services.unit_tasks) when the caller has them."""
    tasks = task_services.unit_tasks(campaign, user.unit) if tasks is None else tasks
    return _slice([_row(user.unit, r["task"].title, r["submission"].review_comment if r["status"] == "returned" else
                 ("已逾期" if r["overdue"] else "即将到期"), r["task"].due_date,
                 url_for("board.show", task_id=r["task"].id))
            for r in tasks if keep(r)], window)


def _returned(campaign, user, window=None, tasks=None):
    return _unit_task_rows(campaign, user, lambda r: r["status"] == "returned", window, tasks)


def _due(campaign, user, window=None, tasks=None):
    return _unit_task_rows(campaign, user, lambda r: r["status"] == "pending" and (r["overdue"] or r["state"] == "soon"),
                           window, tasks)


def _commitment(campaign, user, window=None):
    plans = db.session.scalar(select(Rectification.id).where(
        Rectification.campaign_id == campaign.id, Rectification.unit_id == user.unit_id, Rectification.kind == "plan")
        .limit(1))
    letter = db.session.scalar(select(CommitmentLetter.status).where(
        CommitmentLetter.campaign_id == campaign.id, CommitmentLetter.unit_id == user.unit_id))
    if plans is None or letter not in (None, "draft"):
        return _slice([], window)
    return _slice([_row(user.unit, "整改承诺书", "下载、签章后上传备案", None,
                        url_for("rectifications.commitment", unit_id=user.unit_id))], window)


def _reminded(campaign, user, window=None):
    total, found = _fetch(select(Reminder).where(
        Reminder.campaign_id == campaign.id, Reminder.unit_id == user.unit_id,
        Reminder.reminded_on >= today() - timedelta(days=REMINDER_DAYS))
        .options(selectinload(Reminder.unit)).order_by(Reminder.reminded_on.desc(), Reminder.id.desc()), window)
    return total, [_row(r.unit, f"{r.method_label}催办", r.note, r.reminded_on,
                 url_for("units.show", unit_id=user.unit_id, _anchor="reminders")) for r in found]


def _follow_ups(campaign, window, *conditions):
    return _fetch(select(FollowUp).where(FollowUp.campaign_id == campaign.id, *conditions)
                  .options(selectinload(FollowUp.unit), selectinload(FollowUp.opinion))
                  .order_by(FollowUp.due_on, FollowUp.received_on, FollowUp.id), window)


def _follow_ups_to_verify(campaign, user, window=None):
    """不满意 comments the office has not yet verified (回访核实), the earliest due first."""
    on = today()
    total, found = _follow_ups(campaign, window, FollowUp.dissatisfied, FollowUp.outcome == "",
                               FollowUp.due_on.is_not(None))
    return total, [_row(f.unit, f.text, f"{f.due_on:%Y-%m-%d} 前回访核实" + ("（已逾期）" if f.due_on < on else ""), f.due_on,
                 url_for("appeals.index", _anchor=f"follow-{f.id}"))
            for f in found]


def _appeals(campaign, user, window=None):
    total, found = _fetch(select(Appeal).where(Appeal.campaign_id == campaign.id, Appeal.status == "pending")
                               .options(selectinload(Appeal.unit), selectinload(Appeal.finding),
                                        selectinload(Appeal.follow_up).selectinload(FollowUp.opinion))
                               .order_by(Appeal.filed_at, Appeal.id), window)
    return total, [_row(a.unit, a.subject, a.grounds if len(a.grounds) <= 80 else a.grounds[:80] + "…", local(a.filed_at).date() if a.filed_at else None,
                 url_for("appeals.show", appeal_id=a.id)) for a in found]


def _public_reply(campaign, user, window=None):
    """The unit's own online comments it has not yet answered publicly."""
    total, found = _follow_ups(campaign, window, FollowUp.unit_id == user.unit_id, FollowUp.status != "closed",
                               FollowUp.replied_at.is_(None))
    return total, [_row(f.unit, f.text, "不满意意见" if f.dissatisfied else "", f.received_on,
                        url_for("appeals.index", _anchor=f"follow-{f.id}")) for f in found]


def _scope_units(campaign, user):
    ids = policy.inspected_unit_ids(user, campaign)
    return db.session.scalars(select(Unit).where(Unit.id.in_(ids), Unit.active).order_by(Unit.category, Unit.sort_order)).all()


def _unrated(campaign, user, window=None):
    rated = set(db.session.scalars(select(Assessment.unit_id).join(CheckItem).join(Dimension).where(
        Dimension.campaign_id == campaign.id, Assessment.kind == "review")))
    total, found = _slice([u for u in _scope_units(campaign, user) if u.id not in rated], window)
    return total, [_row(u, "检查清单评分", "本年度尚无评议组评分", None, url_for("unit_checklists.show", unit_id=u.id))
                   for u in found]


def _uninspected(campaign, user, window=None):
    done = set(db.session.scalars(select(Inspection.unit_id).where(
        Inspection.campaign_id == campaign.id, Inspection.created_by_id == user.id, Inspection.status != "draft")))
    total, found = _slice([u for u in _scope_units(campaign, user) if u.id not in done], window)
    return total, [_row(u, "明察暗访或走访检查", "本年度您尚未提交对该单位的检查", None, url_for("findings.create", unit=u.id))
                   for u in found]


ROWS = {"materials": _materials, "unsigned": _unsigned, "unanswered": _unanswered, "verify": _verify,
        "extensions": _extensions, "letters": _letters, "findings": _findings, "opinions": _opinions,
        "double-entry": _double_entry, "sign": _sign, "answer": _answer, "returned": _returned, "due": _due,
        "commitment": _commitment, "reminded": _reminded, "unrated": _unrated, "uninspected": _uninspected,
        "overdue-rects": _overdue_rects, "failed": _failed, "drafts": _drafts, "recheck": _recheck,
        "follow-ups": _follow_ups_to_verify, "appeals": _appeals, "public-reply": _public_reply}


UNIT_TASK_QUEUES = {"returned", "due"}  # both from the unit's task list, worked out once for the counts


def queue_keys(user):
    return ROLE_QUEUES.get(user.role, ())


def queue_rows(campaign, user, key):
    """The rows of one of the user's queues; a queue that is not the user's is refused."""
    if key not in queue_keys(user):
        raise DomainError("没有这个待办事项")
    return ROWS[key](campaign, user)[1]


def queue_page(campaign, user, key, page=1):
    """One page (pingyi.paging.Page) of a queue, PER_PAGE rows a page (a page past the end shows the last one); a
    queue that is not the user's is refused."""
    if key not in queue_keys(user):
        raise DomainError("没有这个待办事项")
    page = max(1, page or 1)
    total, rows = ROWS[key](campaign, user, ((page - 1) * PER_PAGE, PER_PAGE))
    pages = max(1, -(-total // PER_PAGE))
    if page > pages:
        page = pages
        total, rows = ROWS[key](campaign, user, ((page - 1) * PER_PAGE, PER_PAGE))
    return Page(rows, page, PER_PAGE, total)


def queue_counts(campaign, user, kept_queues):
    """[(key, label, level, count)] of the user's queues from the kept navigation list [(label, count, url, level)]
    (which leaves out empty queues): the counts without working any queue out again."""
    by_url = {url: count for _, count, url, _ in kept_queues}
    return [(key, *QUEUES[key], by_url.get(queue_url(key), 0)) for key in queue_keys(user)]


def queue_url(key):
    """url_for("todo.index", q=key), put together without building the route again for every queue (the keys
    are plain ASCII words and hyphens, nothing to quote)."""
    return f"{url_for('todo.index')}?q={key}"


def queues(campaign, user):
    """[(key, label, level, count)] for every queue of the user's role, empty ones included; a queue read from the
    database is counted there, without loading its rows."""
    if campaign is None:
        return []
    keys = queue_keys(user)
    tasks = task_services.unit_tasks(campaign, user.unit) if UNIT_TASK_QUEUES & set(keys) else None
    return [(key, *QUEUES[key], (ROWS[key](campaign, user, (0, 0), tasks=tasks) if key in UNIT_TASK_QUEUES
                                 else ROWS[key](campaign, user, (0, 0)))[0]) for key in keys]


def confirm_submissions(campaign, submission_ids, user):
    """Confirm the chosen materials across tasks (those still submitted, in this campaign); return how many."""
    ids = [i for i in submission_ids if isinstance(i, int)]
    if not ids:
        raise DomainError("请先勾选要确认的材料")
    subs = db.session.scalars(select(Submission).join(Task).where(
        Submission.id.in_(ids), Task.campaign_id == campaign.id, Submission.status == "submitted")
        .options(selectinload(Submission.task), selectinload(Submission.unit))).all()
    for sub in subs:
        before = snapshot(sub)
        sub.status = task_services.transition(sub.status, "confirm")
        sub.reviewed_at, sub.reviewed_by_id, sub.review_comment = utcnow(), user.id, ""
        record("update", sub, before, unit_id=sub.unit_id, actor=user,
               summary=f"批量确认{sub.unit.name}的“{sub.task.title}”")
    db.session.commit()
    return len(subs)

