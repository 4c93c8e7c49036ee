"""What the daily work adds to a unit's page: 催办 history, its years side by side, 回头看, the 一户一档."""
from pingyi import policy
from pingyi.appeals.services import unit_integrity
from pingyi.reminders import services as reminders
from pingyi.years import services


def unit_page(campaign, unit, user):
    """Template context for units/_daily_work.html; empty figures for those who may not see the unit's work."""
    if campaign is None or not policy.can_see_unit_work(user, unit.id, campaign):
        return {"history": [], "unit_years": [], "look_back": None, "may_dossier": False, "integrity": None}
    return {"integrity": unit_integrity(campaign, unit, user),  # appeals and comments (issue 17)
            "history": reminders.unit_history(campaign, unit), "unit_years": services.unit_years(unit),
            "look_back": services.look_back(campaign, unit),
            "may_dossier": user.role == "office" or (user.role == "unit" and user.unit_id == unit.id)}
