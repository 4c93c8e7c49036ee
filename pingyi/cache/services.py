"""Values that are expensive to work out (a campaign's results, each user's to-do count) kept while the data
they come from is unchanged.

Every flush and every bulk INSERT/UPDATE/DELETE through the session that touches a table other than the
bookkeeping ones (IGNORED) bumps the data version in the same transaction. A kept value carries the version
(and the day, or hour, for values that also follow the clock) it was worked out at; reading it costs one
statement, the current version, in any server process. Values are kept in this process (`remembered`) and,
for results, also in the database, so the second process does not recompute what the first just did.
"""
import logging
import pickle
import threading
import uuid
from collections import OrderedDict

from flask import current_app, g, has_app_context
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import event, insert, inspect, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from pingyi.cache.models import DataVersion, ResultsCache
from pingyi.extensions import db
from pingyi.timeutil import now, today, utcnow

log = logging.getLogger(__name__)

# Tables whose writes change no computed figure: the audit log (written on downloads too), sign-in
# bookkeeping, background jobs and their progress, this module's own tables, and the survey bookkeeping
# written often that neither the results nor the to-do queues read: the outbound message log (every SMS or
# robot message and its result), the arrival marks and round salts of the anomaly checks (written with each
# online ballot, deleted when the round closes) and the sampled people's contact state (links, reminders,
# call attempts). A ballot, a spent code, an anomaly decision, an appeal or an issuance record still counts.
IGNORED = {"audit_entry", "user", "user_session", "login_failure", "job", "document_batch", "alembic_version",
           "outbound_message", "arrival_mark", "round_salt", "sampled_person",
           DataVersion.__tablename__, ResultsCache.__tablename__}
# An account is data where pages show who a unit's liaison is, with name and phone (the dashboard, 催办): adding
# or removing a user, or changing these columns, counts; sign-in bookkeeping (last sign-in, password, throttle,
# all written as bulk updates or on these other columns) does not.
DATA_COLUMNS = {"user": {"username", "display_name", "role", "unit_id", "phone", "active"}}
MEMO_SIZE = 2000
MEMO_BYTES = 64 * 1024 * 1024

# The work behind the kept values, handed in by the app factory (pingyi.create_app: provide()): this area sits
# below results and notifications (results' pages read their figures through it), so it imports neither.
WORK = {}


def provide(**work):
    """Name the functions the kept values are worked out with: results=compute(campaign),
    todo=todo(user, campaign) (a user's work queues as (label, count, url, level))."""
    WORK.update(work)


# ---- the data version -------------------------------------------------------------------------------

_COUNT_ONE_MORE = (update(DataVersion.__table__).where(DataVersion.__table__.c.id == 1)
                   .values(counter=DataVersion.__table__.c.counter + 1))  # built once: every write runs it


def _bump(session):
    """Count one more change, in the session's transaction; until it ends, this session reads no kept value
    (what it would keep could be rolled back)."""
    session.info["pingyi_wrote"] = True
    connection = session.connection()
    if connection.execute(_COUNT_ONE_MORE).rowcount == 0:
        connection.execute(insert(DataVersion.__table__).values(id=1, counter=1, token=uuid.uuid4().hex))
    if has_app_context():
        g.pop("pingyi_data_version", None)


def count_change(session):
    """Count one more change for a write run on the session's connection directly (which the session's events
    do not see), in its transaction."""
    _bump(session)


def _touches_data(objects, changed=False):
    """Whether writing `objects` changes data; `changed`: they are updated rows, whose changed columns tell."""
    for o in objects:
        table = getattr(o, "__table__", None)
        if table is None:
            continue
        if table.name in DATA_COLUMNS:
            if not changed or _changed_columns(o) & DATA_COLUMNS[table.name]:
                return True
        elif table.name not in IGNORED:
            return True
    return False


def _changed_columns(o):
    return {attr.key for attr in inspect(o).attrs if attr.history.has_changes()}


@event.listens_for(Session, "after_flush")
def _after_flush(session, flush_context):
    dirty = [o for o in session.dirty if session.is_modified(o, include_collections=False)]
    if _touches_data(session.new) or _touches_data(session.deleted) or _touches_data(dirty, changed=True):
        _bump(session)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _transaction_ended(session):
    session.info.pop("pingyi_wrote", None)
    if has_app_context():  # the next transaction reads the version afresh: others may have written meanwhile
        g.pop("pingyi_data_version", None)


@event.listens_for(Session, "do_orm_execute")
def _after_bulk(state):
    """session.execute(insert/update/delete(Model)…): run it, then bump when it wrote to a data table."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    table = getattr(state.statement, "table", None)
    if table is None or getattr(table, "name", None) in IGNORED:
        return None
    result = state.invoke_statement()
    _bump(state.session)
    return result


def _writing():
    """True while this request's transaction holds changes not yet committed (flushed, or still in the session)."""
    session = db.session()  # the request's own session, not the scoped proxy (asked on every kept value)
    return bool(session.info.get("pingyi_wrote") or session.new or session.deleted or session.dirty)


# Built once and run on the session's connection (its transaction, without the ORM's per-statement work): every
# page reads it, and building a statement costs more than running this one.
_VERSION = select(DataVersion.token, DataVersion.counter).where(DataVersion.id == 1)


def data_version():
    """'token:counter' of the data as this request's transaction sees it (read once per request)."""
    if has_app_context() and "pingyi_data_version" in g:
        return g.pingyi_data_version
    row = db.session.connection().execute(_VERSION).first()
    return _remember_version(row.token if row else None, row.counter if row else None)


def with_data_version(stmt):
    """`stmt` reading the data version too, as its last two columns: a statement every page runs anyway (the
    current campaign) saves the page the data version's own statement. Pass them to read_data_version()."""
    return stmt.add_columns(DataVersion.token, DataVersion.counter).outerjoin(DataVersion, DataVersion.id == 1)


def read_data_version(token, counter):
    """Take the data version read by a with_data_version() statement as this request's (unless read before)."""
    if has_app_context() and "pingyi_data_version" not in g:
        _remember_version(token, counter)


def _remember_version(token, counter):
    version = f"{token}:{counter}" if token is not None else "none:0"
    if has_app_context():
        g.pingyi_data_version = version
    return version


# ---- kept in this process ---------------------------------------------------------------------------

class Memo:
    """The values an app keeps in this process: the most recently used keys, at most MEMO_SIZE of them and
    about MEMO_BYTES in all (a kept page fragment counts its length, any other value 1 KB)."""

    def __init__(self):
        self.values, self.sizes, self.total, self.lock = OrderedDict(), {}, 0, threading.Lock()

    def get(self, key, work):
        with self.lock:
            if key in self.values:
                self.values.move_to_end(key)
                return self.values[key]
        value = work()
        size = _size(value)
        with self.lock:
            if key in self.values:
                self.total -= self.sizes[key]
            self.values[key], self.sizes[key] = value, size
            self.total += size
            while len(self.values) > MEMO_SIZE or (self.total > MEMO_BYTES and len(self.values) > 1):
                old, _ = self.values.popitem(last=False)
                self.total -= self.sizes.pop(old)
        return value


def _size(value):
    """About how much a kept value holds: the length of its text (also inside a tuple), else 1 KB."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if isinstance(value, tuple):
        return sum(_size(v) for v in value if isinstance(v, (str, bytes))) or 1024
    return 1024


def _memo():
    return current_app.extensions.setdefault("pingyi_memo", Memo())


def remembered(key, work):
    """work()'s value for `key` (which must include data_version()), worked out once per process and app."""
    return _memo().get(key, work)


def clock_stamp(clock):
    """The part of a kept value's key that follows the clock: '' (data only), the county's day or its hour."""
    if clock is None:
        return ""
    moment = now()  # the county's time (asked on every kept value: formatted without strftime)
    day = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
    return {"day": day, "hour": f"{day} {moment.hour:02d}"}[clock]


def kept(name, parts, work, clock="day"):
    """work()'s value kept in this process while the data is unchanged and, for clock "day" or "hour", until the
    county's day or hour turns (a value that counts overdue work follows the clock; clock=None: data only).
    `parts` name everything else the value depends on (campaign, the user's role and unit, filters, page).
    While this request holds uncommitted changes the value is worked out afresh and not kept. Keep plain data
    (numbers, strings, dicts of them, rendered HTML without forms): ORM objects outlive their session here."""
    if _writing():
        return work()
    return remembered((name, *parts, data_version(), clock_stamp(clock)), work)


CSRF_STAND_IN = f"@@csrf-{uuid.uuid4().hex}@@"  # drawn per process: no text typed by a user can be it


def kept_html(name, parts, render, clock="hour"):
    """HTML that render(csrf) gives, kept as kept() keeps values; render puts `csrf` where its forms' CSRF token
    goes, and the session's own token replaces it each time the HTML is served (a token is the session's, the
    rest is the same for every user the key's parts name). Returns (Markup, whatever else render returned)."""
    html, *rest = _as_tuple(kept(name, parts, lambda: render(CSRF_STAND_IN), clock))
    return (Markup(html.replace(CSRF_STAND_IN, generate_csrf())), *rest)


def _as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


def forget_all():
    """Empty this app's memo in this process (a test that reads the database's kept value)."""
    current_app.extensions["pingyi_memo"] = Memo()


# ---- the to-do count of the navigation --------------------------------------------------------------

def todo_queues(user, campaign):
    """The user's work queues [(label, count, url, level)] as notifications.todo gives them, worked out again when
    the data changes or the hour turns (queues such as 超期未签收 follow the clock)."""
    if campaign is None:
        return []
    return kept("todo", (user.id, user.role, user.unit_id, campaign.id), lambda: list(WORK["todo"](user, campaign)),
                clock="hour")


def todo_count(user, campaign):
    """The number beside 待办 on every page: the sum of the user's work queues."""
    return sum(count for _, count, _, _ in todo_queues(user, campaign))


# ---- a campaign's live results ----------------------------------------------------------------------

def results_marker(campaign):
    """What the live results depend on besides the data: the day (overdue rectifications count from it)."""
    return f"{data_version()}:{today().isoformat()}"


def cached_compute(campaign):
    """results.services.compute(campaign) as last worked out for the current data, with "computed_at" (UTC)
    added: from this process's memo, else the database's results_cache row, else computed and kept in both."""
    if _writing():
        return dict(_compute(campaign), computed_at=utcnow())
    marker = results_marker(campaign)
    return remembered(("results", campaign.id, marker), lambda: _stored_or_computed(campaign, marker))


def _compute(campaign):
    return WORK["results"](campaign)


def _stored_or_computed(campaign, marker):
    row = db.session.execute(select(ResultsCache.marker, ResultsCache.computed_at, ResultsCache.payload)
                             .where(ResultsCache.campaign_id == campaign.id, ResultsCache.marker == marker)).first()
    if row is not None:
        try:
            return dict(pickle.loads(row.payload), computed_at=row.computed_at)
        except Exception:  # a row written by an older version of the code: compute afresh
            log.warning("results cache of campaign %s unreadable, recomputing", campaign.id, exc_info=True)
    computed_at = utcnow()
    data = _compute(campaign)
    _store(campaign.id, marker, computed_at, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
    return dict(data, computed_at=computed_at)


def _store(campaign_id, marker, computed_at, payload):
    """Keep the results on a connection of its own, so the request's transaction is not committed with them;
    best effort: a busy database only means the next process computes them too."""
    if db.engine.url.database in (None, "", ":memory:"):
        return  # one in-memory database (tests): another connection would not be the same database
    table = ResultsCache.__table__
    try:
        with db.engine.begin() as connection:
            values = {"marker": marker, "computed_at": computed_at, "payload": payload}
            if not connection.execute(update(table).where(table.c.campaign_id == campaign_id).values(**values)).rowcount:
                connection.execute(insert(table).values(campaign_id=campaign_id, **values))
    except SQLAlchemyError:
        log.warning("could not keep the results of campaign %s", campaign_id, exc_info=True)
