"""Starting a year and closing the one before: the work that touches every area, kept above them all.

A new year copies the previous one's settings, units, groups, supervisors' units, checklist, task plan,
categories, questionnaires and scoring rules, and carries unfinished rectifications over; the previous
year is then closed.
"""
from flask import g, has_request_context
from sqlalchemy import select

from pingyi.audit.services import record, snapshot
from pingyi.campaigns import categories
from pingyi.campaigns.models import EvaluationGroup, GroupMember, Participation, SupervisorAssignment
from pingyi.campaigns.services import create_campaign, default_settings
from pingyi.checklists import services as checklist_services
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.rectifications import services as rectification_services
from pingyi.results import services as results
from pingyi.surveys import services as surveys
from pingyi.tasks import services as task_services
from pingyi.timeutil import same_day_in
from pingyi.units.models import Unit


def start_campaign(year, source=None, checklist="previous"):
    """Start the campaign of `year`, copying the source campaign's settings, units, groups and checklist.

    Without a source (the first campaign of a deployment) it takes the plan's defaults, the
    checklist template and every active unit.
    """
    if source is None:
        campaign = create_campaign(**default_settings(year, "", "县纠正行业不正之风办公室", "纠风办"))
        checklist_services.load_default_template()  # a fresh deployment has no template yet: the plan's six
        checklist_services.copy_checklist(None, campaign)
        task_services.create_plan_tasks(campaign)
        set_up_scoring(campaign)
        for unit in db.session.scalars(select(Unit).where(Unit.active)):
            db.session.add(Participation(campaign=campaign, unit=unit, is_key=False))
        db.session.commit()
        return campaign
    if year <= source.year:
        raise DomainError(f"新年度应晚于 {source.year} 年")
    settings = default_settings(year, source.county_name, source.office_full_name, source.doc_prefix)
    settings.update(office_name=source.office_name, contact_name=source.contact_name,
                    contact_phone=source.contact_phone)
    campaign = create_campaign(**settings)
    for old_phase, phase in zip(source.phases, campaign.phases):
        phase.name = old_phase.name
        phase.start_date = same_day_in(old_phase.start_date, year)
        phase.end_date = same_day_in(old_phase.end_date, year)
    for key in ("report_deadline", "round1_start", "round1_end", "round2_start", "round2_end"):
        setattr(campaign, key, same_day_in(getattr(source, key), year))
    group_map = {}
    for old in source.groups:
        group = EvaluationGroup(campaign=campaign, name=old.name, scope=old.scope,
                                description=old.description, sort_order=old.sort_order)
        db.session.add(group)
        for m in list(old.members):
            group.members.append(GroupMember(name=m.name, title=m.title, member_role=m.member_role,
                                             user_id=m.user_id, sort_order=m.sort_order))
        group_map[old.id] = group
    previous = {p.unit_id: p for p in source.participations}
    for unit in db.session.scalars(select(Unit).where(Unit.active)):
        old = previous.get(unit.id)
        db.session.add(Participation(campaign=campaign, unit=unit, is_key=bool(old and old.is_key),
                                     group=group_map.get(old.group_id) if old else None))
    if checklist != "previous":
        checklist_services.load_default_template()
    checklist_services.copy_checklist(source.id if checklist == "previous" else None, campaign)
    task_services.create_plan_tasks(campaign, source)
    set_up_scoring(campaign, source)
    for old in db.session.scalars(select(SupervisorAssignment).where(SupervisorAssignment.campaign_id == source.id)):
        if old.unit.active and old.user.active:
            db.session.add(SupervisorAssignment(campaign_id=campaign.id, user_id=old.user_id, unit_id=old.unit_id))
    rectification_services.carry_over(source, campaign)
    close(source, year)
    db.session.flush()
    what = "检查清单" if checklist == "previous" else "（检查清单取自模板）"
    record("create", campaign, summary=f"新建 {campaign.title}（复制 {source.year} 年度的单位、评议组、义务监督员分工和{what}）")
    db.session.commit()
    return campaign


def close(campaign, next_year):
    """Close a year once the next one has started (the caller commits)."""
    before = snapshot(campaign)
    campaign.status = "closed"
    record("update", campaign, before, summary=f"{campaign.year}年度评议结束（已开始 {next_year} 年度）")
    if has_request_context():
        g.pop("current_campaign", None)


def set_up_scoring(campaign, source=None):
    """The campaign's questionnaires and scoring rules, copied from the source campaign or the defaults."""
    categories.set_up(campaign, source)
    surveys.set_up(campaign, source)
    results.set_up(campaign, source)


def set_up_scoring_defaults(campaign, user):
    """The office's button for a campaign that has neither questionnaires nor scoring rules yet."""
    if surveys.is_set_up(campaign) and results.config_for(campaign) is not None:
        raise DomainError("本年度的测评问卷和综合评定办法已经建立")
    set_up_scoring(campaign)
    record("update", campaign, summary="按默认设置建立本年度测评问卷和综合评定办法", actor=user)
    db.session.commit()
