"""Who may do what: the one place that decides object-level access."""
from flask import abort
from flask_login import current_user
from sqlalchemy import select

from pingyi.auth.roles import EVALUATOR, LEADER, OFFICE, SUPERVISOR, UNIT
from pingyi.campaigns.models import EvaluationGroup, GroupMember, Participation, SupervisorAssignment
from pingyi.extensions import db

MANAGE = (OFFICE,)
# The audit entries a unit may read about itself: inspections, findings under review, who inspects it
# unannounced and the office's internal steps stay with the office.
UNIT_TIMELINE = ("unit", "participation", "submission", "assessment", "feedback_notice", "rectification",
                 "rectification_update",
                 "extension", "commitment_letter", "reminder")
VIEW_ALL_UNITS = (OFFICE, EVALUATOR, SUPERVISOR, LEADER)


def can_view_unit(user, unit_id):
    """Staff roles see every unit; a unit liaison sees only its own."""
    if not user.is_authenticated:
        return False
    if user.role == UNIT:
        return user.unit_id == unit_id
    return user.role in VIEW_ALL_UNITS


def can_manage(user):
    """Only the 纠风办 changes campaign settings, units, groups, users and the checklist."""
    return user.is_authenticated and user.role in MANAGE


def require_unit(unit_id):
    """Abort with 404 unless the signed-in user may see this unit (404 hides whether it exists)."""
    if not can_view_unit(current_user, unit_id):
        abort(404)


def inspected_unit_ids(user, campaign):
    """Units an evaluator (through its groups) or a supervisor (through assignments) inspects this campaign."""
    if campaign is None:
        return set()
    if user.role == EVALUATOR:
        groups = select(GroupMember.group_id).join(EvaluationGroup).where(
            GroupMember.user_id == user.id, EvaluationGroup.campaign_id == campaign.id)
        return set(db.session.scalars(select(Participation.unit_id).where(
            Participation.campaign_id == campaign.id, Participation.group_id.in_(groups))))
    if user.role == SUPERVISOR:
        return set(db.session.scalars(select(SupervisorAssignment.unit_id).where(
            SupervisorAssignment.campaign_id == campaign.id, SupervisorAssignment.user_id == user.id)))
    return set()


def can_inspect(user, unit_id, campaign):
    """Rate checklist items and record findings: the office, the unit's group, its assigned supervisors."""
    if user.role == OFFICE:
        return True
    return user.role in (EVALUATOR, SUPERVISOR) and unit_id in inspected_unit_ids(user, campaign)


def can_download(user, stored, campaign):
    """A stored file, to those who may see what it belongs to: a task submission to all who see the unit
    (the board is county-wide for staff); checklist, rectification and commitment evidence to those who
    see the unit's work; a finding's evidence to those who may see that finding (a unit: confirmed ones;
    drafts: their author)."""
    if not can_view_unit(user, stored.unit_id):
        return False
    finding = stored.finding
    if finding is None:
        return stored.submission_id is not None or can_see_unit_work(user, stored.unit_id, campaign)
    if finding.status == "draft":
        return finding.inspection.created_by_id == user.id
    if user.role == UNIT:
        return finding.status == "confirmed"
    if user.role in (EVALUATOR, SUPERVISOR):
        return finding.inspection.created_by_id == user.id or can_inspect(user, finding.unit_id, campaign)
    return True


def can_see_unit_work(user, unit_id, campaign):
    """Findings, feedback, rectifications and the unit's timeline: the office and leaders for every unit,
    a liaison for its own, evaluators and supervisors for the units they inspect."""
    if user.role in (OFFICE, LEADER):
        return True
    if user.role == UNIT:
        return user.unit_id == unit_id
    return can_inspect(user, unit_id, campaign)


def require_unit_work(unit_id, campaign):
    """Abort with 404 unless the signed-in user may see this unit's work (see can_see_unit_work)."""
    if not can_see_unit_work(current_user, unit_id, campaign):
        abort(404)


def can_self_check(user, unit_id):
    """The unit's own liaison (and the office on its behalf) fills in the self-check."""
    return user.role == OFFICE or (user.role == UNIT and user.unit_id == unit_id)
