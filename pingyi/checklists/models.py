"""The six dimensions and their check items: the template (campaign_id NULL) and each campaign's copy."""
from datetime import datetime
from typing import Optional

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pingyi.extensions import db
from pingyi.timeutil import utcnow

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

RATING_LABELS = {"meets": "符合要求", "basic": "基本符合", "problem": "存在问题", "na": "不适用"}
# What each rating means for an item of each polarity, shown beside the choice.
RATING_MEANING = {
    "achieve": {"meets": "已做到", "basic": "基本做到，个别方面不足", "problem": "没有做到", "na": "本单位不涉及"},
    "exist": {"meets": "未发现该问题", "basic": "偶有发生，已基本纠正", "problem": "存在该问题", "na": "本单位不涉及"},
}
ASSESSMENT_KINDS = {"self": "单位自查", "review": "评议组评价"}


class Assessment(db.Model):
    """A unit's self-check of one item, or the evaluators' rating of it (one of each per unit and item)."""

    __table_args__ = (UniqueConstraint("unit_id", "item_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("check_item.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    rating: Mapped[str] = mapped_column(String(10))
    explanation: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    item = relationship("CheckItem")
    updated_by = relationship("User")
    files = relationship("StoredFile", back_populates="assessment", order_by="StoredFile.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def rating_label(self):
        return RATING_LABELS[self.rating]

    @property
    def current_files(self):
        return [f for f in self.files if not f.superseded]
