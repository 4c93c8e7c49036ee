"""One-click documents: per unit and for the campaign, issued copies, batch zips with progress."""
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from pingyi import policy
from pingyi.auth.roles import OFFICE, UNIT, role_required
from pingyi.documents import services
from pingyi.documents.models import KIND_LABELS, UNIT_KINDS, DocumentBatch, IssuedDocument
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.forms import plain_int
from pingyi.htmx import campaign_or_404, render
from pingyi.results.services import latest_version
from pingyi.campaigns.categories import labels as category_labels
from pingyi.units.models import Unit

bp = Blueprint("documents", __name__)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _send(data, name):
    import io
    return send_file(io.BytesIO(data), as_attachment=True, download_name=name, mimetype=DOCX, max_age=0)


def _missing(error, unit=None):
    flash(str(error), "error")
    if unit is not None:
        return redirect(url_for("units.show", unit_id=unit.id) + "#documents")
    if current_user.role not in (OFFICE, "leader"):
        return redirect(url_for("results.index"))  # the document list is the office's and leaders'
    return redirect(url_for("documents.index"))


def _generate(kind, unit=None):
    """?preview=1 rebuilds without recording; otherwise the document is issued: recorded and kept frozen.
    Only the office and the unit itself issue; the others' downloads are previews."""
    campaign = campaign_or_404()
    try:
        if request.args.get("preview") == "1" or current_user.role not in (OFFICE, UNIT):
            return _send(services.build(kind, campaign, unit), "预览_" + services.filename(kind, campaign, unit))
        doc, data = services.issue(kind, campaign, unit, current_user)
    except services.DocumentMissing as e:
        db.session.rollback()
        return _missing(e, unit)
    return _send(data, doc.filename)


@bp.get("/documents")
@login_required
def index():
    campaign = campaign_or_404()
    if current_user.role == UNIT:
        return redirect(url_for("units.show", unit_id=current_user.unit_id) + "#documents")
    if current_user.role not in (OFFICE, "leader"):
        abort(403)
    batches = db.session.scalars(db.select(DocumentBatch).where(DocumentBatch.campaign_id == campaign.id)
                                 .order_by(DocumentBatch.id.desc()).limit(10)).all()
    return render_template("documents/index.html", campaign=campaign, issued=services.issued_documents(campaign),
                           batches=batches, kinds={k: KIND_LABELS[k] for k in UNIT_KINDS},
                           categories=category_labels(campaign), notice_number=services.notice_number(campaign),
                           bulletin_version=latest_version(campaign))


@bp.get("/documents/notice.docx")
@login_required
def notice():
    if current_user.role == UNIT:
        abort(403)
    return _generate("notice")


@bp.get("/documents/bulletin.docx")
@login_required
def bulletin():
    if current_user.role == UNIT:
        abort(403)
    return _generate("bulletin")


@bp.get('/units/<int:unit_id>/documents/<any("feedback-notice", "rectification-notice", "commitment"):kind>.docx')
@login_required
def unit_document(unit_id, kind):
    policy.require_unit_work(unit_id, campaign_or_404())
    return _generate(kind, db.get_or_404(Unit, unit_id))


@bp.get("/documents/<int:document_id>/download")
@login_required
def download(document_id):
    """An issued document exactly as it was issued (the stored copy, not rebuilt)."""
    doc = db.get_or_404(IssuedDocument, document_id)
    if doc.unit_id is not None:
        policy.require_unit_work(doc.unit_id, campaign_or_404())
    elif current_user.role == UNIT:
        abort(404)
    return send_file(services.stored_path(doc), as_attachment=True, download_name=doc.filename, mimetype=DOCX,
                     max_age=0)


@bp.post("/documents/batches")
@role_required(OFFICE)
def create_batch():
    campaign = campaign_or_404()
    group = request.form.get("group", "")
    try:
        batch = services.start_batch(campaign, request.form.get("kind", ""), current_user,
                                     request.form.get("category", ""), request.form.get("key", ""),
                                     plain_int(group))
    except DomainError as e:
        flash(str(e), "error")
        return redirect(url_for("documents.index"))
    return redirect(url_for("documents.batch", batch_id=batch.id))


@bp.get("/documents/batches/<int:batch_id>")
@role_required(OFFICE, "leader")
def batch(batch_id):
    """The batch's progress; htmx polls this fragment until the zip is ready."""
    batch = db.get_or_404(DocumentBatch, batch_id)
    return render("documents/batch.html", "documents/_batch.html", batch=batch)


@bp.get("/documents/batches/<int:batch_id>/download")
@role_required(OFFICE, "leader")
def batch_download(batch_id):
    batch = db.get_or_404(DocumentBatch, batch_id)
    if batch.status != "done":
        abort(404)
    campaign = campaign_or_404()
    return send_file(services.batch_path(batch), as_attachment=True, mimetype="application/zip", max_age=0,
                     download_name=f"{batch.kind_label}_{campaign.year}_批量_{batch.id}.zip")
