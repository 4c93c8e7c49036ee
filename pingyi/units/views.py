"""The unit list and the office's unit administration (edit, import, export).

A unit's page (units.show, /units/<id>) draws on every area: it is in pingyi/years/unit_views.py, on this blueprint."""
from flask import (Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, send_file,
                   url_for)
from flask_login import current_user, login_required

from pingyi import once
from pingyi.auth.roles import OFFICE, STAFF, UNIT, role_required
from pingyi.cache.services import kept_html
from pingyi.campaigns import services as campaign_services
from pingyi.campaigns.categories import labels as category_labels
from pingyi.campaigns.categories import same_name
from pingyi.errors import DomainError, StaleEdit
from pingyi.extensions import db
from pingyi.forms import link_args, plain_int, save_versioned
from pingyi.htmx import is_partial
from pingyi.timeutil import today
from pingyi.units import services
from pingyi.units.forms import ImportForm, ParticipationForm, UnitForm
from pingyi.units.kept import render_for_keeping
from pingyi.units.models import Unit

bp = Blueprint("units", __name__)


def _filters():
    group = request.args.get("group", "")
    return {
        "q": request.args.get("q", "").strip(),
        "category": request.args.get("category", ""),
        "key": request.args.get("key", ""),
        "group_id": plain_int(group),
        "status": request.args.get("status", "active"),
    }


def _group_choices(campaign, blank="未分配"):
    groups = campaign.groups if campaign else []
    return [(0, blank)] + [(g.id, g.name) for g in groups]


@bp.get("/units")
@login_required
def index():
    if current_user.role == UNIT:
        return redirect(url_for("units.show", unit_id=current_user.unit_id))
    campaign = campaign_services.current_campaign()
    number = plain_int(request.args.get("page")) or 1
    args = link_args(request.args)
    partial = is_partial()
    # The same for every viewer of a role (the office's rows hold forms, their CSRF token put in as served): kept
    # per (campaign, role, query arguments, page) while the data is unchanged.
    body, = kept_html("unit-list", (campaign.id if campaign else None, current_user.role, partial,
                                    tuple(sorted(args.items())), number),
                      lambda csrf: _list_body(csrf, campaign, number, args, partial), clock=None)
    if partial:
        response = make_response(body)
    else:
        response = make_response(render_template("units/index_page.html", body=body))
    response.vary.add("HX-Request-Type")
    return response


def _list_body(csrf, campaign, number, args, partial):
    filters, categories = _filters(), category_labels(campaign)
    page = services.unit_rows(campaign, number, current_app.config["PAGE_SIZE"], categories, **filters)
    forms = {}
    if current_user.role == OFFICE:
        for unit, part in page.items:
            forms[unit.id] = _participation_form(campaign, part)
    return render_for_keeping(csrf, "units/_list.html" if partial else "units/index.html", page=page, forms=forms,
                              filters=filters, args=args, categories=categories, campaign=campaign,
                              is_fragment=partial)


def _participation_form(campaign, part, formdata=None):
    form = ParticipationForm(formdata=formdata, obj=part, prefix=f"p{part.unit_id}" if part else "p")
    form.group_id.choices = _group_choices(campaign)
    if formdata is None and part is not None:
        form.group_id.data = part.group_id or 0
        form.version.data = part.version
    return form


@bp.route("/admin/units/new", methods=["GET", "POST"])
@role_required(OFFICE)
@once.guard
def create():
    form = UnitForm()
    if form.validate_on_submit():
        try:
            unit = services.create_unit(form.data, campaign_services.current_campaign(), form.is_key.data)
        except DomainError as e:
            form.name.errors.append(str(e))
        else:
            flash(f"已新增单位“{unit.name}”")
            return redirect(url_for("units.show", unit_id=unit.id))
    return render_template("units/form.html", form=form, unit=None), 422 if form.errors else 200


@bp.route("/admin/units/<int:unit_id>/edit", methods=["GET", "POST"])
@role_required(OFFICE)
def edit(unit_id):
    unit = db.get_or_404(Unit, unit_id)
    form = UnitForm(obj=unit)
    del form.is_key
    saved, conflict = save_versioned(form, unit, lambda: services.update_unit(unit, form.version.data, form.data),
                                     form.name)
    if saved:
        flash("已保存")
        return redirect(url_for("units.show", unit_id=unit.id))
    failed = bool(form.errors or conflict)
    return render_template("units/form.html", form=form, unit=unit, conflict=conflict), 422 if failed else 200


@bp.post("/admin/units/<int:unit_id>/active")
@role_required(OFFICE)
def set_active(unit_id):
    unit = db.get_or_404(Unit, unit_id)
    active = request.form.get("active") == "1"
    services.set_unit_active(unit, active)
    flash(f"已{'启用' if active else '停用'}单位“{unit.name}”")
    return redirect(url_for("units.show", unit_id=unit.id))


@bp.post("/admin/units/<int:unit_id>/participation")
@role_required(OFFICE)
def participation(unit_id):
    """Save the key flag and group of one unit row; htmx swaps the row."""
    unit = db.get_or_404(Unit, unit_id)
    campaign = campaign_services.current_campaign()
    if campaign is None:
        abort(404)
    part = campaign_services.ensure_participation(campaign, unit)
    form = _participation_form(campaign, part, formdata=request.form)
    error = None
    if form.validate_on_submit():
        try:
            campaign_services.set_participation(part, form.version.data, form.is_key.data,
                                                form.group_id.data or None)
        except StaleEdit:
            db.session.rollback()
            error = (f"该单位的设置刚被他人修改为：{'重点评议部门' if part.is_key else '非重点'}，"
                     f"{part.group.name if part.group else '未分配评议组'}。如仍以您的选择为准，请再次保存。")
            form.version.data = part.version
        except DomainError as e:
            error = str(e)
            db.session.rollback()
        else:
            form = _participation_form(campaign, part)
    else:
        error = "；".join(e for errors in form.errors.values() for e in errors)
    if is_partial():
        return render_template("units/_row.html", unit=unit, part=part, form=form, error=error,
                               saved=error is None), 422 if error else 200
    flash(error or f"已保存“{unit.name}”的分组")
    return redirect(request.referrer or url_for("units.index"))


@bp.route("/admin/units/import", methods=["GET", "POST"])
@role_required(OFFICE)
def import_units():
    """Upload → checked; a file naming classes the campaign does not have is kept aside for the preview
    (nothing written) until the office maps or creates each of them, or cancels."""
    form = ImportForm()
    problems = None
    if form.validate_on_submit():
        upload = form.file.data
        data, filename = upload.read(current_app.config["IMPORT_MAX_BYTES"] + 1), upload.filename or ""
        try:
            units = services.import_units(filename, data, campaign_services.current_campaign())
        except services.NeedsMapping as e:
            db.session.rollback()
            token = services.keep_for_preview(filename, data)
            return _preview_page(token, filename, e.unknown)
        except services.ImportRefused as e:
            db.session.rollback()
            problems = e.problems
            form.file.errors.append(str(e))
        else:
            flash(f"已导入 {len(units)} 个单位")
            return redirect(url_for("units.index"))
    return render_template("units/import.html", form=form, problems=problems), 422 if form.errors else 200


def _preview_page(token, filename, unknown, choices=None, errors=None, status=200):
    campaign = campaign_services.current_campaign()
    return render_template("units/import_preview.html", token=token, filename=filename, unknown=unknown,
                           same_name=same_name, choices=choices or {}, errors=errors or {},
                           categories=category_labels(campaign, include_retired=False)), status


@bp.post("/admin/units/import/confirm")
@role_required(OFFICE)
def confirm_import():
    token, filename = request.form.get("token", ""), request.form.get("filename", "")[:200]
    kept = services.kept_file(token)
    if kept is None:
        flash("预览已过期或已处理，请重新上传单位名单", "error")
        return redirect(url_for("units.import_units"))
    if request.form.get("action") == "cancel":
        services.discard_kept(token)
        flash("已取消导入，未导入任何单位")
        return redirect(url_for("units.import_units"))
    mapping = {k[len("class-"):]: v for k, v in request.form.items() if k.startswith("class-")}
    try:
        units = services.import_units(filename, kept, campaign_services.current_campaign(), mapping)
    except services.NeedsMapping as e:
        db.session.rollback()
        errors = {same_name(label): "请选择新建该类别或归入哪个已有类别" for label, _ in e.unknown
                  if mapping.get(same_name(label)) in (None, "")}
        return _preview_page(token, filename, e.unknown, mapping, errors or {"_": "所选类别已不可用，请重新选择"}, 422)
    except services.ImportRefused as e:
        db.session.rollback()
        services.discard_kept(token)
        form = ImportForm()
        form.file.errors.append(str(e))
        return render_template("units/import.html", form=form, problems=e.problems), 422
    except DomainError as e:  # e.g. a new class named like a retired one
        db.session.rollback()
        return _preview_page(token, filename, services.classify_file(filename, kept, campaign_services.current_campaign()),
                             mapping, {"_": str(e)}, 422)
    services.discard_kept(token)
    flash(f"已导入 {len(units)} 个单位")
    return redirect(url_for("units.index"))


@bp.get("/units/export.xlsx")
@role_required(*STAFF)
def export():
    campaign = campaign_services.current_campaign()
    units = db.session.scalars(services.search_units(campaign, **_filters())).all()
    data = services.export_units(campaign, units)
    return send_file(data, as_attachment=True, download_name=f"单位名单_{today():%Y%m%d}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
