"""/results: live and published results, each unit's explanation, the scoring rules, publishing, export."""

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from markupsafe import Markup
from openpyxl import Workbook

from pingyi import policy
from pingyi.auth.roles import EVALUATOR, LEADER, OFFICE, SUPERVISOR, UNIT, role_required
from pingyi.cache.services import cached_compute, kept
from pingyi.campaigns.categories import labels as category_labels
from pingyi.campaigns.services import campaign_or_404
from pingyi.checklists.services import dimensions
from pingyi.errors import DomainError, StaleEdit
from pingyi.exact import exact_text, parse_exact
from pingyi.extensions import db
from pingyi.findings.models import SEVERITY_LABELS
from pingyi.forms import clean_text, cleaned_form, plain_int
from pingyi.results import quotas, services
from pingyi.results import settings as settings_form
from pingyi.results.groups import KEY_RULES, uncovered
from pingyi.results.models import MARK_LABELS, ResultVersion
from pingyi.results.returns import SHORTFALL_RULES
from pingyi.results import direct, schemes
from pingyi.results.components import DEFAULTS, KINDS, NUMBER_PARAMS, RECTIFICATION_MODES, SURVEY_MODES, blank_row, form_rows, stored
from pingyi.results.scoring import MISSING_RULES, SOURCES, boundary_words
from pingyi.timeutil import today
from pingyi.units.services import ImportRefused
from pingyi.xlsx import append_row, sheet_title

bp = Blueprint("results", __name__)
EVERYONE = (OFFICE, EVALUATOR, SUPERVISOR, LEADER, UNIT)


def _version(campaign, number):
    version = db.session.scalar(db.select(ResultVersion).where(ResultVersion.campaign_id == campaign.id,
                                                               ResultVersion.number == number))
    if version is None:
        abort(404)
    return version


def _shown(campaign):
    """(version, live) the signed-in user reads: the office and leaders read the live figures (version None, live
    True) or any version; everyone else only the latest published version (None if none yet, live False)."""
    number = plain_int(request.args.get("version"))
    if request.args.get("version") and number is None:
        abort(404)  # a version number that cannot exist
    if current_user.role in (OFFICE, LEADER):
        return (_version(campaign, number), False) if number else (None, True)
    return services.latest_version(campaign), False


def _data(campaign):
    """(results, version or None for live) the signed-in user may read (see _shown); (None, None) before any
    version is published, for those who read only published ones."""
    version, live = _shown(campaign)
    if live:
        return cached_compute(campaign), None
    if version is None:
        return None, None
    return services.version_results(version), version


def _visible_groups(data, version):
    """Indexes of the ranking groups the user may see."""
    groups = data["groups"]
    if current_user.role in (OFFICE, LEADER):
        return list(range(len(groups)))
    if current_user.role == UNIT and not version.show_ranking:
        return []
    return [i for i, g in enumerate(groups) if g["published"]]


@bp.get("/results")
@role_required(*EVERYONE)
def index():
    campaign = campaign_or_404()
    version, live = _shown(campaign)
    if version is None and not live:
        return render_template("results/unpublished.html", campaign=campaign)
    # The page has no form: kept rendered for every user of the role (and unit: a unit's own row and figures; an
    # evaluator or supervisor: the units whose explanation they may open link), per version shown (a published
    # version is frozen; the live figures follow the data version) and day (the print date).
    own_links = current_user.id if current_user.role not in (OFFICE, LEADER, UNIT) else None
    body = kept("results-page", (campaign.id, version.number if version else "live", current_user.role,
                                 current_user.unit_id, own_links), lambda: _page(campaign, version), clock="day")
    return render_template("results/index.html", body=Markup(body))


def _page(campaign, version):
    """The page under the navigation, rendered (the live figures when version is None)."""
    data = cached_compute(campaign) if version is None else services.version_results(version)
    return render_template("results/_page.html", **_page_context(campaign, data, version))


def _page_context(campaign, data, version):
    ranking = services.ranking(data["details"], data["groups"])
    visible = _visible_groups(data, version)
    own = data["details"].get(current_user.unit_id) if current_user.role == UNIT else None
    if current_user.role in (OFFICE, LEADER, UNIT):
        explainable = None  # every row links (for a unit, only its own row; the template decides)
    else:
        explainable = policy.inspected_unit_ids(current_user, campaign)
    config = data.get("config") or services.config_as_dict(services.config_for(campaign))
    refusal = None
    if current_user.role == OFFICE:  # publishing freezes the live figures, whichever version is on screen
        refusal = services.publish_refusal(data if version is None else cached_compute(campaign))
    grades, quota_notes = _rule_note(config)
    office = current_user.role in (OFFICE, LEADER)
    return dict(campaign=campaign, data=data, refusal=refusal, rule_note=grades, explainable=explainable,
                quota_notes=quota_notes, ranking=[(i, r) for i, r in enumerate(ranking) if i in visible],
                version=version, marks=MARK_LABELS, sources=services.component_heads(data["details"]), own=own,
                record=services.publication_record(version) if version and office else None,
                versions=services.versions(campaign) if office else [])


def _rule_note(config):
    """How grades, 先进 and 末位 were set, in the words of the rules they were set by (以上/以下 include the
    line, 高于/低于 do not): (grades note, [先进/末位 note per group])."""
    words = config.get("boundaries") or boundary_words(config)
    grades = "等次：" + "；".join(f"{name} {text}" for name, text in words["grades"]) + "。"
    if "top_count" in config:  # a version published while 先进/末位 were one rule for every group
        rule = [f"先进：每组最多 {config['top_count']} 个，且不超过本组排名单位数的 {exact_text(config['top_share'])}%"
                f"（向下取整），{words.get('top_min', '')}且未被一票否决；同分单位一并评或一并不评。"
                if config["top_count"] else "",
                f"末位：每组最后 {config['bottom_count']} 名（同分并列的一并列入）。" if config["bottom_count"] else ""]
        return grades, ["".join(rule) for _ in config["groups"]]
    notes = []
    for group in config["groups"]:
        top, bottom, condition = quotas.words(group.get("quota"))
        notes.append("；".join(x for x in (condition, top, bottom) if x) + "。")
    return grades, notes


@bp.get("/results/units/<int:unit_id>")
@role_required(*EVERYONE)
def unit(unit_id):
    campaign = campaign_or_404()
    policy.require_unit_work(unit_id, campaign)  # evaluators and supervisors: the units they inspect
    version, live = _shown(campaign)
    if not live and version is None:
        return render_template("results/unpublished.html", campaign=campaign)
    # The explanation has no form: kept rendered per unit, version shown (or the live figures, while the data and
    # the day are unchanged) and the viewer's role, and for a unit's liaison its own unit (the only one it sees).
    viewer = current_user.unit_id if current_user.role == UNIT else None
    body, title = kept("results-explanation", (campaign.id, unit_id, version.number if version else "live",
                                               current_user.role, viewer),
                       lambda: _explanation(campaign, unit_id, version), clock="day")
    if body is None:
        abort(404)
    return render_template("results/unit.html", body=Markup(body), title=title)


def _explanation(campaign, unit_id, version):
    """(the rendered explanation of the unit's score, the unit's name), or (None, None) when it has no result."""
    data = services.version_results(version) if version is not None else cached_compute(campaign)
    detail = data["details"].get(unit_id)
    if detail is None:
        return None, None
    if (current_user.role in (EVALUATOR, SUPERVISOR) and detail["group"] is not None
            and not data["groups"][detail["group"]]["published"]):
        detail = dict(detail, rank=None, mark="", group_size=0)  # a group kept unpublished keeps its ranking
    config = data.get("config") or services.config_as_dict(services.config_for(campaign))
    dims = {str(d["id"]): d["name"] for d in data["summary"]["dimensions"]}
    group = data["groups"][detail["group"]] if detail["group"] is not None else None
    return render_template("results/_unit_body.html", campaign=campaign, d=detail, version=version, config=config,
                           dims=dims, group=group, marks=MARK_LABELS, county=data["summary"],
                           computed_at=data.get("computed_at")), detail["unit"]


def _check_page(campaign, form=None, error="", status=200):
    preview = services.publish_preview(campaign)
    return render_template("results/publish.html", campaign=campaign, p=preview, f=form or {}, error=error,
                           seen=set((form or {}).get("seen", [])), marks=MARK_LABELS), status


@bp.get("/results/publish")
@role_required(OFFICE)
def check():
    """The checks before publishing and what would change against the last published version."""
    return _check_page(campaign_or_404())


@bp.post("/results/publish")
@role_required(OFFICE)
def publish():
    campaign = campaign_or_404()
    raw_number = request.form.get("doc_number", "").strip()
    typed = {"doc_number": raw_number, "note": request.form.get("note", ""), "seen": request.form.getlist("seen"),
             "show_ranking": request.form.get("show_ranking") == "y"}
    if raw_number and not 0 < (plain_int(raw_number) or 0) < 10000:
        return _check_page(campaign, typed, f"通报的发文序号应为 1 至 9999 的整数（您填写的是“{raw_number}”），未发布", 422)
    try:
        version = services.publish(campaign, current_user, typed["show_ranking"],
                                   clean_text(typed["note"])[:500].rstrip(), plain_int(raw_number),
                                   seen=set(typed["seen"]))
    except DomainError as error:
        db.session.rollback()
        return _check_page(campaign, typed, str(error), 422)
    flash(f"已发布第 {version.number} 版评议结果：各单位现在可以查看", "success")
    return redirect(url_for("results.index", version=version.number))


@bp.get("/results/export.xlsx")
@role_required(OFFICE, LEADER, EVALUATOR, SUPERVISOR)
def export():
    campaign = campaign_or_404()
    data, version = _data(campaign)
    if data is None:
        abort(404)
    out = services.export_workbook(data, _visible_groups(data, version))
    label = f"第{version.number}版" if version else "实时"
    return send_file(out, as_attachment=True, download_name=f"{campaign.year}年度评议结果_{label}_{today():%Y%m%d}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# ---- the scoring rules ------------------------------------------------------------------------------------

def _settings_page(campaign, config, typed, errors, example, status=200, conflict=False, loaded=None):
    context = services.form_context(campaign)
    direct_keys = [c["key"] for c in typed.get("components", []) if c.get("kind") == "direct" and c.get("key")]
    return render_template("results/settings.html", campaign=campaign, config=config, f=typed, errors=errors,
                           ctx=context, kinds=KINDS, survey_modes=SURVEY_MODES,
                           rectification_modes=RECTIFICATION_MODES, number_params=NUMBER_PARAMS,
                           blank_component=blank_row(), schemes=schemes.SCHEMES, defaults=DEFAULTS, loaded=loaded,
                           stored_keys={c["key"] for c in stored(config) if c["kind"] == "direct"},
                           filled=direct.filled_counts(campaign, direct_keys),
                           units_total=len(direct.participating_units(campaign)),
                           boundaries=_typed_boundaries(typed),
                           example=example, dims=dimensions(campaign.id), severities=SEVERITY_LABELS,
                           categories=category_labels(campaign), key_rules=KEY_RULES, sources=SOURCES,
                           missing_rules=MISSING_RULES, ties=quotas.TIES, shortfall_rules=SHORTFALL_RULES,
                           uncovered=uncovered(typed.get("groups") or [], category_labels(campaign, include_retired=False)),
                           conflict=conflict), status


def _typed_boundaries(typed):
    """The thresholds as typed, in words (None while one of them is not a number yet)."""
    grades = [g for g in typed.get("grades", []) if g["name"]]
    if any(parse_exact(g["min"]) is None for g in grades[:-1]):
        return None
    grades = [dict(g, min=None if i == len(grades) - 1 else g["min"]) for i, g in enumerate(grades)]
    groups = [{"name": g["name"], "quota": g["clean_quota"]} for g in typed.get("groups", []) if g.get("clean_quota")]
    return boundary_words({"grades": grades, "groups": groups,
                           "min_valid_ballots": plain_int(typed.get("min_valid_ballots")) or 0,
                           "return_shortfall": typed.get("return_shortfall"),
                           "min_return_rate": parse_exact(typed.get("min_return_rate"))})


@bp.route("/results/settings", methods=["GET", "POST"])
@role_required(OFFICE)
def settings():
    campaign = campaign_or_404()
    config = services.config_for(campaign)
    if config is None:
        flash("本年度尚未建立综合评定办法，请先按默认设置建立", "error")
        return redirect(url_for("surveys.setup"))
    if request.method == "GET":
        typed = settings_form.form_from_config(config)
        scheme = schemes.ready(request.args.get("scheme", ""))
        if scheme is None:
            return _settings_page(campaign, config, typed, {}, services.worked_example(campaign, config))
        name, _, listed = scheme  # a preview: the form shows the ready scheme, nothing is stored until saved
        typed["components"] = form_rows(listed)
        preview = dict(services.config_as_dict(config), components=listed)
        return _settings_page(campaign, config, typed, {}, services.worked_example(campaign, preview),
                              loaded=name)
    typed, clean, errors = settings_form.parse(cleaned_form(request.form, settings_form.TEXT_FIELDS),
                                               {d.id for d in dimensions(campaign.id)}, category_labels(campaign),
                                               services.form_context(campaign)["parse"])
    if not errors:
        rows = {i: g["n"] for i, g in enumerate(typed["groups"])}
        errors = {f"group-{rows[i]}-quota": message for i, message in
                  services.quota_refusals(campaign, settings_form.rules_values(clean)).items()}
    if errors:
        return _settings_page(campaign, config, typed, errors, None, 400)
    try:
        services.save_config(campaign, config, typed["version"], clean, current_user)
    except StaleEdit:
        db.session.rollback()
        typed["version"] = config.version
        return _settings_page(campaign, config, typed, {}, None, 409, conflict=True)
    flash("综合评定办法已保存；实时结果已按新办法计算（已发布的版本不变）", "success")
    return redirect(url_for("results.settings"))


@bp.post("/results/settings/example")
@role_required(OFFICE)
def example():
    """The worked example for the rules as typed, swapped in by htmx on every change (nothing saved)."""
    campaign = campaign_or_404()
    typed, clean, errors = settings_form.parse(cleaned_form(request.form, settings_form.TEXT_FIELDS),
                                               {d.id for d in dimensions(campaign.id)}, category_labels(campaign),
                                               services.form_context(campaign)["parse"])
    if errors:
        return render_template("results/_example.html", example=None, errors=errors, sources=SOURCES)
    return render_template("results/_example.html", errors={}, sources=SOURCES,
                           example=services.worked_example(campaign, settings_form.rules_values(clean),
                                                           plain_int(request.form.get("example_unit"))))



# ---- direct scores ----------------------------------------------------------------------------------------

def _direct_page(campaign, comp, typed, errors, status=200, problems=None):
    return render_template("results/direct.html", campaign=campaign, comp=comp, typed=typed, errors=errors,
                           units=direct.participating_units(campaign), problems=problems or []), status


def _direct_component(campaign, key):
    config = services.config_for(campaign)
    comp = direct.component(config, key) if config is not None else None
    if comp is None:
        abort(404)
    return comp


@bp.route("/results/direct/<key>", methods=["GET", "POST"])
@role_required(OFFICE)
def direct_scores(key):
    """A direct-score component's value per unit, typed in (all or nothing)."""
    campaign = campaign_or_404()
    comp = _direct_component(campaign, key)
    if request.method == "GET":
        current = direct.values(campaign, key)
        return _direct_page(campaign, comp, {uid: exact_text(v) for uid, v in current.items()}, {})
    typed = {uid: clean_text(request.form.get(f"unit-{uid}", ""))[:40] for uid, _ in direct.participating_units(campaign)}
    clean, errors = direct.check_values(campaign, comp, typed)
    if errors:
        return _direct_page(campaign, comp, typed, errors, 400)
    changed = direct.save_values(campaign, comp, clean, current_user)
    flash(f"已保存{comp['name']}：{changed} 个单位的分数有变动", "success")
    return redirect(url_for("results.direct_scores", key=key))


@bp.post("/results/direct/<key>/import")
@role_required(OFFICE)
def import_direct(key):
    campaign = campaign_or_404()
    comp = _direct_component(campaign, key)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        current = {uid: exact_text(v) for uid, v in direct.values(campaign, key).items()}
        return _direct_page(campaign, comp, current, {}, 400, [(None, None, "请选择要导入的文件（.xlsx 或 .csv）")])
    try:
        changed = direct.import_values(campaign, comp, upload.filename, upload.read(), current_user)
    except ImportRefused as refused:
        db.session.rollback()
        current = {uid: exact_text(v) for uid, v in direct.values(campaign, key).items()}
        return _direct_page(campaign, comp, current, {}, 400, refused.problems)
    flash(f"已导入{comp['name']}：{changed} 个单位的分数有变动", "success")
    return redirect(url_for("results.direct_scores", key=key))


@bp.get("/results/direct/<key>/template.xlsx")
@role_required(OFFICE)
def direct_template(key):
    """The import file to fill in: every unit with its current value."""
    campaign = campaign_or_404()
    comp = _direct_component(campaign, key)
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title(comp["name"])
    for row in direct.template_rows(campaign, comp):
        append_row(sheet, row)
    sheet.column_dimensions["A"].width = 34
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return send_file(out, as_attachment=True, download_name=f"{campaign.year}年度{comp['name']}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
