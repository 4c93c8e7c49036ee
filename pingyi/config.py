"""Defaults; PINGYI_* environment variables (and DATABASE_URL) override them."""
import os
from datetime import timedelta
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def database_url():
    """DATABASE_URL selects PostgreSQL (postgresql+psycopg://...); SQLite in instance/ otherwise."""
    url = os.environ.get("DATABASE_URL")
    if url:
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://"):]
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    return f"sqlite:///{INSTANCE_DIR / 'pingyi.db'}"


class Config:
    SECRET_KEY = None
    SQLALCHEMY_DATABASE_URI = database_url()
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=30)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None
    WTF_I18N_ENABLED = False  # use WTForms' own zh translations (see pingyi/forms.py)
    UPLOAD_MAX_BYTES = 20 * 1024 * 1024  # one file; a request may carry up to 5 files
    UPLOAD_DIR = str(INSTANCE_DIR / "uploads")
    BACKUP_DIR = str(INSTANCE_DIR / "backups")  # PINGYI_BACKUP_DIR
    BACKUP_WARN_DAYS = 7
    JOBS_WORKER = None  # None: a worker thread in server processes, none in tests
    JOB_LEASE_SECONDS = 60
    JOB_POLL_SECONDS = 2
    JOB_MAX_ATTEMPTS = 3
    DOCUMENT_BATCH_PROCESSES = None  # builder processes of a document batch; None: one per core (1 in tests)
    IMPORT_MAX_ROWS = 5000  # data rows of one unit import
    IMPORT_MAX_BYTES = 5 * 1024 * 1024
    TIMEZONE = "Asia/Shanghai"
    LOGIN_MAX_FAILURES = 5  # per username: then waits of 1, 2, 4 … minutes
    LOGIN_ADDRESS_MAX_FAILURES = 20  # per client address, across usernames
    LOGIN_LOCK_MINUTES = 15  # the longest wait
    LOGIN_FAILURE_WINDOW_HOURS = 24  # older failures no longer count (they stay on record)
    SESSION_ABSOLUTE_HOURS = 12  # a sign-in lasts at most this long, however active
    HTTPS = False  # PINGYI_HTTPS=1: Secure cookies and HSTS (the site is served over HTTPS)
    TRUSTED_PROXIES = 0  # PINGYI_TRUSTED_PROXIES=N: behind N reverse proxies, take the client from X-Forwarded-For
    PAGE_SIZE = 20
    DEADLINE_WARN_DAYS = 10
    FEEDBACK_RECEIPT_DAYS = 5
    FOLLOW_UP_WORKING_DAYS = 5  # a 不满意 comment is verified (回访核实) within this many working days
    APPEAL_WORKING_DAYS = 10  # a unit may appeal a finding or a 不满意 follow-up within this many working days
    PUBLIC_MISS_LIMIT = 20  # /s/… pages: unknown codes per minute from one address before it waits a minute
    PASSWORD_HASH_METHOD = "scrypt"
    # Outbound messages (pingyi/outbound, README "Outbound messages"): a channel whose URL is empty is off,
    # and its messages are only logged.
    OUTBOUND_SMS_URL = ""  # PINGYI_OUTBOUND_SMS_URL: the SMS gateway's HTTP address
    OUTBOUND_SMS_METHOD = "POST"  # POST (body) or GET (body template appended as the query string)
    OUTBOUND_SMS_FORMAT = "json"  # json or form: how {phone}, {text}, {user}, {password} are escaped
    OUTBOUND_SMS_BODY = '{"mobile": "{phone}", "content": "{text}", "account": "{user}", "password": "{password}"}'
    OUTBOUND_SMS_USER = ""
    OUTBOUND_SMS_PASSWORD = ""
    OUTBOUND_SMS_AUTH_HEADER = ""  # e.g. "Bearer …": sent as the Authorization header when set
    OUTBOUND_SMS_OK_TEXT = ""  # when set, a reply must contain it to count as sent (besides HTTP 2xx)
    OUTBOUND_SMS_DELIVERED_TEXT = ""  # when set and found in the reply, the message counts as delivered
    OUTBOUND_WECOM_URL = ""  # 企业微信/政务微信 group robot webhook (…/cgi-bin/webhook/send?key=…)
    OUTBOUND_TIMEOUT = 10  # seconds per attempt
    OUTBOUND_MAX_ATTEMPTS = 5
    OUTBOUND_RETRY_SECONDS = 60  # back-off: 1, 2, 4, 8 … times this after each failure
    SMS_SIGNATURE = ""  # PINGYI_SMS_SIGNATURE, e.g. 【某县纠风办】: opens every survey text; default the office name
    SAMPLE_EXCLUDE_MONTHS = 12  # people sampled within this many months are left out of a new draw
