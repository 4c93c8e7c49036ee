"""The demo county's sign-in history: who signed in from where, a liaison who mistyped, an export."""
from datetime import datetime, time, timedelta

from sqlalchemy import update

from pingyi.audit.services import record_event
from pingyi.auth.models import LoginFailure, User
from pingyi.extensions import db
from pingyi.timeutil import TZ, acting_at, today, utcnow

OFFICE_PC = ("10.12.0.8", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/120.0.0.0 Safari/537.36")
POLICE_PC = ("10.12.3.21", "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/109.0.0.0 Safari/537.36 360SE")
EDUCATION_PHONE = ("10.12.7.54", "Mozilla/5.0 (Linux; Android 13; V2219A) AppleWebKit/537.36 (KHTML, like Gecko) "
                   "Chrome/116.0.0.0 Mobile Safari/537.36")


def _moment(days_ago, hour, minute):
    return datetime.combine(today() - timedelta(days=days_ago), time(hour, minute), tzinfo=TZ)


def _event(when, where, action, user, summary, username=None, after=None):
    with acting_at(when):
        entry = record_event(action, "user", user.id, summary, actor=user, username=username,
                             unit_id=user.unit_id, after=after)
        entry.remote_addr, entry.user_agent = where
        if action == "sign_in_failed":
            db.session.add(LoginFailure(username=user.username, remote_addr=where[0], at=utcnow()))
        if action == "sign_in":
            db.session.execute(update(User).where(User.id == user.id).values(last_login_at=utcnow()))


def load(accounts):
    office, police, education = accounts["office"], accounts["unit"], accounts["unit2"]
    who = lambda u: f"{u.display_name}（{u.username}）"  # noqa: E731
    _event(_moment(6, 8, 41), OFFICE_PC, "sign_in", office, f"{who(office)}登录")
    _event(_moment(6, 9, 2), OFFICE_PC, "export", office, "导出 单位名单.xlsx", after={"filename": "单位名单.xlsx"})
    _event(_moment(6, 11, 30), OFFICE_PC, "sign_out", office, f"{who(office)}退出登录", after={"sessions": 1})
    _event(_moment(3, 14, 5), POLICE_PC, "sign_in", police, f"{who(police)}登录")
    _event(_moment(2, 20, 17), EDUCATION_PHONE, "sign_in_failed", education,
           f"登录失败：{who(education)}，密码不正确或用户不存在", username=education.username)
    _event(_moment(2, 20, 18), EDUCATION_PHONE, "sign_in_failed", education,
           f"登录失败：{who(education)}，密码不正确或用户不存在", username=education.username)
    _event(_moment(2, 20, 19), EDUCATION_PHONE, "sign_in", education, f"{who(education)}登录")
    db.session.commit()
