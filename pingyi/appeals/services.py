"""Appeals (申诉): a unit contests a confirmed finding or a 不满意 follow-up within APPEAL_WORKING_DAYS
working days, with evidence; the office decides 维持 / 撤销 / 调整 with a reason. An accepted appeal changes
what the score is computed from (finding_overrides, and the excluded ballot), never the score directly."""
from collections import defaultdict

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from pingyi.appeals.models import APPEAL_STATUS_LABELS, Appeal, AppealFile
from pingyi.audit.services import record, snapshot
from pingyi.errors import DomainError, check_version
from pingyi.extensions import db
from pingyi.files.services import store_file
from pingyi.findings.models import SEVERITY_LABELS, SEVERITY_ORDER, Finding
from pingyi.surveys import anomalies
from pingyi.surveys.integrity_models import FollowUp
from pingyi.surveys.models import Ballot
from pingyi.tasks.services import add_working_days
from pingyi.timeutil import local, today, utcnow

TEXT_MAX = 2000
MAX_FILES = 5


def deadline_for(finding=None, follow_up=None):
    """The last day to appeal: APPEAL_WORKING_DAYS working days after the finding was confirmed or the
    不满意 comment was forwarded."""
    days = current_app.config["APPEAL_WORKING_DAYS"]
    if finding is not None:
        start = local(finding.reviewed_at).date() if finding.reviewed_at else today()
    else:
        start = follow_up.received_on
    return add_working_days(start, days)


def appeals(campaign, unit_id=None, status=None):
    query = select(Appeal).where(Appeal.campaign_id == campaign.id).options(
        selectinload(Appeal.unit), selectinload(Appeal.finding), selectinload(Appeal.follow_up).selectinload(FollowUp.opinion),
        selectinload(Appeal.files))
    if unit_id is not None:
        query = query.where(Appeal.unit_id == unit_id)
    if status:
        query = query.where(Appeal.status == status)
    return db.session.scalars(query.order_by(Appeal.status != "pending", Appeal.id.desc())).all()


def appealable(campaign, unit_id, on=None):
    """What the unit may still appeal: [{"finding" or "follow_up", "deadline", "open"}] — its confirmed
    findings and 不满意 follow-ups without an appeal, each with the last day to appeal."""
    on = on or today()
    taken_findings = select(Appeal.finding_id).where(Appeal.finding_id.is_not(None))
    taken_follow = select(Appeal.follow_up_id).where(Appeal.follow_up_id.is_not(None))
    out = []
    for finding in db.session.scalars(select(Finding).where(
            Finding.campaign_id == campaign.id, Finding.unit_id == unit_id, Finding.status == "confirmed",
            Finding.id.not_in(taken_findings)).order_by(Finding.id)):
        deadline = deadline_for(finding=finding)
        out.append({"finding": finding, "follow_up": None, "deadline": deadline, "open": on <= deadline})
    for item in db.session.scalars(select(FollowUp).where(
            FollowUp.campaign_id == campaign.id, FollowUp.unit_id == unit_id, FollowUp.dissatisfied,
            FollowUp.id.not_in(taken_follow)).options(selectinload(FollowUp.opinion)).order_by(FollowUp.id)):
        deadline = deadline_for(follow_up=item)
        out.append({"finding": None, "follow_up": item, "deadline": deadline, "open": on <= deadline})
    return out


def file_appeal(campaign, unit_id, user, grounds, finding_id=None, follow_up_id=None, uploads=()):
    """A unit's appeal with its grounds and evidence files [(name, bytes)]; the subject must be the unit's own,
    not yet appealed, and within the window."""
    grounds = (grounds or "").strip()[:TEXT_MAX].rstrip()
    finding = db.session.get(Finding, finding_id) if finding_id else None
    item = db.session.get(FollowUp, follow_up_id) if follow_up_id and not finding_id else None
    subject = finding or item
    if subject is None or subject.unit_id != unit_id or subject.campaign_id != campaign.id:
        raise DomainError("请选择本单位可以申诉的问题或不满意意见")
    if finding is not None and finding.status != "confirmed":
        raise DomainError("只能对已确认的问题申诉")
    if item is not None and not item.dissatisfied:
        raise DomainError("只能对不满意评价申诉")
    taken = select(Appeal.id).where(Appeal.finding_id == finding.id if finding else Appeal.follow_up_id == item.id)
    if db.session.scalar(taken) is not None:
        raise DomainError("该事项已经申诉过，不能重复申诉")
    deadline = deadline_for(finding=finding, follow_up=item)
    if today() > deadline:
        raise DomainError(f"申诉期限已过（应于 {deadline.month}月{deadline.day}日前提出）")
    if not grounds:
        raise DomainError("请写明申诉理由")
    uploads = [(name, data) for name, data in uploads if name and data]
    if len(uploads) > MAX_FILES:
        raise DomainError(f"每次申诉最多上传 {MAX_FILES} 个证明材料")
    appeal = Appeal(campaign_id=campaign.id, unit_id=unit_id, finding_id=finding.id if finding else None,
                    follow_up_id=item.id if item else None, grounds=grounds, filed_by_id=user.id, filed_at=utcnow())
    db.session.add(appeal)
    db.session.flush()
    for name, data in uploads:
        stored = store_file(name, data, unit_id, user)  # raises DomainError with the reason a file is refused
        db.session.flush()
        db.session.add(AppealFile(appeal_id=appeal.id, file_id=stored.id))
    record("create", appeal, unit_id=unit_id, actor=user,
           summary=f"{subject.unit.name}提出申诉（{'检查发现的问题' if finding else '群众不满意评价'}，"
                   f"证明材料 {len(uploads)} 份）")
    db.session.commit()
    return appeal


def decide(appeal, decision, reason, new_severity, version, user):
    """The office's decision. 撤销: the finding no longer deducts, or the 不满意 ballot stops counting;
    调整 (findings only): the finding deducts as `new_severity`; 维持: nothing changes."""
    check_version(appeal, version)
    if appeal.status != "pending":
        raise DomainError("该申诉已经裁决")
    if decision not in ("maintained", "withdrawn", "adjusted"):
        raise DomainError("请选择维持、撤销或调整")
    reason = (reason or "").strip()[:TEXT_MAX].rstrip()
    if not reason:
        raise DomainError("请写明裁决理由，申诉单位可以看到")
    if decision == "adjusted":
        if appeal.finding is None:
            raise DomainError("不满意评价只能维持或撤销")
        if new_severity not in SEVERITY_LABELS or new_severity == appeal.finding.severity:
            raise DomainError("请选择调整后的问题程度（须与原程度不同）")
    before = snapshot(appeal)
    appeal.status, appeal.decision_reason = decision, reason
    appeal.new_severity = new_severity if decision == "adjusted" else None
    appeal.decided_by_id, appeal.decided_at = user.id, utcnow()
    if decision == "withdrawn" and appeal.follow_up is not None:
        anomalies.exclude_ballots([db.session.get(Ballot, appeal.follow_up.ballot_id)], "appeal")
        appeal = db.session.get(Appeal, appeal.id)
    record("update", appeal, before, unit_id=appeal.unit_id, actor=user,
           summary=f"裁决{appeal.unit.name}的申诉：{APPEAL_STATUS_LABELS[decision]}"
                   f"{'为' + SEVERITY_LABELS[new_severity] + '问题' if decision == 'adjusted' else ''}")
    db.session.commit()


def finding_overrides(campaign):
    """Findings whose appeal was accepted: {finding_id: None (撤销, no longer deducts) or the new severity}."""
    return {finding_id: (severity if status == "adjusted" else None) for finding_id, status, severity in db.session.execute(
        select(Appeal.finding_id, Appeal.status, Appeal.new_severity).where(
            Appeal.campaign_id == campaign.id, Appeal.finding_id.is_not(None),
            Appeal.status.in_(("withdrawn", "adjusted"))))}


def effect(appeal):
    """What a decided appeal changed in the score's inputs, in words."""
    if appeal.status == "maintained":
        return "维持原评定，计分不变"
    if appeal.status == "pending":
        return "待裁决，暂按原评定计分"
    if appeal.follow_up is not None:
        return "该份不满意答卷不再计入满意度"
    if appeal.status == "withdrawn":
        return f"该问题撤销，不再扣分（原为{SEVERITY_LABELS[appeal.finding.severity]}问题）"
    return (f"问题程度由{SEVERITY_LABELS[appeal.finding.severity]}调整为{SEVERITY_LABELS[appeal.new_severity]}，"
            f"按调整后的程度{'减轻' if SEVERITY_ORDER[appeal.new_severity] < SEVERITY_ORDER[appeal.finding.severity] else '加重'}扣分")


def score_notes(campaign):
    """What the explanation page shows beside a unit's score: {unit_id: {"excluded": [{"why", "n"}],
    "appeals": [{"subject", "decision", "reason", "effect"}]}} — ballots excluded by anomaly decisions and by
    upheld appeals, and every decided appeal."""
    notes = defaultdict(lambda: {"excluded": [], "appeals": []})
    for unit_id, rows in anomalies.excluded_by_unit(campaign).items():
        notes[unit_id]["excluded"] += rows
    for appeal in appeals(campaign):
        if appeal.status == "pending":
            continue
        if appeal.follow_up is not None and appeal.status == "withdrawn":
            notes[appeal.unit_id]["excluded"].append({"why": f"申诉撤销不满意评价：{appeal.decision_reason}", "n": 1})
        notes[appeal.unit_id]["appeals"].append({"subject": appeal.subject, "decision": appeal.status_label,
                                                 "reason": appeal.decision_reason, "effect": effect(appeal)})
    return dict(notes)


def excluded_count(note):
    return sum(row["n"] for row in note["excluded"])


def unit_integrity(campaign, unit, user):
    """The unit page's 申诉与群众意见 box: its appeals and its online comments, for the office, leaders and the
    unit itself (None for others)."""
    if user.role not in ("office", "leader") and not (user.role == "unit" and user.unit_id == unit.id):
        return None
    from pingyi.surveys.follow_ups import follow_ups, overdue
    items = follow_ups(campaign, unit.id)
    return {"appeals": appeals(campaign, unit.id), "comments": items, "open_items": [i for i in items if i.status != "closed"],
            "overdue": [i for i in items if overdue(i)]}
