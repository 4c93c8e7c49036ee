"""The demo county's satisfaction surveys and results.

Paper tallies for June and November for every unit (县教育局 has not handed in its November
questionnaires; 中国石油青山县分公司 none at all, so it stays 未评定), a double-entered 机关内部民主测评
for the supervised units, 县公安局's questionnaires entered one by one and answered online with
one-time codes (two comments went to its opinions), and two published versions of the results:
the first kept only to units, the second (after the online answers came in) with the full ranking.
A few online answers arrived after that, so the live figures already differ from the published ones.
"""
import random
from datetime import datetime

from pingyi.extensions import db
from pingyi.findings.models import Opinion
from pingyi.findings.services import confirm_opinion
from pingyi.results import services as results
from pingyi.surveys import services as surveys
from pingyi.timeutil import acting_at

# How satisfied each unit's public is, before noise: most units do well, a few lag.
LOW = {"县教育局": 0.62, "县城市管理行政执法局": 0.58, "县国土资源局": 0.66, "县自来水公司": 0.64,
       "县道路运输管理站": 0.6, "县卫生局": 0.7}
HIGH = {"县公安局": 0.9, "县财政局": 0.88, "国网青山县供电公司": 0.87, "县人民医院": 0.86}
NO_SURVEY = "中国石油青山县分公司"
# The public rates some dimensions lower everywhere (服务质量, 依法行政), 清正廉洁 and 政务公开 higher.
DIMENSION_SHIFT = (0.01, -0.05, 0.03, -0.08, 0.04, -0.02, 0.0)
COMMENTS = ("户籍窗口的工作人员很耐心，一次就办好了，点赞。",
            "希望出入境办证大厅周末也能开放半天，上班族请假不方便。")


def _at(month, day, hour=10):
    return datetime(2026, month, day, hour, 0)


def _votes(rng, n, quality, opts):
    """A plausible split of n answers over 满意/基本满意/不满意/不了解 (in the options' order)."""
    unknown = rng.randint(0, max(1, n // 15))
    answered = n - unknown
    sat = min(answered, round(answered * min(0.98, max(0.2, quality + rng.uniform(-0.06, 0.05)))))
    rest = answered - sat
    dis = min(rest, round(rest * rng.uniform(0.1, 0.35)))
    counts = [sat, rest - dis, dis, unknown] + [0] * (len(opts) - 4)
    return {o.id: str(c) for o, c in zip(opts, counts)}


def _tally(campaign, unit, q, rtype, round_, n, quality, rng, user, entry=1, tweak=None):
    opts = surveys.options(campaign.id)
    cells = {}
    for index, question in enumerate(q.questions):
        for option_id, count in _votes(rng, n, quality + DIMENSION_SHIFT[index % len(DIMENSION_SHIFT)], opts).items():
            cells[(question.id, option_id)] = count
    if tweak:
        cells.update(tweak)
    sheet, errors, ballots_error = surveys.save_tally(campaign, unit, q, rtype, round_, entry, str(n), cells, None, user)
    assert not errors and not ballots_error, (unit.name, errors, ballots_error)
    return cells


def load(campaign, units, accounts, supervised):
    rng = random.Random(2026)
    office, supervisor = accounts["office"], accounts["supervisor"]
    main = surveys.questionnaires(campaign.id)[0]
    types = surveys.respondent_types(campaign.id)
    opts = surveys.options(campaign.id)
    public, volunteers, deputies, internal = types

    inner = surveys.save_questionnaire(
        campaign, None, None, "机关内部民主测评表", "由本单位干部职工不记名填写，纸质问卷由两人分别录入、核对一致后计分。", True,
        [{"id": None, "text": text, "dimension_id": None} for text in (
            "您对本单位领导班子作风建设的评价", "您对本单位廉洁自律情况的评价", "您对本单位内部管理和制度执行的评价")])

    for name, unit in units.items():
        if name == NO_SURVEY:
            continue
        quality = HIGH.get(name) or LOW.get(name) or rng.uniform(0.74, 0.86)
        for round_, month, day in (("june", 6, 20), ("november", 11, 16)):
            if round_ == "november" and name == "县教育局":
                continue  # its November questionnaires from the public were never handed in
            with acting_at(_at(month, day + unit.sort_order % 8)):
                size = 40 + rng.randint(0, 40)
                _tally(campaign, unit, main, public, round_, size, quality, rng, office)
                _tally(campaign, unit, main, volunteers, round_, rng.randint(5, 10), quality - 0.03, rng, office)
                _tally(campaign, unit, main, deputies, round_, rng.randint(4, 8), quality + 0.02, rng, office)
                if name not in supervised:
                    _tally(campaign, unit, main, internal, round_, rng.randint(10, 20), quality + 0.05, rng, office)

    for name in supervised:  # 机关内部民主测评: the office enters, the supervisor enters again, they agree
        unit = units[name]
        quality = HIGH.get(name) or LOW.get(name) or 0.8
        with acting_at(_at(11, 18, 9)):
            cells = _tally(campaign, unit, inner, internal, "november", 24, quality + 0.05, rng, office)
        with acting_at(_at(11, 18, 15)):
            wrong = dict(cells)
            first = (inner.questions[0].id, opts[0].id)
            wrong[first] = str(int(cells[first]) - 1) if int(cells[first]) else "1"
            surveys.save_tally(campaign, unit, inner, internal, "november", 2, "24", wrong, None, supervisor)
        with acting_at(_at(11, 19, 10)):  # the difference was checked against the paper and corrected
            sheet = surveys.find_sheet(unit.id, inner.id, internal.id, "november", 2)
            surveys.save_tally(campaign, unit, inner, internal, "november", 2, "24", cells, sheet.version, supervisor)

    police = units["县公安局"]
    for n in range(12):  # questionnaires collected at the service hall, entered one by one
        with acting_at(_at(11, 19, 14)):
            answers = {q.id: opts[0 if n % 4 else 1].id for q in main.questions}
            surveys.add_ballot(campaign, police, main, public, "november", answers, office)

    with acting_at(_at(11, 20, 16)):
        results.publish(campaign, office, show_ranking=False, note="6月、11月纸质问卷汇总")

    with acting_at(_at(11, 21, 9)):
        batch = surveys.issue_codes(campaign, police, main, public, "november", 20, office)
    for n, code in enumerate(batch.codes[:9]):
        with acting_at(_at(11, 22 + n % 3, 10 + n)):
            answers = {q.id: opts[0 if n % 3 else 1].id for q in main.questions}
            surveys.answer_with_code(code, answers, COMMENTS[n // 4] if n in (0, 4) else "")

    with acting_at(_at(11, 24, 17)):
        first_comment = db.session.scalar(db.select(Opinion).where(Opinion.source == "survey").order_by(Opinion.id))
        confirm_opinion(first_comment, office)

    with acting_at(_at(11, 25, 10)):
        results.publish(campaign, office, show_ranking=True, note="补录县公安局11月网上问卷", doc_number=15)

    for n, code in enumerate(batch.codes[9:11]):
        with acting_at(_at(11, 26, 8 + n)):
            surveys.answer_with_code(code, {q.id: opts[0].id for q in main.questions}, "")
