"""Rectifications: a unit's answer to each feedback item, its progress, verification, re-checks,
deadline extensions, and the unit's written commitment letter (整改承诺书)."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pingyi.extensions import db
from pingyi.timeutil import utcnow

KIND_LABELS = {"fix": "限时解决", "plan": "整改计划并承诺", "policy": "政策性说明"}
STATUS_LABELS = {"answered": "整改中", "completed": "已完成待核实", "verified": "已整改到位", "failed": "未整改到位",
                 "explained": "已说明", "withdrawn": "已撤销"}
EXTENSION_LABELS = {"pending": "待审批", "approved": "已同意", "refused": "未同意"}
LETTER_LABELS = {"draft": "未提交", "submitted": "已提交待备案", "filed": "已备案"}
CHECK_LABELS = {"kept": "已践诺", "partly": "部分践诺", "broken": "未践诺"}


class Rectification(db.Model):
    __table_args__ = (UniqueConstraint("item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("feedback_item.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    measures: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(100), default="")
    leader: Mapped[str] = mapped_column(String(100), default="")        # 责任领导, named in the 承诺书
    department: Mapped[str] = mapped_column(String(100), default="")    # 责任部门
    deadline: Mapped[Optional[date]] = mapped_column(Date)
    commitment: Mapped[str] = mapped_column(Text, default="")
    explanation: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="answered")
    answered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    answered_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    completed_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    verified_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    verified_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    verify_comment: Mapped[str] = mapped_column(Text, default="")
    carried_over: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)

    item = relationship("FeedbackItem", back_populates="rectification")
    unit = relationship("Unit")
    answered_by = relationship("User", foreign_keys=[answered_by_id])
    verified_by = relationship("User", foreign_keys=[verified_by_id])
    updates = relationship("RectificationUpdate", back_populates="rectification",
                           order_by="RectificationUpdate.id")
    checks = relationship("RecheckRecord", back_populates="rectification", order_by="RecheckRecord.id")
    extensions = relationship("Extension", back_populates="rectification", order_by="Extension.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def kind_label(self):
        return KIND_LABELS[self.kind]

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]


class RectificationUpdate(db.Model):
    """A progress note (with evidence files) the unit adds while it rectifies; the last may complete it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    rectification_id: Mapped[int] = mapped_column(ForeignKey("rectification.id"), index=True)
    note: Mapped[str] = mapped_column(Text)
    completes: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))

    rectification = relationship("Rectification", back_populates="updates")
    by = relationship("User")
    files = relationship("StoredFile", back_populates="update", order_by="StoredFile.id")


class RecheckRecord(db.Model):
    """A supervisor's or the office's re-check (践诺核查) of a commitment in phase 4."""

    id: Mapped[int] = mapped_column(primary_key=True)
    rectification_id: Mapped[int] = mapped_column(ForeignKey("rectification.id"), index=True)
    result: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text)
    checked_on: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))

    rectification = relationship("Rectification", back_populates="checks")
    by = relationship("User")

    @property
    def result_label(self):
        return CHECK_LABELS[self.result]


class Extension(db.Model):
    """A unit's request (延期申请) for a later deadline on one item, and the office's decision."""

    id: Mapped[int] = mapped_column(primary_key=True)
    rectification_id: Mapped[int] = mapped_column(ForeignKey("rectification.id"), index=True)
    original_deadline: Mapped[date] = mapped_column(Date)
    requested_deadline: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    requested_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    comment: Mapped[str] = mapped_column(Text, default="")

    rectification = relationship("Rectification", back_populates="extensions")
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    @property
    def status_label(self):
        return EXTENSION_LABELS[self.status]


class CommitmentLetter(db.Model):
    """The unit's written commitment for its 整改计划并承诺 items: submitted, scanned back, filed (备案)."""

    __table_args__ = (UniqueConstraint("campaign_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    submitted_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    submitted_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    filed_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    filed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    filed_comment: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    unit = relationship("Unit")
    files = relationship("StoredFile", back_populates="letter", order_by="StoredFile.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self):
        return LETTER_LABELS[self.status]

    @property
    def scan(self):
        current = [f for f in self.files if not f.superseded]
        return current[-1] if current else None
