"""A document batch built by a pool of builder processes: the same zip as one process builds, units skipped
with their reason, cancel stops the pool. (Its speed is measured by scripts/bench.py, not here.)"""
import io
import multiprocessing
import zipfile

from sqlalchemy import update

from pingyi.documents import parallel
from pingyi.documents import services as documents
from pingyi.documents.models import DocumentBatch
from pingyi.extensions import db
from pingyi.jobs import services as jobs
from pingyi.jobs.models import Job
from tests.conftest import user


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
    assert batch.done == 3 < batch.total and not batch.stored_name
    assert not multiprocessing.active_children()
