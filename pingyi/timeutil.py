"""The county's clock: every date the product shows or compares is Asia/Shanghai."""
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
_moment = ContextVar("moment", default=None)


def now():
    """Aware current time in the county's time zone."""
    return (_moment.get() or datetime.now(timezone.utc)).astimezone(TZ)


def utcnow():
    """Naive UTC time for storage, the same on SQLite and PostgreSQL."""
    return now().astimezone(timezone.utc).replace(tzinfo=None)


@contextmanager
def acting_at(moment):
    """Record what happens inside the block as done at `moment` (the demo's history uses this)."""
    token = _moment.set(moment if moment.tzinfo else moment.replace(tzinfo=TZ))
    try:
        yield
    finally:
        _moment.reset(token)


def today():
    """Today's date in the county, which deadlines are compared with."""
    return now().date()


def same_day_in(d, year):
    """The same month and day in another year (29 February becomes the 28th)."""
    try:
        return d.replace(year=year)
    except ValueError:
        return d.replace(year=year, day=28)


def day_start(day):
    """Midnight of a county date, as a stored naive UTC datetime."""
    return datetime.combine(day, time(), tzinfo=TZ).astimezone(timezone.utc).replace(tzinfo=None)


def local(dt):
    """A stored naive UTC datetime as county time."""
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc).astimezone(TZ)


def cn_date(d):
    """2026年11月26日: Arabic numerals, full year, no zero padding (GB/T 9704)."""
    if d is None:
        return ""
    return f"{d.year}年{d.month}月{d.day}日"


def cn_datetime(dt):
    """A stored datetime as county time, e.g. 2026年11月26日 14:05."""
    if dt is None:
        return ""
    t = local(dt)
    return f"{cn_date(t)} {t:%H:%M}"
