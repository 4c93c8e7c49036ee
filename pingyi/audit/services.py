"""Write and read the audit log; every service that changes state calls record()."""
import json
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import inspect, select

from pingyi.audit.models import AuditEntry
from pingyi.exact import exact_text
from pingyi.extensions import db

SKIPPED = {"password_hash", "version", "created_at", "last_login_at"}


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (Fraction, Decimal)):  # exact scores and weights (pingyi.exact), kept exact
        return exact_text(value)
    return value


def snapshot(obj):
    """The model's column values as a JSON-ready dict (secrets and bookkeeping left out)."""
    return {c.key: _plain(getattr(obj, c.key)) for c in inspect(obj).mapper.column_attrs
            if c.key not in SKIPPED}


def record(action, obj, before=None, summary="", unit_id=None, actor=None, extra=None):
    """Add an audit entry for `obj`; `before` is the snapshot taken ahead of the change.

    Only changed fields are stored for updates. `extra` adds values that are not the object's columns
    (a questionnaire's questions, a tally's counts); `before` then carries them too. The caller commits
    with its own change, so the entry and the change land together or not at all.
    """
    db.session.flush()
    after = (snapshot(obj) | (extra or {})) if inspect(obj).persistent else {}
    if before:
        changed = [k for k in set(before) | set(after) if before.get(k) != after.get(k)]
        if action == "update" and not changed:
            return None
        old = {k: before.get(k) for k in sorted(changed)} if after else before
        new = {k: after.get(k) for k in sorted(changed)}
    else:
        old, new = {}, after
    user = actor
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user
    entry = AuditEntry(
        user_id=user.id if user else None,
        username=user.username if user else "system",
        action=action,
        object_type=type(obj).__tablename__,
        object_id=getattr(obj, "id", None),
        unit_id=unit_id,
        summary=summary[:300],
        before=json.dumps(old, ensure_ascii=False) if old else "",
        after=json.dumps(new, ensure_ascii=False) if new else "",
    )
    db.session.add(entry)
    return entry


def search_entries(q="", object_type="", unit_id=None, only_types=()):
    """Newest first, optionally filtered by text, object type or unit, or limited to `only_types`."""
    stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if only_types:
        stmt = stmt.where(AuditEntry.object_type.in_(only_types))
    if q:
        like = f"%{q}%"
        stmt = stmt.where(AuditEntry.summary.like(like) | AuditEntry.username.like(like))
    if object_type:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    if unit_id:
        stmt = stmt.where(AuditEntry.unit_id == unit_id)
    return stmt
