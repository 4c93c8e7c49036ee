"""Units: search, create, edit, deactivate; import from .xlsx/.csv and export to .xlsx."""
import csv
import io
import re
import secrets
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace

from flask import current_app
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import func, or_, select

from pingyi.audit.services import record, snapshot
from pingyi.auth.roles import SUPERVISOR
from pingyi.campaigns import categories
from pingyi.campaigns.categories import same_name
from pingyi.campaigns.models import CATEGORY_LABELS, EvaluationGroup, Participation, SupervisorAssignment
from pingyi.campaigns.services import current_campaign
from pingyi.errors import DomainError, check_version
from pingyi.extensions import db
from pingyi.paging import page_of
from pingyi.text import clean_line, clean_text
from pingyi.units.models import Unit
from pingyi.xlsx import append_row

FIELDS = ("name", "short_name", "category", "head_name", "contact_name", "contact_phone", "address", "note")
COLUMNS = {  # spreadsheet header -> field; the order is the export's
    "单位名称": "name", "简称": "short_name", "类别": "category", "主要负责人": "head_name",
    "联络员": "contact_name", "联系电话": "contact_phone", "地址": "address", "备注": "note",
    "重点评议部门": "is_key",
}
REQUIRED = ("单位名称", "类别")
EXPORT_ONLY = ("评议组", "状态")  # written by the export, skipped by the import so an export is a template
MAX_LENGTHS = {"name": 100, "short_name": 50, "head_name": 50, "contact_name": 50,
               "contact_phone": 40, "address": 200}
YES, NO = {"是", "√", "y", "yes", "1", "true"}, {"否", "", "n", "no", "0", "false"}


def search_units(campaign, q="", category="", key="", group_id=None, status="active"):
    """A select of units, filtered by text, category, key flag and group in `campaign`."""
    stmt = (select(Unit)
            .outerjoin(Participation, (Participation.unit_id == Unit.id)
                       & (Participation.campaign_id == (campaign.id if campaign else None))))
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(Unit.name.like(like), Unit.short_name.like(like), Unit.contact_name.like(like)))
    if category:
        stmt = stmt.where(Unit.category == category)
    if key == "1":
        stmt = stmt.where(Participation.is_key.is_(True))
    elif key == "0":
        stmt = stmt.where(or_(Participation.is_key.is_(False), Participation.id.is_(None)))
    if group_id == 0:
        stmt = stmt.where(Participation.group_id.is_(None))
    elif group_id:
        stmt = stmt.where(Participation.group_id == group_id)
    if status == "active":
        stmt = stmt.where(Unit.active.is_(True))
    elif status == "inactive":
        stmt = stmt.where(Unit.active.is_(False))
    return stmt.order_by(Unit.category, Unit.sort_order, Unit.id)


def unit_rows(campaign, number, per_page, labels, **filters):
    """Page `number` of the units search_units finds, as plain rows in two statements (the count and the rows):
    each row's unit (id, name, active, category_label, head_name, contact_name) and its participation in
    `campaign` (unit_id, is_key, group_id, group_name, version) or None; `labels`: {category key: name}."""
    stmt = (search_units(campaign, **filters)
            .outerjoin(EvaluationGroup, EvaluationGroup.id == Participation.group_id)
            .with_only_columns(Unit.id, Unit.name, Unit.active, Unit.category, Unit.head_name, Unit.contact_name,
                               Participation.id.label("part_id"), Participation.is_key, Participation.group_id,
                               Participation.version, EvaluationGroup.name.label("group_name")))

    def row(r):
        unit = SimpleNamespace(id=r.id, name=r.name, active=r.active, head_name=r.head_name,
                               contact_name=r.contact_name,
                               category_label=labels.get(r.category) or CATEGORY_LABELS.get(r.category) or r.category)
        part = None if r.part_id is None else SimpleNamespace(
            unit_id=r.id, is_key=r.is_key, group_id=r.group_id, group_name=r.group_name, version=r.version)
        return unit, part
    return page_of(stmt, number, per_page, row)


def participation_map(campaign, units):
    """unit id -> its Participation in `campaign`, for a page of units in one query."""
    if campaign is None or not units:
        return {}
    rows = db.session.scalars(select(Participation).where(
        Participation.campaign_id == campaign.id, Participation.unit_id.in_([u.id for u in units])))
    return {p.unit_id: p for p in rows}


def _check_values(values, unit_id=None, campaign=None):
    name = values["name"].strip()
    if not name:
        raise DomainError("请填写单位名称")
    known = categories.labels(campaign or _latest_campaign())
    if values["category"] not in known:
        raise DomainError("请选择单位类别")
    wanted = same_name(name)
    for other_id, other_name in db.session.execute(select(Unit.id, Unit.name)):
        if other_id != unit_id and same_name(other_name) == wanted:
            if other_name == name:
                raise DomainError(f"单位“{name}”已存在，不能重名")
            raise DomainError(f"单位“{name}”与已有单位“{other_name}”同名（全角半角、空格不同也视为同名），已存在，不能重名")


def _latest_campaign():
    return current_campaign()


def create_unit(values, campaign=None, is_key=False):
    """Create a unit; it joins the current campaign at once."""
    _check_values(values, campaign=campaign)
    order = db.session.scalar(select(func.coalesce(func.max(Unit.sort_order), 0))) + 1
    unit = Unit(**{k: (values.get(k) or "").strip() for k in FIELDS}, sort_order=order)
    db.session.add(unit)
    if campaign is not None:
        db.session.add(Participation(campaign=campaign, unit=unit, is_key=is_key))
    db.session.flush()
    record("create", unit, summary=f"新增单位 {unit.name}", unit_id=unit.id)
    db.session.commit()
    return unit


def update_unit(unit, version, values):
    """Edit a unit's name, category and contacts."""
    check_version(unit, version)
    _check_values(values, unit.id)
    before = snapshot(unit)
    for k in FIELDS:
        setattr(unit, k, (values.get(k) or "").strip())
    record("update", unit, before, summary=f"修改单位 {unit.name}", unit_id=unit.id)
    db.session.commit()
    return unit


def set_unit_active(unit, active):
    """Deactivate a unit (kept for the record, left out of new campaigns) or reactivate it."""
    before = snapshot(unit)
    unit.active = active
    record("update", unit, before, summary=f"{'启用' if active else '停用'}单位 {unit.name}", unit_id=unit.id)
    db.session.commit()


class ImportRefused(DomainError):
    """The file was refused; `problems` lists (row, column, message) for the report."""

    def __init__(self, problems):
        super().__init__(f"导入失败：发现 {len(problems)} 处问题，未导入任何单位")
        self.problems = problems


MAX_COLUMNS = 50  # columns read per row: the known ones and room for mistakes, not a sheet's 16,384


def _limits():
    return current_app.config["IMPORT_MAX_ROWS"], current_app.config["IMPORT_MAX_BYTES"]


def _too_many_rows(max_rows):
    return ImportRefused([(None, None, f"文件超过 {max_rows} 行单位数据的上限，请分成几个文件分批导入")])


def _bounded(rows, max_rows):
    """Rows with every cell as clean text, stopping with a refusal at the first row past the limit."""
    out, filled = [], 0
    for row in rows:
        cells = [clean_text("" if value is None else value) for value in row[:MAX_COLUMNS]]
        out.append(cells)
        filled += any(cells)
        if filled > max_rows + 1 or len(out) > 10 * (max_rows + 1):  # +1: the header; blank rows count too
            raise _too_many_rows(max_rows)
    return out


def read_rows(filename, data):
    """The file's rows as lists of clean strings, from .xlsx (streamed) or .csv (UTF-8 or GB18030, as Excel
    saves it), refused past the configured size and row limits."""
    max_rows, max_bytes = _limits()
    if len(data) > max_bytes:
        raise ImportRefused([(None, None, f"文件超过 {max_bytes // (1024 * 1024)} MB 的大小上限，请分成几个文件分批导入")])
    name = (filename or "").lower()
    if name.endswith(".xlsx") or zipfile.is_zipfile(io.BytesIO(data)):
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:
            raise ImportRefused([(None, None, "无法读取该 Excel 文件，请确认是 .xlsx 格式（旧版 .xls 请另存为 .xlsx）")])
        try:
            return _bounded(book.worksheets[0].iter_rows(max_col=MAX_COLUMNS, values_only=True), max_rows)
        except ImportRefused:
            raise
        except Exception:
            raise ImportRefused([(None, None, "无法读取该 Excel 文件，请确认是 .xlsx 格式（旧版 .xls 请另存为 .xlsx）")])
        finally:
            book.close()
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ImportRefused([(None, None, "无法识别 CSV 文件的编码，请另存为 UTF-8 或使用 .xlsx")])
        if "\x00" in text:
            raise ImportRefused([(None, None, "文件内容不是文本表格，请上传 .xlsx 或 .csv 文件")])
        try:
            return _bounded(csv.reader(io.StringIO(text, newline="")), max_rows)
        except csv.Error:
            raise ImportRefused([(None, None, "CSV 文件格式有误（引号未配对等），请用 Excel 另存后再导入")])
    raise ImportRefused([(None, None, "仅支持 .xlsx 或 .csv 格式的单位名单")])


def header_and_body(rows):
    """(header row, data rows) of a file's rows without its trailing empty rows; refused when it is empty."""
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        raise ImportRefused([(None, None, "文件是空的，没有表头和数据")])
    return rows[0], rows[1:]


def header_positions(header, columns, required=(), aliases=None, skip=()):
    """{column title: index} of a header row, a title written another way (`aliases`) taken as its column;
    unknown, repeated and missing required titles refused together, each with its cell."""
    problems, positions = [], {}
    for index, title in enumerate(header):
        letter = get_column_letter(index + 1)
        title = (aliases or {}).get(title, title)
        if not title or title in skip:
            continue
        if title not in columns:
            problems.append((1, f"{letter} 列", f"无法识别的表头“{title}”，可用的表头：{'、'.join(columns)}"))
        elif title in positions:
            problems.append((1, f"{letter} 列", f"表头“{title}”重复"))
        else:
            positions[title] = index
    problems += [(1, None, f"表头缺少必填列“{title}”") for title in required if title not in positions]
    if problems:
        raise ImportRefused(problems)
    return positions


def parse_import(filename, data):
    """Validate a unit list; return the rows to create or raise ImportRefused with every problem found."""
    header, body = header_and_body(read_rows(filename, data))
    positions = header_positions(header, COLUMNS, REQUIRED, skip=EXPORT_ONLY)
    if not any(any(r) for r in body):
        raise ImportRefused([(None, None, "文件只有表头，没有单位数据")])
    problems = []

    existing = {same_name(n) for n in db.session.scalars(select(Unit.name))}
    seen = {}
    parsed = []
    for number, row in enumerate(body, 2):
        if not any(row):
            continue

        def cell(title):
            i = positions.get(title)
            return row[i] if i is not None and i < len(row) else ""

        def where(title):
            return f"{get_column_letter(positions[title] + 1)} 列“{title}”"

        values = {COLUMNS[t]: cell(t) if COLUMNS[t] == "note" else clean_line(cell(t)) for t in positions}
        name = values["name"]
        if not name:
            problems.append((number, where("单位名称"), "单位名称不能为空"))
        elif same_name(name) in existing:
            problems.append((number, where("单位名称"), f"“{name}”与系统中已有单位重名"))
        elif same_name(name) in seen:
            problems.append((number, where("单位名称"), f"“{name}”与第 {seen[same_name(name)]} 行重复"))
        else:
            seen[same_name(name)] = number
        if not values["category"]:  # the class is matched to the campaign's categories by classify()
            problems.append((number, where("类别"), "类别不能为空"))
        for field, limit in MAX_LENGTHS.items():
            if len(values.get(field, "")) > limit:
                title = next(t for t, f in COLUMNS.items() if f == field)
                problems.append((number, where(title), f"内容过长（不超过 {limit} 个字）"))
        flag = values.pop("is_key", "").strip().lower()
        if flag in YES:
            values["is_key"] = True
        elif flag in NO:
            values["is_key"] = False
        else:
            problems.append((number, where("重点评议部门"), f"“{flag}”无效，请填写“是”或“否”"))
        parsed.append(values)
    if problems:
        raise ImportRefused(problems)
    return parsed


class NeedsMapping(DomainError):
    """The file's rows are valid but name classes the campaign does not have: the office chooses, for each,
    to create it or to map it onto an existing category (`unknown`: [(class as written, row count)])."""

    def __init__(self, unknown):
        super().__init__(f"名单中有 {len(unknown)} 个本年度没有的类别，请逐一选择新建或归入已有类别")
        self.unknown = unknown


def classify(rows, campaign):
    """[(class as first written, row count)] of the rows' classes that match no active category of the
    campaign (names compared with same_name: width, brackets and spaces do not matter), in file order."""
    unknown = {}
    for values in rows:
        if categories.match(campaign, values["category"]) is None:
            label, count = unknown.get(same_name(values["category"]), (values["category"], 0))
            unknown[same_name(values["category"])] = (label, count + 1)
    return list(unknown.values())


def classify_file(filename, data, campaign):
    return classify(parse_import(filename, data), campaign)


NEW_CATEGORY = "new"


def import_units(filename, data, campaign, mapping=None):
    """Create every unit of the file, or none of them when any row is wrong. Classes the campaign does not
    have raise NeedsMapping until `mapping` ({same_name(class): "new" or an active category key}) covers
    each of them; nothing is written before."""
    if campaign is None:
        raise ImportRefused([(None, None, "尚未建立年度评议，请先建立本年度评议再导入单位")])
    rows = parse_import(filename, data)
    unknown = classify(rows, campaign)
    mapping = mapping or {}
    active = {c.key for c in categories.categories(campaign.id, include_retired=False)}
    if any(mapping.get(same_name(label)) not in active | {NEW_CATEGORY} for label, _ in unknown):
        raise NeedsMapping(unknown)
    created = {}
    for label, count in unknown:
        choice = mapping[same_name(label)]
        if choice == NEW_CATEGORY:
            choice = categories.create(campaign, label).key
        created[same_name(label)] = choice
    for values in rows:
        found = categories.match(campaign, values["category"])
        values["category"] = found.key if found is not None else created[same_name(values["category"])]
    return apply_import(rows, filename, campaign)


def apply_import(rows, filename, campaign):
    """Write rows checked by parse_import (categories resolved to keys) in one short transaction."""
    order = db.session.scalar(select(func.coalesce(func.max(Unit.sort_order), 0)))
    units = []
    for order, values in enumerate(rows, order + 1):
        unit = Unit(**{k: values.get(k, "") for k in FIELDS}, sort_order=order)
        db.session.add(unit)
        if campaign is not None:
            db.session.add(Participation(campaign=campaign, unit=unit, is_key=values.get("is_key", False)))
        units.append(unit)
    db.session.flush()
    for unit in units:
        record("create", unit, summary=f"导入单位 {unit.name}（{filename}）", unit_id=unit.id)
    db.session.commit()
    return units


def export_units(campaign, units):
    """The unit list as an .xlsx (the same columns the import reads, plus the group)."""
    parts = participation_map(campaign, units)
    rows = [(unit, parts.get(unit.id)) for unit in units]
    book = Workbook()
    sheet = book.active
    sheet.title = "单位名单"
    headers = list(COLUMNS) + list(EXPORT_ONLY)
    append_row(sheet, headers)
    for unit, part in rows:
        values = [getattr(unit, COLUMNS[t]) if COLUMNS[t] != "is_key" else ("是" if part and part.is_key else "否")
                  for t in COLUMNS]
        values[2] = unit.category_label
        values += [part.group.name if part and part.group else "", "在用" if unit.active else "已停用"]
        append_row(sheet, values)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, width in enumerate((28, 14, 16, 12, 12, 16, 28, 20, 14, 30, 8), 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


# ---- the file kept between the class preview and its confirmation ----------------------------------------

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,40}$")


def _preview_dir():
    path = Path(current_app.config["UPLOAD_DIR"]) / "import-previews"
    path.mkdir(parents=True, exist_ok=True)
    return path


def keep_for_preview(filename, data):
    """Keep an uploaded unit list (outside the web root, under a random name) until the office confirms the
    class mapping or cancels; old ones (over a day) are removed on the way."""
    folder = _preview_dir()
    cutoff = time.time() - 86400
    for old in folder.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(18)
    (folder / token).write_bytes(data)
    return token


def kept_file(token):
    """The bytes kept under `token`, or None (unknown, malformed or already handled)."""
    if not _TOKEN.match(token or ""):
        return None
    path = _preview_dir() / token
    return path.read_bytes() if path.is_file() else None


def discard_kept(token):
    if _TOKEN.match(token or ""):
        (_preview_dir() / token).unlink(missing_ok=True)


def set_supervised_units(campaign, user, unit_ids):
    """Assign a supervisor exactly these units for the campaign; each change is audited."""
    if user.role != SUPERVISOR:
        raise DomainError("只有义务监督员可以分配联系单位")
    wanted = set(unit_ids)
    valid = set(db.session.scalars(select(Unit.id).where(Unit.id.in_(wanted), Unit.active)))
    if valid != wanted:
        raise DomainError("所选单位不存在或已停用")
    current = {a.unit_id: a for a in db.session.scalars(select(SupervisorAssignment).where(
        SupervisorAssignment.campaign_id == campaign.id, SupervisorAssignment.user_id == user.id))}
    for unit_id in wanted - set(current):
        assignment = SupervisorAssignment(campaign_id=campaign.id, user_id=user.id, unit_id=unit_id)
        db.session.add(assignment)
        record("create", assignment, summary=f"义务监督员 {user.display_name} 联系 {db.session.get(Unit, unit_id).name}",
               unit_id=unit_id)
    for unit_id in set(current) - wanted:
        assignment = current[unit_id]
        before = snapshot(assignment)
        db.session.delete(assignment)
        record("delete", assignment, before, unit_id=unit_id,
               summary=f"义务监督员 {user.display_name} 不再联系 {assignment.unit.name}")
    db.session.commit()
