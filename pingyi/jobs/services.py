"""Queue, claim and run background jobs. Each server process runs one worker thread that polls the job
table; a job is claimed with a conditional UPDATE and held by a lease that a heartbeat renews, so with
several processes a job runs once, and a job whose process died is claimed again when its lease expires
(at once when the dead process was on this machine)."""
import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import func, or_, select, update

from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.jobs.models import Job

log = logging.getLogger(__name__)
HANDLERS = {}  # kind -> (run, finish)
STARTERS = []  # called once when a worker thread starts, in the app context (documents: the builders' fork server)


class JobCancelled(Exception):
    """Someone asked the job to stop; raised at the job's next progress report."""


class LeaseLost(Exception):
    """Another worker owns the job now (this one was presumed dead); stop without writing."""


def handler(kind, finish=None):
    """Register `run(context, **arguments)` for jobs of `kind`; `finish(job)` is called when such a job
    ends failed or cancelled, so the area can mark its own record."""
    def register(run):
        HANDLERS[kind] = (run, finish)
        return run
    return register


def on_start(ready):
    """Register `ready()`, called when a process's worker thread starts (before it takes a job), to make ready
    what jobs will need; a failure is logged and the worker goes on."""
    STARTERS.append(ready)
    return ready


def clock():
    """Real naive UTC time: leases follow the wall clock even inside the demo's acting_at()."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def worker_name():
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _lease():
    return timedelta(seconds=current_app.config["JOB_LEASE_SECONDS"])


def enqueue(kind, arguments, user=None, total=0, run_after=None):
    """Add a queued job (claimed no earlier than `run_after`, naive UTC, when given); the caller commits it
    together with its own record."""
    if kind not in HANDLERS:
        raise ValueError(f"unknown job kind {kind}")
    job = Job(kind=kind, arguments=arguments, total=total, created_by_id=user.id if user else None,
              run_after=run_after)
    db.session.add(job)
    db.session.flush()
    return job


def cancel(job):
    """Stop a job: a queued one at once, a running one at its next progress report."""
    if not job.active:
        raise DomainError("该任务已结束，无需取消")
    stopped = db.session.execute(update(Job).where(Job.id == job.id, Job.status == "queued")
                                 .values(status="cancelled", finished_at=clock())).rowcount
    if not stopped:
        db.session.execute(update(Job).where(Job.id == job.id, Job.status == "running").values(cancel_requested=True))
    db.session.commit()
    db.session.refresh(job)
    if stopped:
        _call_finish(job)


def _claimable(now):
    return or_((Job.status == "queued") & or_(Job.run_after.is_(None), Job.run_after <= now),
               (Job.status == "running") & (Job.lease_expires < now))


def claim(owner, job_id=None):
    """Take the oldest job (or the job `job_id`) that is queued or whose lease has expired; None when there
    is none. The UPDATE repeats the condition, so of two workers racing for one job only one gets a row."""
    now = clock()
    query = select(Job.id).where(_claimable(now))
    if job_id is not None:
        query = query.where(Job.id == job_id)
    candidates = db.session.scalars(query.order_by(Job.id).limit(20)).all()
    db.session.commit()
    for job_id in candidates:
        claimed = db.session.execute(
            update(Job).where(Job.id == job_id, _claimable(now))
            .values(status="running", lease_owner=owner, lease_expires=now + _lease(), attempts=Job.attempts + 1,
                    started_at=func.coalesce(Job.started_at, now))
            .execution_options(synchronize_session=False)).rowcount
        db.session.commit()
        if claimed == 1:
            return db.session.get(Job, job_id, populate_existing=True)
    return None


class JobContext:
    """What a running job's handler sees: its job id, and progress() to report and to stop when asked."""

    def __init__(self, job, owner, heartbeat):
        self.job_id, self.owner, self.heartbeat = job.id, owner, heartbeat

    def progress(self, done, total=None):
        """Store progress (committing the session with it); raise JobCancelled when cancel was asked and
        LeaseLost when another worker took the job over."""
        if self.heartbeat.lost:
            raise LeaseLost()
        values = {"done": done} if total is None else {"done": done, "total": total}
        updated = db.session.execute(update(Job).where(Job.id == self.job_id, Job.lease_owner == self.owner,
                                                       Job.status == "running").values(**values)
                                     .execution_options(synchronize_session=False)).rowcount
        cancel = db.session.scalar(select(Job.cancel_requested).where(Job.id == self.job_id))
        db.session.commit()
        if not updated:
            raise LeaseLost()
        if cancel:
            raise JobCancelled()


class _Heartbeat(threading.Thread):
    """Renews the lease on its own connection while the job works, however long one step takes."""

    def __init__(self, engine, job_id, owner, lease):
        super().__init__(daemon=True, name=f"pingyi-job-{job_id}-lease")
        self.engine, self.job_id, self.owner, self.lease = engine, job_id, owner, lease
        self.stopped, self.lost = threading.Event(), False

    def run(self):
        while not self.stopped.wait(self.lease.total_seconds() / 3):
            try:
                with self.engine.begin() as connection:
                    renewed = connection.execute(
                        update(Job).where(Job.id == self.job_id, Job.lease_owner == self.owner,
                                          Job.status == "running").values(lease_expires=clock() + self.lease)).rowcount
            except Exception:  # a busy database: try again at the next beat, the lease still has time
                log.warning("job %s: lease renewal failed", self.job_id, exc_info=True)
                continue
            if not renewed:
                self.lost = True
                return


def _call_finish(job):
    finish = HANDLERS.get(job.kind, (None, None))[1]
    if finish is not None:
        try:
            finish(job)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("job %s: finish hook failed", job.id)


def run_job(job, owner):
    """Run a claimed job to its end and record how it ended (only while this worker still owns it)."""
    run, _ = HANDLERS[job.kind]
    job_id = job.id
    if job.attempts > current_app.config["JOB_MAX_ATTEMPTS"]:
        status, error, result = "failed", "任务多次中断（服务器重启或进程退出），已停止重试，请重新发起", ""
    else:
        heartbeat = _Heartbeat(db.engine, job_id, owner, _lease())
        heartbeat.start()
        status, error, result = "done", "", ""
        try:
            result = run(JobContext(job, owner, heartbeat), **(job.arguments or {})) or ""
        except JobCancelled:
            db.session.rollback()
            status = "cancelled"
        except LeaseLost:
            db.session.rollback()
            return
        except Exception as e:  # the page must show the failure instead of waiting forever
            db.session.rollback()
            log.exception("job %s (%s) failed", job_id, job.kind)
            status, error = "failed", f"{type(e).__name__}: {e}"[:1000]
        finally:
            heartbeat.stopped.set()
    ended = db.session.execute(
        update(Job).where(Job.id == job_id, Job.lease_owner == owner, Job.status == "running")
        .values(status=status, error=error, result=str(result)[:300], finished_at=clock(), lease_expires=None)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    job = db.session.get(Job, job_id, populate_existing=True)
    if ended and status != "done":
        _call_finish(job)


def run_pending(owner=None, limit=None):
    """Claim and run jobs until none is waiting (or `limit` ran); returns how many ran. Tests call this
    directly; the worker thread calls it in a loop."""
    owner = owner or worker_name()
    count = 0
    while limit is None or count < limit:
        job = claim(owner)
        if job is None:
            break
        run_job(job, owner)
        count += 1
    return count


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_orphans():
    """Jobs left running by a process of this machine that no longer exists are claimable at once,
    without waiting for their lease to run out (a restart after kill -9 or a normal stop)."""
    host = socket.gethostname()
    released = 0
    for job in db.session.scalars(select(Job).where(Job.status == "running")).all():
        parts = job.lease_owner.split(":")
        if len(parts) == 3 and parts[0] == host and parts[1].isdigit() and not _alive(int(parts[1])):
            released += db.session.execute(
                update(Job).where(Job.id == job.id, Job.lease_owner == job.lease_owner, Job.status == "running")
                .values(lease_expires=clock() - timedelta(seconds=1))
                .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return released


def _work(app):
    owner = worker_name()
    with app.app_context():
        try:
            release_orphans()
        except Exception:
            log.exception("job worker: could not release orphaned jobs")
        for ready in STARTERS:
            try:
                ready()
            except Exception:
                log.exception("job worker: %s failed", ready.__qualname__)
    failing, stop = False, app.extensions["pingyi_job_worker_stop"]
    while not stop.is_set():
        _wake.clear()  # a wake() from here on makes the wait below return at once
        try:
            with app.app_context():
                run_pending(owner)
            if failing:
                log.warning("job worker: polling works again")
                failing = False
        except Exception as error:  # the database is down for a moment: keep polling
            if not failing:  # the traceback once, not at every poll while the database stays away
                log.exception("job worker: polling failed")
                failing = True
            else:
                log.debug("job worker: polling still fails: %s", error)
        _wake.wait(app.config["JOB_POLL_SECONDS"])


def wake():
    """Have this process's worker look for jobs now instead of at its next poll (call after committing a job)."""
    _wake.set()


def start_worker(app):
    """Start this process's worker thread (once)."""
    with _start_lock:
        if app.extensions.get("pingyi_job_worker") is None:
            thread = threading.Thread(target=_work, args=(app,), daemon=True, name="pingyi-jobs")
            app.extensions["pingyi_job_worker"], app.extensions["pingyi_job_worker_stop"] = thread, threading.Event()
            thread.start()


def stop_worker(app, timeout=5):
    """Stop this app's worker thread after its current poll, and wait for it (a server process's worker stops
    with the process; tests stop theirs)."""
    thread = app.extensions.get("pingyi_job_worker")
    if thread is not None:
        app.extensions["pingyi_job_worker_stop"].set()
        wake()
        thread.join(timeout)


_start_lock = threading.Lock()
_wake = threading.Event()


def install(app):
    """Run the worker in server processes: at once under a WSGI server (waitress), at the first request
    under `flask run`; never in other `flask` commands (upgrade, backup) nor in tests unless JOBS_WORKER
    is set."""
    enabled = app.config.get("JOBS_WORKER")
    if enabled is None:
        enabled = not app.config.get("TESTING")
    if not enabled:
        return
    if os.environ.get("FLASK_RUN_FROM_CLI") != "true" or app.config.get("JOBS_WORKER"):
        start_worker(app)
        return

    @app.before_request
    def start_job_worker():
        start_worker(app)
