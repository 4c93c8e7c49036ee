"""Backups: a consistent archive while others write, restored table by table and file by file into an
empty instance; refused into a full one or from a corrupted archive; the page, the banner, /healthz."""
import json
import os
import threading
import time
import uuid
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, inspect, insert, select

from pingyi import create_app
from pingyi.audit.models import AuditEntry
from pingyi.backups import services as backups
from pingyi.extensions import db
from pingyi.jobs import services as jobs
from pingyi.jobs.models import Job
from tests.conftest import TEST_CONFIG, fresh_database_url


def _fresh(tmp_path, name, url=None):
    """An empty instance of its own: database, uploads and backup folder."""
    folder = tmp_path / name
    folder.mkdir()
    return create_app(dict(TEST_CONFIG, SQLALCHEMY_DATABASE_URI=url or fresh_database_url(folder),
                           UPLOAD_DIR=str(folder / "uploads"), BACKUP_DIR=str(folder / "backups")))


def _rows(engine):
    """Every table's rows, in primary-key order."""
    out = {}
    with engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            out[table.name] = [tuple(r) for r in connection.execute(
                select(table).order_by(*table.primary_key.columns))]
    return out


def _files(folder):
    folder = Path(folder)
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _write_pairs(url, stop, written):
    """Another process writing all the time: each transaction adds an audit entry and a job together."""
    engine = create_engine(url, connect_args={"timeout": 30} if url.startswith("sqlite") else {})
    while not stop.is_set():
        with engine.begin() as connection:
            connection.execute(insert(AuditEntry).values(username="writer", action="create", object_type="job",
                                                         summary="并发写入"))
            connection.execute(insert(Job).values(kind="test", arguments={}, status="done"))
        written.append(1)
    engine.dispose()


def test_a_backup_taken_while_others_write_restores_every_table_and_file(app, tmp_path):
    before = _rows(db.engine)
    stop, written = threading.Event(), []
    writer = threading.Thread(target=_write_pairs, args=(app.config["SQLALCHEMY_DATABASE_URI"], stop, written))
    writer.start()
    while len(written) < 5 and writer.is_alive():
        time.sleep(0.01)
    assert writer.is_alive()
    try:
        archive = backups.create_backup()
    finally:
        stop.set()
        writer.join(30)
    manifest = json.loads(zipfile.ZipFile(archive).read("manifest.json"))
    added = manifest["tables"]["job"] - len(before["job"])
    assert 5 <= added < len(written) + 1
    assert manifest["tables"]["audit_entry"] - len(before["audit_entry"]) == added  # one moment, not two
    assert manifest["schema_revision"] is None  # the tests' database is made by create_all
    source_rows, source_files = _rows(db.engine), _files(app.config["UPLOAD_DIR"])
    assert len(source_files) > 100

    fresh = _fresh(tmp_path, "restored")
    with fresh.app_context():
        backups.restore_backup(archive)
        restored = _rows(db.engine)
        restored_files = _files(fresh.config["UPLOAD_DIR"])
        db.engine.dispose()
    for name, rows in source_rows.items():
        if name in ("job", "audit_entry"):  # the writer went on after the snapshot: a prefix was copied
            assert restored[name] == rows[:len(before[name]) + added], name
        else:
            assert restored[name] == rows, name
        assert len(restored[name]) == manifest["tables"].get(name, 0), name
    assert restored_files == source_files
    listed = {f["path"]: f for f in manifest["files"]}
    assert all(listed["uploads/" + path]["size"] == len(data) for path, data in source_files.items())


def test_restore_refuses_a_database_that_holds_data(app):
    archive = backups.create_backup()
    count = db.session.scalar(select(func.count()).select_from(AuditEntry))
    with pytest.raises(backups.BackupError, match="不是空的"):
        backups.restore_backup(archive)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == count


def test_a_corrupted_archive_is_refused_before_anything_is_written(app, tmp_path):
    archive = backups.create_backup()
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(damaged, "w") as out:
        victim = next(n for n in source.namelist() if n.startswith("uploads/"))
        for info in source.infolist():
            data = source.read(info)
            out.writestr(info, data[:-1] + bytes([data[-1] ^ 1]) if info.filename == victim else data)
    fresh = _fresh(tmp_path, "target")
    with fresh.app_context():
        with pytest.raises(backups.BackupError, match=f"校验失败：{victim}"):
            backups.restore_backup(damaged)
        assert inspect(db.engine).get_table_names() == []
        assert not Path(fresh.config["UPLOAD_DIR"]).exists()
        with pytest.raises(backups.BackupError, match="不是有效的 zip"):
            damaged.write_bytes(b"not a zip")
            backups.restore_backup(damaged)
        db.engine.dispose()


def test_an_archive_of_an_older_schema_is_upgraded_on_restore(tmp_path):
    old = _fresh(tmp_path, "old")
    with old.app_context():
        upgrade(revision="e87b93e0595a")  # the schema before background jobs existed
        archive = backups.create_backup()
        db.engine.dispose()
    assert json.loads(zipfile.ZipFile(archive).read("manifest.json"))["schema_revision"] == "e87b93e0595a"
    new = _fresh(tmp_path, "new")
    with new.app_context():
        upgrade()  # `flask db upgrade` on the new server first: empty tables are no obstacle
        backups.restore_backup(archive)
        assert "job" in inspect(db.engine).get_table_names()
        assert db.session.scalar(select(func.count()).select_from(Job)) == 0
        db.engine.dispose()


def test_keep_leaves_the_newest_archives(app, tmp_path):
    folder = tmp_path / "nightly"
    made = [backups.create_backup(folder) for _ in range(3)]
    for n, path in enumerate(made):  # as if written on three nights
        os.utime(path, (1_700_000_000 + n * 86400,) * 2)
    newest = backups.create_backup(folder, keep=2)
    assert sorted(p.name for p in folder.iterdir()) == sorted([made[2].name, newest.name])


def test_the_office_backs_up_from_the_page_and_the_download_is_audited(county, office_client):
    page = office_client.get("/admin/backups").text
    assert "还没有备份" in page and "系统还没有任何备份" in page  # the banner of every office page
    assert "系统还没有任何备份" in office_client.get("/").text
    assert office_client.post("/admin/backups").status_code == 302
    assert "已有一个备份正在进行" in office_client.post("/admin/backups", follow_redirects=True).text
    assert jobs.run_pending() == 1
    job = db.session.scalar(select(Job).where(Job.kind == "backup"))
    assert job.status == "done" and backups.archive_path(job.result) is not None
    page = office_client.get("/admin/backups").text
    assert job.result in page and "系统还没有任何备份" not in page
    assert "备份" not in office_client.get("/").text.split("<main")[1].split("</h1>")[0]
    response = office_client.get(f"/admin/backups/{job.result}")
    assert response.status_code == 200 and response.data[:2] == b"PK"
    response.close()
    entry = db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()))
    assert entry.action == "download" and entry.object_type == "job" and job.result in entry.summary
    assert entry.username == "office"
    assert office_client.get("/admin/backups/..%2Fp.db").status_code == 404
    assert office_client.get("/admin/backups/pingyi-backup-20990101-000000.zip").status_code == 404


def test_the_banner_warns_the_office_when_the_last_backup_is_a_week_old(county, office_client, client_for):
    path = backups.create_backup()
    assert "最近一次备份" not in office_client.get("/").text
    week = (datetime.now() - timedelta(days=8)).timestamp()
    os.utime(path, (week, week))
    assert "最近一次备份是 8 天前" in office_client.get("/").text
    assert "备份" not in client_for("unit").get("/units/").text.split("<main")[1]


def test_the_banner_follows_archives_written_and_removed_outside_the_app(county, office_client):
    """The folder is not listed on every page, yet an archive removed, or copied in, shows at once."""
    path = backups.create_backup()
    assert "备份" not in office_client.get("/").text.split("<main")[1].split("</main>")[0]
    path.unlink()
    assert "系统还没有任何备份" in office_client.get("/").text
    newest = backups.create_backup()
    assert "系统还没有任何备份" not in office_client.get("/").text
    week = (datetime.now() - timedelta(days=8)).timestamp()
    os.utime(newest, (week, week))
    assert "最近一次备份是 8 天前" in office_client.get("/").text


def test_healthz_answers_without_sign_in(county, app):
    client = app.test_client()
    body = client.get("/healthz").get_json()
    assert body["database"] == "ok" and body["upload_free_mb"] > 0 and body["last_backup_age_hours"] is None
    assert set(body) == {"database", "upload_free_mb", "last_backup_age_hours"}
    backups.create_backup()
    assert client.get("/healthz").get_json()["last_backup_age_hours"] == 0


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    down = create_app(dict(TEST_CONFIG, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'gone' / 'x.db'}",
                           UPLOAD_DIR=str(tmp_path / "uploads"), BACKUP_DIR=str(tmp_path / "backups")))
    response = down.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json() == {"database": "unreachable"}


@pytest.mark.skipif(not os.environ.get("PINGYI_TEST_PG_URL"), reason="needs PINGYI_TEST_PG_URL (PostgreSQL)")
def test_postgresql_backup_restores_into_an_empty_database(tmp_path):
    from sqlalchemy.engine import make_url

    from pingyi.auth import services as auth_services
    source_url = make_url(os.environ["PINGYI_TEST_PG_URL"]).set(drivername="postgresql+psycopg")
    target_name = f"pingyi_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(source_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{target_name}"')
    try:
        source = _fresh(tmp_path, "pg-source", source_url.render_as_string(hide_password=False))
        with source.app_context():
            db.drop_all()
            db.create_all()
            auth_services.create_user("office1", "office", "pw-pw-pw-1", "纠风办甲")
            Path(source.config["UPLOAD_DIR"]).mkdir(parents=True)
            (Path(source.config["UPLOAD_DIR"]) / "evidence").write_bytes("佐证".encode())
            archive = backups.create_backup()
            rows = _rows(db.engine)
            db.drop_all()
            db.engine.dispose()
        manifest = json.loads(zipfile.ZipFile(archive).read("manifest.json"))
        assert manifest["database"] == "postgresql" and manifest["tables"]["user"] == 1
        target = _fresh(tmp_path, "pg-target", source_url.set(database=target_name).render_as_string(hide_password=False))
        with target.app_context():
            backups.restore_backup(archive)
            assert _rows(db.engine) == rows
            assert _files(target.config["UPLOAD_DIR"]) == {"evidence": "佐证".encode()}
            with pytest.raises(backups.BackupError, match="不是空的"):
                backups.restore_backup(archive)
            db.engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target_name}" WITH (FORCE)')
        admin.dispose()
