"""Satisfaction surveys: set-up, paper tallies (single or double entry), ballots, one-time codes."""
import json
import os
import secrets
import threading
from collections import defaultdict
from contextlib import contextmanager
from datetime import date
from types import SimpleNamespace
from typing import NamedTuple, Optional

try:
    import fcntl
except ImportError:  # Windows: waitress serves in one process
    fcntl = None

import segno
from flask import current_app, has_request_context
from flask_login import current_user
from sqlalchemy import and_, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import flag_modified

from pingyi.audit.models import AuditEntry
from pingyi.audit.services import record, snapshot
from pingyi.cache.services import count_change
from pingyi.campaigns.models import Campaign
from pingyi.checklists.services import dimensions
from pingyi.errors import DomainError, StaleEdit, check_version
from pingyi.extensions import db
from pingyi.findings.models import Opinion
from pingyi.forms import plain_int
from pingyi.surveys import anomalies, counts, follow_ups
from pingyi.surveys.counts import COUNT_KEY, count_ballot
from pingyi.surveys.integrity_models import ArrivalMark, RoundSalt
from pingyi.surveys.models import (
    DEFAULT_OPTIONS,
    DEFAULT_TYPES,
    ROUND_LABELS,
    Ballot,
    BallotAnswer,
    BallotCount,
    CodeBatch,
    Questionnaire,
    RespondentType,
    SurveyCode,
    SurveyOption,
    SurveyQuestion,
    TallyCount,
    TallySheet,
)
from pingyi.timeutil import day_start, today, utcnow
from pingyi.units.models import Unit

MAX_CODES = 500
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: codes are also typed by hand


def options(campaign_id):
    return db.session.scalars(select(SurveyOption).where(SurveyOption.campaign_id == campaign_id)
                              .order_by(SurveyOption.sort_order, SurveyOption.id)).all()


def respondent_types(campaign_id):
    return db.session.scalars(select(RespondentType).where(RespondentType.campaign_id == campaign_id)
                              .order_by(RespondentType.sort_order, RespondentType.id)).all()


def questionnaires(campaign_id):
    return db.session.scalars(select(Questionnaire).where(Questionnaire.campaign_id == campaign_id)
                              .options(selectinload(Questionnaire.questions).selectinload(SurveyQuestion.dimension))
                              .order_by(Questionnaire.sort_order, Questionnaire.id)).all()


def is_set_up(campaign):
    return bool(db.session.scalar(select(func.count(SurveyOption.id)).where(SurveyOption.campaign_id == campaign.id)))


def set_up(campaign, source=None):
    """Give a campaign its options, respondent types and questionnaires: the source campaign's, or
    the defaults (满意/基本满意/不满意/不了解, four respondent types, one question per dimension and one
    overall question). Does nothing when the campaign already has them."""
    if is_set_up(campaign):
        return
    db.session.flush()
    if source is not None and is_set_up(source):
        for o in options(source.id):
            db.session.add(SurveyOption(campaign_id=campaign.id, label=o.label, score=o.score,
                                        counts_valid=o.counts_valid, sort_order=o.sort_order))
        for t in respondent_types(source.id):
            db.session.add(RespondentType(campaign_id=campaign.id, name=t.name, weight=t.weight,
                                          sort_order=t.sort_order))
        dims = {d.name: d.id for d in dimensions(campaign.id)}
        for q in questionnaires(source.id):
            copy = Questionnaire(campaign_id=campaign.id, title=q.title.replace(str(source.year), str(campaign.year)),
                                 intro=q.intro,
                                 double_entry=q.double_entry, sort_order=q.sort_order)
            for question in q.questions:
                copy.questions.append(SurveyQuestion(
                    text=question.text, sort_order=question.sort_order,
                    dimension_id=dims.get(question.dimension.name) if question.dimension else None))
            db.session.add(copy)
        return
    for order, (label, score, valid) in enumerate(DEFAULT_OPTIONS, 1):
        db.session.add(SurveyOption(campaign_id=campaign.id, label=label, score=score, counts_valid=valid,
                                    sort_order=order))
    for order, (name, weight) in enumerate(DEFAULT_TYPES, 1):
        db.session.add(RespondentType(campaign_id=campaign.id, name=name, weight=weight, sort_order=order))
    q = Questionnaire(campaign_id=campaign.id, title=f"{campaign.year}年度政风行风满意度测评表", sort_order=1,
                      intro="请您根据亲身感受，对该单位的政风行风作出评价，在相应选项中选择一项。本测评不记名。")
    for order, dim in enumerate(dimensions(campaign.id), 1):
        q.questions.append(SurveyQuestion(text=f"您对该单位“{dim.name}”方面的评价", dimension_id=dim.id,
                                          sort_order=order))
    q.questions.append(SurveyQuestion(text="您对该单位政风行风的总体评价", sort_order=len(q.questions) + 1))
    db.session.add(q)


# ---- set-up edits -------------------------------------------------------------------------------------

def _used_option_ids(campaign_id):
    in_tallies = select(TallyCount.option_id).join(TallySheet).where(TallySheet.campaign_id == campaign_id,
                                                                     TallyCount.count > 0)
    in_ballots = select(BallotCount.option_id).where(BallotCount.campaign_id == campaign_id, BallotCount.count > 0)
    return set(db.session.scalars(in_tallies.union(in_ballots)))


def _used_type_ids(campaign_id):
    return set(db.session.scalars(select(TallySheet.respondent_type_id).where(TallySheet.campaign_id == campaign_id)
                                  .union(select(Ballot.respondent_type_id).where(Ballot.campaign_id == campaign_id),
                                         select(CodeBatch.respondent_type_id).where(CodeBatch.campaign_id == campaign_id))))


# What differs between the two editable sets of a campaign's survey: options and respondent types.
OPTION_SET = {"model": SurveyOption, "name": "label", "fields": ("label", "score", "counts_valid"), "what": "测评选项",
              "used": _used_option_ids, "duplicate": "选项名称不能重复", "in_use": "选项“{}”已有投票，不能删除",
              "counts": (BallotCount.option_id, TallyCount.option_id)}
TYPE_SET = {"model": RespondentType, "name": "name", "fields": ("name", "weight"), "what": "测评对象类别",
            "used": _used_type_ids, "duplicate": "测评对象类别不能重复", "in_use": "“{}”已有测评数据，不能删除",
            "counts": (BallotCount.respondent_type_id,)}


def _save_set(campaign, kind, rows, current):
    """Save an ordered set edited as rows {"id", "version", <fields>}: a row without id adds an item, a kept
    id with an empty name deletes it (refused when data was recorded for it), the rest are updated."""
    model, name = kind["model"], kind["name"]
    names = [r[name] for r in rows if r[name]]
    if len(set(names)) != len(names):
        raise DomainError(kind["duplicate"])
    used = kind["used"](campaign.id)
    for order, row in enumerate(rows, 1):
        item = current.get(row["id"]) if row["id"] else None
        if item is None and row["id"]:
            raise DomainError(f"该{kind['what']}已被他人删除，请刷新后重试")
        if item is not None:
            check_version(item, row["version"])
            before = snapshot(item)
            if not row[name]:
                if item.id in used:
                    raise DomainError(kind["in_use"].format(before[name]))
                for column in kind["counts"]:  # only zero counts can remain for an unused item
                    db.session.execute(delete(column.class_).where(column == item.id))
                db.session.delete(item)
                db.session.flush()
                record("delete", item, before, summary=f"删除{kind['what']} {before[name]}")
                continue
            for field in kind["fields"]:
                setattr(item, field, row[field])
            item.sort_order = order
            record("update", item, before, summary=f"修改{kind['what']} {row[name]}")
        elif row[name]:
            item = model(campaign_id=campaign.id, sort_order=order, **{f: row[f] for f in kind["fields"]})
            db.session.add(item)
            record("create", item, summary=f"新增{kind['what']} {row[name]}")
    db.session.commit()


def save_options(campaign, rows):
    """Rows: {"id", "label", "score", "counts_valid", "version"}. Raises DomainError."""
    if not any(r["counts_valid"] for r in rows if r["label"]):
        raise DomainError("至少要有一个计为有效票的选项")
    _save_set(campaign, OPTION_SET, rows, {o.id: o for o in options(campaign.id)})


def save_types(campaign, rows):
    """Rows: {"id", "name", "weight", "version"}. Raises DomainError."""
    if not any(r["name"] for r in rows):
        raise DomainError("至少要有一类测评对象")
    _save_set(campaign, TYPE_SET, rows, {t.id: t for t in respondent_types(campaign.id)})


def save_questionnaire(campaign, questionnaire, version, title, intro, double_entry, questions):
    """Create (questionnaire None) or edit a questionnaire. `questions`: [{"id", "text", "dimension_id"}];
    a question left empty is removed unless answers were recorded for it."""
    dims = {d.id for d in dimensions(campaign.id)}
    if questionnaire is None:
        questionnaire = Questionnaire(campaign_id=campaign.id, title=title, sort_order=len(questionnaires(campaign.id)) + 1)
        db.session.add(questionnaire)
        before = None
    else:
        check_version(questionnaire, version)
        before = snapshot(questionnaire) | {"questions": [q.text for q in questionnaire.questions]}
    if not any(q["text"] for q in questions):
        raise DomainError("问卷至少要有一个问题")
    questionnaire.title, questionnaire.intro, questionnaire.double_entry = title, intro, double_entry
    existing = {q.id: q for q in questionnaire.questions}
    answered = set()
    if existing:
        answered = set(db.session.scalars(select(TallyCount.question_id).where(
            TallyCount.question_id.in_(existing), TallyCount.count > 0).union(
            select(BallotCount.question_id).where(BallotCount.question_id.in_(existing), BallotCount.count > 0))))
    for order, row in enumerate(questions, 1):
        if row["dimension_id"] and row["dimension_id"] not in dims:
            raise DomainError("请选择本年度的评议方面")
        question = existing.get(row["id"]) if row["id"] else None
        if question is None and row["text"]:
            questionnaire.questions.append(SurveyQuestion(text=row["text"], dimension_id=row["dimension_id"] or None,
                                                          sort_order=order))
        elif question is not None and not row["text"]:
            if question.id in answered:
                raise DomainError(f"问题“{question.text}”已有答题数据，不能删除")
            db.session.execute(delete(TallyCount).where(TallyCount.question_id == question.id))
            db.session.execute(delete(BallotCount).where(BallotCount.question_id == question.id))
            questionnaire.questions.remove(question)
        elif question is not None:
            question.text, question.dimension_id, question.sort_order = row["text"], row["dimension_id"] or None, order
    if before is None:
        record("create", questionnaire, summary=f"新增问卷 {title}（{len([q for q in questions if q['text']])} 题）")
    else:
        flag_modified(questionnaire, "title")  # question edits move the questionnaire's version too
        record("update", questionnaire, before, summary=f"修改问卷 {title}",
               extra={"questions": [q.text for q in questionnaire.questions]})
    db.session.commit()
    return questionnaire


# ---- paper tallies ------------------------------------------------------------------------------------

def check_round(round_):
    if round_ not in ROUND_LABELS:
        raise DomainError("请选择评议轮次")


def find_sheet(unit_id, questionnaire_id, type_id, round_, entry):
    return db.session.scalar(select(TallySheet).where(
        TallySheet.unit_id == unit_id, TallySheet.questionnaire_id == questionnaire_id,
        TallySheet.respondent_type_id == type_id, TallySheet.round == round_, TallySheet.entry == entry)
        .options(selectinload(TallySheet.counts)))


def sheet_cells(sheet):
    """{(question_id, option_id): count} of a saved sheet ({} for none)."""
    return {(c.question_id, c.option_id): c.count for c in sheet.counts} if sheet else {}


MAX_COUNT = 100_000  # questionnaires of one batch, or votes of one cell


def _parse_count(raw):
    """A count typed in the grid: blank is 0; anything but ASCII digits up to MAX_COUNT is refused."""
    raw = (raw or "").strip()
    if raw == "":
        return 0
    value = plain_int(raw, MAX_COUNT)
    if value is None:
        raise ValueError
    return value


def save_tally(campaign, unit, questionnaire, rtype, round_, entry, ballots_raw, cells_raw, version, user):
    """Save a batch's tally grid. Each question's row is checked on its own: counts must be whole numbers
    ≥ 0 and add up to no more than the questionnaires returned. Rows that pass are saved; a row that fails
    keeps its stored values and gets a message. Returns (sheet, {question_id: message}, ballots message).
    Raises StaleEdit when someone saved the sheet after the form was opened."""
    check_round(round_)
    if entry == 2 and not questionnaire.double_entry:
        raise DomainError("该问卷未设置双人录入")
    sheet = find_sheet(unit.id, questionnaire.id, rtype.id, round_, entry)
    if sheet is not None:
        if version is None or str(version) == "":
            raise StaleEdit(current=sheet)  # a grid posted without the version it was opened at
        check_version(sheet, version)
    if questionnaire.double_entry:
        other = find_sheet(unit.id, questionnaire.id, rtype.id, round_, 3 - entry)
        if other is not None and other.entered_by_id == user.id:
            raise DomainError("双人录入的两遍须由两个人分别完成：另一遍是您录入的，请由他人录入这一遍")
    try:
        ballots = _parse_count(ballots_raw)
    except ValueError:
        return sheet, {}, f"回收问卷数应为 0 至 {MAX_COUNT} 的整数"
    stored = sheet_cells(sheet)
    opts = options(campaign.id)
    row_errors, accepted = {}, {}
    for question in questionnaire.questions:
        try:  # a cell missing from the post keeps its stored count
            row = {o.id: (stored.get((question.id, o.id), 0) if cells_raw.get((question.id, o.id)) is None
                          else _parse_count(cells_raw[(question.id, o.id)])) for o in opts}
        except ValueError:
            row_errors[question.id] = f"票数应为 0 至 {MAX_COUNT} 的整数"
            continue
        if sum(row.values()) > ballots:
            row_errors[question.id] = f"各选项合计 {sum(row.values())} 票，超过回收问卷数 {ballots} 份"
            continue
        accepted[question.id] = row
    for question_id in row_errors:
        kept = sum(stored.get((question_id, o.id), 0) for o in opts)
        if kept > ballots:
            return sheet, row_errors, f"已保存的第 {_position(questionnaire, question_id)} 题合计 {kept} 票，回收问卷数不能少于此数"
    if sheet is None:
        sheet = TallySheet(campaign_id=campaign.id, unit_id=unit.id, questionnaire_id=questionnaire.id,
                           respondent_type_id=rtype.id, round=round_, entry=entry, ballots=0)
        db.session.add(sheet)
        before = None
    else:
        before = snapshot(sheet) | {"counts": _cells_text(questionnaire, opts, stored)}
    sheet.ballots, sheet.entered_by_id, sheet.updated_at = ballots, user.id, utcnow()
    existing = {(c.question_id, c.option_id): c for c in sheet.counts}
    for question_id, row in accepted.items():
        for option_id, count in row.items():
            cell = existing.get((question_id, option_id))
            if cell is None:
                sheet.counts.append(TallyCount(question_id=question_id, option_id=option_id, count=count))
            else:
                cell.count = count
    db.session.flush()
    counts = {"counts": _cells_text(questionnaire, opts, sheet_cells(sheet))}
    what = f"{unit.name}{ROUND_LABELS[round_]}{rtype.name}测评票数（{questionnaire.title}{'，第二遍录入' if entry == 2 else ''}）"
    if before is None:
        record("create", sheet, summary=f"录入{what}", unit_id=unit.id, actor=user, extra=counts)
    elif (before["ballots"], before["counts"]) != (sheet.ballots, counts["counts"]):
        record("update", sheet, before, summary=f"修改{what}", unit_id=unit.id, actor=user, extra=counts)
    db.session.commit()
    return sheet, row_errors, ""


def _cells_text(questionnaire, opts, cells):
    """A tally's non-zero counts as people read them in the audit log: {"第 1 题 · 满意": 39, …}."""
    return {f"第 {n} 题 · {o.label}": cells[(q.id, o.id)] for n, q in enumerate(questionnaire.questions, 1)
            for o in opts if cells.get((q.id, o.id))}


def _position(questionnaire, question_id):
    return next(i for i, q in enumerate(questionnaire.questions, 1) if q.id == question_id)


def differences(first, second, questionnaire, opts):
    """Cells where the two entries of a double-entered batch differ: [(label, first, second)], and the
    set of (question_id, option_id) keys (the key "ballots" for the number returned)."""
    a, b = sheet_cells(first), sheet_cells(second)
    found, keys = [], set()
    if first.ballots != second.ballots:
        found.append(("回收问卷数", first.ballots, second.ballots))
        keys.add("ballots")
    for n, question in enumerate(questionnaire.questions, 1):
        for o in opts:
            key = (question.id, o.id)
            if a.get(key, 0) != b.get(key, 0):
                found.append((f"第 {n} 题 · {o.label}", a.get(key, 0), b.get(key, 0)))
                keys.add(key)
    return found, keys


def double_entry_state(campaign):
    """Batches of double-entry questionnaires not yet usable: {(unit_id, questionnaire_id, type_id, round):
    "待第二遍录入" | "两遍录入不一致"}. Two queries for the whole county."""
    sheets = db.session.scalars(select(TallySheet).join(Questionnaire).where(
        TallySheet.campaign_id == campaign.id, Questionnaire.double_entry)).all()
    if not sheets:
        return {}
    counts = defaultdict(dict)
    for sheet_id, q, o, n in db.session.execute(select(TallyCount.sheet_id, TallyCount.question_id,
                                                       TallyCount.option_id, TallyCount.count)
                                                .where(TallyCount.sheet_id.in_([s.id for s in sheets]))):
        if n:
            counts[sheet_id][(q, o)] = n
    batches = defaultdict(dict)
    for s in sheets:
        batches[(s.unit_id, s.questionnaire_id, s.respondent_type_id, s.round)][s.entry] = s
    state = {}
    for key, entries in batches.items():
        if set(entries) != {1, 2}:
            state[key] = "待第二遍录入"
        elif entries[1].ballots != entries[2].ballots or counts[entries[1].id] != counts[entries[2].id]:
            state[key] = "两遍录入不一致"
    return state


# ---- individual ballots and one-time codes -------------------------------------------------------------

def recount(campaign):
    """Rebuild the campaign's BallotCount from its ballots (after a bulk import; tests check it matches)."""
    db.session.execute(delete(BallotCount).where(BallotCount.campaign_id == campaign.id))
    grouped = (select(Ballot.campaign_id, Ballot.unit_id, Ballot.questionnaire_id, Ballot.respondent_type_id,
                      Ballot.round, BallotAnswer.question_id, BallotAnswer.option_id, func.count())
               .join(Ballot, BallotAnswer.ballot_id == Ballot.id)
               .where(Ballot.campaign_id == campaign.id, Ballot.excluded_as.is_(None))
               .group_by(Ballot.campaign_id, Ballot.unit_id, Ballot.questionnaire_id, Ballot.respondent_type_id,
                         Ballot.round, BallotAnswer.question_id, BallotAnswer.option_id))
    db.session.execute(insert(BallotCount).from_select(["campaign_id", *COUNT_KEY, "count"], grouped))
    db.session.commit()


BLANK = 0  # a paper questionnaire on which the respondent left the question unanswered


def _check_answers(questionnaire, answers, opts, allow_blank=False):
    valid_options = {o.id for o in opts}
    errors = {}
    for question in questionnaire.questions:
        chosen = answers.get(question.id)
        if chosen is None:
            errors[question.id] = "请选择一项" + ("（问卷上未填的选“未作答”）" if allow_blank else "")
        elif chosen == BLANK and allow_blank:
            continue
        elif chosen not in valid_options:
            errors[question.id] = "选项无效"
    return errors


def add_ballot(campaign, unit, questionnaire, rtype, round_, answers, user):
    """Enter one paper questionnaire. `answers`: {question_id: option_id, or BLANK where the respondent left
    the question unanswered}; returns {question_id: message} (nothing saved) or {} once saved."""
    check_round(round_)
    errors = _check_answers(questionnaire, answers, options(campaign.id), allow_blank=True)
    if errors:
        return errors
    ballot = Ballot(campaign_id=campaign.id, unit_id=unit.id, questionnaire_id=questionnaire.id,
                    respondent_type_id=rtype.id, round=round_, channel="paper", entered_by_id=user.id)
    for question in questionnaire.questions:
        if answers[question.id] != BLANK:
            ballot.answers.append(BallotAnswer(question_id=question.id, option_id=answers[question.id]))
    db.session.add(ballot)
    count_ballot(ballot, 1)
    record("create", ballot, summary=f"逐张录入{unit.name}{ROUND_LABELS[round_]}{rtype.name}问卷 1 张",
           unit_id=unit.id, actor=user)
    db.session.commit()
    return {}


def delete_ballot(ballot, user):
    before = snapshot(ballot) | {"answers": {a.question_id: a.option_id for a in ballot.answers}}
    if ballot.excluded_as is None:  # an excluded ballot's answers are already out of the counts
        count_ballot(ballot, -1)
    db.session.delete(ballot)
    db.session.flush()
    record("delete", ballot, before, summary="删除逐张录入的问卷 1 张", unit_id=before["unit_id"], actor=user)
    db.session.commit()


def issue_codes(campaign, unit, questionnaire, rtype, round_, count, user):
    check_round(round_)
    if not 1 <= count <= MAX_CODES:
        raise DomainError(f"每批可生成 1 至 {MAX_CODES} 个答题码")
    batch = CodeBatch(campaign_id=campaign.id, unit_id=unit.id, questionnaire_id=questionnaire.id,
                      respondent_type_id=rtype.id, round=round_, created_by_id=user.id)
    taken = set()
    while len(taken) < count:
        taken.add("".join(secrets.choice(CODE_ALPHABET) for _ in range(10)))
    batch.codes = [SurveyCode(code=c) for c in sorted(taken)]
    db.session.add(batch)
    record("create", batch, summary=f"为{unit.name}生成网上问卷答题码 {count} 个（{ROUND_LABELS[round_]}，{rtype.name}）",
           unit_id=unit.id, actor=user)
    db.session.commit()
    return batch


def qr_data_uri(text):
    """A QR code of `text` as an SVG data URI, made here (no outside service)."""
    return segno.make(text, error="m").svg_data_uri(scale=3, border=2)


# ---- the public questionnaire (/s/<code>) ------------------------------------------------------------------
# A crowd answers at once (a meeting handing out slips): a view costs one statement, a submission one short
# write transaction of plain INSERTs.

class Question(NamedTuple):
    id: int
    text: str


class Choice(NamedTuple):
    id: int
    label: str


class PublicCode(NamedTuple):
    """A code as /s/<code> needs it. `questions` and `options` are what the questionnaire shows, in order;
    `open`: its campaign is the latest and still open; `salt`: the round's network salt (None before the
    round's first answer)."""
    id: int
    code: str
    used_on: Optional[date]
    campaign_id: int
    unit_id: int
    questionnaire_id: int
    respondent_type_id: int
    round: str
    open: bool
    unit_name: str
    intro: str
    salt: Optional[str]
    questions: tuple
    options: tuple


_LOOKUP = {}  # dialect name -> the statement, built once


def _json_rows(dialect, *columns):
    """The rows' [column, …] as one JSON array."""
    if dialect == "postgresql":
        return func.json_agg(func.json_build_array(*columns))
    return func.json_group_array(func.json_array(*columns))


def _lookup_statement(dialect):
    if dialect not in _LOOKUP:
        latest = select(Campaign.id).order_by(Campaign.year.desc()).limit(1).correlate(None).scalar_subquery()
        questions = (select(_json_rows(dialect, SurveyQuestion.id, SurveyQuestion.sort_order, SurveyQuestion.text))
                     .where(SurveyQuestion.questionnaire_id == CodeBatch.questionnaire_id).scalar_subquery())
        opts = (select(_json_rows(dialect, SurveyOption.id, SurveyOption.sort_order, SurveyOption.label))
                .where(SurveyOption.campaign_id == CodeBatch.campaign_id).scalar_subquery())
        salt = (select(RoundSalt.salt).where(RoundSalt.campaign_id == CodeBatch.campaign_id,
                                             RoundSalt.round == CodeBatch.round).scalar_subquery())
        _LOOKUP[dialect] = (
            select(SurveyCode.id, SurveyCode.code, SurveyCode.used_on, CodeBatch.campaign_id, CodeBatch.unit_id,
                   CodeBatch.questionnaire_id, CodeBatch.respondent_type_id, CodeBatch.round,
                   and_(Campaign.id == latest, Campaign.status == "open"), Unit.name, Questionnaire.intro, salt,
                   questions, opts)
            .join(CodeBatch, SurveyCode.batch_id == CodeBatch.id).join(Campaign, CodeBatch.campaign_id == Campaign.id)
            .join(Unit, CodeBatch.unit_id == Unit.id).join(Questionnaire, CodeBatch.questionnaire_id == Questionnaire.id)
            .where(SurveyCode.code == bindparam("code")))
    return _LOOKUP[dialect]


def _in_order(rows, kind):
    """JSON [[id, sort_order, text], …] (a string from SQLite, a list from PostgreSQL) as kind(id, text) by
    sort order, then id."""
    if isinstance(rows, str):
        rows = json.loads(rows)
    return tuple(kind(row[0], row[2]) for row in sorted(rows or (), key=lambda r: (r[1] or 0, r[0])))


def typed_code(code):
    """A code as it is stored, from what was typed or scanned: spaces around it and letter case do not matter."""
    return (code or "").strip().upper()


def public_code(code):
    """The PublicCode for a code as typed (typed_code), or None: one statement."""
    connection = db.session.connection()
    row = connection.execute(_lookup_statement(connection.dialect.name), {"code": typed_code(code)}).first()
    return None if row is None else _public_code_of(row)


def _public_code_of(row):
    *plain, questions, opts = row
    used_on = date.fromisoformat(plain[2]) if isinstance(plain[2], str) else plain[2]  # a plain SQLite row: text
    return PublicCode(plain[0], plain[1], used_on, *plain[3:8], bool(plain[8]), *plain[9:],
                      _in_order(questions, Question), _in_order(opts, Choice))


_PLAIN_LOOKUP = {}


def public_code_plain(code):
    """public_code on a pooled driver connection, past SQLAlchemy's execution layer: for the public
    questionnaire's fast path, where the statement costs SQLite about 25 µs and a Connection's execution about
    ten times that. The same statement compiled once for the engine's dialect (SQLite's qmark or psycopg's
    pyformat parameters), the same PublicCode."""
    engine = db.engine
    key = (engine.dialect.name, engine.dialect.driver)
    if key not in _PLAIN_LOOKUP:
        compiled = _lookup_statement(engine.dialect.name).compile(dialect=engine.dialect)
        _PLAIN_LOOKUP[key] = (compiled.string, compiled.positiontup, compiled.construct_params({"code": ""}))
    sql, names, defaults = _PLAIN_LOOKUP[key]
    params = dict(defaults, code=typed_code(code))
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(sql, [params[name] for name in names] if names else params)
            row = cursor.fetchone()
        finally:
            cursor.close()
    finally:
        connection.close()  # back to the pool, rolled back
    return None if row is None else _public_code_of(row)


SPENT = "此答题码已经使用过，每个答题码只能提交一次。感谢您的参与！"


class CodeSpent(DomainError):
    def __init__(self):
        super().__init__(SPENT)


def public_errors(found, answers):
    """{question_id: message} for the questions of `found` (a PublicCode) not answered with one of its options."""
    valid = {o.id for o in found.options}
    return {q.id: "请选择一项" if answers.get(q.id) is None else "选项无效"
            for q in found.questions if answers.get(q.id) not in valid}


class _Answer:
    """One validated answer waiting to be written; `outcome`: None until written, then "saved", "spent" or the
    error that stopped its transaction; `query`: its comment's query code."""

    def __init__(self, found, chosen, comment, mark, audit):
        self.found, self.chosen, self.comment, self.mark, self.audit = found, chosen, comment, mark, audit
        self.outcome, self.query = None, None


_QUEUES_LOCK = threading.Lock()
_SPEND = (update(SurveyCode.__table__).where(SurveyCode.id.in_(bindparam("ids", expanding=True)),
                                             SurveyCode.used_on.is_(None))
          .values(used_on=bindparam("day")).returning(SurveyCode.id))
_ADD_BALLOTS = insert(Ballot.__table__).returning(Ballot.id, sort_by_parameter_order=True)
_ADD = {model: insert(model.__table__) for model in (BallotAnswer, ArrivalMark, AuditEntry)}


def _queue():
    """This app's answers waiting to be written, the lock on that list and the writer's turn (one per app: a
    process serving two databases, as tests do, never writes one's answers into the other)."""
    with _QUEUES_LOCK:
        return current_app.extensions.setdefault("pingyi_answers", ([], threading.Lock(), threading.Lock()))


def _written(answer):
    """Write `answer` with every other answer this process has waiting, in one transaction (group commit): the
    thread that gets the writer's turn writes all that queued meanwhile, so a crowd's answers take a few
    transactions instead of one each, and SQLite's single write lock is taken that few times. When a shared
    transaction fails, each of its answers is tried alone, so one answer's error never costs another's."""
    waiting_list, waiting_lock, writer = _queue()
    with waiting_lock:
        waiting_list.append(answer)
    with writer:
        if answer.outcome is None:
            with _database_turn():
                with waiting_lock:
                    batch = waiting_list[:]
                    waiting_list.clear()
                _write_all(batch)
    if isinstance(answer.outcome, BaseException):
        raise RuntimeError("网上问卷答卷未能保存") from answer.outcome
    if answer.outcome == "spent":
        raise CodeSpent()


@contextmanager
def _database_turn():
    """The turn to write among the server's processes (one per core): on an SQLite file, an exclusive
    lock on a file beside it, so the writer of another process waits in the kernel and is woken the moment this
    one has committed, instead of in SQLite's busy handler, which sleeps up to 100 ms between tries while a crowd
    keeps the database's write lock busy. Elsewhere (PostgreSQL locks rows; Windows runs one process) nothing."""
    path = _turn_path()
    if path is None:
        yield
        return
    with open(path, "a+b") as handle:  # closing it lets the lock go
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _turn_path():
    """The lock file beside the app's SQLite file, or None (another database, or no file)."""
    url = db.engine.url
    if fcntl is None or url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:") \
            or url.database.startswith("file:"):
        return None
    return os.path.abspath(url.database) + ".write-turn"


def _write_all(batch):
    """Write `batch` in one transaction; if that fails, each answer alone (its outcome then its own error)."""
    try:
        _write(batch)
        return
    except Exception as error:
        db.session.rollback()
        if len(batch) == 1:
            batch[0].outcome = error
            return
    for single in batch:
        single.outcome = None  # what the failed transaction decided was rolled back with it
        try:
            _write([single])
        except Exception as error:
            db.session.rollback()
            single.outcome = error


def _write(batch):
    """Spend the codes of `batch` and save the answers of those spent now, in one transaction of a few
    statements however many answers: an answer whose code was spent already (or by an earlier answer of the
    batch) is "spent"."""
    day = today()
    connection = db.session.connection()
    spent = set(connection.execute(_SPEND, {"ids": [a.found.id for a in batch], "day": day}).scalars())
    saved = []
    for answer in batch:
        answer.outcome = "saved" if answer.found.id in spent else "spent"
        spent.discard(answer.found.id)
        if answer.outcome == "saved":
            saved.append(answer)
    if not saved:
        db.session.rollback()
        return
    count_change(db.session)  # once for the whole batch: every write below goes to the connection directly
    ballots = [SimpleNamespace(campaign_id=a.found.campaign_id, unit_id=a.found.unit_id,
                               questionnaire_id=a.found.questionnaire_id,
                               respondent_type_id=a.found.respondent_type_id, round=a.found.round) for a in saved]
    ids = connection.execute(_ADD_BALLOTS, [dict(vars(b), channel="online", created_at=day_start(day))
                                            for b in ballots]).scalars().all()  # the day only: not matched to a code by time
    for ballot, ballot_id in zip(ballots, ids):
        ballot.id = ballot_id
    pairs = list(zip(saved, ballots))
    connection.execute(_ADD[BallotAnswer], [{"ballot_id": b.id, "question_id": q, "option_id": o}
                                            for a, b in pairs for q, o in a.chosen.items()])
    connection.execute(counts.UPSERT, [row for a, b in pairs for row in counts.count_rows(b, a.chosen, 1)])
    connection.execute(_ADD[ArrivalMark], [dict(a.mark, ballot_id=b.id) for a, b in pairs])
    connection.execute(_ADD[AuditEntry], [a.audit for a in saved])
    for answer, ballot in pairs:
        if answer.comment:
            opinion = Opinion(campaign_id=ballot.campaign_id, unit_id=ballot.unit_id, inspection_id=None,
                              source="survey", text=answer.comment, status="submitted")
            db.session.add(opinion)
            answer.query = follow_ups.open_for_comment(ballot, opinion,
                                                       follow_ups.is_dissatisfied(answer.chosen, answer.found.options))
    db.session.commit()


def _holds_changes(session):
    """Whether `session` has changes to commit: pending in it, or written in a transaction the database has open
    (SQLite tells; on another database, assume so). A respondent's session has only read, and committing that
    would cost a second connection for the write."""
    if session.new or session.dirty or session.deleted:
        return True
    if not session.in_transaction():  # it has not even read (the public questionnaire's fast path)
        return False
    return getattr(session.connection().connection.driver_connection, "in_transaction", True)


def answer_with_code(code, answers, comment, address=None, receipt=None):
    """Record an online answer and spend the code in one transaction. `code`: a PublicCode (or a SurveyCode).
    The code is spent by a conditional UPDATE, so of simultaneous submissions exactly one succeeds; the others
    get CodeSpent. Returns {question_id: message} (nothing saved) or {} once saved. Stores no respondent
    identity: the anomaly checks keep a coarse arrival and a salted hash of `address` until the round closes,
    and a comment's query code (put in `receipt["query"]`) is drawn apart from the one-time code.

    Everything is worked out before the write, which is a few plain statements shared with the answers
    submitted at the same moment (_written)."""
    found = code if isinstance(code, PublicCode) else public_code(code.code)
    if found.used_on is not None:
        raise CodeSpent()
    errors = public_errors(found, answers)
    if errors:
        return errors
    comment = (comment or "").strip()[:1000].rstrip()
    # Audited without the ballot's id, the time of day or the respondent's address: the entry must not link
    # the ballot to the moment (and so to the code) it was answered.
    actor = current_user if has_request_context() and current_user.is_authenticated else None
    audit = {"at": day_start(today()), "user_id": actor.id if actor else None,
             "username": actor.username if actor else "system", "action": "create", "object_type": "ballot",
             "object_id": None, "unit_id": found.unit_id, "before": "", "after": "", "remote_addr": "", "user_agent": "",
             "summary": f"网上问卷答卷 1 份{'（附意见建议）' if comment else ''}"}
    answer = _Answer(found, {q.id: answers[q.id] for q in found.questions}, comment,
                     anomalies.arrival(found.campaign_id, found.round, address, found.salt), audit)
    # Nothing of this session may hold SQLite's write lock while it waits for the writer's turn (the round's
    # first answer draws its salt; a caller may have changes of its own): the answer commits them anyway.
    if _holds_changes(db.session()):
        db.session.commit()
    _written(answer)
    if receipt is not None and answer.query:
        receipt["query"] = answer.query
    return {}


def progress(campaign):
    """Per unit and round: questionnaires returned on paper tallies (first entry), ballots entered one by
    one or online, and its batches of codes (used/issued). {unit_id: {...}}; three grouped queries."""
    out = defaultdict(lambda: {"june": 0, "november": 0, "ballots": 0, "codes": 0, "used": 0, "batches": []})
    for unit_id, round_, n in db.session.execute(
            select(TallySheet.unit_id, TallySheet.round, func.coalesce(func.sum(TallySheet.ballots), 0))
            .where(TallySheet.campaign_id == campaign.id, TallySheet.entry == 1)
            .group_by(TallySheet.unit_id, TallySheet.round)):
        out[unit_id][round_] += n
    for unit_id, round_, n in db.session.execute(
            select(Ballot.unit_id, Ballot.round, func.count()).where(Ballot.campaign_id == campaign.id)
            .group_by(Ballot.unit_id, Ballot.round)):
        out[unit_id][round_] += n
        out[unit_id]["ballots"] += n
    for batch_id, unit_id, issued, used in db.session.execute(
            select(CodeBatch.id, CodeBatch.unit_id, func.count(SurveyCode.id), func.count(SurveyCode.used_on))
            .join(SurveyCode).where(CodeBatch.campaign_id == campaign.id).group_by(CodeBatch.id, CodeBatch.unit_id)
            .order_by(CodeBatch.id)):
        out[unit_id]["codes"] += issued
        out[unit_id]["used"] += used
        out[unit_id]["batches"].append((batch_id, used, issued))
    return out
