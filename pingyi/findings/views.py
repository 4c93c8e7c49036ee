"""Inspections and findings: entry (phone-friendly), the list with filters, review, the matrix."""
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf as csrf_token
from markupsafe import Markup
from sqlalchemy import select

from pingyi import once, policy
from pingyi.auth.roles import EVALUATOR, LEADER, OFFICE, STAFF, SUPERVISOR, UNIT, role_required
from pingyi.cache.services import kept, kept_html
from pingyi.campaigns.services import campaign_or_404
from pingyi.checklists.models import CheckItem
from pingyi.checklists.services import dimensions
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.files.services import read_limited
from pingyi.findings import services
from pingyi.findings.forms import FindingEntry, InspectionForm
from pingyi.findings.models import METHOD_LABELS, SEVERITY_LABELS, STATUS_LABELS, Finding, Inspection, Opinion
from pingyi.forms import clean_text, link_args, plain_int
from pingyi.htmx import is_partial
from pingyi.tasks.services import filtered_units
from pingyi.timeutil import today
from pingyi.campaigns.categories import labels as category_labels
from pingyi.units.models import Unit

bp = Blueprint("findings", __name__, url_prefix="/findings")
INSPECTORS = (OFFICE, EVALUATOR, SUPERVISOR)


def _filters():
    def number(name):
        return plain_int(request.args.get(name, ""))
    return {"unit_id": number("unit"), "group_id": number("group"), "dimension_id": number("dimension"),
            "method": request.args.get("method", ""), "severity": request.args.get("severity", ""),
            "status": request.args.get("status", ""),
            "category": request.args.get("category", ""), "key": request.args.get("key", ""),
            "date_from": services.parse_date(request.args.get("from", "")),
            "date_to": services.parse_date(request.args.get("to", ""))}


@bp.get("")
@login_required
def index():
    """The findings the user may see, 50 a page under the filters. The list, the filter form and the office's
    pending opinions are kept rendered while the data is unchanged, keyed on the role, the user's scope (a unit
    user's unit, an evaluator's or supervisor's own units and drafts), every query argument and the page; the
    user's own drafts are kept per user."""
    campaign = campaign_or_404()
    filters = _filters()
    number = plain_int(request.args.get("page")) or 1
    args = link_args(request.args)
    parts = (campaign.id, current_user.role, _scope_key(), _args_key(filters, args))

    def listing(csrf):
        page = services.finding_page(campaign, current_user, number, **filters)
        return render_template("findings/_list.html", page=page, args=args, csrf=csrf)
    listing_html, = kept_html("findings-list", (*parts, number), listing, clock=None)
    if is_partial():
        return _fragment(listing_html)
    filters_form = Markup("")
    if current_user.role != UNIT:
        filters_form = Markup(kept("findings-filters", parts, lambda: _filters_form(campaign, filters), clock=None))
    opinions = Markup("")
    if current_user.role == OFFICE:
        opinions, = kept_html("findings-opinions", (campaign.id,), lambda csrf: render_template(
            "findings/_opinions.html", opinions=services.pending_opinions(campaign, current_user), csrf=csrf),
            clock=None)
    drafts = []
    if current_user.role in INSPECTORS:
        drafts = kept("findings-drafts", (campaign.id, current_user.id),
                      lambda: services.my_drafts(campaign, current_user), clock=None)
    return _fragment(render_template("findings/index.html", drafts=drafts, filters_form=filters_form,
                                     listing=listing_html, opinions=opinions))


def _scope_key():
    """Whose findings the user sees, beyond the role: a unit user's unit, an evaluator's or supervisor's own
    (their units and their drafts), nobody's in particular for the office and leaders."""
    if current_user.role == UNIT:
        return ("unit", current_user.unit_id)
    if current_user.role in (EVALUATOR, SUPERVISOR):
        return ("user", current_user.id)
    return None


def _args_key(filters, args):
    """Every query argument a kept part depends on, as parsed filters and as carried into its links."""
    return (tuple((k, repr(v)) for k, v in sorted(filters.items())), tuple(sorted(args.items())))


def _filters_form(campaign, filters):
    return render_template("findings/_filters.html", filters=filters, groups=services.group_choices(campaign),
                           categories=category_labels(campaign),
                           dims=services.dimension_choices(campaign),
                           units=_unit_choices(campaign), methods=METHOD_LABELS, severities=SEVERITY_LABELS,
                           statuses=STATUS_LABELS)


def _unit_choices(campaign):
    """Units the user may record findings for (all for office and leaders' filters): [{id, name}], kept while
    the data is unchanged (per user for evaluators and supervisors, whose units are their own)."""
    scoped = current_user.role in (EVALUATOR, SUPERVISOR)

    def work():
        stmt = (select(Unit.id, Unit.name).where(Unit.id.in_(filtered_units(campaign)))
                .order_by(Unit.category, Unit.sort_order))
        if scoped:
            stmt = stmt.where(Unit.id.in_(policy.inspected_unit_ids(current_user, campaign) or {0}))
        return [{"id": row.id, "name": row.name} for row in db.session.execute(stmt)]
    return kept("finding-units", (campaign.id, current_user.role, current_user.id if scoped else None), work,
                clock=None)


def _entry_choices(entry, dims):
    entry.dimension_id.choices = [(0, "请选择")] + [(d.id, d.name) for d in dims]
    entry.item_id.choices = [(0, "（不对应具体检查项）")] + [(i.id, f"{d.name}：{i.text}") for d in dims for i in d.items]


def _inspection_form(campaign, obj=None, blank=False):
    """The entry form on the request's data (or blank / from `obj` for a GET), with its choices."""
    form = InspectionForm(formdata=None, obj=obj) if blank else InspectionForm(obj=obj)
    dims = dimensions(campaign.id)
    form.unit_id.choices = [(0, "请选择")] + [(u["id"], u["name"]) for u in _unit_choices(campaign)]
    for entry in form.findings:
        _entry_choices(entry.form, dims)
    return form, dims


def _collect(form):
    findings = []
    for position, entry in enumerate(form.findings):
        e = entry.form
        uploads = [(f.filename, read_limited(f.stream)) for f in request.files.getlist(e.files.name) if f.filename]
        if not (e.description.data or "").strip() and not e.dimension_id.data and not uploads:
            continue  # an added block left empty is not a finding
        if not e.dimension_id.data and e.item_id.data:
            item = db.session.get(CheckItem, e.item_id.data)
            e.dimension_id.data = item.dimension_id if item else 0
        findings.append({"dimension_id": e.dimension_id.data, "item_id": e.item_id.data or None,
                         "description": e.description.data or "", "severity": e.severity.data,
                         "source": e.source.data, "reporter": e.reporter.data or "",
                         "confidential": e.confidential.data, "uploads": uploads, "position": position})
    opinions = [line for line in (form.opinions.data or "").splitlines() if line.strip()]
    values = {k: getattr(form, k).data or ("" if k != "held_on" else None)
              for k in ("method", "held_on", "place", "participants", "summary")}
    return values, findings, opinions


def _save(campaign, form, inspection=None):
    """Run the inspection form; return a response on success, None to re-render with the errors."""
    if not form.validate_on_submit():
        return None
    unit = db.session.get(Unit, form.unit_id.data) if form.unit_id.data else None
    if unit is None:
        form.unit_id.errors.append("请选择被评议单位")
        return None
    submit = bool(form.submit.data)
    values, findings, opinions = _collect(form)
    try:
        saved = services.save_inspection(campaign, unit, current_user, values, findings, opinions, submit,
                                         inspection, form.version.data)
    except services.FindingsRefused as e:
        db.session.rollback()
        form.form_errors.append(str(e))
        for index, message in e.problems.items():
            form.findings[findings[index]["position"]].form.description.errors.append(message)
        return None
    except DomainError as e:
        db.session.rollback()
        form.form_errors.append(str(e))
        return None
    flash(f"已提交{unit.name}的检查记录，待纠风办审核" if submit else "已保存草稿，可稍后继续填写并提交")
    return redirect(url_for("findings.show_inspection", inspection_id=saved.id, saved=1))


@bp.route("/new", methods=["GET", "POST"])
@role_required(*INSPECTORS)
@once.guard
def create():
    campaign = campaign_or_404()
    form, dims = _inspection_form(campaign, blank=request.method == "GET")
    if request.method == "GET":
        form.held_on.data = today()
        if plain_int(request.args.get("unit")) is not None:
            form.unit_id.data = plain_int(request.args["unit"])
        if not form.findings.entries:
            form.findings.append_entry()
            _entry_choices(form.findings[-1].form, dims)
            form.findings[-1].form.source.data = form.method.data or "unannounced"  # as the chosen method
    response = _save(campaign, form) if request.method == "POST" else None
    if response is not None:
        return response
    return render_template("findings/form.html", form=form, inspection=None,
                           existing=[]), 422 if request.method == "POST" else 200


@bp.get("/new/finding")
@role_required(*INSPECTORS)
def finding_row():
    """One more blank finding block for the entry form (htmx appends it)."""
    campaign = campaign_or_404()
    index = plain_int(request.args.get("index")) or 0
    entry = FindingEntry(prefix=f"findings-{index}-")
    _entry_choices(entry, dimensions(campaign.id))
    return render_template("findings/_new_entry.html", entry=entry, index=index, next_index=index + 1, oob=True)


def _inspection(inspection_id):
    inspection = db.get_or_404(Inspection, inspection_id)
    if inspection.campaign_id != campaign_or_404().id:
        abort(404)
    user = current_user
    if user.role == "unit":
        abort(404)
    if user.role in (EVALUATOR, SUPERVISOR) and inspection.created_by_id != user.id and (
            inspection.status == "draft" or not policy.can_inspect(user, inspection.unit_id, campaign_or_404())):
        abort(404)
    if user.role in (OFFICE, LEADER) and inspection.status == "draft" and inspection.created_by_id != user.id:
        abort(404)
    return inspection


@bp.get("/inspections/<int:inspection_id>")
@role_required(*STAFF)
def show_inspection(inspection_id):
    inspection = _inspection(inspection_id)
    rows = services.finding_rows(campaign_or_404(), current_user, Finding.inspection_id == inspection.id)
    return render_template("findings/inspection.html", inspection=inspection, rows=rows,
                           just_saved=request.args.get("saved") == "1")


@bp.route("/inspections/<int:inspection_id>/edit", methods=["GET", "POST"])
@role_required(*INSPECTORS)
def edit_inspection(inspection_id):
    campaign = campaign_or_404()
    inspection = _inspection(inspection_id)
    if inspection.created_by_id != current_user.id or inspection.status != "draft":
        flash("只有自己的草稿可以修改", "error")
        return redirect(url_for("findings.show_inspection", inspection_id=inspection.id))
    if request.method == "GET":
        form, dims = _inspection_form(campaign, obj=inspection, blank=True)
        form.version.data = inspection.version
        form.opinions.data = "\n".join(o.text for o in inspection.opinions)
        while form.findings.entries:
            form.findings.pop_entry()
        for f in inspection.findings:
            form.findings.append_entry({"dimension_id": f.dimension_id, "item_id": f.item_id or 0,
                                        "description": f.description, "severity": f.severity, "source": f.source,
                                        "reporter": f.reporter, "confidential": f.confidential})
            _entry_choices(form.findings[-1].form, dims)
        return render_template("findings/form.html", form=form, inspection=inspection, existing=inspection.findings)
    form, dims = _inspection_form(campaign)
    response = _save(campaign, form, inspection)
    if response is not None:
        return response
    return render_template("findings/form.html", form=form, inspection=inspection,
                           existing=inspection.findings), 422


@bp.post("/inspections/<int:inspection_id>/delete")
@role_required(*INSPECTORS)
def delete_inspection(inspection_id):
    inspection = _inspection(inspection_id)
    try:
        services.delete_draft(inspection, current_user)
    except DomainError as e:
        flash(str(e), "error")
        return redirect(url_for("findings.show_inspection", inspection_id=inspection.id))
    flash("已删除草稿")
    return redirect(url_for("findings.index"))


def _finding(finding_id):
    finding = db.get_or_404(Finding, finding_id)
    if finding.campaign_id != campaign_or_404().id:
        abort(404)
    return finding


def _reviewed(finding, message, error=None):
    if error:
        flash(error, "error")
    else:
        flash(message)
    if is_partial():
        row, = services.finding_rows(campaign_or_404(), current_user, Finding.id == finding.id)
        return render_template("findings/_row.html", f=row, csrf=csrf_token(), is_fragment=True, show_flash=True,
                               findings_url=url_for("findings.index"), checklist_url=url_for("units.index"))
    return redirect(request.referrer or url_for("findings.index"))


@bp.post("/<int:finding_id>/confirm")
@role_required(OFFICE)
def confirm(finding_id):
    finding = _finding(finding_id)
    try:
        services.confirm_finding(finding, current_user)
    except DomainError as e:
        db.session.rollback()
        return _reviewed(finding, None, str(e))
    return _reviewed(finding, f"已确认问题 #{finding.id}")


@bp.post("/<int:finding_id>/dismiss")
@role_required(OFFICE)
def dismiss(finding_id):
    finding = _finding(finding_id)
    try:
        services.dismiss_finding(finding, current_user, clean_text(request.form.get("reason", "")))
    except DomainError as e:
        db.session.rollback()
        return _reviewed(finding, None, str(e))
    return _reviewed(finding, f"问题 #{finding.id} 不予采纳")


@bp.post("/<int:finding_id>/merge")
@role_required(OFFICE)
def merge(finding_id):
    finding = _finding(finding_id)
    target_id = request.form.get("target", "")
    target = db.session.get(Finding, plain_int(target_id)) if plain_int(target_id) is not None else None
    try:
        if plain_int(target_id) is None:
            raise DomainError("请填写要合并到的问题编号")
        if target is None or target.campaign_id != finding.campaign_id:
            raise DomainError(f"找不到本年度的问题 #{target_id}")
        services.merge_finding(finding, target, current_user)
    except DomainError as e:
        db.session.rollback()
        return _reviewed(finding, None, str(e))
    return _reviewed(finding, f"已将问题 #{finding.id} 合并到 #{target.id}")


@bp.post("/opinions/<int:opinion_id>/review")
@role_required(OFFICE)
def review_opinion(opinion_id):
    opinion = db.get_or_404(Opinion, opinion_id)
    if opinion.campaign_id != campaign_or_404().id:
        abort(404)
    try:
        if request.form.get("decision") == "confirm":
            services.confirm_opinion(opinion, current_user)
            flash("已采纳该意见建议")
        else:
            services.dismiss_opinion(opinion, current_user, clean_text(request.form.get("reason", "")))
            flash("该意见建议不予采纳")
    except DomainError as e:
        db.session.rollback()
        flash(str(e), "error")
    return redirect(url_for("findings.index") + "#opinions")


@bp.get("/export.xlsx")
@role_required(*STAFF)
def export():
    campaign = campaign_or_404()
    findings = db.session.scalars(services.search_findings(campaign, current_user, **_filters())).all()
    return send_file(services.export_findings(findings), as_attachment=True,
                     download_name=f"问题清单_{today():%Y%m%d}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.get("/matrix")
@role_required(*STAFF)
def matrix():
    """Units × dimensions; the table (and the filter choices) kept rendered while the data is unchanged, keyed on
    the role, an evaluator's or supervisor's own units, every query argument and the page."""
    campaign = campaign_or_404()
    group = request.args.get("group", "")
    filters = {"category": request.args.get("category", ""), "key": request.args.get("key", ""),
               "group_id": plain_int(group)}
    number = plain_int(request.args.get("page")) or 1
    args = link_args(request.args)

    def work():
        within = (policy.inspected_unit_ids(current_user, campaign)
                  if current_user.role in (EVALUATOR, SUPERVISOR) else None)
        data = services.matrix(campaign, page=number, within=within, **filters)
        return (render_template("findings/_matrix.html", args=args, filters=filters, **data),
                services.group_choices(campaign),
                category_labels(campaign))
    table, groups, categories = kept("findings-matrix", (campaign.id, current_user.role, _scope_key(),
                                                         _args_key(filters, args), number), work, clock=None)
    if is_partial():
        return _fragment(Markup(table))
    return _fragment(render_template("findings/matrix.html", campaign=campaign, filters=filters,
                                     categories=categories, groups=groups, table=Markup(table)))


def _fragment(html):
    """A response of `html`, which differs for htmx swaps (a fragment) and whole pages."""
    response = make_response(html)
    response.vary.add("HX-Request-Type")
    return response
