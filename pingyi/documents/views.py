"""One-click documents: per unit and for the campaign, issued copies, previews as page images, batch zips."""
import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from pingyi import policy
from pingyi.cache.services import kept, kept_html
from pingyi.campaigns import services as campaign_services
from pingyi.auth.roles import OFFICE, UNIT, role_required
from pingyi.campaigns.services import campaign_or_404
from pingyi.documents import render as layout, services
from pingyi.documents.models import KIND_LABELS, LETTER_KINDS, UNIT_KINDS, DocumentBatch, IssuedDocument
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.forms import plain_int
from pingyi.htmx import render
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
        return redirect(url_for("dashboard.index") if current_user.role == UNIT else url_for("results.index"))
    return redirect(url_for("documents.index"))


ISSUED_BY_GET = ("notice", "bulletin", "feedback-notice")   # the office issues these with one click


@bp.app_template_global()
def document_refusal(kind, unit=None):
    """For templates: why the current viewer's button for this document cannot work now (None when it can)."""
    campaign = campaign_services.current_campaign()
    if campaign is None:
        return "尚未设置评议年度"
    for_unit = current_user.role == UNIT
    # Finding out means building the document's data (the 催办通知's reads the whole county's overdue work):
    # kept while the data and the day are unchanged, a string or None.
    return kept("document-refusal", (kind, campaign.id, unit.id if unit else None, for_unit),
                lambda: services.refusal(kind, campaign, unit, for_unit=for_unit), clock="day")


def _generate(kind, unit=None):
    """The office issues (recorded in the register, a frozen copy kept) or, with ?preview=1, previews;
    a unit downloads what it is addressed (audit log only); the others preview."""
    campaign = campaign_or_404()
    try:
        if current_user.role == OFFICE and kind in ISSUED_BY_GET and request.args.get("preview") != "1":
            doc, data = services.issue(kind, campaign, unit, current_user)
            return _send(data, doc.filename)
        if current_user.role == UNIT:
            return _send(services.deliver(kind, campaign, unit, current_user), services.filename(kind, campaign, unit))
        return _send(services.build(kind, campaign, unit), "预览_" + services.filename(kind, campaign, unit))
    except services.DocumentMissing as e:
        db.session.rollback()
        return _missing(e, unit)


@bp.get("/documents")
@login_required
def index():
    campaign = campaign_or_404()
    if current_user.role == UNIT:
        return redirect(url_for("units.show", unit_id=current_user.unit_id) + "#documents")
    if current_user.role not in (OFFICE, "leader"):
        abort(403)
    # Batches move on in the background (their progress is no data change): read on every view.
    batches = db.session.scalars(db.select(DocumentBatch).where(DocumentBatch.campaign_id == campaign.id)
                                 .order_by(DocumentBatch.id.desc()).limit(10)).all()
    # The rest is kept rendered per role while the data and the day are unchanged (the refusals follow the day).
    top, issued = kept_html("documents-index", (campaign.id, current_user.role),
                            lambda csrf: _index_parts(campaign, csrf), clock="day")
    return render_template("documents/index.html", top=top, issued=Markup(issued), batches=batches)


def _index_parts(campaign, csrf):
    """(the documents and batch forms with `csrf` in them, the table of issued documents), rendered."""
    return (render_template("documents/_index_top.html", campaign=campaign, csrf=csrf,
                            kinds={k: KIND_LABELS[k] for k in UNIT_KINDS}, categories=category_labels(campaign),
                            notice_number=services.notice_number(campaign), bulletin_version=latest_version(campaign)),
            render_template("documents/_issued.html", issued=services.issued_documents(campaign)))


@bp.get("/documents/notice.docx")
@login_required
def notice():
    """Every role: units are its addressees."""
    return _generate("notice")


@bp.get("/documents/bulletin.docx")
@login_required
def bulletin():
    """Every role once results are published: units are its addressees."""
    return _generate("bulletin")


UNIT_DOCUMENT = '<any("feedback-notice", "rectification-notice", "commitment", "reminder"):kind>'


@bp.get(f"/units/<int:unit_id>/documents/{UNIT_DOCUMENT}.docx")
@login_required
def unit_document(unit_id, kind):
    campaign = campaign_or_404()
    policy.require_unit_work(unit_id, campaign)
    unit = db.get_or_404(Unit, unit_id)
    if kind in LETTER_KINDS and current_user.role == UNIT:
        doc = services.latest_issued(campaign, unit, kind)   # a unit gets what was issued to it, as issued
        if doc is None:
            return _missing(DomainError(f"纠风办尚未向你单位下发{KIND_LABELS[kind]}"), unit)
        return redirect(url_for("documents.download", document_id=doc.id))
    return _generate(kind, unit)


@bp.post(f"/units/<int:unit_id>/documents/{UNIT_DOCUMENT}")
@role_required(OFFICE)
def issue_letter(unit_id, kind):
    """Issue a 整改通知书: the next 函 number and the new deadline the office sets. 催办通知 are issued through
    /reminders/notice, which also records the 催办."""
    campaign = campaign_or_404()
    unit = db.get_or_404(Unit, unit_id)
    if kind != "rectification-notice":
        abort(404)
    try:
        deadline = datetime.date.fromisoformat(request.form.get("deadline", ""))
    except ValueError:
        deadline = None
    try:
        doc, _ = services.issue(kind, campaign, unit, current_user, deadline)
    except DomainError as e:
        db.session.rollback()
        return _missing(e, unit)
    flash(f"已印发{doc.kind_label}（{services.letter_number(campaign, doc.doc_number)}），可在下方下载")
    return redirect(url_for("units.show", unit_id=unit.id) + "#documents")


@bp.get("/documents/<int:document_id>/download")
@login_required
def download(document_id):
    """An issued document exactly as it was issued (the stored copy, not rebuilt); a unit's download is
    entered in the audit log."""
    doc = db.get_or_404(IssuedDocument, document_id)
    if doc.unit_id is not None:
        policy.require_unit_work(doc.unit_id, campaign_or_404())
    if current_user.role == UNIT:
        services.record_download(doc, current_user)
    return send_file(services.stored_path(doc), as_attachment=True, download_name=doc.filename, mimetype=DOCX,
                     max_age=0)


def _preview(kind, unit=None):
    campaign = campaign_or_404()
    try:
        docx, pdf = services.laid_out(kind, campaign, unit)
        digest, pages = layout.page_images(docx, pdf)
        error = None
    except services.DocumentMissing as e:
        return _missing(e, unit)
    except layout.RenderError as e:
        digest, pages, error = None, [], str(e)
    docx_url = (url_for("documents.unit_document", unit_id=unit.id, kind=kind, preview=1) if unit
                else url_for(f"documents.{kind}", preview=1))
    return render_template("documents/preview.html", campaign=campaign, unit=unit, label=KIND_LABELS[kind],
                           digest=digest, pages=pages, error=error, docx_url=docx_url)


@bp.get('/documents/<any("notice", "bulletin"):kind>/preview')
@role_required(OFFICE, "leader")
def preview(kind):
    """The document as page images (LibreOffice), before issuing."""
    return _preview(kind)


@bp.get(f"/units/<int:unit_id>/documents/{UNIT_DOCUMENT}/preview")
@role_required(OFFICE, "leader")
def unit_preview(unit_id, kind):
    return _preview(kind, db.get_or_404(Unit, unit_id))


@bp.get("/documents/pages/<digest>/<name>")
@role_required(OFFICE, "leader")
def page_image(digest, name):
    path = layout.page_file(digest, name)
    if path is None:
        abort(404)
    return send_file(path, mimetype="image/png", max_age=3600)


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


@bp.post("/documents/batches/<int:batch_id>/cancel")
@role_required(OFFICE)
def cancel_batch(batch_id):
    batch = db.get_or_404(DocumentBatch, batch_id)
    try:
        services.cancel_batch(batch, current_user)
    except DomainError as e:
        flash(str(e), "error")
    else:
        flash("已取消：正在生成的单位完成后停止")
    return redirect(url_for("documents.batch", batch_id=batch.id))


@bp.get("/documents/batches/<int:batch_id>/download")
@role_required(OFFICE, "leader")
def batch_download(batch_id):
    batch = db.get_or_404(DocumentBatch, batch_id)
    if batch.status != "done":
        abort(404)
    campaign = campaign_or_404()
    return send_file(services.batch_path(batch), as_attachment=True, mimetype="application/zip", max_age=0,
                     download_name=f"{batch.kind_label}_{campaign.year}_批量_{batch.id}.zip")
