"""Fixtures: an app on a copy of the demo county, and a signed-in client per role.

The database is SQLite unless PINGYI_TEST_DB=postgresql, when each test gets its own PostgreSQL
database copied from a template holding the demo county (scripts/with_postgres.sh provides the server).
"""
import itertools
import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from flask import g
from flask.testing import FlaskClient
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, event, select, text
from werkzeug.routing import Rule

from pingyi import create_app, demo
from pingyi.auth.models import User
from pingyi.auth.services import start_session
from pingyi.campaigns.services import current_campaign
from pingyi.extensions import db, login_manager
from pingyi.units.models import Unit

TEST_CONFIG = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "WTF_CSRF_ENABLED": False,
               "SECRET_KEY": "test", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
               "PUBLIC_MISS_LIMIT": 100000}  # tests of the limit itself set it low


class LoginClient(FlaskClient):
    """A test client signed in as `user`: a real server-side session, and the identifier strong protection
    checks."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            with self.application.test_request_context():
                identifier = login_manager._session_identifier_generator()
                token = start_session(user)
            with self.session_transaction() as sess:
                sess["_sid"] = token
                sess["_user_id"] = user.get_id()
                sess["_fresh"] = True
                sess["_id"] = identifier

    def open(self, *args, **kwargs):
        # Tests hold one app context, so g (where the user and campaign are cached) outlives a request.
        g.pop("_login_user", None)
        g.pop("current_campaign", None)
        g.pop("pingyi_data_version", None)
        g.pop("csrf_token", None)  # each session signs its own token
        g.pop("category_labels", None)
        return super().open(*args, **kwargs)


BACKEND = os.environ.get("PINGYI_TEST_DB", "sqlite")
_database_numbers = itertools.count()


def pytest_configure(config):
    if BACKEND != "sqlite":
        # Apps a test builds for a moment (a second instance, a restore target) are dropped with their pool;
        # psycopg warns when such an idle connection is collected. It says nothing about the code under test.
        config.addinivalue_line("filterwarnings",
                                "ignore:Exception ignored in.*BaseConnection.__del__:pytest.PytestUnraisableExceptionWarning")


def pytest_collection_modifyitems(config, items):
    """Tests marked sqlite_only check SQLite itself (pragmas, file copies); they skip on PostgreSQL."""
    if BACKEND == "sqlite":
        return
    skip = pytest.mark.skip(reason="checks SQLite itself")
    for item in items:
        if item.get_closest_marker("sqlite_only"):
            item.add_marker(skip)


def _pg_admin():
    url = os.environ.get("PINGYI_TEST_PG_URL")
    if not url:
        pytest.exit("PINGYI_TEST_DB=postgresql needs PINGYI_TEST_PG_URL (run through scripts/with_postgres.sh)", 2)
    return create_engine(url, isolation_level="AUTOCOMMIT")


def _pg_url(name):
    return _pg_admin().url.set(database=name).render_as_string(hide_password=False)


def _pg_create(name, template=None):
    engine = _pg_admin()
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        copy = f' TEMPLATE "{template}"' if template else ""
        if template and connection.dialect.server_version_info >= (15,):
            # A file copy of the small demo database, then dropping it, take about half the time of
            # PostgreSQL 15's default (WAL_LOG), once for every test.
            copy += " STRATEGY FILE_COPY"
        connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    engine.dispose()
    return _pg_url(name)


def _pg_drop(name):
    engine = _pg_admin()
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _worker():
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def fresh_database_url(tmp_path):
    """An empty database for one test: a SQLite file in tmp_path, or a new PostgreSQL database."""
    if BACKEND == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return _pg_create(f"pingyi_{_worker()}_{next(_database_numbers)}")


# Other things built once per run, which a worker waiting for another's demo_template builds meanwhile, so
# both cores work: name -> (wanted(session) -> bool, build(folder)). Sub-conftests add theirs.
PREBUILDS = {}
BUILD_WAIT = 1800  # seconds a worker waits for another to finish a build before giving up


def built_once(tmp_path_factory, name, build, session=None):
    """The folder `build(folder)` filled, built once per run and shared by the xdist workers: the first worker
    to ask builds it, the others wait for it (building a PREBUILDS entry of `session` meanwhile)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's own temporary folder, holding each worker's
    folder, done, failed = base / name, base / f"{name}.done", base / f"{name}.failed"
    try:
        os.mkdir(base / f"{name}.claimed")  # atomic: exactly one worker claims the build
    except FileExistsError:
        for other, (wanted, other_build) in PREBUILDS.items():
            if other != name and session is not None and wanted(session):
                built_once(tmp_path_factory, other, other_build)
        started = time.monotonic()
        while not done.exists():
            if failed.exists():
                pytest.fail(f"another worker failed to build {name}: see its error")
            if time.monotonic() - started > BUILD_WAIT:
                pytest.fail(f"{name} was not built within {BUILD_WAIT} s")
            time.sleep(0.2)
        return folder
    try:
        folder.mkdir()
        build(folder)
    except BaseException:
        failed.touch()
        raise
    done.touch()
    return folder


def _build_demo(folder):
    if BACKEND == "sqlite":
        url = f"sqlite:///{folder / 'demo.db'}"
    else:
        url = _pg_create("pingyi_demo")
    config = dict(TEST_CONFIG, SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(folder / "uploads"))
    app = create_app(config)
    with app.app_context():
        db.create_all()
        demo.load_demo()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory, request):
    """The demo county built once per run: a database and its uploads, copied by each test."""
    return built_once(tmp_path_factory, "demo", _build_demo, request.session)


class _KeptTemplates(BytecodeCache):
    """The templates compiled once per worker for every app the tests make (each has its own Jinja
    environment, which would compile every template again: a few tenths of a second per test). Jinja checks
    each template's source against the checksum kept with its code, so an edited template is compiled anew."""

    def __init__(self):
        self.code = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()


KEPT_TEMPLATES = _KeptTemplates()
_werkzeug_builder = Rule._compile_builder
_builders = {}


def _kept_builder(rule, append_unknown=True):
    """Werkzeug's URL builder of a rule, compiled once per worker rather than for each of the ~190 rules of
    every app a test makes (half of create_app's time). The generated code depends only on the rule's text,
    its parsed parts, its defaults' names and append_unknown; a rule with a default for one of its
    variables (whose value is compiled in) is compiled as Werkzeug does."""
    defaults = rule.defaults or {}
    if any(dynamic and part in defaults for dynamic, part in rule._trace):
        return _werkzeug_builder(rule, append_unknown)
    key = (rule.rule, tuple(rule._trace), tuple(defaults), append_unknown)
    if key not in _builders:
        _builders[key] = _werkzeug_builder(rule, append_unknown)
    return _builders[key]


Rule._compile_builder = _kept_builder


def _app(config):
    app = create_app(config)
    app.test_client_class = LoginClient
    app.jinja_env.bytecode_cache = KEPT_TEMPLATES
    return app


@pytest.fixture
def app(demo_template, tmp_path):
    """A copy of the demo county: 47 units, three groups, 2025 and 2026 campaigns, the board, accounts."""
    # Hard links: the app writes every upload, document and batch under a new random name and never into an
    # existing file (a restore only into an empty folder), so the copies share the template's files safely.
    shutil.copytree(demo_template / "uploads", tmp_path / "uploads", copy_function=os.link)
    if BACKEND == "sqlite":
        shutil.copy(demo_template / "demo.db", tmp_path / "test.db")
        url, name = f"sqlite:///{tmp_path / 'test.db'}", None
    else:
        name = f"pingyi_{_worker()}_{next(_database_numbers)}"
        url = _pg_create(name, template="pingyi_demo")
    app = _app(dict(TEST_CONFIG, SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(tmp_path / "uploads"),
                    BACKUP_DIR=str(tmp_path / "backups")))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    if name:
        _pg_drop(name)


@pytest.fixture
def empty_app(tmp_path):
    """An app on an empty database, as a real deployment starts."""
    url = fresh_database_url(tmp_path)
    app = _app(dict(TEST_CONFIG, SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(tmp_path / "uploads"),
                    BACKUP_DIR=str(tmp_path / "backups")))
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()
    if BACKEND != "sqlite":
        _pg_drop(url.rsplit("/", 1)[1].split("?")[0])


@pytest.fixture
def county(app):
    """The demo county's current campaign."""
    return current_campaign()


def user(username):
    return db.session.scalar(select(User).where(User.username == username))


def unit_named(name):
    return db.session.scalar(select(Unit).where(Unit.name == name))


def data_changed(name="县财政局"):
    """A save to a unit's note, data no kept page shows: every kept value is stale after it, as after any save."""
    unit = unit_named(name)
    unit.note = (unit.note or "") + "。"
    db.session.commit()


def add_units_with_notices(county, count, sent_at, received_at=None):
    """`count` more units taking part, each with a sent 六月 notice (received at `received_at`, if given); the
    notices are returned uncommitted, for the caller to add to and commit."""
    from datetime import date
    from pingyi.campaigns.models import Participation
    from pingyi.feedback.models import FeedbackNotice
    office, have, notices = user("office"), db.session.query(Unit).count(), []
    for n in range(have + 1, have + count + 1):
        unit = Unit(name=f"新增单位{n}", short_name=f"新增{n}", category="department", sort_order=100 + n)
        db.session.add(unit)
        db.session.add(Participation(campaign=county, unit=unit, group=county.groups[n % len(county.groups)]))
        notice = FeedbackNotice(campaign_id=county.id, unit=unit, round="june", status="sent", doc_number=500 + n,
                                created_by_id=office.id, answer_deadline=date(2026, 8, 31), sent_at=sent_at,
                                received_at=received_at, overall="总体较好")
        db.session.add(notice)
        notices.append(notice)
    return notices


def repeat_view(client, url, statements):
    """The statements of a second view of `url` in a row (the first keeps whatever the page keeps)."""
    client.get(url)
    statements.clear()
    assert client.get(url).status_code == 200
    return list(statements)


def first_view(client, url, statements):
    """How many statements `url` costs right after a change to the data (nothing of the page kept yet)."""
    data_changed("县公安局")
    statements.clear()
    assert client.get(url).status_code == 200
    return len(statements)


def _stat(pid):
    """The fields of /proc/<pid>/stat after the command's name (state, parent pid, …), or None: no such process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def running(pid):
    """Whether process `pid` exists and has not exited (Linux /proc; a zombie has exited)."""
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def children(pid):
    """The pids of the processes whose parent is `pid` (Linux /proc)."""
    return {int(stat.parent.name) for stat in Path("/proc").glob("[0-9]*/stat")
            if (fields := _stat(stat.parent.name)) is not None and fields[1] == str(pid)}


def post_at_once(app, path, data, people):
    """`people` anonymous clients POST `data` to `path` at the same moment; their status codes."""
    barrier, statuses = threading.Barrier(people), []

    def submit():
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            statuses.append(client.post(path, data=data).status_code)
            db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(people)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return statuses


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


@pytest.fixture
def statements(app):
    """The SQL statements the app sends while the test runs (cleared by the test where it wants)."""
    seen = []

    def listen(conn, cursor, statement, *args):
        seen.append(statement)
    event.listen(db.engine, "before_cursor_execute", listen)
    yield seen
    event.remove(db.engine, "before_cursor_execute", listen)
