"""The audit log for the office and leaders, its export, and the record of every file that leaves."""
from datetime import date

from flask import Blueprint, request, send_file
from sqlalchemy import select
from werkzeug.http import parse_options_header

from pingyi.audit import services
from pingyi.auditlog import labels
from pingyi.auth.models import User
from pingyi.auth.roles import LEADER, OFFICE, role_required
from pingyi.extensions import db
from pingyi.forms import link_args, plain_int
from pingyi.htmx import render
from pingyi.timeutil import cn_date, local, now
from pingyi.units.models import Unit

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


@bp.app_template_filter("cn_datetime_s")
def cn_datetime_s(dt):
    """A stored time as county time to the second, as evidence reads: 2026年11月26日 14:05:09."""
    if dt is None:
        return ""
    t = local(dt)
    return f"{cn_date(t)} {t:%H:%M:%S}"


def _day(raw):
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


def _filters():
    args = request.args
    return {"q": args.get("q", "").strip()[:100], "object_type": args.get("type", ""),
            "user_id": plain_int(args.get("user")), "unit_id": plain_int(args.get("unit")),
            "action": args.get("action", ""), "date_from": _day(args.get("from")), "date_to": _day(args.get("to")),
            "with_access": True}


@bp.get("")
@role_required(OFFICE, LEADER)
def index():
    filters = _filters()
    page = db.paginate(services.search_entries(**filters), page=request.args.get("page", 1, type=int),
                       per_page=50, error_out=False)
    args = link_args(request.args)
    people = db.session.scalars(select(User).order_by(User.role, User.display_name)).all()
    units = db.session.scalars(select(Unit).order_by(Unit.category, Unit.sort_order)).all()
    return render("audit/index.html", "audit/_list.html", page=page, filters=filters, people=people,
                  units=units, labels=labels.OBJECTS, actions=labels.ACTIONS, describe=labels.describe, what=labels.what, args=args)


@bp.get("/export.xlsx")
@role_required(OFFICE, LEADER)
def export():
    """The filtered entries (newest first, up to EXPORT_LIMIT); the download itself is audited below."""
    entries = db.session.scalars(services.search_entries(**_filters()).limit(services.EXPORT_LIMIT)).all()
    data = services.export_entries(entries, labels.describe, labels.what)
    return send_file(data, as_attachment=True, download_name=f"操作日志_{now():%Y%m%d_%H%M}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", max_age=0)


# What each download route hands out, and the view argument naming the record.
DOWNLOADS = {
    "board.download": ("stored_file", "file_id"),
    "documents.download": ("issued_document", "document_id"),
    "documents.batch_download": ("document_batch", "batch_id"),
    "units.export": ("unit", None),
    "findings.export": ("finding", None),
    "results.export": ("result_version", None),
    "audit.export": ("audit_entry", None),
    "backups.download": ("job", None),
}


def _record_of(object_type, object_id):
    for mapper in db.Model.registry.mappers:
        if getattr(mapper.local_table, "name", None) == object_type:
            return db.session.get(mapper.class_, object_id)
    return None


@bp.after_app_request
def audit_downloads(response):
    """Every file the app hands out (an export, a document, evidence) leaves an entry: who, what, from where.

    One place for all routes, so a download added later is recorded too: any successful response sent as
    an attachment counts; .xlsx and .csv are exports, everything else downloads.
    """
    disposition, options = parse_options_header(response.headers.get("Content-Disposition", ""))
    if disposition != "attachment" or response.status_code not in (200, 206):
        return response
    filename = options.get("filename", "")
    object_type, arg = DOWNLOADS.get(request.endpoint, ("document" if filename.endswith(".docx") else "download",
                                                         None))
    view_args = request.view_args or {}
    object_id = view_args.get(arg) if arg else None
    unit_id = view_args.get("unit_id")
    if object_id is not None and unit_id is None:
        unit_id = getattr(_record_of(object_type, object_id), "unit_id", None)
    export = filename.lower().endswith((".xlsx", ".csv"))
    detail = {"filename": filename}
    if request.query_string:
        detail["filters"] = request.query_string.decode("utf-8", "replace")
    services.record_event("export" if export else "download", object_type, object_id,
                          f"{'导出' if export else '下载'} {filename}", unit_id=unit_id, after=detail)
    db.session.commit()
    return response
