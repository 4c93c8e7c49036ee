"""Office administration of user accounts."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from pingyi import once
from pingyi.auth import services
from pingyi.auth.forms import ResetPasswordForm, UserForm
from pingyi.auth.models import User
from pingyi.auth.roles import OFFICE, ROLE_LABELS, SUPERVISOR, role_required
from pingyi.campaigns import services as campaign_services
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.forms import link_args, plain_int, save_versioned
from pingyi.htmx import render
from pingyi.units import services as unit_services
from pingyi.units.models import Unit

bp = Blueprint("users", __name__, url_prefix="/admin/users")


def _user_form(formdata=None, user=None):
    form = UserForm(formdata=formdata, obj=user)
    units = db.session.scalars(select(Unit).where(Unit.active).order_by(Unit.category, Unit.sort_order)).all()
    if user is not None and user.unit is not None and not user.unit.active:
        units.append(user.unit)
    form.unit_id.choices = [(0, "（无）")] + [(u.id, u.name + ("（已停用）" if not u.active else "")) for u in units]
    if formdata is None and user is not None:
        form.unit_id.data = user.unit_id or 0
        form.version.data = user.version
    return form


@bp.get("")
@role_required(OFFICE)
def index():
    q = request.args.get("q", "").strip()
    role = request.args.get("role", "")
    stmt = select(User).order_by(User.role, User.username)
    if q:
        stmt = stmt.outerjoin(Unit).where(or_(User.username.like(f"%{q}%"), User.display_name.like(f"%{q}%"),
                                              Unit.name.like(f"%{q}%")))
    if role in ROLE_LABELS:
        stmt = stmt.where(User.role == role)
    page = db.paginate(stmt, page=plain_int(request.args.get("page")) or 1,
                       per_page=current_app.config["PAGE_SIZE"], error_out=False)
    args = link_args(request.args)
    return render("users/index.html", "users/_list.html", page=page, q=q, role=role, args=args)


@bp.route("/new", methods=["GET", "POST"])
@role_required(OFFICE)
@once.guard
def create():
    form = _user_form(request.form if request.method == "POST" else None)
    if form.validate_on_submit():
        if not form.password.data:
            form.password.errors.append("请设置初始密码")
        else:
            try:
                user = services.create_user(form.username.data, form.role.data, form.password.data,
                                            form.display_name.data, form.unit_id.data or None, form.phone.data or "",
                                            must_change=True)
            except DomainError as e:
                _attach(form, e)
            else:
                flash(f"已创建用户“{user.username}”，首次登录时须修改初始密码")
                return redirect(url_for("users.index"))
    return render_template("users/form.html", form=form, user=None), 422 if form.errors else 200


def _attach(form, error):
    text = str(error)
    field = (form.password if "密码" in text else form.unit_id if "单位" in text
             else form.role if "角色" in text else form.username)
    field.errors.append(text)


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@role_required(OFFICE)
def edit(user_id):
    user = db.get_or_404(User, user_id)
    form = _user_form(request.form if request.method == "POST" else None, user)
    del form.password
    form.username.render_kw = {"readonly": True}
    if request.method == "POST":
        form.username.data = user.username
    saved, conflict = save_versioned(form, user, lambda: services.update_user(
        user, form.version.data, form.display_name.data, form.role.data, form.unit_id.data or None,
        form.phone.data or "", current_user), _attach)
    if saved:
        flash("已保存")
        return redirect(url_for("users.index"))
    failed = bool(form.errors or conflict)
    return render_template("users/form.html", form=form, user=user, conflict=conflict,
                           reset_form=ResetPasswordForm(), **_supervision(user), **_access(user)), 422 if failed else 200


def _access(user):
    """The account's sign-in state for the edit page: a throttle in force and its open sessions."""
    until, failures = services.throttle(user.username, "", user)
    return {"throttled_until": until, "failures": failures, "open_sessions": services.open_sessions(user)}


def _supervision(user):
    """The units a supervisor may be assigned, and those it has, for the edit page."""
    campaign = campaign_services.current_campaign()
    if user.role != SUPERVISOR or campaign is None:
        return {}
    units = db.session.scalars(select(Unit).where(Unit.active).order_by(Unit.category, Unit.sort_order)).all()
    return {"supervision_units": units, "supervised": campaign_services.supervised_unit_ids(campaign, user)}


@bp.post("/<int:user_id>/password")
@role_required(OFFICE)
def reset_password(user_id):
    user = db.get_or_404(User, user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(user, form.password.data, current_user)
        except DomainError as e:
            form.password.errors.append(str(e))
        else:
            flash(f"已重置“{user.username}”的密码，该用户下次登录时须修改密码")
            return redirect(url_for("users.edit", user_id=user.id))
    return render_template("users/form.html", form=_user_form(None, user), user=user, conflict=None,
                           reset_form=form, **_supervision(user), **_access(user)), 422


@bp.post("/<int:user_id>/units")
@role_required(OFFICE)
def supervised_units(user_id):
    """Assign a supervisor the units it visits this campaign."""
    user = db.get_or_404(User, user_id)
    campaign = campaign_services.current_campaign()
    if campaign is None:
        abort(404)
    ids = [plain_int(v) for v in request.form.getlist("unit_id") if plain_int(v) is not None]
    try:
        unit_services.set_supervised_units(campaign, user, ids)
    except DomainError as e:
        db.session.rollback()
        flash(str(e), "error")
    else:
        flash(f"已保存“{user.display_name}”的联系单位（{len(ids)} 个）")
    return redirect(url_for("users.edit", user_id=user.id) + "#supervised")


@bp.post("/<int:user_id>/active")
@role_required(OFFICE)
def set_active(user_id):
    user = db.get_or_404(User, user_id)
    active = request.form.get("active") == "1"
    if user.id == current_user.id and not active:
        flash("不能停用自己的账号", "error")
    else:
        services.set_user_active(user, active)
        flash(f"已{'启用' if active else '停用'}用户“{user.username}”")
    return redirect(url_for("users.edit", user_id=user.id))


@bp.post("/<int:user_id>/unlock")
@role_required(OFFICE)
def unlock(user_id):
    """Lift the sign-in wait of a user who failed too often (audited; the failures stay on record)."""
    user = db.get_or_404(User, user_id)
    services.clear_throttle(user, current_user)
    flash(f"已解除“{user.username}”的登录限制，该用户现在可以登录")
    return redirect(url_for("users.edit", user_id=user.id) + "#access")
