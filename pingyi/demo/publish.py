"""The demo county's questionnaire issuance and return-rate minimum.

The office recorded how many questionnaires it handed out per unit and respondent type (both rounds together):
a few more than came back for most units, so their return rates run between about 85 % and 97 %. 县教育局 never
handed in its November questionnaires from the public, so about half of what it was given came back: below the
scheme's minimum of 70 %, and — as the scheme says — flagged beside its result rather than left unrated.
中国石油青山县分公司 was given questionnaires and returned none. The next publication's check page shows the flag.
"""
import random
from fractions import Fraction
from datetime import datetime

from pingyi.results import services as results
from pingyi.surveys import issuance
from pingyi.surveys.services import respondent_types
from pingyi.timeutil import acting_at

LAGGING = "县教育局"
NO_SURVEY = "中国石油青山县分公司"


def load(campaign, units, accounts):
    rng = random.Random(1130)
    office = accounts["office"]
    returned = issuance.returned_counts(campaign)
    types = respondent_types(campaign.id)
    values = {}
    for name, unit in units.items():
        for rtype in types:
            back = returned.get((unit.id, rtype.id), 0)
            if name == NO_SURVEY and rtype == types[0]:
                values[(unit.id, rtype.id)] = 60
            elif back and name == LAGGING:
                values[(unit.id, rtype.id)] = back * 2  # the November half never came back
            elif back:
                values[(unit.id, rtype.id)] = back + max(1, round(back * rng.uniform(0.03, 0.16)))
    with acting_at(datetime(2026, 11, 26, 15, 0)):
        issuance.save_values(campaign, values, office, "填写")
    with acting_at(datetime(2026, 11, 26, 15, 20)):
        config = results.config_for(campaign)
        results.save_config(campaign, config, config.version,
                            {"min_return_rate": Fraction(70), "min_valid_ballots": 30, "return_shortfall": "flag"}, office)
