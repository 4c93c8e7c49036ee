"""Reaching respondents (issue 17): registers of people who may be asked (服务对象库/评议员库), sample draws
per unit × respondent type, and the sampled people with their one-time code and how they were reached.

Anonymity: nothing here points at a ballot and no ballot points here. A sampled person holds a one-time
code; the code learns only the day it was spent (SurveyCode.used_on), and ballots keep the day only."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import JSON, Column, Date, DateTime, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pingyi.extensions import db
from pingyi.feedback.models import ROUND_LABELS
from pingyi.timeutil import utcnow

CALL_OUTCOMES = {"completed": "完成", "no_answer": "未接通", "refused": "拒访", "invalid": "空号"}
CALL_FINAL = ("completed", "refused", "invalid")
MAX_CALL_ATTEMPTS = 3
MAX_REMINDERS = 2
DRAW_STATUS_LABELS = {"current": "有效", "replaced": "已重抽（作废）"}

respondent_unit = Table(
    "respondent_unit", db.metadata,
    Column("respondent_id", ForeignKey("respondent.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("unit.id"), primary_key=True, index=True),
)


class RespondentPool(db.Model):
    """A register of people who may be sampled: 服务对象库, 评议员库… kept across years."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    created_by = relationship("User")


class Respondent(db.Model):
    """One person of a register: a normalised mobile number (unique in the register), optionally a name,
    a respondent type (matched by name to the campaign's types) and the units they use. No units: any unit."""

    __table_args__ = (UniqueConstraint("pool_id", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("respondent_pool.id"), index=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(50), default="")
    type_name: Mapped[str] = mapped_column(String(50), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    units = relationship("Unit", secondary=respondent_unit, order_by="Unit.sort_order")


class SampleDraw(db.Model):
    """One random draw from a register for a campaign's questionnaire and round: its seed, sizes and who drew
    it when. A redraw keeps this row (status "replaced") and names the new one and the reason."""

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("respondent_pool.id"), index=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaire.id"))
    round: Mapped[str] = mapped_column(String(20))
    seed: Mapped[str] = mapped_column(String(32))
    sizes: Mapped[dict] = mapped_column(JSON, default=dict)  # {respondent type id: people per unit}
    unit_ids: Mapped[list] = mapped_column(JSON, default=list)
    exclude_months: Mapped[int] = mapped_column(Integer, default=0)
    drawn_count: Mapped[int] = mapped_column(Integer, default=0)
    shortfall: Mapped[int] = mapped_column(Integer, default=0)  # places left empty for want of people
    status: Mapped[str] = mapped_column(String(12), default="current")
    replaces_id: Mapped[Optional[int]] = mapped_column(ForeignKey("sample_draw.id"))
    reason: Mapped[str] = mapped_column(Text, default="")  # why this draw replaced the earlier one
    drawn_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    drawn_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    slips_printed_at: Mapped[Optional[datetime]] = mapped_column(DateTime)

    pool = relationship("RespondentPool")
    questionnaire = relationship("Questionnaire")
    drawn_by = relationship("User")
    replaces = relationship("SampleDraw", remote_side=[id])

    @property
    def round_label(self):
        return ROUND_LABELS[self.round]

    @property
    def status_label(self):
        return DRAW_STATUS_LABELS[self.status]


class SampledPerson(db.Model):
    """A person drawn for one unit and respondent type, with the one-time code they answer with, the last
    message sent to them, reminders, and phone-interview attempts. Whether and on which day they answered is
    their code's used_on; which ballot they gave is recorded nowhere."""

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("sample_draw.id"), index=True)
    respondent_id: Mapped[int] = mapped_column(ForeignKey("respondent.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    respondent_type_id: Mapped[int] = mapped_column(ForeignKey("respondent_type.id"))
    code_id: Mapped[Optional[int]] = mapped_column(ForeignKey("survey_code.id"), unique=True)
    message_id: Mapped[Optional[int]] = mapped_column(ForeignKey("outbound_message.id"))
    links_sent: Mapped[int] = mapped_column(Integer, default=0)
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    call_attempts: Mapped[int] = mapped_column(Integer, default=0)
    call_outcome: Mapped[str] = mapped_column(String(12), default="")
    called_on: Mapped[Optional[date]] = mapped_column(Date)

    draw = relationship("SampleDraw")
    respondent = relationship("Respondent")
    unit = relationship("Unit")
    respondent_type = relationship("RespondentType")
    code = relationship("SurveyCode")
    message = relationship("OutboundMessage")

    @property
    def call_outcome_label(self):
        return CALL_OUTCOMES.get(self.call_outcome, "")
