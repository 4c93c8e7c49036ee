"""Gather every unit's inputs in a fixed number of grouped queries, score them, publish frozen versions."""
import io
import json
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import case, func, select, tuple_, union_all
from sqlalchemy.orm import aliased

from pingyi.appeals import services as appeals
from pingyi.audit.services import record, snapshot
from pingyi.cache.services import cached_compute
from pingyi.campaigns.categories import labels as category_labels
from pingyi.campaigns.models import Participation
from pingyi.checklists.models import Assessment, CheckItem, Dimension
from pingyi.checklists.services import dimensions
from pingyi.errors import DomainError, check_version
from pingyi.exact import exact_text
from pingyi.extensions import db
from pingyi.feedback.models import FeedbackItem, FeedbackNotice
from pingyi.findings.models import SEVERITY_LABELS, Finding
from pingyi.rectifications.models import Rectification
from pingyi.results import checks, components, gathering, quotas, returns, schemes
from pingyi.results.groups import describe, group_index
from pingyi.results.quotas import DEFAULT_QUOTA
from pingyi.results.models import MARK_LABELS, ResultVersion, ScoringConfig, UnitResult
from pingyi.results.scoring import (
    SOURCES,
    UnitInputs,
    boundary_words,
    evaluate,
    exact_total,
    option_rate,
    round2,
    rules_from_config,
    score_unit,
)
from pingyi.surveys import issuance
from pingyi.surveys import services as surveys
from pingyi.surveys.models import Ballot, BallotCount, SurveyQuestion, TallyCount, TallySheet
from pingyi.timeutil import today
from pingyi.units.models import Unit
from pingyi.xlsx import append_row, sheet_title

DEFAULT_GRADES = [{"name": "满意", "min": "90", "inclusive": True}, {"name": "比较满意", "min": "80", "inclusive": True},
                  {"name": "基本满意", "min": "60", "inclusive": True}, {"name": "不满意", "min": None, "inclusive": True}]
DEFAULT_GROUPS = [  # the plan's three groups, over its three default categories, each with the default quota
    {"name": "县政府部门和县直企事业单位", "categories": ["department", "institution"], "key": "exclude", "published": True,
     "quota": DEFAULT_QUOTA},
    {"name": "驻县单位", "categories": ["stationed"], "key": "exclude", "published": True, "quota": DEFAULT_QUOTA},
    {"name": "重点评议部门", "categories": [], "key": "only", "published": True, "quota": DEFAULT_QUOTA}]
CONFIG_FIELDS = ("weight_satisfaction", "weight_checklist", "weight_rectification", "checklist_meets",
                 "checklist_basic", "checklist_problem", "deduct_minor", "deduct_major", "deduct_severe", "deduct_cap",
                 "veto_severity", "veto_dimensions", "veto_grade", "missing_rule", "top_text", "bottom_text",
                 "grades_json", "groups_json", "min_return_rate", "min_valid_ballots", "return_shortfall",
                 "components_json")


def config_for(campaign):
    return db.session.scalar(select(ScoringConfig).where(ScoringConfig.campaign_id == campaign.id))


def set_up(campaign, source=None):
    """The campaign's scoring rules: a copy of the source campaign's, or the defaults."""
    if config_for(campaign) is not None:
        return
    old = config_for(source) if source is not None else None
    config = ScoringConfig(campaign_id=campaign.id, grades_json=json.dumps(DEFAULT_GRADES, ensure_ascii=False),
                           groups_json=json.dumps(DEFAULT_GROUPS, ensure_ascii=False),
                           top_text="先进单位由县政府通报表扬，并作为年度综合考核加分依据。",
                           bottom_text="末位单位由县政府分管领导约谈其主要负责人，限期整改，取消本年度评先评优资格。")
    config.components_json = json.dumps(schemes.plan_components(), ensure_ascii=False)
    if old is not None:
        for key in CONFIG_FIELDS:
            setattr(config, key, getattr(old, key))
        config.veto_dimensions = ""  # dimension ids belong to the old campaign
        config.components_json = json.dumps(schemes.carry_over(components.stored(old), source, campaign),
                                            ensure_ascii=False)
    db.session.add(config)


def save_config(campaign, config, version, values, user):
    check_version(config, version)
    before = snapshot(config)
    for key, value in values.items():
        setattr(config, key, value)
    config.updated_by_id = user.id
    record("update", config, before, summary="修改综合评定办法（权重、等次、排名分组等）", actor=user)
    db.session.commit()


def quota_refusals(campaign, values):
    """{form field: message} for 先进/末位 quotas that cannot work (`values`: settings.rules_values() of the form):
    for any number of ranked units a group could have (up to every participating unit) the rule itself must
    not name a unit both 先进 and 末位 nor every unit 末位, and neither may the live data."""
    largest = db.session.scalar(select(func.count()).select_from(Participation).join(Unit).where(
        Participation.campaign_id == campaign.id, Unit.active)) or 0
    errors = {}
    for index, group in enumerate(values["groups"]):
        message = quotas.refusals(group.get("quota"), largest)
        if message:
            errors[index] = f"“{group['name']}”：{message}"
    if not errors:
        rules = _rules(campaign, values)
        details = evaluate(gather(campaign, rules), rules)
        errors = {i: m for i, m in quotas.data_refusals(rules.groups, details).items()}
    return errors


def config_as_dict(config):
    """The rules as JSON-ready values (exact numbers as their canonical text), with their thresholds in words."""
    out = {key: exact_text(value) if isinstance(value, Fraction) else value
           for key, value in ((k, getattr(config, k)) for k in CONFIG_FIELDS)}
    out.update(grades=config.grades, groups=config.groups, veto_dimension_ids=sorted(config.veto_dimension_ids),
               components=components.stored(config))
    out["boundaries"] = boundary_words(out)
    return out


def dumps(data):
    """JSON of results: shown figures are Decimals rounded to 2 places, which a float carries exactly enough to
    read back (loads() turns every JSON number with a point into a Decimal again)."""
    return json.dumps(data, ensure_ascii=False, default=float)


def loads(text):
    return json.loads(text, parse_float=Decimal)


def _rules(campaign, config):
    options = {o.id: {"label": o.label, "score": o.score, "valid": o.counts_valid}
               for o in surveys.options(campaign.id)}
    types = {t.id: {"name": t.name, "weight": t.weight} for t in surveys.respondent_types(campaign.id)}
    rules = rules_from_config(config, options, types)
    gathering.add_structure(campaign, rules)
    return rules


def gather(campaign, rules, blocked=None):
    """Every participating unit's inputs: nine queries whatever the number of units and ballots. Batches of
    double entry not yet in agreement (`blocked`, from surveys.double_entry_state) are left out."""
    units = {}
    for unit_id, name, category, is_key in db.session.execute(
            select(Unit.id, Unit.name, Unit.category, Participation.is_key).join(Participation)
            .where(Participation.campaign_id == campaign.id, Unit.active).order_by(Unit.sort_order)):
        units[unit_id] = UnitInputs(unit_id, name, group_index(rules.groups, category, is_key))

    if blocked is None:
        blocked = surveys.double_entry_state(campaign)

    def sheets(stmt):
        """Only first entries, and of double-entered batches only those whose two entries agree."""
        stmt = stmt.where(TallySheet.campaign_id == campaign.id, TallySheet.entry == 1)
        if blocked:
            stmt = stmt.where(~tuple_(TallySheet.unit_id, TallySheet.questionnaire_id, TallySheet.respondent_type_id,
                                      TallySheet.round).in_(list(blocked)))
        return stmt

    def add(target, key, option_id, n):
        bucket = target.setdefault(key, {})
        bucket[option_id] = bucket.get(option_id, 0) + n

    returned = union_all(
        sheets(select(TallySheet.unit_id, TallySheet.respondent_type_id, func.sum(TallySheet.ballots))
               .group_by(TallySheet.unit_id, TallySheet.respondent_type_id)),
        select(Ballot.unit_id, Ballot.respondent_type_id, func.count())
        .where(Ballot.campaign_id == campaign.id, Ballot.excluded_as.is_(None))  # excluded: out of BallotCount too
        .group_by(Ballot.unit_id, Ballot.respondent_type_id))
    for unit_id, type_id, n in db.session.execute(returned):
        if unit_id in units:
            units[unit_id].ballots[type_id] = units[unit_id].ballots.get(type_id, 0) + n
    for unit_id, type_id, n in issuance.issued_counts(campaign):
        if unit_id in units:
            units[unit_id].issued[type_id] = n
    # Votes per unit × respondent type × option, and per unit × dimension × option: paper tallies and the
    # running counts of individual ballots, summed in the database (a few thousand rows for a county).
    for key_column, target, joined in ((TallySheet.respondent_type_id, "votes", False),
                                       (SurveyQuestion.dimension_id, "dimension_votes", True)):
        tallies = select(TallySheet.unit_id, key_column, TallyCount.option_id, func.sum(TallyCount.count)).join(
            TallySheet, TallyCount.sheet_id == TallySheet.id)
        counted = select(BallotCount.unit_id, BallotCount.respondent_type_id if not joined else key_column,
                         BallotCount.option_id, func.sum(BallotCount.count)).where(BallotCount.campaign_id == campaign.id)
        if joined:
            tallies = tallies.join(SurveyQuestion, TallyCount.question_id == SurveyQuestion.id)
            counted = counted.join(SurveyQuestion, BallotCount.question_id == SurveyQuestion.id)
        tallies = sheets(tallies).group_by(TallySheet.unit_id, key_column, TallyCount.option_id)
        counted = counted.group_by(BallotCount.unit_id, counted.selected_columns[1], BallotCount.option_id)
        for unit_id, key, option_id, n in db.session.execute(union_all(tallies, counted)):
            if n and key is not None and unit_id in units and option_id in rules.options:
                add(getattr(units[unit_id], target), key, option_id, n)

    for unit_id, rating, n in db.session.execute(
            select(Assessment.unit_id, Assessment.rating, func.count()).join(CheckItem).join(Dimension)
            .where(Dimension.campaign_id == campaign.id, Assessment.kind == "review")
            .group_by(Assessment.unit_id, Assessment.rating)):
        if unit_id in units:
            units[unit_id].ratings[rating] = n

    overrides = appeals.finding_overrides(campaign)  # accepted appeals: withdrawn (None) or a new severity
    for finding_id, unit_id, severity, dim_id, description in db.session.execute(
            select(Finding.id, Finding.unit_id, Finding.severity, Finding.dimension_id, Finding.description)
            .where(Finding.campaign_id == campaign.id, Finding.status == "confirmed")):
        severity = overrides.get(finding_id, severity)
        if unit_id not in units or severity is None:
            continue
        inputs = units[unit_id]
        inputs.findings[severity] = inputs.findings.get(severity, 0) + 1
        if (rules.veto_severity == severity
                and (not rules.veto_dimensions or dim_id in rules.veto_dimensions)):
            inputs.veto_findings.append(f"{SEVERITY_LABELS[severity]}问题：{description}")
    gathering.gather_components(campaign, rules, units, sheets)

    rect = aliased(Rectification)
    on_day = today()
    for unit_id, answer_deadline, status, deadline in db.session.execute(
            select(FeedbackNotice.unit_id, FeedbackNotice.answer_deadline, rect.status, rect.deadline)
            .join(FeedbackItem, FeedbackItem.notice_id == FeedbackNotice.id)
            .outerjoin(rect, rect.item_id == FeedbackItem.id)
            .where(FeedbackNotice.campaign_id == campaign.id, FeedbackNotice.status == "sent")):
        if unit_id not in units:
            continue
        inputs = units[unit_id]
        if status is None:  # never answered: due once the answer deadline has passed
            if answer_deadline < on_day:
                inputs.due += 1
            else:
                inputs.pending += 1
        elif status in ("verified", "explained"):
            inputs.fulfilled += 1
            inputs.due += 1
        elif status == "failed" or (status == "answered" and deadline and deadline < on_day):
            inputs.due += 1
            inputs.failed += status == "failed"
        elif status != "withdrawn":
            inputs.pending += 1
    return list(units.values())


def compute(campaign, config=None):
    """Live results: {"details": {unit_id: detail}, "summary": {...}, "blocked": double-entry problems}."""
    config = config or config_for(campaign)
    rules = _rules(campaign, config)
    blocked = surveys.double_entry_state(campaign)
    inputs = gather(campaign, rules, blocked)
    details = evaluate(inputs, rules)
    for unit_id, note in appeals.score_notes(campaign).items():  # excluded ballots and appeals, explained
        if unit_id in details:
            details[unit_id]["integrity"] = note
    return {"details": details, "summary": summarize(campaign, rules, inputs, details), "groups": rules.groups,
            "rules": rules, "blocked": blocked}


def form_context(campaign):
    """The campaign's respondent types, options, questionnaires (with questions) and dimensions (with items),
    for the components' part of the settings form: {"parse": ids for settings.parse, and the lists to show}."""
    types = surveys.respondent_types(campaign.id)
    options = surveys.options(campaign.id)
    questionnaires = surveys.questionnaires(campaign.id)
    dims = db.session.scalars(select(Dimension).where(Dimension.campaign_id == campaign.id)
                              .order_by(Dimension.sort_order, Dimension.id)).all()
    items = db.session.execute(select(CheckItem.id, CheckItem.dimension_id, CheckItem.text).join(Dimension)
                               .where(Dimension.campaign_id == campaign.id)
                               .order_by(CheckItem.sort_order, CheckItem.id)).all()
    return {"types": types, "options": options, "questionnaires": questionnaires, "dimensions": dims,
            "items": {d.id: [(i, text) for i, dim_id, text in items if dim_id == d.id] for d in dims},
            "parse": {"types": {t.id: t.name for t in types}, "options": {o.id: o.label for o in options},
                      "questionnaires": {q.id: q.title for q in questionnaires},
                      "questions": [question.id for q in questionnaires for question in q.questions],
                      "dimensions": {d.id: d.name for d in dims}, "items": [i for i, _, _ in items]}}


def worked_example(campaign, config, unit_id=None):
    """One real unit scored with `config` (the stored rules, or a dict of rules as typed; nothing stored):
    {"d": its detail, "units": [(id, name)] to choose from, "unit_id"}; None when the county has no unit."""
    rules = _rules(campaign, config)
    inputs = {u.unit_id: u for u in gather(campaign, rules)}
    if not inputs:
        return None
    if unit_id not in inputs:
        unit_id = next((uid for uid, u in inputs.items() if u.votes), next(iter(inputs)))
    return {"d": returns.apply(score_unit(inputs[unit_id], rules), inputs[unit_id], rules), "units": [(uid, u.name) for uid, u in inputs.items()],
            "unit_id": unit_id, "boundaries": boundary_words(config)}


def export_workbook(data, visible):
    """The results as .xlsx, one sheet per ranking group whose index is in `visible`."""
    book = Workbook()
    book.remove(book.active)
    header = ["名次", "单位", *[name for _, name in component_heads(data["details"])], "加权得分", "扣分", "综合得分",
              "等次", "备注"]
    for index, (group, ranked, unrated) in enumerate(ranking(data["details"], data["groups"])):
        if index not in visible:
            continue
        sheet = book.create_sheet(sheet_title(group["name"], f"分组{index + 1}"))
        append_row(sheet, header)
        for d in ranked + unrated:
            notes = [MARK_LABELS[d["mark"]]] if d["mark"] else []
            if d["veto"]:
                notes.append("一票否决")
            append_row(sheet, [d["rank"], d["unit"], *[c["score"] for c in d["components"]], d["base"],
                               d["deduction"], d["total"], d["grade"], "、".join(notes)])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center")
        sheet.column_dimensions["B"].width = 34
        sheet.freeze_panes = "A2"
    if not book.sheetnames:
        book.create_sheet("无可公开的分组").append(["没有可公开的排名分组"])
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def component_heads(details):
    """[(key, name)] of the weighted components the details were scored by (the plan's three for old versions)."""
    first = next(iter(details.values()), None)
    return [(c["key"], c["name"]) for c in first["components"]] if first else list(SOURCES)


def summarize(campaign, rules, inputs, details):
    """County figures: ballots, valid votes, satisfaction rate per dimension, grade counts."""
    county, by_dim = {}, defaultdict(dict)
    ballots = 0
    for u in inputs:
        ballots += sum(u.ballots.values())
        for votes in u.votes.values():
            for o, n in votes.items():
                county[o] = county.get(o, 0) + n
        for dim_id, votes in u.dimension_votes.items():
            for o, n in votes.items():
                by_dim[dim_id][o] = by_dim[dim_id].get(o, 0) + n
    rate, valid, total = option_rate(county, rules.options) if county else (None, 0, 0)
    dims = []
    for dim in dimensions(campaign.id):
        d_rate = option_rate(by_dim[dim.id], rules.options)[0] if by_dim.get(dim.id) else None
        dims.append({"id": dim.id, "name": dim.name, "rate": None if d_rate is None else round2(d_rate)})
    grades = {g["name"]: 0 for g in rules.grades}
    for d in details.values():
        if d["total"] is not None:
            grades[d["grade"]] = grades.get(d["grade"], 0) + 1
    return {"ballots": ballots, "valid": valid, "votes": total, "rate": None if rate is None else round2(rate),
            "dimensions": dims, "grades": list(grades.items()),
            "rated": sum(1 for d in details.values() if d["total"] is not None), "units": len(details),
            "groups": [dict(g, scope_label=describe(g, category_labels(campaign))) for g in rules.groups]}


def ranking(details, groups):
    """[(group, [detail…] by rank, unrated details)] in the configured order of the groups."""
    out = []
    for index, group in enumerate(groups):
        members = [d for d in details.values() if d["group"] == index]
        ranked = sorted((d for d in members if d["rank"] is not None), key=lambda d: (d["rank"], d["unit"]))
        out.append((group, ranked, [d for d in members if d["rank"] is None]))
    return out


# ---- publication ----------------------------------------------------------------------------------------

def latest_version(campaign):
    return db.session.scalar(select(ResultVersion).where(ResultVersion.campaign_id == campaign.id,
                                                         ResultVersion.status == "published"))


def versions(campaign):
    return db.session.scalars(select(ResultVersion).where(ResultVersion.campaign_id == campaign.id)
                              .order_by(ResultVersion.number.desc())).all()


def publish_refusal(live):
    """Why the live results (compute()) cannot be published now, or None; the 发布 button shows it beside itself."""
    if live["blocked"]:
        return f"尚有 {len(live['blocked'])} 批双人录入的测评票未核对一致或未完成第二遍录入，请先处理后再发布"
    if not live["summary"]["rated"]:
        return "还没有任何单位有有效测评票，无法发布结果"
    return None


def publish_preview(campaign):
    """What the check page shows before publishing: {"live", "checks", "changes", "refusal", "previous"}. The
    live results are the kept ones (pingyi.cache) while the data is unchanged; publish() computes afresh."""
    config = config_for(campaign)
    live = cached_compute(campaign)
    found = checks.run(campaign, live)
    previous = latest_version(campaign)
    return {"live": live, "checks": found, "previous": previous, "refusal": checks.refusal(found, ()),
            "changes": _changes(campaign, config, live, previous)}


def _changes(campaign, config, live, previous):
    """checks.changes() on JSON round-tripped figures, so that live and frozen values compare alike."""
    if previous is None:
        return checks.changes(None, None, live, None)
    old = version_results(previous)
    old["number"] = previous.number
    now = {"details": {uid: loads(dumps(d)) for uid, d in live["details"].items()}}
    return checks.changes(old, old["config"], now, loads(dumps(config_as_dict(config) | _config_extra(campaign))))


def publish(campaign, user, show_ranking, note="", doc_number=None, seen=None):
    """Freeze the live results as the next version; the previous one is kept, marked superseded. The checks
    before publishing are run again: a blocking one refuses, and every other one must be in `seen` (the keys
    the office ticked on the check page; None when a script publishes and acknowledges them all itself).
    The checks, the ticks and the changes against the previous version are kept with the version."""
    config = config_for(campaign)
    live = compute(campaign, config)
    found = checks.run(campaign, live)
    reason = checks.refusal(found, seen)
    if reason:
        raise DomainError(reason)
    previous = latest_version(campaign)
    changes = _changes(campaign, config, live, previous)
    checked = {"by": user.display_name, "via": "page" if seen is not None else "script",
               "checks": [dict(c.as_dict(), ticked=not c.blocks) for c in found]}
    number = (db.session.scalar(select(func.max(ResultVersion.number))
                                .where(ResultVersion.campaign_id == campaign.id)) or 0) + 1
    if previous is not None:
        before = snapshot(previous)
        previous.status = "superseded"
        record("update", previous, before, summary=f"第 {previous.number} 版评议结果被第 {number} 版替代", actor=user)
    version = ResultVersion(campaign_id=campaign.id, number=number, show_ranking=show_ranking, note=note,
                            doc_number=doc_number,
                            config_json=dumps(_config_snapshot(campaign, config)),
                            summary_json=dumps({**live["summary"], "problems": main_problems(campaign)}),
                            checks_json=dumps(checked), changes_json=dumps(changes), created_by_id=user.id)
    db.session.add(version)
    db.session.flush()
    db.session.execute(db.insert(UnitResult), [
        {"version_id": version.id, "unit_id": uid, "group_key": "" if d["group"] is None else str(d["group"]),
         "total": exact_total(d), "grade": d["grade"], "rank": d["rank"], "mark": d["mark"],
         "vetoed": bool(d["veto"]), "detail_json": dumps(d)} for uid, d in live["details"].items()])
    record("create", version, summary=f"发布第 {number} 版评议结果（{live['summary']['rated']} 个单位参加评定"
                                      f"{'，向各单位公开排名' if show_ranking else '，各单位只看本单位结果'}）", actor=user,
           extra={"ticked": [c.title for c in found if not c.blocks]})
    db.session.commit()
    return version


def main_problems(campaign):
    """存在的主要问题 for the 通报: confirmed findings by dimension, the most frequent dimension first, at most five,
    each naming its two gravest problems (the same problem found in several units is named once)."""
    by_dimension, counts = defaultdict(list), defaultdict(int)
    for dim_name, description in db.session.execute(
            select(Dimension.name, Finding.description).join(Dimension, Finding.dimension_id == Dimension.id)
            .where(Finding.campaign_id == campaign.id, Finding.status == "confirmed")
            .order_by(case({"severe": 0, "major": 1}, value=Finding.severity, else_=2), Finding.id)):
        text = description.rstrip("。；")
        if text not in by_dimension[dim_name]:
            by_dimension[dim_name].append(text)
        counts[dim_name] += 1
    return [[f"{name}方面", f"{'；'.join(found[:2])}{'等' if len(found) > 2 else ''}，共{counts[name]}个问题"]
            for name, found in sorted(by_dimension.items(), key=lambda kv: -counts[kv[0]])[:5]]


def _config_snapshot(campaign, config):
    return config_as_dict(config) | _config_extra(campaign)


def _config_extra(campaign):
    data = {}
    data["options"] = [{"label": o.label, "score": exact_text(o.score), "valid": o.counts_valid}
                       for o in surveys.options(campaign.id)]
    data["types"] = [{"name": t.name, "weight": exact_text(t.weight)} for t in surveys.respondent_types(campaign.id)]
    return data


def version_results(version):
    """A published version read back: the same shape as compute()."""
    details = {int(uid): d for uid, d in ((r.unit_id, loads(r.detail_json)) for r in db.session.scalars(
        select(UnitResult).where(UnitResult.version_id == version.id)))}
    config = loads(version.config_json)
    config.setdefault("boundaries", boundary_words(config))  # versions published before boundaries were kept
    return {"details": details, "summary": loads(version.summary_json), "config": config,
            "groups": config["groups"], "blocked": {}}


def publication_record(version):
    """The checks (with ticks) and the changes a version was published with; None for older versions."""
    if not version.checks_json:
        return None
    return {"checks": loads(version.checks_json), "changes": loads(version.changes_json or "{}")}


def unit_result(version, unit_id):
    row = db.session.scalar(select(UnitResult).where(UnitResult.version_id == version.id,
                                                     UnitResult.unit_id == unit_id))
    return loads(row.detail_json) if row else None
