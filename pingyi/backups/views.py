"""/admin/backups: the office sees the last backups, starts one now and downloads an archive."""
from flask import Blueprint, abort, current_app, flash, redirect, send_file, url_for
from flask_login import current_user

from pingyi.auth.roles import OFFICE, role_required
from pingyi.backups import services
from pingyi.errors import DomainError
from pingyi.htmx import render

bp = Blueprint("backups", __name__, url_prefix="/admin/backups")


@bp.app_template_global()
def backup_warning():
    """The banner text for office pages when the last backup is too old (or missing), else ''."""
    if not current_user.is_authenticated or current_user.role != OFFICE:
        return ""
    age = services.last_backup_age()
    if age is None:
        return "系统还没有任何备份"
    if age.days >= current_app.config["BACKUP_WARN_DAYS"]:
        return f"最近一次备份是 {age.days} 天前"
    return ""


@bp.get("")
@role_required(OFFICE)
def index():
    jobs = services.recent_backup_jobs()
    return render("backups/index.html", "backups/_list.html", backups=services.list_backups(), jobs=jobs,
                  running=any(job.active for job in jobs), folder=services.backup_dir())


@bp.post("")
@role_required(OFFICE)
def create():
    try:
        services.start_backup(current_user)
    except DomainError as e:
        flash(str(e), "error")
    else:
        flash("已开始备份，完成后出现在下方列表中")
    return redirect(url_for("backups.index"))


@bp.get("/<name>")
@role_required(OFFICE)
def download(name):
    path = services.archive_path(name)
    if path is None:
        abort(404)
    return send_file(path, as_attachment=True, download_name=name, mimetype="application/zip", max_age=0)
