"""The figures each role's dashboard shows."""
from collections import Counter, defaultdict

from sqlalchemy import func, select

from pingyi.auth.models import User
from pingyi.auth.roles import UNIT
from pingyi.campaigns.models import EvaluationGroup, GroupMember, Participation, SupervisorAssignment
from pingyi.campaigns.services import current_phase
from pingyi.checklists.models import Assessment
from pingyi.checklists.models import CheckItem
from pingyi.checklists.models import Dimension
from pingyi.extensions import db
from pingyi.tasks import services as task_services
from pingyi.campaigns.categories import labels as category_labels
from pingyi.units.models import Unit


def _active_participations(campaign):
    return db.session.execute(
        select(Participation, Unit).join(Unit).where(Participation.campaign_id == campaign.id, Unit.active)
        .order_by(Unit.category, Unit.sort_order, Unit.id)).all()


def county_overview(campaign):
    """Counts by category, key units, group coverage and liaison gaps for office and leaders."""
    rows = _active_participations(campaign)
    by_category = Counter(unit.category for _, unit in rows)
    liaisons = set(db.session.scalars(select(User.unit_id).where(User.role == UNIT, User.active,
                                                                 User.unit_id.is_not(None))))
    groups = []
    for group in campaign.groups:
        units = [unit for part, unit in rows if part.group_id == group.id]
        leader = next((m for m in group.members if m.member_role == "leader"), None)
        groups.append({"group": group, "units": len(units), "leader": leader,
                       "members": len(group.members)})
    return {
        "total": len(rows),
        "categories": [(key, label, by_category.get(key, 0)) for key, label in category_labels(campaign).items()],
        "key_units": [unit for part, unit in rows if part.is_key],
        "groups": groups,
        "ungrouped": [unit for part, unit in rows if part.group_id is None],
        "without_liaison": [unit for _, unit in rows if unit.id not in liaisons],
        "phase": current_phase(campaign),
        "overdue": _overdue_by_unit(campaign),
    }


def _overdue_by_unit(campaign):
    """Units with overdue tasks, most overdue first: [(unit, [task, ...])]."""
    by_unit = defaultdict(list)
    for task, unit in task_services.overdue_pairs(campaign):
        by_unit[unit].append(task)
    return sorted(by_unit.items(), key=lambda item: (-len(item[1]), item[0].category, item[0].sort_order))


def evaluator_overview(campaign, user):
    """The groups this evaluator belongs to and the units in their scope."""
    memberships = db.session.scalars(select(GroupMember).join(EvaluationGroup).where(
        GroupMember.user_id == user.id, EvaluationGroup.campaign_id == campaign.id)).all()
    group_ids = [m.group_id for m in memberships]
    units = db.session.execute(select(Unit, Participation).join(Participation).where(
        Participation.campaign_id == campaign.id, Participation.group_id.in_(group_ids), Unit.active)
        .order_by(Unit.category, Unit.sort_order)).all()
    return {"memberships": memberships, "units": units, "key_count": sum(1 for _, p in units if p.is_key),
            "phase": current_phase(campaign), **review_progress(campaign, [u.id for u, _ in units])}


def review_progress(campaign, unit_ids):
    """How many of the campaign's check items the evaluators have rated for each unit: {"rated": {id: n}, "items": N}."""
    items = select(CheckItem.id).join(Dimension).where(Dimension.campaign_id == campaign.id)
    rated = dict(db.session.execute(
        select(Assessment.unit_id, func.count(func.distinct(Assessment.item_id)))
        .where(Assessment.kind == "review", Assessment.unit_id.in_(unit_ids or [0]), Assessment.item_id.in_(items))
        .group_by(Assessment.unit_id)).all())
    return {"rated": rated, "items": db.session.scalar(select(func.count()).select_from(items.subquery()))}


def supervisor_overview(campaign, user):
    """The units this supervisor is assigned to."""
    units = db.session.execute(
        select(Unit, Participation).join(SupervisorAssignment, SupervisorAssignment.unit_id == Unit.id)
        .outerjoin(Participation, (Participation.unit_id == Unit.id) & (Participation.campaign_id == campaign.id))
        .where(SupervisorAssignment.campaign_id == campaign.id, SupervisorAssignment.user_id == user.id)
        .order_by(Unit.category, Unit.sort_order)).all()
    return {"units": units, "phase": current_phase(campaign)}


def unit_overview(campaign, unit):
    """The liaison's own unit: category, key flag, group with its members, current phase."""
    part = db.session.scalar(select(Participation).where(
        Participation.campaign_id == campaign.id, Participation.unit_id == unit.id))
    liaison_count = db.session.scalar(select(func.count(User.id)).where(User.unit_id == unit.id, User.active))
    rows = task_services.unit_tasks(campaign, unit)
    return {"unit": unit, "part": part, "group": part.group if part else None,
            "phase": current_phase(campaign), "liaisons": liaison_count,
            "overdue_tasks": [r for r in rows if r["overdue"]],
            "soon_tasks": [r for r in rows if r["state"] == "soon"],
            "returned_tasks": [r for r in rows if r["status"] == "returned"]}
