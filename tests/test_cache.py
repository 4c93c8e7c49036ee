"""Kept values (pingyi.cache): every change to an input invalidates them, an unchanged county is read back in a
few statements, the navigation's to-do count costs one statement. Counts of SQL statements, never times."""
from datetime import timedelta
from fractions import Fraction

import pytest
from sqlalchemy import delete, func, select, update

from pingyi import create_app
from pingyi.audit.services import record
from pingyi.cache import services as cache
from pingyi.campaigns.models import Category, EvaluationGroup, Participation
from pingyi.checklists.models import Assessment, Dimension
from pingyi.extensions import db
from pingyi.feedback.models import FeedbackItem, FeedbackNotice
from pingyi.findings.models import Finding
from pingyi.jobs import services as jobs
from pingyi.notifications import todo
from pingyi.rectifications.models import Rectification
from pingyi.results import services as results
from pingyi.results.models import ScoringConfig
from pingyi.surveys.models import Ballot, BallotCount, Questionnaire, RespondentType, SurveyOption, TallyCount, TallySheet
from pingyi.tasks.models import Submission
from pingyi.units.models import Unit
from tests.conftest import TEST_CONFIG, user
from tests.conftest import repeat_view as _steady


@pytest.fixture
def computations(monkeypatch):
    """How many times the results were really computed."""
    calls = []
    real = cache._compute

    def counting(campaign):
        calls.append(campaign.id)
        return real(campaign)
    monkeypatch.setattr(cache, "_compute", counting)
    return calls


def first(model, *where):
    row = db.session.scalar(select(model).where(*where).order_by(model.id).limit(1))
    assert row is not None, f"the demo county has no {model.__name__}"
    return row


def _bump_rating(campaign):
    a = first(Assessment, Assessment.kind == "review")
    a.rating = "problem" if a.rating != "problem" else "meets"


def _toggle_finding(campaign):
    f = first(Finding, Finding.campaign_id == campaign.id, Finding.status == "confirmed")
    f.status = "submitted"


def _rect_status(campaign):
    r = first(Rectification, Rectification.campaign_id == campaign.id)
    r.status = "verified" if r.status != "verified" else "failed"


# One change to each kind of input of the results (and of the to-do queues).
CHANGES = {
    "tally count": lambda c: setattr(first(TallyCount), "count", first(TallyCount).count + 1),
    "tally sheet": lambda c: setattr(first(TallySheet), "ballots", first(TallySheet).ballots + 1),
    "ballot counts (bulk update)": lambda c: db.session.execute(update(BallotCount).values(count=BallotCount.count + 1)),
    "ballots (bulk update)": lambda c: db.session.execute(update(Ballot).where(Ballot.campaign_id == c.id)
                                                          .values(channel="paper")),
    "answers (bulk delete)": lambda c: db.session.execute(delete(BallotCount).where(BallotCount.campaign_id == c.id)),
    "checklist rating": _bump_rating,
    "finding": _toggle_finding,
    "finding deleted": lambda c: db.session.delete(first(Finding, Finding.campaign_id == c.id, Finding.id.not_in(
        select(FeedbackItem.finding_id).where(FeedbackItem.finding_id.is_not(None))))),
    "rectification": _rect_status,
    "feedback notice": lambda c: setattr(first(FeedbackNotice, FeedbackNotice.campaign_id == c.id), "answer_deadline",
                                         first(FeedbackNotice, FeedbackNotice.campaign_id == c.id).answer_deadline
                                         - timedelta(days=400)),
    "task submission": lambda c: setattr(first(Submission), "status", "returned"),
    "unit": lambda c: setattr(first(Unit), "name", "改名后的单位"),
    "participation": lambda c: setattr(first(Participation, Participation.campaign_id == c.id), "is_key",
                                       not first(Participation, Participation.campaign_id == c.id).is_key),
    "scoring config": lambda c: setattr(first(ScoringConfig, ScoringConfig.campaign_id == c.id), "weight_checklist",
                                        Fraction(30)),
    "ranking group": lambda c: setattr(first(EvaluationGroup, EvaluationGroup.campaign_id == c.id), "name", "第一组（改）"),
    "category": lambda c: setattr(first(Category, Category.campaign_id == c.id), "name", "改名的类别"),
    "questionnaire": lambda c: setattr(first(Questionnaire, Questionnaire.campaign_id == c.id), "title", "改过的问卷"),
    "survey option": lambda c: setattr(first(SurveyOption, SurveyOption.campaign_id == c.id), "label", "很满意"),
    "respondent type": lambda c: setattr(first(RespondentType, RespondentType.campaign_id == c.id), "name", "企业代表"),
    "dimension": lambda c: setattr(first(Dimension, Dimension.campaign_id == c.id), "name", "改名的维度"),
    "new participation": lambda c: db.session.add(Participation(
        campaign_id=c.id, unit=Unit(name="新增单位", short_name="新增", category="department", sort_order=999))),
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_a_change_to_any_input_invalidates_the_kept_results(county, computations, change):
    kept = cache.cached_compute(county)
    assert cache.cached_compute(county) is kept and computations == [county.id]  # unchanged: read back
    before = cache.data_version()
    CHANGES[change](county)
    db.session.commit()
    assert cache.data_version() != before
    fresh = cache.cached_compute(county)
    assert computations == [county.id, county.id]
    assert fresh["details"] == results.compute(county)["details"]
    assert fresh["computed_at"] >= kept["computed_at"]


def test_bookkeeping_writes_keep_the_results(county, computations):
    """The audit log, sign-in sessions and background jobs change no figure: the results stay kept."""
    cache.cached_compute(county)
    before = cache.data_version()
    record("download", county, actor=user("office"), summary="下载测试")
    db.session.commit()
    jobs.enqueue("document-batch", {"batch_id": 0, "campaign_id": county.id, "unit_ids": []})
    db.session.commit()
    db.session.execute(update(user("office").__class__).where(user("office").__class__.username == "office")
                       .values(display_name="王主任"))
    db.session.commit()
    assert cache.data_version() == before
    cache.cached_compute(county)
    assert computations == [county.id]


def test_a_rolled_back_change_is_never_kept(county, computations):
    """While a transaction holds uncommitted changes the results are computed, not kept: a rollback must not
    leave figures behind that no committed data gave."""
    _toggle_finding(county)
    db.session.flush()
    inside = cache.cached_compute(county)
    db.session.rollback()
    after = cache.cached_compute(county)
    assert after is not inside and len(computations) == 2
    assert after["details"] == results.compute(county)["details"]


def test_another_process_reads_the_kept_results_from_the_database(app, county, monkeypatch):
    """A second server process (its own app and memo) finds the first one's results in results_cache."""
    kept = cache.cached_compute(county)
    other = create_app(dict(TEST_CONFIG, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                            UPLOAD_DIR=app.config["UPLOAD_DIR"]))
    monkeypatch.setattr(cache, "_compute", lambda campaign: pytest.fail("computed again in the second process"))
    with other.app_context():
        data = cache.cached_compute(db.session.get(type(county), county.id))
        assert data["computed_at"] == kept["computed_at"]
        assert data["details"] == kept["details"]
        db.session.remove()
        db.engine.dispose()


def test_the_live_results_page_says_when_they_were_computed(office_client, county):
    kept = cache.cached_compute(county)
    page = office_client.get("/results").get_data(as_text=True)
    assert "实时结果计算于" in page
    from pingyi.timeutil import cn_datetime
    assert cn_datetime(kept["computed_at"]) in page


def test_an_unchanged_county_is_read_back_in_a_few_statements(office_client, county, statements):
    """Read back, /results and a unit's explanation issue a small number of statements, the same after the
    county grows by twenty units; none of them reads the ballots, tallies or findings."""
    police = db.session.scalar(select(Unit.id).where(Unit.name == "县公安局"))
    counts = {}
    for path in ("/results", f"/results/units/{police}"):
        sent = _steady(office_client, path, statements)
        assert len(sent) <= 8, sent
        assert not any(t in s for s in sent for t in ("tally_count", "ballot_count", "FROM finding", "assessment"))
        counts[path] = len(sent)
    for n in range(20):
        db.session.add(Participation(campaign_id=county.id, unit=Unit(name=f"新增单位{n}", short_name=f"新{n}",
                                                                       category="department", sort_order=900 + n)))
    db.session.commit()
    for path, count in counts.items():
        assert len(_steady(office_client, path, statements)) == count


def test_the_navigation_count_costs_one_statement(office_client, county, statements):
    """The signed-in trivial page: session, user, campaign and the data version for the to-do count (kept per
    user until something changes) in one statement."""
    sent = _steady(office_client, "/account/password", statements)
    assert len(sent) <= 4, sent
    assert sum("data_version" in s for s in sent) == 1


def _badge(client):
    import re
    page = client.get("/account/password").get_data(as_text=True)
    found = re.search(r'class="todo-link"[^>]*>待办(?:<span class="badge">(\d+)</span>)?', page)
    return int(found.group(1) or 0)


def _todo_total(app, office, county):
    with app.test_request_context():
        return sum(n for _, n, _, _ in todo(office, county))


def test_the_navigation_count_follows_the_work(app, office_client, county):
    office = user("office")
    assert _badge(office_client) == _todo_total(app, office, county)
    waiting = db.session.scalar(select(func.count()).select_from(Submission).where(Submission.status == "submitted"))
    assert waiting, "the demo has materials to confirm"
    waiting_total = _todo_total(app, office, county)
    first(Submission, Submission.status == "submitted").status = "confirmed"
    db.session.commit()
    assert _badge(office_client) == _todo_total(app, office, county) == waiting_total - 1


def test_a_kept_value_follows_the_data_and_the_day(app, county, monkeypatch):
    calls = []

    def work():
        calls.append(1)
        return f"value {len(calls)}"
    assert cache.kept("test", (county.id,), work) == "value 1"
    assert cache.kept("test", (county.id,), work) == "value 1" and len(calls) == 1  # unchanged: kept
    assert cache.kept("test", (county.id + 1,), work) == "value 2"  # other parts: its own value
    _bump_rating(county)
    db.session.commit()
    db.session.expire_all()
    from flask import g
    g.pop("pingyi_data_version", None)
    assert cache.kept("test", (county.id,), work) == "value 3"  # a change: worked out again
    from pingyi.timeutil import acting_at, now
    with acting_at(now() + timedelta(days=1)):
        assert cache.kept("test", (county.id,), work) == "value 4"  # the next day: again
        assert cache.kept("test", (county.id,), work, clock=None) == "value 5"
        assert cache.kept("test", (county.id,), work, clock=None) == "value 5"


def test_the_memo_keeps_at_most_its_byte_budget(monkeypatch):
    monkeypatch.setattr(cache, "MEMO_BYTES", 10_000)
    memo = cache.Memo()
    for n in range(20):
        memo.get(("page", n), lambda: "x" * 1_000)
    assert memo.total <= 10_000 and len(memo.values) == 10
    assert ("page", 19) in memo.values and ("page", 0) not in memo.values  # the least recently used went first
    memo.get(("page", 19), lambda: "y" * 100)  # kept: not worked out again
    assert memo.values[("page", 19)] == "x" * 1_000


def test_an_account_change_counts_and_sign_in_bookkeeping_does_not(app, county):
    from pingyi.auth import services as auth
    from pingyi.auth.models import User

    def version():
        from flask import g
        g.pop("pingyi_data_version", None)
        db.session.rollback()
        return cache.data_version()
    start = version()
    liaison = auth.create_user("lly-new", "unit", "Liaison2026pw", "新联络员", unit_id=first(Unit).id)
    db.session.commit()
    created = version()
    assert created != start  # the dashboard's 未设联络员账号 and 催办's liaison names follow it
    db.session.execute(update(User).where(User.id == liaison.id).values(last_login_at=cache.utcnow()))
    liaison = db.session.get(User, liaison.id)
    liaison.must_change_password = True
    db.session.commit()
    assert version() == created  # sign-in bookkeeping
    liaison = db.session.get(User, liaison.id)
    liaison.phone = "13900001111"
    db.session.commit()
    assert version() != created


def test_unflushed_changes_are_never_kept(app, county):
    unit = first(Unit)
    unit.name = unit.name + "（改）"  # in the session, not yet flushed
    assert cache.kept("names", (), lambda: "worked out") == "worked out"
    db.session.rollback()
    assert cache.kept("names", (), lambda: "again") == "again"  # nothing was kept from the request that wrote


def test_the_campaign_statement_reads_the_data_version_and_a_commit_forgets_it(app, county):
    """current_campaign() takes the data version from its own statement (no statement of its own); after a
    commit the next read is fresh, so a value kept later in a long app context carries the new version."""
    from flask import g

    from pingyi.campaigns.services import current_campaign
    with app.test_request_context():
        direct = db.session.execute(select(cache.DataVersion.token, cache.DataVersion.counter)).one()
        assert current_campaign().id == county.id
        assert g.pingyi_data_version == f"{direct.token}:{direct.counter}"
        first(Finding, Finding.campaign_id == county.id).description += "。"
        db.session.commit()
        assert "pingyi_data_version" not in g
        assert cache.data_version() == f"{direct.token}:{direct.counter + 1}"
