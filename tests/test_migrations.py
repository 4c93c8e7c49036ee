"""The Alembic migrations build exactly the schema the models describe, and downgrade cleanly."""
import logging

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from pingyi import create_app
from pingyi.extensions import db
from tests.conftest import fresh_database_url


def test_migrations_match_the_models(tmp_path):
    """On the suite's database: SQLite, or PostgreSQL when PINGYI_TEST_DB=postgresql."""
    url = fresh_database_url(tmp_path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        upgrade()
        engine = create_engine(url)
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                    db.metadata)
        assert diff == []
        downgrade(revision="base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        engine.dispose()
    # An upgrade run inside a process leaves its loggers working (alembic's logging setup disabled them).
    assert not logging.getLogger("pingyi.jobs.services").disabled


@pytest.mark.sqlite_only
def test_sqlite_runs_with_foreign_keys_and_wal(tmp_path):
    url = f"sqlite:///{tmp_path / 'pragmas.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    with app.app_context():
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        db.engine.dispose()
