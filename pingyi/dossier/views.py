"""一户一档: a unit's dossier page and archive (office and the unit itself), and the batch for many units."""
import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from pingyi.auth.roles import OFFICE, UNIT, role_required
from pingyi.campaigns.services import campaign_or_404
from pingyi.dossier import services
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.tasks.services import filtered_units
from pingyi.units.models import Unit

bp = Blueprint("dossier", __name__)


def _unit(unit_id):
    """Only the office and the unit's own liaison (leaders and inspectors are not given whole files)."""
    if not (current_user.role == OFFICE or (current_user.role == UNIT and current_user.unit_id == unit_id)):
        abort(404 if current_user.role == UNIT else 403)
    return db.get_or_404(Unit, unit_id)


@bp.get("/units/<int:unit_id>/dossier")
@login_required
def show(unit_id):
    unit = _unit(unit_id)
    campaign = campaign_or_404()
    return render_template("dossier/show.html", unit=unit, campaign=campaign,
                           lines=services.dossier_index(campaign, unit))


@bp.get("/units/<int:unit_id>/dossier.zip")
@login_required
def download(unit_id):
    unit = _unit(unit_id)
    campaign = campaign_or_404()
    data = services.download_dossier(campaign, unit, current_user)
    return send_file(io.BytesIO(data), as_attachment=True, mimetype="application/zip", max_age=0,
                     download_name=services.dossier_filename(campaign, unit))


@bp.post("/dossiers/batch")
@role_required(OFFICE)
def batch():
    campaign = campaign_or_404()
    unit_ids = list(db.session.scalars(filtered_units(campaign, request.form.get("category", ""),
                                                      request.form.get("key", ""))))
    try:
        created = services.start_dossier_batch(campaign, current_user, unit_ids)
    except DomainError as e:
        flash(str(e), "error")
        return redirect(url_for("documents.index"))
    return redirect(url_for("documents.batch", batch_id=created.id))
