"""Build a batch's documents on every core.

The batch's job (pingyi.jobs, in one server process) reads every unit's data itself (documents.services
batch_rows: a few grouped queries) and hands the plain data, in chunks, to a pool of builder processes,
which only build: no app, no database. The job writes the documents into the zip in the units' order and
reports progress and checks for cancel after each chunk; while it waits, it builds the last chunks no
builder process has taken yet. A unit whose document cannot be built comes back with the reason it was
skipped.

The builder processes are forked from multiprocessing's fork server, a single-threaded process started
once per server process (when its job worker starts) with this module (python-docx, the builders), the
builders' skeleton document and the server's main script already imported (forkserver_preload.py): safe from a
threaded server process, and a pool starts in milliseconds instead of importing the app in each process. The pool
is made for the batch and stopped with it, also when the job is cancelled or its server process stops; a
pool that breaks (a builder process killed) leaves the remaining units to be built in the job's own process.
DOCUMENT_BATCH_PROCESSES sets the pool's size (default: one per core; 1 builds in the job's own process, as
tests do unless they ask for more).
"""
import logging
import multiprocessing
import os
import threading
import time
import weakref
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from itertools import islice
from multiprocessing import forkserver, spawn, util

from flask import current_app

from pingyi.documents import builders, render
from pingyi.documents.gbt9704 import warm
from pingyi.jobs import services as jobs

log = logging.getLogger(__name__)
MIN_UNITS = 40     # fewer units (a few seconds of work) are built faster than a pool starts
CHUNK = 6          # units a builder process takes at a time
REPORT_EVERY = 0.5  # seconds between progress reports (and cancel checks) of a pooled batch
MAIN_VARIABLE = "PINGYI_BUILDERS_MAIN"  # "pid:path of its main script" of the server process, for its fork server


def processes(n_units):
    """How many builder processes a batch of `n_units` gets (1: none, build in this process)."""
    configured = current_app.config.get("DOCUMENT_BATCH_PROCESSES")
    if configured is None:
        configured = 1 if current_app.config.get("TESTING") else os.cpu_count() or 1
    return max(1, min(int(configured), n_units // 2)) if n_units >= MIN_UNITS else 1


def failure(unit_name, error):
    """Why a unit's document was skipped when building it failed."""
    return f"{unit_name}：文档生成出错，已跳过（{type(error).__name__}: {error}）"[:500]


def build_row(row, build):
    """(unit_id, filename, bytes or None, skipped reason or None) of one row of documents.services.batch_rows,
    built with `build(data)`."""
    unit_id, unit_name, name, data, reason = row
    if reason is not None:
        return unit_id, None, None, reason
    try:
        return unit_id, name, build(data), None
    except Exception as e:
        log.exception("batch: building the document of %s failed", unit_name)
        return unit_id, None, None, failure(unit_name, e)


def _build_chunk(kind, paginate, executable, rows):
    """In a builder process (or the job's, when the pool broke): build_row for each row."""
    builder = builders.BUILDERS[kind]
    return [build_row(row, lambda data: render.finished(kind, data, builder, paginate, executable)) for row in rows]


def _context():
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")  # Windows: each builder process imports the builders itself
    context = multiprocessing.get_context("forkserver")
    # Taken when the fork server starts (once per server process): the builders, their skeleton document and
    # the main script, which each builder process would otherwise import again as spawn does (forkserver_preload).
    context.set_forkserver_preload(["__main__", "pingyi.documents.forkserver_preload"])
    main = f"{os.getpid()}:{spawn.get_preparation_data('builder').get('init_main_from_path', '')}"
    if os.environ.get(MAIN_VARIABLE) != main:  # set once, before the fork server starts (it inherits it)
        os.environ[MAIN_VARIABLE] = main
    return context


@jobs.on_start
def ready():
    """Start the fork server when the server process's job worker starts, where batches will get a pool: the
    first batch does not wait for it to import the builders."""
    if processes(MIN_UNITS) >= 2 and "forkserver" in multiprocessing.get_all_start_methods():
        _context()
        forkserver.ensure_running()


@contextmanager
def built(kind, rows, n_units, build):
    """Iterate (unit_id, filename, bytes or None, skipped reason or None, report) in the order of `rows`
    (documents.services.batch_rows, `n_units` of them); `report` says when to report progress and check
    for cancel. `build(data)` builds a document in this process (documents.services.BUILDERS[kind]); the
    builder processes build it as that does (render.finished with this process's pagination settings)."""
    n = processes(n_units)
    if n < 2:
        yield (build_row(row, build) + (True,) for row in rows)
        return
    executor = _pool(n)
    try:
        yield _pooled(executor, kind, rows, (render.paginates(kind), render.soffice()))
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


_POOLS = weakref.WeakSet()  # the builder pools of the batches running in this process
_STOPPING_IN = {}  # "pid": the process where _stop_pools is registered to run at exit


def _pool(n):
    """A pool of `n` builder processes, stopped when this process stops (_stop_pools)."""
    if _STOPPING_IN.get("pid") != os.getpid():  # once per process: a forked process has no finalizers
        # A process started by multiprocessing (granian's workers) ends in multiprocessing's exit function, which
        # runs the finalizers and then waits for its child processes (the builders). Any other process ends in
        # threading's exit hooks, run in the reverse order of registration before any thread is joined: this runs
        # before concurrent.futures.process's own (registered when it was imported), which waits for the pools.
        util.Finalize(None, _stop_pools, args=(True,), exitpriority=10)
        threading._register_atexit(_stop_pools, False)
        _STOPPING_IN["pid"] = os.getpid()
    executor = ProcessPoolExecutor(n, mp_context=_context(), initializer=warm)
    _POOLS.add(executor)
    return executor


def _stop_pools(end_builders):
    """When this process stops: stop the running batches' pools, their queued chunks cancelled, and with
    `end_builders` their builder processes ended too (multiprocessing's exit function waits for them, and a
    chunk laid out by LibreOffice takes seconds; concurrent.futures' own exit hook waits for the chunks being
    built, and stops the builders itself). Else the process waits at exit until every chunk is built, the server
    kills it first, and its builder processes are left running for good. The batch's job is taken up again by a
    server when its lease runs out (pingyi.jobs)."""
    for executor in list(_POOLS):
        builders = list((executor._processes or {}).values())  # shutdown() forgets them
        executor.shutdown(wait=False, cancel_futures=True)
        for process in builders if end_builders else ():
            process.terminate()


def _pooled(executor, kind, rows, settings):
    """The chunks' rows in order. While the next chunk is not back, this process builds the last chunks no
    builder process has taken yet (they are cancelled in the pool first): so the time the pool takes to
    start is not lost, and the job's process is not idle while it waits. Progress is reported (a commit, and
    the check for cancel) after the first chunk, the last, and between them at most every REPORT_EVERY
    seconds: a chunk takes a few hundredths of a second, a commit after each would cost the batch a tenth."""
    chunks, futures, rows = [], [], iter(rows)
    while chunk := list(islice(rows, CHUNK)):  # the builders start on the first chunk while the rest is read
        chunks.append(chunk)
        futures.append(executor.submit(_build_chunk, kind, *settings, chunk))
    here, tail, last = {}, len(chunks) - 1, None
    for i, (chunk, future) in enumerate(zip(chunks, futures)):
        while not future.done() and tail > i and futures[tail].cancel():
            here[tail] = _build_chunk(kind, *settings, chunks[tail])
            tail -= 1
        if i in here:
            built_rows = here.pop(i)
        else:
            try:
                built_rows = future.result()
            except Exception:  # the pool broke (a builder process died): build these units here
                log.exception("document batch: builder process failed, building %d units in the job's process",
                              len(chunk))
                built_rows = _build_chunk(kind, *settings, chunk)
        due = last is None or i == len(chunks) - 1 or time.monotonic() - last >= REPORT_EVERY
        if due:
            last = time.monotonic()
        for n, row in enumerate(built_rows, 1):
            yield row + (due and n == len(built_rows),)
