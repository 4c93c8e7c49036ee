"""/surveys/anomalies (office only): flags of suspicious online answers, the background scan, and the
office's keep/exclude decision with its reason."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from pingyi.auth.roles import OFFICE, role_required
from pingyi.errors import DomainError, StaleEdit
from pingyi.extensions import db
from pingyi.forms import clean_text
from pingyi.campaigns.services import campaign_or_404
from pingyi.surveys import anomalies
from pingyi.surveys.integrity_models import FLAG_STATUS_LABELS, AnomalyFlag
from pingyi.surveys.models import ROUND_LABELS, Ballot

bp = Blueprint("anomalies", __name__)


@bp.get("/surveys/anomalies")
@role_required(OFFICE)
def index():
    campaign = campaign_or_404()
    status = request.args.get("status") if request.args.get("status") in FLAG_STATUS_LABELS else None
    return render_template("surveys/anomalies.html", campaign=campaign, flags=anomalies.flags(campaign, status),
                           counts=anomalies.counts(campaign), status=status, statuses=FLAG_STATUS_LABELS,
                           job=anomalies.last_scan(), rounds=ROUND_LABELS, purge=anomalies.awaiting_purge(campaign))


@bp.post("/surveys/anomalies/scan")
@role_required(OFFICE)
def scan():
    try:
        anomalies.start_scan(campaign_or_404(), current_user)
        flash("已开始检查，检查在后台进行，稍后刷新本页查看结果", "success")
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
    return redirect(url_for("anomalies.index"))


def _flag(flag_id):
    campaign = campaign_or_404()
    flag = db.get_or_404(AnomalyFlag, flag_id)
    if flag.campaign_id != campaign.id:
        abort(404)
    return campaign, flag


@bp.get("/surveys/anomalies/<int:flag_id>")
@role_required(OFFICE)
def show(flag_id):
    campaign, flag = _flag(flag_id)
    return _show(campaign, flag)


def _show(campaign, flag, error="", reason=None, status=200):
    ballots = db.session.scalars(select(Ballot).where(Ballot.id.in_([b.id for b in anomalies.flag_ballots(flag)]))
                                 .options(selectinload(Ballot.answers)).order_by(Ballot.id)).all()
    from pingyi.surveys.services import options
    labels = {o.id: o.label for o in options(campaign.id)}
    return render_template("surveys/anomaly.html", campaign=campaign, flag=flag, ballots=ballots, labels=labels,
                           rounds=ROUND_LABELS, error=error,
                           reason=flag.reason if reason is None else reason), status


@bp.post("/surveys/anomalies/<int:flag_id>/decide")
@role_required(OFFICE)
def decide(flag_id):
    campaign, flag = _flag(flag_id)
    action, reason = request.form.get("action", ""), clean_text(request.form.get("reason", ""))
    try:
        changed = anomalies.decide(flag, action, reason, request.form.get("version"), current_user)
    except StaleEdit:
        db.session.rollback()
        return _show(campaign, db.session.get(AnomalyFlag, flag_id), "该组已被他人处理：请查看当前的决定后再改",
                     reason, 409)
    except DomainError as error:
        db.session.rollback()
        return _show(campaign, db.session.get(AnomalyFlag, flag_id), str(error), reason, 400)
    flash(f"已{'剔除' if action == 'excluded' else '保留'}该组答卷（{changed} 份的计分随之改变）", "success")
    return redirect(url_for("anomalies.index"))
