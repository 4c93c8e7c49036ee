"""The dashboard: one page, figures chosen by the signed-in role."""
from flask import Blueprint, make_response, redirect, render_template, request, url_for
from markupsafe import Markup
from flask_login import current_user, login_required

from pingyi.auth.roles import EVALUATOR, LEADER, OFFICE, SUPERVISOR, UNIT
from pingyi.cache.services import kept, todo_queues
from pingyi.campaigns.forms import NewCampaignForm
from pingyi.campaigns.services import current_campaign, current_phase, phase_state
from pingyi.dashboard import services
from pingyi.forms import plain_int
from pingyi.htmx import is_partial
from pingyi.paging import page_of_list
from pingyi.results.services import latest_version, unit_result
from pingyi.timeutil import today

bp = Blueprint("dashboard", __name__)
OVERDUE_PAGE = 50  # units with overdue tasks a page


@bp.get("/notifications")
@login_required
def notifications():
    return render_template("dashboard/notifications.html", todo=todo_queues(current_user, current_campaign()))


@bp.get("/home")
@login_required
def home():
    """Where signing in lands: the overview for the office and the leader once there is a year, else the dashboard."""
    if current_user.role in (OFFICE, LEADER) and current_campaign() is not None:
        return redirect(url_for("overview.index"))
    return redirect(url_for("dashboard.index"))


@bp.get("/dashboard")
@bp.get("/")
@login_required
def index():
    campaign = current_campaign()
    if campaign is None:
        return render_template("dashboard/empty.html", new_form=NewCampaignForm(year=today().year))
    context = {"campaign": campaign, "phase_state": phase_state, "todo": todo_queues(current_user, campaign)}
    if current_user.role in (UNIT, EVALUATOR, SUPERVISOR):
        # A unit's, evaluator's or supervisor's own figures and to-do list, no form: rendered once per user while the
        # data is unchanged and the hour the same (to-do queues such as 超期未签收 follow the clock).
        body = kept("dashboard-own", (campaign.id, current_user.role, current_user.id, current_user.unit_id),
                    lambda: _own_body(campaign, context), clock="hour")
        return render_template("dashboard/own.html", body=Markup(body), **context)
    # The office and leaders: the county's figures, rendered once per data version, day, role and page of the overdue
    # list (no form in them): kept as strings, which the memo weighs; htmx's pager swaps the overdue list alone.
    number = max(1, plain_int(request.args.get("page")) or 1)
    parts = (campaign.id, current_user.role, number)
    if is_partial():
        response = make_response(Markup(kept("dashboard-overdue", parts, lambda: render_template(
            "dashboard/_overdue.html", overdue_page=_overdue_page(campaign, number)))))
        response.vary.add("HX-Request-Type")
        return response
    context["phase_line"] = Markup(kept("dashboard-phase-line", parts[:2], lambda: render_template(
        "dashboard/_phase_line.html", campaign=campaign, phase=current_phase(campaign))))
    context["figures"] = Markup(kept("dashboard-county", parts, lambda: _county_figures(campaign, number)))
    response = make_response(render_template("dashboard/county.html", **context))
    response.vary.add("HX-Request-Type")
    return response


def _own_body(campaign, context):
    """The dashboard of a unit, an evaluator or a supervisor under the navigation, rendered."""
    context = dict(context)
    if current_user.role == UNIT:
        version = latest_version(campaign)
        context["result_version"] = version
        context.update(services.unit_overview(campaign, current_user.unit))
        context["result"] = unit_result(version, current_user.unit_id) if version else None
    elif current_user.role == EVALUATOR:
        context.update(services.evaluator_overview(campaign, current_user))
    else:
        context.update(services.supervisor_overview(campaign, current_user))
    return render_template(f"dashboard/_{current_user.role}.html", **context)


def _county_figures(campaign, number):
    figures = services.county_overview(campaign)
    return render_template("dashboard/_county_figures.html", campaign=campaign, phase_state=phase_state,
                           result_version=latest_version(campaign),
                           overdue_page=page_of_list(figures["overdue"], number, OVERDUE_PAGE), **figures)


def _overdue_page(campaign, number):
    return page_of_list(services.county_overview(campaign)["overdue"], number, OVERDUE_PAGE)
