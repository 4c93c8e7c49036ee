"""/years: the campaigns by year; /years/<year> looks at one (a past year read-only, every page with it)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from pingyi import once
from pingyi.auth.roles import OFFICE, UNIT, role_required
from pingyi.campaigns.forms import NewCampaignForm
from pingyi.campaigns.services import campaign_or_404, current_campaign, view_year
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.forms import plain_int
from pingyi.years import lifecycle, services

bp = Blueprint("years", __name__)
# What a signed-in person may still post while looking at a past year.
ALWAYS_ALLOWED = {"auth.login", "auth.logout", "auth.password"}


@bp.get("/years")
@login_required
def index():
    year = plain_int(request.args.get("year"))
    if year is not None:  # the header's switcher is a plain GET form
        return redirect(url_for("years.show", year=year))
    return render_template("years/index.html", years=services.years(), latest=services.latest_campaign())


@bp.get("/years/<int:year>")
@login_required
def show(year):
    campaign = services.campaign_of_year(year)
    if campaign is None:
        abort(404)
    latest = services.latest_campaign()
    view_year(None if campaign.id == latest.id else campaign.year)
    unit_id = current_user.unit_id if current_user.role == UNIT else None
    return render_template("years/show.html", year_campaign=campaign, latest=latest,
                           read_only=services.is_read_only(campaign), **services.year_summary(campaign, unit_id))


@bp.post("/admin/campaigns")
@role_required(OFFICE)
@once.guard
def start():
    """Start next year's campaign from the current one (the form is on the campaign settings page)."""
    source = current_campaign()
    form = NewCampaignForm()
    if form.validate_on_submit():
        try:
            campaign = lifecycle.start_campaign(form.year.data, source, form.checklist.data)
        except DomainError as e:
            db.session.rollback()
            form.year.errors.append(str(e))
        else:
            copied = f"已复制 {source.year} 年度的单位、评议组和检查清单" if source else "已载入默认检查清单和全部在用单位"
            flash(f"已开始“{campaign.title}”，{copied}，请核对各项设置和阶段日期")
            return redirect(url_for("campaigns.settings"))
    message = "；".join(e for errors in form.errors.values() for e in errors)
    flash(f"未能开始新年度评议：{message}", "error")
    return redirect(url_for("campaigns.settings"))


@bp.post("/surveys/setup/defaults")
@role_required(OFFICE)
def set_up_scoring_defaults():
    """The survey set-up page's button: the default questionnaires and scoring rules for this year."""
    try:
        lifecycle.set_up_scoring_defaults(campaign_or_404(), current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash("已建立默认的测评选项、测评对象类别、问卷和综合评定办法", "success")
    return redirect(url_for("surveys.setup"))


@bp.before_app_request
def refuse_changes_to_a_past_year():
    """While a past year is being looked at, every change is refused with a message (nothing is written)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or request.endpoint in ALWAYS_ALLOWED:
        return None
    if not session.get("viewed_year"):  # only set by a signed-in user on /years/<year>; the user is not loaded here
        return None
    campaign = current_campaign()
    if campaign is None or not services.is_read_only(campaign):
        return None
    latest = services.latest_campaign()
    return render_template("errors/error.html", code=409, title="往年评议只能查看",
                           message=f"您正在查看 {campaign.year} 年度（已结束）的记录，只能查看和下载，不能修改。"
                                   f"请先回到 {latest.year} 年度再办理。"), 409


@bp.app_context_processor
def year_switcher():
    """The past-year banner (the header's year switcher: template_helpers.site_header)."""
    if not current_user.is_authenticated:
        return {}
    campaign = current_campaign()
    return {"viewing_past": services.is_read_only(campaign),
            "latest_campaign": services.latest_campaign()}
