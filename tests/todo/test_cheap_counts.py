"""The to-do counts are counted in the database: the same numbers as the rows of the lists they open, in a number
of statements that does not grow with the county, and a write shows in the next count."""
from datetime import date, timedelta

import pytest

from pingyi.campaigns.services import current_campaign
from pingyi.checklists.services import dimensions
from pingyi.extensions import db
from pingyi.feedback.models import FeedbackItem, FeedbackNotice
from pingyi.overdue import overdue_rectifications, unanswered_items, unsigned_notices
from pingyi.rectifications.models import Rectification
from pingyi.timeutil import today, utcnow
from pingyi.todo import services
from tests.conftest import add_units_with_notices, user


@pytest.fixture(autouse=True)
def request_context(app):
    with app.test_request_context():
        yield


def _grow(county, count):
    """`count` more units, each with a notice signed but one problem unanswered and one rectification overdue,
    and a second notice sent long ago and never signed for."""
    office, dim = user("office"), dimensions(county.id)[3]
    long_ago = utcnow() - timedelta(days=60)
    for signed in add_units_with_notices(county, count, sent_at=long_ago, received_at=long_ago):
        for k in range(2):
            signed.items.append(FeedbackItem(dimension_id=dim.id, problem=f"问题{k}", suggestion="建议",
                                             deadline=today() - timedelta(days=10), sort_order=k))
        db.session.add(Rectification(campaign_id=county.id, item=signed.items[0], unit=signed.unit, kind="fix",
                                     measures="措施", owner="主任", status="answered"))
        db.session.add(FeedbackNotice(campaign_id=county.id, unit=signed.unit, round="november", status="sent",
                                      doc_number=signed.doc_number + 400, created_by_id=office.id,
                                      answer_deadline=date(2026, 12, 31), sent_at=long_ago, overall="总体较好"))
    db.session.commit()


def _counts(username):
    return {key: count for key, _, _, count in services.queues(current_campaign(), user(username))}


def _counted(username, statements):
    db.session.expire_all()  # as after any commit: the campaign and the user are read again either way
    statements.clear()
    counts = _counts(username)
    return counts, len(statements)


def test_the_counts_are_the_lists_lengths(county, app):
    _grow(county, 51)
    office, police = _counts("office"), user("unit")
    days = app.config["FEEDBACK_RECEIPT_DAYS"]
    assert office["unsigned"] == len(unsigned_notices(county, days=days)) > 0
    assert office["unanswered"] == len(unanswered_items(county)) > 0
    assert office["overdue-rects"] == len(overdue_rectifications(county)) > 0
    unit = _counts("unit")
    assert unit["sign"] == len(unsigned_notices(county, [police.unit_id]))
    assert unit["answer"] == len(unanswered_items(county, [police.unit_id]))
    assert unit["overdue-rects"] == len(overdue_rectifications(county, [police.unit_id]))
    for key in ("unsigned", "unanswered", "overdue-rects"):
        rows = services.queue_rows(county, user("office"), key)
        first, second = (services.queue_page(county, user("office"), key, n) for n in (1, 2))
        assert office[key] == len(rows) == first.total == second.total > 50
        assert [r["url"] for r in first.items + second.items] == [r["url"] for r in rows[:100]]


@pytest.mark.parametrize("username", ["office", "unit"])
def test_the_recount_s_statements_do_not_grow_with_the_county(county, statements, username):
    before, spent = _counted(username, statements)
    _grow(county, 30)
    after, spent_after = _counted(username, statements)
    assert spent_after == spent
    if username == "office":
        assert after["unsigned"] >= before["unsigned"] + 30 and after["overdue-rects"] >= before["overdue-rects"] + 30
        assert after["unanswered"] == before["unanswered"] + 30


def test_an_answer_shows_in_the_next_count(county, client_for):
    office = client_for("office")
    before = _counts("office")["unanswered"]
    page = office.get("/todo?q=unanswered").text
    assert f'data-queue-count="unanswered">{before}<' in page
    item = unanswered_items(county)[0]
    db.session.add(Rectification(campaign_id=county.id, item=item, unit_id=item.notice.unit_id, kind="fix",
                                 measures="措施", owner="主任", status="answered"))
    db.session.commit()
    assert f'data-queue-count="unanswered">{before - 1}<' in office.get("/todo?q=unanswered").text
