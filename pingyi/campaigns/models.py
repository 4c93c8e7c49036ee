"""A year's campaign (年度评议): phases, settings, participating units, evaluation groups."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pingyi.extensions import db
from pingyi.timeutil import utcnow

STATUS_LABELS = {"open": "进行中", "closed": "已结束"}
CATEGORY_LABELS = {  # the plan's three: the default categories of a new deployment (keys kept by old data)
    "department": "县政府部门",
    "institution": "县直企事业单位",
    "stationed": "驻县单位",
}
GROUP_SCOPE_LABELS = {
    "general": "县政府各部门、县直各企事业单位",
    "stationed": "驻县单位",
    "key": "重点评议部门",
}
MEMBER_ROLE_LABELS = {"leader": "组长", "deputy": "副组长", "member": "成员"}
PHASE_DEFAULTS = (
    (1, "安排部署", (4, 1), (4, 30)),
    (2, "自查自评、民主测评", (5, 1), (6, 30)),
    (3, "落实整改、健全制度", (7, 1), (8, 31)),
    (4, "总结报告、综合评定", (9, 1), (10, 31)),
)


class Campaign(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(200))
    county_name: Mapped[str] = mapped_column(String(50))
    office_name: Mapped[str] = mapped_column(String(50), default="县纠风办")
    office_full_name: Mapped[str] = mapped_column(String(100))
    doc_prefix: Mapped[str] = mapped_column(String(30))
    report_deadline: Mapped[date] = mapped_column(Date)
    round1_start: Mapped[date] = mapped_column(Date)
    round1_end: Mapped[date] = mapped_column(Date)
    round2_start: Mapped[date] = mapped_column(Date)
    round2_end: Mapped[date] = mapped_column(Date)
    notice_number: Mapped[Optional[int]] = mapped_column(Integer)
    notice_date: Mapped[Optional[date]] = mapped_column(Date)
    contact_name: Mapped[str] = mapped_column(String(50), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    phases = relationship("Phase", back_populates="campaign", order_by="Phase.number",
                          cascade="all, delete-orphan")
    participations = relationship("Participation", back_populates="campaign",
                                  cascade="all, delete-orphan")
    groups = relationship("EvaluationGroup", back_populates="campaign",
                          order_by="EvaluationGroup.sort_order", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]


class Phase(db.Model):
    __table_args__ = (UniqueConstraint("campaign_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(50))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)

    campaign = relationship("Campaign", back_populates="phases")


class EvaluationGroup(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text, default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)

    campaign = relationship("Campaign", back_populates="groups")
    members = relationship("GroupMember", back_populates="group", cascade="all, delete-orphan",
                           order_by="(GroupMember.sort_order, GroupMember.id)")
    participations = relationship("Participation", back_populates="group")

    __mapper_args__ = {"version_id_col": version}

    @property
    def scope_label(self):
        return GROUP_SCOPE_LABELS[self.scope]


class GroupMember(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("evaluation_group.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(100), default="")
    member_role: Mapped[str] = mapped_column(String(20), default="member")
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"), index=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    group = relationship("EvaluationGroup", back_populates="members")
    user = relationship("User")

    @property
    def member_role_label(self):
        return MEMBER_ROLE_LABELS[self.member_role]


class Participation(db.Model):
    """One unit in one campaign: whether it is a key unit this year and which group evaluates it."""

    __table_args__ = (UniqueConstraint("campaign_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    is_key: Mapped[bool] = mapped_column(Boolean, default=False)
    group_id: Mapped[Optional[int]] = mapped_column(ForeignKey("evaluation_group.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    campaign = relationship("Campaign", back_populates="participations")
    unit = relationship("Unit", back_populates="participations")
    group = relationship("EvaluationGroup", back_populates="participations")

    __mapper_args__ = {"version_id_col": version}


class SupervisorAssignment(db.Model):
    """A volunteer supervisor assigned to a unit for a campaign."""

    __table_args__ = (UniqueConstraint("campaign_id", "user_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)

    user = relationship("User")
    unit = relationship("Unit")


class Category(db.Model):
    """A class of evaluated units (评议类别/序列) in one campaign: data the office keeps, not a fixed list.

    A unit names its class by `key` (Unit.category), which stays the same when the class is renamed or
    copied to the next year; a retired class is offered no more but still names the units already in it."""

    __table_args__ = (UniqueConstraint("campaign_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    key: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(50))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
