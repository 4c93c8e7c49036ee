"""/todo: the signed-in person's work queues; each count opens its list, where the work is done."""
from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from pingyi.auth.roles import OFFICE, role_required
from pingyi.cache.services import kept_html, todo_queues
from pingyi.campaigns.services import campaign_or_404
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.forms import plain_int
from pingyi.htmx import is_partial
from pingyi.tasks.models import Submission
from pingyi.tasks.services import return_submission
from pingyi.todo import services

bp = Blueprint("todo", __name__)


@bp.get("/todo")
@login_required
def index():
    campaign = campaign_or_404()
    queues = services.queue_counts(campaign, current_user, todo_queues(current_user, campaign))
    key = request.args.get("q", "")
    if key not in services.queue_keys(current_user):
        key = next((q[0] for q in queues if q[3]), "")
    number = plain_int(request.args.get("page")) or 1

    def fragment(csrf):
        page = services.queue_page(campaign, current_user, key, number) if key else None
        html = render_template("todo/_queue.html", key=key, rows=page.items if page else [], page=page,
                               label=services.QUEUES[key][0] if key else "", csrf=csrf)
        return html, page.total if page else 0

    # The open queue's page, kept rendered while the data and the hour are unchanged.
    queue, total = kept_html("todo-queue", (current_user.id, current_user.role, current_user.unit_id, campaign.id,
                                            key, number), fragment)
    if key:  # the open queue's count as counted with its rows, should the kept one be an hour old
        queues = [(k, label, level, total if k == key else count) for k, label, level, count in queues]
    if is_partial():
        response = make_response(queue)
    else:
        response = make_response(render_template("todo/index.html", campaign=campaign, queues=queues, key=key,
                                                 queue=queue, queue_url=services.queue_url, is_fragment=False))
    response.vary.add("HX-Request-Type")
    return response


@bp.post("/todo/materials/confirm")
@role_required(OFFICE)
def confirm_materials():
    campaign = campaign_or_404()
    ids = [plain_int(raw) for raw in request.form.getlist("submission")]
    back = plain_int(request.form.get("page")) or 1
    try:
        count = services.confirm_submissions(campaign, ids, current_user)
    except DomainError as e:
        flash(str(e), "error")
    else:
        flash(f"已确认 {count} 份材料")
    return _back_to_materials(back)


def _back_to_materials(page):
    """The materials queue at the page the office worked on."""
    return redirect(url_for("todo.index", q="materials", page=page) if page > 1 else url_for("todo.index", q="materials"))


@bp.post("/todo/materials/<int:submission_id>/return")
@role_required(OFFICE)
def return_material(submission_id):
    campaign = campaign_or_404()
    sub = db.get_or_404(Submission, submission_id)
    if sub.task.campaign_id != campaign.id:
        return redirect(url_for("todo.index", q="materials"))
    try:
        return_submission(sub, current_user, request.form.get("reason", ""))
    except DomainError as e:
        flash(f"{sub.unit.name}“{sub.task.title}”：{e}", "error")
    else:
        flash(f"已退回{sub.unit.name}的“{sub.task.title}”")
    return _back_to_materials(plain_int(request.form.get("page")) or 1)
