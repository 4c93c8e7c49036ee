"""Record inspections with their findings and opinions, review them, count them per unit and dimension."""
import io
from collections import defaultdict
from datetime import date
from types import SimpleNamespace

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import selectinload

from pingyi import policy
from pingyi.audit.services import record, snapshot
from pingyi.auth.models import User
from pingyi.auth.roles import EVALUATOR, LEADER, OFFICE, SUPERVISOR, UNIT
from pingyi.campaigns.models import EvaluationGroup
from pingyi.checklists.models import CheckItem, Dimension
from pingyi.errors import DomainError, check_version
from pingyi.extensions import db
from pingyi.files.models import StoredFile
from pingyi.files.services import check_upload, store_file
from pingyi.findings.models import (
    METHOD_LABELS,
    SEVERITY_LABELS,
    SEVERITY_ORDER,
    SOURCE_LABELS,
    STATUS_LABELS,
    Finding,
    Inspection,
    Opinion,
)
from pingyi.paging import Page, page_of
from pingyi.tasks.services import filtered_units, group_unit_ids
from pingyi.timeutil import cn_date, today, utcnow
from pingyi.units.models import Unit
from pingyi.xlsx import append_row


def _check_inspection(campaign, unit, user, values, findings, opinions, submit):
    if not policy.can_inspect(user, unit.id, campaign):
        raise DomainError("您不负责该单位的评议，不能为其记录问题")
    if values["method"] not in METHOD_LABELS:
        raise DomainError("请选择检查方式")
    if values["held_on"] > today():
        raise DomainError("检查日期不能晚于今天")
    dims = {d.id: d for d in db.session.scalars(select(Dimension).where(Dimension.campaign_id == campaign.id)
                                                 .options(selectinload(Dimension.items)))}
    problems = {}
    for index, f in enumerate(findings):
        dim = dims.get(f["dimension_id"])
        if not f["description"].strip():
            problems[index] = "请填写问题描述"
        elif dim is None:
            problems[index] = "请选择问题所属的评议方面"
        elif f["item_id"] and f["item_id"] not in {i.id for i in dim.items}:
            problems[index] = "所选检查项不属于该评议方面"
        elif f["severity"] not in SEVERITY_LABELS or f["source"] not in SOURCE_LABELS:
            problems[index] = "请选择严重程度和问题来源"
        else:
            try:
                for filename, data in f["uploads"]:
                    check_upload(filename, data)
            except DomainError as e:
                problems[index] = str(e)
    if problems:
        raise FindingsRefused(problems)
    if submit and not findings and not any(o.strip() for o in opinions) and not values["summary"].strip():
        raise DomainError("提交前请至少填写检查情况、一条问题或一条意见建议")


class FindingsRefused(DomainError):
    """Some finding rows are wrong; `problems` maps each row's index to its message."""

    def __init__(self, problems):
        super().__init__(f"有 {len(problems)} 条问题填写不完整，请按提示修改（已填写的文字均已保留，照片和文件需重新选择）")
        self.problems = problems


def save_inspection(campaign, unit, user, values, findings, opinions, submit, inspection=None, version=None):
    """Create or rewrite a draft inspection with its findings and opinions; submit it when asked.

    Nothing is stored when any row is wrong. Submitting sends every finding and opinion to the
    office for review; a submitted inspection can no longer be edited by its author.
    """
    _check_inspection(campaign, unit, user, values, findings, opinions, submit)
    if inspection is not None:
        check_version(inspection, version)
        if inspection.status != "draft":
            raise DomainError("已提交的检查记录不能再修改")
        before = snapshot(inspection)
        kept = {}  # row position -> the files of the finding in that row, carried to its rewrite
        for position, old in enumerate(inspection.findings):
            kept[position] = list(old.files)
            for f in old.files:
                f.finding_id = None
            db.session.delete(old)
        for old in list(inspection.opinions):
            db.session.delete(old)
        db.session.flush()
    else:
        before, kept = None, {}
        inspection = Inspection(campaign_id=campaign.id, unit_id=unit.id, created_by_id=user.id)
        db.session.add(inspection)
    inspection.unit_id = unit.id
    for key in ("method", "held_on", "place", "participants", "summary"):
        setattr(inspection, key, values[key].strip() if isinstance(values[key], str) else values[key])
    status = "submitted" if submit else "draft"
    inspection.status = status
    if submit:
        inspection.submitted_at = utcnow()
    db.session.flush()
    for f in findings:
        finding = Finding(campaign_id=campaign.id, inspection_id=inspection.id, unit_id=unit.id,
                          dimension_id=f["dimension_id"], item_id=f["item_id"] or None,
                          description=f["description"].strip(), severity=f["severity"], source=f["source"],
                          reporter=(f.get("reporter") or "").strip(), confidential=bool(f.get("confidential")),
                          status=status)
        db.session.add(finding)
        db.session.flush()
        for old_file in kept.pop(f.get("position", -1), []):
            old_file.finding_id = finding.id
        for filename, data in f["uploads"]:
            store_file(filename, data, unit.id, user, finding_id=finding.id)
    for files in kept.values():  # rows the author removed: their files stay on record, detached
        for old_file in files:
            old_file.superseded = True
    for text in opinions:
        if text.strip():
            db.session.add(Opinion(campaign_id=campaign.id, inspection_id=inspection.id, unit_id=unit.id,
                                   text=text.strip(), status=status))
    verb = "提交" if submit else "保存草稿："
    record("update" if before else "create", inspection, before, unit_id=unit.id if submit else None,
           summary=f"{verb}{unit.name}{METHOD_LABELS[inspection.method]}记录（问题 {len(findings)} 条）", actor=user)
    db.session.commit()
    return inspection


def delete_draft(inspection, user):
    if inspection.status != "draft" or inspection.created_by_id != user.id:
        raise DomainError("只能删除自己的草稿")
    before = snapshot(inspection)
    for f in inspection.findings:
        for file in f.files:
            file.finding_id, file.superseded = None, True
        db.session.delete(f)
    for o in inspection.opinions:
        db.session.delete(o)
    db.session.delete(inspection)
    record("delete", inspection, before, unit_id=inspection.unit_id, summary=f"删除{inspection.unit.name}的检查草稿", actor=user)
    db.session.commit()


def _review(obj, user, status, note=""):
    if obj.status != "submitted":
        raise DomainError(f"只能审核“待审核”的记录（当前：{STATUS_LABELS[obj.status]}）")
    before = snapshot(obj)
    obj.status, obj.review_note = status, note
    obj.reviewed_by_id, obj.reviewed_at = user.id, utcnow()
    return before


def confirm_finding(finding, user):
    """Confirmed findings count in the matrix and go into feedback."""
    before = _review(finding, user, "confirmed")
    record("update", finding, before, unit_id=finding.unit_id,
           summary=f"确认{finding.unit.name}的问题：{finding.description[:30]}", actor=user)
    db.session.commit()


def dismiss_finding(finding, user, reason):
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("不予采纳时请填写理由")
    before = _review(finding, user, "dismissed", reason)
    record("update", finding, before, unit_id=finding.unit_id,
           summary=f"不予采纳{finding.unit.name}的问题：{finding.description[:30]}（{reason}）", actor=user)
    db.session.commit()


def merge_finding(finding, target, user):
    """Fold a duplicate into another finding of the same unit; the duplicate keeps a pointer to it."""
    if target.id == finding.id or target.unit_id != finding.unit_id:
        raise DomainError("只能合并到同一单位的另一条问题")
    if target.status not in ("submitted", "confirmed"):
        raise DomainError("只能合并到待审核或已确认的问题")
    before = _review(finding, user, "merged", f"合并到问题 #{target.id}")
    finding.merged_into_id = target.id
    record("update", finding, before, unit_id=finding.unit_id,
           summary=f"将{finding.unit.name}的问题 #{finding.id} 合并到 #{target.id}", actor=user)
    db.session.commit()


def confirm_opinion(opinion, user):
    before = _review(opinion, user, "confirmed")
    record("update", opinion, before, unit_id=opinion.unit_id, summary=f"采纳{opinion.unit.name}的意见建议", actor=user)
    db.session.commit()


def dismiss_opinion(opinion, user, reason):
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("不予采纳时请填写理由")
    before = _review(opinion, user, "dismissed", reason)
    record("update", opinion, before, unit_id=opinion.unit_id, summary=f"不予采纳{opinion.unit.name}的意见建议", actor=user)
    db.session.commit()


def _visible(campaign, user, scope=None):
    """The conditions on Finding of what `user` may see (see visible_findings); `scope`: the units the evaluator
    or supervisor inspects, when already read."""
    where = [Finding.campaign_id == campaign.id]
    if user.role == UNIT:
        return where + [Finding.unit_id == user.unit_id, Finding.status == "confirmed"]
    if user.role in (EVALUATOR, SUPERVISOR):
        scope = policy.inspected_unit_ids(user, campaign) if scope is None else scope
        mine = select(Inspection.id).where(Inspection.created_by_id == user.id)
        return where + [or_(Finding.inspection_id.in_(mine), and_(Finding.unit_id.in_(scope), Finding.status != "draft"))]
    return where + [Finding.status != "draft"]


def visible_findings(campaign, user):
    """A select of the findings `user` may see: all for office and leaders, the group's or assigned units'
    (and their own drafts) for evaluators and supervisors, a unit's own confirmed ones for its liaison."""
    return select(Finding).where(*_visible(campaign, user))


def _filtered(campaign, unit_id=None, group_id=None, dimension_id=None, method="", severity="", status="",
              date_from=None, date_to=None, category="", key=""):
    """The list filters as conditions on Finding and Inspection (joined); `category` and `key` narrow the units as
    the matrix's filters do, so its totals link to the findings they count."""
    where = []
    if category or key in ("0", "1"):
        where.append(Finding.unit_id.in_(filtered_units(campaign, category, key if key in ("0", "1") else "")))
    if unit_id:
        where.append(Finding.unit_id == unit_id)
    if group_id:
        where.append(Finding.unit_id.in_(group_unit_ids(campaign, group_id)))
    if dimension_id:
        where.append(Finding.dimension_id == dimension_id)
    if method in METHOD_LABELS:
        where.append(Inspection.method == method)
    if severity in SEVERITY_LABELS:
        where.append(Finding.severity == severity)
    if status in STATUS_LABELS:
        where.append(Finding.status == status)
    if date_from:
        where.append(Inspection.held_on >= date_from)
    if date_to:
        where.append(Inspection.held_on <= date_to)
    return where


def search_findings(campaign, user, **filters):
    """A select of the findings (ORM objects, relations loaded) `user` may see under the list's filters: the export."""
    stmt = visible_findings(campaign, user).join(Inspection, Inspection.id == Finding.inspection_id)
    return (stmt.where(*_filtered(campaign, **filters))
            .options(selectinload(Finding.unit), selectinload(Finding.dimension), selectinload(Finding.item),
                     selectinload(Finding.inspection).selectinload(Inspection.created_by),
                     selectinload(Finding.files))
            .order_by(Inspection.held_on.desc(), Finding.id.desc()))


PAGE_SIZE = 50
ROW_COLUMNS = (Finding.id, Finding.unit_id, Finding.inspection_id, Finding.description, Finding.severity,
               Finding.source, Finding.reporter, Finding.confidential, Finding.status, Finding.review_note,
               Finding.merged_into_id, Unit.name.label("unit_name"), Dimension.name.label("dimension_name"),
               CheckItem.text.label("item_text"), Inspection.method, Inspection.held_on,
               User.display_name.label("inspector"))


def _rows_select():
    """A select of a finding row's columns, the names of its unit, dimension, check item and inspector joined in."""
    return (select(*ROW_COLUMNS).select_from(Finding)
            .join(Inspection, Inspection.id == Finding.inspection_id)
            .join(Unit, Unit.id == Finding.unit_id)
            .join(Dimension, Dimension.id == Finding.dimension_id)
            .outerjoin(CheckItem, CheckItem.id == Finding.item_id)
            .join(User, User.id == Inspection.created_by_id))


def finding_page(campaign, user, page=1, per_page=PAGE_SIZE, **filters):
    """Page `page` of the findings `user` may see under the list's filters, newest inspection first, as plain rows
    ready for templates/findings/_row.html (see finding_rows): a count, the rows, their files and, for the
    office, the merge targets of the pending ones — four statements whatever the county's size."""
    scope = policy.inspected_unit_ids(user, campaign) if user.role in (EVALUATOR, SUPERVISOR) else None
    where = _visible(campaign, user, scope) + _filtered(campaign, **filters)
    listed = select(Finding.id).join(Inspection, Inspection.id == Finding.inspection_id).where(*where)
    total = db.session.scalar(listed.with_only_columns(func.count()))
    page = max(1, page or 1)
    order = (Inspection.held_on.desc(), Finding.id.desc())
    # The page's ids first (finding and inspection only), then the names joined in for those rows alone.
    ids = listed.order_by(*order).limit(per_page).offset((page - 1) * per_page)
    rows = db.session.execute(_rows_select().where(Finding.id.in_(ids)).order_by(*order)).all() if total else []
    return Page(_finish(rows, user, scope, campaign.id), page, per_page, total)


def finding_rows(campaign, user, *where):
    """The campaign's findings matching `where` (one inspection's, one finding) as plain rows in id order; the
    caller has checked that `user` may see them."""
    scope = policy.inspected_unit_ids(user, campaign) if user.role in (EVALUATOR, SUPERVISOR) else None
    rows = db.session.execute(_rows_select().where(Finding.campaign_id == campaign.id, *where).order_by(Finding.id))
    return _finish(rows.all(), user, scope, campaign.id)


def _finish(rows, user, scope, campaign_id):
    """Rows as plain namespaces (attributes read quickest in templates) with their labels, files (not superseded), whether the unit's name links to its checklist,
    what a unit may read (no confidential reporter, no inspector) and, for the office, merge targets."""
    unit = user.role == UNIT
    out = []
    for r in rows:
        out.append(SimpleNamespace(**{
            "id": r.id, "unit_id": r.unit_id, "unit_name": r.unit_name, "inspection_id": r.inspection_id,
            "link_unit": not unit and (user.role in (OFFICE, LEADER) or (scope is not None and r.unit_id in scope)),
            "dimension_name": r.dimension_name, "item_text": r.item_text or "", "description": r.description,
            "reporter": "" if unit and r.confidential else r.reporter, "confidential": r.confidential,
            "review_note": r.review_note, "severity": r.severity, "severity_label": SEVERITY_LABELS[r.severity],
            "source_label": SOURCE_LABELS[r.source], "method_label": METHOD_LABELS[r.method],
            "inspector": None if unit else r.inspector, "held_on": cn_date(r.held_on), "status": r.status,
            "status_label": STATUS_LABELS[r.status], "merged_into_id": r.merged_into_id, "files": [], "targets": []}))
    if not out:
        return out
    by_id = {row.id: row for row in out}
    for f in db.session.execute(select(StoredFile.finding_id, StoredFile.id, StoredFile.kind, StoredFile.original_name)
                                .where(StoredFile.finding_id.in_(by_id), StoredFile.superseded.is_(False))
                                .order_by(StoredFile.id)):
        by_id[f.finding_id].files.append(SimpleNamespace(id=f.id, kind=f.kind, original_name=f.original_name))
    pending = [row for row in out if row.status == "submitted"]
    if user.role == OFFICE and pending:
        by_unit = defaultdict(list)
        for t in db.session.execute(select(Finding.id, Finding.unit_id, Finding.description, Finding.status).where(
                Finding.unit_id.in_({row.unit_id for row in pending}),
                Finding.campaign_id == campaign_id,
                Finding.status.in_(("submitted", "confirmed"))).order_by(Finding.id)):
            by_unit[t.unit_id].append(SimpleNamespace(id=t.id, description=t.description,
                                                      status_label=STATUS_LABELS[t.status]))
        for row in pending:
            row.targets = [t for t in by_unit[row.unit_id] if t.id != row.id]
    return out


def group_choices(campaign):
    """The campaign's evaluation groups [{id, name}] in order (the filters' 评议组)."""
    return [{"id": g.id, "name": g.name} for g in db.session.execute(
        select(EvaluationGroup.id, EvaluationGroup.name).where(EvaluationGroup.campaign_id == campaign.id)
        .order_by(EvaluationGroup.sort_order, EvaluationGroup.id))]


def dimension_choices(campaign):
    """The campaign's dimensions [{id, name}] in order."""
    return [{"id": d.id, "name": d.name} for d in db.session.execute(
        select(Dimension.id, Dimension.name).where(Dimension.campaign_id == campaign.id)
        .order_by(Dimension.sort_order, Dimension.id))]


def my_drafts(campaign, user):
    """The user's own draft inspections [{id, unit_name, method_label, held_on, findings}], newest first."""
    counts = (select(Finding.inspection_id, func.count().label("n")).group_by(Finding.inspection_id).subquery())
    return [{"id": r.id, "unit_name": r.name, "method_label": METHOD_LABELS[r.method], "held_on": cn_date(r.held_on),
             "findings": r.n or 0}
            for r in db.session.execute(
                select(Inspection.id, Inspection.method, Inspection.held_on, Unit.name, counts.c.n)
                .join(Unit, Unit.id == Inspection.unit_id).outerjoin(counts, counts.c.inspection_id == Inspection.id)
                .where(Inspection.campaign_id == campaign.id, Inspection.created_by_id == user.id,
                       Inspection.status == "draft").order_by(Inspection.id.desc()))]


def pending_opinions(campaign, user):
    """Opinions awaiting the office's review (office) as plain rows [{id, unit_name, text, source}], else []."""
    if user.role != OFFICE:
        return []
    return [{"id": r.id, "unit_name": r.name, "text": r.text, "source": r.source} for r in db.session.execute(
        select(Opinion.id, Opinion.text, Opinion.source, Unit.name).join(Unit, Unit.id == Opinion.unit_id)
        .where(Opinion.campaign_id == campaign.id, Opinion.status == "submitted").order_by(Opinion.id))]


def confirmed_for_unit(campaign, unit):
    return db.session.scalars(select(Finding).where(
        Finding.campaign_id == campaign.id, Finding.unit_id == unit.id, Finding.status == "confirmed")
        .options(selectinload(Finding.files), selectinload(Finding.inspection))
        .order_by(Finding.id)).all()


def matrix(campaign, category="", key="", group_id=None, page=1, per_page=50, within=None):
    """Units × dimensions, a page of units at a time: per cell the number of confirmed findings and the
    worst severity, per unit whether it has been inspected, and the totals over every filtered unit.
    Five statements whatever the county's size; plain rows with their cells ready for the template
    (dimension id, count, css class)."""
    unit_ids = filtered_units(campaign, category, key, group_id)
    if within is not None:
        unit_ids = unit_ids.where(Unit.id.in_(within or {0}))
    inspected_ = exists().where(Inspection.unit_id == Unit.id, Inspection.campaign_id == campaign.id,
                                Inspection.status == "submitted")
    total = db.session.scalar(select(func.count()).select_from(unit_ids.subquery()))
    units = page_of(select(Unit.id, Unit.name, inspected_.label("inspected")).where(Unit.id.in_(unit_ids))
                    .order_by(Unit.category, Unit.sort_order), page, per_page, total=total)
    dims = dimension_choices(campaign)
    page_ids = [u.id for u in units.items]
    counts, worst = defaultdict(int), defaultdict(int)
    if page_ids:
        for unit_id, dim_id, severity, count in db.session.execute(
                select(Finding.unit_id, Finding.dimension_id, Finding.severity, func.count())
                .where(Finding.campaign_id == campaign.id, Finding.status == "confirmed", Finding.unit_id.in_(page_ids))
                .group_by(Finding.unit_id, Finding.dimension_id, Finding.severity)):
            counts[(unit_id, dim_id)] += count
            worst[(unit_id, dim_id)] = max(worst[(unit_id, dim_id)], SEVERITY_ORDER[severity])
    totals = {dim_id: n for dim_id, n in db.session.execute(
        select(Finding.dimension_id, func.count()).where(
            Finding.campaign_id == campaign.id, Finding.status == "confirmed", Finding.unit_id.in_(unit_ids))
        .group_by(Finding.dimension_id))}
    rows = []
    for unit in units.items:
        cells = []
        for dim in dims:
            n = counts[(unit.id, dim["id"])]
            css = f"heat-{min(n, 4)}" + (" worst-severe" if worst[(unit.id, dim["id"])] == 3 else "") if n else ""
            cells.append((dim["id"], n, css))
        rows.append(SimpleNamespace(unit_id=unit.id, unit_name=unit.name, cells=cells, total=sum(c[1] for c in cells),
                                    inspected=bool(unit.inspected)))
    units.items = rows
    return {"page": units, "dims": dims, "rows": rows, "totals": [totals.get(d["id"], 0) for d in dims],
            "cells": dict(counts), "worst": dict(worst), "inspected": {r.unit_id for r in rows if r.inspected}}


EXPORT_HEADERS = ("编号", "单位", "评议方面", "检查项", "问题描述", "严重程度", "来源", "检查方式", "检查日期", "状态", "审核意见")


def export_findings(findings):
    """The (filtered) findings as an .xlsx for the office's own records."""
    book = Workbook()
    sheet = book.active
    sheet.title = "问题清单"
    append_row(sheet, EXPORT_HEADERS)
    for f in findings:
        append_row(sheet, [f.id, f.unit.name, f.dimension.name, f.item.text if f.item else "", f.description,
                           f.severity_label, f.source_label, f.inspection.method_label, f.inspection.held_on,
                           f.status_label, f.review_note])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in sheet.iter_rows(min_row=2, min_col=9, max_col=9):
        row[0].number_format = "yyyy-mm-dd"
    for index, width in enumerate((6, 22, 10, 30, 50, 8, 10, 12, 12, 8, 24), 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def parse_date(value):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


