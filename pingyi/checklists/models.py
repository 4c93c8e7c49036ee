"""The six dimensions and their check items: the template (campaign_id NULL) and each campaign's copy."""
from typing import Optional

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pingyi.extensions import db

POLARITY_LABELS = {"achieve": "是否做到", "exist": "是否存在"}


class Dimension(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[Optional[int]] = mapped_column(ForeignKey("campaign.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)

    items = relationship("CheckItem", back_populates="dimension", cascade="all, delete-orphan",
                         order_by="(CheckItem.sort_order, CheckItem.id)")

    __mapper_args__ = {"version_id_col": version}


class CheckItem(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    dimension_id: Mapped[int] = mapped_column(ForeignKey("dimension.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    polarity: Mapped[str] = mapped_column(String(20), default="achieve")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)

    dimension = relationship("Dimension", back_populates="items")

    __mapper_args__ = {"version_id_col": version}

    @property
    def polarity_label(self):
        return POLARITY_LABELS[self.polarity]
