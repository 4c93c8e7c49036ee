"""The running answer counts (BallotCount) that results read instead of every ballot: one place that adds a
ballot in or takes it back out, for entry, deletion, phone interviews and anomaly decisions alike."""
from pingyi.extensions import db
from pingyi.surveys.models import BallotCount

COUNT_KEY = ("unit_id", "questionnaire_id", "respondent_type_id", "round", "question_id", "option_id")


def count_ballot(ballot, delta):
    """Add (delta 1) or take back (-1) a ballot's answers in BallotCount, in the caller's transaction.
    One INSERT … ON CONFLICT DO UPDATE, so two ballots saved at once both count."""
    if not ballot.answers:
        return  # every question left blank: a questionnaire returned, no vote
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    stmt = upsert(BallotCount)
    stmt = stmt.on_conflict_do_update(index_elements=list(COUNT_KEY), set_={"count": BallotCount.count + stmt.excluded.count})
    db.session.execute(stmt, [{"campaign_id": ballot.campaign_id, "unit_id": ballot.unit_id,
                               "questionnaire_id": ballot.questionnaire_id,
                               "respondent_type_id": ballot.respondent_type_id, "round": ballot.round,
                               "question_id": a.question_id, "option_id": a.option_id, "count": delta}
                              for a in ballot.answers])
