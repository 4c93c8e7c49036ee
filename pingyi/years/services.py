"""The campaigns by year, what a past year holds, a unit's figures across years and 回头看."""
from collections import Counter
from types import SimpleNamespace

from flask import g, has_request_context, session
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from pingyi.cache.services import kept
from pingyi.campaigns.models import Campaign, Participation
from pingyi.checklists.models import Dimension
from pingyi.documents.models import IssuedDocument
from pingyi.extensions import db
from pingyi.findings.models import Finding
from pingyi.results import services as results


def latest_campaign():
    if not has_request_context():
        return db.session.scalar(select(Campaign).order_by(Campaign.year.desc()).limit(1))
    if not session.get("viewed_year") and "current_campaign" in g:
        return g.current_campaign  # current_campaign() already looked the latest year up in this request
    if "latest_campaign" not in g:  # looking at a past year: the banner and the read-only checks ask
        g.latest_campaign = db.session.scalar(select(Campaign).order_by(Campaign.year.desc()).limit(1))
    return g.latest_campaign


def campaign_of_year(year):
    return db.session.scalar(select(Campaign).where(Campaign.year == year))


def is_read_only(campaign):
    """A closed year, or any year but the latest, can be looked at but not changed."""
    latest = latest_campaign()
    return campaign is not None and (campaign.status == "closed" or (latest is not None and campaign.id != latest.id))


def years():
    """[{campaign, units, problems, documents, version}] newest first, in four queries."""
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.year.desc())).all()
    units = dict(db.session.execute(select(Participation.campaign_id, func.count()).group_by(Participation.campaign_id)).all())
    problems = dict(db.session.execute(select(Finding.campaign_id, func.count()).where(Finding.status == "confirmed")
                                       .group_by(Finding.campaign_id)).all())
    docs = dict(db.session.execute(select(IssuedDocument.campaign_id, func.count())
                                   .group_by(IssuedDocument.campaign_id)).all())
    return [{"campaign": c, "units": units.get(c.id, 0), "problems": problems.get(c.id, 0),
             "documents": docs.get(c.id, 0), "version": results.latest_version(c)} for c in campaigns]


def year_summary(campaign, unit_id=None):
    """A year's published results (ranking per group), its problems by dimension and its documents; for a
    unit (unit_id) only its own result and documents."""
    version = results.latest_version(campaign)
    ranking, own = [], None
    if version is not None:
        data = results.version_results(version)
        if unit_id is None:
            ranking = [(group, ranked) for group, ranked, _ in results.ranking(data["details"], data["groups"])]
        else:
            own = data["details"].get(unit_id)
    stmt = (select(Dimension.name, func.count()).join(Finding, Finding.dimension_id == Dimension.id)
            .where(Finding.campaign_id == campaign.id, Finding.status == "confirmed"))
    if unit_id is not None:
        stmt = stmt.where(Finding.unit_id == unit_id)
    by_dimension = db.session.execute(stmt.group_by(Dimension.name).order_by(func.count().desc())).all()
    docs = select(IssuedDocument).where(IssuedDocument.campaign_id == campaign.id)
    if unit_id is not None:
        docs = docs.where((IssuedDocument.unit_id == unit_id) | (IssuedDocument.unit_id.is_(None)),
                          IssuedDocument.kind.in_(("notice", "bulletin", "feedback-notice", "rectification-notice",
                                                   "commitment", "reminder")))
    documents = db.session.scalars(docs.options(selectinload(IssuedDocument.unit))
                                   .order_by(IssuedDocument.created_at.desc())).all()
    return {"version": version, "ranking": ranking, "own": own, "by_dimension": by_dimension,
            "documents": documents}


def unit_years(unit):
    """A unit's published total, grade, rank and confirmed problem count in every year, newest first; each
    year's campaign as a plain record (id, year, status), kept while the data is unchanged."""
    return kept("unit-years", (unit.id,), lambda: _unit_years(unit.id), clock=None)


def _unit_years(unit_id):
    rows = []
    problems = dict(db.session.execute(select(Finding.campaign_id, func.count()).where(
        Finding.unit_id == unit_id, Finding.status == "confirmed").group_by(Finding.campaign_id)).all())
    for campaign in db.session.scalars(select(Campaign).order_by(Campaign.year.desc())):
        version = results.latest_version(campaign)
        detail = results.unit_result(version, unit_id) if version else None
        rows.append({"campaign": _record(campaign), "published": version is not None,
                     "total": detail["total"] if detail else None, "grade": detail["grade"] if detail else None,
                     "rank": detail["rank"] if detail else None, "group_size": detail["group_size"] if detail else None,
                     "problems": problems.get(campaign.id, 0)})
    return rows


def _problems(campaign, unit):
    return db.session.execute(select(Finding, Dimension.name).join(Dimension, Finding.dimension_id == Dimension.id)
                              .where(Finding.campaign_id == campaign.id, Finding.unit_id == unit.id,
                                     Finding.status == "confirmed").order_by(Dimension.sort_order, Finding.id)).all()


def _record(campaign):
    return SimpleNamespace(id=campaign.id, year=campaign.year, status=campaign.status)


def look_back(campaign, unit):
    """回头看: last year's confirmed problems beside this year's; a problem of a dimension that had problems
    last year too is flagged as come back. None when there is no previous year. Plain records (the previous
    campaign's id, year and status; each problem's id and description), kept while the data is unchanged."""
    return kept("look-back", (campaign.id, unit.id), lambda: _look_back(campaign, unit), clock=None)


def _look_back(campaign, unit):
    previous = db.session.scalar(select(Campaign).where(Campaign.year < campaign.year)
                                 .order_by(Campaign.year.desc()).limit(1))
    if previous is None:
        return None
    before = [(SimpleNamespace(id=f.id, description=f.description), name) for f, name in _problems(previous, unit)]
    now = [(SimpleNamespace(id=f.id, description=f.description), name) for f, name in _problems(campaign, unit)]
    seen = Counter(name for _, name in before)
    again = Counter(name for _, name in now)
    return {"previous": _record(previous),
            "before": [(f, name, name in again) for f, name in before],
            "now": [(f, name, name in seen) for f, name in now],
            "returned": sum(1 for _, name in now if name in seen)}


def years_list():
    """The campaigns' years, newest first, for the header's switcher on every page: kept while the data is
    unchanged (the data version is read for the to-do count anyway), so it costs no statement of its own."""
    return kept("years", (), lambda: list(db.session.scalars(select(Campaign.year).order_by(Campaign.year.desc()))),
                clock=None)
