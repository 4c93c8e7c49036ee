"""The public's online comments as items to handle: each gets a query code its writer can follow
(/s/status/<code>); a comment sent with a 不满意 answer is verified by the office (回访核实) within
FOLLOW_UP_WORKING_DAYS working days; the unit gives a public reply and the item is 整改中 or 已办结.

The query code is drawn on its own (not from the one-time code) and only its SHA-256 is stored."""
import hashlib
import secrets

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from pingyi.audit.services import record, snapshot
from pingyi.errors import DomainError, check_version
from pingyi.extensions import db
from pingyi.surveys.integrity_models import OUTCOME_LABELS, FollowUp
from pingyi.tasks.services import add_working_days
from pingyi.timeutil import today, utcnow

QUERY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
QUERY_LENGTH = 12
TEXT_MAX = 1000
DISSATISFIED = "不满意"


def _digest(code):
    return hashlib.sha256(code.encode()).hexdigest()


def normal_query(code):
    """A query code as typed: spaces and dashes dropped, upper case."""
    return "".join(c for c in (code or "").upper() if c.isalnum())[:40]


def shown_query(code):
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def is_dissatisfied(answers, opts):
    """Whether any answer chose the option labelled 不满意."""
    worst = {o.id for o in opts if o.label == DISSATISFIED}
    return any(option_id in worst for option_id in answers.values())


def open_for_comment(ballot, opinion, dissatisfied):
    """Add the follow-up of a comment just submitted (caller's transaction); returns its query code."""
    code = "".join(secrets.choice(QUERY_ALPHABET) for _ in range(QUERY_LENGTH))
    received = today()
    due = add_working_days(received, current_app.config["FOLLOW_UP_WORKING_DAYS"]) if dissatisfied else None
    db.session.flush()
    db.session.add(FollowUp(campaign_id=ballot.campaign_id, unit_id=ballot.unit_id, ballot_id=ballot.id,
                            opinion_id=opinion.id, query_hash=_digest(code), dissatisfied=dissatisfied,
                            received_on=received, due_on=due))
    return code


def by_query(code):
    code = normal_query(code)
    if len(code) != QUERY_LENGTH:
        return None
    return db.session.scalar(select(FollowUp).where(FollowUp.query_hash == _digest(code))
                             .options(selectinload(FollowUp.unit)))


def follow_ups(campaign, unit_id=None):
    query = select(FollowUp).where(FollowUp.campaign_id == campaign.id).options(
        selectinload(FollowUp.opinion), selectinload(FollowUp.unit))
    if unit_id is not None:
        query = query.where(FollowUp.unit_id == unit_id)
    return db.session.scalars(query.order_by(FollowUp.status == "closed", FollowUp.due_on.is_(None),
                                             FollowUp.due_on, FollowUp.id)).all()


def overdue(item, on=None):
    return item.dissatisfied and not item.outcome and item.due_on is not None and item.due_on < (on or today())


def verify(item, outcome, note, version, user):
    """The office's 回访核实 of a comment: what it found (属实/部分属实/不属实/无法核实) and how."""
    check_version(item, version)
    if outcome not in OUTCOME_LABELS:
        raise DomainError("请选择核实结果")
    note = (note or "").strip()[:TEXT_MAX].rstrip()
    if not note:
        raise DomainError("请写明核实情况（如何核实、核实到什么）")
    before = snapshot(item)
    item.outcome, item.outcome_note, item.verified_by_id, item.verified_at = outcome, note, user.id, utcnow()
    if outcome in ("true", "partly") and item.status == "forwarded":
        item.status = "rectifying"
    record("update", item, before, unit_id=item.unit_id, actor=user,
           summary=f"回访核实{item.unit.name}的群众意见：{OUTCOME_LABELS[outcome]}")
    db.session.commit()


def reply(item, text, done, version, user):
    """The unit's public reply, which the comment's writer reads with the query code: 整改中, or 已办结."""
    check_version(item, version)
    text = (text or "").strip()[:TEXT_MAX].rstrip()
    if not text:
        raise DomainError("请填写答复内容，群众凭查询码可以看到")
    before = snapshot(item)
    item.public_reply, item.replied_at = text, utcnow()
    item.status = "closed" if done else "rectifying"
    record("update", item, before, unit_id=item.unit_id, actor=user,
           summary=f"{item.unit.name}答复群众意见（{item.status_label}）")
    db.session.commit()
