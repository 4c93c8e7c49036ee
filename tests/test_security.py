"""CSRF on every POST (htmx included), security headers, Chinese error pages, session expiry."""
import re
from datetime import timedelta

import pytest

from pingyi import create_app
from pingyi.extensions import db
from tests.conftest import user


@pytest.fixture
def csrf_app(app, county):
    """The same database, with CSRF protection on as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def _token(client, path):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(path).text).group(1)


def test_post_without_token_is_refused_and_changes_nothing(csrf_app):
    client = csrf_app.test_client(user=user("office"))
    unit = user("unit").unit
    response = client.post(f"/admin/units/{unit.id}/active", data={"active": "0"})
    assert response.status_code == 400 and "请求已失效" in response.text
    db.session.refresh(unit)
    assert unit.active


def test_form_token_and_htmx_header_token_are_accepted(csrf_app):
    client = csrf_app.test_client(user=user("office"))
    token = _token(client, "/admin/units/new")
    page = client.get("/units")
    header_token = re.search(r'"X-CSRFToken": "([^"]+)"', page.text).group(1)
    unit = user("unit").unit
    by_form = client.post(f"/admin/units/{unit.id}/active", data={"active": "0", "csrf_token": token})
    assert by_form.status_code == 302
    by_header = client.post(f"/admin/units/{unit.id}/participation",
                            data={f"p{unit.id}-is_key": "y", f"p{unit.id}-group_id": "0",
                                  f"p{unit.id}-version": "1"},
                            headers={"X-CSRFToken": header_token, "HX-Request": "true",
                                     "HX-Request-Type": "partial"})
    assert by_header.status_code in (200, 422)


def test_login_form_needs_its_token(csrf_app):
    client = csrf_app.test_client()
    assert client.post("/login", data={"username": "office", "password": "demo123"}).status_code == 400
    token = _token(client, "/login")
    ok = client.post("/login", data={"username": "office", "password": "demo123", "csrf_token": token})
    assert ok.status_code == 302


def test_security_headers_forbid_framing_sniffing_and_foreign_sources(county, office_client):
    response = office_client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_reference_no_external_url(county, office_client):
    for path in ("/", "/units", "/admin/campaign", "/admin/groups", "/admin/users", "/admin/checklist"):
        text = office_client.get(path).text
        assert not re.search(r'(src|href)="(https?:)?//', text), path
        assert "vendor/htmx-4.0.1.min.js" in text or path != "/"


def test_error_pages_are_in_chinese(county, office_client, unit_client):
    assert "页面不存在" in office_client.get("/units/99999").text
    assert "无权访问" in unit_client.get("/admin/users").text


def test_session_expires_after_inactivity(app):
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(minutes=30)


def test_sessions_are_permanent_so_the_lifetime_applies(county, office_client):
    office_client.get("/")
    with office_client.session_transaction() as sess:
        assert sess.permanent


def test_production_config_keeps_csrf_on():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "JOBS_WORKER": False})
    assert app.config.get("WTF_CSRF_ENABLED", True) is True


@pytest.mark.parametrize("method, url, data", [
    ("GET", "/rectifications?unit=²", None), ("GET", "/feedback?group=²", None),
    ("GET", "/findings/matrix?group=²", None), ("GET", "/findings/new?unit=²", None),
    ("GET", "/units?group=²", None), ("GET", "/board?group=²", None), ("GET", "/board/tasks/new?phase=²", None),
    ("GET", "/findings?unit=１", None), ("POST", "/documents/batches", {"kind": "commitment", "group": "²"}),
    ("POST", "/feedback/compile", {"round": "june", "group": "²"}),
])
def test_numbers_that_are_not_plain_digits_are_ignored_not_crashed(county, office_client, method, url, data):
    # "²".isdigit() is True but int("²") fails: every number read from a request goes through plain_int
    response = office_client.open(url, method=method, data=data)
    response.close()
    assert response.status_code < 500, url


def test_a_merge_target_that_is_not_a_plain_number_is_refused(county, office_client):
    from sqlalchemy import select

    from pingyi.findings.models import Finding
    finding = db.session.scalar(select(Finding).where(Finding.status == "submitted"))
    response = office_client.post(f"/findings/{finding.id}/merge", data={"target": "²"})
    assert response.status_code < 500
    assert db.session.get(Finding, finding.id).status == "submitted"


def test_rectification_evidence_follows_the_rectification_page(county, client_for):
    from sqlalchemy import select

    from pingyi import policy
    from pingyi.files.models import StoredFile
    evaluator = user("evaluator")
    scope = policy.inspected_unit_ids(evaluator, county)
    stored = db.session.scalar(select(StoredFile).where(StoredFile.update_id.is_not(None),
                                                        StoredFile.unit_id.not_in(scope)))
    outside = client_for("evaluator").get(f"/files/{stored.id}")
    outside.close()
    assert outside.status_code == 404  # the evaluator cannot open that unit's rectification either
    office = client_for("office").get(f"/files/{stored.id}")
    office.close()
    assert office.status_code == 200


def test_permissions_policy_turns_off_what_the_app_never_uses(county, office_client):
    response = office_client.get("/")
    policy = response.headers["Permissions-Policy"]
    assert "camera=()" in policy and "microphone=()" in policy and "geolocation=()" in policy
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP unless PINGYI_HTTPS=1


def test_pingyi_https_turns_on_secure_cookies_and_hsts(monkeypatch, tmp_path):
    monkeypatch.setenv("PINGYI_HTTPS", "1")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'h.db'}", "SECRET_KEY": "x",
                      "WTF_CSRF_ENABLED": False, "JOBS_WORKER": False})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    with app.app_context():
        db.create_all()
        response = app.test_client().get("/login", base_url="https://localhost")
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        db.engine.dispose()
    monkeypatch.delenv("PINGYI_HTTPS")
    plain = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "JOBS_WORKER": False})
    assert not plain.config.get("SESSION_COOKIE_SECURE")


def test_the_session_cookie_is_marked_secure_under_https(monkeypatch, tmp_path):
    from pingyi.auth import services
    monkeypatch.setenv("PINGYI_HTTPS", "1")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 's.db'}", "SECRET_KEY": "x",
                      "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "JOBS_WORKER": False})
    with app.app_context():
        db.create_all()
        services.create_user("admin", "office", "Good2026pw")
        response = app.test_client().post("/login", base_url="https://localhost",
                                          data={"username": "admin", "password": "Good2026pw"})
        cookie = response.headers["Set-Cookie"]
        assert response.status_code == 302 and "Secure" in cookie and "HttpOnly" in cookie
        db.engine.dispose()
