"""The rectification tracker, answering items, progress, verification, re-checks, extensions, commitment letters."""
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from pingyi import once, policy
from pingyi.auth.roles import OFFICE, SUPERVISOR, UNIT, role_required
from pingyi.cache.services import kept
from pingyi.campaigns.services import campaign_or_404
from pingyi.checklists.services import dimensions
from pingyi.errors import DomainError, StaleEdit
from pingyi.extensions import db
from pingyi.feedback.models import FeedbackItem
from pingyi.files.services import read_limited
from pingyi.forms import clean_text, link_args, plain_int
from pingyi.htmx import is_partial
from pingyi.rectifications import services
from pingyi.rectifications.forms import (
    AnswerForm,
    DecisionForm,
    ExtensionForm,
    RecheckForm,
    UpdateForm,
    VerifyForm,
)
from pingyi.rectifications.models import KIND_LABELS, STATUS_LABELS, Extension, Rectification
from pingyi.timeutil import today
from pingyi.units.models import Unit

bp = Blueprint("rectifications", __name__)
# The filters a stat card keeps when it opens its list; it sets the status or 逾期 itself.
CARD_FILTERS = ("unit", "group", "dimension", "kind", "extension")


def _visible_unit(unit_id):
    policy.require_unit_work(unit_id, campaign_or_404())


def _rect(rect_id):
    rect = db.get_or_404(Rectification, rect_id)
    if rect.campaign_id != campaign_or_404().id:
        abort(404)
    _visible_unit(rect.unit_id)
    return rect


def _uploads(field):
    return [(f.filename, read_limited(f.stream)) for f in request.files.getlist(field.name) if f.filename]


@bp.get("/rectifications")
@login_required
def index():
    campaign = campaign_or_404()

    def number(name):
        return plain_int(request.args.get(name))
    filters = {"unit_id": number("unit"), "group_id": number("group"), "dimension_id": number("dimension"),
               "kind": request.args.get("kind", ""), "status": request.args.get("status", ""),
               "overdue": request.args.get("overdue", ""), "extension": request.args.get("extension", "")}
    page_number, page_args, partial = plain_int(request.args.get("page")) or 1, link_args(request.args), is_partial()
    # No form on the page: kept rendered per role and the units the user sees (a unit its own, an evaluator or
    # supervisor those it inspects), every filter, page and page link, while the data and the day are unchanged
    # (overdue counts from today).
    scope = {UNIT: current_user.unit_id, "evaluator": current_user.id, SUPERVISOR: current_user.id}.get(current_user.role)
    parts = (campaign.id, current_user.role, scope, *filters.values(), page_number, services.PAGE_SIZE, partial,
             tuple(sorted(page_args.items())))
    body = Markup(kept("rectification-tracker", parts, lambda: _tracker(campaign, filters, page_number, page_args,
                                                                        partial), clock="day"))
    response = make_response(body if partial else render_template("rectifications/index.html", body=body))
    response.vary.add("HX-Request-Type")
    return response


def _tracker(campaign, filters, page_number, page_args, partial):
    """The tracker's content (the whole page's, or only its list for htmx) for the signed-in user."""
    page, counts = services.tracker(campaign, current_user, **filters, page=page_number, per_page=services.PAGE_SIZE)
    context = dict(campaign=campaign, rows=page.items, page=page, page_args=page_args, counts=counts,
                   filters=filters, statuses=STATUS_LABELS,
                   card_filters={k: v for k, v in page_args.items() if k in CARD_FILTERS})
    if partial:
        return render_template("rectifications/_list.html", **context)
    units = [] if current_user.role == UNIT else services.tracked_units(campaign, current_user)
    return render_template(
        "rectifications/_index_body.html", **context, kinds=KIND_LABELS, dims=dimensions(campaign.id), units=units,
        unit_options=_options(units, filters["unit_id"]),
        unit_name=next((u["name"] for u in units if u["id"] == filters["unit_id"]), None),
        # only those with a to-do list of them: the office (to chase) and the unit (to answer)
        unanswered=services.unanswered_summary(campaign, _scope(campaign), named=5 if current_user.role == UNIT else 0)
        if current_user.role in (OFFICE, UNIT) else None)


def _options(units, chosen):
    """The unit filter's <option>s, a county's worth made at once rather than one template loop turn each."""
    return Markup("".join(f'<option value="{u["id"]}"{" selected" if u["id"] == chosen else ""}>{escape(u["name"])}</option>'
                          for u in units))


def _scope(campaign):
    """The units whose figures the user may see (None: all)."""
    if current_user.role == UNIT:
        return [current_user.unit_id]
    if current_user.role in ("evaluator", SUPERVISOR):
        return list(policy.inspected_unit_ids(current_user, campaign))
    return None


def _answer_page(item, form, error=None, status=200):
    return render_template("rectifications/answer.html", item=item, form=form, error=error,
                           due=item.notice.answer_deadline), status


@bp.route("/feedback/items/<int:item_id>/answer", methods=["GET", "POST"])
@role_required(UNIT)
def answer(item_id):
    item = db.get_or_404(FeedbackItem, item_id)
    if (item.notice.campaign_id != campaign_or_404().id or item.notice.unit_id != current_user.unit_id
            or item.notice.status != "sent"):
        abort(404)
    rect = item.rectification
    form = AnswerForm(obj=rect)
    if request.method == "GET":
        form.version.data = rect.version if rect else ""
        if rect is None:
            form.deadline.data = item.deadline
        return _answer_page(item, form)
    if not form.validate_on_submit():
        return _answer_page(item, form, status=422)
    values = {k: getattr(form, k).data or "" for k in ("measures", "commitment", "owner", "leader", "department", "explanation")}
    values["deadline"] = form.deadline.data
    try:
        services.answer_item(item, current_user, form.kind.data, values, form.version.data)
    except StaleEdit:
        db.session.rollback()
        form.version.data = item.rectification.version
        return _answer_page(item, form, "该答复刚被他人修改过，上方为当前内容；您填写的内容已保留，再次提交将以您的为准", 422)
    except DomainError as e:
        db.session.rollback()
        return _answer_page(item, form, str(e), 422)
    flash("已保存答复")
    return redirect(url_for("feedback.show", notice_id=item.notice_id) + f"#item-{item.id}")


def _detail(rect, forms=None, status=200):
    forms = forms or {}
    checks_on = today()
    context = {
        "rect": rect, "state": services.rect_state(rect), "deadline": services.effective_deadline(rect),
        "update_form": forms.get("update") or UpdateForm(formdata=None),
        "verify_form": forms.get("verify") or VerifyForm(formdata=None),
        "recheck_form": forms.get("recheck") or RecheckForm(formdata=None, checked_on=checks_on),
        "extension_form": forms.get("extension") or ExtensionForm(formdata=None),
        "decision_form": DecisionForm(formdata=None),
        "may_recheck": current_user.role == OFFICE or (current_user.role == SUPERVISOR and policy.can_inspect(
            current_user, rect.unit_id, campaign_or_404())),
    }
    return render_template("rectifications/show.html", **context), status


@bp.get("/rectifications/<int:rect_id>")
@login_required
def show(rect_id):
    return _detail(_rect(rect_id))


def _act(rect, key, form, action, message):
    """Run one action from the detail page: validate, call the service, flash, or re-render with errors."""
    if form.validate_on_submit():
        try:
            action()
        except DomainError as e:
            db.session.rollback()
            form.form_errors.append(str(e))
        else:
            flash(message)
            return redirect(url_for("rectifications.show", rect_id=rect.id))
    return _detail(rect, {key: form}, status=422)


@bp.post("/rectifications/<int:rect_id>/updates")
@role_required(UNIT)
def add_update(rect_id):
    rect = _rect(rect_id)
    form = UpdateForm()
    return _act(rect, "update", form, lambda: services.add_update(
        rect, current_user, form.note.data, _uploads(form.files), form.completes.data),
        "已报告整改完成，等待纠风办核实" if form.completes.data else "已记录整改进展")


@bp.post("/rectifications/<int:rect_id>/verify")
@role_required(OFFICE)
def verify(rect_id):
    rect = _rect(rect_id)
    form = VerifyForm()
    return _act(rect, "verify", form, lambda: services.verify(rect, current_user, form.result.data == "pass",
                                                              form.comment.data), "已记录核实结论")


@bp.post("/rectifications/<int:rect_id>/recheck")
@role_required(OFFICE, SUPERVISOR)
@once.guard
def recheck(rect_id):
    rect = _rect(rect_id)
    form = RecheckForm()
    return _act(rect, "recheck", form, lambda: services.recheck(rect, current_user, form.result.data, form.note.data,
                                                                form.checked_on.data), "已记录践诺核查")


@bp.post("/rectifications/<int:rect_id>/extensions")
@role_required(UNIT)
@once.guard
def request_extension(rect_id):
    rect = _rect(rect_id)
    form = ExtensionForm()
    return _act(rect, "extension", form, lambda: services.request_extension(
        rect, current_user, form.requested_deadline.data, form.reason.data), "已提交延期申请，等待纠风办审批")


@bp.post("/extensions/<int:extension_id>/decide")
@role_required(OFFICE)
def decide_extension(extension_id):
    ext = db.get_or_404(Extension, extension_id)
    rect = _rect(ext.rectification_id)
    form = DecisionForm()
    try:
        services.decide_extension(ext, current_user, form.decision.data == "approve", form.comment.data)
    except DomainError as e:
        db.session.rollback()
        flash(str(e), "error")
    else:
        flash("已处理延期申请")
    return redirect(url_for("rectifications.show", rect_id=rect.id))


@bp.post("/units/<int:unit_id>/commitment/file")
@role_required(OFFICE)
def file_commitment(unit_id):
    unit = db.get_or_404(Unit, unit_id)
    letter = services.letter_for(campaign_or_404(), unit)
    if letter is None:
        abort(404)
    try:
        services.file_letter(letter, current_user, clean_text(request.form.get("comment", "")))
    except DomainError as e:
        flash(str(e), "error")
    else:
        flash(f"{unit.name}的整改承诺书已备案")
    return redirect(url_for("rectifications.commitment", unit_id=unit.id))
