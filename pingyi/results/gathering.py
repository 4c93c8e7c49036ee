"""The inputs only some score components need, gathered for every unit at once: a fixed number of grouped
queries per component kind, whatever the number of units, ballots or ratings (called by services.gather)."""
from fractions import Fraction
from math import lcm

from sqlalchemy import case, func, literal, select, union_all

from pingyi.checklists.models import Assessment, CheckItem, Dimension
from pingyi.results import components
from pingyi.results.models import DirectScore
from pingyi.surveys.models import Ballot, BallotAnswer, BallotCount, Questionnaire, SurveyQuestion, TallyCount, TallySheet
from pingyi.tasks.models import Submission, Task
from pingyi.extensions import db
from pingyi.timeutil import local, today


def add_structure(campaign, rules):
    """The questions and check items the rules' components weigh (two queries, only when some component does)."""
    scheme = rules.components or []
    if any(components.needs_questions(c) or (c["kind"] == "survey" and c["mode"] == "ballot") for c in scheme):
        rules.questions = {q_id: {"questionnaire": questionnaire_id} for q_id, questionnaire_id in db.session.execute(
            select(SurveyQuestion.id, SurveyQuestion.questionnaire_id).join(Questionnaire)
            .where(Questionnaire.campaign_id == campaign.id))}
    if any(components.needs_items(c) for c in scheme):
        rows = db.session.execute(select(CheckItem.id, Dimension.id, Dimension.name).join(Dimension)
                                  .where(Dimension.campaign_id == campaign.id)).all()
        rules.items = {item_id: dim_id for item_id, dim_id, _ in rows}
        rules.dimensions = {dim_id: name for _, dim_id, name in rows}


def gather_components(campaign, rules, units, sheets):
    """Fill `units` ({unit_id: UnitInputs}) with what the components need. `sheets(stmt)` restricts a tally
    query to the usable first entries (services.gather)."""
    scheme = rules.components or []
    for component in scheme:
        if component["kind"] == "survey" and component["mode"] == "ballot":
            _ballot_scores(campaign, component, rules, units)
        elif components.needs_questions(component):
            _weighted_votes(campaign, component, rules, units, sheets)
    if any(components.needs_items(c) for c in scheme):
        for unit_id, item_id, rating, n in db.session.execute(
                select(Assessment.unit_id, Assessment.item_id, Assessment.rating, func.count()).join(CheckItem)
                .join(Dimension).where(Dimension.campaign_id == campaign.id, Assessment.kind == "review")
                .group_by(Assessment.unit_id, Assessment.item_id, Assessment.rating)):
            if unit_id in units:
                units[unit_id].item_ratings.setdefault(item_id, {})[rating] = n
    if any(c["kind"] == "tasks" for c in scheme):
        _tasks(campaign, units)
    keys = [c["key"] for c in scheme if c["kind"] == "direct"]
    if keys:
        for unit_id, key, value in db.session.execute(
                select(DirectScore.unit_id, DirectScore.component_key, DirectScore.value)
                .where(DirectScore.campaign_id == campaign.id, DirectScore.component_key.in_(keys))):
            if unit_id in units:
                units[unit_id].direct[key] = value


def _weighted_votes(campaign, component, rules, units, sheets):
    """Votes per unit × respondent type × option of the component's questionnaires, each counted with its
    question's weight: Σ(count × weight) summed by the database in integers scaled by the weights' common
    denominator, next to the plain count (one query per component, a few thousand rows for a county)."""
    allowed = set(component["questionnaires"])
    weights = {q: components.question_weight(component, q) for q, info in rules.questions.items()
               if not allowed or info["questionnaire"] in allowed}
    if not weights:
        return
    scale = lcm(*(Fraction(w).denominator for w in weights.values()))
    ints = {q: int(w * scale) for q, w in weights.items()}

    def weighted(question_column):
        return case(ints, value=question_column, else_=0)

    tallies = sheets(select(TallySheet.unit_id, TallySheet.respondent_type_id, TallyCount.option_id,
                            func.sum(TallyCount.count), func.sum(TallyCount.count * weighted(TallyCount.question_id)))
                     .join(TallySheet, TallyCount.sheet_id == TallySheet.id)
                     .where(TallyCount.question_id.in_(list(weights)))
                     .group_by(TallySheet.unit_id, TallySheet.respondent_type_id, TallyCount.option_id))
    counted = (select(BallotCount.unit_id, BallotCount.respondent_type_id, BallotCount.option_id,
                      func.sum(BallotCount.count), func.sum(BallotCount.count * weighted(BallotCount.question_id)))
               .where(BallotCount.campaign_id == campaign.id, BallotCount.question_id.in_(list(weights)))
               .group_by(BallotCount.unit_id, BallotCount.respondent_type_id, BallotCount.option_id))
    for unit_id, type_id, option_id, n, w in db.session.execute(union_all(tallies, counted)):
        if n and unit_id in units and option_id in rules.options:
            tally = units[unit_id].weighted_votes.setdefault(component["key"], {}).setdefault(type_id, {})
            before_n, before_w = tally.get(option_id, (0, 0))
            tally[option_id] = (before_n + n, before_w + int(w))
    for inputs in units.values():
        for tally in inputs.weighted_votes.get(component["key"], {}).values():
            for option_id, (n, w) in tally.items():
                tally[option_id] = (n, Fraction(w, scale))


def _ballot_scores(campaign, component, rules, units):
    """Each ballot entered one by one (or answered online) scored as Σ(question weight × points) ÷ Σ(question
    weights) over its valid answers, in integers scaled by the weights' and points' common denominators so
    that the database sums exactly; the ballots are then counted per (unit, type, score): one query."""
    options = components.effective_options(component, rules.options)
    allowed = set(component["questionnaires"])
    weights = {q: components.question_weight(component, q) for q, info in rules.questions.items()
               if not allowed or info["questionnaire"] in allowed}
    valid_points = {o: option["score"] for o, option in options.items() if option["valid"]}
    if not weights or not valid_points:
        return
    w_scale = lcm(*(Fraction(w).denominator for w in weights.values()))
    p_scale = lcm(*(Fraction(p).denominator for p in valid_points.values()))
    w_case = case({q: int(w * w_scale) for q, w in weights.items()}, value=BallotAnswer.question_id, else_=0)
    p_case = case({o: int(p * p_scale) for o, p in valid_points.items()}, value=BallotAnswer.option_id, else_=0)
    v_case = case({o: 1 for o in valid_points}, value=BallotAnswer.option_id, else_=literal(0))
    per_ballot = (select(Ballot.unit_id, Ballot.respondent_type_id, func.sum(w_case * p_case).label("num"),
                         func.sum(w_case * v_case).label("den"))
                  .join(BallotAnswer, BallotAnswer.ballot_id == Ballot.id)
                  .where(Ballot.campaign_id == campaign.id, Ballot.excluded_as.is_(None))  # excluded: not scored
                  .group_by(Ballot.id, Ballot.unit_id, Ballot.respondent_type_id))
    if allowed:
        per_ballot = per_ballot.where(Ballot.questionnaire_id.in_(allowed))
    per_ballot = per_ballot.subquery()
    for unit_id, type_id, num, den, n in db.session.execute(
            select(per_ballot.c.unit_id, per_ballot.c.respondent_type_id, per_ballot.c.num, per_ballot.c.den,
                   func.count()).where(per_ballot.c.den > 0)
            .group_by(per_ballot.c.unit_id, per_ballot.c.respondent_type_id, per_ballot.c.num, per_ballot.c.den)):
        if unit_id in units:
            units[unit_id].ballot_scores.setdefault(component["key"], {}).setdefault(type_id, []).append(
                (int(num), int(den) * p_scale, n))


def _tasks(campaign, units):
    """Unit tasks on the board: done on time (submitted by the due date), late (submitted after it), or undone
    (due date, or 补交期限 after a return, passed with nothing standing submitted). Two queries."""
    on_day = today()
    unit_tasks = db.session.execute(select(Task.id, Task.due_date).where(
        Task.campaign_id == campaign.id, Task.actor == "unit")).all()
    if not unit_tasks:
        return
    seen = {}
    for task_id, unit_id, status, submitted_at, resubmit_due in db.session.execute(
            select(Submission.task_id, Submission.unit_id, Submission.status, Submission.submitted_at,
                   Submission.resubmit_due).join(Task).where(Task.campaign_id == campaign.id, Task.actor == "unit")):
        seen[(task_id, unit_id)] = (status, submitted_at, resubmit_due)
    for unit_id, inputs in units.items():
        counts = {"on_time": 0, "late": 0, "undone": 0}
        for task_id, due in unit_tasks:
            status, submitted_at, resubmit_due = seen.get((task_id, unit_id), ("pending", None, None))
            if status in ("submitted", "confirmed") and submitted_at is not None:
                counts["on_time" if local(submitted_at).date() <= due else "late"] += 1
            elif (resubmit_due if status == "returned" and resubmit_due else due) < on_day:
                counts["undone"] += 1
        inputs.tasks = counts
