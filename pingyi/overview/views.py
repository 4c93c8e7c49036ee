"""/overview: the leader's one page of the year."""
from flask import Blueprint, make_response, render_template, request
from flask_login import current_user
from markupsafe import Markup

from pingyi.auth.roles import LEADER, OFFICE, role_required
from pingyi.cache.services import kept
from pingyi.campaigns import categories
from pingyi.campaigns.services import campaign_or_404
from pingyi.forms import plain_int
from pingyi.htmx import is_partial
from pingyi.overview import services

bp = Blueprint("overview", __name__)


@bp.get("/overview")
@role_required(OFFICE, LEADER)
def index():
    campaign = campaign_or_404()
    labels = kept("category-labels", (campaign.id,), lambda: categories.labels(campaign), clock=None)
    category = request.args.get("category", "")
    category = category if category in labels else ""
    sort = request.args.get("sort", "")
    sort = sort if sort in services.COLUMNS else ""
    filters = {"category": category, "group": plain_int(request.args.get("group")), "sort": sort,
               "dir": "desc" if request.args.get("dir") == "desc" else "asc"}
    parts = (campaign.id, current_user.role, *filters.values())

    def table():
        data = services.overview(campaign, category=category, group_id=filters["group"], sort=sort,
                                 descending=filters["dir"] == "desc")
        return render_template("overview/_table.html", campaign=campaign, filters=filters, **data)

    # Neither the table nor the page around it has a form that posts: both kept rendered while the data, the day
    # and the filters are unchanged (the table alone for htmx's sorting, the page for a full view).
    table = Markup(kept("overview-table", parts, table))
    if is_partial():
        response = make_response(table)
    else:
        body = kept("overview-page", parts, lambda: render_template(
            "overview/_page.html", campaign=campaign, filters=filters, table=table, is_fragment=False,
            **services.page_facts(campaign)))
        response = make_response(render_template("overview/index.html", body=Markup(body)))
    response.vary.add("HX-Request-Type")
    return response
