"""/reminders: overdue work by unit, recording 催办 and issuing 催办通知; a unit's history of reminders."""
import io
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from pingyi import policy
from pingyi.auth.roles import LEADER, OFFICE, role_required
from pingyi.campaigns.services import campaign_or_404
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.forms import plain_int
from pingyi.reminders import services
from pingyi.reminders.models import METHOD_LABELS
from pingyi.units.models import Unit

bp = Blueprint("reminders", __name__)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@bp.get("/reminders")
@role_required(OFFICE, LEADER)
def index():
    campaign = campaign_or_404()
    groups = services.overdue_work(campaign)
    return render_template("reminders/index.html", campaign=campaign, groups=groups, methods=METHOD_LABELS,
                           phones=services.phone_list(groups), notices=services.notices(campaign),
                           errors={}, form={})


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
        return redirect(url_for("reminders.index"))
    try:
        on = date.fromisoformat(request.form.get("reminded_on", "").strip())
    except ValueError:
        on = None
    try:
        services.record_reminder(campaign, unit, current_user, on, request.form.get("method", ""),
                                 request.form.get("note", ""))
    except DomainError as e:
        groups = services.overdue_work(campaign)
        return render_template("reminders/index.html", campaign=campaign, groups=groups, methods=METHOD_LABELS,
                               phones=services.phone_list(groups), notices=services.notices(campaign),
                               errors={unit.id: str(e)}, form=request.form), 422
    flash(f"已登记对{unit.name}的催办")
    return redirect(url_for("reminders.index", _anchor=f"unit-{unit.id}"))


@bp.post("/reminders/notice")
@role_required(OFFICE)
def notice():
    """Issue a 催办通知 to one unit (unit_id) or county-wide (none) and hand over the Word file."""
    campaign = campaign_or_404()
    unit = _unit_from_form()
    if unit is None and request.form.get("unit_id"):
        flash("请选择要催办的单位", "error")
        return redirect(url_for("reminders.index"))
    try:
        issued, data = services.issue_notice(campaign, current_user, unit)
    except DomainError as e:
        flash(str(e), "error")
        return redirect(url_for("reminders.index"))
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
