"""Integrity of online answers. The follow-up of the public's comments (FollowUp: every 不满意 with a
comment is verified, 回访核实, and the writer can follow it with a query code). What the anomaly checks keep: a coarse arrival mark per online ballot (kept only while
its round is open), the flags that group suspicious ballots, and the office's keep/exclude decision.

Anonymity: a mark holds the ballot, a 5-minute arrival bucket and a salted hash of the network address.
The salt belongs to the round and is deleted with the marks when the round closes, so afterwards no
address can be tested against a hash; codes keep only the day they were spent, so nothing here links a
ballot to a code or a person."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pingyi.extensions import db
from pingyi.timeutil import utcnow

KIND_LABELS = {"burst": "短时集中答题", "pattern": "连续答卷答案完全相同", "network": "同一网络高频答题",
               "window": "测评期外使用答题码"}
FLAG_STATUS_LABELS = {"open": "待处理", "kept": "保留计入", "excluded": "已剔除"}
FOLLOW_STATUS_LABELS = {"forwarded": "已转交", "rectifying": "整改中", "closed": "已办结"}
OUTCOME_LABELS = {"true": "属实", "partly": "部分属实", "unfounded": "不属实", "unverifiable": "无法核实"}


class ArrivalMark(db.Model):
    """When (to 5 minutes) and from which network (salted hash) an online ballot arrived; deleted with the
    round's salt when the round closes (anomalies.purge_closed_rounds)."""

    __table_args__ = (Index("ix_arrival_mark_round", "campaign_id", "round"),)

    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballot.id"), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    round: Mapped[str] = mapped_column(String(20))
    bucket: Mapped[datetime] = mapped_column(DateTime)
    network: Mapped[str] = mapped_column(String(16), default="")


class RoundSalt(db.Model):
    """The secret mixed into the network hashes of one round; deleted when the round closes."""

    __table_args__ = (UniqueConstraint("campaign_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    round: Mapped[str] = mapped_column(String(20))
    salt: Mapped[str] = mapped_column(String(64))


class AnomalyFlag(db.Model):
    """A group of online ballots of one unit that looks gamed, and what the office decided about it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    round: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    detail: Mapped[str] = mapped_column(String(300))
    window_from: Mapped[Optional[datetime]] = mapped_column(DateTime)
    window_to: Mapped[Optional[datetime]] = mapped_column(DateTime)
    size: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="open")
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    unit = relationship("Unit")
    decided_by = relationship("User")

    __mapper_args__ = {"version_id_col": version}

    @property
    def kind_label(self):
        return KIND_LABELS[self.kind]

    @property
    def status_label(self):
        return FLAG_STATUS_LABELS[self.status]


class FlaggedBallot(db.Model):
    flag_id: Mapped[int] = mapped_column(ForeignKey("anomaly_flag.id"), primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballot.id"), primary_key=True, index=True)


class FollowUp(db.Model):
    """An online comment as its writer can follow it with a query code (only its SHA-256 is stored; it is
    drawn independently of the one-time code). A comment sent with a 不满意 answer is verified by the office
    by its due day; the unit gives a public reply."""

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballot.id"), index=True)
    opinion_id: Mapped[Optional[int]] = mapped_column(ForeignKey("opinion.id"))
    query_hash: Mapped[str] = mapped_column(String(64), unique=True)
    dissatisfied: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="forwarded")
    received_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[Optional[date]] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(20), default="")
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    verified_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    verified_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    public_reply: Mapped[str] = mapped_column(Text, default="")
    replied_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    unit = relationship("Unit")
    opinion = relationship("Opinion")
    verified_by = relationship("User")

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self):
        return FOLLOW_STATUS_LABELS[self.status]

    @property
    def outcome_label(self):
        return OUTCOME_LABELS.get(self.outcome, "待核实")

    @property
    def text(self):
        return self.opinion.text if self.opinion else ""
