"""A form sent after the session timed out leads to the sign-in page with a plain message, not "400"."""
import pytest

from tests.conftest import user


@pytest.fixture
def csrf_app(app, county):
    app.config["WTF_CSRF_ENABLED"] = True
    yield app
    app.config["WTF_CSRF_ENABLED"] = False


def test_expired_session_goes_to_sign_in(csrf_app):
    client = csrf_app.test_client()  # the session cookie is gone: signed out by inactivity
    unit = user("unit").unit
    response = client.post(f"/admin/units/{unit.id}/active", data={"active": "0", "csrf_token": "stale"})
    assert response.status_code == 302 and response.location.endswith("/login")
    assert "登录已超时，请重新登录" in client.get("/login").text
    htmx = client.post(f"/admin/units/{unit.id}/active", data={"active": "0"}, headers={"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"].endswith("/login")
