"""Evaluated units (评议对象), kept across campaigns."""
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pingyi.campaigns.categories import label_for
from pingyi.campaigns.models import CATEGORY_LABELS
from pingyi.extensions import db
from pingyi.timeutil import utcnow

CATEGORY_BY_LABEL = {label: key for key, label in CATEGORY_LABELS.items()}


class Unit(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    short_name: Mapped[str] = mapped_column(String(50), default="")
    category: Mapped[str] = mapped_column(String(20))
    head_name: Mapped[str] = mapped_column(String(50), default="")
    contact_name: Mapped[str] = mapped_column(String(50), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    users = relationship("User", back_populates="unit")
    participations = relationship("Participation", back_populates="unit")

    __mapper_args__ = {"version_id_col": version}

    @property
    def category_label(self):
        """The name of the unit's category in the current campaign (categories are data: pingyi.campaigns.categories)."""
        return label_for(self.category)
