"""A unit's six-dimension checklist: self-check and evaluators' rating side by side, edited row by row.

It shows each item's confirmed findings beside the ratings, so it sits here above the checklist area."""
import json

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from pingyi import policy
from pingyi.cache.services import kept_html
from pingyi.campaigns.services import current_campaign
from pingyi.checklists import services
from pingyi.checklists.forms import AssessmentForm
from pingyi.checklists.models import ASSESSMENT_KINDS, RATING_LABELS, RATING_MEANING, CheckItem, Dimension
from pingyi.errors import DomainError, StaleEdit
from pingyi.extensions import db
from pingyi.files.services import read_limited
from pingyi.findings.services import confirmed_for_unit
from pingyi.htmx import is_partial, render
from pingyi.units.kept import render_for_keeping
from pingyi.units.models import Unit

bp = Blueprint("unit_checklists", __name__)


def _unit_and_campaign(unit_id):
    policy.require_unit(unit_id)
    unit = db.get_or_404(Unit, unit_id)
    campaign = current_campaign()
    if campaign is None or not policy.can_see_unit_work(current_user, unit.id, campaign):
        abort(404)
    return unit, campaign


def _item(campaign, item_id):
    item = db.get_or_404(CheckItem, item_id)
    if db.session.get(Dimension, item.dimension_id).campaign_id != campaign.id:
        abort(404)
    return item


def _may_edit(kind, unit, campaign):
    return services.may_edit(current_user, kind, unit, campaign)


def _context(unit, campaign):
    return {"unit": unit, "campaign": campaign, "labels": RATING_LABELS, "meaning": RATING_MEANING,
            "kinds": ASSESSMENT_KINDS,
            "can_self": _may_edit("self", unit, campaign)[0], "can_review": _may_edit("review", unit, campaign)[0]}


@bp.get("/units/<int:unit_id>/checklist")
@login_required
def show(unit_id):
    policy.require_unit(unit_id)
    campaign = current_campaign()
    if campaign is None or not policy.can_see_unit_work(current_user, unit_id, campaign):
        abort(404)
    # Past the checks above, what the viewer may do here follows from the role alone (a liaison: its own unit,
    # the self-check open until phase 2 ends; an evaluator or supervisor who sees the unit's work rates it): the
    # page is kept per (campaign, unit, role) while the data and the day are unchanged; the summary that htmx
    # reloads after a save is kept apart.
    partial = is_partial()
    body, title = kept_html("unit-checklist", (campaign.id, unit_id, current_user.role, partial),
                            lambda csrf: _checklist_body(csrf, unit_id, campaign, partial), clock="day")
    if partial:
        response = make_response(body)
    else:
        response = make_response(render_template("checklists/unit_page.html", body=body, title=title))
    response.vary.add("HX-Request-Type")
    return response


def _checklist_body(csrf, unit_id, campaign, partial):
    unit = db.get_or_404(Unit, unit_id)
    checklist = services.unit_checklist(campaign, unit, confirmed_for_unit(campaign, unit))
    html = render_for_keeping(csrf, "checklists/_summary.html" if partial else "checklists/unit.html",
                              checklist=checklist, self_open=services.self_check_open(campaign),
                              is_fragment=partial, **_context(unit, campaign))
    return html, unit.name


def _row(unit, campaign, item, editing=None, form=None, error=None, conflict=None, status=200):
    findings = [f for f in confirmed_for_unit(campaign, unit) if f.item_id == item.id]
    row = {"item": item, "self": services.assessment_for(unit, item, "self"),
           "review": services.assessment_for(unit, item, "review"), "findings": findings}
    if editing and form is None:
        current = row[editing]
        form = AssessmentForm(obj=current)
        form.version.data = current.version if current else 0
    return render("checklists/item_page.html", "checklists/_item_row.html", row=row, editing=editing, form=form,
                  error=error, conflict=conflict, number=request.args.get("n", ""), **_context(unit, campaign)), status


@bp.get("/units/<int:unit_id>/checklist/items/<int:item_id>")
@login_required
def row(unit_id, item_id):
    """The row as displayed (htmx swaps it back in when an edit is cancelled)."""
    unit, campaign = _unit_and_campaign(unit_id)
    return _row(unit, campaign, _item(campaign, item_id))


@bp.get("/units/<int:unit_id>/checklist/items/<int:item_id>/<kind>/edit")
@login_required
def edit(unit_id, item_id, kind):
    unit, campaign = _unit_and_campaign(unit_id)
    item = _item(campaign, item_id)
    allowed, reason = _may_edit(kind, unit, campaign)
    if not allowed:
        abort(403, reason)
    return _row(unit, campaign, item, editing=kind)


@bp.post("/units/<int:unit_id>/checklist/items/<int:item_id>/<kind>")
@login_required
def save(unit_id, item_id, kind):
    unit, campaign = _unit_and_campaign(unit_id)
    item = _item(campaign, item_id)
    form = AssessmentForm()
    allowed, reason = _may_edit(kind, unit, campaign)
    if not allowed:
        abort(403, reason)
    if not form.validate_on_submit():
        return _row(unit, campaign, item, kind, form, status=422)
    uploads = [(f.filename, read_limited(f.stream)) for f in request.files.getlist(form.files.name) if f.filename]
    try:
        services.save_assessment(unit, item, kind, current_user, form.rating.data, form.explanation.data,
                                 form.version.data, uploads)
    except StaleEdit:
        db.session.rollback()
        current = services.assessment_for(unit, item, kind)
        form.version.data = current.version if current else 0
        return _row(unit, campaign, item, kind, form, conflict=current, status=422)
    except DomainError as e:
        db.session.rollback()
        return _row(unit, campaign, item, kind, form, error=str(e), status=422)
    if not is_partial():
        flash("已保存")
        return redirect(url_for("unit_checklists.show", unit_id=unit.id) + f"#item-row-{item.id}")
    response, status = _row(unit, campaign, item)
    response.headers["HX-Trigger"] = json.dumps({"checklist-changed": {"target": "#checklist-summary"}})
    return response, status
