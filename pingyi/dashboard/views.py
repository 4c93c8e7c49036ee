"""The dashboard: one page, figures chosen by the signed-in role."""
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from pingyi.auth.roles import EVALUATOR, LEADER, OFFICE, SUPERVISOR, UNIT
from pingyi.cache.services import todo_queues
from pingyi.campaigns.forms import NewCampaignForm
from pingyi.campaigns.services import current_campaign, phase_state
from pingyi.dashboard import services
from pingyi.results.services import latest_version, unit_result
from pingyi.timeutil import today

bp = Blueprint("dashboard", __name__)


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
    version = latest_version(campaign)
    context = {"campaign": campaign, "phase_state": phase_state, "todo": todo_queues(current_user, campaign),
               "result_version": version}
    if current_user.role == UNIT:
        context.update(services.unit_overview(campaign, current_user.unit))
        context["result"] = unit_result(version, current_user.unit_id) if version else None
        template = "dashboard/unit.html"
    elif current_user.role == EVALUATOR:
        context.update(services.evaluator_overview(campaign, current_user))
        template = "dashboard/evaluator.html"
    elif current_user.role == SUPERVISOR:
        context.update(services.supervisor_overview(campaign, current_user))
        template = "dashboard/supervisor.html"
    else:
        context.update(services.county_overview(campaign))
        template = "dashboard/county.html"
    return render_template(template, **context)
