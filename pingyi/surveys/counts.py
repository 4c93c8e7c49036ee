"""The running answer counts (BallotCount) that results read instead of every ballot: one place that adds a
ballot in or takes it back out, for entry, deletion, phone interviews and anomaly decisions alike."""
from sqlalchemy import text

from pingyi.extensions import db
from pingyi.surveys.models import BallotCount

COUNT_KEY = ("unit_id", "questionnaire_id", "respondent_type_id", "round", "question_id", "option_id")

# The same upsert as count_ballot's, as text (the same SQL on SQLite and PostgreSQL): SQLAlchemy compiles its
# ON CONFLICT construct afresh for every use, text only once. Being text, it does not move the data version
# through the session: only for a transaction that has already moved it (services.answer_with_code).
_COLUMNS = ("campaign_id", *COUNT_KEY, "count")
UPSERT = text(f"INSERT INTO ballot_count ({', '.join(_COLUMNS)}) VALUES ({', '.join(':' + c for c in _COLUMNS)}) "
              f"ON CONFLICT ({', '.join(COUNT_KEY)}) DO UPDATE SET count = ballot_count.count + excluded.count")


def count_rows(ballot, answers, delta):
    """The upsert's rows for `ballot` (anything with campaign_id, unit_id, questionnaire_id, respondent_type_id
    and round) answering {question_id: option_id}."""
    return [{"campaign_id": ballot.campaign_id, "unit_id": ballot.unit_id, "questionnaire_id": ballot.questionnaire_id,
             "respondent_type_id": ballot.respondent_type_id, "round": ballot.round,
             "question_id": question_id, "option_id": option_id, "count": delta}
            for question_id, option_id in answers.items()]


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
    db.session.execute(stmt, count_rows(ballot, {a.question_id: a.option_id for a in ballot.answers}, delta))
