"""Accounts: creation, passwords and their policy, sign-in with throttling."""
import re
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update

from pingyi.audit.services import record, snapshot
from pingyi.auth.models import LoginFailure, User
from pingyi.auth.roles import ROLES, UNIT
from pingyi.errors import DomainError, check_version
from pingyi.extensions import db
from pingyi.timeutil import utcnow


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


def reset_password(user, password):
    """An administrator sets a new password; the user must change it at the next sign-in."""
    if problem := password_problem(password):
        raise DomainError(problem)
    before = snapshot(user)
    user.set_password(password)
    user.must_change_password = True
    record("reset_password", user, before, summary=f"重置用户 {user.username} 的密码")
    db.session.commit()


def change_password(user, old_password, new_password):
    """The user replaces their own password."""
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
    db.session.commit()


def set_user_active(user, active):
    """Deactivate (or reactivate) an account; deactivated users cannot sign in."""
    before = snapshot(user)
    user.active = active
    record("update", user, before, summary=f"{'启用' if active else '停用'}用户 {user.username}")
    db.session.commit()


def _recent_failures(username):
    window = utcnow() - timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
    stmt = select(func.count(LoginFailure.id)).where(
        func.lower(LoginFailure.username) == username.lower(), LoginFailure.at >= window)
    return db.session.scalar(stmt)


def authenticate(username, password, remote_addr=""):
    """Return the user for a correct username and password; throttle repeated failures.

    Failures are counted per username over the lock window, whether or not the account
    exists, so the throttle does not reveal which usernames are real.
    """
    username = (username or "").strip()
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    minutes = current_app.config["LOGIN_LOCK_MINUTES"]
    if _recent_failures(username) >= limit:
        raise LoginThrottled(f"登录失败次数过多，该账号已暂时锁定，请 {minutes} 分钟后再试")
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None or not user.check_password(password or ""):
        db.session.add(LoginFailure(username=username[:64], remote_addr=remote_addr[:64]))
        db.session.commit()
        left = limit - _recent_failures(username)
        if left <= 0:
            raise LoginThrottled(f"登录失败次数过多，该账号已暂时锁定，请 {minutes} 分钟后再试")
        raise DomainError(f"用户名或密码不正确（再失败 {left} 次将锁定 {minutes} 分钟）")
    if not user.active:
        raise DomainError("该账号已停用，请联系县纠风办")
    db.session.execute(delete(LoginFailure).where(func.lower(LoginFailure.username) == username.lower()))
    # A Core UPDATE: signing in is not an edit, so it must not make an open edit form stale.
    db.session.execute(update(User).where(User.id == user.id).values(last_login_at=utcnow()))
    db.session.commit()
    return user
