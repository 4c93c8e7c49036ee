"""Write and read the audit log; every service that changes state calls record().

Entries are only ever added: nothing in the app edits or deletes one (the model refuses it), and no
command purges them, so the log keeps at least the 180 days 等保 asks for — in fact every entry.
"""
import io
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from flask import has_request_context, request
from flask_login import current_user
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import inspect, or_, select
from sqlalchemy.orm import selectinload

from pingyi.audit.models import AuditEntry
from pingyi.exact import exact_text
from pingyi.extensions import db
from pingyi.timeutil import day_start, local, utcnow
from pingyi.xlsx import append_row

SKIPPED = {"password_hash", "version", "created_at", "last_login_at", "throttle_cleared_at"}
USER_AGENT_LENGTH = 200


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


def origin():
    """(source address, browser) of the current request; blanks outside a request.

    The address is the client's as the app sees it: behind a reverse proxy, PINGYI_TRUSTED_PROXIES makes
    the app take it from X-Forwarded-For (see create_app); otherwise that header is ignored.
    """
    if not has_request_context():
        return "", ""
    return (request.remote_addr or "")[:64], request.headers.get("User-Agent", "")[:USER_AGENT_LENGTH]


def _actor(actor):
    if actor is None and has_request_context() and current_user.is_authenticated:
        return current_user
    return actor


def record(action, obj, before=None, summary="", unit_id=None, actor=None, extra=None):
    """Add an audit entry for `obj`; `before` is the snapshot taken ahead of the change.

    Only changed fields are stored for updates. `extra` adds values that are not the object's columns
    (a questionnaire's questions, a tally's counts); `before` then carries them too. The caller commits
    with its own change, so the entry and the change land together or not at all.
    """
    state = inspect(obj)
    if not state.persistent or state.modified:  # an import's thousand saved rows need no flush each
        db.session.flush()
    after = (snapshot(obj) | (extra or {})) if state.persistent else {}
    if before:
        changed = [k for k in set(before) | set(after) if before.get(k) != after.get(k)]
        if action == "update" and not changed:
            return None
        old = {k: before.get(k) for k in sorted(changed)} if after else before
        new = {k: after.get(k) for k in sorted(changed)}
    else:
        old, new = {}, after
    return record_event(action, type(obj).__tablename__, getattr(obj, "id", None), summary, unit_id, actor,
                        before=old, after=new)


def record_event(action, object_type, object_id=None, summary="", unit_id=None, actor=None, username=None,
                 before=None, after=None):
    """Add an audit entry for something that is not an edit of a record: a sign-in, a download, an export.

    `actor` is who did it (the signed-in user by default); `username` overrides the name stored with it,
    e.g. the name typed into a failed sign-in. The caller commits.
    """
    user = _actor(actor)
    remote_addr, user_agent = origin()
    entry = AuditEntry(
        at=utcnow(),
        user_id=user.id if user else None,
        username=(username if username is not None else user.username if user else "system")[:64],
        action=action,
        object_type=object_type,
        object_id=object_id,
        unit_id=unit_id,
        summary=summary[:300],
        before=json.dumps(before, ensure_ascii=False, default=str) if before else "",
        after=json.dumps(after, ensure_ascii=False, default=str) if after else "",
        remote_addr=remote_addr,
        user_agent=user_agent,
    )
    db.session.add(entry)
    return entry


# Access, not changes: sign-ins and downloads belong on the audit page, not on a unit's history of its records.
ACCESS_ACTIONS = ("sign_in", "sign_in_failed", "sign_in_throttled", "sign_out", "end_session", "unlock",
                  "export", "download")


def search_entries(q="", object_type="", unit_id=None, only_types=(), user_id=None, action="",
                   date_from=None, date_to=None, with_access=False):
    """Newest first, filtered by text, object type, unit, person (who acted), action and county dates
    (both days included); `only_types` limits to some object types. Sign-ins, exports and downloads
    are included only `with_access` (the audit page), so a unit's timeline shows what changed."""
    stmt = (select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .options(selectinload(AuditEntry.user), selectinload(AuditEntry.unit)))
    if not with_access:
        stmt = stmt.where(AuditEntry.action.not_in(ACCESS_ACTIONS))
    if only_types:
        stmt = stmt.where(AuditEntry.object_type.in_(only_types))
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(AuditEntry.summary.like(like), AuditEntry.username.like(like),
                              AuditEntry.remote_addr.like(like)))
    if object_type:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    if unit_id:
        stmt = stmt.where(AuditEntry.unit_id == unit_id)
    if user_id:
        stmt = stmt.where(AuditEntry.user_id == user_id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if date_from:
        stmt = stmt.where(AuditEntry.at >= day_start(date_from))
    if date_to:
        stmt = stmt.where(AuditEntry.at < day_start(date_to + timedelta(days=1)))
    return stmt


EXPORT_LIMIT = 50000


def export_entries(entries, describe, what):
    """The entries as an .xlsx: one row each, every text cell neutralised against formulas."""
    book = Workbook()
    sheet = book.active
    sheet.title = "操作日志"
    header = ["时间（北京时间）", "操作人", "用户名", "操作", "对象编号", "单位", "内容", "修改前 → 修改后",
              "来源地址", "浏览器"]
    append_row(sheet, header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for e in entries:
        changes = "\n".join(f"{field}：{old + ' → ' if e.before else ''}{new}" for field, old, new in describe(e))
        row = [local(e.at).strftime("%Y-%m-%d %H:%M:%S"), e.user.display_name if e.user else "", e.username,
               what(e), e.object_id, e.unit.name if e.unit else "", e.summary, changes, e.remote_addr, e.user_agent]
        append_row(sheet, row)
    for column, width in zip("ABCDEFGHIJ", (20, 12, 14, 16, 9, 18, 40, 40, 16, 40)):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=2):
        row[7].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out
