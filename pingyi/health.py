"""/healthz for monitoring: the database answers, free space for uploads, age of the last backup."""
import shutil
from pathlib import Path

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from pingyi.backups.services import last_backup_age
from pingyi.extensions import db

bp = Blueprint("health", __name__)


def _free_mb(folder):
    path = Path(folder)
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free // (1024 * 1024)


@bp.get("/healthz")
def healthz():
    """No sign-in; says nothing beyond these three figures. 503 when the database does not answer."""
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except Exception:
        db.session.rollback()
        current_app.logger.exception("healthz: database unreachable")
        return jsonify(database="unreachable"), 503
    age = last_backup_age()
    return jsonify(database="ok", upload_free_mb=_free_mb(current_app.config["UPLOAD_DIR"]),
                   last_backup_age_hours=round(age.total_seconds() / 3600, 1) if age is not None else None)
