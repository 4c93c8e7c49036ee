"""Questionnaires issued (问卷发放) per unit × respondent type: typed into a grid or imported from .xlsx/.csv,
every change audited; with the questionnaires returned they give each unit's return rate (回收率)."""
from collections import defaultdict
from fractions import Fraction

from sqlalchemy import func, select, union_all

from pingyi.audit.services import record, snapshot
from pingyi.campaigns.categories import same_name
from pingyi.campaigns.models import Participation
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.forms import plain_int
from pingyi.surveys.models import Ballot, QuestionnaireIssue, TallySheet
from pingyi.surveys.services import respondent_types
from pingyi.timeutil import utcnow
from pingyi.units.models import Unit
from pingyi.units.services import ImportRefused as _UnitImportRefused
from pingyi.units.services import read_rows

MAX_ISSUED = 100_000


class IssuanceRefused(DomainError):
    """An import refused as a whole; `problems` lists (row, column, message)."""

    def __init__(self, problems):
        super().__init__(f"导入失败：发现 {len(problems)} 处问题，未导入任何发放数")
        self.problems = problems


def issued_counts(campaign):
    """[(unit_id, respondent_type_id, issued)] of the campaign: one query (results.services.gather uses it)."""
    return db.session.execute(select(QuestionnaireIssue.unit_id, QuestionnaireIssue.respondent_type_id,
                                     QuestionnaireIssue.issued)
                              .where(QuestionnaireIssue.campaign_id == campaign.id)).all()


def returned_counts(campaign):
    """{(unit_id, type_id): questionnaires returned}: paper tallies (first entry), ballots one by one, online;
    a ballot excluded (a flagged burst, an upheld appeal) is left out here as in the results."""
    rows = union_all(
        select(TallySheet.unit_id, TallySheet.respondent_type_id, func.sum(TallySheet.ballots))
        .where(TallySheet.campaign_id == campaign.id, TallySheet.entry == 1)
        .group_by(TallySheet.unit_id, TallySheet.respondent_type_id),
        select(Ballot.unit_id, Ballot.respondent_type_id, func.count()).where(Ballot.campaign_id == campaign.id, Ballot.excluded_as.is_(None))
        .group_by(Ballot.unit_id, Ballot.respondent_type_id))
    out = defaultdict(int)
    for unit_id, type_id, n in db.session.execute(rows):
        out[(unit_id, type_id)] += n or 0
    return out


def units(campaign):
    """The campaign's participating active units, in their order."""
    return db.session.scalars(select(Unit).join(Participation).where(
        Participation.campaign_id == campaign.id, Unit.active).order_by(Unit.sort_order)).all()


def grid(campaign):
    """Everything the page shows: units, types, issued and returned per cell, rate per unit (exact % or None)."""
    types = respondent_types(campaign.id)
    issued = {(u, t): n for u, t, n in issued_counts(campaign)}
    returned = returned_counts(campaign)
    rows = []
    for unit in units(campaign):
        cells = [{"type": t, "issued": issued.get((unit.id, t.id)), "returned": returned.get((unit.id, t.id), 0)}
                 for t in types]
        out_n = sum(c["issued"] or 0 for c in cells)
        back = sum(c["returned"] for c in cells if c["issued"])
        rows.append({"unit": unit, "cells": cells, "issued": out_n, "returned": back,
                     "rate": None if not out_n else Fraction(back * 100, out_n)})
    return {"types": types, "rows": rows}


def save_values(campaign, values, user, how):
    """Write {(unit_id, type_id): issued or None (clears)}; one audit entry per changed cell."""
    current = {(r.unit_id, r.respondent_type_id): r for r in db.session.scalars(
        select(QuestionnaireIssue).where(QuestionnaireIssue.campaign_id == campaign.id))}
    names = {u.id: u.name for u in units(campaign)}
    type_names = {t.id: t.name for t in respondent_types(campaign.id)}
    changed = 0
    for (unit_id, type_id), n in values.items():
        row = current.get((unit_id, type_id))
        what = f"{names.get(unit_id, '')}{type_names.get(type_id, '')}问卷发放数"
        if row is None and n is not None:
            row = QuestionnaireIssue(campaign_id=campaign.id, unit_id=unit_id, respondent_type_id=type_id, issued=n,
                                     updated_by_id=user.id, updated_at=utcnow())
            db.session.add(row)
            record("create", row, summary=f"{how}{what} {n} 份", unit_id=unit_id, actor=user)
            changed += 1
        elif row is not None and n is None:
            before = snapshot(row)
            db.session.delete(row)
            db.session.flush()
            record("delete", row, before, summary=f"清除{what}（原 {before['issued']} 份）", unit_id=unit_id, actor=user)
            changed += 1
        elif row is not None and row.issued != n:
            before = snapshot(row)
            row.issued, row.updated_by_id, row.updated_at = n, user.id, utcnow()
            record("update", row, before, summary=f"{how}{what} {before['issued']} → {n} 份", unit_id=unit_id,
                   actor=user)
            changed += 1
    db.session.commit()
    return changed


def read_cell(raw):
    """(issued or None for a blank cell, message or None)."""
    raw = (raw or "").strip()
    if raw == "":
        return None, None
    n = plain_int(raw, MAX_ISSUED)
    if n is None:
        return None, f"发放数应为 0 至 {MAX_ISSUED} 的整数（用半角数字），不发放请留空"
    return n, None


def save_grid(campaign, typed, user, opened=None):
    """Save the grid as typed: {(unit_id, type_id): text}; `opened` {(unit_id, type_id): text} holds each cell as
    the page showed it, so that a cell someone else changed meanwhile is not overwritten unseen. Returns
    ({(unit_id, type_id): message}, changed); with any message nothing is saved."""
    allowed_units = {u.id for u in units(campaign)}
    allowed_types = {t.id for t in respondent_types(campaign.id)}
    stored = {(u, t): n for u, t, n in issued_counts(campaign)}
    errors, values = {}, {}
    for key, raw in typed.items():
        if key[0] not in allowed_units or key[1] not in allowed_types:
            continue
        n, message = read_cell(raw)
        if message:
            errors[key] = message
        elif opened is not None and key in opened and n != stored.get(key) \
                and (opened[key] or "") != ("" if stored.get(key) is None else str(stored[key])):
            errors[key] = (f"他人已在您打开本页后改为 {stored.get(key) if stored.get(key) is not None else '空'}，"
                           "请核对后再次保存（将以您填写的为准）")
        values[key] = n
    if errors:
        return errors, 0
    return {}, save_values(campaign, values, user, "填写")


def import_file(campaign, filename, data, user):
    """Import a table: first column 单位名称, then one column per respondent type named in the header row
    (columns not named like a type are refused). Every row is checked; one problem imports nothing.
    Returns the number of changed cells."""
    try:
        rows = read_rows(filename, data)
    except _UnitImportRefused as refused:
        raise IssuanceRefused(refused.problems)
    while rows and not any(rows[-1]):
        rows.pop()
    if len(rows) < 2:
        raise IssuanceRefused([(None, None, "文件中没有数据：第 1 行为表头（单位名称、各类测评对象），从第 2 行起每行一个单位")])
    types = {same_name(t.name): t for t in respondent_types(campaign.id)}
    by_name = {same_name(u.name): u for u in units(campaign)}
    header = rows[0]
    problems, columns = [], {}
    for index, title in enumerate(header[1:], 2):
        if not title:
            continue
        rtype = types.get(same_name(title))
        if rtype is None:
            problems.append((1, index, f"“{title}”不是本年度的测评对象类别（应为：{'、'.join(t.name for t in types.values())}）"))
        elif rtype.id in columns.values():
            problems.append((1, index, f"“{title}”重复出现"))
        else:
            columns[index] = rtype.id
    if not columns and not problems:
        problems.append((1, 2, "表头第 2 列起应为测评对象类别名称"))
    values, seen = {}, {}
    for number, row in enumerate(rows[1:], 2):
        if not any(row):
            continue
        unit = by_name.get(same_name(row[0]))
        if unit is None:
            problems.append((number, 1, f"“{row[0]}”不是本年度参加评议的单位" if row[0] else "缺少单位名称"))
            continue
        if unit.id in seen:
            problems.append((number, 1, f"“{unit.name}”与第 {seen[unit.id]} 行重复"))
            continue
        seen[unit.id] = number
        for index, type_id in columns.items():
            raw = row[index - 1] if index - 1 < len(row) else ""
            n, message = read_cell(raw)
            if message:
                problems.append((number, index, message))
            elif n is not None:
                values[(unit.id, type_id)] = n
    if problems:
        raise IssuanceRefused(problems)
    return save_values(campaign, values, user, f"从“{filename[:100]}”导入")
