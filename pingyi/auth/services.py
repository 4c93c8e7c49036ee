"""Accounts: creation, passwords and their policy, sign-in with throttling, sessions that end."""
import hashlib
import math
import re
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from pingyi.audit.models import AuditEntry
from pingyi.audit.services import origin, record, record_event, snapshot
from pingyi.auth.models import LoginFailure, User, UserSession
from pingyi.auth.roles import ROLES, UNIT
from pingyi.errors import DomainError, check_version
from pingyi.extensions import db
from pingyi.timeutil import local, utcnow


class LoginThrottled(DomainError):
    pass


def password_problem(password):
    """The policy for real accounts: at least 8 characters with letters and digits."""
    if len(password or "") < 8:
        return "密码至少 8 位"
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        return "密码须同时包含字母和数字"
    return None


def _check_role_unit(role, unit_id):
    if role not in ROLES:
        raise DomainError("未知的角色")
    if role == UNIT and not unit_id:
        raise DomainError("单位联络员必须绑定所属单位")


def _check_unique(username, user_id=None):
    stmt = select(User.id).where(func.lower(User.username) == username.lower())
    existing = db.session.scalar(stmt)
    if existing and existing != user_id:
        raise DomainError(f"用户名“{username}”已存在")


def create_user(username, role, password, display_name=None, unit_id=None, phone="",
                is_demo=False, must_change=False):
    """Create an account; real accounts must satisfy the password policy, demo ones are exempt."""
    username = username.strip()
    _check_unique(username)
    _check_role_unit(role, unit_id)
    if not is_demo and (problem := password_problem(password)):
        raise DomainError(problem)
    user = User(username=username, display_name=display_name or username, role=role,
                unit_id=unit_id if role == UNIT else None, phone=phone, is_demo=is_demo,
                must_change_password=must_change)
    user.set_password(password)
    db.session.add(user)
    record("create", user, summary=f"新建用户 {username}（{user.role_label}）", unit_id=user.unit_id)
    db.session.commit()
    return user


def update_user(user, version, display_name, role, unit_id, phone, actor=None):
    """Change an account's name, role, unit binding and phone; nobody changes their own role."""
    check_version(user, version)
    _check_role_unit(role, unit_id)
    if actor is not None and actor.id == user.id and role != user.role:
        raise DomainError("不能修改自己的角色，以免失去管理权限；请由其他纠风办账号修改")
    before = snapshot(user)
    user.display_name, user.role, user.phone = display_name, role, phone
    user.unit_id = unit_id if role == UNIT else None
    record("update", user, before, summary=f"修改用户 {user.username}", unit_id=user.unit_id)
    db.session.commit()
    return user


def reset_password(user, password, actor=None):
    """An administrator sets a new password; the user must change it at the next sign-in, and every
    session the user has open ends."""
    if problem := password_problem(password):
        raise DomainError(problem)
    before = snapshot(user)
    user.set_password(password)
    user.must_change_password = True
    record("reset_password", user, before, summary=f"重置用户 {user.username} 的密码", actor=actor)
    _end_sessions(user, "reset")
    db.session.commit()


def change_password(user, old_password, new_password):
    """The user replaces their own password; every session of theirs ends (the caller starts a new one
    for the browser that changed it)."""
    if not user.check_password(old_password):
        raise DomainError("原密码不正确")
    if problem := password_problem(new_password):
        raise DomainError(problem)
    if old_password == new_password:
        raise DomainError("新密码不能与原密码相同")
    before = snapshot(user)
    user.set_password(new_password)
    user.must_change_password = False
    record("change_password", user, before, summary=f"用户 {user.username} 修改密码", actor=user)
    _end_sessions(user, "password")
    db.session.commit()


def set_user_active(user, active):
    """Deactivate (or reactivate) an account; deactivated users cannot sign in and their sessions end."""
    before = snapshot(user)
    user.active = active
    record("update", user, before, summary=f"{'启用' if active else '停用'}用户 {user.username}")
    if not active:
        _end_sessions(user, "deactivated")
    db.session.commit()


# --- Sessions -------------------------------------------------------------------------------------------

def _token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _absolute_limit():
    return timedelta(hours=float(current_app.config["SESSION_ABSOLUTE_HOURS"]))


def start_session(user):
    """Open a session for `user` from the current request; returns the token for the session cookie."""
    token = secrets.token_urlsafe(32)
    remote_addr, user_agent = origin()
    db.session.add(UserSession(token_hash=_token_hash(token), user_id=user.id, remote_addr=remote_addr,
                               user_agent=user_agent))
    db.session.commit()
    return token


# Built once: every signed-in request runs it, and building and keying a statement costs as much as running it.
# The session's columns are read as plain values (no object to build and track), its user as the object pages use.
_SESSION_ROW = (select(UserSession.id, UserSession.user_id, UserSession.ended_at, UserSession.created_at,
                       UserSession.last_seen_at, User).join(User, User.id == UserSession.user_id)
                .where(UserSession.token_hash == bindparam("token_hash")))


_SESSION_ROWS = {}  # _SESSION_ROW with what a caller reads in the same statement, built once per `also`
_SESSION_ROW_WIDTH = 6  # the session's five columns and its user: a caller's own columns come after them


def session_user(user_id, token, also=None, params=None, take=None):
    """The active user whose session `token` is still open, or None (ended, too old, idle, or not theirs).

    Checked on every request, so an ended session is refused even from a copied cookie. A session older
    than SESSION_ABSOLUTE_HOURS, or unused for the inactivity limit, is ended here.
    `also(statement)`: the statement reading more columns after the session's, so that a request's other
    first read costs no statement of its own; `params` are its parameters and `take(*values)` gets those
    columns' values when the session's row was found.
    """
    if not token or not user_id:
        return None
    statement = _SESSION_ROW
    if also is not None:
        statement = _SESSION_ROWS.get(also)
        if statement is None:
            statement = _SESSION_ROWS.setdefault(also, also(_SESSION_ROW))
    current = db.session.execute(statement, {"token_hash": _token_hash(token), **(params or {})}).first()
    if current is not None and take is not None:
        take(*current[_SESSION_ROW_WIDTH:])
    if current is None or current.ended_at is not None or str(current.user_id) != str(user_id):
        return None
    now = utcnow()
    if now - current.created_at >= _absolute_limit():
        _end(current, "expired")
        return None
    if now - current.last_seen_at >= current_app.config["PERMANENT_SESSION_LIFETIME"]:
        _end(current, "idle")
        return None
    user = current.User
    if not user.active:
        return None
    if now - current.last_seen_at >= timedelta(minutes=1):  # one write a minute, not one a request
        db.session.execute(update(UserSession).where(UserSession.id == current.id).values(last_seen_at=now))
        db.session.commit()
    return user


def _end(user_session, reason):
    db.session.execute(update(UserSession).where(UserSession.id == user_session.id, UserSession.ended_at.is_(None))
                       .values(ended_at=utcnow(), end_reason=reason))
    db.session.commit()


def _end_sessions(user, reason, keep_id=None):
    """End every open session of `user` (but `keep_id`); the caller commits. Returns how many ended."""
    stmt = update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    if keep_id is not None:
        stmt = stmt.where(UserSession.id != keep_id)
    return db.session.execute(stmt.values(ended_at=utcnow(), end_reason=reason)).rowcount


def current_session(user, token):
    if not token:
        return None
    return db.session.scalar(select(UserSession).where(UserSession.token_hash == _token_hash(token),
                                                       UserSession.user_id == user.id))


def open_sessions(user):
    """The user's sessions that still work, newest first."""
    now = utcnow()
    return db.session.scalars(select(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None),
        UserSession.created_at > now - _absolute_limit(),
        UserSession.last_seen_at > now - current_app.config["PERMANENT_SESSION_LIFETIME"])
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())).all()


def sign_out(user):
    """Sign-out ends every session of the user, on every device and every copy of its cookie."""
    count = _end_sessions(user, "sign_out")
    record_event("sign_out", "user", user.id, f"{user.display_name}（{user.username}）退出登录", actor=user,
                 unit_id=user.unit_id, after={"sessions": count})
    db.session.commit()


def end_session(user, session_id):
    """The user ends one of their own sessions (another browser or device)."""
    target = db.session.get(UserSession, session_id)
    if target is None or target.user_id != user.id or target.ended_at is not None:
        raise DomainError("该会话不存在或已结束")
    _end(target, "ended")
    record_event("end_session", "user_session", target.id, f"{user.display_name}结束自己的一个登录会话",
                 actor=user, unit_id=user.unit_id,
                 after={"remote_addr": target.remote_addr, "user_agent": target.user_agent})
    db.session.commit()


def end_other_sessions(user, keep_token):
    """The user ends every session but the one they are using."""
    keep = current_session(user, keep_token)
    count = _end_sessions(user, "ended", keep.id if keep else None)
    record_event("end_session", "user_session", None, f"{user.display_name}结束其他所有登录会话（{count} 个）",
                 actor=user, unit_id=user.unit_id, after={"sessions": count})
    db.session.commit()
    return count


# --- Sign-in and throttling -----------------------------------------------------------------------------

_dummy_hashes = {}


def _dummy_hash():
    """A hash of the configured method for a password nobody knows: checking an unknown username against
    it takes as long as checking a real account, so the answer's timing does not tell which exist."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _dummy_hashes:
        _dummy_hashes[method] = generate_password_hash(secrets.token_hex(16), method)
    return _dummy_hashes[method]


def _find_user(username):
    return db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def _delay(failures, threshold):
    """Minutes to wait after `failures` counted failures: 1, 2, 4 … from the threshold on, capped."""
    if failures < threshold:
        return 0
    return min(2 ** (failures - threshold), current_app.config["LOGIN_LOCK_MINUTES"])


def _failures_since(condition, since):
    rows = db.session.execute(select(func.count(LoginFailure.id), func.max(LoginFailure.at))
                              .where(condition, LoginFailure.at > since)).one()
    return rows[0], rows[1]


def _window_start():
    return utcnow() - timedelta(hours=current_app.config["LOGIN_FAILURE_WINDOW_HOURS"])


def _username_failures(username, user):
    """Failures for this username since its last good sign-in (or the office lifting the limit)."""
    since = max(t for t in (_window_start(), user and user.last_login_at, user and user.throttle_cleared_at) if t)
    return _failures_since(func.lower(LoginFailure.username) == username.lower(), since)


def _address_failures(remote_addr):
    """Failures from this address, across all usernames, since its last good sign-in."""
    last_good = db.session.scalar(select(func.max(AuditEntry.at)).where(
        AuditEntry.action == "sign_in", AuditEntry.remote_addr == remote_addr))
    since = max(t for t in (_window_start(), last_good) if t)
    return _failures_since(LoginFailure.remote_addr == remote_addr, since)


def throttle(username, remote_addr, user=None):
    """(until, failures) — until is the stored UTC time before which sign-in is refused, or None.

    A username waits 1, 2, 4 … minutes (at most LOGIN_LOCK_MINUTES) once it has LOGIN_MAX_FAILURES
    failures; an address failing across usernames waits the same way from LOGIN_ADDRESS_MAX_FAILURES.
    Failed attempts while waiting are refused without counting, so nobody can push another person's
    account further than the cap.
    """
    config = current_app.config
    count, last = _username_failures(username, user)
    until = last + timedelta(minutes=_delay(count, config["LOGIN_MAX_FAILURES"])) if count else None
    if remote_addr:
        by_address, last_from = _address_failures(remote_addr)
        wait = _delay(by_address, config["LOGIN_ADDRESS_MAX_FAILURES"])
        if wait and (until is None or last_from + timedelta(minutes=wait) > until):
            until = last_from + timedelta(minutes=wait)
    if until is not None and until <= utcnow():
        until = None
    return until, count


def wait_message(until):
    minutes = max(1, math.ceil((until - utcnow()).total_seconds() / 60))
    return f"登录失败次数过多，请 {minutes} 分钟后再试（{local(until):%H:%M} 后可以再次登录）"


def authenticate(username, password):
    """Return the user for a correct username and password; throttle repeated failures.

    Failures are counted per username, whether or not the account exists, and per address, so the
    throttle does not reveal which usernames are real; an unknown username is checked against a dummy
    hash so it answers as slowly as a real one. Every attempt is audited; failure records are kept.
    """
    username = (username or "").strip()[:64]
    remote_addr, _ = origin()
    user = _find_user(username)
    who = f"用户名 {username}" if user is None else f"{user.display_name}（{user.username}）"
    until, _ = throttle(username, remote_addr, user)
    if until is not None:
        record_event("sign_in_throttled", "user", user.id if user else None, f"登录受限：{who}",
                     actor=user, username=username, unit_id=user.unit_id if user else None,
                     after={"reason": f"须等待至 {local(until):%H:%M}"})
        db.session.commit()
        raise LoginThrottled(wait_message(until))
    ok = check_password_hash(user.password_hash if user else _dummy_hash(), password or "")
    if not ok:
        db.session.add(LoginFailure(username=username, remote_addr=remote_addr))
        record_event("sign_in_failed", "user", user.id if user else None, f"登录失败：{who}，密码不正确或用户不存在",
                     actor=user, username=username, unit_id=user.unit_id if user else None)
        db.session.commit()
        until, count = throttle(username, remote_addr, user)
        if until is not None:
            raise LoginThrottled(wait_message(until))
        left = current_app.config["LOGIN_MAX_FAILURES"] - count
        raise DomainError(f"用户名或密码不正确（再失败 {left} 次须等待 1 分钟后才能再试）")
    if not user.active:
        record_event("sign_in_failed", "user", user.id, f"登录失败：{who}，账号已停用", actor=user,
                     unit_id=user.unit_id)
        db.session.commit()
        raise DomainError("该账号已停用，请联系县纠风办")
    # A Core UPDATE: signing in is not an edit, so it must not make an open edit form stale.
    db.session.execute(update(User).where(User.id == user.id).values(last_login_at=utcnow()))
    record_event("sign_in", "user", user.id, f"{who}登录", actor=user, unit_id=user.unit_id)
    db.session.commit()
    return user


def clear_throttle(user, actor):
    """The office lets a throttled user sign in again at once (earlier failures stay on record)."""
    until, count = throttle(user.username, "", user)
    db.session.execute(update(User).where(User.id == user.id).values(throttle_cleared_at=utcnow()))
    record_event("unlock", "user", user.id, f"解除用户 {user.username} 的登录限制", actor=actor,
                 unit_id=user.unit_id, after={"failures": count})
    db.session.commit()
