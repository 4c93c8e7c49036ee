"""The outbound-message log (office only): what was sent to whom (masked), and what failed."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from pingyi.auth.roles import OFFICE, role_required
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.forms import plain_int
from pingyi.outbound import services
from pingyi.outbound.models import CHANNEL_LABELS, STATUS_LABELS, OutboundMessage

bp = Blueprint("outbound", __name__)


@bp.get("/outbound")
@role_required(OFFICE)
def index():
    status = request.args.get("status", "")
    status = status if status in STATUS_LABELS else ""
    page = services.messages(status, plain_int(request.args.get("page")) or 1)
    return render_template("outbound/index.html", page=page, status=status, labels=STATUS_LABELS,
                           counts=services.status_counts(),
                           channels={c: services.configured(c) for c in ("sms", "wecom")}, channel_labels=CHANNEL_LABELS)


@bp.post("/outbound/<int:message_id>/retry")
@role_required(OFFICE)
def retry(message_id):
    message = db.get_or_404(OutboundMessage, message_id)
    try:
        services.retry(message, current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash("已安排立即重试", "success")
    return redirect(url_for("outbound.index", status=request.form.get("status", "")))
