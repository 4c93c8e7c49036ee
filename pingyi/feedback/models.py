"""Feedback notices (评议意见反馈通知书) to a unit, their items, and the unit's receipt (签收)."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pingyi.extensions import db
from pingyi.timeutil import utcnow

ROUND_LABELS = {"june": "6月集中评议", "november": "11月集中评议"}
NOTICE_STATUS_LABELS = {"draft": "草稿", "sent": "已发送", "superseded": "已更正（旧版）"}


class FeedbackNotice(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    round: Mapped[str] = mapped_column(String(20))
    edition: Mapped[int] = mapped_column(Integer, default=1)
    replaces_id: Mapped[Optional[int]] = mapped_column(ForeignKey("feedback_notice.id"))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    doc_number: Mapped[Optional[int]] = mapped_column(Integer)
    overall: Mapped[str] = mapped_column(Text, default="")
    answer_deadline: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    sent_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    received_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    received_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    unit = relationship("Unit")
    campaign = relationship("Campaign")
    items = relationship("FeedbackItem", back_populates="notice", order_by="(FeedbackItem.sort_order, FeedbackItem.id)",
                         cascade="all, delete-orphan")
    replaces = relationship("FeedbackNotice", remote_side=[id])
    sent_by = relationship("User", foreign_keys=[sent_by_id])
    received_by = relationship("User", foreign_keys=[received_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def round_label(self):
        return ROUND_LABELS[self.round]

    @property
    def status_label(self):
        return NOTICE_STATUS_LABELS[self.status]

    def number_label(self, doc_prefix):
        """×纠风办函〔2026〕5号 once sent."""
        return f"{doc_prefix}函〔{self.campaign.year}〕{self.doc_number}号" if self.doc_number else ""


class FeedbackItem(db.Model):
    """One problem of a notice, with the office's rectification suggestion and deadline."""

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("feedback_notice.id"), index=True)
    finding_id: Mapped[Optional[int]] = mapped_column(ForeignKey("finding.id"), index=True)
    dimension_id: Mapped[int] = mapped_column(ForeignKey("dimension.id"))
    problem: Mapped[str] = mapped_column(Text)
    suggestion: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[date] = mapped_column(Date)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    previous_item_id: Mapped[Optional[int]] = mapped_column(ForeignKey("feedback_item.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    notice = relationship("FeedbackNotice", back_populates="items")
    finding = relationship("Finding")
    dimension = relationship("Dimension")
    rectification = relationship("Rectification", back_populates="item", uselist=False)

    __mapper_args__ = {"version_id_col": version}
