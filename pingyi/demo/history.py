"""The demo county's closed 2025 campaign: November questionnaires for every unit, a few confirmed problems,
published results with the ranking, and the year's notice and bulletin in the documents register, so that
past-year pages, 回头看 and the year-over-year figures have real content."""
import random
from datetime import date, datetime

from pingyi.checklists.services import dimensions
from pingyi.documents import services as documents
from pingyi.extensions import db
from pingyi.findings.models import Finding, Inspection
from pingyi.results import services as results
from pingyi.surveys import services as surveys
from pingyi.timeutil import acting_at

QUALITY = {"县教育局": 0.6, "县城市管理行政执法局": 0.62, "县公安局": 0.84, "县财政局": 0.86, "县自来水公司": 0.66}
# (unit, dimension index, description, severity): last year's problems, several of which come back in 2026.
PROBLEMS = (
    ("县公安局", 3, "户籍窗口午间无人值守，群众反映办事需多次往返。", "minor"),
    ("县公安局", 2, "交通违法处理流程和收费标准未在大厅公示。", "minor"),
    ("县教育局", 3, "学籍办理推诿扯皮，群众反映“门难进、事难办”。", "major"),
    ("县教育局", 1, "民办培训机构审批超过承诺时限。", "major"),
    ("县教育局", 4, "个别学校存在违规收取资料费的情况。", "minor"),
    ("县城市管理行政执法局", 1, "执法过程中态度生硬，存在以罚代管。", "major"),
)


def _votes(rng, n, quality, options):
    unknown = rng.randint(0, 3)
    sat = round((n - unknown) * min(0.97, max(0.3, quality + rng.uniform(-0.05, 0.05))))
    rest = n - unknown - sat
    dis = round(rest * rng.uniform(0.1, 0.3))
    counts = [sat, rest - dis, dis, unknown] + [0] * (len(options) - 4)
    return dict(zip(options, counts))


def load(last, units, accounts):
    """Fill the 2025 campaign (before the 2026 one is started from it)."""
    rng = random.Random(2025)
    office = accounts["office"]
    main = surveys.questionnaires(last.id)[0]
    public, volunteers = surveys.respondent_types(last.id)[:2]
    options = surveys.options(last.id)
    for name, unit in units.items():
        quality = QUALITY.get(name) or rng.uniform(0.72, 0.84)
        with acting_at(datetime(2025, 11, 10 + unit.sort_order % 10, 10)):
            for rtype, n in ((public, 40 + rng.randint(0, 30)), (volunteers, rng.randint(5, 9))):
                cells = {}
                for question in main.questions:
                    for option, count in _votes(rng, n, quality, options).items():
                        cells[(question.id, option.id)] = str(count)
                _, errors, ballots_error = surveys.save_tally(last, unit, main, rtype, "november", 1, str(n), cells,
                                                              None, office)
                assert not errors and not ballots_error, (name, errors, ballots_error)
    dims = dimensions(last.id)
    for name, index, description, severity in PROBLEMS:
        unit = units[name]
        inspection = Inspection(campaign_id=last.id, unit_id=unit.id, method="unannounced",
                                held_on=date(2025, 6, 12), place=unit.address or unit.name, status="submitted",
                                summary="2025年6月集中评议明察暗访", created_by_id=accounts["evaluator"].id,
                                submitted_at=datetime(2025, 6, 12, 8))
        inspection.findings.append(Finding(campaign_id=last.id, unit_id=unit.id, dimension_id=dims[index].id,
                                           description=description, severity=severity, source="unannounced",
                                           status="confirmed", reviewed_by_id=office.id,
                                           reviewed_at=datetime(2025, 6, 15, 8)))
        db.session.add(inspection)
    last.notice_number, last.notice_date = 2, date(2025, 3, 26)
    db.session.commit()
    with acting_at(datetime(2025, 12, 5, 9)):
        results.publish(last, office, show_ranking=True, note="2025年度综合评定", doc_number=18)
    with acting_at(datetime(2025, 12, 8, 9)):
        documents.issue("notice", last, None, office)
        documents.issue("bulletin", last, None, office)
