"""The leader's one page: per unit the year's progress as figures with a colour, lagging units first, groups
summed, the county total on top, and last year's figure beside each when a previous year exists."""
from collections import defaultdict, namedtuple
from decimal import ROUND_HALF_UP, Decimal
from datetime import date

from sqlalchemy import func, select

from pingyi.cache.services import cached_compute, kept
from pingyi.campaigns import categories
from pingyi.campaigns.models import Campaign, EvaluationGroup, Participation
from pingyi.extensions import db
from pingyi.feedback.models import FeedbackItem, FeedbackNotice
from pingyi.rectifications.models import Rectification
from pingyi.results import services as results
from pingyi.results.models import ResultVersion
from pingyi.tasks.models import Submission, Task
from pingyi.timeutil import local, today
from pingyi.units.models import Unit

# key -> (heading, kind); "rate" figures are percentages, "score" a 0–100 mark, "rank" lower is better.
COLUMNS = {
    "tasks": ("任务按时完成率", "rate"),
    "signed": ("反馈签收率", "rate"),
    "answered": ("问题答复率", "rate"),
    "verified": ("整改核实到位率", "rate"),
    "satisfaction": ("满意度", "score"),
    "total": ("综合得分", "score"),
    "rank": ("组内排名", "rank"),
}
RATE_COLUMNS = ("tasks", "signed", "answered", "verified")
# A unit as the overview keeps it with its figures: plain values, not the session's object.
UnitRow = namedtuple("UnitRow", "id name short_name category sort_order")
GREEN, AMBER = Decimal(90), Decimal(70)  # a rate or score at or above GREEN is green, below AMBER red


def percent(part, whole):
    """part/whole as an exact percentage rounded half up to one decimal; None when nothing is due."""
    if not whole:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def colour(key, value):
    """'ok', 'warn', 'bad' or '' (no figure yet) for a cell."""
    if value is None:
        return ""
    if key == "rank":
        return ""
    value = Decimal(str(value))
    return "ok" if value >= GREEN else "warn" if value >= AMBER else "bad"


def _counts(campaign, on):
    """Per unit the raw counts behind the rates, in four grouped queries."""
    c = defaultdict(lambda: defaultdict(int))
    due_tasks = select(Task.id).where(Task.campaign_id == campaign.id, Task.actor == "unit", Task.due_date < on)
    n_due = len(db.session.scalars(due_tasks).all())
    if db.session.scalar(select(Submission.id).join(Task).where(Task.campaign_id == campaign.id).limit(1)) is None:
        n_due = 0  # a year whose tasks were never kept in the board has no rate, not 0 %
    for unit_id, submitted_at, due in db.session.execute(
            select(Submission.unit_id, Submission.submitted_at, Task.due_date).join(Task)
            .where(Task.id.in_(due_tasks), Submission.status.in_(("submitted", "confirmed")))):
        if submitted_at is not None and local(submitted_at).date() <= due:  # on time in county time
            c[unit_id]["tasks_done"] += 1
    for unit_id, signed, n in db.session.execute(
            select(FeedbackNotice.unit_id, func.count(FeedbackNotice.received_at), func.count())
            .where(FeedbackNotice.campaign_id == campaign.id, FeedbackNotice.status == "sent")
            .group_by(FeedbackNotice.unit_id)):
        c[unit_id]["signed"], c[unit_id]["sent"] = signed, n
    for unit_id, answered, n in db.session.execute(
            select(FeedbackNotice.unit_id, func.count(Rectification.id), func.count(FeedbackItem.id))
            .join(FeedbackItem, FeedbackItem.notice_id == FeedbackNotice.id)
            .outerjoin(Rectification, Rectification.item_id == FeedbackItem.id)
            .where(FeedbackNotice.campaign_id == campaign.id, FeedbackNotice.status == "sent")
            .group_by(FeedbackNotice.unit_id)):
        c[unit_id]["answered"], c[unit_id]["items"] = answered, n
    for unit_id, status, n in db.session.execute(
            select(Rectification.unit_id, Rectification.status, func.count())
            .where(Rectification.campaign_id == campaign.id, Rectification.status != "withdrawn")
            .group_by(Rectification.unit_id, Rectification.status)):
        c[unit_id]["rects"] += n
        if status in ("verified", "explained"):
            c[unit_id]["verified"] += n
    return c, n_due


def _scores(campaign):
    """{unit_id: detail} from the published results of the year, else the live computation."""
    version = results.latest_version(campaign)
    data = results.version_results(version) if version else cached_compute(campaign)
    return data["details"], version is not None


def _score(value):
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _figures(counts, n_due, detail):
    sat = next((c["score"] for c in (detail or {}).get("components", []) if c["key"] == "satisfaction"), None)
    total = (detail or {}).get("total")
    return {
        "tasks": percent(counts["tasks_done"], n_due),
        "signed": percent(counts["signed"], counts["sent"]),
        "answered": percent(counts["answered"], counts["items"]),
        "verified": percent(counts["verified"], counts["rects"]),
        "satisfaction": _score(sat),
        "total": _score(total),
        "rank": (detail or {}).get("rank"),
    }


def _kept_raw(campaign, on):
    """_raw() as plain values, kept while the data and the day are unchanged; each call gets its own row dicts
    (the caller adds to them)."""
    rows, published = kept("overview-raw", (campaign.id, on.isoformat()), lambda: _plain(*_raw(campaign, on)))
    return [dict(r) for r in rows], published


def _plain(rows, published):
    return [dict(r, unit=UnitRow(r["unit"].id, r["unit"].name, r["unit"].short_name, r["unit"].category,
                                 r["unit"].sort_order), counts=dict(r["counts"])) for r in rows], published


def _raw(campaign, on):
    """Every participating unit with its figures and the raw counts, for one campaign."""
    parts = db.session.execute(select(Participation, Unit).join(Unit).where(
        Participation.campaign_id == campaign.id, Unit.active).order_by(Unit.category, Unit.sort_order)).all()
    counts, n_due = _counts(campaign, on)
    details, published = _scores(campaign)
    rows = []
    for part, unit in parts:
        c = counts[unit.id]
        c["tasks_due"] = n_due
        rows.append({"unit": unit, "group_id": part.group_id, "is_key": part.is_key, "counts": c,
                     "figures": _figures(c, n_due, details.get(unit.id)),
                     "group_size": (details.get(unit.id) or {}).get("group_size")})
    return rows, published


def _sum_counts(rows):
    total = defaultdict(int)
    for r in rows:
        for k, v in r["counts"].items():
            total[k] += v
    return total


def _summary(label, rows):
    """A group's (or the county's) line: rates over the summed counts, the mean score of rated units."""
    c = _sum_counts(rows)
    rated = [r["figures"]["total"] for r in rows if r["figures"]["total"] is not None]
    sats = [r["figures"]["satisfaction"] for r in rows if r["figures"]["satisfaction"] is not None]
    mean = lambda xs: (sum(xs) / len(xs)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if xs else None  # noqa: E731
    figures = {"tasks": percent(c["tasks_done"], c["tasks_due"]), "signed": percent(c["signed"], c["sent"]),
               "answered": percent(c["answered"], c["items"]), "verified": percent(c["verified"], c["rects"]),
               "satisfaction": mean(sats), "total": mean(rated), "rank": None}
    colours = {k: colour(k, v) for k, v in figures.items()}
    return {"label": label, "units": len(rows), "figures": figures, "colours": colours,
            "cells": cells(figures, colours)}


def cells(figures, colours, before=None, change=None, group_size=None):
    """[(key, css class, figure, last year's note)] of a line of the table as it is shown: a rate with %, a rank
    with its group's size, last year's figure and the change in brackets."""
    out = []
    for key, (_, kind) in COLUMNS.items():
        v = figures[key]
        if v is None:
            text = "—"
        elif key == "rank":
            text = f"{v}/{group_size}" if group_size else str(v)
        else:
            text = f"{v}%" if kind == "rate" else str(v)
        note = ""
        if before:
            b, d = before[key], (change or {}).get(key)
            note = "—" if b is None else str(b)
            if d is not None and key != "rank":
                note += f"，{'+' if d > 0 else ''}{d}"
        out.append((key, f"cell-{colours[key] or 'none'}", text, note))
    return out


def previous_campaign(campaign):
    return db.session.scalar(select(Campaign).where(Campaign.year < campaign.year).order_by(Campaign.year.desc())
                             .limit(1))


def _change(now, before):
    if now is None or before is None:
        return None
    return now - before


def as_of(campaign):
    """The day the figures are counted to: today, or the campaign year's last day for a past year."""
    return min(today(), date(campaign.year, 12, 31))


def page_facts(campaign):
    """What the page says around the table: {"previous" (campaign or None), "published", "categories", "as_of"}."""
    published = db.session.scalar(select(ResultVersion.id).where(ResultVersion.campaign_id == campaign.id,
                                                                 ResultVersion.status == "published").limit(1))
    return {"previous": previous_campaign(campaign), "published": published is not None,
            "categories": categories.labels(campaign), "as_of": as_of(campaign)}


def overview(campaign, category="", group_id=None, sort="", descending=False, on=None):
    """{"rows", "groups", "county", "previous", "published"}: each row has figures, colours, last year's figures
    and the change; lagging units (any red cell) come first unless another sort is asked for."""
    on = on or as_of(campaign)
    rows, published = _kept_raw(campaign, on)
    previous = previous_campaign(campaign)
    before = {}
    if previous is not None:
        before = {r["unit"].id: r["figures"] for r in _kept_raw(previous, date(previous.year, 12, 31))[0]}
    for r in rows:
        r["colours"] = {k: colour(k, v) for k, v in r["figures"].items()}
        r["lagging"] = sum(1 for v in r["colours"].values() if v == "bad")
        r["before"] = before.get(r["unit"].id)
        r["change"] = ({k: _change(v, r["before"].get(k)) for k, v in r["figures"].items()}
                       if r["before"] else {})
        r["cells"] = cells(r["figures"], r["colours"], r["before"], r["change"], r["group_size"])
    county = _summary("全县合计", rows)
    if category:
        rows = [r for r in rows if r["unit"].category == category]
    if group_id:
        rows = [r for r in rows if r["group_id"] == group_id]
    if sort in COLUMNS:
        present = [r for r in rows if r["figures"][sort] is not None]
        missing = [r for r in rows if r["figures"][sort] is None]
        present.sort(key=lambda r: r["figures"][sort], reverse=descending)
        rows = present + missing
    else:
        rows.sort(key=lambda r: (-r["lagging"], r["unit"].category, r["unit"].sort_order))
    groups = []
    for group in db.session.scalars(select(EvaluationGroup).where(EvaluationGroup.campaign_id == campaign.id)
                                    .order_by(EvaluationGroup.sort_order)):
        members = [r for r in rows if r["group_id"] == group.id]
        if members:
            groups.append(dict(_summary(group.name, members), group=group))
    return {"rows": rows, "groups": groups, "county": county, "previous": previous, "published": published,
            "columns": COLUMNS, "categories": categories.labels(campaign), "as_of": on}
