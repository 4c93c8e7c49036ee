"""Who may do what: the one place that decides object-level access."""
from flask import abort
from flask_login import current_user

from pingyi.auth.roles import EVALUATOR, LEADER, OFFICE, SUPERVISOR, UNIT

MANAGE = (OFFICE,)
# Audit entries a unit must not read: who inspects it unannounced stays with the office.
HIDDEN_FROM_UNITS = ("supervisor_assignment",)
VIEW_ALL_UNITS = (OFFICE, EVALUATOR, SUPERVISOR, LEADER)


def can_view_unit(user, unit_id):
    """Staff roles see every unit; a unit liaison sees only its own."""
    if not user.is_authenticated:
        return False
    if user.role == UNIT:
        return user.unit_id == unit_id
    return user.role in VIEW_ALL_UNITS


def can_manage(user):
    """Only the 纠风办 changes campaign settings, units, groups, users and the checklist."""
    return user.is_authenticated and user.role in MANAGE


def require_unit(unit_id):
    """Abort with 404 unless the signed-in user may see this unit (404 hides whether it exists)."""
    if not can_view_unit(current_user, unit_id):
        abort(404)
