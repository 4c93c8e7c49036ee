"""Inspections by evaluators and supervisors, the findings and public opinions they record."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pingyi.extensions import db
from pingyi.timeutil import utcnow

METHOD_LABELS = {
    "unannounced": "明察暗访", "forum": "座谈会", "visit": "走访服务对象", "report": "听取汇报",
    "poll": "民意测评", "survey": "问卷调查",
}
SOURCE_LABELS = {
    "public": "群众反映", "unannounced": "明察暗访", "forum": "座谈会", "visit": "走访服务对象",
    "report": "听取汇报", "poll": "民意测评", "survey": "问卷调查",
}
SEVERITY_LABELS = {"minor": "一般", "major": "较重", "severe": "严重"}
SEVERITY_ORDER = {"minor": 1, "major": 2, "severe": 3}
STATUS_LABELS = {"draft": "草稿", "submitted": "待审核", "confirmed": "已确认", "merged": "已合并",
                 "dismissed": "不予采纳"}


class Inspection(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    method: Mapped[str] = mapped_column(String(20))
    held_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200), default="")
    participants: Mapped[str] = mapped_column(String(500), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    submitted_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    unit = relationship("Unit")
    created_by = relationship("User")
    findings = relationship("Finding", back_populates="inspection", order_by="Finding.id")
    opinions = relationship("Opinion", back_populates="inspection", order_by="Opinion.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def method_label(self):
        return METHOD_LABELS[self.method]

    @property
    def status_label(self):
        return "草稿" if self.status == "draft" else "已提交"


class Finding(db.Model):
    """A problem found at a unit, tied to a dimension and where possible a check item."""

    __table_args__ = (Index("ix_finding_campaign_status_unit", "campaign_id", "status", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    dimension_id: Mapped[int] = mapped_column(ForeignKey("dimension.id"), index=True)
    item_id: Mapped[Optional[int]] = mapped_column(ForeignKey("check_item.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(10), default="minor")
    source: Mapped[str] = mapped_column(String(20))
    reporter: Mapped[str] = mapped_column(String(200), default="")
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    merged_into_id: Mapped[Optional[int]] = mapped_column(ForeignKey("finding.id"))
    review_note: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    reviewed_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    inspection = relationship("Inspection", back_populates="findings")
    unit = relationship("Unit")
    dimension = relationship("Dimension")
    item = relationship("CheckItem")
    merged_into = relationship("Finding", remote_side=[id])
    reviewed_by = relationship("User")
    files = relationship("StoredFile", back_populates="finding", order_by="StoredFile.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def severity_label(self):
        return SEVERITY_LABELS[self.severity]

    @property
    def source_label(self):
        return SOURCE_LABELS[self.source]

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]


class Opinion(db.Model):
    """An opinion or suggestion collected from the public (意见建议) during an inspection."""

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    inspection_id: Mapped[Optional[int]] = mapped_column(ForeignKey("inspection.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    source: Mapped[str] = mapped_column(String(20), default="inspection")  # or "survey": an online comment
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    review_note: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    reviewed_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    inspection = relationship("Inspection", back_populates="opinions")
    unit = relationship("Unit")

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]
