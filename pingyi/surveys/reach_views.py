"""Reaching respondents (office only): registers (/surveys/pools), sample draws, personal links by SMS or
printed slips, reminders, and the phone-interview screen. Units, supervisors and leaders never see these."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from pingyi import once
from pingyi.auth.roles import OFFICE, role_required
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.forms import clean_line, clean_text, plain_int
from pingyi.campaigns.services import campaign_or_404
from pingyi.outbound import services as outbound
from pingyi.surveys import pools as pool_services
from pingyi.surveys import sampling
from pingyi.surveys import services as surveys
from pingyi.surveys.models import ROUND_LABELS, Questionnaire
from pingyi.surveys.reach_models import (
    CALL_OUTCOMES,
    MAX_CALL_ATTEMPTS,
    MAX_REMINDERS,
    RespondentPool,
    SampleDraw,
    SampledPerson,
)
from pingyi.timeutil import today
from pingyi.units.models import Unit

bp = Blueprint("reach", __name__)


def _base_url():
    return (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")


def _pool(pool_id):
    return db.get_or_404(RespondentPool, pool_id)


def _draw(draw_id):
    draw = db.get_or_404(SampleDraw, draw_id)
    campaign = campaign_or_404()
    if draw.campaign_id != campaign.id:
        abort(404)
    return campaign, draw


@bp.get("/surveys/pools")
@role_required(OFFICE)
def pools():
    campaign = campaign_or_404()
    return render_template("reach/pools.html", pools=pool_services.pools(), draws=sampling.draws(campaign),
                           error="", name="", note="")


@bp.post("/surveys/pools")
@role_required(OFFICE)
@once.guard
def create_pool():
    campaign = campaign_or_404()
    name, note = clean_line(request.form.get("name", "")), clean_text(request.form.get("note", ""))[:1000]
    try:
        pool = pool_services.create_pool(name, note, current_user)
    except DomainError as error:
        db.session.rollback()
        return render_template("reach/pools.html", pools=pool_services.pools(), draws=sampling.draws(campaign),
                               error=str(error), name=name, note=note), 422
    flash(f"已新建名册“{pool.name}”，请导入名单", "success")
    return redirect(url_for("reach.pool", pool_id=pool.id))


def _pool_page(pool, problems=None, status=200):
    campaign = campaign_or_404()
    q = clean_line(request.args.get("q", ""))[:50]
    unit_id = plain_int(request.args.get("unit"))
    page = db.paginate(pool_services.search(pool, q, unit_id=unit_id), page=plain_int(request.args.get("page")) or 1,
                       per_page=50, error_out=False)
    return render_template("reach/pool.html", pool=pool, page=page, q=q, unit_id=unit_id, problems=problems,
                           mask=outbound.mask, type_counts=pool_services.type_counts(pool),
                           units=sampling.campaign_units(campaign), draws=sampling.draws(campaign, pool)), status


@bp.get("/surveys/pools/<int:pool_id>")
@role_required(OFFICE)
def pool(pool_id):
    return _pool_page(_pool(pool_id))


@bp.post("/surveys/pools/<int:pool_id>/import")
@role_required(OFFICE)
def import_register(pool_id):
    pool = _pool(pool_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _pool_page(pool, [(None, None, "请选择要导入的名册文件（.xlsx 或 .csv）")], 422)
    data = upload.read(current_app.config["IMPORT_MAX_BYTES"] + 1)
    try:
        added, updated = pool_services.import_register(upload.filename, data, pool, current_user)
    except pool_services.ImportRefused as error:
        db.session.rollback()
        problems = [(r, c, m.replace("行单位数据", "行名册数据")) for r, c, m in error.problems]
        return _pool_page(pool, problems, 422)
    flash(f"已导入：新增 {added} 人，更新 {updated} 人", "success")
    return redirect(url_for("reach.pool", pool_id=pool.id))


@bp.get("/surveys/pools/<int:pool_id>/export.xlsx")
@role_required(OFFICE)
def export_register(pool_id):
    pool = _pool(pool_id)
    data = pool_services.export_register(pool, current_user)
    return send_file(data, as_attachment=True, download_name=f"受访对象名册_{pool.id}_{today():%Y%m%d}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/surveys/pools/<int:pool_id>/draw", methods=["GET", "POST"])
@role_required(OFFICE)
@once.guard
def new_draw(pool_id):
    pool = _pool(pool_id)
    campaign = campaign_or_404()
    units = sampling.campaign_units(campaign)
    types = surveys.respondent_types(campaign.id)
    qs = surveys.questionnaires(campaign.id)
    if not qs or not types:
        flash("本年度尚未设置测评问卷和测评对象类别", "error")
        return redirect(url_for("surveys.setup"))
    form = {"questionnaire": qs[0].id, "round": "november", "sizes": {t.id: (10 if i == 0 else 0) for i, t in enumerate(types)},
            "units": {u.id for u in units}, "exclude": current_app.config["SAMPLE_EXCLUDE_MONTHS"]}
    error = ""
    if request.method == "POST":
        form = {"questionnaire": plain_int(request.form.get("questionnaire")), "round": request.form.get("round", ""),
                "sizes": {t.id: request.form.get(f"size-{t.id}", "").strip() for t in types},
                "units": {u for u in (plain_int(v) for v in request.form.getlist("unit")) if u},
                "exclude": request.form.get("exclude", "").strip()}
        sizes = {t: plain_int(v) if v else 0 for t, v in form["sizes"].items()}
        exclude = plain_int(form["exclude"])
        if any(v is None for v in sizes.values()):
            error = f"抽样人数应为 0 至 {sampling.MAX_PER_STRATUM} 的整数"
        elif exclude is None:
            error = f"排除期应为 0 至 {sampling.MAX_EXCLUDE_MONTHS} 的整数（月）"
        else:
            questionnaire = db.session.get(Questionnaire, form["questionnaire"]) if form["questionnaire"] else None
            try:
                draw = sampling.draw_sample(campaign, pool, questionnaire, form["round"], sizes, form["units"], exclude,
                                            current_user)
            except DomainError as e:
                db.session.rollback()
                error = str(e)
            else:
                flash(f"已抽中 {draw.drawn_count} 人" + (f"（{draw.shortfall} 个名额因名册人数不足空缺）" if draw.shortfall else ""),
                      "success")
                return redirect(url_for("reach.draw", draw_id=draw.id))
    available, left_out = sampling.candidates(campaign, pool, [u.id for u in units], {t.id for t in types},
                                              plain_int(str(form["exclude"])) or 0, sampling.utcnow())
    return render_template("reach/new_draw.html", pool=pool, units=units, types=types, qs=qs, rounds=ROUND_LABELS,
                           form=form, error=error, available=available, left_out=left_out), 422 if error else 200


@bp.get("/surveys/draws/<int:draw_id>")
@role_required(OFFICE)
def draw(draw_id):
    campaign, draw = _draw(draw_id)
    progress = sampling.progress(draw)
    units = {u.id: u for u in db.session.scalars(db.select(Unit).where(Unit.id.in_(draw.unit_ids)))}
    types = {t.id: t for t in surveys.respondent_types(campaign.id)}
    strata = sorted((k for k in progress if k is not None), key=lambda k: (units[k[0]].sort_order, k[0], k[1]))
    verified = sampling.verify(draw) if request.args.get("verify") else None
    replaced_by = db.session.scalar(db.select(SampleDraw).where(SampleDraw.replaces_id == draw.id))
    return render_template("reach/draw.html", campaign=campaign, draw=draw, progress=progress, strata=strata,
                           units=units, types=types, verified=verified, contacted=sampling.contacted(draw),
                           sms_on=outbound.configured("sms"), max_reminders=MAX_REMINDERS, replaced_by=replaced_by)


def _draw_action(draw_id, action, done):
    campaign, draw = _draw(draw_id)
    try:
        count = action(draw, campaign)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(done(count), "success")
    return redirect(url_for("reach.draw", draw_id=draw.id))


@bp.post("/surveys/draws/<int:draw_id>/send")
@role_required(OFFICE)
def send_links(draw_id):
    unit_id = plain_int(request.form.get("unit"))
    return _draw_action(draw_id, lambda d, c: sampling.send_links(d, c, _base_url(), current_user, unit_id),
                        lambda n: f"已为 {n} 人排队发送测评链接" + ("" if outbound.configured("sms") else "（短信通道未开启：仅记录，未实际发出）"))


@bp.post("/surveys/draws/<int:draw_id>/remind")
@role_required(OFFICE)
def remind(draw_id):
    return _draw_action(draw_id, lambda d, c: sampling.send_reminders(d, c, _base_url(), current_user),
                        lambda n: f"已为 {n} 名未作答的对象排队发送提醒短信")


@bp.post("/surveys/draws/<int:draw_id>/redraw")
@role_required(OFFICE)
def redraw(draw_id):
    campaign, draw = _draw(draw_id)
    try:
        new = sampling.redraw_sample(draw, request.form.get("reason", ""), current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("reach.draw", draw_id=draw.id))
    flash(f"已重新抽样（原抽样已作废并保留记录），抽中 {new.drawn_count} 人", "success")
    return redirect(url_for("reach.draw", draw_id=new.id))


@bp.get("/surveys/draws/<int:draw_id>/slips")
@role_required(OFFICE)
def slips(draw_id):
    campaign, draw = _draw(draw_id)
    if draw.status != "current":
        abort(404)
    unit_id = plain_int(request.args.get("unit"))
    people = sampling.slips(draw, current_user, unit_id)
    base = _base_url()
    return render_template("reach/slips.html", draw=draw, people=people, base=base, qr=surveys.qr_data_uri,
                           mask=outbound.mask, unit=db.session.get(Unit, unit_id) if unit_id else None)


@bp.get("/surveys/draws/<int:draw_id>/calls")
@role_required(OFFICE)
def calls(draw_id):
    campaign, draw = _draw(draw_id)
    return _call_page(campaign, draw, plain_int(request.args.get("unit")))


def _call_page(campaign, draw, unit_id, person=None, errors=None, chosen=None, message="", status=200):
    person = person or (sampling.next_call(draw, unit_id) if draw.status == "current" else None)
    questionnaire = db.session.get(Questionnaire, draw.questionnaire_id)
    progress = sampling.progress(draw)
    return render_template("reach/calls.html", campaign=campaign, draw=draw, person=person, q=questionnaire,
                           opts=surveys.options(campaign.id), errors=errors or {}, chosen=chosen or {},
                           outcomes=CALL_OUTCOMES, max_attempts=MAX_CALL_ATTEMPTS, unit_id=unit_id,
                           script=sampling.call_script(campaign, person.unit) if person else "",
                           units=[u for u in sampling.campaign_units(campaign) if u.id in draw.unit_ids],
                           total=progress.get(None, sampling.EMPTY_ROW), message=message), status


@bp.post("/surveys/sampled/<int:person_id>/call")
@role_required(OFFICE)
def record_call(person_id):
    person = db.get_or_404(SampledPerson, person_id)
    campaign, draw = _draw(person.draw_id)
    unit_id = plain_int(request.form.get("unit_filter"))
    outcome = request.form.get("outcome", "")
    chosen = {question_id: option for question_id, option in
              ((q.id, plain_int(request.form.get(f"q-{q.id}"))) for q in draw.questionnaire.questions)
              if option is not None} if outcome == "completed" else {}
    try:
        errors = sampling.record_call(person, campaign, outcome, chosen, current_user)
    except surveys.CodeSpent:
        db.session.rollback()
        flash("该对象已通过短信链接或纸条作答，本次回访不再记录答卷", "error")
        return redirect(url_for("reach.calls", draw_id=draw.id, unit=unit_id))
    except DomainError as error:
        db.session.rollback()
        return _call_page(campaign, draw, unit_id, person=person, message=str(error), chosen=chosen, status=422)
    if errors:
        return _call_page(campaign, draw, unit_id, person=person, errors=errors, chosen=chosen,
                          message=f"还有 {len(errors)} 题未选择", status=422)
    flash(f"已记录：{outbound.mask(person.respondent.phone)} {CALL_OUTCOMES[outcome]}", "success")
    return redirect(url_for("reach.calls", draw_id=draw.id, unit=unit_id))
