"""Sign-in throttling: growing waits per username and per address, capped, never revealing which
usernames exist, lifted by the office; failure records are kept."""
import time
from datetime import datetime, timedelta, timezone

import time_machine
from sqlalchemy import func, select

from pingyi.audit.models import AuditEntry
from pingyi.auth import services
from pingyi.auth.models import LoginFailure
from pingyi.extensions import db
from tests.conftest import user

# Tomorrow: after the demo county's own sign-in history, which is dated back from today.
START = (datetime.now(timezone.utc) + timedelta(days=1)).replace(microsecond=0)


def _client(app, addr="10.1.1.1"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = addr
    return client


def _login(client, username, password):
    return client.post("/login", data={"username": username, "password": password})


def test_waits_grow_1_2_4_8_minutes_and_stop_at_15(county, app):
    client = _client(app)
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(5):
            _login(client, "office", "wrong")
        for wait in (1, 2, 4, 8, 15, 15):
            refused = _login(client, "office", "demo123")
            assert refused.status_code == 422 and f"请 {wait} 分钟后再试" in refused.text
            traveller.shift(timedelta(minutes=wait, seconds=1))
            assert "用户名或密码不正确" not in _login(client, "office", "wrong").text  # the next failure waits longer
        traveller.shift(timedelta(minutes=15, seconds=1))
        assert _login(client, "office", "demo123").status_code == 302


def test_attempts_while_waiting_do_not_lengthen_the_wait(county, app):
    client = _client(app)
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(5):
            _login(client, "unit", "wrong")
        for _ in range(30):  # someone hammering another person's account
            assert "请 1 分钟后再试" in _login(client, "unit", "wrong").text
        traveller.shift(timedelta(minutes=1, seconds=1))
        assert _login(_client(app, "10.9.9.9"), "unit", "demo123").status_code == 302


def test_an_address_failing_across_many_usernames_waits_too(county, app):
    attacker = _client(app, "10.6.6.6")
    with time_machine.travel(START, tick=False) as traveller:
        for n in range(20):
            _login(attacker, f"guess{n}", "x")
        refused = _login(attacker, "office", "demo123")
        assert refused.status_code == 422 and "请 1 分钟后再试" in refused.text
        assert _login(_client(app, "10.7.7.7"), "office", "demo123").status_code == 302  # others unaffected
        traveller.shift(timedelta(minutes=1, seconds=1))
        assert _login(attacker, "office", "demo123").status_code == 302


def test_failure_records_are_kept_but_a_good_sign_in_starts_the_count_afresh(county, app):
    client = _client(app)
    with time_machine.travel(START, tick=True):
        for _ in range(4):
            _login(client, "unit", "wrong")
        assert _login(client, "unit", "demo123").status_code == 302
    kept = db.session.scalar(select(func.count(LoginFailure.id)).where(LoginFailure.username == "unit"))
    assert kept == 4
    with time_machine.travel(START + timedelta(minutes=5), tick=True):
        client = _client(app)
        for _ in range(4):
            response = _login(client, "unit", "wrong")
        assert "再失败 1 次" in response.text


def test_unknown_and_real_usernames_answer_alike(county, app):
    real = _login(_client(app), "office", "wrong").text
    ghost = _login(_client(app, "10.2.2.2"), "ghost", "wrong").text
    assert "用户名或密码不正确（再失败 4 次" in real and "用户名或密码不正确（再失败 4 次" in ghost


def test_an_unknown_username_is_checked_against_a_dummy_hash_of_the_same_method(county, app, monkeypatch):
    checked = []
    real_check = services.check_password_hash
    monkeypatch.setattr(services, "check_password_hash", lambda h, p: checked.append(h) or real_check(h, p))
    with app.test_request_context():
        for name in ("office", "nobody-here"):
            try:
                services.authenticate(name, "wrong")
            except services.DomainError:
                pass
    method = app.config["PASSWORD_HASH_METHOD"]
    assert len(checked) == 2 and all(h.startswith(method + "$") for h in checked)
    assert checked[1] != user("office").password_hash


def test_response_time_does_not_tell_whether_the_username_exists(county, app):
    app.config["PASSWORD_HASH_METHOD"] = "scrypt"  # the production method, slow on purpose
    services.create_user("clerk", "office", "Clerk2026pw")

    def timed(name, addr):
        with app.test_request_context(environ_base={"REMOTE_ADDR": addr}):
            began = time.perf_counter()
            try:
                services.authenticate(name, "wrong-password")
            except services.DomainError:
                pass
            return time.perf_counter() - began

    timed("warm-up", "10.3.3.0")
    real = min(timed("clerk", f"10.3.3.{n}") for n in range(1, 4))
    ghost = min(timed("no-such-user", f"10.3.4.{n}") for n in range(1, 4))
    assert 0.5 < ghost / real < 2, (real, ghost)


def test_the_office_lifts_a_wait_and_the_failures_stay_on_record(county, app, office_client):
    client = _client(app)
    target = user("unit")
    for _ in range(5):
        _login(client, "unit", "wrong")
    page = office_client.get(f"/admin/users/{target.id}/edit").text
    assert "暂停登录至" in page and "解除登录限制" in page
    assert office_client.post(f"/admin/users/{target.id}/unlock").status_code == 302
    assert _login(client, "unit", "demo123").status_code == 302
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "unlock"))
    assert entry.user_id == user("office").id and entry.object_id == target.id
    assert db.session.scalar(select(func.count(LoginFailure.id)).where(LoginFailure.username == "unit")) == 5
