"""A document batch built by a pool of builder processes: the same zip as one process builds, units skipped
with their reason, cancel stops the pool. (Its speed is measured by scripts/bench.py, not here.)"""
import io
import multiprocessing
import subprocess
import sys
import textwrap
import time
import zipfile
from concurrent.futures import Future
from pathlib import Path

import pytest
from sqlalchemy import select, update

from pingyi.documents import parallel
from pingyi.documents import services as documents
from pingyi.documents.models import DocumentBatch
from pingyi.extensions import db
from pingyi.jobs import services as jobs
from pingyi.jobs.models import Job
from pingyi.units.models import Unit
from tests.conftest import running, user

ROOT = Path(__file__).resolve().parents[2]


def _archive(batch):
    with open(documents.batch_path(batch), "rb") as f:
        archive = zipfile.ZipFile(io.BytesIO(f.read()))
    return {name: archive.read(name) for name in archive.namelist()}


def test_builder_processes_build_the_same_batch_as_one_process(county, app):
    app.config["DOCUMENT_BATCH_PROCESSES"] = 1
    alone = documents.start_batch(county, "commitment", user("office"), run_async=False)
    app.config["DOCUMENT_BATCH_PROCESSES"] = 2
    assert parallel.processes(alone.total) == 2
    pooled = documents.start_batch(county, "commitment", user("office"), run_async=False)
    assert pooled.status == alone.status == "done" and pooled.done == pooled.total == alone.total == 47
    one, two = _archive(alone), _archive(pooled)
    assert list(two) == list(one)  # the same letters in the units' order, the same 未生成的单位说明.txt
    assert pooled.skipped == alone.skipped and pooled.skipped  # units without a commitment: skipped, with why
    assert "还没有“整改计划并承诺”的问题" in pooled.skipped
    assert any(name.endswith(".docx") for name in two)
    assert not multiprocessing.active_children()  # the pool ended with the batch


def test_a_deleted_unit_is_skipped_with_the_reason_in_a_builder_process(county, app):
    app.config["DOCUMENT_BATCH_PROCESSES"] = 2
    batch = documents.start_batch(county, "commitment", user("office"))
    job = db.session.get(Job, batch.job_id)
    job.arguments = dict(job.arguments, unit_ids=job.arguments["unit_ids"] + [2**31 - 2])
    db.session.commit()
    jobs.run_pending()
    batch = db.session.get(DocumentBatch, batch.id, populate_existing=True)
    assert batch.status == "done" and "单位（编号 2147483646）已被删除，已跳过" in batch.skipped.splitlines()


def test_cancel_stops_the_builder_processes(county, app, monkeypatch):
    app.config["DOCUMENT_BATCH_PROCESSES"] = 2
    batch = documents.start_batch(county, "commitment", user("office"))
    pooled, engine = parallel._pooled, db.engine

    def cancelled_after_three(*args):
        for n, row in enumerate(pooled(*args), 1):
            if n == 3:  # the office presses 取消 while the builders work
                with engine.begin() as connection:
                    connection.execute(update(Job).where(Job.id == batch.job_id).values(cancel_requested=True))
            yield row

    monkeypatch.setattr(parallel, "_pooled", cancelled_after_three)
    jobs.run_pending()
    batch = db.session.get(DocumentBatch, batch.id, populate_existing=True)
    assert batch.status == "cancelled" and batch.job.status == "cancelled"
    assert batch.done == parallel.CHUNK < batch.total and not batch.stored_name  # stopped after the chunk
    assert not multiprocessing.active_children()


@pytest.mark.parametrize("kind", ["commitment", "feedback-notice"])  # data read grouped / unit by unit
def test_every_letter_of_a_pooled_batch_is_the_single_build(county, app, kind):
    """The batch reads the data itself and the builder processes only build: each file is byte for byte
    the document one unit's download builds."""
    app.config["DOCUMENT_BATCH_PROCESSES"] = 2
    batch = documents.start_batch(county, kind, user("office"), run_async=False)
    archive = _archive(batch)
    units = {u.name: u for u in db.session.scalars(select(Unit))}
    letters = [name for name in archive if name.endswith(".docx")]
    assert len(letters) >= 2
    for name in letters[:3]:
        assert archive[name] == documents.build(kind, county, units[name.split("_")[0]])


def test_the_grouped_data_is_each_units_own(county):
    units = db.session.scalars(select(Unit)).all()
    gathered = documents.DATA_OF["commitment"](county, units)
    assert sorted(gathered) == sorted(u.id for u in units)
    built = 0
    for unit in units:
        try:
            alone = documents.commitment_data(county, unit)
        except documents.DocumentMissing as e:
            assert isinstance(gathered[unit.id], documents.DocumentMissing) and str(gathered[unit.id]) == str(e)
            continue
        assert gathered[unit.id] == alone
        built += 1
    assert built >= 2  # the demo county: 县公安局 and 县审计局


def test_the_batch_reads_its_data_in_the_same_few_queries_for_any_number_of_units(county, statements):
    units = {u.id: u for u in db.session.scalars(select(Unit).order_by(Unit.id))}
    counts = []
    for ids in (list(units)[:4], list(units)):
        db.session.expire_all()  # nothing read before is at hand
        chosen = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(ids)))}
        assert county.year
        statements.clear()
        rows = list(documents.batch_rows("commitment", county, ids, chosen))
        counts.append(len(statements))
        assert len(rows) == len(ids)
    assert len(units) > 40 and counts[0] == counts[1] <= 4


def test_the_jobs_process_builds_the_last_chunks_while_the_pool_has_not_taken_them(county, monkeypatch):
    class NotStarted(Future):  # a chunk no builder process has taken yet: cancellable
        def __init__(self, fn, args):
            super().__init__()
            self.fn, self.args = fn, args

        def result(self, timeout=None):
            return self.fn(*self.args)

    class Pool:
        futures = []

        def submit(self, fn, *args):
            self.futures.append(NotStarted(fn, args))
            return self.futures[-1]

    units = {u.id: u for u in db.session.scalars(select(Unit))}
    rows = list(documents.batch_rows("commitment", county, list(units), units))
    monkeypatch.setattr(parallel, "REPORT_EVERY", 3600)
    got = list(parallel._pooled(Pool(), "commitment", rows, (False, None)))
    assert [row[:4] for row in got] == [parallel.build_row(row, documents.BUILDERS["commitment"]) for row in rows]
    assert [f.cancelled() for f in Pool.futures] == [False] + [True] * (len(Pool.futures) - 1)
    assert len(Pool.futures) > 2
    assert [row[4] for row in got].count(True) == 2  # progress after the first chunk and the last ...
    monkeypatch.setattr(parallel, "REPORT_EVERY", 0)  # ... and between them as often as REPORT_EVERY lets
    Pool.futures = []
    got = list(parallel._pooled(Pool(), "commitment", rows, (False, None)))
    assert [row[4] for row in got].count(True) == len(Pool.futures)


def test_the_job_worker_starts_the_fork_server_where_batches_get_a_pool(app):
    assert parallel.ready in jobs.STARTERS
    app.config["DOCUMENT_BATCH_PROCESSES"] = 1
    parallel.ready()  # no pool here: nothing to start
    app.config["DOCUMENT_BATCH_PROCESSES"] = 2
    parallel.ready()
    assert multiprocessing.forkserver._forkserver._forkserver_pid is not None


SERVER_SCRIPT = '''
import os, sys
sys.path.insert(0, {root!r})
with open({marks!r}, "a") as f:  # each process that runs this script
    f.write(f"{{os.getpid()}}\\n")
from concurrent.futures import ProcessPoolExecutor
from pingyi.documents import parallel

if __name__ == "__main__":
    with ProcessPoolExecutor(3, mp_context=parallel._context()) as pool:
        print(" ".join(str(pid) for pid in {{pool.submit(os.getpid).result() for _ in range(9)}}))
'''


def test_builder_processes_do_not_run_the_servers_main_script_again(tmp_path):
    """A server started as a script (scripts/bench.py, `flask run`'s): the fork server imports the script once,
    the builder processes forked from it do not run it again (Python before 3.13.8 never preloads it)."""
    import subprocess
    import sys
    from pathlib import Path
    root, marks = Path(__file__).resolve().parents[2], tmp_path / "marks"
    script = tmp_path / "server.py"
    script.write_text(SERVER_SCRIPT.format(root=str(root), marks=str(marks)))
    done = subprocess.run([sys.executable, str(script)], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    builders = set(done.stdout.split())
    ran = marks.read_text().split()
    assert builders and len(ran) == 2 and not builders & set(ran)  # the server and its fork server only


@pytest.mark.parametrize("process", ("a process", "a multiprocessing child (as granian's workers)"))
def test_a_process_stopping_during_a_batch_cancels_its_queued_chunks_and_leaves_no_builder(process):
    """A server process that stops while a batch's pool has work queued exits within a chunk's time, its
    builder processes with it (before, it waited at exit for every queued chunk, the server killed it first, and
    its builders were left running for good)."""
    script = textwrap.dedent("""
        import multiprocessing, sys, time
        from pingyi.documents import parallel

        def batch():
            global pool  # in use, as by a running batch's job
            pool = parallel._pool(2)
            chunks = [pool.submit(time.sleep, 0.5) for _ in range(60)]  # 15 s of queued work on two processes
            chunks[0].result()
            print(" ".join(str(pid) for pid in pool._processes), flush=True)

        if sys.argv[1] == "child":
            child = multiprocessing.get_context("fork").Process(target=batch)
            child.start()
            child.join()
        else:
            batch()
    """)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script, "child" if "child" in process else "main"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 10
    builders = [int(pid) for pid in done.stdout.split()]
    deadline = time.monotonic() + 5
    while any(running(pid) for pid in builders) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert builders and not any(running(pid) for pid in builders)
