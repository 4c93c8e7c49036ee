"""/reminders: overdue work by unit, recording 催办 and issuing 催办通知; a unit's history of reminders."""
import io
from datetime import date, timedelta

from flask import Blueprint, flash, make_response, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf as csrf_token
from markupsafe import Markup

from pingyi import policy
from pingyi.auth.roles import LEADER, OFFICE, role_required
from pingyi.cache.services import kept_html
from pingyi.campaigns.services import campaign_or_404
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.forms import plain_int
from pingyi.htmx import is_partial
from pingyi.outbound import services as outbound
from pingyi.reminders import services
from pingyi.paging import page_of_list
from pingyi.reminders.models import METHOD_LABELS
from pingyi.timeutil import today
from pingyi.units.models import Unit

bp = Blueprint("reminders", __name__)
PER_PAGE = 50  # units with overdue work on one page of /reminders
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@bp.get("/reminders")
@role_required(OFFICE, LEADER)
def index():
    return _page(campaign_or_404(), plain_int(request.args.get("page")) or 1)


def _page(campaign, number, errors=None, form=None):
    """Page `number` of the units with overdue work, PER_PAGE a page; without a refused form to show again, its
    body is kept rendered while the data and the hour are unchanged (overdue work follows the clock), each form's
    CSRF token put in as the page is served. An htmx swap (the pager) gets the body alone."""
    if errors:
        body = Markup(_body(campaign, number, csrf_token(), errors, form))
    else:
        body, = kept_html("reminders-page", (campaign.id, current_user.role, number),
                          lambda csrf: _body(campaign, number, csrf))
    response = make_response(body if is_partial() else render_template("reminders/index.html", body=body))
    response.vary.add("HX-Request-Type")
    return response


def _body(campaign, number, csrf, errors=None, form=None):
    groups = services.overdue_work(campaign)
    page = page_of_list(groups, number, PER_PAGE)
    return render_template("reminders/_body.html", campaign=campaign, groups=groups, page=page, methods=METHOD_LABELS,
                           phones=services.phone_list(groups), notices=services.notices(campaign),
                           errors=errors or {}, form=form or {}, csrf=csrf,
                           deadline=(today() + timedelta(days=services.NOTICE_DAYS)).isoformat())


def _back_page():
    """The page of /reminders the form was sent from."""
    return plain_int(request.form.get("page")) or 1


def _to_page(number, **anchor):
    return url_for("reminders.index", page=number, **anchor) if number > 1 else url_for("reminders.index", **anchor)


def _unit_from_form():
    """The unit named by the form, or None (the view then says so)."""
    unit_id = plain_int(request.form.get("unit_id"))
    return db.session.get(Unit, unit_id) if unit_id else None


@bp.post("/reminders/record")
@role_required(OFFICE)
def record():
    campaign = campaign_or_404()
    unit = _unit_from_form()
    if unit is None:
        flash("请选择要催办的单位", "error")
        return redirect(_to_page(_back_page()))
    try:
        on = date.fromisoformat(request.form.get("reminded_on", "").strip())
    except ValueError:
        on = None
    try:
        services.record_reminder(campaign, unit, current_user, on, request.form.get("method", ""),
                                 request.form.get("note", ""))
    except DomainError as e:
        return _page(campaign, _back_page(), {unit.id: str(e)}, request.form), 422
    if request.form.get("method") != "sms":
        flash(f"已登记对{unit.name}的催办")
    elif outbound.configured("sms"):
        flash(f"已登记对{unit.name}的短信催办，短信已排队发送")
    else:
        flash(f"已记录对{unit.name}的短信催办（短信通道未开启，仅登记）")
    return redirect(_to_page(_back_page(), _anchor=f"unit-{unit.id}"))


@bp.post("/reminders/notice")
@role_required(OFFICE)
def notice():
    """Issue a 催办通知 to one unit (unit_id) or county-wide (none), with the new deadline the office sets; the
    Word file is handed over, or, issued from the unit's page (back=unit), listed there for download."""
    campaign = campaign_or_404()
    unit = _unit_from_form()
    if unit is None and request.form.get("unit_id"):
        flash("请选择要催办的单位", "error")
        return redirect(_to_page(_back_page()))
    back = url_for("units.show", unit_id=unit.id, _anchor="documents") if unit and request.form.get("back") == "unit" \
        else _to_page(_back_page())
    try:
        deadline = date.fromisoformat(request.form.get("deadline", "").strip())
    except ValueError:
        deadline = None
    try:
        issued, data = services.issue_notice(campaign, current_user, unit, deadline)
    except DomainError as e:
        db.session.rollback()
        flash(str(e), "error")
        return redirect(back)
    if request.form.get("back") == "unit":
        flash(f"已印发催办通知（{services.notice_number(campaign, issued.number)}），可在下方下载")
        return redirect(back)
    return send_file(io.BytesIO(data), as_attachment=True, download_name=issued.document.filename, mimetype=DOCX,
                     max_age=0)


@bp.get("/units/<int:unit_id>/reminders")
@login_required
def unit_history(unit_id):
    campaign = campaign_or_404()
    policy.require_unit_work(unit_id, campaign)
    unit = db.get_or_404(Unit, unit_id)
    return render_template("reminders/unit.html", campaign=campaign, unit=unit,
                           history=services.unit_history(campaign, unit),
                           groups=services.overdue_work(campaign, unit_id=unit.id))
