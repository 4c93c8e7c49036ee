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
    IMPORT_MAX_ROWS = 5000  # data rows of one unit import
    IMPORT_MAX_BYTES = 5 * 1024 * 1024
    TIMEZONE = "Asia/Shanghai"
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = 15
    PAGE_SIZE = 20
    DEADLINE_WARN_DAYS = 10
    FEEDBACK_RECEIPT_DAYS = 5
    PASSWORD_HASH_METHOD = "scrypt"
