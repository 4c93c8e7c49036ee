"""Users, their role and unit binding, their sign-in sessions, and failed sign-ins for throttling."""
from datetime import datetime
from typing import Optional

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from pingyi.auth.roles import ROLE_LABELS, UNIT
from pingyi.extensions import db
from pingyi.timeutil import utcnow


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"), index=True)
    phone: Mapped[str] = mapped_column(String(40), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    last_login_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    # Failures before this moment no longer throttle the username (the office lifted the limit).
    throttle_cleared_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    unit = relationship("Unit", back_populates="users")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_active(self):
        return self.active

    @property
    def role_label(self):
        return ROLE_LABELS[self.role]

    @property
    def is_unit_user(self):
        return self.role == UNIT

    def set_password(self, password):
        self.password_hash = generate_password_hash(password, current_app.config["PASSWORD_HASH_METHOD"])

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)


class LoginFailure(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class UserSession(db.Model):
    """One sign-in: the browser holds the token in its session cookie, the server its hash.

    A session ends at sign-out, a password change or reset, deactivation, when the user ends it, or
    when it outlives the absolute or inactivity limit; an ended session never comes back, so a copied
    cookie stops working with it.
    """
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    ended_at: Mapped[Optional[datetime]] = mapped_column(DateTime, index=True)
    end_reason: Mapped[str] = mapped_column(String(20), default="")

    user = relationship("User")

    @property
    def end_reason_label(self):
        return END_REASONS.get(self.end_reason, self.end_reason)


END_REASONS = {
    "sign_out": "退出登录", "password": "修改密码", "reset": "管理员重置密码", "deactivated": "账号停用",
    "ended": "用户结束", "expired": "超过有效期", "idle": "长时间未操作",
}
