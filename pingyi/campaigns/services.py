"""Campaign settings, phases, participation (key flag and group), groups and their members."""
from datetime import date

from flask import abort, g, has_request_context, session
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased

from pingyi.audit.services import record, snapshot
from pingyi.cache.services import read_data_version, with_data_version
from pingyi.campaigns.models import (
    GROUP_SCOPE_LABELS,
    MEMBER_ROLE_LABELS,
    PHASE_DEFAULTS,
    Campaign,
    EvaluationGroup,
    GroupMember,
    Participation,
    Phase,
    SupervisorAssignment,
)
from pingyi.errors import DomainError, check_version
from pingyi.extensions import db
from pingyi.timeutil import today


# Built once, as every page runs them; each reads the data version in the same statement (pingyi.cache).
_LATEST = with_data_version(select(Campaign).order_by(Campaign.year.desc()).limit(1))
_OF_YEAR = with_data_version(select(Campaign).where(Campaign.year == bindparam("year")))


def with_current_campaign(statement):
    """`statement` reading the current campaign and the data version too, as its last three columns: the
    signed-in user's session statement (pingyi's user loader), so a signed-in page reads all three in one.
    Run it with current_campaign_params(); hand the three values to take_current_campaign()."""
    chosen, latest = aliased(Campaign), aliased(Campaign)
    current_id = func.coalesce(  # the year chosen on /years when it exists, else the latest
        select(chosen.id).where(chosen.year == bindparam("viewed_year")).scalar_subquery(),
        select(latest.id).order_by(latest.year.desc()).limit(1).scalar_subquery())
    return with_data_version(statement.add_columns(Campaign).outerjoin(Campaign, Campaign.id == current_id))


def current_campaign_params():
    return {"viewed_year": session.get("viewed_year")}


def view_year(year):
    """Look at a past `year` (None: the latest) from now on, this request included."""
    if year is None:
        session.pop("viewed_year", None)
    else:
        session["viewed_year"] = year
    g.pop("current_campaign", None)


def take_current_campaign(campaign, token, counter):
    """This request's current campaign and data version, read by a with_current_campaign() statement."""
    read_data_version(token, counter)
    if campaign is not None and has_request_context() and "current_campaign" not in g:
        g.current_campaign = campaign


def current_campaign():
    """The campaign every page works on: the latest year, or the past year the user chose to look at (read-only,
    see pingyi/years); looked up once per request."""
    if has_request_context() and "current_campaign" in g:
        return g.current_campaign
    viewed = session.get("viewed_year") if has_request_context() else None  # a past year chosen on /years
    row = db.session.execute(_OF_YEAR, {"year": viewed}).first() if viewed else None
    row = row or db.session.execute(_LATEST).first()
    if row is None:
        return None
    campaign, token, counter = row
    read_data_version(token, counter)
    if has_request_context():
        g.current_campaign = campaign
    return campaign


def campaign_or_404():
    """The current campaign for a view that cannot work without one (a fresh deployment has none)."""
    campaign = current_campaign()
    if campaign is None:
        abort(404)
    return campaign


def list_campaigns():
    return db.session.scalars(select(Campaign).order_by(Campaign.year.desc())).all()


def current_phase(campaign, on=None):
    """The phase whose window holds `on` (today by default), or None between phases."""
    on = on or today()
    for phase in campaign.phases:
        if phase.start_date <= on <= phase.end_date:
            return phase
    return None


def phase_state(phase, on=None):
    """'done', 'current' or 'upcoming' for the board and the dashboards."""
    on = on or today()
    if on > phase.end_date:
        return "done"
    if on < phase.start_date:
        return "upcoming"
    return "current"


def _check_dates(start, end, label):
    if start and end and end < start:
        raise DomainError(f"{label}的结束日期不能早于开始日期")


def default_settings(year, county_name="", office_full_name="", doc_prefix=""):
    """Settings of a new campaign, with the plan's default windows for `year`."""
    return dict(
        year=year, title=f"{year}年度政风行风评议", county_name=county_name,
        office_name="县纠风办", office_full_name=office_full_name, doc_prefix=doc_prefix,
        report_deadline=date(year, 10, 20),
        round1_start=date(year, 6, 1), round1_end=date(year, 6, 30),
        round2_start=date(year, 11, 1), round2_end=date(year, 11, 30),
    )


def create_campaign(**settings):
    """A campaign with the four phases of the plan at their default windows."""
    year = settings["year"]
    if db.session.scalar(select(Campaign.id).where(Campaign.year == year)):
        raise DomainError(f"{year}年度的评议活动已存在")
    campaign = Campaign(**settings)
    for number, name, (m1, d1), (m2, d2) in PHASE_DEFAULTS:
        campaign.phases.append(Phase(number=number, name=name, start_date=date(year, m1, d1),
                                     end_date=date(year, m2, d2)))
    db.session.add(campaign)
    record("create", campaign, summary=f"新建评议活动 {campaign.title}")
    return campaign


SETTING_FIELDS = ("title", "county_name", "office_name", "office_full_name", "doc_prefix",
                  "report_deadline", "round1_start", "round1_end", "round2_start", "round2_end",
                  "contact_name", "contact_phone", "notice_number", "notice_date")


def update_settings(campaign, version, settings, phase_dates):
    """Save the campaign's settings and its phase windows (phase number -> (start, end))."""
    check_version(campaign, version)
    numerals = "一二三四五六七八九"
    dated = [settings[k] for k in ("report_deadline", "round1_start", "round1_end", "round2_start", "round2_end")]
    dated += [settings["notice_date"]] if settings.get("notice_date") else []
    dated += [d for pair in phase_dates.values() for d in pair]
    if any(d.year != campaign.year for d in dated):
        raise DomainError(f"各项日期应在 {campaign.year} 年内")
    _check_dates(settings["round1_start"], settings["round1_end"], "第一轮集中评议")
    _check_dates(settings["round2_start"], settings["round2_end"], "第二轮集中评议")
    for phase in campaign.phases:
        start, end = phase_dates[phase.number]
        _check_dates(start, end, f"第{numerals[phase.number - 1]}阶段“{phase.name}”")
    ordered = sorted(phase_dates.items())
    for (n1, (_, end1)), (n2, (start2, _)) in zip(ordered, ordered[1:]):
        if start2 <= end1:
            raise DomainError(f"第{numerals[n2 - 1]}阶段应在第{numerals[n1 - 1]}阶段结束之后开始")
    before = snapshot(campaign)
    for key in SETTING_FIELDS:
        setattr(campaign, key, settings[key])
    record("update", campaign, before, summary=f"修改评议活动设置 {campaign.title}")
    for phase in campaign.phases:
        before = snapshot(phase)
        phase.start_date, phase.end_date = phase_dates[phase.number]
        record("update", phase, before, summary=f"修改阶段日期 {phase.name}")
    db.session.commit()
    return campaign


def participation(campaign, unit):
    return db.session.scalar(select(Participation).where(
        Participation.campaign_id == campaign.id, Participation.unit_id == unit.id))


def ensure_participation(campaign, unit):
    """Every active unit takes part in the current campaign; create its row on first need."""
    part = participation(campaign, unit)
    if part is None:
        part = Participation(campaign=campaign, unit=unit, is_key=False)
        db.session.add(part)
        record("create", part, summary=f"{unit.name} 参加 {campaign.title}", unit_id=unit.id)
    return part


def set_participation(part, version, is_key, group_id):
    """Mark a unit as key this year and assign its evaluation group."""
    check_version(part, version)
    if group_id is not None:
        group = db.session.get(EvaluationGroup, group_id)
        if group is None or group.campaign_id != part.campaign_id:
            raise DomainError("请选择本年度的评议组")
    before = snapshot(part)
    part.is_key, part.group_id = is_key, group_id
    record("update", part, before, summary=f"{part.unit.name}：{'重点评议部门' if is_key else '非重点'}，"
           f"评议组 {part.group.name if part.group else '未分配'}", unit_id=part.unit_id)
    db.session.commit()
    return part


def save_group(campaign, group, version, name, scope, description):
    """Create (group None) or edit an evaluation group."""
    if scope not in GROUP_SCOPE_LABELS:
        raise DomainError("请选择评议组的评议范围")
    clash = db.session.scalar(select(EvaluationGroup.id).where(
        EvaluationGroup.campaign_id == campaign.id, EvaluationGroup.name == name))
    if clash and (group is None or clash != group.id):
        raise DomainError(f"评议组“{name}”已存在")
    if group is None:
        order = db.session.scalar(select(func.count(EvaluationGroup.id)).where(
            EvaluationGroup.campaign_id == campaign.id))
        group = EvaluationGroup(campaign=campaign, name=name, scope=scope, description=description,
                                sort_order=order + 1)
        db.session.add(group)
        record("create", group, summary=f"新建评议组 {name}")
    else:
        check_version(group, version)
        before = snapshot(group)
        group.name, group.scope, group.description = name, scope, description
        record("update", group, before, summary=f"修改评议组 {name}")
    db.session.commit()
    return group


def delete_group(group):
    """Delete a group that no unit is assigned to."""
    if group.participations:
        raise DomainError(f"评议组“{group.name}”仍负责 {len(group.participations)} 个单位，请先调整单位分组")
    before = snapshot(group)
    for member in list(group.members):
        db.session.delete(member)
    db.session.delete(group)
    record("delete", group, before, summary=f"删除评议组 {group.name}")
    db.session.commit()


def save_member(group, member, name, title, member_role, user_id):
    """Add (member None) or edit a member of a group."""
    if member_role not in MEMBER_ROLE_LABELS:
        raise DomainError("请选择组内职务")
    if member is None:
        member = GroupMember(group=group, sort_order=len(group.members) + 1)
        db.session.add(member)
        before = None
    else:
        before = snapshot(member)
    member.name, member.title, member.member_role, member.user_id = name, title, member_role, user_id
    record("update" if before else "create", member, before,
           summary=f"{group.name}：{'修改' if before else '添加'}{member.member_role_label} {name}")
    db.session.commit()
    return member


def delete_member(member):
    before = snapshot(member)
    db.session.delete(member)
    record("delete", member, before, summary=f"{member.group.name}：移除 {member.name}")
    db.session.commit()


def supervised_unit_ids(campaign, user):
    return set(db.session.scalars(select(SupervisorAssignment.unit_id).where(
        SupervisorAssignment.campaign_id == campaign.id, SupervisorAssignment.user_id == user.id)))
