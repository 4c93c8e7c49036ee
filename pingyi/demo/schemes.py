"""The demo county's scheme (评定办法) for 2026: five weighted components and the findings' deductions.

青山县 scores 群众满意度 50 (the main questionnaire, its overall question weighted 2), 检查考核 15, 整改落实 10
(deductions per overdue or failed item, so one late item costs 10 of the component's 100, not all of it),
工作任务 5 (on time / late / missing on the board) and 领导评议 20 (县领导 rate each unit out of 20, typed in by
the office), minus the findings' deductions. A unit that named no liaison and left its tasks undone loses its
工作任务 points instead of riding on redistributed weights.
"""
import json
import random
from datetime import datetime
from fractions import Fraction

from pingyi.demo.surveys import HIGH, LOW
from pingyi.results import direct, services as results
from pingyi.results.components import DEFAULTS
from pingyi.surveys import services as surveys
from pingyi.timeutil import acting_at


def scheme(main):
    """The components, with the overall question of the main questionnaire `main` weighted 2."""
    overall = next(q for q in main.questions if q.dimension_id is None)
    return [
        dict(DEFAULTS["survey"], key="satisfaction", name="群众满意度", kind="survey", weight="50", missing="unrated",
             questionnaires=[main.id], question_weights={str(overall.id): "2"}),
        dict(DEFAULTS["checklist"], key="checklist", name="检查考核", kind="checklist", weight="15", missing=""),
        dict(DEFAULTS["rectification"], key="rectification", name="整改落实", kind="rectification", weight="10",
             missing="", mode="deduct", per_overdue="10", per_failed="20", cap="100"),
        dict(DEFAULTS["tasks"], key="tasks", name="工作任务", kind="tasks", weight="5", missing="zero"),
        dict(DEFAULTS["direct"], key="leaders", name="领导评议", kind="direct", weight="20", missing="", max="20"),
        dict(DEFAULTS["findings"], key="findings", name="问题扣分", kind="findings", weight="0", missing=""),
    ]


def leaders_rating(rng, name):
    """A 县领导 rating out of 20 in half points: most units 16–18.5, the strong ones more, the weak ones less."""
    quality = HIGH.get(name) or LOW.get(name) or 0.8
    return Fraction(round((13 + 7 * quality + rng.uniform(-0.6, 0.6)) * 2), 2)


def load(campaign, units, accounts):
    office = accounts["office"]
    config = results.config_for(campaign)
    with acting_at(datetime(2026, 11, 10, 9, 30)):
        listed = scheme(surveys.questionnaires(campaign.id)[0])
        results.save_config(campaign, config, config.version,
                            {"components_json": json.dumps(listed, ensure_ascii=False)}, office)
    rng = random.Random(20)
    comp = direct.component(config, "leaders")
    with acting_at(datetime(2026, 11, 18, 15, 0)):
        direct.save_values(campaign, comp, {u.id: leaders_rating(rng, name) for name, u in units.items()}, office,
                           how="录入")
