"""A unit's page (/units/<id>, endpoint units.show): the unit, its year's tasks, rectifications, documents,
timeline and figures across years. It draws on every area, so it lives up here, on the units blueprint."""
from flask import render_template
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from pingyi import policy
from pingyi.audit.models import AuditEntry
from pingyi.audit.services import search_entries
from pingyi.auth.models import User
from pingyi.auth.roles import UNIT
from pingyi.cache.services import kept_html
from pingyi.campaigns import services as campaign_services
from pingyi.documents import services as document_services
from pingyi.extensions import db
from pingyi.rectifications import services as rectification_services
from pingyi.tasks import services as task_services
from pingyi.units.kept import render_for_keeping
from pingyi.units.models import Unit
from pingyi.units.views import bp
from pingyi.years.unit_page import unit_page


@bp.get("/units/<int:unit_id>")
@login_required
def show(unit_id):
    policy.require_unit(unit_id)
    campaign = campaign_services.current_campaign()
    work = policy.can_see_unit_work(current_user, unit_id, campaign)
    # What the page shows depends on the viewer only through the role and whether they see the unit's work (a
    # liaison sees only its own unit, require_unit above): kept per (campaign, unit, role, work) while the data
    # and the day (overdue tasks, the current phase) are unchanged.
    body, title = kept_html("unit-page", (campaign.id if campaign else None, unit_id, current_user.role, work),
                            lambda csrf: _body(csrf, unit_id, campaign, work), clock="day")
    return render_template("units/show_page.html", body=body, title=title)


def _body(csrf, unit_id, campaign, work):
    unit = db.get_or_404(Unit, unit_id)
    part = campaign_services.participation(campaign, unit) if campaign else None
    liaisons = db.session.scalars(select(User).where(User.unit_id == unit.id, User.role == UNIT)).all()
    only = policy.UNIT_TIMELINE if current_user.role == UNIT else () if work else ("unit", "participation")
    timeline = db.session.scalars(search_entries(unit_id=unit.id, only_types=only).limit(50)
                                  .options(selectinload(AuditEntry.user))).all()
    tasks = task_services.unit_tasks(campaign, unit) if campaign and part else []
    story = rectification_services.unit_story(campaign, unit) if campaign and work else []
    letter = rectification_services.letter_for(campaign, unit) if campaign else None
    issued = document_services.issued_documents(campaign, unit.id, limit=20) if campaign and work else []
    html = render_for_keeping(csrf, "units/show.html", unit=unit, campaign=campaign, part=part, liaisons=liaisons,
                              timeline=timeline, tasks=tasks, story=story, letter=letter, issued=issued, work=work,
                              r_states={i.rectification.id: rectification_services.rect_state(i.rectification)
                                        for i in story if i.rectification},
                              phase=campaign_services.current_phase(campaign) if campaign else None,
                              **unit_page(campaign, unit, current_user))
    return html, unit.name
