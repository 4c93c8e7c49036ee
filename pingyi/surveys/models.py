"""Satisfaction surveys (满意度测评): questionnaires, answer options, respondent types, paper tallies
(single or double entry), individual ballots and the one-time codes of the online questionnaire."""
from datetime import date, datetime
from typing import Optional

from fractions import Fraction

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pingyi.exact import Exact
from pingyi.extensions import db
from pingyi.feedback.models import ROUND_LABELS  # noqa: F401  (the rounds of feedback and surveys)
from pingyi.timeutil import utcnow

CHANNEL_LABELS = {"paper": "纸质问卷逐张录入", "online": "网上问卷", "phone": "电话回访"}
DEFAULT_OPTIONS = (("满意", 100.0, True), ("基本满意", 80.0, True), ("不满意", 0.0, True), ("不了解", 0.0, False))
DEFAULT_TYPES = (("服务对象/群众", 40.0), ("义务监督员", 30.0), ("人大代表/政协委员", 20.0), ("机关内部", 10.0))


class RespondentType(db.Model):
    """Who answered (服务对象、义务监督员…); its weight in the satisfaction score."""

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    weight: Mapped[Fraction] = mapped_column(Exact, default=Fraction(0))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class SurveyOption(db.Model):
    """An answer every question offers (满意…不了解): the points it scores and whether it is a valid vote."""

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    label: Mapped[str] = mapped_column(String(20))
    score: Mapped[Fraction] = mapped_column(Exact, default=Fraction(0))
    counts_valid: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Questionnaire(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    intro: Mapped[str] = mapped_column(Text, default="")
    double_entry: Mapped[bool] = mapped_column(Boolean, default=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)

    questions = relationship("SurveyQuestion", back_populates="questionnaire", cascade="all, delete-orphan",
                             order_by="(SurveyQuestion.sort_order, SurveyQuestion.id)")

    __mapper_args__ = {"version_id_col": version}


class SurveyQuestion(db.Model):
    """One question; about one of the campaign's dimensions, or overall when dimension_id is empty."""

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaire.id"), index=True)
    dimension_id: Mapped[Optional[int]] = mapped_column(ForeignKey("dimension.id"))
    text: Mapped[str] = mapped_column(String(300))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    questionnaire = relationship("Questionnaire", back_populates="questions")
    dimension = relationship("Dimension")


class TallySheet(db.Model):
    """The tallied paper questionnaires of one batch: unit × questionnaire × respondent type × round.
    With double entry the same batch is entered twice (entry 1 and 2) by two people."""

    __table_args__ = (UniqueConstraint("unit_id", "questionnaire_id", "respondent_type_id", "round", "entry"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaire.id"), index=True)
    respondent_type_id: Mapped[int] = mapped_column(ForeignKey("respondent_type.id"), index=True)
    round: Mapped[str] = mapped_column(String(20))
    entry: Mapped[int] = mapped_column(Integer, default=1)
    ballots: Mapped[int] = mapped_column(Integer, default=0)
    entered_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    unit = relationship("Unit")
    questionnaire = relationship("Questionnaire")
    respondent_type = relationship("RespondentType")
    entered_by = relationship("User")
    counts = relationship("TallyCount", back_populates="sheet", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    @property
    def round_label(self):
        return ROUND_LABELS[self.round]


class TallyCount(db.Model):
    __table_args__ = (UniqueConstraint("sheet_id", "question_id", "option_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("tally_sheet.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_question.id"))
    option_id: Mapped[int] = mapped_column(ForeignKey("survey_option.id"))
    count: Mapped[int] = mapped_column(Integer, default=0)

    sheet = relationship("TallySheet", back_populates="counts")


class CodeBatch(db.Model):
    """A sheet of one-time codes for the online questionnaire, issued for one unit."""

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaire.id"))
    respondent_type_id: Mapped[int] = mapped_column(ForeignKey("respondent_type.id"))
    round: Mapped[str] = mapped_column(String(20))
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    unit = relationship("Unit")
    questionnaire = relationship("Questionnaire")
    respondent_type = relationship("RespondentType")
    created_by = relationship("User")
    codes = relationship("SurveyCode", back_populates="batch", order_by="SurveyCode.id")

    @property
    def round_label(self):
        return ROUND_LABELS[self.round]


class SurveyCode(db.Model):
    """A one-time code: spent by the first answer submitted with it. Neither who answered nor which ballot
    the code gave is stored, and only the day it was spent: the slip's holder cannot be traced to answers."""

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("code_batch.id"), index=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    used_on: Mapped[Optional[date]] = mapped_column(Date)

    batch = relationship("CodeBatch", back_populates="codes")


class Ballot(db.Model):
    """One questionnaire, entered from paper by a clerk or answered online with a code."""

    __table_args__ = (db.Index("ix_ballot_campaign_unit", "campaign_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaire.id"))
    respondent_type_id: Mapped[int] = mapped_column(ForeignKey("respondent_type.id"))
    round: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10), default="paper")
    entered_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Set when the ballot stops counting: "anomaly" (a flag the office excluded), "appeal" (an upheld appeal)
    excluded_as: Mapped[Optional[str]] = mapped_column(String(20))

    answers = relationship("BallotAnswer", back_populates="ballot", cascade="all, delete-orphan")
    respondent_type = relationship("RespondentType")

    @property
    def channel_label(self):
        return CHANNEL_LABELS[self.channel]


class BallotAnswer(db.Model):
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballot.id"), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_question.id"), primary_key=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("survey_option.id"))

    ballot = relationship("Ballot", back_populates="answers")


class BallotCount(db.Model):
    """Answers of the ballots entered one by one or online, counted per unit, batch, question and option.
    Kept in step with Ballot in the same transaction (services.add_ballot, answer_with_code, delete_ballot),
    so that scoring reads a few thousand counts instead of every answer; services.recount rebuilds it."""

    __table_args__ = (UniqueConstraint("unit_id", "questionnaire_id", "respondent_type_id", "round", "question_id",
                                       "option_id"),
                      db.Index("ix_ballot_count_campaign", "campaign_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaire.id"))
    respondent_type_id: Mapped[int] = mapped_column(ForeignKey("respondent_type.id"))
    round: Mapped[str] = mapped_column(String(20))
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_question.id"))
    option_id: Mapped[int] = mapped_column(ForeignKey("survey_option.id"))
    count: Mapped[int] = mapped_column(Integer, default=0)


class QuestionnaireIssue(db.Model):
    """How many questionnaires the office issued (发放) for one unit and respondent type, all rounds together:
    the denominator of the unit's return rate (pingyi.surveys.issuance)."""

    __table_args__ = (UniqueConstraint("campaign_id", "unit_id", "respondent_type_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    respondent_type_id: Mapped[int] = mapped_column(ForeignKey("respondent_type.id"))
    issued: Mapped[int] = mapped_column(Integer, default=0)
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    unit = relationship("Unit")
    respondent_type = relationship("RespondentType")

    __mapper_args__ = {"version_id_col": version}
