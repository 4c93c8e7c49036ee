"""Synthetic online ballots written straight to the tables (with their arrival marks and running counts), for
the anomaly tests and scripts/bench_integrity.py: a realistic steady stream, and bursts or runs to find in it."""
import random
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, insert, select

from pingyi.extensions import db
from pingyi.surveys import anomalies
from pingyi.surveys import services as surveys
from pingyi.surveys.integrity_models import ArrivalMark
from pingyi.surveys.models import Ballot, BallotAnswer
from pingyi.timeutil import TZ, day_start, local

CGNAT = [f"117.41.0.{n}" for n in range(1, 6)]  # mobile carriers put many phones behind a few addresses


def county_time(month, day, hour, minute=0):
    """A county moment as the stored naive UTC time."""
    return _utc(datetime(2026, month, day, hour, minute))


def _utc(moment):
    return moment.replace(tzinfo=TZ).astimezone(timezone.utc).replace(tzinfo=None)


def steady_arrivals(rng, n, first_day=1, last_day=29, month=11):
    """n arrivals spread over the days of the round, in office and evening hours (8:00–22:00)."""
    out = []
    for _ in range(n):
        day = rng.randint(first_day, last_day)
        minute = rng.randint(8 * 60, 22 * 60 - 1)
        out.append(_utc(datetime(2026, month, day, minute // 60, minute % 60, rng.randint(0, 59))))
    return sorted(out)


def realistic_answers(rng, questions, opts, quality):
    """A respondent's sheet: a personal mood around the unit's quality, then each question on its own."""
    mood = min(0.99, max(0.05, rng.gauss(quality, 0.15)))
    sheet = {}
    for q in questions:
        if rng.random() < mood:
            sheet[q.id] = opts[0].id
        else:
            sheet[q.id] = opts[rng.choices((1, 2, 3), (0.7, 0.2, 0.1))[0]].id
    return sheet


def realistic_network(rng):
    return rng.choice(CGNAT) if rng.random() < 0.6 else f"{rng.randint(36, 223)}.{rng.randint(0, 255)}." \
                                                            f"{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def add_ballots(campaign, unit_id, questionnaire, rtype_id, arrivals, sheets, addresses, round_="november",
                recount=True):
    """Write one online ballot per arrival (with its sheet {question_id: option_id} and address); returns ids."""
    digest = anomalies.hasher(campaign.id, round_)
    start = (db.session.scalar(select(func.max(Ballot.id))) or 0) + 1
    ids = list(range(start, start + len(arrivals)))
    db.session.execute(insert(Ballot), [
        {"id": i, "campaign_id": campaign.id, "unit_id": unit_id, "questionnaire_id": questionnaire.id,
         "respondent_type_id": rtype_id, "round": round_, "channel": "online",
         "created_at": day_start(local(t).date())} for i, t in zip(ids, arrivals)])
    db.session.execute(insert(BallotAnswer), [{"ballot_id": i, "question_id": q, "option_id": o}
                                              for i, sheet in zip(ids, sheets) for q, o in sheet.items()])
    db.session.execute(insert(ArrivalMark), [
        {"ballot_id": i, "campaign_id": campaign.id, "round": round_, "bucket": anomalies.bucket_of(t),
         "network": digest(a)} for i, t, a in zip(ids, arrivals, addresses)])
    db.session.commit()
    if recount:
        surveys.recount(campaign)
    return ids


def steady_stream(campaign, unit_id, n, quality=0.85, seed=7, recount=True):
    rng = random.Random(seed)
    q = surveys.questionnaires(campaign.id)[0]
    rtype = surveys.respondent_types(campaign.id)[0]
    opts = surveys.options(campaign.id)
    arrivals = steady_arrivals(rng, n)
    return add_ballots(campaign, unit_id, q, rtype.id, arrivals,
                       [realistic_answers(rng, q.questions, opts, quality) for _ in arrivals],
                       [realistic_network(rng) for _ in arrivals], recount=recount)


def burst(campaign, unit_id, n, start, minutes, addresses, sheet=None, seed=11):
    """n answers within `minutes` from `start` (stored UTC), from the given addresses in turn."""
    rng = random.Random(seed)
    q = surveys.questionnaires(campaign.id)[0]
    rtype = surveys.respondent_types(campaign.id)[0]
    opts = surveys.options(campaign.id)
    arrivals = sorted(start + timedelta(seconds=rng.randint(0, minutes * 60 - 1)) for _ in range(n))
    sheets = [dict(sheet) if sheet else realistic_answers(rng, q.questions, opts, 0.95) for _ in arrivals]
    return add_ballots(campaign, unit_id, q, rtype.id, arrivals, sheets,
                       [addresses[i % len(addresses)] for i in range(n)])
