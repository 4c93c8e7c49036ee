"""Background work as database rows: one row per job, claimed by a worker with a lease."""
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pingyi.extensions import db
from pingyi.timeutil import utcnow

STATUS_LABELS = {"queued": "排队中", "running": "进行中", "done": "已完成", "failed": "失败", "cancelled": "已取消"}
ACTIVE = ("queued", "running")


class Job(db.Model):
    """A unit of background work (a document batch, a backup). A worker owns it while its lease lasts;
    a job whose lease ran out (its process died) is claimed again by the next worker."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    arguments: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    lease_owner: Mapped[str] = mapped_column(String(100), default="")
    lease_expires: Mapped[Optional[datetime]] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_after: Mapped[Optional[datetime]] = mapped_column(DateTime)  # not claimed before (a retry's back-off)
    error: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str] = mapped_column(String(300), default="")
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    finished_at: Mapped[Optional[datetime]] = mapped_column(DateTime)

    created_by = relationship("User")

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]

    @property
    def active(self):
        return self.status in ACTIVE

    @property
    def percent(self):
        return min(100, int(100 * self.done / self.total)) if self.total else (100 if self.status == "done" else 0)
