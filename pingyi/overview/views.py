"""/overview: the leader's one page of the year."""
from flask import Blueprint, request

from pingyi.auth.roles import LEADER, OFFICE, role_required
from pingyi.campaigns import categories
from pingyi.campaigns.services import campaign_or_404
from pingyi.forms import plain_int
from pingyi.htmx import render
from pingyi.overview import services

bp = Blueprint("overview", __name__)


@bp.get("/overview")
@role_required(OFFICE, LEADER)
def index():
    campaign = campaign_or_404()
    category = request.args.get("category", "")
    category = category if category in categories.labels(campaign) else ""
    sort = request.args.get("sort", "")
    filters = {"category": category, "group": plain_int(request.args.get("group")), "sort": sort,
               "dir": "desc" if request.args.get("dir") == "desc" else "asc"}
    data = services.overview(campaign, category=category, group_id=filters["group"], sort=sort,
                             descending=filters["dir"] == "desc")
    return render("overview/index.html", "overview/_table.html", campaign=campaign, filters=filters, **data)
