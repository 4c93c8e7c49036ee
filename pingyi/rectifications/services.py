"""Answer feedback items, report progress, verify, re-check, extend deadlines, and the commitment letter."""
from collections import Counter, defaultdict

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import selectinload

from pingyi import policy
from pingyi.audit.services import record, snapshot
from pingyi.auth.roles import OFFICE, SUPERVISOR, UNIT
from pingyi.cache.services import kept
from pingyi.campaigns.models import Campaign
from pingyi.errors import DomainError, check_version
from pingyi.extensions import db
from pingyi.checklists.models import Dimension
from pingyi.feedback.models import FeedbackItem, FeedbackNotice
from pingyi.files.services import check_upload, store_file
from pingyi.findings.models import Finding
from pingyi.rectifications.models import (
    CHECK_LABELS,
    KIND_LABELS,
    STATUS_LABELS,
    CommitmentLetter,
    Extension,
    RecheckRecord,
    Rectification,
    RectificationUpdate,
)
from pingyi.tasks.services import deadline_state, group_unit_ids
from pingyi.timeutil import cn_date, today, utcnow
from pingyi.paging import page_of
from pingyi.units.models import Unit

OPEN = ("answered", "failed")
PAGE_SIZE = 50  # rows of the tracker on one page


def effective_deadline(rect):
    """The deadline in force: the unit's own (or the one an extension granted)."""
    return rect.deadline or rect.item.deadline


def rect_state(rect, on=None):
    """Traffic light of a rectification's deadline: done, overdue, soon or ok."""
    done = rect.status in ("completed", "verified", "explained")
    return deadline_state(effective_deadline(rect), done, on)


def _unit_only(user, unit_id):
    if user.role != UNIT or user.unit_id != unit_id:
        raise DomainError("只能由本单位联络员办理")


def _check_answer(kind, values):
    if kind not in KIND_LABELS:
        raise DomainError("请选择整改方式")
    need = {"fix": (("measures", "整改措施"), ("owner", "责任人"), ("deadline", "完成时限")),
            "plan": (("measures", "整改计划"), ("commitment", "公开承诺"), ("owner", "责任人"), ("deadline", "完成时限")),
            "policy": (("explanation", "情况说明"),)}[kind]
    missing = [label for key, label in need if not values.get(key)]
    if missing:
        raise DomainError(f"{KIND_LABELS[kind]}须填写：{'、'.join(missing)}")


def answer_item(item, user, kind, values, version=None):
    """The unit answers one item of a received notice (or changes its answer before completion)."""
    notice = item.notice
    _unit_only(user, notice.unit_id)
    if notice.status != "sent":
        raise DomainError("只能答复已发送的反馈通知书")
    if notice.received_at is None:
        raise DomainError("请先签收反馈通知书，再逐条答复整改")
    _check_answer(kind, values)
    if kind != "policy" and values["deadline"] < today():
        raise DomainError("完成时限不能早于今天")
    granted = [e.requested_deadline for e in (item.rectification.extensions if item.rectification else [])
               if e.status == "approved"]
    limit = max([item.deadline] + granted)
    if kind != "policy" and values["deadline"] > limit:
        raise DomainError(f"完成时限不能晚于纠风办要求的 {cn_date(limit)}；确需延后的，请在整改详情页提交延期申请")
    rect = item.rectification
    if rect is not None:
        check_version(rect, version)
        if rect.status not in OPEN + ("explained",):
            raise DomainError("已报完成的整改不能再修改答复")
        before = snapshot(rect)
    else:
        before = None
        rect = Rectification(campaign_id=notice.campaign_id, item_id=item.id, unit_id=notice.unit_id)
        db.session.add(rect)
    rect.kind = kind
    rect.measures, rect.owner = values.get("measures", "").strip(), values.get("owner", "").strip()
    rect.leader, rect.department = values.get("leader", "").strip(), values.get("department", "").strip()
    rect.commitment, rect.explanation = values.get("commitment", "").strip(), values.get("explanation", "").strip()
    rect.deadline = values.get("deadline") if kind != "policy" else None
    rect.status = "explained" if kind == "policy" else "answered"
    rect.answered_at, rect.answered_by_id = utcnow(), user.id
    db.session.flush()
    letter = letter_for(_campaign(rect), notice.unit)
    if kind == "plan" and letter is not None and letter.status != "draft" and before is None:
        letter_before = snapshot(letter)
        letter.status = "draft"
        record("update", letter, letter_before, unit_id=letter.unit_id, actor=user,
               summary=f"{notice.unit.name}新增整改承诺事项，承诺书需重新签章提交")
    record("update" if before else "create", rect, before, unit_id=rect.unit_id,
           summary=f"{notice.unit.name}答复问题（{KIND_LABELS[kind]}）：{item.problem[:30]}", actor=user)
    db.session.commit()
    return rect


def add_update(rect, user, note, uploads, completes):
    """A progress note with evidence; with `completes` the unit reports the item done (evidence required)."""
    _unit_only(user, rect.unit_id)
    if rect.kind == "policy":
        raise DomainError("政策性说明无需报告进展")
    if rect.status not in OPEN:
        raise DomainError("该问题已报完成，等待核实")
    note = (note or "").strip()
    if not note:
        raise DomainError("请填写进展情况")
    if completes and not uploads:
        raise DomainError("报告整改完成时请上传整改佐证材料")
    for filename, data in uploads:
        check_upload(filename, data)
    before = snapshot(rect)
    update = RectificationUpdate(rectification_id=rect.id, note=note, completes=completes, by_id=user.id)
    db.session.add(update)
    db.session.flush()
    for filename, data in uploads:
        store_file(filename, data, rect.unit_id, user, update_id=update.id)
    if completes:
        rect.status, rect.completed_at = "completed", utcnow()
    summary = f"{rect.unit.name}{'报告整改完成' if completes else '报告整改进展'}：{rect.item.problem[:30]}"
    record("create", update, unit_id=rect.unit_id, summary=summary, actor=user)  # the note and its evidence
    record("update", rect, before, unit_id=rect.unit_id, summary=summary, actor=user)  # the status, if it moved
    db.session.commit()
    return update


def verify(rect, user, passed, comment):
    """The office checks a completed item: 已整改到位, or 未整改到位 which sends it back to the unit."""
    if rect.status != "completed":
        raise DomainError("只能核实已报完成的整改")
    comment = (comment or "").strip()
    if not passed and not comment:
        raise DomainError("认定未整改到位时请写明原因")
    before = snapshot(rect)
    db.session.add(RectificationUpdate(rectification_id=rect.id, by_id=user.id,
                                       note=f"纠风办核实：{'已整改到位' if passed else '未整改到位'}" + (f"，{comment}" if comment else "")))
    rect.status = "verified" if passed else "failed"
    rect.verified_at, rect.verified_by_id, rect.verify_comment = utcnow(), user.id, comment
    record("update", rect, before, unit_id=rect.unit_id,
           summary=f"核实{rect.unit.name}整改：{STATUS_LABELS[rect.status]}（{rect.item.problem[:24]}）", actor=user)
    db.session.commit()


def recheck(rect, user, result, note, checked_on):
    """A supervisor's (or the office's) re-check of whether a commitment was kept (践诺核查)."""
    if not (user.role == OFFICE or (user.role == SUPERVISOR and policy.can_inspect(user, rect.unit_id, _campaign(rect)))):
        raise DomainError("只有联系该单位的义务监督员或纠风办可以核查")
    if rect.kind == "policy":
        raise DomainError("政策性说明无需践诺核查")
    if result not in CHECK_LABELS or not (note or "").strip():
        raise DomainError("请选择核查结论并填写核查情况")
    if checked_on > today():
        raise DomainError("核查日期不能晚于今天")
    check = RecheckRecord(rectification_id=rect.id, result=result, note=note.strip(), checked_on=checked_on,
                          by_id=user.id)
    db.session.add(check)
    db.session.flush()
    record("create", check, unit_id=rect.unit_id,
           summary=f"践诺核查{rect.unit.name}：{CHECK_LABELS[result]}（{rect.item.problem[:24]}）", actor=user)
    db.session.commit()
    return check


def _campaign(rect):
    return db.session.get(Campaign, rect.campaign_id)


def request_extension(rect, user, new_deadline, reason):
    """The unit asks for a later deadline, with a reason; one request at a time."""
    _unit_only(user, rect.unit_id)
    if rect.kind == "policy" or rect.status not in OPEN:
        raise DomainError("该问题无需或不能再申请延期")
    if any(e.status == "pending" for e in rect.extensions):
        raise DomainError("已有待审批的延期申请")
    current = effective_deadline(rect)
    if new_deadline <= current:
        raise DomainError(f"申请的时限应晚于现时限 {cn_date(current)}")
    if not (reason or "").strip():
        raise DomainError("请填写延期理由")
    ext = Extension(rectification_id=rect.id, original_deadline=current, requested_deadline=new_deadline,
                    reason=reason.strip(), requested_by_id=user.id)
    db.session.add(ext)
    db.session.flush()
    record("create", ext, unit_id=rect.unit_id, summary=f"{rect.unit.name}申请延期至 {cn_date(new_deadline)}", actor=user)
    db.session.commit()
    return ext


def decide_extension(ext, user, approve, comment):
    """The office grants (the deadline moves; the original stays on the request) or refuses."""
    if ext.status != "pending":
        raise DomainError("该延期申请已处理")
    if not approve and not (comment or "").strip():
        raise DomainError("不同意延期时请写明理由")
    before = snapshot(ext)
    ext.status = "approved" if approve else "refused"
    ext.decided_at, ext.decided_by_id, ext.comment = utcnow(), user.id, (comment or "").strip()
    rect = ext.rectification
    if approve:
        rect.deadline = ext.requested_deadline
    record("update", ext, before, unit_id=rect.unit_id,
           summary=f"{'同意' if approve else '不同意'}{rect.unit.name}延期至 {cn_date(ext.requested_deadline)}", actor=user)
    db.session.commit()


def letter_for(campaign, unit, create=False):
    letter = db.session.scalar(select(CommitmentLetter).where(CommitmentLetter.campaign_id == campaign.id,
                                                              CommitmentLetter.unit_id == unit.id))
    if letter is None and create:
        letter = CommitmentLetter(campaign_id=campaign.id, unit_id=unit.id)
        db.session.add(letter)
        db.session.flush()
    return letter


def letter_items(campaign, unit):
    """The unit's 整改计划并承诺 items: the body of its commitment letter."""
    return letter_rows(campaign, unit, ("plan",))


def letter_rows(campaign, unit, kinds=("plan", "policy")):
    """The letter's table: 整改计划并承诺 items, then 政策性说明 items with their explanation."""
    rows = db.session.scalars(
        select(Rectification).where(Rectification.campaign_id == campaign.id, Rectification.unit_id == unit.id,
                                    Rectification.kind.in_(kinds), Rectification.status != "withdrawn")
        .options(selectinload(Rectification.item)).order_by(Rectification.id)).all()
    return sorted(rows, key=lambda r: (r.kind != "plan", r.id))


def submit_letter(campaign, unit, user, uploads):
    """The unit submits its commitment letter with the signed and sealed scan."""
    _unit_only(user, unit.id)
    if not letter_items(campaign, unit):
        raise DomainError("还没有“整改计划并承诺”的问题，无需提交承诺书")
    if not uploads:
        raise DomainError("请上传主要负责人签字并加盖公章的承诺书扫描件")
    for filename, data in uploads:
        check_upload(filename, data)
    letter = letter_for(campaign, unit, create=True)
    if letter.status == "filed":
        raise DomainError("承诺书已备案，不能再修改")
    before = snapshot(letter)
    for old in letter.files:
        old.superseded = True
    for filename, data in uploads:
        store_file(filename, data, unit.id, user, letter_id=letter.id)
    letter.status, letter.submitted_at, letter.submitted_by_id = "submitted", utcnow(), user.id
    record("update", letter, before, unit_id=unit.id, summary=f"{unit.name}提交整改承诺书（签章扫描件）", actor=user)
    db.session.commit()
    return letter


def file_letter(letter, user, comment=""):
    """The office files (备案) a submitted commitment letter."""
    if letter.status != "submitted" or letter.scan is None:
        raise DomainError("只能对已提交扫描件的承诺书备案")
    before = snapshot(letter)
    letter.status, letter.filed_at, letter.filed_by_id = "filed", utcnow(), user.id
    letter.filed_comment = (comment or "").strip()
    record("update", letter, before, unit_id=letter.unit_id, summary=f"{letter.unit.name}整改承诺书已备案", actor=user)
    db.session.commit()


def visible(campaign, user):
    """Rectifications the user may see: all for office and leaders, a unit its own, supervisors and
    evaluators those of the units they inspect; answers withdrawn by a corrected notice are left out."""
    stmt = select(Rectification).where(Rectification.campaign_id == campaign.id, Rectification.status != "withdrawn")
    if user.role == UNIT:
        return stmt.where(Rectification.unit_id == user.unit_id)
    if user.role in ("evaluator", SUPERVISOR):
        return stmt.where(Rectification.unit_id.in_(policy.inspected_unit_ids(user, campaign) or {0}))
    return stmt


def tracked_units(campaign, user):
    """The units with rectifications the user may see, for the tracker's unit filter: [{id, name}], kept while
    the data is unchanged (per user where the user sees only some units)."""
    def work():
        visible_ids = visible(campaign, user).with_only_columns(Rectification.unit_id).distinct()
        return [{"id": row.id, "name": row.name} for row in db.session.execute(
            select(Unit.id, Unit.name).where(Unit.id.in_(visible_ids)).order_by(Unit.category, Unit.sort_order))]
    scope = user.id if user.role in (UNIT, "evaluator", SUPERVISOR) else None
    return kept("rectification-units", (campaign.id, user.role, scope), work, clock=None)


def tracker(campaign, user, unit_id=None, group_id=None, dimension_id=None, kind="", status="", overdue="",
            extension="", page=None, per_page=PAGE_SIZE):
    """Filtered rectifications with their items and notices loaded, and the counts of the stat cards: by status
    and overdue ("all" the total), under the other filters, so each card's link lists as many rows as it says.
    With a `page` number the rows come as that page (of `per_page`) of the list, a Flask-SQLAlchemy Pagination."""
    stmt = visible(campaign, user).join(FeedbackItem, FeedbackItem.id == Rectification.item_id)
    if unit_id:
        stmt = stmt.where(Rectification.unit_id == unit_id)
    if group_id:
        stmt = stmt.where(Rectification.unit_id.in_(group_unit_ids(campaign, group_id)))
    if dimension_id:
        stmt = stmt.where(FeedbackItem.dimension_id == dimension_id)
    if kind in KIND_LABELS:
        stmt = stmt.where(Rectification.kind == kind)
    if extension == "pending":
        stmt = stmt.where(Rectification.id.in_(select(Extension.rectification_id).where(Extension.status == "pending")))
    late = and_(Rectification.status.in_(OPEN), or_(
        Rectification.deadline < today(), (Rectification.deadline.is_(None)) & (FeedbackItem.deadline < today())))
    # One statement: per status, its rows and its overdue ones.
    by_status = db.session.execute(stmt.with_only_columns(
        Rectification.status, func.count(), func.coalesce(func.sum(case((late, 1), else_=0)), 0))
        .group_by(Rectification.status)).all()
    counts = Counter({s: n for s, n, _ in by_status})
    counts["all"] = sum(counts.values())
    counts["overdue"] = sum(late_n for _, _, late_n in by_status)
    listed = [(s, n, late_n) for s, n, late_n in by_status if status not in STATUS_LABELS or s == status]
    total = sum(late_n if overdue == "1" else n for _, n, late_n in listed)  # the rows the list holds
    if status in STATUS_LABELS:
        stmt = stmt.where(Rectification.status == status)
    if overdue == "1":
        stmt = stmt.where(late)
    stmt = stmt.order_by(Rectification.unit_id, Rectification.id)
    if page is not None:
        return _tracker_page(stmt, page, per_page, total), counts
    rows = db.session.scalars(stmt.options(
        selectinload(Rectification.item).selectinload(FeedbackItem.dimension),
        selectinload(Rectification.item).selectinload(FeedbackItem.notice),
        selectinload(Rectification.unit), selectinload(Rectification.extensions))).all()
    return rows, counts


def _tracker_page(stmt, page, per_page, total):
    """One page of the tracker (of `total` rows) as plain rows for its table, in two statements (rows, extensions)."""
    columns = stmt.with_only_columns(
        Rectification.id, Rectification.kind, Rectification.status, Rectification.owner, Rectification.deadline,
        Rectification.carried_over, FeedbackItem.problem, FeedbackItem.deadline.label("item_deadline"),
        Unit.name.label("unit_name"), Dimension.name.label("dimension_name"),
    ).join(Unit, Unit.id == Rectification.unit_id).outerjoin(Dimension, Dimension.id == FeedbackItem.dimension_id)
    on = today()

    def row(r):
        deadline = r.deadline or r.item_deadline
        return {"id": r.id, "unit_name": r.unit_name, "carried_over": r.carried_over, "problem": r.problem,
                "dimension_name": r.dimension_name, "kind": r.kind, "kind_label": KIND_LABELS[r.kind],
                "owner": r.owner, "status": r.status, "status_label": STATUS_LABELS[r.status], "deadline": deadline,
                "state": deadline_state(deadline, r.status in ("completed", "verified", "explained"), on)}
    result = page_of(columns, page, per_page, row, total=total)
    extensions = db.session.execute(
        select(Extension.rectification_id, Extension.status, Extension.original_deadline)
        .where(Extension.rectification_id.in_([r["id"] for r in result.items] or [0])).order_by(Extension.id)).all()
    by_rect = defaultdict(list)
    for e in extensions:
        by_rect[e.rectification_id].append(e)
    for r in result.items:
        own = by_rect[r["id"]]
        granted = [e.original_deadline for e in own if e.status == "approved"]
        r["granted_from"] = granted[0] if granted else None
        r["extension_pending"] = any(e.status == "pending" for e in own)
    return result


def unanswered_items(campaign, unit_ids=None):
    """Items of received, current notices that have no answer yet (those of unsigned notices wait for the
    receipt first): the same rows as the to-do lists 尚未答复的反馈问题 and 待答复的反馈问题."""
    stmt = (select(FeedbackItem).join(FeedbackNotice)
            .outerjoin(Rectification, Rectification.item_id == FeedbackItem.id)
            .where(FeedbackNotice.campaign_id == campaign.id, FeedbackNotice.status == "sent",
                   FeedbackNotice.received_at.is_not(None), Rectification.id.is_(None))
            .options(selectinload(FeedbackItem.notice)))
    if unit_ids is not None:
        stmt = stmt.where(FeedbackNotice.unit_id.in_(unit_ids))
    return db.session.scalars(stmt).all()


def unanswered_summary(campaign, unit_ids=None, named=0):
    """unanswered_items() in brief, in one or two statements: None when there are none, else {count, earliest
    answer deadline, items: the first `named` as {id, notice_id, problem}}."""
    stmt = (select(func.count(FeedbackItem.id), func.min(FeedbackNotice.answer_deadline))
            .select_from(FeedbackItem).join(FeedbackNotice)
            .outerjoin(Rectification, Rectification.item_id == FeedbackItem.id)
            .where(FeedbackNotice.campaign_id == campaign.id, FeedbackNotice.status == "sent",
                   FeedbackNotice.received_at.is_not(None), Rectification.id.is_(None)))
    if unit_ids is not None:
        stmt = stmt.where(FeedbackNotice.unit_id.in_(unit_ids))
    count, earliest = db.session.execute(stmt).one()
    if not count:
        return None
    items = [{"id": i, "notice_id": n, "problem": p} for i, n, p in db.session.execute(
        stmt.with_only_columns(FeedbackItem.id, FeedbackItem.notice_id, FeedbackItem.problem)
        .order_by(FeedbackItem.id).limit(named))] if named else []
    return {"count": count, "earliest": earliest, "items": items}


def carry_over(source, campaign):
    """Bring rectifications not verified as done into the new campaign (回头看), marked as carried over."""
    rows = db.session.scalars(select(Rectification).where(
        Rectification.campaign_id == source.id, Rectification.status.in_(("answered", "completed", "failed")))).all()
    for rect in rows:
        before = snapshot(rect)
        rect.campaign_id, rect.carried_over = campaign.id, True
        record("update", rect, before, unit_id=rect.unit_id, summary=f"{rect.unit.name}未完成的整改转入 {campaign.year} 年度（回头看）")
    return len(rows)


def unit_story(campaign, unit):
    """Every fed-back problem of the unit with its whole path: finding, notice, receipt, answer, progress,
    verification and re-checks, for the unit's page."""
    return db.session.scalars(
        select(FeedbackItem).join(FeedbackNotice)
        .where(FeedbackNotice.campaign_id == campaign.id, FeedbackNotice.unit_id == unit.id,
               FeedbackNotice.status == "sent")
        .options(selectinload(FeedbackItem.notice), selectinload(FeedbackItem.dimension),
                 selectinload(FeedbackItem.finding).selectinload(Finding.inspection),
                 selectinload(FeedbackItem.rectification).selectinload(Rectification.updates),
                 selectinload(FeedbackItem.rectification).selectinload(Rectification.checks))
        .order_by(FeedbackNotice.sent_at, FeedbackItem.sort_order)).all()
