"""The phase task board, a task's per-unit list, unit submissions, office review and task editing."""
import io
import json

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from pingyi import images, once, policy
from pingyi.auth.roles import OFFICE, UNIT, role_required
from pingyi.cache.services import kept_html
from pingyi.campaigns.services import campaign_or_404, current_campaign
from pingyi.errors import DomainError, StaleEdit
from pingyi.extensions import db
from pingyi.files.models import StoredFile
from pingyi.files.services import file_path, read_limited
from pingyi.forms import link_args, plain_int, save_versioned
from pingyi.htmx import is_partial, render
from pingyi.tasks import services
from pingyi.tasks.forms import ReturnForm, SubmitForm, TaskForm
from pingyi.tasks.models import Submission, Task
from pingyi.timeutil import today
from pingyi.campaigns.categories import labels as category_labels

bp = Blueprint("board", __name__)


def _task(task_id):
    task = db.get_or_404(Task, task_id)
    if task.campaign_id != campaign_or_404().id:
        abort(404)
    return task


def _filters():
    group = request.args.get("group", "")
    return {"category": request.args.get("category", ""), "key": request.args.get("key", ""),
            "group_id": plain_int(group)}


@bp.get("/board")
@login_required
def index():
    campaign = campaign_or_404()
    if current_user.role == UNIT:
        rows = services.unit_tasks(campaign, current_user.unit)
        return render_template("board/unit.html", campaign=campaign, rows=rows, unit=current_user.unit)
    filters = _filters()
    query = _board_query(filters)
    fragment = is_partial()
    # The board (and on a full page its filters) is the same for every staff user of a role: kept while the
    # data and the day (deadline colours, 逾期 counts) are unchanged; only the office's copy holds forms.
    body, = kept_html("board", (campaign.id, current_user.role, fragment, *sorted(query.items())),
                      lambda csrf: _board_body(campaign, filters, query, fragment, csrf), clock="day")
    response = make_response(body if fragment else render_template("board/index.html", campaign=campaign, body=body,
                                                                    query=query))
    response.vary.add("HX-Request-Type")
    return response


def _board_query(filters):
    """The board's filters as query arguments for its links (only those set)."""
    values = {"category": filters["category"], "key": filters["key"], "group": filters["group_id"]}
    return {k: v for k, v in values.items() if v}


def _board_body(campaign, filters, query, fragment, csrf):
    data = services.board(campaign, **filters)
    return render_template("board/_board.html" if fragment else "board/_board_page.html", campaign=campaign,
                           filters=filters, query=query, csrf=csrf, categories=category_labels(campaign), **data)


def _task_context(task, campaign):
    """What the task page around its kept list needs; the list itself (counts, overdue names, one page of rows
    with their forms) is rendered once per campaign, task, role, filters, sort, status, page and day."""
    filters = _filters()
    sort = request.args.get("sort", "")
    sort = sort if sort in services.SORTS else ""
    status = request.args.get("status", "")
    status = status if status in services.LIST_STATUSES else ""
    page = plain_int(request.args.get("page"))
    unit_id = plain_int(request.args.get("unit"))
    target = request.headers.get("HX-Target", "")
    in_board = "task-panel" in target or request.form.get("from_board") == "1"
    rows_only = is_partial() and request.method == "GET" and target.endswith("#task-units")
    query = {k: v for k, v in link_args(request.args).items() if k in ("category", "key", "group")}
    args = dict(query, **{k: v for k, v in (("sort", sort), ("status", status)) if v})
    parts = (campaign.id, task.id, current_user.role, in_board, rows_only, sort, status, page, unit_id,
             *sorted(query.items()))

    def render_list(csrf):
        data = services.task_list(task, campaign, sort=sort, status=status, page=page, unit_id=unit_id, **filters)
        return render_template("board/_task_units.html" if rows_only else "board/_task_body.html",
                               task=task, csrf=csrf, in_board=in_board, sort=sort, status=status, query=query,
                               args=args, statuses=services.LIST_STATUSES, today=today(),
                               resubmit_default=services.default_resubmit_due(), **data)

    body, = kept_html("board-task", parts, render_list, clock="day")
    return {"task": task, "campaign": campaign, "body": body, "in_board": in_board, "rows_only": rows_only,
            "query": query}


@bp.get("/board/tasks/<int:task_id>")
@login_required
def show(task_id):
    campaign = campaign_or_404()
    task = _task(task_id)
    if current_user.role == UNIT:
        return _unit_task_page(task, current_user.unit)
    context = _task_context(task, campaign)
    if context["rows_only"]:  # a page of the list, swapped into it
        return context["body"]
    return render("board/task.html", "board/_task.html", **context)


def _unit_task_page(task, unit, form=None, error=None, status=200):
    if not task.for_units:
        abort(404)
    sub = services.submission_for(task, unit)
    if form is None:
        form = SubmitForm(obj=sub)
        form.version.data = sub.version if sub else ""
    return render_template("board/unit_task.html", task=task, unit=unit, sub=sub, form=form, error=error,
                           due=services.due_for(task, sub.status if sub else "pending", sub.resubmit_due if sub else None),
                           state=services.deadline_state(
                               services.due_for(task, sub.status if sub else "pending", sub.resubmit_due if sub else None),
                               sub is not None and sub.status in ("submitted", "confirmed"))), status


@bp.post("/board/tasks/<int:task_id>/submit")
@role_required(UNIT)
def submit(task_id):
    task = _task(task_id)
    unit = current_user.unit
    form = SubmitForm()
    if not form.validate_on_submit():
        return _unit_task_page(task, unit, form, status=422)
    uploads = [(f.filename, read_limited(f.stream)) for f in request.files.getlist(form.files.name) if f.filename]
    try:
        services.submit(task, unit, current_user, form.note.data, uploads, form.version.data)
    except StaleEdit:
        db.session.rollback()
        sub = services.submission_for(task, unit)
        form.version.data = sub.version
        return _unit_task_page(task, unit, form, error="这份材料刚被其他人更新过（见上方当前内容），您填写的说明已保留，"
                                                      "如需以您的为准请重新选择文件并提交", status=422)
    except DomainError as e:
        db.session.rollback()
        form.files.errors = [str(e)]
        return _unit_task_page(task, unit, form, status=422)
    flash(f"已提交“{task.title}”")
    return redirect(url_for("board.show", task_id=task.id))


def _after_review(task, message, error=None):
    if is_partial():
        if error:
            flash(error, "error")
        else:
            flash(message)
        context = _task_context(task, campaign_or_404())
        response = make_response(render_template("board/_task.html", is_fragment=True, **context))
        if context["in_board"]:  # the panel sits on the board: let the cards behind it recount
            response.headers["HX-Trigger"] = json.dumps({"board-changed": {"target": "#board"}})
        return response
    flash(error or message, "error" if error else "message")
    return redirect(url_for("board.show", task_id=task.id, **request.args))


@bp.post("/board/submissions/<int:submission_id>/confirm")
@role_required(OFFICE)
def confirm(submission_id):
    sub = db.get_or_404(Submission, submission_id)
    task = _task(sub.task_id)
    try:
        services.confirm(sub, current_user)
    except DomainError as e:
        db.session.rollback()
        return _after_review(task, None, str(e))
    return _after_review(task, f"已确认{sub.unit.name}的材料")


@bp.post("/board/submissions/<int:submission_id>/return")
@role_required(OFFICE)
def return_(submission_id):
    sub = db.get_or_404(Submission, submission_id)
    task = _task(sub.task_id)
    form = ReturnForm()
    try:
        if not form.validate_on_submit():
            raise DomainError("补交期限不是有效的日期" if form.resubmit_due.errors else "退回时请填写退回原因")
        services.return_submission(sub, current_user, form.reason.data, form.resubmit_due.data)
    except DomainError as e:
        db.session.rollback()
        return _after_review(task, None, f"{sub.unit.name}：{e}")
    return _after_review(task, f"已退回{sub.unit.name}的材料")


@bp.post("/board/tasks/<int:task_id>/confirm")
@role_required(OFFICE)
def confirm_many(task_id):
    task = _task(task_id)
    ids = [plain_int(v) for v in request.form.getlist("unit_id") if plain_int(v) is not None]
    if not ids:
        return _after_review(task, None, "请先勾选要确认的单位")
    count = services.confirm_many(task, ids, current_user)
    return _after_review(task, f"已确认 {count} 个单位的材料")


@bp.post("/board/tasks/<int:task_id>/done")
@role_required(OFFICE)
def set_done(task_id):
    task = _task(task_id)
    try:
        services.set_task_done(task, current_user, request.form.get("done") == "1")
    except DomainError as e:
        flash(str(e), "error")
    return redirect(url_for("board.index"))


def _task_form(campaign, task=None):
    form = TaskForm(obj=task)
    form.phase_number.choices = [(p.number, f"第{p.number}阶段 {p.name}") for p in campaign.phases]
    return form


@bp.route("/board/tasks/new", methods=["GET", "POST"])
@role_required(OFFICE)
@once.guard
def create():
    campaign = campaign_or_404()
    form = _task_form(campaign)
    if request.method == "GET" and plain_int(request.args.get("phase")) is not None:
        form.phase_number.data = plain_int(request.args["phase"])
    if form.validate_on_submit():
        try:
            task = services.save_task(campaign, None, None, _values(form))
        except DomainError as e:
            db.session.rollback()
            form.title.errors.append(str(e))
        else:
            flash(f"已新增任务“{task.title}”")
            return redirect(url_for("board.index"))
    return render_template("board/task_form.html", form=form, task=None), 422 if form.errors else 200


def _values(form):
    return {"title": form.title.data.strip(), "phase_number": form.phase_number.data, "actor": form.actor.data,
            "due_date": form.due_date.data, "requires_file": form.requires_file.data,
            "description": (form.description.data or "").strip()}


@bp.route("/board/tasks/<int:task_id>/edit", methods=["GET", "POST"])
@role_required(OFFICE)
def edit(task_id):
    campaign = campaign_or_404()
    task = _task(task_id)
    form = _task_form(campaign, task)
    saved, conflict = save_versioned(form, task, lambda: services.save_task(
        campaign, task, form.version.data, _values(form)), form.title)
    if saved:
        flash("已保存")
        return redirect(url_for("board.index"))
    failed = bool(form.errors or conflict)
    return render_template("board/task_form.html", form=form, task=task, conflict=conflict), 422 if failed else 200


@bp.post("/board/tasks/<int:task_id>/delete")
@role_required(OFFICE)
def delete(task_id):
    task = _task(task_id)
    try:
        services.delete_task(task)
    except DomainError as e:
        flash(str(e), "error")
    else:
        flash(f"已删除任务“{task.title}”")
    return redirect(url_for("board.index"))


@bp.post("/board/tasks/<int:task_id>/move")
@role_required(OFFICE)
def move(task_id):
    task = _task(task_id)
    up = request.form.get("direction") == "up"
    if services.move_task(task, -1 if up else 1):
        flash(f"已调整“{task.title}”的顺序")
    else:
        flash(f"“{task.title}”已在本阶段的{'最前' if up else '最后'}", "error")
    return redirect(url_for("board.index") + f"#task-{task.id}")


@bp.get("/files/<int:file_id>")
@login_required
def download(file_id):
    """A stored file, to users who may see its unit, under its original (Chinese) name."""
    stored = db.get_or_404(StoredFile, file_id)
    if not policy.can_download(current_user, stored, current_campaign()):
        abort(404)
    return send_file(file_path(stored), as_attachment=True, download_name=stored.original_name,
                     mimetype="application/octet-stream", max_age=0)


@bp.get("/files/<int:file_id>/<any(thumb, view):size>.jpg")
@login_required
def image(file_id, size):
    """A photo shown in the page: re-encoded by Pillow (a thumbnail or a larger view); other files download."""
    stored = db.get_or_404(StoredFile, file_id)
    if not policy.can_download(current_user, stored, current_campaign()):
        abort(404)
    if not images.is_photo(stored):
        return redirect(url_for("board.download", file_id=stored.id))
    try:
        data = images.rendition(file_path(stored), size)
    except (DomainError, OSError):
        abort(404)
    response = send_file(io.BytesIO(data), mimetype="image/jpeg", max_age=3600)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
