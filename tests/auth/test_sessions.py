"""Sessions that end: a copied cookie dies with sign-out, a password change or reset, deactivation,
the absolute lifetime, or the user ending it from their sessions page."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select

from pingyi.auth import services
from pingyi.auth.models import UserSession
from pingyi.errors import DomainError
from pingyi.extensions import db
from tests.conftest import user


def _signed_in(app, username="office", password="demo123", addr="10.0.0.5"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = addr
    response = client.post("/login", data={"username": username, "password": password},
                           headers={"User-Agent": "Mozilla/5.0 (Windows NT 10.0) Chrome/120"})
    assert response.status_code == 302, response.text
    return client


def _copy(app, client):
    """A second browser holding a copy of the first one's session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _works(client):
    return client.get("/account/sessions").status_code == 200


def test_a_copied_cookie_stops_working_after_sign_out(county, app):
    owner = _signed_in(app)
    thief = _copy(app, owner)
    assert _works(thief)
    owner.post("/logout")
    assert thief.get("/account/sessions").location.startswith("/login")
    unit = user("unit2").unit
    refused = thief.post(f"/admin/units/{unit.id}/active", data={"active": "0"})
    assert refused.status_code == 302 and "/login" in refused.location
    db.session.refresh(unit)
    assert unit.active


def test_sign_out_ends_the_users_sessions_on_every_device(county, app):
    desk, phone = _signed_in(app), _signed_in(app, addr="10.0.0.9")
    desk.post("/logout")
    assert not _works(phone)
    ended = db.session.scalars(select(UserSession).where(UserSession.user_id == user("office").id)).all()
    assert ended and all(s.end_reason == "sign_out" for s in ended)


def test_a_password_change_ends_every_other_session_and_keeps_the_changer_signed_in(county, app):
    owner = _signed_in(app, "unit")
    thief, other_device = _copy(app, owner), _signed_in(app, "unit", addr="10.0.0.7")
    done = owner.post("/account/password", data={"old_password": "demo123", "new_password": "Better2026",
                                                  "confirm": "Better2026"})
    assert done.status_code == 302
    assert _works(owner)
    assert not _works(thief) and not _works(other_device)


def test_an_admin_reset_and_a_deactivation_end_the_users_sessions(county, app, office_client):
    reset_victim, deactivated = _signed_in(app, "unit"), _signed_in(app, "unit2")
    office_client.post(f"/admin/users/{user('unit').id}/password", data={"password": "Reset2026x"})
    office_client.post(f"/admin/users/{user('unit2').id}/active", data={"active": "0"})
    assert not _works(reset_victim) and not _works(deactivated)
    reasons = {s.user_id: s.end_reason for s in db.session.scalars(select(UserSession))}
    assert reasons[user("unit").id] == "reset" and reasons[user("unit2").id] == "deactivated"


def test_a_reactivated_account_does_not_revive_its_old_sessions(county, app):
    client = _signed_in(app, "unit2")
    services.set_user_active(user("unit2"), False)
    services.set_user_active(user("unit2"), True)
    assert not _works(client)


def test_a_session_ends_after_twelve_hours_however_active(county, app):
    start = datetime(2026, 11, 26, 0, 0, tzinfo=timezone.utc)
    with time_machine.travel(start, tick=False) as traveller:
        client = _signed_in(app)
        for _ in range(28):  # busy every 25 minutes: inactivity never ends it
            traveller.shift(timedelta(minutes=25))
            assert _works(client)
        traveller.move_to(start + timedelta(hours=12, minutes=1))
        assert client.get("/account/sessions").location.startswith("/login")
    session = db.session.scalar(select(UserSession).where(UserSession.user_id == user("office").id))
    assert session.end_reason == "expired"


def test_the_absolute_lifetime_is_configurable(county, app):
    app.config["SESSION_ABSOLUTE_HOURS"] = 1
    start = datetime(2026, 11, 26, 0, 0, tzinfo=timezone.utc)
    with time_machine.travel(start, tick=False) as traveller:
        client = _signed_in(app)
        traveller.shift(timedelta(minutes=29))
        assert _works(client)
        traveller.shift(timedelta(minutes=29))
        assert _works(client)
        traveller.shift(timedelta(minutes=3))
        assert not _works(client)


def test_a_copied_cookie_idle_past_the_inactivity_limit_is_refused_on_the_server(county, app):
    start = datetime(2026, 11, 26, 0, 0, tzinfo=timezone.utc)
    with time_machine.travel(start, tick=False) as traveller:
        client = _signed_in(app)
        traveller.shift(timedelta(minutes=31))
        assert not _works(client)


def test_the_user_sees_their_sessions_and_ends_another(county, app):
    desk = _signed_in(app, "unit", addr="10.0.0.5")
    phone = _signed_in(app, "unit", addr="10.0.0.66")
    page = desk.get("/account/sessions").text
    assert "当前设备（本浏览器）" in page and "10.0.0.66" in page and "Chrome/120" in page
    other = db.session.scalar(select(UserSession).where(UserSession.remote_addr == "10.0.0.66"))
    assert desk.post(f"/account/sessions/{other.id}/end").status_code == 302
    assert not _works(phone) and _works(desk)


def test_ending_all_other_sessions_keeps_this_one(county, app):
    desk, phone, laptop = (_signed_in(app, "unit", addr=f"10.0.0.{n}") for n in (1, 2, 3))
    desk.post("/account/sessions/end-others")
    assert _works(desk) and not _works(phone) and not _works(laptop)


def test_nobody_ends_another_persons_session(county, app):
    _signed_in(app, "office")
    office_session = db.session.scalar(select(UserSession).where(UserSession.user_id == user("office").id))
    with pytest.raises(DomainError):
        services.end_session(user("unit"), office_session.id)
    attacker = _signed_in(app, "unit")
    attacker.post(f"/account/sessions/{office_session.id}/end")
    db.session.refresh(office_session)
    assert office_session.ended_at is None


def test_a_cookie_from_before_server_sessions_is_refused(county, app):
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = str(user("office").id)
        sess["_fresh"] = True
    assert not _works(client)
