"""Ready schemes the office loads on the settings page and then edits, and carrying components into a new year."""
from sqlalchemy import select

from pingyi.checklists.models import CheckItem, Dimension
from pingyi.extensions import db
from pingyi.results.components import DEFAULTS
from pingyi.surveys.models import Questionnaire, SurveyQuestion


def _survey(key, name, weight, **params):
    return dict(DEFAULTS["survey"], key=key, name=name, kind="survey", weight=weight, missing="unrated", **params)


def _findings(**params):
    return dict(DEFAULTS["findings"], key="findings", name="问题扣分", kind="findings", weight="0", missing="", **params)


def plan_components():
    """The plan's own: 满意度测评 60 + 检查评价 25 + 整改落实 15 (ratio), minus the findings' deductions."""
    return [_survey("satisfaction", "满意度测评", "60"),
            dict(DEFAULTS["checklist"], key="checklist", name="评议组检查评价", kind="checklist", weight="25", missing=""),
            dict(DEFAULTS["rectification"], key="rectification", name="整改落实", kind="rectification", weight="15",
                 missing=""),
            _findings()]


SCHEMES = {
    "plan": {"name": "本县评议方案（满意度 60 + 检查评价 25 + 整改落实 15，问题扣分）",
             "note": "县纠风办评议方案的办法：三项加权，明察暗访确认的问题按程度扣分（上限 10 分）。",
             "components": plan_components},
    "satisfaction": {"name": "只按满意度测评（满意 100 / 基本满意 80 / 不满意 0，不了解不计）",
                     "note": "许多县（市）只以群众满意度测评排名：得分即满意率。",
                     "components": lambda: [_survey("satisfaction", "群众满意度", "100", option_points={
                         "满意": "100", "基本满意": "80", "不满意": "0", "不了解": None})]},
    "multi": {"name": "群众满意度 60 + 检查考核 20 + 整改落实 20（逾期扣分）",
              "note": "整改落实按项扣分：满分 100，每个逾期未整改的问题扣 10，整改不到位的扣 20（本项百分制，上限 100），"
                      "折合总分即每个逾期问题扣 2 分；另按问题程度扣分。",
              "components": lambda: [
                  _survey("satisfaction", "群众满意度", "60"),
                  dict(DEFAULTS["checklist"], key="checklist", name="检查考核", kind="checklist", weight="20", missing=""),
                  dict(DEFAULTS["rectification"], key="rectification", name="整改落实", kind="rectification",
                       weight="20", missing="", mode="deduct"),
                  _findings()]},
    "leaders": {"name": "满意度 70 + 领导评议 20（满分 20）+ 工作任务 10",
                "note": "领导评议由县领导打分后录入或导入；工作任务按工作台上按时、逾期完成情况计分。",
                "components": lambda: [
                    _survey("satisfaction", "群众满意度", "70", mode="ballot"),
                    dict(DEFAULTS["direct"], key="leaders", name="领导评议", kind="direct", weight="20", missing="",
                         max="20"),
                    dict(DEFAULTS["tasks"], key="tasks", name="工作任务完成情况", kind="tasks", weight="10", missing=""),
                    _findings()]},
}


def ready(key):
    """(scheme name, note, its components) of a ready scheme, or None for an unknown key."""
    scheme = SCHEMES.get(key)
    return None if scheme is None else (scheme["name"], scheme["note"], scheme["components"]())


def carry_over(components, source, campaign):
    """The components of `source` for `campaign`, whose questionnaires, questions, dimensions and items are
    copies: ids found again by questionnaire order, question order and dimension/item names; weights of
    anything not found are dropped (it takes the default)."""
    db.session.flush()

    def questionnaires(campaign_id):
        return db.session.scalars(select(Questionnaire.id).where(Questionnaire.campaign_id == campaign_id)
                                  .order_by(Questionnaire.sort_order, Questionnaire.id)).all()

    def questions(campaign_id):
        rows = db.session.execute(select(SurveyQuestion.id, SurveyQuestion.questionnaire_id, SurveyQuestion.sort_order)
                                  .join(Questionnaire).where(Questionnaire.campaign_id == campaign_id)).all()
        order = {q: i for i, q in enumerate(questionnaires(campaign_id))}
        return {q_id: (order.get(questionnaire_id), sort) for q_id, questionnaire_id, sort in rows}

    def checklist(campaign_id):
        rows = db.session.execute(select(Dimension.id, Dimension.name, CheckItem.id, CheckItem.text)
                                  .outerjoin(CheckItem).where(Dimension.campaign_id == campaign_id)).all()
        return {d: n for d, n, _, _ in rows}, {i: (n, t) for _, n, i, t in rows if i is not None}

    old_q, new_q = questionnaires(source.id), questionnaires(campaign.id)
    q_map = {str(o): n for o, n in zip(old_q, new_q)}
    old_questions = questions(source.id)
    new_questions = {place: q for q, place in questions(campaign.id).items()}
    question_map = {str(q): new_questions[place] for q, place in old_questions.items() if place in new_questions}
    old_dims, old_items = checklist(source.id)
    new_dims, new_items = checklist(campaign.id)
    dim_map = {str(d): {n: k for k, n in new_dims.items()}.get(name) for d, name in old_dims.items()}
    item_map = {str(i): {v: k for k, v in new_items.items()}.get(place) for i, place in old_items.items()}

    def remap(weights, mapping):
        return {str(mapping[k]): v for k, v in (weights or {}).items() if mapping.get(k) is not None}

    out = []
    for c in components:
        c = dict(c)
        if c["kind"] == "survey":
            c["questionnaires"] = [q_map[str(q)] for q in c.get("questionnaires") or [] if str(q) in q_map]
            c["question_weights"] = remap(c.get("question_weights"), question_map)
        if c["kind"] == "checklist":
            c["dimension_weights"] = remap(c.get("dimension_weights"), dim_map)
            c["item_weights"] = remap(c.get("item_weights"), item_map)
        out.append(c)
    return out
