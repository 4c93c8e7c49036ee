"""The public questionnaire under a crowd: one statement per view, a kept page that follows every edit of what it
shows, exactly one ballot per code however many submit it at once, and results that still see every ballot."""
import functools
import re
import threading
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import event, func, select

from pingyi.audit.models import AuditEntry
from pingyi.cache import services as cache
from pingyi.cache.services import CSRF_STAND_IN
from pingyi.extensions import db
from pingyi.results import services as results
from pingyi.surveys import public, services
from pingyi.surveys.integrity_models import ArrivalMark, FollowUp
from pingyi.surveys.models import Ballot, BallotCount, CodeBatch, SurveyCode
from pingyi.units.models import Unit
from tests.conftest import post_at_once

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
TOKEN_QUERY = re.compile(r'class="query-code"><strong>([^<]+)</strong>')


def _open_code(county):
    """An unused code of the current campaign, and its questionnaire."""
    code = db.session.scalar(select(SurveyCode).join(CodeBatch).where(SurveyCode.used_on.is_(None),
                                                                     CodeBatch.campaign_id == county.id))
    q = next(x for x in services.questionnaires(county.id) if x.id == code.batch.questionnaire_id)
    return code, q


def _answers(q, option):
    return {f"q-{question.id}": option.id for question in q.questions}


def _driver_statements(engine, seen):
    """Put every statement SQLite runs on the pool's connections into `seen` (the fast path reads past
    SQLAlchemy's events); returns the function that stops it."""
    def trace(dbapi_connection, record, proxy):
        dbapi_connection.set_trace_callback(seen.append)

    def untrace(dbapi_connection, record):
        dbapi_connection.set_trace_callback(None)
    event.listen(engine, "checkout", trace)
    event.listen(engine, "checkin", untrace)
    return lambda: (event.remove(engine, "checkout", trace), event.remove(engine, "checkin", untrace))


@pytest.mark.parametrize("way", ("fast path", "view"))
def test_the_questionnaire_costs_one_statement_as_the_county_grows(county, app, statements, way):
    """The page of a code, by the fast path (a respondent) or the view (a browser with a session cookie): one
    statement reads the code with all the page shows, however many units the county has."""
    if way == "fast path" and db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's trace shows the statements the fast path runs past SQLAlchemy")
    code, q = _open_code(county)
    path, questions = f"/s/{code.code}", len(q.questions)

    def view():
        client = app.test_client()
        if way == "view":
            client.set_cookie("session", "unreadable")  # an anonymous session, but the view's
        return client.get(path)
    seen = statements
    if way == "fast path":
        seen = []
        stop = _driver_statements(db.engine, seen)
    try:
        seen.clear()
        assert view().status_code == 200 and len(seen) == 1, seen
        for n in range(30):
            db.session.add(Unit(name=f"新增单位{n}", short_name=f"新增{n}", category="department", sort_order=900 + n))
        db.session.commit()
        seen.clear()
        again = view()
        assert again.status_code == 200 and len(seen) == 1, seen
    finally:
        if way == "fast path":
            stop()
    assert again.text.count('name="q-') == questions * len(services.options(county.id))


def test_the_kept_page_follows_every_edit_of_what_it_shows(county, app):
    code, q = _open_code(county)
    page = app.test_client().get(f"/s/{code.code}").text
    assert q.questions[0].text in page and CSRF_STAND_IN not in page
    services.save_questionnaire(county, q, q.version, q.title, "新的说明：请如实评价。", q.double_entry,
                                [{"id": x.id, "text": x.text + "（改）" if n == 0 else x.text,
                                  "dimension_id": x.dimension_id} for n, x in enumerate(q.questions)])
    page = app.test_client().get(f"/s/{code.code}").text
    assert "新的说明：请如实评价。" in page and f"{q.questions[0].text}" in page and "（改）" in page
    opts = services.options(county.id)
    services.save_options(county, [{"id": o.id, "label": "非常满意" if n == 0 else o.label, "score": o.score,
                                    "counts_valid": o.counts_valid, "version": o.version} for n, o in enumerate(opts)])
    assert "非常满意" in app.test_client().get(f"/s/{code.code}").text
    db.session.get(Unit, code.batch.unit_id).name = "县改名局"
    db.session.commit()
    assert "县改名局 · 政风行风满意度测评" in app.test_client().get(f"/s/{code.code}").text


def test_each_visitor_gets_their_own_token_in_the_kept_page(county, app):
    """The page is kept once for every code of a questionnaire, but the CSRF token in it is each code's own."""
    code, q = _open_code(county)
    other = db.session.scalar(select(SurveyCode).where(SurveyCode.batch_id == code.batch_id, SurveyCode.used_on.is_(None),
                                                       SurveyCode.id != code.id))
    app.config["WTF_CSRF_ENABLED"] = True
    data = _answers(q, services.options(county.id)[0])
    visitors = []
    for c in (code, other):
        client = app.test_client()
        page = client.get(f"/s/{c.code}").text
        assert CSRF_STAND_IN not in page
        visitors.append((client, f"/s/{c.code}", TOKEN.search(page).group(1)))
    (first, first_path, first_token), (second, second_path, second_token) = visitors
    assert first_token != second_token
    assert second.post(second_path, data=data | {"csrf_token": first_token}).status_code != 200  # not this code's
    assert second.post(second_path, data=data | {"csrf_token": second_token}).status_code == 200
    assert first.post(first_path, data=data | {"csrf_token": first_token}).status_code == 200


def test_many_submissions_of_one_code_at_once_make_one_ballot(app, county):
    code, q = _open_code(county)
    data = _answers(q, services.options(county.id)[0])
    online = select(func.count(Ballot.id)).where(Ballot.channel == "online")
    counted = select(func.coalesce(func.sum(BallotCount.count), 0)).where(BallotCount.unit_id == code.batch.unit_id)
    before = [db.session.scalar(s) for s in (online, counted, select(func.count()).select_from(ArrivalMark),
                                              select(func.count()).select_from(AuditEntry))]
    people = 8
    statuses = post_at_once(app, f"/s/{code.code}", data, people)
    assert sorted(statuses) == [200] + [410] * (people - 1)
    after = [db.session.scalar(s) for s in (online, counted, select(func.count()).select_from(ArrivalMark),
                                             select(func.count()).select_from(AuditEntry))]
    assert after == [before[0] + 1, before[1] + len(q.questions), before[2] + 1, before[3] + 1]
    db.session.refresh(code)
    assert code.used_on is not None


def test_a_public_ballot_moves_the_kept_results_and_counts(app, county):
    """The questionnaire page is kept apart from the data version, but a ballot still moves it (every page kept
    on it is worked out again): the kept results and the progress counts see the new ballot at once."""
    code, q = _open_code(county)
    kept = cache.cached_compute(county)
    counts = services.progress(county)[code.batch.unit_id]
    version = cache.data_version()
    assert app.test_client().post(f"/s/{code.code}", data=_answers(q, services.options(county.id)[0])).status_code == 200
    db.session.expire_all()
    assert cache.data_version() != version
    fresh = cache.cached_compute(county)
    assert fresh["summary"]["votes"] > kept["summary"]["votes"]
    assert fresh["details"] == results.compute(county)["details"]
    now = services.progress(county)[code.batch.unit_id]
    assert (now["ballots"], now["used"]) == (counts["ballots"] + 1, counts["used"] + 1)


def test_a_refused_submission_keeps_what_was_chosen_and_saves_nothing(app, county):
    code, q = _open_code(county)
    opts = services.options(county.id)
    online = select(func.count(Ballot.id)).where(Ballot.channel == "online")
    before = db.session.scalar(online)
    client = app.test_client()
    client.get(f"/s/{code.code}")
    refused = client.post(f"/s/{code.code}", data={f"q-{q.questions[0].id}": opts[1].id, "comment": "意见<b>"})
    assert refused.status_code == 400 and f"还有 {len(q.questions) - 1} 题未选择" in refused.text
    assert f'value="{opts[1].id}" checked' in refused.text and "意见&lt;b&gt;" in refused.text
    assert db.session.scalar(online) == before
    wrong = client.post(f"/s/{code.code}", data=_answers(q, opts[0]) | {f"q-{q.questions[0].id}": 99999})
    assert wrong.status_code == 400 and "选项无效" in wrong.text
    assert client.post(f"/s/ {code.code.lower()} ", data=_answers(q, opts[0])).status_code == 200


def test_a_crowd_of_codes_some_twice_and_with_comments_is_saved_answer_by_answer(app, county):
    """Answers submitted at the same moment are written together (one transaction for those that queue): each
    code still gives one ballot, the second use of a code is refused, and each comment gets its own query code."""
    code, q = _open_code(county)
    codes = db.session.scalars(select(SurveyCode.code).where(SurveyCode.batch_id == code.batch_id,
                                                             SurveyCode.used_on.is_(None)).limit(6)).all()
    opts = services.options(county.id)
    online = select(func.count(Ballot.id)).where(Ballot.channel == "online")
    before = (db.session.scalar(online), db.session.scalar(select(func.count(FollowUp.id))))
    people = [(c, n) for n, c in enumerate(codes)] + [(c, n + 10) for n, c in enumerate(codes[:3])]
    barrier, pages = threading.Barrier(len(people)), []

    def submit(c, n):
        with app.app_context():
            client = app.test_client()
            data = _answers(q, opts[n % 2]) | ({"comment": f"第{n}位群众的意见"} if n % 2 else {})
            barrier.wait()
            response = client.post(f"/s/{c}", data=data)
            pages.append((c, n, response.status_code, response.text))
            db.session.remove()

    threads = [threading.Thread(target=submit, args=person) for person in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    saved = [p for p in pages if p[2] == 200]
    assert sorted(p[0] for p in saved) == sorted(codes) and len(pages) - len(saved) == 3
    assert all(p[2] == 410 and "已经使用过" in p[3] for p in pages if p[2] != 200)
    commented = [p for p in saved if p[1] % 2]
    receipts = {TOKEN_QUERY.search(p[3]).group(1) for p in commented}
    assert len(receipts) == len(commented) and all("查询码" not in p[3] for p in saved if not p[1] % 2)
    assert (db.session.scalar(online), db.session.scalar(select(func.count(FollowUp.id)))) == \
        (before[0] + len(codes), before[1] + len(commented))
    assert db.session.scalar(select(func.count(SurveyCode.id)).where(SurveyCode.code.in_(codes),
                                                                    SurveyCode.used_on.is_not(None))) == len(codes)


def test_a_page_left_open_past_its_session_keeps_the_answers_and_asks_again(county, app):
    """A respondent whose session ended while the questionnaire stood open (the token no longer holds) gets the
    form back with what they chose and typed and a fresh token, not the sign-in page; nothing is saved until
    they submit again."""
    code, q = _open_code(county)
    app.config["WTF_CSRF_ENABLED"] = True
    option = services.options(county.id)[1]
    data = _answers(q, option) | {"comment": "办事大厅排队时间长", "csrf_token": "no-longer-valid"}
    online = select(func.count(Ballot.id)).where(Ballot.channel == "online")
    before = db.session.scalar(online)
    g.pop("csrf_token", None)
    client = app.test_client()  # a fresh browser session: the old cookie is gone
    page = client.post(f"/s/{code.code}", data=data)
    assert page.status_code == 400 and "已经失效" in page.text and "登录" not in page.text
    assert "办事大厅排队时间长" in page.text
    assert page.text.count(f'value="{option.id}" checked') == len(q.questions)
    assert db.session.scalar(online) == before
    g.pop("csrf_token", None)
    again = client.post(f"/s/{code.code}", data=data | {"csrf_token": TOKEN.search(page.text).group(1)})
    assert again.status_code == 200 and db.session.scalar(online) == before + 1


def test_one_failing_answer_in_a_shared_write_costs_no_other(county, app, monkeypatch):
    """Answers written together: when the shared transaction fails because of one of them, each is written alone,
    so the others are saved and only the failing one gets its error."""
    from pingyi.surveys import anomalies, follow_ups
    from pingyi.timeutil import utcnow
    q = services.questionnaires(county.id)[0]
    free = db.session.scalars(select(SurveyCode).join(CodeBatch).where(
        SurveyCode.used_on.is_(None), CodeBatch.campaign_id == county.id,
        CodeBatch.questionnaire_id == q.id)).all()[:3]
    assert len(free) == 3
    real = follow_ups.open_for_comment

    def failing(ballot, opinion, dissatisfied):
        if opinion.text == "坏":
            raise ValueError("broken comment")
        return real(ballot, opinion, dissatisfied)
    monkeypatch.setattr(follow_ups, "open_for_comment", failing)
    option = services.options(county.id)[0]
    batch = []
    for code, comment in zip(free, ("好", "坏", "")):
        found = services.public_code(code.code)
        batch.append(services._Answer(found, {x.id: option.id for x in found.questions}, comment,
                                      anomalies.arrival(found.campaign_id, found.round, None, found.salt),
                                      {"at": utcnow(), "user_id": None, "username": "system", "action": "create",
                                       "object_type": "ballot", "object_id": None, "unit_id": found.unit_id,
                                       "before": "", "after": "", "remote_addr": "", "user_agent": "",
                                       "summary": "网上问卷答卷 1 份"}))
    services._write_all(batch)
    assert [a.outcome for a in batch][0::2] == ["saved", "saved"]
    assert isinstance(batch[1].outcome, ValueError)
    for code, spent in zip(free, (True, False, True)):
        db.session.refresh(code)
        assert (code.used_on is not None) == spent


HX_TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')


def test_the_kept_thank_you_and_spent_pages_carry_each_codes_token_and_no_one_elses_header(county, app):
    """The pages after a submission are kept once for everyone; each respondent's page carries their code's own
    token, and a signed-in user still gets their own header (never the kept respondent's page, nor theirs kept)."""
    from tests.conftest import user
    code, q = _open_code(county)
    other = db.session.scalar(select(SurveyCode).where(SurveyCode.batch_id == code.batch_id, SurveyCode.used_on.is_(None),
                                                       SurveyCode.id != code.id))
    data = _answers(q, services.options(county.id)[0])
    for c, not_c in ((code, other), (other, code)):
        client = app.test_client()
        client.get(f"/s/{c.code}")
        for status, title in ((200, "提交成功"), (410, "答题码已使用")):
            page = client.post(f"/s/{c.code}", data=data)
            assert page.status_code == status and title in page.text and CSRF_STAND_IN not in page.text
            token = HX_TOKEN.search(page.text).group(1)
            assert public.token_holds(c.code, token) and not public.token_holds(not_c.code, token)
            assert "退出" not in page.text
    office = app.test_client(user=user("office"))
    page = office.get(f"/s/{code.code}")
    assert page.status_code == 410 and "答题码已使用" in page.text and "退出" in page.text
    g.pop("csrf_token", None)
    again = app.test_client().get(f"/s/{code.code}")
    assert again.status_code == 410 and "退出" not in again.text and "答题码已使用" in again.text


def _sets_cookie(response):
    return any(h.lower() == "set-cookie" for h, _ in response.headers.items())


def test_a_respondent_is_sent_no_session_cookie_and_answers_with_their_codes_token(county, app):
    """A respondent holds no session: the form's token is signed over its code, so no page sets a cookie, a token
    holds for its own code only, and a stale one gets the form again with a fresh token."""
    code, q = _open_code(county)
    other = db.session.scalar(select(SurveyCode).where(SurveyCode.batch_id == code.batch_id, SurveyCode.used_on.is_(None),
                                                       SurveyCode.id != code.id))
    app.config["WTF_CSRF_ENABLED"] = True
    data = _answers(q, services.options(county.id)[0])
    client = app.test_client()
    page = client.get(f"/s/{code.code}")
    assert page.status_code == 200 and not _sets_cookie(page)
    data["csrf_token"] = TOKEN.search(page.text).group(1)
    refused = client.post(f"/s/{other.code}", data=data)  # another code's token
    assert refused.status_code == 400 and "已经失效" in refused.text and not _sets_cookie(refused)
    assert db.session.scalar(select(SurveyCode.used_on).where(SurveyCode.id == other.id)) is None
    done = client.post(f"/s/{code.code}", data=data)
    assert done.status_code == 200 and "提交成功" in done.text and not _sets_cookie(done)
    spent = client.post(f"/s/{code.code}", data=data)
    assert spent.status_code == 410 and not _sets_cookie(spent)
    stale = app.test_client().post(f"/s/{other.code}", data=data | {"csrf_token": "no-longer-valid"})
    assert stale.status_code == 400 and "已经失效" in stale.text and not _sets_cookie(stale)
    assert public.token_holds(other.code, TOKEN.search(stale.text).group(1))
    assert public.token_holds(other.code.lower(), public.token_for(f" {other.code} "))  # as typed


def test_a_token_older_than_a_session_no_longer_holds(county, app):
    code, _ = _open_code(county)
    token = public.token_for(code.code)
    assert public.token_holds(code.code, token)
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=-1)
    assert not public.token_holds(code.code, token)
    app.secret_key = "another key"
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=30)
    assert not public.token_holds(code.code, token) and public.token_holds(code.code, public.token_for(code.code))
    assert not any(public.token_holds(code.code, bad) for bad in ("", None, "x" * 300, "1.2", f"{code.code}.{token}"))


def _served_by_view(app, monkeypatch):
    """A list that gets a mark each time the Flask view of /s/<code> answers (not the fast path)."""
    calls, view = [], app.view_functions["surveys.answer"]

    @functools.wraps(view)  # the same name: the CSRF exemption goes by it
    def counted(**kwargs):
        calls.append(kwargs["code"])
        return view(**kwargs)
    monkeypatch.setitem(app.view_functions, "surveys.answer", counted)
    return calls


def _without_tokens(html):
    return TOKEN.sub("", HX_TOKEN.sub("", html))


def test_a_respondents_view_and_plain_answer_go_by_the_fast_path_and_the_rest_by_the_view(county, app, monkeypatch):
    """The fast path serves the form, the spent page and an answer without a comment, with the same page and
    headers as the Flask view gives; a comment, a missing answer, a stale token, an unknown code and a signed-in
    user go to the view."""
    from tests.conftest import user
    code, q = _open_code(county)
    second = db.session.scalar(select(SurveyCode).where(SurveyCode.batch_id == code.batch_id,
                                                        SurveyCode.used_on.is_(None), SurveyCode.id != code.id))
    app.config["WTF_CSRF_ENABLED"] = True
    by_view = _served_by_view(app, monkeypatch)
    cache.forget_all()
    fast = app.test_client().get(f"/s/{code.code}")  # rendered by the fast path itself: nothing kept yet
    assert fast.status_code == 200 and by_view == []
    with_cookie = app.test_client()
    with_cookie.set_cookie("session", "not-a-session")  # unreadable: an anonymous session, but the view's
    slow = with_cookie.get(f"/s/{code.code}")
    assert slow.status_code == 200 and by_view == [code.code]
    assert _without_tokens(fast.text) == _without_tokens(slow.text)
    assert {k: v for k, v in fast.headers.items() if k != "Content-Length"} == \
        {k: v for k, v in slow.headers.items() if k not in ("Content-Length", "Set-Cookie")}
    assert slow.headers["Set-Cookie"].startswith("session=;")  # the view deletes a cookie that holds nothing
    data = _answers(q, services.options(county.id)[0]) | {"csrf_token": TOKEN.search(fast.text).group(1)}
    missing = dict(data)
    missing.pop(f"q-{q.questions[0].id}")
    assert app.test_client().post(f"/s/{code.code}", data=missing).status_code == 400 and len(by_view) == 2
    assert app.test_client().post(f"/s/{code.code}", data=data | {"csrf_token": "x"}).status_code == 400
    assert len(by_view) == 3
    done = app.test_client().post(f"/s/{code.code}", data=data)
    assert done.status_code == 200 and "提交成功" in done.text and len(by_view) == 3
    spent = app.test_client().post(f"/s/{code.code}", data=data)
    assert spent.status_code == 410 and "答题码已使用" in spent.text and len(by_view) == 3
    assert app.test_client().get(f"/s/{code.code}").status_code == 410 and len(by_view) == 3
    data["csrf_token"] = public.token_for(second.code)
    commented = app.test_client().post(f"/s/{second.code}", data=data | {"comment": "窗口服务很好"})
    assert commented.status_code == 200 and "查询码" in commented.text and len(by_view) == 4
    assert app.test_client().get("/s/NOSUCHCODE").status_code == 404 and len(by_view) == 5
    assert app.test_client(user=user("office")).get(f"/s/{code.code}").status_code == 410 and len(by_view) == 6


def test_an_error_in_the_fast_path_leaves_the_request_to_the_view(county, app, monkeypatch):
    code, q = _open_code(county)
    by_view = _served_by_view(app, monkeypatch)

    def broken(*args):
        raise RuntimeError("the fast path broke")
    monkeypatch.setattr(public, "respond", broken)
    done = app.test_client().post(f"/s/{code.code}", data=_answers(q, services.options(county.id)[0]))
    assert done.status_code == 200 and "提交成功" in done.text and by_view == [code.code]


def test_a_write_that_fails_in_the_fast_path_is_said_there_and_never_handed_to_the_view(county, app, monkeypatch):
    """Once the write is tried, the fast path gives the answer itself: handed to the view, an answer that was saved
    after all (a commit that raised) would be told its code was already used."""
    code, q = _open_code(county)
    by_view = _served_by_view(app, monkeypatch)

    def broken(batch):
        raise OSError("disk I/O error")
    monkeypatch.setattr(services, "_write", broken)
    failed = app.test_client().post(f"/s/{code.code}", data=_answers(q, services.options(county.id)[0]))
    assert failed.status_code == 503 and "提交未完成" in failed.text and "重新提交" in failed.text
    assert by_view == [] and db.session.scalar(select(SurveyCode.used_on).where(SurveyCode.id == code.id)) is None


def test_a_head_request_spends_nothing_and_a_token_names_its_own_code_only(county, app):
    code, q = _open_code(county)
    app.config["WTF_CSRF_ENABLED"] = True
    data = _answers(q, services.options(county.id)[0]) | {"csrf_token": public.token_for(code.code)}
    assert app.test_client().head(f"/s/{code.code}", data=data).status_code == 200
    assert db.session.scalar(select(SurveyCode.used_on).where(SurveyCode.id == code.id)) is None
    other = app.test_client().get(f"/s/{code.code}.ZZ")  # an unknown code with a dot: its page has a token
    assert other.status_code == 404
    minted = "ZZ." + HX_TOKEN.search(other.text).group(1)
    refused = app.test_client().post(f"/s/{code.code}", data=data | {"csrf_token": minted})
    assert refused.status_code == 400 and "已经失效" in refused.text


def test_an_address_held_back_gets_no_session_cookie(county, app):
    from pingyi.surveys import throttle
    code, _ = _open_code(county)
    throttle.reset()
    app.config["PUBLIC_MISS_LIMIT"] = 3
    client = app.test_client()
    for n in range(app.config["PUBLIC_MISS_LIMIT"]):
        client.get(f"/s/NOSUCH{n}")
    held = client.get(f"/s/{code.code}")
    throttle.reset()
    assert held.status_code == 429 and "访问过于频繁" in held.text and not _sets_cookie(held)


def test_behind_a_proxy_the_fast_path_sees_the_clients_address(county, app, monkeypatch):
    """The proxy fix-up wraps the fast path, so the address it hands the answer (the arrival's network hash and the
    throttle) is the client's, not the proxy's."""
    from pingyi import create_app
    proxied = create_app(dict(app.config, TRUSTED_PROXIES=1, JOBS_WORKER=False))
    code, q = _open_code(county)
    addresses = []
    answer = services.answer_with_code
    monkeypatch.setattr(services, "answer_with_code",
                        lambda *args, **kwargs: addresses.append(kwargs["address"]) or answer(*args, **kwargs))
    reply = proxied.test_client().post(f"/s/{code.code}", data=_answers(q, services.options(county.id)[0]),
                                       headers={"X-Forwarded-For": "10.1.2.3"}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert reply.status_code == 200 and addresses == ["10.1.2.3"]


@pytest.mark.sqlite_only
def test_the_shared_write_takes_its_turn_among_the_servers_processes(app):
    """On an SQLite file the writer of one process holds a lock on a file beside the database for its write, so
    another process's writer waits in the kernel (woken when it is let go) rather than in SQLite's busy handler."""
    import fcntl
    path = services._turn_path()
    assert path == db.engine.url.database + ".write-turn"
    with open(path, "a+b") as other:  # as another process would: its own open file
        with services._database_turn():
            with pytest.raises(BlockingIOError):
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # let go after the write
        fcntl.flock(other, fcntl.LOCK_UN)


def test_a_body_cut_short_gets_a_chinese_400_page_and_spends_nothing(county, app):
    """A client that goes away while sending (fewer bytes than it announced): the fast path leaves it to the view,
    whose reading of the form fails, and the answer is the app's own page in Chinese, nothing saved."""
    import io
    code, _ = _open_code(county)
    body = b"csrf_token=x&q-1=2"
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": f"/s/{code.code}", "SERVER_NAME": "localhost",
               "SERVER_PORT": "80", "wsgi.url_scheme": "http", "REMOTE_ADDR": "127.0.0.1", "QUERY_STRING": "",
               "SERVER_PROTOCOL": "HTTP/1.1", "CONTENT_TYPE": "application/x-www-form-urlencoded",
               "CONTENT_LENGTH": str(len(body) + 100), "wsgi.input": io.BytesIO(body), "wsgi.errors": io.StringIO()}
    answer = []
    page = b"".join(app(environ, lambda status, headers: answer.append(status))).decode()
    assert answer == ["400 BAD REQUEST"] and "请求无效" in page and "Bad Request" not in page
    assert db.session.scalar(select(SurveyCode.used_on).where(SurveyCode.id == code.id)) is None


def test_a_browser_that_loads_the_pages_style_sheet_still_answers_by_the_fast_path(county, app, monkeypatch):
    """Every request marks the session permanent: a style sheet fetched with the questionnaire must not give the
    browser a cookie (which would send its answer past the fast path), and one holding only that is deleted."""
    code, q = _open_code(county)
    by_view = _served_by_view(app, monkeypatch)
    browser = app.test_client()
    for path in (f"/s/{code.code}", "/static/app.css", "/static/app.js"):
        with browser.get(path) as response:  # a file is sent streamed: closed here
            assert response.status_code == 200
    assert browser.get_cookie("session") is None
    done = browser.post(f"/s/{code.code}", data=_answers(q, services.options(county.id)[0]))
    assert done.status_code == 200 and "提交成功" in done.text and by_view == []
    other, _ = _open_code(county)
    old = app.test_client()  # holding the cookie an earlier version of the app sent
    old.set_cookie("session", app.session_interface.get_signing_serializer(app).dumps({"_permanent": True}))
    assert old.get(f"/s/{other.code}").status_code == 200
    with old.get("/static/app.css") as response:
        assert response.status_code == 200
    assert old.get_cookie("session") is None
