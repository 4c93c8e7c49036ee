"""Jobs are rows: claimed once by one of several workers, taken over after a crash, cancellable; document
batches run on them and skip a unit whose document fails."""
import io
import os
import socket
import subprocess
import sys
import threading
import time
import zipfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from pingyi import create_app
from pingyi.campaigns.services import current_campaign
from pingyi.documents import services as documents
from pingyi.documents.models import DocumentBatch
from pingyi.extensions import db
from pingyi.jobs import services as jobs
from pingyi.jobs.models import Job
from tests.conftest import TEST_CONFIG, user

calls = []


@jobs.handler("test-record")
def _record(context, name, steps=1, pause=0.0):
    for n in range(1, steps + 1):
        time.sleep(pause)
        context.progress(n, steps)
    calls.append(name)
    return f"done {name}"


@jobs.handler("test-explode")
def _explode(context):
    raise RuntimeError("boom")


def _queue(n, **arguments):
    made = [jobs.enqueue("test-record", {"name": f"job{i}", **arguments}) for i in range(n)]
    db.session.commit()
    return [job.id for job in made]


def _second_process(app):
    """Another server process: its own app and engine on the same database file."""
    return create_app(dict(TEST_CONFIG, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                           UPLOAD_DIR=app.config["UPLOAD_DIR"]))


def _run_in(app, owner, start, out):
    start.wait()
    with app.app_context():
        out[owner] = jobs.run_pending(owner)
        db.session.remove()


def test_two_processes_run_each_job_exactly_once(app):
    calls.clear()
    ids = _queue(12, pause=0.01)
    other = _second_process(app)
    start, ran = threading.Barrier(2), {}
    threads = [threading.Thread(target=_run_in, args=(a, name, start, ran)) for a, name in ((app, "a"), (other, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    db.session.expire_all()
    assert sorted(calls) == sorted(f"job{i}" for i in range(12))  # none twice, none left out
    assert ran["a"] + ran["b"] == 12
    assert [db.session.get(Job, i).status for i in ids] == ["done"] * 12
    assert all(db.session.get(Job, i).attempts == 1 for i in ids)
    with other.app_context():
        db.engine.dispose()


def test_racing_claims_for_one_job_give_it_to_one_worker(app):
    _queue(1)
    other = _second_process(app)
    start, got = threading.Barrier(2), {}

    def grab(a, owner):
        start.wait()
        with a.app_context():
            got[owner] = jobs.claim(owner) is not None
            db.session.remove()

    threads = [threading.Thread(target=grab, args=(a, name)) for a, name in ((app, "a"), (other, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(got.values()) == [False, True]
    with other.app_context():
        db.engine.dispose()


def test_a_job_whose_process_died_is_taken_over_when_its_lease_expires(app):
    calls.clear()
    [job_id] = _queue(1)
    assert jobs.claim("elsewhere:1:dead").id == job_id  # claimed, then the process was killed
    assert jobs.run_pending("survivor") == 0  # the lease still runs: it might be alive
    db.session.execute(update(Job).values(lease_expires=jobs.clock() - timedelta(seconds=1)))
    db.session.commit()
    assert jobs.run_pending("survivor") == 1
    job = db.session.get(Job, job_id, populate_existing=True)
    assert job.status == "done" and job.attempts == 2 and job.result == "done job0" and calls == ["job0"]


def test_at_start_up_jobs_of_a_dead_local_process_are_resumed_at_once(app):
    [job_id] = _queue(1)
    dead = subprocess.Popen(["true"])
    dead.wait()
    jobs.claim(f"{socket.gethostname()}:{dead.pid}:x")
    assert jobs.claim(f"{socket.gethostname()}:999999999:y") is None
    assert jobs.release_orphans() == 1
    assert jobs.run_pending("restarted") == 1
    assert db.session.get(Job, job_id, populate_existing=True).status == "done"


def test_the_lease_is_renewed_while_a_long_step_runs(app):
    app.config["JOB_LEASE_SECONDS"] = 0.3
    [job_id] = _queue(1, steps=2, pause=0.5)  # each step outlasts the lease
    assert jobs.run_pending("worker") == 1
    assert db.session.get(Job, job_id, populate_existing=True).status == "done"


def test_a_job_interrupted_too_often_fails_instead_of_looping(app):
    [job_id] = _queue(1)
    for n in range(3):
        jobs.claim(f"elsewhere:{n}:dead")
        db.session.execute(update(Job).values(lease_expires=jobs.clock() - timedelta(seconds=1)))
        db.session.commit()
    assert jobs.run_pending("worker") == 1
    job = db.session.get(Job, job_id, populate_existing=True)
    assert job.status == "failed" and "多次中断" in job.error


def test_a_failing_job_records_its_error(app):
    job = jobs.enqueue("test-explode", {})
    db.session.commit()
    jobs.run_pending()
    db.session.refresh(job)
    assert job.status == "failed" and "boom" in job.error and job.finished_at is not None


def test_a_queued_batch_is_cancelled_at_once_and_the_page_stops_polling(county, office_client):
    batch = documents.start_batch(county, "commitment", user("office"), key="1")
    assert office_client.post(f"/documents/batches/{batch.id}/cancel").status_code == 302
    db.session.refresh(batch)
    assert batch.status == "cancelled" and batch.job.status == "cancelled"
    assert jobs.run_pending() == 0
    page = office_client.get(f"/documents/batches/{batch.id}").text
    assert "已取消" in page and "hx-trigger" not in page
    assert office_client.post(f"/documents/batches/{batch.id}/cancel").status_code == 302  # says it has ended


def test_a_running_batch_stops_at_the_next_unit_when_cancelled(county, app, monkeypatch):
    batch = documents.start_batch(county, "feedback-notice", user("office"))
    build, built = documents.BUILDERS["feedback-notice"], []
    engine = db.engine

    def slow_build(data):
        built.append(data["unit"])
        if len(built) == 3:  # the office presses 取消 while the third unit is being built
            with engine.begin() as connection:
                connection.execute(update(Job).where(Job.id == batch.job_id).values(cancel_requested=True))
        return build(data)

    monkeypatch.setitem(documents.BUILDERS, "feedback-notice", slow_build)
    jobs.run_pending()
    batch = db.session.get(DocumentBatch, batch.id, populate_existing=True)
    assert batch.status == "cancelled" and batch.job.status == "cancelled"
    assert len(built) == 3 and batch.done < 10 < batch.total and not batch.stored_name


def test_a_unit_whose_document_fails_is_skipped_with_the_reason(county, office_client, monkeypatch):
    build = documents.BUILDERS["feedback-notice"]

    def fragile(data):
        if data["unit"] == "县公安局":
            raise ValueError("All strings must be XML compatible")
        return build(data)

    monkeypatch.setitem(documents.BUILDERS, "feedback-notice", fragile)
    batch = documents.start_batch(current_campaign(), "feedback-notice", user("office"), run_async=False)
    assert batch.status == "done" and batch.done == batch.total == 47
    reasons = batch.skipped.splitlines()
    police = [r for r in reasons if r.startswith("县公安局")]
    assert police == ["县公安局：文档生成出错，已跳过（ValueError: All strings must be XML compatible）"]
    response = office_client.get(f"/documents/batches/{batch.id}/download")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    response.close()
    names = archive.namelist()
    assert "县公安局_评议意见反馈通知书_2026.docx" not in names
    assert len([n for n in names if n.endswith(".docx")]) == 47 - len(reasons) > 0
    assert archive.read("未生成的单位说明.txt").decode() == batch.skipped
    page = office_client.get(f"/documents/batches/{batch.id}").text
    assert "All strings must be XML compatible" in page


def test_a_batch_left_running_by_a_killed_server_is_finished_by_the_next(county):
    batch = documents.start_batch(county, "commitment", user("office"), key="1")
    jobs.claim("killed:1:x")
    db.session.execute(update(DocumentBatch).where(DocumentBatch.id == batch.id).values(status="running", done=2))
    db.session.execute(update(Job).values(lease_expires=jobs.clock() - timedelta(seconds=1)))
    db.session.commit()
    assert jobs.run_pending("next") == 1
    batch = db.session.get(DocumentBatch, batch.id, populate_existing=True)
    assert batch.status == "done" and batch.done == batch.total and batch.stored_name
    assert db.session.scalar(select(Job.attempts).where(Job.id == batch.job_id)) == 2


def test_a_restarted_server_finishes_the_batch_its_killed_predecessor_left(county, app):
    """A real server process (waitress, as `make run` starts it): its worker thread takes over at start-up
    the batch a killed process of this machine was building."""
    root = Path(__file__).resolve().parents[2]
    batch = documents.start_batch(county, "commitment", user("office"), key="1")
    dead = subprocess.Popen(["true"])
    dead.wait()
    jobs.claim(f"{socket.gethostname()}:{dead.pid}:killed")  # lease still valid for a minute
    db.session.execute(update(DocumentBatch).where(DocumentBatch.id == batch.id).values(status="running"))
    db.session.commit()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, PINGYI_SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
               PINGYI_UPLOAD_DIR=app.config["UPLOAD_DIR"], PINGYI_BACKUP_DIR=app.config["BACKUP_DIR"],
               PINGYI_SECRET_KEY="x", PINGYI_JOB_POLL_SECONDS="0.2")
    env.pop("FLASK_RUN_FROM_CLI", None)
    server = subprocess.Popen([sys.executable, "-m", "waitress", "--host", "127.0.0.1", f"--port={port}", "app:app"],
                              cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(300):
            db.session.rollback()
            if db.session.scalar(select(Job.status).where(Job.id == batch.job_id)) == "done":
                break
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(10)
        server.stderr.close()
    batch = db.session.get(DocumentBatch, batch.id, populate_existing=True)
    assert batch.status == "done" and batch.job.status == "done" and batch.job.attempts == 2


def test_a_worker_whose_database_is_away_logs_the_traceback_once(tmp_path, caplog):
    """While the database stays away the worker keeps polling, with one traceback in the log, not one a poll."""
    import logging
    app = create_app(dict(TEST_CONFIG, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'empty.db'}",
                          UPLOAD_DIR=str(tmp_path / "uploads"), JOBS_WORKER=True, JOB_POLL_SECONDS=0.02))
    with caplog.at_level(logging.DEBUG, logger="pingyi.jobs.services"):
        jobs.start_worker(app)  # no tables in this database: every poll fails
        try:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and sum("still fails" in r.getMessage() for r in caplog.records) < 3:
                time.sleep(0.02)
        finally:
            jobs.stop_worker(app)
    assert not app.extensions["pingyi_job_worker"].is_alive()
    failed = [r for r in caplog.records if r.getMessage() == "job worker: polling failed"]
    assert len(failed) == 1 and failed[0].exc_info is not None
    assert sum("still fails" in r.getMessage() and r.exc_info is None for r in caplog.records) >= 3
