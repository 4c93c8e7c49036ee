"""Sign-in, throttling, password policy, forced password change, the admin command."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import func, select

from pingyi import demo
from pingyi.auth import services
from pingyi.auth.models import User
from pingyi.errors import DomainError
from pingyi.extensions import db
from tests.conftest import user


def _login(client, username, password):
    return client.post("/login", data={"username": username, "password": password})


def test_demo_account_signs_in_and_lands_on_its_home(county, app):
    client = app.test_client()
    response = _login(client, "office", "demo123")
    assert response.status_code == 302 and response.location == "/home"
    assert client.get("/home").location == "/overview"  # the office's and the leader's home
    assert "参评单位" in client.get("/").text and "参评单位" in client.get("/dashboard").text  # the 工作台
    unit = app.test_client()
    _login(unit, "unit", "demo123")
    assert unit.get("/home").location == "/"


def test_wrong_password_says_so_in_chinese_and_keeps_the_username(county, app):
    response = _login(app.test_client(), "office", "nope")
    assert response.status_code == 422
    assert "用户名或密码不正确" in response.text and 'value="office"' in response.text


def test_sign_in_is_throttled_after_five_failures_and_reopens_later(county, app):
    client = app.test_client()
    start = datetime.now(timezone.utc) + timedelta(days=1)  # after the demo's sign-in history
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            _login(client, "office", "wrong")
        locked = _login(client, "office", "demo123")
        assert locked.status_code == 422 and "请 1 分钟后再试" in locked.text
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        assert _login(client, "office", "demo123").status_code == 302


def test_unknown_usernames_are_throttled_too(county, app):
    client = app.test_client()
    for _ in range(5):
        _login(client, "ghost", "x")
    assert "分钟后再试" in _login(client, "ghost", "x").text


def test_deactivated_user_cannot_sign_in(county, app):
    services.set_user_active(user("unit2"), False)
    assert "已停用" in _login(app.test_client(), "unit2", "demo123").text


@pytest.mark.parametrize("password, message", [("short1", "至少 8 位"), ("onlyletters", "字母和数字"),
                                               ("12345678", "字母和数字")])
def test_real_accounts_follow_the_password_policy(app, password, message):
    with pytest.raises(DomainError, match=message):
        services.create_user("clerk", "office", password)


def test_demo_accounts_are_exempt_and_marked(county):
    assert all(u.is_demo for u in db.session.scalars(select(User)))


def test_password_set_by_admin_must_be_changed_at_first_sign_in(county, app):
    clerk = services.create_user("clerk", "office", "Initial123", "李文", must_change=True)
    client = app.test_client()
    assert _login(client, "clerk", "Initial123").status_code == 302
    assert client.get("/units").location == "/account/password"
    weak = client.post("/account/password", data={"old_password": "Initial123", "new_password": "abc",
                                                   "confirm": "abc"})
    assert weak.status_code == 422 and "至少 8 位" in weak.text
    done = client.post("/account/password", data={"old_password": "Initial123", "new_password": "Better2026",
                                                   "confirm": "Better2026"})
    assert done.status_code == 302
    db.session.refresh(clerk)
    assert not clerk.must_change_password and clerk.check_password("Better2026")
    assert client.get("/units").status_code == 200


def test_reset_password_by_office_forces_a_change(county, office_client):
    target = user("unit2")
    response = office_client.post(f"/admin/users/{target.id}/password", data={"password": "Reset2026x"})
    assert response.status_code == 302
    db.session.refresh(target)
    assert target.must_change_password and target.check_password("Reset2026x")


def test_open_redirects_are_refused(county, app):
    response = app.test_client().post("/login?next=//evil.example/", data={"username": "office",
                                                                           "password": "demo123"})
    assert response.location == "/home"


def test_logout_ends_the_session(county, office_client):
    assert office_client.post("/logout").status_code == 302
    assert office_client.get("/").status_code == 302


def test_create_admin_asks_for_a_password_and_makes_no_demo_users(empty_app):
    runner = empty_app.test_cli_runner()
    result = runner.invoke(args=["pingyi", "create-admin"], input="admin\n纠风办管理员\nGood2026pw\nGood2026pw\n")
    assert result.exit_code == 0, result.output
    admin = user("admin")
    assert admin.role == "office" and not admin.is_demo and admin.check_password("Good2026pw")
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_create_admin_refuses_a_weak_password(empty_app):
    result = empty_app.test_cli_runner().invoke(args=["pingyi", "create-admin"], input="admin\n\nabc\nabc\n")
    assert result.exit_code != 0 and "至少 8 位" in result.output
    assert user("admin") is None


def test_demo_command_loads_only_into_an_empty_database(empty_app):
    runner = empty_app.test_cli_runner()
    assert runner.invoke(args=["pingyi", "demo"]).exit_code == 0
    assert user("unit").unit.name == "县公安局"
    again = runner.invoke(args=["pingyi", "demo"])
    assert again.exit_code != 0 and "已有数据" in again.output
    assert runner.invoke(args=["pingyi", "demo", "--if-empty"]).exit_code == 0
    assert demo.database_is_empty() is False
