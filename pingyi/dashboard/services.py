"""The figures each role's dashboard shows."""
from collections import Counter, defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

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
    """Counts by category, key units, group coverage, liaison gaps and overdue work for office and leaders, as
    plain values (units and tasks as dicts of id and name, so the page made of them can be kept), from a
    constant number of grouped queries."""
    rows = db.session.execute(
        select(Unit.id, Unit.name, Unit.category, Unit.sort_order, Participation.is_key, Participation.group_id)
        .join(Participation, Participation.unit_id == Unit.id)
        .where(Participation.campaign_id == campaign.id, Unit.active)
        .order_by(Unit.category, Unit.sort_order, Unit.id)).all()
    by_category = Counter(row.category for row in rows)
    liaisons = set(db.session.scalars(select(User.unit_id).where(User.role == UNIT, User.active,
                                                                 User.unit_id.is_not(None))))
    per_group = Counter(row.group_id for row in rows)
    groups = db.session.scalars(select(EvaluationGroup).where(EvaluationGroup.campaign_id == campaign.id)
                                .options(selectinload(EvaluationGroup.members))
                                .order_by(EvaluationGroup.sort_order, EvaluationGroup.id)).all()

    def named(row):
        return {"id": row.id, "name": row.name}
    return {
        "total": len(rows),
        "categories": [(key, label, by_category.get(key, 0)) for key, label in category_labels(campaign).items()],
        "key_units": [named(row) for row in rows if row.is_key],
        "groups": [{"group": {"id": group.id, "name": group.name, "scope_label": group.scope_label},
                    "units": per_group.get(group.id, 0),
                    "leader": next(({"name": m.name} for m in group.members if m.member_role == "leader"), None),
                    "members": len(group.members)} for group in groups],
        "ungrouped": [named(row) for row in rows if row.group_id is None],
        "without_liaison": [named(row) for row in rows if row.id not in liaisons],
        "overdue": _overdue_by_unit(campaign),
    }


def _overdue_by_unit(campaign):
    """Units with overdue tasks, most overdue first: [({id, name}, [{id, title, due_date}, ...])]."""
    by_unit, units = defaultdict(list), {}
    for task, unit in task_services.overdue_pairs(campaign):
        units[unit.id] = (unit.category, unit.sort_order, {"id": unit.id, "name": unit.name})
        by_unit[unit.id].append({"id": task.id, "title": task.title, "due_date": task.due_date})
    ordered = sorted(by_unit.items(), key=lambda item: (-len(item[1]), units[item[0]][0], units[item[0]][1]))
    return [(units[unit_id][2], tasks) for unit_id, tasks in ordered]


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
