"""Phase tasks from the plan, unit submissions and their review, progress and overdue on the board."""
from collections import defaultdict
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from pingyi.audit.services import record, snapshot
from pingyi.auth.models import User
from pingyi.campaigns.models import Participation
from pingyi.errors import DomainError, check_version
from pingyi.extensions import db
from pingyi.files.models import StoredFile
from pingyi.files.services import check_upload, store_file
from pingyi.paging import Page
from pingyi.tasks.models import ACTOR_LABELS, STATUS_LABELS, Submission, SubmissionReturn, Task
from pingyi.timeutil import cn_date, cn_datetime, local, same_day_in, today, utcnow
from pingyi.units.models import Unit

# (phase, title, actor, requires_file, due: "end" of the phase, "report" deadline or (month, day), description)
PLAN_TASKS = (
    (1, "印发评议实施方案和通知", "office", False, (4, 10), "纠风办印发年度评议实施方案和工作通知"),
    (1, "组织学习实施方案", "unit", False, "end", "组织干部职工学习评议实施方案，简要说明学习情况"),
    (1, "成立评议工作领导小组", "unit", True, "end", "上传领导小组名单（组长、副组长、成员及联络员）"),
    (1, "制定本单位评议方案", "unit", True, "end", "上传本单位政风行风评议工作方案"),
    (2, "征求内部、下属单位、服务对象和社会各界意见", "unit", False, (6, 10), "说明征求意见的方式、范围和收集到的意见条数"),
    (2, "组织义务监督员自查自评", "unit", False, (6, 15), "说明监督员参与自查自评的情况"),
    (2, "制订整改措施", "unit", False, (6, 20), "针对自查发现的问题制订整改措施"),
    (2, "书面报告自查自评情况", "unit", True, "end", "上传自查自评情况报告"),
    (2, "抽查：听取汇报、座谈会、民意测评、走访服务对象、明察暗访", "supervisor", False, "end",
     "纠风办会同评议组、义务监督员对各单位开展抽查"),
    (2, "向单位班子反馈评议意见并提出整改建议", "office", False, "end", "收集梳理问题，形成评议意见反馈各单位"),
    (3, "逐条对照整改，能解决的限时解决", "unit", False, "end", "简要说明整改进展"),
    (3, "书面承诺书报纠风办备案", "unit", True, "end", "上传盖章的书面整改承诺书扫描件"),
    (3, "政策性问题作出说明", "unit", False, "end", "对超出本单位职权的问题作出说明；没有此类问题的请注明“无”"),
    (4, "书面总结报告", "unit", True, "report", "上传本单位政风行风评议工作书面总结报告"),
    (4, "践诺情况明察暗访", "supervisor", False, "end", "义务监督员对各单位承诺事项的落实情况进行明察暗访"),
    (4, "满意度测评", "office", False, "end", "组织开展满意度测评"),
    (4, "召开评议结果反馈会，全县通报", "office", False, "end", "形成评议意见，召开结果反馈会并全县通报"),
)
TRANSITIONS = {
    ("pending", "submit"): "submitted",
    ("returned", "submit"): "submitted",
    ("submitted", "submit"): "submitted",
    ("submitted", "confirm"): "confirmed",
    ("submitted", "return"): "returned",
}
REFUSALS = {
    "submit": "该材料已被纠风办确认，不能再修改",
    "confirm": "只有“已提交”的材料可以确认",
    "return": "只有“已提交”的材料可以退回",
}


def transition(status, action):
    """The status after `action`, or DomainError when the state machine forbids it."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise DomainError(REFUSALS[action]) from None


RESUBMIT_WORKING_DAYS = 5


def add_working_days(start, days):
    """`days` working days (Monday to Friday) after `start`."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def due_for(task, status, resubmit_due=None):
    """The date a unit must act by: the task's due date, or after a return its 补交期限."""
    return resubmit_due if status == "returned" and resubmit_due else task.due_date


def is_overdue(task, status, on=None, resubmit_due=None):
    """A unit task is overdue when its due date (after a return: the 补交期限) has passed and nothing
    stands submitted."""
    return task.for_units and status in ("pending", "returned") and due_for(task, status, resubmit_due) < (on or today())


def deadline_state(due, done, on=None):
    """'done', 'overdue', 'soon' (within DEADLINE_WARN_DAYS) or 'ok': the colour of a deadline."""
    if done:
        return "done"
    on = on or today()
    if due < on:
        return "overdue"
    if (due - on).days <= current_app.config["DEADLINE_WARN_DAYS"]:
        return "soon"
    return "ok"


def _due(campaign, spec, phase):
    if spec == "end":
        return phase.end_date
    if spec == "report":
        return campaign.report_deadline
    return date(campaign.year, *spec)


def create_plan_tasks(campaign, source=None):
    """Give a new campaign its tasks: a copy of the source campaign's list, or the plan's."""
    phases = {p.number: p for p in campaign.phases}
    previous = campaign_tasks(source.id) if source is not None else []
    if previous:
        for old in previous:
            due = same_day_in(old.due_date, old.due_date.year + campaign.year - source.year)
            db.session.add(Task(campaign_id=campaign.id, phase_number=old.phase_number, title=old.title,
                                description=old.description, actor=old.actor, due_date=due,
                                requires_file=old.requires_file, sort_order=old.sort_order))
        return
    for order, (phase, title, actor, needs_file, due, description) in enumerate(PLAN_TASKS, 1):
        db.session.add(Task(campaign_id=campaign.id, phase_number=phase, title=title, actor=actor,
                            requires_file=needs_file, due_date=_due(campaign, due, phases[phase]),
                            description=description, sort_order=order))


def campaign_tasks(campaign_id):
    """A campaign's tasks in board order."""
    return db.session.scalars(select(Task).where(Task.campaign_id == campaign_id)
                              .order_by(Task.phase_number, Task.sort_order, Task.id)).all()


def filtered_units(campaign, category="", key="", group_id=None):
    """A select of the ids of active units taking part in `campaign`, narrowed by the board's filters."""
    stmt = (select(Unit.id).join(Participation, and_(Participation.unit_id == Unit.id,
                                                     Participation.campaign_id == campaign.id))
            .where(Unit.active.is_(True)))
    if category:  # a key of the campaign's categories (pingyi.campaigns.categories)
        stmt = stmt.where(Unit.category == category)
    if key == "1":
        stmt = stmt.where(Participation.is_key.is_(True))
    elif key == "0":
        stmt = stmt.where(Participation.is_key.is_(False))
    if group_id:
        stmt = stmt.where(Participation.group_id == group_id)
    return stmt


def group_unit_ids(campaign, group_id):
    """A select of the ids of the units a group evaluates in `campaign` (for list filters)."""
    return select(Participation.unit_id).where(Participation.campaign_id == campaign.id,
                                               Participation.group_id == group_id)


def board(campaign, on=None, **filters):
    """The four phase columns with their task cards and, for unit tasks, progress across units.

    Five queries whatever the number of units: tasks, phases, the filtered unit count, the submission counts
    grouped by task and status, and the returned ones past their 补交期限 by task.
    """
    on = on or today()
    units = filtered_units(campaign, **filters).subquery()
    total = db.session.scalar(select(func.count()).select_from(units))
    # `unit_id + 0`: the unit test is made on each row of the (task, status, unit) index rather than by looking
    # every unit up under every task, which SQLite would otherwise choose (three times slower at 300 units).
    in_units = (Submission.unit_id + 0).in_(select(units.c.id))
    counts = defaultdict(lambda: defaultdict(int))
    for task_id, status, count in db.session.execute(
            select(Submission.task_id, Submission.status, func.count()).join(Task, Task.id == Submission.task_id)
            .where(Task.campaign_id == campaign.id, in_units).group_by(Submission.task_id, Submission.status)):
        counts[task_id][status] = count
    late_returns = dict(db.session.execute(
        select(Submission.task_id, func.count()).join(Task, Task.id == Submission.task_id)
        .where(Task.campaign_id == campaign.id, Submission.status == "returned", in_units,
               func.coalesce(Submission.resubmit_due, Task.due_date) < on)
        .group_by(Submission.task_id)).all())
    columns = []
    tasks = campaign_tasks(campaign.id)
    for phase in campaign.phases:
        cards = []
        for task in (t for t in tasks if t.phase_number == phase.number):
            c = counts[task.id]
            submitted, confirmed, returned = c["submitted"], c["confirmed"], c["returned"]
            waiting = total - submitted - confirmed - returned
            overdue = ((waiting if task.due_date < on else 0) + late_returns.get(task.id, 0)) if task.for_units else 0
            done = bool(task.completed_at) if not task.for_units else (total > 0 and confirmed == total)
            cards.append({"task": task, "total": total, "submitted": submitted, "confirmed": confirmed,
                          "returned": returned, "waiting": waiting, "overdue": overdue,
                          "state": deadline_state(task.due_date, done or (task.for_units and not waiting
                                                                          and not returned), on)})
        columns.append({"phase": phase, "cards": cards, "current": phase.start_date <= on <= phase.end_date})
    return {"columns": columns, "total": total}


PAGE_SIZE = 50  # rows of a task's per-unit list on one page
# What a task's per-unit list can be narrowed to: a status, or the units that are overdue or have handed in
# (submitted or confirmed: the board card's 已提交 count).
LIST_STATUSES = {**STATUS_LABELS, "overdue": "逾期", "handed": "已提交（含已确认）"}
_STATUS_ORDER = {status: n for n, status in enumerate(STATUS_LABELS)}
_NEVER = utcnow().replace(year=9999)
SORTS = {
    "unit": lambda r: (r["category"], r["sort_order"], r["unit_id"]),
    "status": lambda r: (_STATUS_ORDER[r["status"]], r["sort_order"], r["unit_id"]),
    "submitted": lambda r: (r["submitted_at"] or _NEVER, r["sort_order"], r["unit_id"]),
}


def _default_order(r):
    return not r["overdue"], _STATUS_ORDER[r["status"]], r["category"], r["sort_order"], r["unit_id"]


def task_units(task, campaign, sort="", on=None, **filters):
    """Each filtered unit's status for a unit task as a plain row (unit_id, name, category, sort_order,
    submission_id, status, submitted_at, resubmit_due, overdue), overdue first unless another sort is asked for.
    One query of a few columns per unit: the page's other cells come from task_list's details."""
    on = on or today()
    rows = db.session.execute(
        select(Unit.id, Unit.name, Unit.category, Unit.sort_order, Submission.id, Submission.status,
               Submission.submitted_at, Submission.resubmit_due)
        .outerjoin(Submission, and_(Submission.unit_id == Unit.id, Submission.task_id == task.id))
        .where(Unit.id.in_(filtered_units(campaign, **filters))))
    result = []
    for unit_id, name, category, sort_order, sub_id, status, submitted_at, resubmit_due in rows:
        status = status or "pending"
        result.append({"unit_id": unit_id, "name": name, "category": category, "sort_order": sort_order,
                       "submission_id": sub_id, "status": status, "submitted_at": submitted_at,
                       "resubmit_due": resubmit_due, "overdue": is_overdue(task, status, on, resubmit_due)})
    result.sort(key=SORTS.get(sort, _default_order))
    return result


def _shown(row, status):
    if status == "overdue":
        return row["overdue"]
    if status == "handed":
        return row["status"] in ("submitted", "confirmed")
    return not status or row["status"] == status


def task_list(task, campaign, sort="", status="", page=None, unit_id=None, on=None, **filters):
    """A task's per-unit list, one page of PAGE_SIZE rows at a time: {"total": units in the filters, "counts":
    units per status and "overdue" (each the total of the list narrowed to it), "overdue_names", "page": a
    paging.Page of rows with their cells' text}. `status`: a key of LIST_STATUSES narrowing the rows; `unit_id`
    without `page`: the page that holds that unit's row (a link from the to-do queue). Five queries at most,
    whatever the number of units."""
    on = on or today()
    rows = task_units(task, campaign, sort, on, **filters)
    counts = {key: 0 for key in LIST_STATUSES}
    for r in rows:
        counts[r["status"]] += 1
        counts["overdue"] += r["overdue"]
        counts["handed"] += r["status"] in ("submitted", "confirmed")
    shown = [r for r in rows if _shown(r, status if status in LIST_STATUSES else "")]
    if page is None:
        at = next((n for n, r in enumerate(shown) if r["unit_id"] == unit_id), 0) if unit_id else 0
        page = at // PAGE_SIZE + 1
    page = max(1, page)
    items = [dict(r, focus=r["unit_id"] == unit_id) for r in shown[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]]
    _add_cells(task, items)
    return {"total": len(rows), "counts": counts, "overdue_names": [r["name"] for r in rows if r["overdue"]],
            "page": Page(items, page, PAGE_SIZE, len(shown))}


def _add_cells(task, rows):
    """Fill each row's cells (submitter, files, note, the office's comment, returns) with plain text, from two
    queries over the submissions of these rows alone."""
    ids = [r["submission_id"] for r in rows if r["submission_id"]]
    details, files = {}, defaultdict(list)
    if ids:
        submitter, reviewer = aliased(User), aliased(User)
        returns = (select(func.count()).where(SubmissionReturn.submission_id == Submission.id)
                   .correlate(Submission).scalar_subquery())
        for row in db.session.execute(
                select(Submission.id, Submission.note, Submission.review_comment, Submission.reviewed_at,
                       submitter.display_name.label("submitter"), reviewer.display_name.label("reviewer"),
                       returns.label("returns"))
                .outerjoin(submitter, submitter.id == Submission.submitted_by_id)
                .outerjoin(reviewer, reviewer.id == Submission.reviewed_by_id)
                .where(Submission.id.in_(ids))):
            details[row.id] = row
        for f in db.session.execute(
                select(StoredFile.submission_id, StoredFile.id, StoredFile.original_name, StoredFile.size)
                .where(StoredFile.submission_id.in_(ids), StoredFile.superseded.is_(False))
                .order_by(StoredFile.id)):
            files[f.submission_id].append({"id": f.id, "name": f.original_name, "size": StoredFile(size=f.size).size_label})
    for r in rows:
        d = details.get(r["submission_id"])
        returned = r["status"] == "returned"
        r["submitted"] = cn_datetime(r["submitted_at"]) if r["submitted_at"] else ""
        r["late"] = r["submitted_at"] is not None and local(r["submitted_at"]).date() > task.due_date
        r["submitter"] = (d.submitter or "") if d else ""
        r["note"] = d.note if d else ""
        r["files"] = files.get(r["submission_id"], [])
        r["review"] = ""
        if d is not None and d.review_comment:
            r["review"] = (f"{'退回原因' if returned else '意见'}：{d.review_comment}（{d.reviewer or ''}，"
                           f"{cn_datetime(d.reviewed_at)}）")
            if returned and r["resubmit_due"]:
                r["review"] += f"，补交期限 {cn_date(r['resubmit_due'])}"
        r["returns"] = d.returns if d is not None and d.returns > (1 if returned else 0) else 0


def unit_tasks(campaign, unit, on=None):
    """A unit's own tasks with their status, soonest due (and overdue) first."""
    subs = {s.task_id: s for s in db.session.scalars(
        select(Submission).join(Task).where(Task.campaign_id == campaign.id, Submission.unit_id == unit.id)
        .options(selectinload(Submission.files)))}
    rows = []
    for task in campaign_tasks(campaign.id):
        if not task.for_units:
            continue
        sub = subs.get(task.id)
        status = sub.status if sub else "pending"
        open_ = status in ("pending", "returned")
        resubmit_due = sub.resubmit_due if sub else None
        rows.append({"task": task, "submission": sub, "status": status, "due": due_for(task, status, resubmit_due),
                     "overdue": is_overdue(task, status, on, resubmit_due),
                     "state": deadline_state(due_for(task, status, resubmit_due), not open_, on)})
    rows.sort(key=lambda r: (r["status"] not in ("pending", "returned"), r["task"].due_date, r["task"].sort_order))
    return rows


def overdue_pairs(campaign, unit=None, on=None):
    """(task, unit) pairs overdue in the campaign, for the dashboards, in three queries."""
    on = on or today()
    tasks = db.session.scalars(select(Task).where(Task.campaign_id == campaign.id, Task.actor == "unit",
                                                  Task.due_date < on).order_by(Task.due_date)).all()
    if not tasks:
        return []
    stmt = select(Unit).where(Unit.id.in_(filtered_units(campaign))).order_by(Unit.category, Unit.sort_order)
    units = db.session.scalars(stmt.where(Unit.id == unit.id) if unit else stmt).all()
    done = set(db.session.execute(select(Submission.task_id, Submission.unit_id).where(
        Submission.task_id.in_([t.id for t in tasks]),
        or_(Submission.status.in_(("submitted", "confirmed")),
            and_(Submission.status == "returned", Submission.resubmit_due >= on)))).tuples())
    return [(t, u) for t in tasks for u in units if (t.id, u.id) not in done]


def submission_for(task, unit):
    return db.session.scalar(select(Submission).where(Submission.task_id == task.id, Submission.unit_id == unit.id))


def submit(task, unit, user, note, uploads, version=None):
    """A unit submits (or replaces, or resubmits) its answer to a task: a note and/or files.

    Every file is checked before anything is stored, so a refused upload leaves the previous
    submission as it was. New files replace the previous ones; without new files they are kept.
    """
    if not task.for_units:
        raise DomainError("该任务不由评议单位提交")
    if db.session.scalar(select(Participation.id).where(Participation.campaign_id == task.campaign_id,
                                                        Participation.unit_id == unit.id)) is None:
        raise DomainError("该单位未参加本年度评议")
    sub = submission_for(task, unit)
    status = sub.status if sub else "pending"
    new_status = transition(status, "submit")
    if sub is not None:
        check_version(sub, version)
    for filename, data in uploads:
        check_upload(filename, data)
    note = (note or "").strip()
    if status == "returned" and not uploads and note == (sub.note or "").strip():
        raise DomainError("重新提交时请上传修改后的文件，或在说明中写明已如何修改")
    kept = sub.current_files if sub else []
    if task.requires_file and not uploads and not kept:
        raise DomainError("该任务需要上传文件，请选择要提交的文件")
    if not note and not uploads and not kept:
        raise DomainError("请填写说明或上传文件")
    before = snapshot(sub) if sub else None
    if sub is None:
        sub = Submission(task_id=task.id, unit_id=unit.id)
        db.session.add(sub)
        db.session.flush()
    if uploads:
        for old in kept:
            old.superseded = True
    for filename, data in uploads:
        store_file(filename, data, unit.id, user, submission_id=sub.id)
    sub.status, sub.note = new_status, note
    sub.submitted_at, sub.submitted_by_id = utcnow(), user.id
    sub.review_comment, sub.reviewed_at, sub.reviewed_by_id = "", None, None  # the return reason stays in the log
    files = "、".join(name for name, _ in uploads)
    verb = {"pending": "提交", "returned": "重新提交", "submitted": "更新"}[status]
    record("update" if before else "create", sub, before, unit_id=unit.id,
           summary=f"{unit.name}{verb}“{task.title}”" + (f"（{files}）" if files else ""), actor=user)
    db.session.commit()
    return sub


def confirm(sub, user, comment=""):
    """The office accepts a submission; it can no longer be changed."""
    before = snapshot(sub)
    sub.status = transition(sub.status, "confirm")
    sub.reviewed_at, sub.reviewed_by_id, sub.review_comment = utcnow(), user.id, (comment or "").strip()
    record("update", sub, before, unit_id=sub.unit_id, summary=f"确认{sub.unit.name}的“{sub.task.title}”", actor=user)
    db.session.commit()


def default_resubmit_due(on=None):
    return add_working_days(on or today(), RESUBMIT_WORKING_DAYS)


def return_submission(sub, user, reason, resubmit_due=None):
    """The office sends a submission back with the reason the unit will read and a 补交期限 (five working
    days unless set); the return stays in the submission's history."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("退回时请填写退回原因")
    resubmit_due = resubmit_due or default_resubmit_due()
    if resubmit_due < today():
        raise DomainError("补交期限不能早于今天")
    before = snapshot(sub)
    sub.status = transition(sub.status, "return")
    sub.reviewed_at, sub.reviewed_by_id, sub.review_comment = utcnow(), user.id, reason
    sub.resubmit_due = resubmit_due
    sub.returns.append(SubmissionReturn(returned_at=sub.reviewed_at, returned_by_id=user.id, reason=reason,
                                        resubmit_due=resubmit_due))
    record("update", sub, before, unit_id=sub.unit_id, actor=user,
           summary=f"退回{sub.unit.name}的“{sub.task.title}”（补交期限 {cn_date(resubmit_due)}）：{reason}")
    db.session.commit()


def confirm_many(task, unit_ids, user):
    """Confirm every chosen submission that stands submitted; return how many were confirmed."""
    subs = db.session.scalars(select(Submission).where(Submission.task_id == task.id,
                                                       Submission.unit_id.in_(unit_ids),
                                                       Submission.status == "submitted")).all()
    for sub in subs:
        before = snapshot(sub)
        sub.status = "confirmed"
        sub.reviewed_at, sub.reviewed_by_id, sub.review_comment = utcnow(), user.id, ""
        record("update", sub, before, unit_id=sub.unit_id, summary=f"批量确认{sub.unit.name}的“{task.title}”", actor=user)
    db.session.commit()
    return len(subs)


def set_task_done(task, user, done):
    """Mark a task of the office, groups or supervisors as done (or reopen it)."""
    if task.for_units:
        raise DomainError("单位任务的完成情况由各单位提交确定")
    before = snapshot(task)
    task.completed_at, task.completed_by_id = (utcnow(), user.id) if done else (None, None)
    record("update", task, before, summary=f"{'完成' if done else '重新打开'}任务“{task.title}”", actor=user)
    db.session.commit()


def save_task(campaign, task, version, values):
    """Create (task None) or edit a task: title, phase, who acts, due date, whether a file is required."""
    if values["actor"] not in ACTOR_LABELS:
        raise DomainError("请选择由谁办理")
    if values["phase_number"] not in {p.number for p in campaign.phases}:
        raise DomainError("请选择阶段")
    if values["due_date"].year != campaign.year:
        raise DomainError(f"截止日期应在 {campaign.year} 年内")
    if task is not None and task.actor != values["actor"] and task.submissions:
        raise DomainError("已有单位提交的任务不能改为由其他方办理")
    if task is None:
        last = db.session.scalar(select(func.max(Task.sort_order)).where(Task.campaign_id == campaign.id)) or 0
        task = Task(campaign_id=campaign.id, sort_order=last + 1, **values)
        db.session.add(task)
        record("create", task, summary=f"新增任务“{task.title}”")
    else:
        check_version(task, version)
        before = snapshot(task)
        for k, v in values.items():
            setattr(task, k, v)
        record("update", task, before, summary=f"修改任务“{task.title}”")
    db.session.commit()
    return task


def delete_task(task):
    """Delete a task nobody has submitted anything for."""
    if task.submissions:
        raise DomainError(f"已有 {len(task.submissions)} 个单位提交了“{task.title}”，不能删除")
    before = snapshot(task)
    db.session.delete(task)
    record("delete", task, before, summary=f"删除任务“{task.title}”")
    db.session.commit()


def move_task(task, step):
    """Move a task up (-1) or down (+1) within its phase; False when it is already at that end."""
    rows = [t for t in campaign_tasks(task.campaign_id) if t.phase_number == task.phase_number]
    index = rows.index(task)
    other = index + step
    if 0 <= other < len(rows):
        before = snapshot(task)
        for position, row in enumerate(rows, 1):
            row.sort_order = position
        rows[index].sort_order, rows[other].sort_order = rows[other].sort_order, rows[index].sort_order
        record("update", task, before, summary=f"调整任务顺序“{task.title}”")
        db.session.commit()
        return True
    return False
