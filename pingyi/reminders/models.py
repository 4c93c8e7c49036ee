"""A recorded 催办 (who chased which unit, when and how) and the numbered 催办通知 documents."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pingyi.extensions import db
from pingyi.timeutil import utcnow

METHOD_LABELS = {"phone": "电话", "notice": "通知", "in_person": "当面", "sms": "短信"}


class ReminderNotice(db.Model):
    """A 催办通知 issued to one unit or county-wide (unit_id empty), numbered ×纠风办函〔YYYY〕N号."""

    __table_args__ = (UniqueConstraint("campaign_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    document_id: Mapped[int] = mapped_column(ForeignKey("issued_document.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    unit = relationship("Unit")
    document = relationship("IssuedDocument")


class Reminder(db.Model):
    """One 已催办 record: the date, how (电话/通知/当面/短信), by whom, a note, the notice when one was sent."""

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    reminded_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    notice_id: Mapped[Optional[int]] = mapped_column(ForeignKey("reminder_notice.id"))
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    unit = relationship("Unit")
    notice = relationship("ReminderNotice")
    created_by = relationship("User")

    @property
    def method_label(self):
        return METHOD_LABELS[self.method]
