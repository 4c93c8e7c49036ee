"""Feedback notices: compile, edit, preview, send; receipt status; the unit's receipt (签收)."""
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from pingyi import once, policy
from pingyi.auth.roles import OFFICE, UNIT, role_required
from pingyi.cache.services import kept, kept_html
from pingyi.campaigns.models import EvaluationGroup
from pingyi.campaigns.services import campaign_or_404
from pingyi.checklists.services import dimensions
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.feedback import services
from pingyi.feedback.forms import ItemForm, NoticeForm
from pingyi.feedback.models import ROUND_LABELS, FeedbackItem, FeedbackNotice
from pingyi.forms import link_args, plain_int, save_versioned
from pingyi.htmx import is_partial
from pingyi.units.models import Unit

PAGE_SIZE = 50  # units of the overview on one page

bp = Blueprint("feedback", __name__, url_prefix="/feedback")


def _notice(notice_id):
    notice = db.get_or_404(FeedbackNotice, notice_id)
    if notice.campaign_id != campaign_or_404().id:
        abort(404)
    policy.require_unit_work(notice.unit_id, campaign_or_404())
    if current_user.role == UNIT and notice.status == "draft":
        abort(404)
    return notice


@bp.get("")
@login_required
def index():
    campaign = campaign_or_404()
    if current_user.role == UNIT:
        # A unit's own notices, no form: kept rendered per unit while the data is unchanged.
        body = kept("feedback-unit", (campaign.id, current_user.unit_id), lambda: render_template(
            "feedback/_unit_body.html", campaign=campaign, notices=services.unit_notices(campaign, current_user.unit)),
            clock=None)
        return render_template("feedback/unit.html", body=Markup(body))
    round_ = request.args.get("round") or kept("feedback-current-round", (campaign.id,),
                                               lambda: services.current_round(campaign), clock="day")
    if round_ not in ROUND_LABELS:
        round_ = "june"
    group_id = plain_int(request.args.get("group", ""))
    show = request.args.get("show", "")
    show = show if show in services.OVERVIEW_CARDS else ""
    number = max(1, plain_int(request.args.get("page")) or 1)
    page_args, partial = link_args(request.args), is_partial()
    # Kept rendered (forms and all) per role and, for evaluators and supervisors, per user (they see the units
    # they inspect), per round, group, card, page and page links, while the data and the hour are unchanged.
    scoped = current_user.role in ("evaluator", "supervisor")
    parts = (campaign.id, current_user.role, current_user.id if scoped else None, round_, group_id, show, number,
             PAGE_SIZE, partial, tuple(sorted(page_args.items())))
    body, = kept_html("feedback-overview", parts, lambda csrf: _overview(
        campaign, round_, group_id, show, number, page_args, partial, csrf))
    response = make_response(body if partial else render_template("feedback/index.html", body=body))
    response.vary.add("HX-Request-Type")
    return response


def _overview(campaign, round_, group_id, show, number, page_args, partial, csrf):
    """The overview (the whole page's content, or only its list for htmx) with `csrf` in its forms."""
    scope = None
    if current_user.role in ("evaluator", "supervisor"):
        scope = policy.inspected_unit_ids(current_user, campaign)
    summary, page, total = services.overview_page(campaign, round_, scope, group_id, show, number, PAGE_SIZE)
    return render_template("feedback/_overview.html" if partial else "feedback/_index_body.html",
                           campaign=campaign, rows=page.items, round=round_, page=page, page_args=page_args,
                           rounds=ROUND_LABELS, group_id=group_id, summary=summary, show=show,
                           cards=services.OVERVIEW_CARDS, total=total, csrf=csrf)


@bp.post("/compile")
@role_required(OFFICE)
def compile_():
    campaign = campaign_or_404()
    round_ = request.form.get("round", "")
    try:
        if plain_int(request.form.get("group")) is not None:
            group = db.get_or_404(EvaluationGroup, plain_int(request.form["group"]))
            made, skipped = services.compile_group(campaign, group, round_, current_user)
            flash(f"已为{group.name}起草 {len(made)} 份反馈通知书；{len(skipped)} 个单位没有待反馈的问题或已有草稿")
            return redirect(url_for("feedback.index", round=round_, group=group.id))
        unit = db.session.get(Unit, plain_int(request.form.get("unit")) or 0)
        if unit is None:
            raise DomainError("请选择要起草反馈的单位")
        notice = services.compile_notice(campaign, unit, round_, current_user)
    except DomainError as e:
        db.session.rollback()
        flash(str(e), "error")
        return redirect(url_for("feedback.index", round=round_))
    flash(f"已起草{notice.unit.name}的反馈通知书，请核对问题、填写整改建议后发送")
    return redirect(url_for("feedback.show", notice_id=notice.id))


def _item_form(campaign, item=None, formdata=None):
    form = ItemForm(formdata=formdata, obj=item, prefix=f"i{item.id}" if item else "new")
    form.dimension_id.choices = [(d.id, d.name) for d in dimensions(campaign.id)]
    if formdata is None and item is not None:
        form.version.data = item.version
    return form


def _show(notice, notice_form=None, item_forms=None, new_form=None, error=None, status=200):
    campaign = campaign_or_404()
    editable = current_user.role == OFFICE and notice.status == "draft"
    if editable:
        notice_form = notice_form or NoticeForm(formdata=None, obj=notice)
        if notice_form.version.data in (None, ""):
            notice_form.version.data = notice.version
        item_forms = item_forms or {}
        for item in notice.items:
            item_forms.setdefault(item.id, _item_form(campaign, item))
        new_form = new_form or _item_form(campaign)
        if new_form.deadline.data is None:
            new_form.deadline.data = services.default_deadline(campaign)
    history = []
    previous = notice.replaces
    while previous is not None:
        history.append(previous)
        previous = previous.replaces
    return render_template("feedback/show.html", notice=notice, campaign=campaign, editable=editable,
                           notice_form=notice_form, item_forms=item_forms or {}, new_form=new_form, error=error,
                           history=history, overdue=services.receipt_overdue(notice),
                           send_refusal=services.send_refusal(notice) if editable else None,
                           number=notice.number_label(campaign.doc_prefix)), status


@bp.get("/<int:notice_id>")
@login_required
def show(notice_id):
    return _show(_notice(notice_id))


@bp.post("/<int:notice_id>")
@role_required(OFFICE)
def save(notice_id):
    notice = _notice(notice_id)
    form = NoticeForm()
    saved, conflict = save_versioned(form, notice, lambda: services.save_notice(
        notice, form.version.data, form.overall.data or "", form.answer_deadline.data))
    if saved:
        flash("已保存")
        return redirect(url_for("feedback.show", notice_id=notice.id))
    return _show(notice, notice_form=form, error=str(conflict) + "，请刷新后再改" if conflict else None, status=422)


@bp.post("/<int:notice_id>/overall")
@role_required(OFFICE)
def regenerate_overall(notice_id):
    """Write the draft's 总体评价 afresh from the unit's own data; the office edits it before sending."""
    notice = _notice(notice_id)
    try:
        services.regenerate_overall(notice, request.form.get("version"), current_user)
    except DomainError as e:
        db.session.rollback()
        return _show(notice, error=str(e), status=422)
    flash("已按本单位数据重新生成总体评价，请核对修改后保存")
    return redirect(url_for("feedback.show", notice_id=notice.id))


@bp.post("/<int:notice_id>/items")
@role_required(OFFICE)
@once.guard
def add_item(notice_id):
    notice = _notice(notice_id)
    form = _item_form(campaign_or_404(), formdata=request.form)
    if form.validate_on_submit():
        try:
            services.save_item(notice, None, None, form.dimension_id.data, form.problem.data,
                               form.suggestion.data or "", form.deadline.data)
        except DomainError as e:
            db.session.rollback()
            form.problem.errors.append(str(e))
        else:
            flash("已新增问题")
            return redirect(url_for("feedback.show", notice_id=notice.id) + "#items")
    return _show(notice, new_form=form, status=422)


@bp.post("/items/<int:item_id>")
@role_required(OFFICE)
def save_item(item_id):
    item = db.get_or_404(FeedbackItem, item_id)
    notice = _notice(item.notice_id)
    form = _item_form(campaign_or_404(), item, formdata=request.form)
    saved, conflict = save_versioned(form, item, lambda: services.save_item(
        notice, item, form.version.data, form.dimension_id.data, form.problem.data, form.suggestion.data or "",
        form.deadline.data), form.problem)
    if saved:
        flash("已保存")
        return redirect(url_for("feedback.show", notice_id=notice.id) + f"#item-{item.id}")
    if conflict:
        form.problem.errors.append(f"该问题刚被他人修改为：{item.problem}；整改建议：{item.suggestion}。再次保存将以您的为准")
    return _show(notice, item_forms={item.id: form}, status=422)


@bp.post("/items/<int:item_id>/delete")
@role_required(OFFICE)
def delete_item(item_id):
    item = db.get_or_404(FeedbackItem, item_id)
    notice = _notice(item.notice_id)
    try:
        services.delete_item(item)
    except DomainError as e:
        flash(str(e), "error")
    else:
        flash("已删除该问题")
    return redirect(url_for("feedback.show", notice_id=notice.id) + "#items")


@bp.post("/<int:notice_id>/send")
@role_required(OFFICE)
def send(notice_id):
    notice = _notice(notice_id)
    try:
        services.send_notice(notice, current_user)
    except DomainError as e:
        db.session.rollback()
        return _show(notice, error=str(e), status=422)
    flash(f"已发送{notice.unit.name}的反馈通知书（{notice.number_label(campaign_or_404().doc_prefix)}），等待单位签收")
    return redirect(url_for("feedback.show", notice_id=notice.id))


@bp.post("/<int:notice_id>/delete")
@role_required(OFFICE)
def delete(notice_id):
    notice = _notice(notice_id)
    round_, unit_name = notice.round, notice.unit.name
    try:
        services.delete_draft(notice, current_user)
    except DomainError as e:
        flash(str(e), "error")
        return redirect(url_for("feedback.show", notice_id=notice.id))
    flash(f"已删除{unit_name}的反馈通知书草稿")
    return redirect(url_for("feedback.index", round=round_))


@bp.post("/<int:notice_id>/revise")
@role_required(OFFICE)
def revise(notice_id):
    notice = _notice(notice_id)
    try:
        draft = services.revise_notice(notice, current_user)
    except DomainError as e:
        flash(str(e), "error")
        return redirect(url_for("feedback.show", notice_id=notice.id))
    flash("已起草更正版，修改后发送；原版本保留备查")
    return redirect(url_for("feedback.show", notice_id=draft.id))


@bp.post("/<int:notice_id>/receive")
@role_required(UNIT)
def receive(notice_id):
    notice = _notice(notice_id)
    try:
        services.receive_notice(notice, current_user)
    except DomainError as e:
        flash(str(e), "error")
    else:
        flash("已签收。请逐条答复整改：能解决的限时解决，一时无法解决的制订整改计划并承诺，政策性问题作出说明")
    return redirect(url_for("feedback.show", notice_id=notice.id))
