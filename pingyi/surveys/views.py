"""Survey pages: set-up (office), tally grids and ballot entry (office, supervisors for their units),
code sheets, and the public questionnaire answered with a one-time code."""
from fractions import Fraction

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import func
from sqlalchemy.orm import selectinload

from pingyi import once
from pingyi.auth.roles import LEADER, OFFICE, SUPERVISOR, role_required
from pingyi.campaigns.services import campaign_or_404, supervised_unit_ids
from pingyi.checklists.services import dimensions
from pingyi.errors import DomainError, StaleEdit
from pingyi.exact import exact_text, read_number
from pingyi.extensions import csrf, db
from pingyi.forms import clean_line, clean_text, plain_int
from pingyi.sessions import leave_cookie
from pingyi.surveys import follow_ups, public, services, throttle
from pingyi.surveys.models import ROUND_LABELS, Ballot, CodeBatch, Questionnaire, TallySheet
from pingyi.units.models import Unit

bp = Blueprint("surveys", __name__)


def _may_enter(unit_id, campaign):
    """Tallies and ballots: the office for every unit, a supervisor for the units assigned to them."""
    if current_user.role == OFFICE:
        return True
    return current_user.role == SUPERVISOR and unit_id in supervised_unit_ids(campaign, current_user)


def _entry_unit(unit_id):
    campaign = campaign_or_404()
    unit = db.get_or_404(Unit, unit_id)
    if current_user.role not in (OFFICE, SUPERVISOR):
        abort(403)
    if not _may_enter(unit.id, campaign):
        abort(404)
    return campaign, unit


def _batch_choice(campaign, args):
    """The questionnaire, respondent type and round chosen in the query string (first ones by default)."""
    qs = services.questionnaires(campaign.id)
    types = services.respondent_types(campaign.id)
    if not qs or not types:
        abort(404)
    q = next((x for x in qs if str(x.id) == args.get("questionnaire")), None)
    t = next((x for x in types if str(x.id) == args.get("type")), None)
    round_ = args.get("round") if args.get("round") in ROUND_LABELS else None
    if request.method == "POST" and (q is None or t is None or round_ is None):
        abort(400)  # a save names its batch exactly; only a page view falls back to the first one
    return qs, types, q or qs[0], t or types[0], round_ or "november"


@bp.get("/surveys")
@role_required(OFFICE, SUPERVISOR, LEADER)
def index():
    campaign = campaign_or_404()
    units = db.session.scalars(db.select(Unit).where(Unit.active).order_by(Unit.sort_order)).all()
    if current_user.role == SUPERVISOR:
        mine = supervised_unit_ids(campaign, current_user)
        units = [u for u in units if u.id in mine]
    progress = services.progress(campaign)
    blocked = services.double_entry_state(campaign)
    blocked_units = {}
    for (unit_id, _q, _t, _r), state in blocked.items():
        blocked_units.setdefault(unit_id, []).append(state)
    return render_template("surveys/index.html", campaign=campaign, units=units, progress=progress,
                           blocked=blocked_units, questionnaires=services.questionnaires(campaign.id),
                           options=services.options(campaign.id), types=services.respondent_types(campaign.id),
                           set_up=services.is_set_up(campaign), rounds=ROUND_LABELS)


# ---- set-up (office) ------------------------------------------------------------------------------------

def _number(raw, errors, key, label):
    """An exact number (pingyi.exact) typed into a set-up row; the message beside the row when it is not one."""
    value, message = read_number(raw, label, 0, 1000)
    if message:
        errors[key] = message
        return Fraction(0)
    return value


def _rows(prefix, fields):
    """Rows of a repeated form, fields named "{prefix}-{n}-{field}", n = 0, 1, … while row n has its first field."""
    rows, n = [], 0
    while f"{prefix}-{n}-{fields[0]}" in request.form:
        rows.append({f: clean_line(request.form.get(f"{prefix}-{n}-{f}", "")) for f in fields})
        rows[-1]["n"] = n
        n += 1
    return rows


@bp.get("/surveys/setup")
@role_required(OFFICE)
def setup():
    campaign = campaign_or_404()
    return _setup_page(campaign)


def _setup_page(campaign, option_rows=None, type_rows=None, errors=None, status=200):
    opts = services.options(campaign.id)
    types = services.respondent_types(campaign.id)
    if option_rows is None:
        option_rows = [{"id": o.id, "label": o.label, "score": exact_text(o.score), "valid": o.counts_valid,
                        "version": o.version} for o in opts] + [{"id": "", "label": "", "score": "", "valid": True,
                                                                 "version": ""}]
    if type_rows is None:
        type_rows = [{"id": t.id, "name": t.name, "weight": exact_text(t.weight), "version": t.version}
                     for t in types] + [{"id": "", "name": "", "weight": "", "version": ""}]
    return render_template("surveys/setup.html", campaign=campaign, option_rows=option_rows, type_rows=type_rows,
                           errors=errors or {}, questionnaires=services.questionnaires(campaign.id),
                           set_up=services.is_set_up(campaign)), status


def _save_set(campaign, prefix, name, number, label, length, save, what):
    """Read an option/type table (name, a number, hidden id and version per row), save it, or show it again
    with the message beside the table or the row and everything typed kept."""
    raw = _rows(prefix, ("id", name, number, "version"))
    errors, rows = {}, []
    for row in raw:
        row["valid"] = request.form.get(f"{prefix}-{row['n']}-valid") == "y"
        if not row["id"] and not row[name]:
            continue
        value = _number(row[number], errors, f"{prefix}-{row['n']}", label) if row[name] else Fraction(0)
        rows.append({"id": plain_int(row["id"]), name: row[name][:length].rstrip(), number: value,
                     "counts_valid": row["valid"], "version": row["version"]})
    if not errors:
        try:
            save(campaign, rows)
            flash(f"{what}已保存", "success")
            return redirect(url_for("surveys.setup"))
        except StaleEdit:
            db.session.rollback()
            errors[prefix + "s"] = f"{what}已被他人修改：请刷新页面查看最新设置后再改"
        except DomainError as error:
            db.session.rollback()
            errors[prefix + "s"] = str(error)
    return _setup_page(campaign, errors=errors, status=400, **{f"{prefix}_rows": raw})


@bp.post("/surveys/setup/options")
@role_required(OFFICE)
def save_options():
    return _save_set(campaign_or_404(), "option", "label", "score", "分值", 20, services.save_options, "测评选项")


@bp.post("/surveys/setup/types")
@role_required(OFFICE)
def save_types():
    return _save_set(campaign_or_404(), "type", "name", "weight", "权重", 50, services.save_types, "测评对象类别")


@bp.route("/surveys/questionnaires/new", methods=["GET", "POST"], defaults={"questionnaire_id": None})
@bp.route("/surveys/questionnaires/<int:questionnaire_id>", methods=["GET", "POST"])
@role_required(OFFICE)
@once.guard
def questionnaire(questionnaire_id):
    campaign = campaign_or_404()
    q = None
    if questionnaire_id is not None:
        q = db.get_or_404(Questionnaire, questionnaire_id)
        if q.campaign_id != campaign.id:
            abort(404)
    dims = dimensions(campaign.id)
    error = ""
    if request.method == "POST":
        title = clean_line(request.form.get("title", ""))[:100].rstrip()
        intro = clean_text(request.form.get("intro", ""))
        double = request.form.get("double_entry") == "y"
        rows = _rows("question", ("id", "text", "dimension"))
        questions = [{"id": plain_int(r["id"]), "text": r["text"][:300].rstrip(), "dimension_id": plain_int(r["dimension"])}
                     for r in rows]
        if not title:
            error = "请填写问卷名称"
        else:
            try:
                q = services.save_questionnaire(campaign, q, request.form.get("version"), title, intro, double,
                                                [x for x in questions if x["id"] or x["text"]])
                flash("问卷已保存", "success")
                return redirect(url_for("surveys.questionnaire", questionnaire_id=q.id))
            except StaleEdit:
                db.session.rollback()
                error = "问卷已被他人修改：请刷新页面查看最新内容后再改（您填写的内容仍在下方）"
            except DomainError as e:
                db.session.rollback()
                error = str(e)
        form = {"title": title, "intro": intro, "double_entry": double, "version": request.form.get("version", ""),
                "questions": rows + [{"id": "", "text": "", "dimension": ""}]}
        return render_template("surveys/questionnaire.html", campaign=campaign, q=q, form=form, dims=dims,
                               error=error), 400
    form = {"title": q.title if q else "", "intro": q.intro if q else "", "double_entry": q.double_entry if q else False,
            "version": q.version if q else "",
            "questions": [{"id": x.id, "text": x.text, "dimension": x.dimension_id or ""} for x in (q.questions if q else [])]
            + [{"id": "", "text": "", "dimension": ""} for _ in range(2 if q else 7)]}
    has_data = q is not None and bool(db.session.scalar(db.select(func.count(TallySheet.id)).where(
        TallySheet.questionnaire_id == q.id)) or db.session.scalar(db.select(func.count(Ballot.id)).where(
        Ballot.questionnaire_id == q.id)))
    return render_template("surveys/questionnaire.html", campaign=campaign, q=q, form=form, dims=dims, error=error,
                           has_data=has_data)


# ---- paper tallies ---------------------------------------------------------------------------------------

@bp.route("/units/<int:unit_id>/tallies", methods=["GET", "POST"])
@login_required
def tally(unit_id):
    campaign, unit = _entry_unit(unit_id)
    source = request.form if request.method == "POST" else request.args
    qs, types, q, rtype, round_ = _batch_choice(campaign, source)
    entry = 2 if source.get("entry") == "2" and q.double_entry else 1
    opts = services.options(campaign.id)
    row_errors, ballots_error, form_error, conflict = {}, "", "", None
    typed = None
    if request.method == "POST":
        cells = {(question.id, o.id): request.form.get(f"c-{question.id}-{o.id}", "")
                 for question in q.questions for o in opts}
        typed = {"ballots": request.form.get("ballots", ""), "cells": cells}
        try:
            sheet, row_errors, ballots_error = services.save_tally(
                campaign, unit, q, rtype, round_, entry, typed["ballots"], cells, request.form.get("version"),
                current_user)
            if not row_errors and not ballots_error:
                flash(f"已保存{unit.name}{ROUND_LABELS[round_]}“{rtype.name}”的测评票数", "success")
                return redirect(url_for("surveys.tally", unit_id=unit.id, questionnaire=q.id, type=rtype.id,
                                        round=round_, entry=entry))
        except StaleEdit:
            db.session.rollback()
            conflict = services.find_sheet(unit.id, q.id, rtype.id, round_, entry)
            form_error = (f"{conflict.entered_by.display_name if conflict.entered_by else '他人'}已在您打开本页后保存了这批票数，"
                          "您的输入未保存：下方仍是您填写的数字，请核对后再次保存（将以您的为准）")
        except DomainError as error:
            db.session.rollback()
            form_error = str(error)
    sheet = services.find_sheet(unit.id, q.id, rtype.id, round_, entry)
    stored = services.sheet_cells(sheet)
    values = {"ballots": sheet.ballots if sheet else "", "cells": dict(stored)}
    if typed is not None:  # keep what was typed in the rows that were refused (and everywhere on a conflict)
        values["ballots"] = typed["ballots"] if (ballots_error or conflict or form_error) else values["ballots"]
        for (question_id, option_id), raw in typed["cells"].items():
            if question_id in row_errors or conflict or form_error:
                values["cells"][(question_id, option_id)] = raw
    diffs, diff_keys, other = [], set(), None
    if q.double_entry:
        other = services.find_sheet(unit.id, q.id, rtype.id, round_, 3 - entry)
        if sheet is not None and other is not None:
            first, second = (sheet, other) if entry == 1 else (other, sheet)
            diffs, diff_keys = services.differences(first, second, q, opts)
    status = 400 if (row_errors or ballots_error or form_error) else 200
    return render_template("surveys/tally.html", campaign=campaign, unit=unit, q=q, qs=qs, types=types,
                           rtype=rtype, round_=round_, rounds=ROUND_LABELS, entry=entry, opts=opts, sheet=sheet,
                           values=values, row_errors=row_errors, ballots_error=ballots_error, form_error=form_error,
                           version=(conflict or sheet).version if (conflict or sheet) else "",
                           diffs=diffs, diff_keys=diff_keys, other=other), status


# ---- individual ballots ----------------------------------------------------------------------------------

def _chosen(questionnaire):
    """{question_id: option_id} from the radio buttons posted (0 for 未作答); unanswered questions left out."""
    posted = {question.id: plain_int(request.form.get(f"q-{question.id}")) for question in questionnaire.questions}
    return {question_id: option for question_id, option in posted.items() if option is not None}


@bp.route("/units/<int:unit_id>/ballots", methods=["GET", "POST"])
@login_required
@once.guard
def ballots(unit_id):
    campaign, unit = _entry_unit(unit_id)
    source = request.form if request.method == "POST" else request.args
    qs, types, q, rtype, round_ = _batch_choice(campaign, source)
    opts = services.options(campaign.id)
    errors, chosen = {}, {}
    if request.method == "POST":
        chosen = _chosen(q)
        try:
            errors = services.add_ballot(campaign, unit, q, rtype, round_, chosen, current_user)
        except DomainError as error:
            db.session.rollback()
            errors = {0: str(error)}
        if not errors:
            flash("已录入 1 张问卷，请继续录入下一张", "success")
            return redirect(url_for("surveys.ballots", unit_id=unit.id, questionnaire=q.id, type=rtype.id,
                                    round=round_))
    batch = (Ballot.unit_id == unit.id, Ballot.campaign_id == campaign.id, Ballot.questionnaire_id == q.id,
             Ballot.respondent_type_id == rtype.id, Ballot.round == round_, Ballot.channel == "paper")
    recent = db.session.scalars(db.select(Ballot).where(*batch).order_by(Ballot.id.desc()).limit(10)
                                .options(selectinload(Ballot.answers))).all()
    count = db.session.scalar(db.select(func.count(Ballot.id)).where(*batch))
    return render_template("surveys/ballots.html", campaign=campaign, unit=unit, q=q, qs=qs, types=types,
                           rtype=rtype, round_=round_, rounds=ROUND_LABELS, opts=opts, errors=errors,
                           chosen=chosen, recent=recent, count=count, labels={o.id: o.label for o in opts},
                           first_missing=next((x.id for x in q.questions if x.id in errors), None),
                           answers={b.id: {a.question_id: a.option_id for a in b.answers} for b in recent}), \
        400 if errors else 200


@bp.post("/ballots/<int:ballot_id>/delete")
@login_required
def delete_ballot(ballot_id):
    ballot = db.get_or_404(Ballot, ballot_id)
    campaign, unit = _entry_unit(ballot.unit_id)
    if ballot.channel != "paper" or ballot.campaign_id != campaign.id:
        flash("网上问卷的答卷不能删除", "error")
    else:
        services.delete_ballot(ballot, current_user)
        flash("已删除该张问卷", "success")
    return redirect(url_for("surveys.ballots", unit_id=unit.id, questionnaire=ballot.questionnaire_id,
                            type=ballot.respondent_type_id, round=ballot.round))


# ---- one-time codes --------------------------------------------------------------------------------------

@bp.post("/units/<int:unit_id>/codes")
@role_required(OFFICE)
def issue_codes(unit_id):
    campaign, unit = _entry_unit(unit_id)
    _, _, q, rtype, round_ = _batch_choice(campaign, request.form)
    raw = request.form.get("count", "").strip()
    try:
        batch = services.issue_codes(campaign, unit, q, rtype, round_, plain_int(raw) or 0,
                                     current_user)
    except DomainError as error:
        db.session.rollback()
        flash(f"{error}（您填写的是“{raw}”）", "error")
        return redirect(url_for("surveys.index", _anchor=f"unit-{unit.id}"))
    return redirect(url_for("surveys.code_sheet", batch_id=batch.id))


@bp.get("/codes/<int:batch_id>")
@role_required(OFFICE)
def code_sheet(batch_id):
    batch = db.get_or_404(CodeBatch, batch_id)
    base = (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")
    slips = [(c, f"{base}{url_for('surveys.answer', code=c.code)}") for c in batch.codes]
    return render_template("surveys/codes.html", batch=batch, slips=slips, qr=services.qr_data_uri)


# ---- the public questionnaire ----------------------------------------------------------------------------

@bp.route("/s/<code>", methods=["GET", "POST"])
@csrf.exempt  # the form's token is signed over its code instead of kept in a session (surveys.public)
@throttle.public_page
def answer(code):
    """A code's questionnaire: mostly served by surveys.public's fast path; here for everything it leaves (a
    signed-in user, a closed or unknown code, a refused token, answers to show again, a comment). A
    respondent is sent no session cookie: the token is the code's."""
    if not current_user.is_authenticated:
        leave_cookie()
    found = services.public_code(code)
    closed = _closed(found, code)
    if closed is not None:
        return closed
    token = public.token_for(found.code)
    if request.method in ("GET", "HEAD"):
        return _public_page(public.form_key(found), lambda form_csrf, page_csrf: public.render_form_page(
            found, form_csrf, page_csrf), token)
    if public.checks_tokens() and not public.token_holds(found.code, request.form.get("csrf_token")):
        return answer_expired(found)
    chosen, comment, receipt = public.posted_answers(found, request.form), clean_text(request.form.get("comment", "")), {}
    try:
        errors = services.answer_with_code(found, chosen, comment, address=request.remote_addr, receipt=receipt)
    except services.CodeSpent as spent:
        return _closed_page(public.SPENT_TITLE, str(spent), token), 410
    if errors:
        return _refilled(found, chosen, comment, errors), 400
    query = receipt.get("query")
    if query is None:
        return _closed_page("提交成功", public.THANKS, token)
    return render_template("surveys/answer_closed.html", title="提交成功", message=public.THANKS,
                           query=follow_ups.shown_query(query), csrf_token=lambda: _page_token(token),
                           query_url=url_for("appeals.comment_status", query=query))


def answer_expired(found):
    """The questionnaire posted with a token that no longer holds (the page stood open longer than a session
    lasts, or the token is not this code's): the form again with what was chosen and typed and a fresh token,
    nothing saved, never the sign-in page a respondent has no account for."""
    return _refilled(found, public.posted_answers(found, request.form), clean_text(request.form.get("comment", "")),
                     {}, expired=True), 400


def _closed(found, code):
    """The page for a code that cannot be answered (unknown, its campaign over, already spent), else None."""
    token = public.token_for(code)
    if found is None:
        return _closed_page("答题码无效", "没有找到这个答题码，请核对后重新扫描或输入。", token), 404
    if not found.open:
        return _closed_page("测评已结束", "本次测评已经结束，感谢您的关注。", token), 410
    if found.used_on is not None:
        return _closed_page(public.SPENT_TITLE, services.SPENT, token), 410
    return None


def _closed_page(title, message, token):
    """The page of a code that was just answered or cannot be answered: one title and message, kept rendered."""
    return _public_page(("closed", title, message), lambda _, page_csrf: public.render_closed_page(
        title, message, page_csrf), token)


def _page_token(token):
    """The token of the page around the questionnaire: a signed-in user's header posts with their session's."""
    return generate_csrf() if current_user.is_authenticated else token


def _public_page(key, render, token):
    """A whole page of the public questionnaire as render(form_csrf, page_csrf) gives it: kept for respondents
    (public.kept_page, which the fast path serves too); a signed-in user's (with their header) or one with a
    flashed message to show is rendered afresh."""
    if current_user.is_authenticated or session.get("_flashes"):
        return render(token, _page_token(token))
    return public.kept_page(key, render, token)


def _refilled(found, chosen, comment, errors, expired=False):
    """The questionnaire again with what was chosen and typed, the errors beside their questions."""
    token = public.token_for(found.code)
    form = render_template("surveys/_answer_form.html", found=found, errors=errors, chosen=chosen, comment=comment,
                           csrf=token, expired=expired,
                           first_missing=next((q.id for q in found.questions if q.id in errors), None))
    return render_template("surveys/answer.html", form=Markup(form), csrf_token=lambda: _page_token(token))


# ---- questionnaires issued (return rate) ------------------------------------------------------------------

@bp.route("/surveys/issuance", methods=["GET", "POST"])
@role_required(OFFICE)
def issuance_page():
    """The grid of questionnaires issued per unit × respondent type, typed in, with the return rate beside."""
    from pingyi.surveys import issuance
    campaign = campaign_or_404()
    errors, typed, opened = {}, {}, {}
    if request.method == "POST":
        for key, raw in request.form.items():
            parts = key.split("-")
            if len(parts) == 3 and parts[0] in ("i", "o") and plain_int(parts[1]) and plain_int(parts[2]):
                (typed if parts[0] == "i" else opened)[(int(parts[1]), int(parts[2]))] = clean_line(raw)
        errors, changed = issuance.save_grid(campaign, typed, current_user, opened)
        if not errors:
            flash(f"已保存问卷发放数（{changed} 处有变化）", "success")
            return redirect(url_for("surveys.issuance_page"))
        db.session.rollback()
    return render_template("surveys/issuance.html", campaign=campaign, data=issuance.grid(campaign), errors=errors,
                           typed=typed, problems=None), 422 if errors else 200


@bp.post("/surveys/issuance/import")
@role_required(OFFICE)
def issuance_import():
    from pingyi.surveys import issuance
    campaign = campaign_or_404()
    upload = request.files.get("file")
    problems = None
    if upload is None or not upload.filename:
        problems = [(None, None, "请选择要导入的 .xlsx 或 .csv 文件")]
    else:
        data = upload.read(current_app.config["IMPORT_MAX_BYTES"] + 1)
        try:
            changed = issuance.import_file(campaign, upload.filename, data, current_user)
        except issuance.IssuanceRefused as refused:
            db.session.rollback()
            problems = refused.problems
        else:
            flash(f"已导入问卷发放数（{changed} 处有变化）", "success")
            return redirect(url_for("surveys.issuance_page"))
    return render_template("surveys/issuance.html", campaign=campaign, data=issuance.grid(campaign), errors={},
                           typed={}, problems=problems), 422
