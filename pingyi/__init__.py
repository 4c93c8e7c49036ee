"""pingyi: the county's 政风行风评议 platform."""
import os
import secrets

from flask import Flask, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.routing import IntegerConverter

from pingyi import conflicts, headers
from pingyi.config import INSTANCE_DIR, Config
from pingyi.extensions import csrf, db, login_manager, migrate
from pingyi.sessions import SessionInterface


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: enforce foreign keys and use WAL so readers don't block the writer."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL: a commit no longer waits for the disk
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


class IdConverter(IntegerConverter):
    """`<int:…>` in addresses stops where an INTEGER column does: a larger id is no record (404), on any database."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def _secret_key(app):
    """A stable secret in instance/ unless PINGYI_SECRET_KEY sets one."""
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        # Several server processes may start at once: write aside, then link into place (fails if one won).
        INSTANCE_DIR.mkdir(exist_ok=True)
        aside = INSTANCE_DIR / f"secret_key.{os.getpid()}"
        aside.write_text(secrets.token_hex(32))
        os.chmod(aside, 0o600)
        try:
            os.link(aside, path)
        except FileExistsError:
            pass
        finally:
            aside.unlink()
    return path.read_text().strip()


def create_app(overrides=None):
    """Build the app. Tests pass overrides instead of setting environment variables."""
    app = Flask(__name__, template_folder="../templates", static_folder="../static",
                instance_path=str(INSTANCE_DIR))
    app.url_map.converters["int"] = IdConverter
    app.extensions["pingyi.create_app"] = create_app  # how a builder process makes its own (documents.parallel)
    app.config.from_object(Config)
    app.config.from_prefixed_env("PINGYI")
    app.config.update(overrides or {})
    app.config["MAX_CONTENT_LENGTH"] = 5 * app.config["UPLOAD_MAX_BYTES"] + 1024 * 1024
    if app.config["HTTPS"]:
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        INSTANCE_DIR.mkdir(exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(INSTANCE_DIR.parent / "migrations"))
    app.session_interface = SessionInterface()  # a response may leave the browser its cookie (pingyi.sessions)
    login_manager.init_app(app)
    csrf.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.session_protection = "strong"

    from pingyi import models  # noqa: F401  (registers every table)
    from pingyi.cache.services import provide
    from pingyi.notifications import todo
    from pingyi.results.services import compute
    provide(results=compute, todo=todo)  # the kept results and to-do counts are worked out with these
    from pingyi.auditlog.views import bp as audit_bp
    from pingyi.auth.views import bp as auth_bp
    from pingyi.backups.views import bp as backups_bp
    from pingyi.campaigns.views import bp as campaigns_bp
    from pingyi.checklists.views import bp as checklists_bp
    from pingyi.cli import cli
    from pingyi.dashboard.views import bp as dashboard_bp
    from pingyi.documents.views import bp as documents_bp
    from pingyi.documents import letter_views  # noqa: F401  (two letter pages, on the feedback and rectifications blueprints)
    from pingyi.feedback.views import bp as feedback_bp
    from pingyi.findings.unit_checklist_views import bp as unit_checklists_bp
    from pingyi.findings.views import bp as findings_bp
    from pingyi.health import bp as health_bp
    from pingyi.rectifications.views import bp as rectifications_bp
    from pingyi.results.views import bp as results_bp
    from pingyi.surveys.views import bp as surveys_bp
    from pingyi.tasks.views import bp as board_bp
    from pingyi.todo.views import bp as todo_bp
    from pingyi.overview.views import bp as overview_bp
    from pingyi.reminders.views import bp as reminders_bp
    from pingyi.years.views import bp as years_bp
    from pingyi.years import unit_views  # noqa: F401  (a unit's page, on the units blueprint)
    from pingyi.dossier.views import bp as dossier_bp
    from pingyi.units.views import bp as units_bp
    from pingyi.users.views import bp as users_bp

    for blueprint in (auth_bp, dashboard_bp, board_bp, units_bp, unit_checklists_bp, findings_bp, feedback_bp,
                      rectifications_bp, surveys_bp, results_bp, documents_bp, campaigns_bp, checklists_bp, users_bp, audit_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(backups_bp)
    from pingyi.outbound.views import bp as outbound_bp
    from pingyi.surveys.reach_views import bp as reach_bp
    for blueprint in (reach_bp, outbound_bp):  # sampled respondents and outbound messages (issue 17)
        app.register_blueprint(blueprint)
    app.register_blueprint(health_bp)
    for blueprint in (todo_bp, overview_bp, reminders_bp, years_bp, dossier_bp):  # the daily work (issue 13)
        app.register_blueprint(blueprint)
    from pingyi.appeals.views import bp as appeals_bp
    from pingyi.surveys.anomaly_views import bp as anomalies_bp
    for blueprint in (anomalies_bp, appeals_bp):  # survey integrity (issue 17)
        app.register_blueprint(blueprint)
    app.cli.add_command(cli)
    _install_hooks(app)
    from pingyi.surveys import public
    public.install(app)  # the public questionnaire's fast path
    from pingyi.jobs.services import install as install_job_worker
    install_job_worker(app)
    conflicts.install(app)
    if int(app.config["TRUSTED_PROXIES"] or 0) > 0:  # outermost: the fast path too sees the client's address
        from werkzeug.middleware.proxy_fix import ProxyFix
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app


def _install_hooks(app):
    from pingyi import downloads
    from pingyi.template_helpers import install as install_template_helpers

    install_template_helpers(app)
    downloads.install(app)

    @login_manager.user_loader
    def load_user(user_id):
        from pingyi.auth.services import session_user
        from pingyi.campaigns import services as campaigns
        # The server-side session must still be open; the same statement reads the current campaign and the
        # data version, which every signed-in page needs next.
        return session_user(user_id, session.get("_sid"), also=campaigns.with_current_campaign,
                            params=campaigns.current_campaign_params(), take=campaigns.take_current_campaign)

    @app.before_request
    def keep_session_alive():
        session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME of inactivity

    @app.before_request
    def force_password_change():
        if (current_user.is_authenticated and current_user.must_change_password
                and request.endpoint not in ("auth.password", "auth.logout", "static")):
            return redirect(url_for("auth.password"))

    @app.after_request
    def security_headers(response):
        for name, value in headers.security_headers(app.config):
            if name == "Content-Security-Policy":
                response.headers.setdefault(name, value)  # a page may set its own
            else:
                response.headers[name] = value
        return response

    @app.errorhandler(OverflowError)
    def number_too_large(error):
        """An id or number in the address beyond what the database stores: no such record."""
        return render_template("errors/error.html", code=404, title="页面不存在",
                               message="您要找的页面不存在，或您无权查看。"), 404

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        """Mostly a session that timed out while a form stood open: say so and go to the sign-in page."""
        from flask import flash
        if "_user_id" not in session and request.endpoint != "auth.login":
            flash("登录已超时，请重新登录", "error")
            target = url_for("auth.login")
            if request.headers.get("HX-Request"):
                return "", 204, {"HX-Redirect": target}
            return redirect(target)
        return render_template("errors/error.html", code=400, title="请求已失效",
                               message="页面已过期或请求不完整，请返回上一页、刷新后重新提交。"), 400

    for code, title, message in (
        (400, "请求无效", "请求不完整或格式不正确，请返回上一页重新提交。"),
        (403, "无权访问", "您的账号没有访问此页面的权限。"),
        (404, "页面不存在", "您要找的页面不存在，或您无权查看。"),
        (405, "请求方式不正确", "该地址不支持此操作。"),
        (413, "文件过大", "上传的文件超过了大小限制。"),
        (500, "系统出错", "服务器处理请求时出错，请稍后再试；如果反复出现，请联系县纠风办。"),
    ):
        app.register_error_handler(code, _error_page(code, title, message))


def _error_page(code, title, message):
    def handler(error):
        if code == 500:
            db.session.rollback()
        return render_template("errors/error.html", code=code, title=title, message=message), code
    return handler
