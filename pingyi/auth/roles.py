"""Role names, their labels, and the decorator that admits only some roles."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

OFFICE = "office"
EVALUATOR = "evaluator"
SUPERVISOR = "supervisor"
LEADER = "leader"
UNIT = "unit"

ROLE_LABELS = {
    OFFICE: "纠风办",
    EVALUATOR: "评议组成员",
    SUPERVISOR: "义务监督员",
    LEADER: "县领导（只读）",
    UNIT: "单位联络员",
}
ROLES = tuple(ROLE_LABELS)
STAFF = (OFFICE, EVALUATOR, SUPERVISOR, LEADER)


def role_required(*roles):
    """Admit signed-in users whose role is one of `roles`; everyone else signed in gets 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
