"""The campaign's scoring rules (综合评定办法) and the published, frozen versions of its results."""
import json
from fractions import Fraction
from datetime import datetime
from typing import Optional

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pingyi.exact import Exact
from pingyi.extensions import db
from pingyi.timeutil import utcnow

GROUP_SCOPE_LABELS = {
    "general": "县政府部门和县直企事业单位（重点评议部门除外）",
    "stationed": "驻县单位（重点评议部门除外）",
    "key": "重点评议部门",
    "all": "全部评议对象",
}
MARK_LABELS = {"top": "先进", "bottom": "末位", "": ""}
VERSION_STATUS_LABELS = {"published": "已发布", "superseded": "已被新版本替代"}


class ScoringConfig(db.Model):
    """One per campaign. Grades and ranking groups are ordered lists kept as JSON:
    grades: [{"name", "min" (None for the lowest), "inclusive"}] best first;
    groups: [{"name", "categories", "key", "published"}] (pingyi.results.groups)."""

    __table_args__ = (UniqueConstraint("campaign_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    weight_satisfaction: Mapped[Fraction] = mapped_column(Exact, default=Fraction(60))
    weight_checklist: Mapped[Fraction] = mapped_column(Exact, default=Fraction(25))
    weight_rectification: Mapped[Fraction] = mapped_column(Exact, default=Fraction(15))
    checklist_meets: Mapped[Fraction] = mapped_column(Exact, default=Fraction(100))
    checklist_basic: Mapped[Fraction] = mapped_column(Exact, default=Fraction(80))
    checklist_problem: Mapped[Fraction] = mapped_column(Exact, default=Fraction(0))
    deduct_minor: Mapped[Fraction] = mapped_column(Exact, default=Fraction('0.5'))
    deduct_major: Mapped[Fraction] = mapped_column(Exact, default=Fraction(1))
    deduct_severe: Mapped[Fraction] = mapped_column(Exact, default=Fraction(3))
    deduct_cap: Mapped[Fraction] = mapped_column(Exact, default=Fraction(10))
    veto_severity: Mapped[str] = mapped_column(String(10), default="severe")
    veto_dimensions: Mapped[str] = mapped_column(String(200), default="")
    veto_grade: Mapped[str] = mapped_column(String(20), default="基本满意")
    missing_rule: Mapped[str] = mapped_column(String(20), default="redistribute")  # scoring.MISSING_RULES
    # The return-rate minimum (pingyi.results.returns): a rate in % and/or a number of questionnaires, and
    # whether a unit short of it is left unrated or only flagged. 先进/末位 quotas live in each group (quotas.py).
    min_return_rate: Mapped[Optional[Fraction]] = mapped_column(Exact)
    min_valid_ballots: Mapped[int] = mapped_column(Integer, default=0)
    return_shortfall: Mapped[str] = mapped_column(String(10), default="flag")
    top_text: Mapped[str] = mapped_column(Text, default="")
    bottom_text: Mapped[str] = mapped_column(Text, default="")
    grades_json: Mapped[str] = mapped_column(Text, default="[]")
    groups_json: Mapped[str] = mapped_column(Text, default="[]")
    # The score components (pingyi.results.components); "[]" means the legacy fields above (weight_*,
    # checklist_*, deduct_*), which only configs written before components still rely on.
    components_json: Mapped[str] = mapped_column(Text, default="[]")
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def grades(self):
        return json.loads(self.grades_json)

    @property
    def groups(self):
        from pingyi.results.groups import normalize
        return [normalize(g) for g in json.loads(self.groups_json)]

    @property
    def veto_dimension_ids(self):
        return {int(x) for x in self.veto_dimensions.split(",") if x.strip()}


class ResultVersion(db.Model):
    """A publication of the results: every figure frozen with the rules it was computed by."""

    __table_args__ = (UniqueConstraint("campaign_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="published")
    show_ranking: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    doc_number: Mapped[Optional[int]] = mapped_column(Integer)  # the bulletin's 发文序号, when the office gave one
    config_json: Mapped[str] = mapped_column(Text)
    summary_json: Mapped[str] = mapped_column(Text)
    # The checks before publishing, with who ticked which (pingyi.results.checks), and what changed against
    # the version before: JSON, "" for versions published before checks existed.
    checks_json: Mapped[str] = mapped_column(Text, default="")
    changes_json: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    created_by = relationship("User")
    results = relationship("UnitResult", back_populates="version", cascade="all, delete-orphan")

    @property
    def status_label(self):
        return VERSION_STATUS_LABELS[self.status]


class UnitResult(db.Model):
    __table_args__ = (UniqueConstraint("version_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("result_version.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    group_key: Mapped[str] = mapped_column(String(20))
    total: Mapped[Optional[Fraction]] = mapped_column(Exact)  # exact, unrounded
    grade: Mapped[str] = mapped_column(String(20), default="")
    rank: Mapped[Optional[int]] = mapped_column(Integer)
    mark: Mapped[str] = mapped_column(String(10), default="")
    vetoed: Mapped[bool] = mapped_column(Boolean, default=False)
    detail_json: Mapped[str] = mapped_column(Text)

    version = relationship("ResultVersion", back_populates="results")
    unit = relationship("Unit")


class DirectScore(db.Model):
    """A unit's value of a direct-score component (领导评议, 年度考核…), typed in or imported by the office."""

    __table_args__ = (UniqueConstraint("campaign_id", "component_key", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    component_key: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    value: Mapped[Fraction] = mapped_column(Exact)
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
