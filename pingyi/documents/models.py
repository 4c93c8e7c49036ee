"""Issued documents (frozen copies, recorded) and batch exports of one document type for many units."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pingyi.extensions import db
from pingyi.timeutil import utcnow

KIND_LABELS = {
    "notice": "评议工作通知",
    "feedback-notice": "评议意见反馈通知书",
    "rectification-notice": "整改通知书",
    "commitment": "整改承诺书",
    "bulletin": "评议结果通报",
    "reminder": "催办通知",
    "dossier": "一户一档",
}
UNIT_KINDS = ("feedback-notice", "rectification-notice", "commitment")
# 信函 the office issues with the next number of the 函 register (shared with feedback notices) and a deadline.
LETTER_KINDS = ("rectification-notice", "reminder")
BATCH_STATUS = {"queued": "排队中", "running": "生成中", "done": "已完成", "failed": "失败", "cancelled": "已取消"}


class IssuedDocument(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    filename: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    doc_number: Mapped[Optional[int]] = mapped_column(Integer)       # 函 number of a 整改通知书 or 催办通知
    deadline: Mapped[Optional[date]] = mapped_column(Date)           # the new deadline it set

    unit = relationship("Unit")
    created_by = relationship("User")

    @property
    def kind_label(self):
        return KIND_LABELS[self.kind]


class DocumentBatch(db.Model):
    """One document type generated for many units into one .zip, in the background."""

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(String(200), default="")
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="queued")
    stored_name: Mapped[str] = mapped_column(String(64), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    job_id: Mapped[Optional[int]] = mapped_column(ForeignKey("job.id"))

    created_by = relationship("User")
    job = relationship("Job")

    @property
    def kind_label(self):
        return KIND_LABELS[self.kind]

    @property
    def status_label(self):
        return BATCH_STATUS[self.status]

    @property
    def active(self):
        return self.status in ("queued", "running")

    @property
    def percent(self):
        return int(100 * self.done / self.total) if self.total else 100
