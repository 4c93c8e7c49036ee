"""Fixtures: an app on an in-memory database holding the demo county, and a signed-in client per role."""
import shutil

import pytest
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import select

from pingyi import create_app, demo
from pingyi.auth.models import User
from pingyi.campaigns.services import current_campaign
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
        # Tests hold one app context, so g (where the user and campaign are cached) outlives a request.
        g.pop("_login_user", None)
        g.pop("current_campaign", None)
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """The demo county built once per run: a SQLite file and its uploads, copied by each test."""
    folder = tmp_path_factory.mktemp("demo")
    config = dict(TEST_CONFIG, SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'demo.db'}",
                  UPLOAD_DIR=str(folder / "uploads"))
    app = create_app(config)
    with app.app_context():
        db.create_all()
        demo.load_demo()
        db.session.remove()
        db.engine.dispose()
    return folder


def _app(config):
    app = create_app(config)
    app.test_client_class = LoginClient
    return app


@pytest.fixture
def app(demo_template, tmp_path):
    """A copy of the demo county: 47 units, three groups, 2025 and 2026 campaigns, the board, accounts."""
    shutil.copy(demo_template / "demo.db", tmp_path / "test.db")
    shutil.copytree(demo_template / "uploads", tmp_path / "uploads")
    app = _app(dict(TEST_CONFIG, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'test.db'}",
                    UPLOAD_DIR=str(tmp_path / "uploads"), BACKUP_DIR=str(tmp_path / "backups")))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def empty_app(tmp_path):
    """An app on an empty database, as a real deployment starts."""
    app = _app(dict(TEST_CONFIG, UPLOAD_DIR=str(tmp_path / "uploads"), BACKUP_DIR=str(tmp_path / "backups")))
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()


@pytest.fixture
def county(app):
    """The demo county's current campaign."""
    return current_campaign()


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
