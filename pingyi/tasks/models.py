"""The phase task board: each campaign's tasks and each unit's submission for a unit task."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pingyi.extensions import db

ACTOR_LABELS = {"unit": "评议单位", "office": "纠风办", "group": "评议组", "supervisor": "监督员"}
STATUS_LABELS = {"pending": "待提交", "submitted": "已提交", "confirmed": "已确认", "returned": "已退回"}


class Task(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    phase_number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(20))
    due_date: Mapped[date] = mapped_column(Date)
    requires_file: Mapped[bool] = mapped_column(Boolean, default=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    completed_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    completed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    submissions = relationship("Submission", back_populates="task")
    completed_by = relationship("User")

    __mapper_args__ = {"version_id_col": version}

    @property
    def actor_label(self):
        return ACTOR_LABELS[self.actor]

    @property
    def for_units(self):
        return self.actor == "unit"


class Submission(db.Model):
    """A unit's answer to a unit task; no row means 待提交."""

    # The board counts submissions by task and status from this index alone.
    __table_args__ = (UniqueConstraint("task_id", "unit_id"),
                      Index("ix_submission_task_status", "task_id", "status", "unit_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    note: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    submitted_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    reviewed_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    review_comment: Mapped[str] = mapped_column(Text, default="")
    resubmit_due: Mapped[Optional[date]] = mapped_column(Date)  # 补交期限 of the latest return
    version: Mapped[int] = mapped_column(Integer, default=1)

    task = relationship("Task", back_populates="submissions")
    unit = relationship("Unit")
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])
    files = relationship("StoredFile", back_populates="submission", order_by="StoredFile.id")
    returns = relationship("SubmissionReturn", back_populates="submission", order_by="SubmissionReturn.id",
                           cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]

    @property
    def current_files(self):
        return [f for f in self.files if not f.superseded]



class SubmissionReturn(db.Model):
    """One return of a submission: when, by whom, why, and by when the unit is to resubmit (kept on the task)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    returned_at: Mapped[datetime] = mapped_column(DateTime)
    returned_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(Text)
    resubmit_due: Mapped[date] = mapped_column(Date)

    submission = relationship("Submission", back_populates="returns")
    returned_by = relationship("User")
