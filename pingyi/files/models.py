"""Uploaded files: stored outside the web root under random names, with hash and original name."""
from datetime import datetime
from typing import Optional

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pingyi.extensions import db
from pingyi.timeutil import utcnow


class StoredFile(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"), index=True)
    submission_id: Mapped[Optional[int]] = mapped_column(ForeignKey("submission.id"), index=True)
    assessment_id: Mapped[Optional[int]] = mapped_column(ForeignKey("assessment.id"), index=True)
    finding_id: Mapped[Optional[int]] = mapped_column(ForeignKey("finding.id"), index=True)
    update_id: Mapped[Optional[int]] = mapped_column(ForeignKey("rectification_update.id"), index=True)
    letter_id: Mapped[Optional[int]] = mapped_column(ForeignKey("commitment_letter.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))

    uploaded_by = relationship("User")
    submission = relationship("Submission", back_populates="files")
    assessment = relationship("Assessment", back_populates="files")
    finding = relationship("Finding", back_populates="files")
    update = relationship("RectificationUpdate", back_populates="files")
    letter = relationship("CommitmentLetter", back_populates="files")

    @property
    def size_label(self):
        if self.size >= 1024 * 1024:
            return f"{self.size / 1024 / 1024:.1f} MB"
        return f"{max(1, round(self.size / 1024))} KB"
