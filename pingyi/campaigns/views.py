"""Office administration of the campaign: settings and phases, new year, groups and members, categories."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from pingyi import once
from pingyi.auth.models import User
from pingyi.auth.roles import EVALUATOR, OFFICE, role_required
from pingyi.campaigns import categories, services
from pingyi.campaigns.forms import GroupForm, MemberForm, NewCampaignForm, SettingsForm
from pingyi.campaigns.models import Category, EvaluationGroup, GroupMember
from pingyi.campaigns.services import campaign_or_404
from pingyi.errors import DomainError, StaleEdit
from pingyi.extensions import db
from pingyi.forms import save_versioned
from pingyi.htmx import is_partial

bp = Blueprint("campaigns", __name__, url_prefix="/admin")


@bp.route("/campaign", methods=["GET", "POST"])
@role_required(OFFICE)
def settings():
    campaign = campaign_or_404()
    form = SettingsForm(obj=campaign)
    if request.method == "GET":
        for phase in campaign.phases:
            getattr(form, f"phase{phase.number}_start").data = phase.start_date
            getattr(form, f"phase{phase.number}_end").data = phase.end_date

    def save():
        values = {key: form.data[key] for key in services.SETTING_FIELDS}
        phases = {n: (form.data[f"phase{n}_start"], form.data[f"phase{n}_end"]) for n in range(1, 5)}
        services.update_settings(campaign, form.version.data, values, phases)

    saved, conflict = save_versioned(form, campaign, save)
    if saved:
        flash("评议活动设置已保存")
        return redirect(url_for("campaigns.settings"))
    failed = bool(form.errors or conflict)
    return render_template("campaigns/settings.html", form=form, campaign=campaign, conflict=conflict,
                           campaigns=services.list_campaigns(), new_form=NewCampaignForm(
                               year=campaign.year + 1)), 422 if failed else 200


def _member_form(formdata=None, member=None):
    form = MemberForm(formdata=formdata, obj=member)
    evaluators = db.session.scalars(select(User).where(User.role == EVALUATOR, User.active)
                                    .order_by(User.display_name)).all()
    form.user_id.choices = [(0, "（不绑定）")] + [(u.id, f"{u.display_name}（{u.username}）") for u in evaluators]
    if formdata is None and member is not None:
        form.user_id.data = member.user_id or 0
    return form


@bp.get("/groups")
@role_required(OFFICE)
def groups():
    campaign = campaign_or_404()
    return render_template("campaigns/groups.html", campaign=campaign, form=GroupForm(),
                           member_form=_member_form())


@bp.post("/groups")
@role_required(OFFICE)
@once.guard
def create_group():
    campaign = campaign_or_404()
    form = GroupForm()
    if form.validate_on_submit():
        try:
            group = services.save_group(campaign, None, None, form.name.data, form.scope.data,
                                        form.description.data)
        except DomainError as e:
            form.name.errors.append(str(e))
        else:
            flash(f"已新建评议组“{group.name}”")
            return redirect(url_for("campaigns.groups"))
    return render_template("campaigns/groups.html", campaign=campaign, form=form,
                           member_form=_member_form()), 422


@bp.route("/groups/<int:group_id>/edit", methods=["GET", "POST"])
@role_required(OFFICE)
def edit_group(group_id):
    group = db.get_or_404(EvaluationGroup, group_id)
    form = GroupForm(obj=group)
    saved, conflict = save_versioned(form, group, lambda: services.save_group(
        group.campaign, group, form.version.data, form.name.data, form.scope.data, form.description.data), form.name)
    if saved:
        flash("已保存")
        return redirect(url_for("campaigns.groups"))
    failed = bool(form.errors or conflict)
    return render_template("campaigns/group_form.html", form=form, group=group,
                           conflict=conflict), 422 if failed else 200


@bp.post("/groups/<int:group_id>/delete")
@role_required(OFFICE)
def delete_group(group_id):
    group = db.get_or_404(EvaluationGroup, group_id)
    try:
        services.delete_group(group)
    except DomainError as e:
        flash(str(e), "error")
    else:
        flash(f"已删除评议组“{group.name}”")
    return redirect(url_for("campaigns.groups"))


@bp.post("/groups/<int:group_id>/members")
@role_required(OFFICE)
@once.guard
def create_member(group_id):
    group = db.get_or_404(EvaluationGroup, group_id)
    form = _member_form(request.form)
    if form.validate_on_submit():
        services.save_member(group, None, form.name.data, form.title.data, form.member_role.data,
                             form.user_id.data or None)
        flash(f"已添加{group.name}成员“{form.name.data}”")
        return redirect(url_for("campaigns.groups") + f"#group-{group.id}")
    return render_template("campaigns/member_form.html", form=form, group=group, member=None), 422


@bp.route("/members/<int:member_id>/edit", methods=["GET", "POST"])
@role_required(OFFICE)
def edit_member(member_id):
    member = db.get_or_404(GroupMember, member_id)
    form = _member_form(request.form if request.method == "POST" else None, member)
    if form.validate_on_submit():
        services.save_member(member.group, member, form.name.data, form.title.data, form.member_role.data,
                             form.user_id.data or None)
        flash("已保存")
        return redirect(url_for("campaigns.groups") + f"#group-{member.group_id}")
    failed = request.method == "POST"
    return render_template("campaigns/member_form.html", form=form, group=member.group,
                           member=member), 422 if failed else 200


@bp.post("/members/<int:member_id>/delete")
@role_required(OFFICE)
def delete_member(member_id):
    member = db.get_or_404(GroupMember, member_id)
    group_id = member.group_id
    services.delete_member(member)
    if is_partial():
        return ""
    flash(f"已移除“{member.name}”")
    return redirect(url_for("campaigns.groups") + f"#group-{group_id}")


# ---- categories of evaluated units (评议类别) ---------------------------------------------------------

def _categories_page(campaign, errors=None, typed=None, status=200):
    return render_template("campaigns/categories.html", campaign=campaign, rows=categories.categories(campaign.id),
                           counts=categories.unit_counts(campaign), errors=errors or {}, typed=typed or {}), status


@bp.get("/categories")
@role_required(OFFICE)
def categories_page():
    return _categories_page(campaign_or_404())


@bp.post("/categories")
@role_required(OFFICE)
def create_category():
    campaign = campaign_or_404()
    name = request.form.get("name", "")
    try:
        category = categories.create(campaign, name)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _categories_page(campaign, {"new": str(error)}, {"new": name[:60]}, 422)
    flash(f"已新增评议类别“{category.name}”")
    return redirect(url_for("campaigns.categories_page"))


def _category(campaign, category_id):
    category = db.session.get(Category, category_id)
    if category is None or category.campaign_id != campaign.id:
        abort(404)
    return category


@bp.post("/categories/<int:category_id>")
@role_required(OFFICE)
def save_category(category_id):
    campaign = campaign_or_404()
    category = _category(campaign, category_id)
    name = request.form.get("name", "")
    try:
        categories.save(campaign, category, request.form.get("version", ""), name,
                        request.form.get("retired") == "y")
    except StaleEdit:
        db.session.rollback()
        return _categories_page(campaign, {category_id: "该类别已被他人修改，请刷新后再改"}, {category_id: name[:60]}, 409)
    except DomainError as error:
        db.session.rollback()
        return _categories_page(campaign, {category_id: str(error)}, {category_id: name[:60]}, 422)
    flash(f"已保存评议类别“{category.name}”")
    return redirect(url_for("campaigns.categories_page"))


@bp.post("/categories/<int:category_id>/move")
@role_required(OFFICE)
def move_category(category_id):
    campaign = campaign_or_404()
    categories.move(campaign, _category(campaign, category_id), -1 if request.form.get("step") == "up" else 1)
    return redirect(url_for("campaigns.categories_page"))
