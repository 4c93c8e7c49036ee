"""The audit log for the office and leaders."""
from flask import Blueprint, request

from pingyi.audit import labels
from pingyi.audit.services import search_entries
from pingyi.auth.roles import LEADER, OFFICE, role_required
from pingyi.extensions import db
from pingyi.htmx import render

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")



@bp.get("")
@role_required(OFFICE, LEADER)
def index():
    q = request.args.get("q", "").strip()
    object_type = request.args.get("type", "")
    page = db.paginate(search_entries(q, object_type), page=request.args.get("page", 1, type=int),
                       per_page=50, error_out=False)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render("audit/index.html", "audit/_list.html", page=page, q=q, object_type=object_type,
                  labels=labels.OBJECTS, actions=labels.ACTIONS, describe=labels.describe, args=args)
