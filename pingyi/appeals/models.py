"""Units' appeals (申诉) against a confirmed finding or a 不满意 follow-up (surveys.integrity_models.FollowUp)."""
from datetime import datetime
from typing import Optional

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pingyi.extensions import db
from pingyi.timeutil import utcnow

APPEAL_STATUS_LABELS = {"pending": "待裁决", "maintained": "维持", "withdrawn": "撤销", "adjusted": "调整"}


class Appeal(db.Model):
    """A unit's appeal against one confirmed finding or one 不满意 follow-up, and the office's decision:
    维持 (the rating stands), 撤销 (the finding no longer deducts / the 不满意 ballot no longer counts),
    调整 (the finding deducts as the new severity)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    finding_id: Mapped[Optional[int]] = mapped_column(ForeignKey("finding.id"), unique=True)
    follow_up_id: Mapped[Optional[int]] = mapped_column(ForeignKey("follow_up.id"), unique=True)
    grounds: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    new_severity: Mapped[Optional[str]] = mapped_column(String(10))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    filed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    filed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    unit = relationship("Unit")
    finding = relationship("Finding")
    follow_up = relationship("FollowUp")
    filed_by = relationship("User", foreign_keys=[filed_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    files = relationship("StoredFile", secondary="appeal_file", order_by="StoredFile.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self):
        return APPEAL_STATUS_LABELS[self.status]

    @property
    def subject(self):
        if self.finding is not None:
            return f"检查发现的问题：{self.finding.description}"
        return f"群众不满意意见：{self.follow_up.text}"


class AppealFile(db.Model):
    """Evidence uploaded with an appeal (pingyi/files)."""

    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeal.id"), primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"), primary_key=True)
