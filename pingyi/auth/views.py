"""Sign in, sign out, change password."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from pingyi.auth import services
from pingyi.auth.forms import LoginForm, PasswordForm
from pingyi.errors import DomainError

bp = Blueprint("auth", __name__)


def _safe_next(target):
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data, form.password.data, request.remote_addr or "")
        except DomainError as e:
            error = str(e)
        else:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    status = 422 if (error or form.errors) else 200
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash("您已退出登录")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user._get_current_object(), form.old_password.data,
                                     form.new_password.data)
        except DomainError as e:
            field = form.old_password if "原密码" in str(e) else form.new_password
            field.errors.append(str(e))
        else:
            flash("密码已修改")
            return redirect(url_for("dashboard.index"))
    status = 422 if form.errors else 200
    return render_template("auth/password.html", form=form), status
