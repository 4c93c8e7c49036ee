"""Build a batch's documents on every core.

The batch's job (pingyi.jobs, in one server process) hands its units to a pool of processes, each with its
own app and database connection, which gather each unit's data and build its document; the job writes them
into the zip in the units' order and reports progress and checks for cancel after each unit, as before. A
unit whose document cannot be built comes back with the reason it was skipped. The pool is started for the
batch with `spawn` (safe from a threaded server process) and stopped with it, also when the job is
cancelled or its server process stops; a pool that breaks (a builder process killed) leaves the remaining
units to be built in the job's own process. DOCUMENT_BATCH_PROCESSES sets the pool's size (default: one
per core; 1 builds in the job's own process, as tests do unless they ask for more).
"""
import logging
import multiprocessing
import os
import pickle
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

from flask import current_app

from pingyi.campaigns.models import Campaign
from pingyi.extensions import db
from pingyi.units.models import Unit

log = logging.getLogger(__name__)
MIN_UNITS = 40     # fewer units (a few seconds of work) are built faster than a pool starts
CHUNK = 5          # units a builder process takes at a time

_app = None        # the app of a builder process


def processes(n_units):
    """How many builder processes a batch of `n_units` gets (1: none, build in this process)."""
    configured = current_app.config.get("DOCUMENT_BATCH_PROCESSES")
    if configured is None:
        configured = 1 if current_app.config.get("TESTING") else os.cpu_count() or 1
    if db.engine.url.database in (None, "", ":memory:"):
        return 1  # an in-memory database exists in this process only
    return max(1, min(int(configured), n_units // 2)) if n_units >= MIN_UNITS else 1


def _portable_config(app):
    """The app's settings a builder process starts its own app with (those that can be sent to it)."""
    config = {}
    for key, value in app.config.items():
        if key.isupper():
            try:
                pickle.dumps(value)
            except Exception:
                continue
            config[key] = value
    config["JOBS_WORKER"] = False  # a builder process runs no job worker of its own
    return config


def _start(factory, config):
    global _app
    _app = factory(config)


def _build_chunk(build_unit, kind, campaign_id, unit_ids):
    """In a builder process: [(unit_id, filename, bytes, skipped reason)] for these units."""
    with _app.app_context():
        try:
            campaign = db.session.get(Campaign, campaign_id)
            units = {u.id: u for u in db.session.scalars(db.select(Unit).where(Unit.id.in_(unit_ids)))}
            return [build_unit(kind, campaign, units.get(unit_id), unit_id) for unit_id in unit_ids]
        finally:
            db.session.remove()


@contextmanager
def built(kind, campaign, unit_ids, units, build_unit):
    """Iterate (unit_id, filename, bytes or None, skipped reason or None) in the order of `unit_ids`.
    `build_unit(kind, campaign, unit, unit_id)` builds one (documents.services passes it: it is sent to the
    builder processes by reference, so this module imports nothing above it). Each builder process makes its
    app with the factory the app was made by (app.extensions["pingyi.create_app"])."""
    n = processes(len(unit_ids))
    if n < 2:
        yield (build_unit(kind, campaign, units.get(unit_id), unit_id) for unit_id in unit_ids)
        return
    executor = ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn"), initializer=_start,
                                   initargs=(current_app.extensions["pingyi.create_app"],
                                             _portable_config(current_app)))
    try:
        yield _pooled(executor, kind, campaign, unit_ids, units, build_unit)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _pooled(executor, kind, campaign, unit_ids, units, build_unit):
    chunks = [unit_ids[i:i + CHUNK] for i in range(0, len(unit_ids), CHUNK)]
    futures = [executor.submit(_build_chunk, build_unit, kind, campaign.id, chunk) for chunk in chunks]
    for chunk, future in zip(chunks, futures):
        try:
            rows = future.result()
        except Exception:  # the pool broke (a builder process died): build these units here
            log.exception("document batch: builder process failed, building %d units in the job's process", len(chunk))
            rows = [build_unit(kind, campaign, units.get(unit_id), unit_id) for unit_id in chunk]
        yield from rows
