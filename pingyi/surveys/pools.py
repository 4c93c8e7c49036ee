"""Respondent registers (服务对象库/评议员库): create, import from .xlsx/.csv, list with masked numbers, export.

Imports read files through the unit import's reader (same size and row limits, every cell cleaned by
pingyi.text), check every row, and write all rows or none. A number already in the register updates that
person; a number twice in the file is an error on the second row."""
import io
import re
import unicodedata

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import delete, func, insert, or_, select

from pingyi.audit.services import record, record_event
from pingyi.campaigns.categories import same_name
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.outbound.services import mask
from pingyi.surveys.reach_models import Respondent, RespondentPool, respondent_unit
from pingyi.text import clean_line
from pingyi.timeutil import utcnow
from pingyi.units.models import Unit
from pingyi.units.services import (  # the one reader of every import
    ImportRefused,
    header_and_body,
    header_positions,
    read_rows,
)
from pingyi.xlsx import append_row

COLUMNS = {"手机号码": "phone", "姓名": "name", "测评对象类别": "type_name", "服务单位": "units"}
ALIASES = {"手机号": "手机号码", "电话": "手机号码", "联系电话": "手机号码", "手机": "手机号码", "类别": "测评对象类别",
           "对象类别": "测评对象类别", "单位": "服务单位", "所办事单位": "服务单位", "办事单位": "服务单位"}
MAX_LENGTHS = {"name": 50, "type_name": 50}
UNIT_SEPARATORS = re.compile(r"[、，,;；/\n]+")
_MOBILE = re.compile(r"^1\d{10}$")

__all__ = ["ImportRefused", "normalise_phone", "mask"]


def normalise_phone(raw):
    """A mobile number as 11 digits, or None: full-width digits, spaces, dashes, dots and brackets dropped,
    a +86 / 0086 / 86 country prefix removed. "+86 138-1234-5678" → "13812345678"."""
    text = unicodedata.normalize("NFKC", str(raw or ""))
    text = re.sub(r"[\s\-–—.()（）]", "", text)
    if text.startswith("+"):
        text = text[1:]
    for prefix in ("0086", "86"):
        if text.startswith(prefix) and len(text) == 11 + len(prefix):
            text = text[len(prefix):]
    return text if _MOBILE.match(text) else None


def pools():
    """[(pool, people)] in name order."""
    counts = dict(db.session.execute(select(Respondent.pool_id, func.count()).group_by(Respondent.pool_id)).all())
    return [(p, counts.get(p.id, 0)) for p in
            db.session.scalars(select(RespondentPool).order_by(RespondentPool.id)).all()]


def create_pool(name, note, user):
    name = clean_line(name)[:100]
    if not name:
        raise DomainError("请填写名册名称")
    if any(same_name(p.name) == same_name(name) for p, _ in pools()):
        raise DomainError(f"已有名为“{name}”的名册")
    pool = RespondentPool(name=name, note=note or "", created_by_id=user.id)
    db.session.add(pool)
    db.session.flush()
    record("create", pool, summary=f"新建受访对象名册“{name}”", actor=user)
    db.session.commit()
    return pool


def search(pool, q="", type_name=None, unit_id=None):
    """A select of the register's people by name, the last digits of the number, type and unit."""
    stmt = select(Respondent).where(Respondent.pool_id == pool.id).order_by(Respondent.id)
    q = (q or "").strip()
    if q:
        digits = re.sub(r"\D", "", q)
        conditions = [Respondent.name.like(f"%{q}%")]
        if len(digits) >= 4:
            conditions.append(Respondent.phone.like(f"%{digits}"))
        stmt = stmt.where(or_(*conditions))
    if type_name is not None:
        stmt = stmt.where(Respondent.type_name == type_name)
    if unit_id:
        stmt = stmt.where(Respondent.id.in_(select(respondent_unit.c.respondent_id)
                                            .where(respondent_unit.c.unit_id == unit_id)))
    return stmt


def type_counts(pool):
    """[(type name or "", people)] of a register."""
    return db.session.execute(select(Respondent.type_name, func.count()).where(Respondent.pool_id == pool.id)
                              .group_by(Respondent.type_name).order_by(func.count().desc())).all()


def _unit_index():
    """same_name(name or short name) → unit id, for the 服务单位 column."""
    index = {}
    for unit in db.session.scalars(select(Unit)).all():
        for name in (unit.short_name, unit.name):
            if name:
                index[same_name(name)] = unit.id
    return index


def parse_register(filename, data, pool):
    """Check a register file; return [{phone, name, type_name, units (ids or None when the column is absent)}]
    or raise ImportRefused with every problem (row, column, message)."""
    header, body = header_and_body(read_rows(filename, data))
    positions = header_positions([clean_line(title) for title in header], COLUMNS, ("手机号码",), ALIASES)
    if not any(any(r) for r in body):
        raise ImportRefused([(None, None, "文件只有表头，没有名册数据")])
    problems = []
    units = _unit_index()
    seen, parsed = {}, []
    for number, row in enumerate(body, 2):
        if not any(row):
            continue

        def cell(title):
            i = positions.get(title)
            return clean_line(row[i]) if i is not None and i < len(row) else ""

        def where(title):
            return f"{get_column_letter(positions[title] + 1)} 列“{title}”"

        raw = cell("手机号码")
        phone = normalise_phone(raw)
        if not raw:
            problems.append((number, where("手机号码"), "手机号码不能为空"))
        elif phone is None:
            problems.append((number, where("手机号码"), f"“{raw[:30]}”不是有效的手机号码（应为 11 位，以 1 开头）"))
        elif phone in seen:
            problems.append((number, where("手机号码"), f"与第 {seen[phone]} 行的手机号码重复"))
        else:
            seen[phone] = number
        values = {"phone": phone, "name": cell("姓名"), "type_name": cell("测评对象类别"), "units": None}
        for field, limit in MAX_LENGTHS.items():
            if len(values[field]) > limit:
                title = next(t for t, f in COLUMNS.items() if f == field)
                problems.append((number, where(title), f"内容过长（不超过 {limit} 个字）"))
        if "服务单位" in positions:
            values["units"] = []
            for name in (n.strip() for n in UNIT_SEPARATORS.split(cell("服务单位"))):
                if not name:
                    continue
                unit_id = units.get(same_name(name))
                if unit_id is None:
                    problems.append((number, where("服务单位"), f"没有名为“{name[:40]}”的单位"))
                elif unit_id not in values["units"]:
                    values["units"].append(unit_id)
        parsed.append(values)
    if problems:
        raise ImportRefused(problems)
    return parsed


def import_register(filename, data, pool, user):
    """Add the file's people to the register (or update those already in it, by number); all or none.
    Returns (added, updated). Audited as one entry: numbers are not copied into the log."""
    rows = parse_register(filename, data, pool)
    existing = dict(db.session.execute(select(Respondent.phone, Respondent.id).where(Respondent.pool_id == pool.id)).all())
    now = utcnow()
    new_rows = [r for r in rows if r["phone"] not in existing]
    if new_rows:
        db.session.execute(insert(Respondent), [{"pool_id": pool.id, "phone": r["phone"], "name": r["name"],
                                                 "type_name": r["type_name"], "created_at": now, "updated_at": now}
                                                for r in new_rows])
        existing = dict(db.session.execute(select(Respondent.phone, Respondent.id)
                                           .where(Respondent.pool_id == pool.id)).all())
    updated, fresh = 0, {r["phone"] for r in new_rows}
    old = [r for r in rows if r["phone"] not in fresh]
    people = {p.phone: p for p in db.session.scalars(select(Respondent).where(
        Respondent.pool_id == pool.id, Respondent.phone.in_([r["phone"] for r in old])))} if old else {}
    for r in old:
        person = people[r["phone"]]
        changed = False
        for field in ("name", "type_name"):
            if r[field] and r[field] != getattr(person, field):
                setattr(person, field, r[field])
                changed = True
        if changed:
            person.updated_at = now
            updated += 1
    with_units = [r for r in rows if r["units"] is not None]
    if with_units:
        ids = [existing[r["phone"]] for r in with_units]
        for chunk in range(0, len(ids), 500):
            db.session.execute(delete(respondent_unit).where(respondent_unit.c.respondent_id.in_(ids[chunk:chunk + 500])))
        links = [{"respondent_id": existing[r["phone"]], "unit_id": u} for r in with_units for u in r["units"]]
        if links:
            db.session.execute(insert(respondent_unit), links)
    record_event("import", "respondent_pool", pool.id,
                 summary=f"向名册“{pool.name}”导入 {len(rows)} 人（新增 {len(new_rows)}，更新 {updated}；{filename[:60]}）",
                 actor=user)
    db.session.commit()
    return len(new_rows), updated


def export_register(pool, user):
    """The register with full numbers as .xlsx (the office's own copy); every export is audited."""
    book = Workbook()
    sheet = book.active
    sheet.title = "受访对象名册"
    append_row(sheet, list(COLUMNS))
    people = db.session.scalars(select(Respondent).where(Respondent.pool_id == pool.id).order_by(Respondent.id)).all()
    links = {}
    names = dict(db.session.execute(select(Unit.id, Unit.name)).all())
    for respondent_id, unit_id in db.session.execute(
            select(respondent_unit.c.respondent_id, respondent_unit.c.unit_id)
            .join(Respondent, Respondent.id == respondent_unit.c.respondent_id).where(Respondent.pool_id == pool.id)):
        links.setdefault(respondent_id, []).append(names[unit_id])
    for person in people:
        append_row(sheet, [person.phone, person.name, person.type_name, "、".join(links.get(person.id, []))])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, width in enumerate((16, 12, 18, 40), 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    record_event("export", "respondent_pool", pool.id, summary=f"导出名册“{pool.name}”（{len(people)} 人，含完整手机号码）",
                 actor=user)
    db.session.commit()
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out
