"""Sign in, sign out, change password, one's own sessions."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from pingyi.auth import services
from pingyi.auth.forms import LoginForm, PasswordForm
from pingyi.errors import DomainError

bp = Blueprint("auth", __name__)


def _safe_next(target):
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("dashboard.home")


def _begin(user):
    """Bind this browser to a new server-side session of `user` (a fresh cookie, never an old one)."""
    session.clear()
    session["_sid"] = services.start_session(user)
    login_user(user)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data, form.password.data)
        except DomainError as e:
            error = str(e)
        else:
            _begin(user)
            return redirect(_safe_next(request.args.get("next")))
    status = 422 if (error or form.errors) else 200
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout():
    services.sign_out(current_user._get_current_object())
    logout_user()
    session.clear()
    flash("您已退出登录，该账号在所有设备上的登录均已结束")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(user, form.old_password.data, form.new_password.data)
        except DomainError as e:
            field = form.old_password if "原密码" in str(e) else form.new_password
            field.errors.append(str(e))
        else:
            _begin(user)
            flash("密码已修改；该账号在其他设备上的登录均已结束")
            return redirect(url_for("dashboard.home"))
    status = 422 if form.errors else 200
    return render_template("auth/password.html", form=form), status


@bp.get("/account/sessions")
@login_required
def sessions():
    current = services.current_session(current_user, session.get("_sid"))
    listed = sorted(services.open_sessions(current_user), key=lambda s: current is None or s.id != current.id)
    return render_template("auth/sessions.html", sessions=listed, current=current)


@bp.post("/account/sessions/<int:session_id>/end")
@login_required
def end_session(session_id):
    current = services.current_session(current_user, session.get("_sid"))
    if current is not None and current.id == session_id:
        flash("这是您正在使用的会话；要结束它，请退出登录", "error")
    else:
        try:
            services.end_session(current_user._get_current_object(), session_id)
        except DomainError as e:
            flash(str(e), "error")
        else:
            flash("已结束该会话，那台设备须重新登录")
    return redirect(url_for("auth.sessions"))


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions():
    count = services.end_other_sessions(current_user._get_current_object(), session.get("_sid"))
    flash(f"已结束其他 {count} 个会话" if count else "没有其他会话")
    return redirect(url_for("auth.sessions"))
