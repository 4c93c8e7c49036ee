"""Fixtures: an app on an in-memory database holding the demo county, and a signed-in client per role."""
import pytest
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import select

from pingyi import create_app, demo
from pingyi.auth.models import User
from pingyi.extensions import db, login_manager
from pingyi.units.models import Unit

TEST_CONFIG = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "WTF_CSRF_ENABLED": False,
               "SECRET_KEY": "test", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}


class LoginClient(FlaskClient):
    """A test client signed in as `user`, with the session identifier strong protection checks."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            with self.application.test_request_context():
                identifier = login_manager._session_identifier_generator()
            with self.session_transaction() as sess:
                sess["_user_id"] = user.get_id()
                sess["_fresh"] = True
                sess["_id"] = identifier

    def open(self, *args, **kwargs):
        # Tests hold one app context, so g (where Flask-Login caches the user) outlives a request.
        g.pop("_login_user", None)
        return super().open(*args, **kwargs)


@pytest.fixture
def app():
    app = create_app(dict(TEST_CONFIG))
    app.test_client_class = LoginClient
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()


@pytest.fixture
def empty_app(app):
    return app


@pytest.fixture
def county(app):
    """The demo county: 47 units, three groups, 2025 and 2026 campaigns, demo accounts."""
    return demo.load_demo()


def user(username):
    return db.session.scalar(select(User).where(User.username == username))


def unit_named(name):
    return db.session.scalar(select(Unit).where(Unit.name == name))


@pytest.fixture
def client_for(app, county):
    """A test client signed in as one of the demo accounts."""
    return lambda username: app.test_client(user=user(username))


@pytest.fixture
def office_client(client_for):
    return client_for("office")


@pytest.fixture
def unit_client(client_for):
    return client_for("unit")


@pytest.fixture
def htmx():
    return {"HX-Request": "true", "HX-Request-Type": "partial"}
