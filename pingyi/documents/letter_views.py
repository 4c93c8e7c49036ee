"""Pages of the feedback and rectifications areas that show a letter as its Word file will print: the
feedback notice's preview and the unit's commitment letter. Their text comes from the documents' content
functions, which sit above those areas, so the pages live here, on those areas' blueprints (endpoints
feedback.preview, rectifications.commitment and rectifications.submit_commitment)."""
from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from pingyi.auth.roles import UNIT, role_required
from pingyi.campaigns.services import campaign_or_404
from pingyi.documents import services as document_services
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.feedback import views as feedback_views
from pingyi.rectifications import services as rectification_services
from pingyi.rectifications import views as rectification_views
from pingyi.rectifications.forms import LetterForm
from pingyi.units.models import Unit


@feedback_views.bp.get("/<int:notice_id>/preview")
@login_required
def preview(notice_id):
    """The notice laid out as the printed document (评议意见反馈通知书)."""
    notice = feedback_views._notice(notice_id)
    campaign = campaign_or_404()
    return render_template("feedback/preview.html", notice=notice, campaign=campaign,
                           text=document_services.feedback_notice_text(campaign, notice))


@rectification_views.bp.get("/units/<int:unit_id>/commitment")
@login_required
def commitment(unit_id):
    """The unit's commitment letter: its content from the 整改计划并承诺 items, the scan, its filing."""
    rectification_views._visible_unit(unit_id)
    return _commitment_page(db.get_or_404(Unit, unit_id), LetterForm(formdata=None))


@rectification_views.bp.post("/units/<int:unit_id>/commitment")
@role_required(UNIT)
def submit_commitment(unit_id):
    rectification_views._visible_unit(unit_id)
    unit = db.get_or_404(Unit, unit_id)
    form = LetterForm()
    try:
        rectification_services.submit_letter(campaign_or_404(), unit, current_user, rectification_views._uploads(form.files))
    except DomainError as e:
        db.session.rollback()
        form.files.errors = [str(e)]
        return _commitment_page(unit, form, 422)
    flash("已提交承诺书扫描件，等待纠风办备案")
    return redirect(url_for("rectifications.commitment", unit_id=unit.id))


def _commitment_page(unit, form, status=200):
    campaign = campaign_or_404()
    try:  # the screen shows the letter from the same data the Word file is built from
        text = document_services.commitment_data(campaign, unit)
    except document_services.DocumentMissing:
        text = None
    return render_template("rectifications/commitment.html", unit=unit, campaign=campaign, form=form,
                           letter=rectification_services.letter_for(campaign, unit),
                           items=rectification_services.letter_rows(campaign, unit), text=text), status
