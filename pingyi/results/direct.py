"""Direct scores (领导评议, 年度考核…): values per unit typed in on a page or imported from .xlsx/.csv, checked
against the component's maximum, all or nothing, every change audited."""
from sqlalchemy import select

from pingyi.audit.services import record, snapshot
from pingyi.campaigns.categories import same_name
from pingyi.campaigns.models import Participation
from pingyi.errors import DomainError
from pingyi.exact import exact_text, parse_exact
from pingyi.extensions import db
from pingyi.results import components
from pingyi.results.models import DirectScore
from pingyi.units.models import Unit
from pingyi.units.services import ImportRefused, read_rows

NAME_HEADERS = ("单位", "单位名称", "被评议单位")
VALUE_HEADERS = ("分数", "得分", "分值")


def direct_components(config):
    return [c for c in components.stored(config) if c["kind"] == "direct"]


def component(config, key):
    return next((c for c in direct_components(config) if c["key"] == key), None)


def participating_units(campaign):
    return db.session.execute(select(Unit.id, Unit.name).join(Participation).where(
        Participation.campaign_id == campaign.id, Unit.active).order_by(Unit.sort_order, Unit.id)).all()


def values(campaign, key):
    """{unit_id: exact value} of one component."""
    return dict(db.session.execute(select(DirectScore.unit_id, DirectScore.value).where(
        DirectScore.campaign_id == campaign.id, DirectScore.component_key == key)).all())


def filled_counts(campaign, keys):
    """{key: units with a value} for the settings page."""
    counts = dict.fromkeys(keys, 0)
    for key in db.session.scalars(select(DirectScore.component_key).where(DirectScore.campaign_id == campaign.id,
                                                                          DirectScore.component_key.in_(keys))):
        counts[key] += 1
    return counts


def read_value(raw, comp):
    """(exact value or None for a blank, message or None)."""
    text = (raw or "").strip()
    if not text:
        return None, None
    value = parse_exact(text)
    maximum = parse_exact(comp["max"])
    if value is None:
        return None, f"“{text}”不是数字（可填小数或分数，请用半角数字）"
    if not 0 <= value <= maximum:
        return None, f"应在 0 至 {exact_text(maximum)} 之间（满分 {exact_text(maximum)}）"
    return value, None


def check_values(campaign, comp, typed):
    """({unit_id: value or None}, {unit_id: message}) of the values typed per unit ({unit_id: text})."""
    clean, errors = {}, {}
    for unit_id, _ in participating_units(campaign):
        value, message = read_value(typed.get(unit_id, ""), comp)
        if message:
            errors[unit_id] = message
        else:
            clean[unit_id] = value
    return clean, errors


def save_values(campaign, comp, clean, user, how="录入"):
    """Store {unit_id: value or None (none: remove)}; one audit entry per changed unit. Returns the count changed."""
    rows = {r.unit_id: r for r in db.session.scalars(select(DirectScore).where(
        DirectScore.campaign_id == campaign.id, DirectScore.component_key == comp["key"]))}
    names = dict(participating_units(campaign))
    changed = 0
    for unit_id, value in clean.items():
        row = rows.get(unit_id)
        label = f"{comp['name']}：{names.get(unit_id, '')}"
        if value is None:
            if row is not None:
                record("delete", row, snapshot(row), summary=f"{how}删除{label}的分数", unit_id=unit_id, actor=user)
                db.session.delete(row)
                changed += 1
            continue
        if row is None:
            row = DirectScore(campaign_id=campaign.id, component_key=comp["key"], unit_id=unit_id, value=value,
                              updated_by_id=user.id)
            db.session.add(row)
            record("create", row, summary=f"{how}{label} {exact_text(value)} 分", unit_id=unit_id, actor=user)
            changed += 1
        elif row.value != value:
            before = snapshot(row)
            row.value, row.updated_by_id = value, user.id
            record("update", row, before, summary=f"{how}修改{label} {exact_text(before['value'])} → {exact_text(value)} 分",
                   unit_id=unit_id, actor=user)
            changed += 1
    db.session.commit()
    return changed


def parse_import(campaign, comp, filename, data):
    """{unit_id: value} from a file with a unit-name column and a score column, or ImportRefused listing every
    problem (row, column, message): unknown or repeated units, values not numbers or above the maximum."""
    rows = read_rows(filename, data)
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        raise ImportRefused([(None, None, "文件是空的")])
    header = [same_name(h) for h in rows[0]]
    name_col = next((i for i, h in enumerate(header) if h in NAME_HEADERS), None)
    value_col = next((i for i, h in enumerate(header) if h in VALUE_HEADERS or h == same_name(comp["name"])), None)
    if name_col is None or value_col is None:
        raise ImportRefused([(1, None, f"第一行应有“单位名称”和“分数”（或“{comp['name']}”）两列")])
    units = {same_name(name): unit_id for unit_id, name in participating_units(campaign)}
    problems, out, rows_of = [], {}, {}
    for number, row in enumerate(rows[1:], 2):
        if not any(row):
            continue
        name = row[name_col] if name_col < len(row) else ""
        raw = row[value_col] if value_col < len(row) else ""
        unit_id = units.get(same_name(name))
        if unit_id is None:
            problems.append((number, "单位名称", f"“{name}”不是本年度的评议对象" if name else "缺少单位名称"))
            continue
        if unit_id in rows_of:
            problems.append((number, "单位名称", f"“{name}”与第 {rows_of[unit_id]} 行重复"))
            continue
        rows_of[unit_id] = number
        value, message = read_value(raw, comp)
        if message or value is None:
            problems.append((number, "分数", message or "缺少分数"))
            continue
        out[unit_id] = value
    if problems:
        raise ImportRefused(problems)
    if not out:
        raise ImportRefused([(None, None, "文件中没有分数")])
    return out


def import_values(campaign, comp, filename, data, user):
    """Import a file: all rows or nothing. Units not in the file keep their values."""
    clean = parse_import(campaign, comp, filename, data)
    return save_values(campaign, comp, clean, user, how="导入")


def template_rows(campaign, comp):
    """The import template's rows: every unit with its current value."""
    current = values(campaign, comp["key"])
    return [["单位名称", "分数"]] + [[name, exact_text(current[uid]) if uid in current else ""]
                                     for uid, name in participating_units(campaign)]


def require(config, key):
    comp = component(config, key)
    if comp is None:
        raise DomainError("评定办法中没有这个直接录入的评分项")
    return comp
