"""Categories of evaluated units (评议类别) as data kept per campaign: create, rename, order, retire;
the plan's three for a new deployment, copied to the next year; names compared width- and space-blind."""
import secrets
import unicodedata

from flask import g, has_request_context
from sqlalchemy import func, select

from pingyi.audit.services import record, snapshot
from pingyi.campaigns.models import CATEGORY_LABELS, Campaign, Category
from pingyi.campaigns.services import current_campaign
from pingyi.errors import DomainError, check_version
from pingyi.extensions import db
from pingyi.tables import table

MAX_NAME = 50


def same_name(text):
    """The form of a name used to find duplicates: full-width letters, digits and brackets made half-width
    (NFKC: （） → (), １ → 1), every kind of space removed, case folded. "县（一）局 " and "县(一)局" match."""
    text = unicodedata.normalize("NFKC", text or "")
    return "".join(ch for ch in text if not ch.isspace()).casefold()


def categories(campaign_id, include_retired=True):
    stmt = select(Category).where(Category.campaign_id == campaign_id)
    if not include_retired:
        stmt = stmt.where(~Category.retired)
    return db.session.scalars(stmt.order_by(Category.sort_order, Category.id)).all()


def labels(campaign, include_retired=True):
    """{key: name} of a campaign's categories in their order (the plan's three when there is no campaign)."""
    if campaign is None:
        return dict(CATEGORY_LABELS)
    return {c.key: c.name for c in categories(campaign.id, include_retired)}


def label_for(key):
    """A category key's name in the current campaign (cached for the request); the key itself if unknown."""
    if has_request_context():
        cached = g.get("category_labels")
        if cached is None:
            cached = g.category_labels = _all_labels(current_campaign())
    else:
        cached = _all_labels(None)
    return cached.get(key) or CATEGORY_LABELS.get(key) or key


def _all_labels(campaign):
    if campaign is None:
        campaign = db.session.scalar(select(Campaign).order_by(Campaign.year.desc()))
    found = labels(campaign) if campaign is not None else {}
    return {**CATEGORY_LABELS, **found}


def _forget():
    if has_request_context():
        g.pop("category_labels", None)


def set_up(campaign, source=None):
    """A new campaign's categories: a copy of the source campaign's (same keys), or the plan's three."""
    if db.session.scalar(select(func.count()).select_from(Category).where(Category.campaign_id == campaign.id)):
        return
    old = categories(source.id) if source is not None else []
    rows = [(c.key, c.name, c.retired) for c in old] or [(k, n, False) for k, n in CATEGORY_LABELS.items()]
    for order, (key, name, retired) in enumerate(rows, 1):
        db.session.add(Category(campaign_id=campaign.id, key=key, name=name, sort_order=order, retired=retired))
    db.session.flush()
    _forget()


def new_key():
    return "c-" + secrets.token_hex(4)


def _check_name(campaign, name, category_id=None):
    name = (name or "").strip()
    if not name:
        raise DomainError("请填写类别名称")
    if len(name) > MAX_NAME:
        raise DomainError(f"类别名称不超过 {MAX_NAME} 个字")
    for other in categories(campaign.id):
        if other.id != category_id and same_name(other.name) == same_name(name):
            raise DomainError(f"类别“{name}”与已有类别“{other.name}”重名（全角半角、空格不同也视为同名）")
    return name


def create(campaign, name, user=None):
    """Add a category at the end of the campaign's list."""
    name = _check_name(campaign, name)
    order = (db.session.scalar(select(func.max(Category.sort_order)).where(Category.campaign_id == campaign.id)) or 0) + 1
    category = Category(campaign_id=campaign.id, key=new_key(), name=name, sort_order=order)
    db.session.add(category)
    db.session.flush()
    record("create", category, summary=f"新增评议类别 {name}", actor=user)
    _forget()
    return category


def save(campaign, category, version, name, retired, user=None):
    """Rename or retire/restore a category."""
    check_version(category, version)
    name = _check_name(campaign, name, category.id)
    before = snapshot(category)
    category.name, category.retired = name, retired
    what = "停用" if retired and not before["retired"] else "恢复" if before["retired"] and not retired else "修改"
    record("update", category, before, summary=f"{what}评议类别 {name}", actor=user)
    _forget()
    db.session.commit()


def move(campaign, category, step, user=None):
    """Move a category one place up (step −1) or down (+1) in the campaign's order."""
    rows = categories(campaign.id)
    index = rows.index(category)
    other = index + step
    if not 0 <= other < len(rows):
        return
    rows[index], rows[other] = rows[other], rows[index]
    before = snapshot(category)
    for order, row in enumerate(rows, 1):
        row.sort_order = order
    record("update", category, before, summary=f"调整评议类别 {category.name} 的顺序", actor=user)
    _forget()
    db.session.commit()


def unit_counts(campaign):
    """{key: number of active units} for the category list."""
    unit = table("unit")  # units sit above campaigns
    return dict(db.session.execute(select(unit.c.category, func.count()).where(unit.c.active)
                                   .group_by(unit.c.category)).all())


def match(campaign, label):
    """The active category whose name is the same as `label` (width- and space-blind), or None."""
    wanted = same_name(label)
    return next((c for c in categories(campaign.id, include_retired=False) if same_name(c.name) == wanted), None)
