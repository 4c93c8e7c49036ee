"""Office editing of the checklist: the template and the current campaign's copy."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from pingyi import once
from pingyi.auth.roles import OFFICE, role_required
from pingyi.campaigns.services import current_campaign
from pingyi.checklists import services
from pingyi.checklists.forms import DimensionForm, ItemForm
from pingyi.checklists.models import CheckItem, Dimension
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.forms import save_versioned

bp = Blueprint("checklists", __name__, url_prefix="/admin/checklist")
SCOPES = ("template", "campaign")


def _campaign_id(scope):
    if scope not in SCOPES:
        abort(404)
    if scope == "template":
        return None
    campaign = current_campaign()
    if campaign is None:
        abort(404)
    return campaign.id


def _back(scope, anchor=""):
    return redirect(url_for("checklists.index", scope=scope) + anchor)


@bp.get("", defaults={"scope": "template"})
@bp.get("/<scope>")
@role_required(OFFICE)
def index(scope):
    campaign_id = _campaign_id(scope)
    return render_template("checklists/index.html", scope=scope, dims=services.dimensions(campaign_id),
                           dim_form=DimensionForm(), item_form=ItemForm(), errors={})


def _dimension(scope, dim_id):
    dim = db.get_or_404(Dimension, dim_id)
    if dim.campaign_id != _campaign_id(scope):
        abort(404)
    return dim


def _item(scope, item_id):
    item = db.get_or_404(CheckItem, item_id)
    _dimension(scope, item.dimension_id)
    return item


@bp.post("/<scope>/dimensions")
@role_required(OFFICE)
@once.guard
def create_dimension(scope):
    campaign_id = _campaign_id(scope)
    form = DimensionForm()
    if form.validate_on_submit():
        dim = services.save_dimension(campaign_id, None, None, form.name.data)
        flash(f"已新增评议方面“{dim.name}”")
        return _back(scope, f"#dim-{dim.id}")
    return render_template("checklists/index.html", scope=scope, dims=services.dimensions(campaign_id),
                           dim_form=form, item_form=ItemForm(), errors={}), 422


@bp.route("/<scope>/dimensions/<int:dim_id>/edit", methods=["GET", "POST"])
@role_required(OFFICE)
def edit_dimension(scope, dim_id):
    dim = _dimension(scope, dim_id)
    form = DimensionForm(obj=dim)
    saved, conflict = save_versioned(form, dim, lambda: services.save_dimension(
        dim.campaign_id, dim, form.version.data, form.name.data), form.name)
    if saved:
        flash("已保存")
        return _back(scope, f"#dim-{dim.id}")
    failed = bool(form.errors or conflict)
    return render_template("checklists/edit.html", scope=scope, form=form, dim=dim, item=None,
                           conflict=conflict), 422 if failed else 200


@bp.post("/<scope>/dimensions/<int:dim_id>/delete")
@role_required(OFFICE)
def delete_dimension(scope, dim_id):
    dim = _dimension(scope, dim_id)
    try:
        services.delete_dimension(dim)
    except DomainError as e:
        flash(str(e), "error")
    else:
        flash(f"已删除评议方面“{dim.name}”")
    return _back(scope)


@bp.post("/<scope>/dimensions/<int:dim_id>/move")
@role_required(OFFICE)
def move_dimension(scope, dim_id):
    dim = _dimension(scope, dim_id)
    services.move_dimension(dim, -1 if request.form.get("direction") == "up" else 1)
    return _back(scope, f"#dim-{dim.id}")


@bp.post("/<scope>/dimensions/<int:dim_id>/items")
@role_required(OFFICE)
@once.guard
def create_item(scope, dim_id):
    dim = _dimension(scope, dim_id)
    form = ItemForm()
    if form.validate_on_submit():
        item = services.save_item(dim, None, None, form.text.data.strip(), form.polarity.data)
        flash("已新增检查项")
        return _back(scope, f"#item-{item.id}")
    return render_template("checklists/index.html", scope=scope, dims=services.dimensions(dim.campaign_id),
                           dim_form=DimensionForm(), item_form=ItemForm(formdata=None), errors={dim.id: form}), 422


@bp.route("/<scope>/items/<int:item_id>/edit", methods=["GET", "POST"])
@role_required(OFFICE)
def edit_item(scope, item_id):
    item = _item(scope, item_id)
    form = ItemForm(obj=item)
    saved, conflict = save_versioned(form, item, lambda: services.save_item(
        item.dimension, item, form.version.data, form.text.data.strip(), form.polarity.data), form.text)
    if saved:
        flash("已保存")
        return _back(scope, f"#item-{item.id}")
    failed = bool(form.errors or conflict)
    return render_template("checklists/edit.html", scope=scope, form=form, dim=item.dimension, item=item,
                           conflict=conflict), 422 if failed else 200


@bp.post("/<scope>/items/<int:item_id>/delete")
@role_required(OFFICE)
def delete_item(scope, item_id):
    item = _item(scope, item_id)
    try:
        services.delete_item(item)
    except DomainError as e:
        flash(str(e), "error")
        return _back(scope, f"#item-{item.id}")
    flash("已删除检查项")
    return _back(scope)


@bp.post("/<scope>/items/<int:item_id>/move")
@role_required(OFFICE)
def move_item(scope, item_id):
    item = _item(scope, item_id)
    services.move_item(item, -1 if request.form.get("direction") == "up" else 1)
    return _back(scope, f"#item-{item.id}")
