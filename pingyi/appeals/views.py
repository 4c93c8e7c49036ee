"""/appeals: the follow-up of the public's comments (office verifies, unit replies), units' appeals and the
office's decisions; /s/status/<query>: a comment's writer follows its handling (public, rate-limited)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from pingyi.appeals import services
from pingyi.appeals.models import APPEAL_STATUS_LABELS, Appeal
from pingyi.auth.roles import LEADER, OFFICE, UNIT, role_required
from pingyi.errors import DomainError, StaleEdit
from pingyi.extensions import db
from pingyi.files.services import read_limited
from pingyi.findings.models import SEVERITY_LABELS, Finding
from pingyi.forms import clean_text
from pingyi.campaigns.services import campaign_or_404
from pingyi.surveys import follow_ups, throttle
from pingyi.surveys.integrity_models import OUTCOME_LABELS, FollowUp
from pingyi.timeutil import today

bp = Blueprint("appeals", __name__)


def _index(campaign, errors=None, status=200):
    unit_id = current_user.unit_id if current_user.role == UNIT else None
    items = follow_ups.follow_ups(campaign, unit_id)
    return render_template("appeals/index.html", campaign=campaign, appeals=services.appeals(campaign, unit_id),
                           items=items, appealable=services.appealable(campaign, unit_id) if unit_id else [],
                           outcomes=OUTCOME_LABELS, overdue={i.id for i in items if follow_ups.overdue(i)},
                           errors=errors or {}, today=today()), status


@bp.get("/appeals")
@role_required(OFFICE, LEADER, UNIT)
def index():
    return _index(campaign_or_404())


@bp.route("/appeals/new/<any(finding, follow_up):kind>/<int:subject_id>", methods=["GET", "POST"])
@role_required(UNIT)
def new(kind, subject_id):
    """Appeal one confirmed finding or one 不满意 follow-up of the user's own unit."""
    campaign = campaign_or_404()
    finding_id, follow_up_id = (subject_id, None) if kind == "finding" else (None, subject_id)
    subject = db.session.get(Finding, finding_id) if finding_id else db.session.get(FollowUp, follow_up_id)
    if subject is None or subject.unit_id != current_user.unit_id or subject.campaign_id != campaign.id:
        abort(404)
    error, grounds = "", ""
    if request.method == "POST":
        grounds = clean_text(request.form.get("grounds", ""))
        uploads = [(f.filename, read_limited(f.stream)) for f in request.files.getlist("files") if f.filename]
        try:
            appeal = services.file_appeal(campaign, current_user.unit_id, current_user, grounds,
                                          finding_id=finding_id, follow_up_id=follow_up_id, uploads=uploads)
        except DomainError as e:
            db.session.rollback()
            error = str(e)
        else:
            flash("申诉已提交，纠风办裁决后将在本页显示结果", "success")
            return redirect(url_for("appeals.show", appeal_id=appeal.id))
    deadline = services.deadline_for(finding=subject) if finding_id else services.deadline_for(follow_up=subject)
    return render_template("appeals/new.html", campaign=campaign, finding=subject if finding_id else None,
                           item=None if finding_id else subject, deadline=deadline, error=error, grounds=grounds,
                           late=today() > deadline), 400 if error else 200


def _appeal(appeal_id):
    campaign = campaign_or_404()
    appeal = db.get_or_404(Appeal, appeal_id)
    if appeal.campaign_id != campaign.id or (current_user.role == UNIT and appeal.unit_id != current_user.unit_id):
        abort(404)
    return campaign, appeal


def _show(campaign, appeal, error="", form=None, status=200):
    return render_template("appeals/show.html", campaign=campaign, a=appeal, error=error, form=form or {},
                           severities=SEVERITY_LABELS, decisions=APPEAL_STATUS_LABELS,
                           effect=services.effect(appeal)), status


@bp.get("/appeals/<int:appeal_id>")
@role_required(OFFICE, LEADER, UNIT)
def show(appeal_id):
    campaign, appeal = _appeal(appeal_id)
    return _show(campaign, appeal)


@bp.post("/appeals/<int:appeal_id>/decide")
@role_required(OFFICE)
def decide(appeal_id):
    campaign, appeal = _appeal(appeal_id)
    form = {"decision": request.form.get("decision", ""), "reason": clean_text(request.form.get("reason", "")),
            "severity": request.form.get("severity", "")}
    try:
        services.decide(appeal, form["decision"], form["reason"], form["severity"] or None,
                        request.form.get("version"), current_user)
    except StaleEdit:
        db.session.rollback()
        return _show(campaign, db.session.get(Appeal, appeal_id), "该申诉已被他人处理，请查看当前状态", form, 409)
    except DomainError as e:
        db.session.rollback()
        return _show(campaign, db.session.get(Appeal, appeal_id), str(e), form, 400)
    flash(f"已裁决：{APPEAL_STATUS_LABELS[form['decision']]}", "success")
    return redirect(url_for("appeals.show", appeal_id=appeal_id))


def _follow_up(follow_up_id):
    campaign = campaign_or_404()
    item = db.get_or_404(FollowUp, follow_up_id)
    if item.campaign_id != campaign.id or (current_user.role == UNIT and item.unit_id != current_user.unit_id):
        abort(404)
    return campaign, item


def _follow_up_action(follow_up_id, act, done):
    """Run `act(item)` on a follow-up; a conflict or a refusal shows the list again with the message by it."""
    campaign, item = _follow_up(follow_up_id)
    try:
        act(item)
    except StaleEdit:
        db.session.rollback()
        return _index(campaign, {follow_up_id: "该意见已被他人处理，请查看当前状态"}, 409)
    except DomainError as e:
        db.session.rollback()
        return _index(campaign, {follow_up_id: str(e)}, 400)
    flash(done, "success")
    return redirect(url_for("appeals.index", _anchor=f"follow-{follow_up_id}"))


@bp.post("/follow-ups/<int:follow_up_id>/verify")
@role_required(OFFICE)
def verify(follow_up_id):
    return _follow_up_action(follow_up_id, lambda item: follow_ups.verify(
        item, request.form.get("outcome", ""), clean_text(request.form.get("note", "")),
        request.form.get("version"), current_user), "已记录回访核实结果")


@bp.post("/follow-ups/<int:follow_up_id>/reply")
@role_required(UNIT)
def reply(follow_up_id):
    return _follow_up_action(follow_up_id, lambda item: follow_ups.reply(
        item, clean_text(request.form.get("reply", "")), request.form.get("done") == "y",
        request.form.get("version"), current_user), "答复已保存，群众凭查询码可以看到")


@bp.get("/s/status/<query>")
@throttle.public_page
def comment_status(query):
    """How a comment was handled, for whoever holds its query code: never who wrote it."""
    item = follow_ups.by_query(query)
    if item is None:
        return render_template("surveys/answer_closed.html", title="查询码无效",
                               message="没有找到这个查询码，请核对后重新输入。"), 404
    return render_template("appeals/status.html", item=item)
