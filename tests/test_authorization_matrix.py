"""Every route × every role × own/other unit: who gets in, who gets 403/404, who is sent to sign in."""
import pytest
from flask import url_for
from sqlalchemy import select

from pingyi.auth.models import UserSession
from pingyi.campaigns.models import Category
from pingyi.campaigns.services import current_campaign
from pingyi.checklists.services import dimensions
from pingyi.extensions import db
from pingyi.feedback.models import FeedbackNotice
from pingyi.findings.models import Inspection, Opinion
from pingyi.rectifications.models import Extension, Rectification
from pingyi.tasks.models import Submission
from pingyi.tasks.services import campaign_tasks
from tests.conftest import user

ANON, OFFICE, EVALUATOR, SUPERVISOR, LEADER, UNIT_OWN, UNIT_OTHER = (
    "anonymous", "office", "evaluator", "supervisor", "leader", "unit-own", "unit-other")
STAFF = {OFFICE, EVALUATOR, SUPERVISOR, LEADER}
EVERYONE = STAFF | {UNIT_OWN, UNIT_OTHER}

# endpoint -> (methods, roles admitted). A unit-scoped route admits UNIT_OWN but not UNIT_OTHER.
MATRIX = {
    "auth.login": ({"GET", "POST"}, EVERYONE | {ANON}),
    "auth.logout": ({"POST"}, EVERYONE),
    "auth.password": ({"GET", "POST"}, EVERYONE),
    "auth.sessions": ({"GET"}, EVERYONE),
    "auth.end_session": ({"POST"}, EVERYONE),  # only one's own sessions end (service-checked)
    "auth.end_other_sessions": ({"POST"}, EVERYONE),
    "dashboard.index": ({"GET"}, EVERYONE),
    "dashboard.home": ({"GET"}, EVERYONE),
    "units.index": ({"GET"}, EVERYONE),  # a unit user is redirected to its own page
    "units.show": ({"GET"}, STAFF | {UNIT_OWN}),
    "units.export": ({"GET"}, STAFF),
    "units.create": ({"GET", "POST"}, {OFFICE}),
    "units.edit": ({"GET", "POST"}, {OFFICE}),
    "units.set_active": ({"POST"}, {OFFICE}),
    "units.participation": ({"POST"}, {OFFICE}),
    "units.import_units": ({"GET", "POST"}, {OFFICE}),
    "units.confirm_import": ({"POST"}, {OFFICE}),
    "campaigns.categories_page": ({"GET"}, {OFFICE}),
    "campaigns.create_category": ({"POST"}, {OFFICE}),
    "campaigns.save_category": ({"POST"}, {OFFICE}),
    "campaigns.move_category": ({"POST"}, {OFFICE}),
    "campaigns.settings": ({"GET", "POST"}, {OFFICE}),
    "years.start": ({"POST"}, {OFFICE}),
    "campaigns.groups": ({"GET"}, {OFFICE}),
    "campaigns.create_group": ({"POST"}, {OFFICE}),
    "campaigns.edit_group": ({"GET", "POST"}, {OFFICE}),
    "campaigns.delete_group": ({"POST"}, {OFFICE}),
    "campaigns.create_member": ({"POST"}, {OFFICE}),
    "campaigns.edit_member": ({"GET", "POST"}, {OFFICE}),
    "campaigns.delete_member": ({"POST"}, {OFFICE}),
    "checklists.index": ({"GET"}, {OFFICE}),
    "checklists.create_dimension": ({"POST"}, {OFFICE}),
    "checklists.edit_dimension": ({"GET", "POST"}, {OFFICE}),
    "checklists.delete_dimension": ({"POST"}, {OFFICE}),
    "checklists.move_dimension": ({"POST"}, {OFFICE}),
    "checklists.create_item": ({"POST"}, {OFFICE}),
    "checklists.edit_item": ({"GET", "POST"}, {OFFICE}),
    "checklists.delete_item": ({"POST"}, {OFFICE}),
    "checklists.move_item": ({"POST"}, {OFFICE}),
    "users.index": ({"GET"}, {OFFICE}),
    "users.create": ({"GET", "POST"}, {OFFICE}),
    "users.edit": ({"GET", "POST"}, {OFFICE}),
    "users.reset_password": ({"POST"}, {OFFICE}),
    "users.set_active": ({"POST"}, {OFFICE}),
    "users.supervised_units": ({"POST"}, {OFFICE}),
    "users.unlock": ({"POST"}, {OFFICE}),
    "audit.index": ({"GET"}, {OFFICE, LEADER}),
    "audit.export": ({"GET"}, {OFFICE, LEADER}),
    "board.index": ({"GET"}, EVERYONE),
    "board.show": ({"GET"}, EVERYONE),  # staff see every unit's status; a unit its own submission
    "board.submit": ({"POST"}, {UNIT_OWN, UNIT_OTHER}),  # always for the liaison's own unit
    "board.confirm": ({"POST"}, {OFFICE}),
    "board.return_": ({"POST"}, {OFFICE}),
    "board.confirm_many": ({"POST"}, {OFFICE}),
    "board.set_done": ({"POST"}, {OFFICE}),
    "board.create": ({"GET", "POST"}, {OFFICE}),
    "board.edit": ({"GET", "POST"}, {OFFICE}),
    "board.delete": ({"POST"}, {OFFICE}),
    "board.move": ({"POST"}, {OFFICE}),
    "board.download": ({"GET"}, STAFF | {UNIT_OWN}),
    "board.image": ({"GET"}, STAFF | {UNIT_OWN}),
    "unit_checklists.show": ({"GET"}, STAFF | {UNIT_OWN}),  # evaluators/supervisors: their units (县公安局 is)
    "unit_checklists.row": ({"GET"}, STAFF | {UNIT_OWN}),
    "unit_checklists.edit": ({"GET"}, {OFFICE, EVALUATOR, SUPERVISOR}),  # the evaluators' side ("review")
    "unit_checklists.save": ({"POST"}, {OFFICE, EVALUATOR, SUPERVISOR}),
    "findings.index": ({"GET"}, EVERYONE),  # a unit sees its own confirmed findings only
    "findings.create": ({"GET", "POST"}, {OFFICE, EVALUATOR, SUPERVISOR}),
    "findings.finding_row": ({"GET"}, {OFFICE, EVALUATOR, SUPERVISOR}),
    "findings.show_inspection": ({"GET"}, STAFF),
    "findings.edit_inspection": ({"GET", "POST"}, {OFFICE, EVALUATOR, SUPERVISOR}),
    "findings.delete_inspection": ({"POST"}, {OFFICE, EVALUATOR, SUPERVISOR}),
    "findings.confirm": ({"POST"}, {OFFICE}),
    "findings.dismiss": ({"POST"}, {OFFICE}),
    "findings.merge": ({"POST"}, {OFFICE}),
    "findings.review_opinion": ({"POST"}, {OFFICE}),
    "findings.export": ({"GET"}, STAFF),
    "findings.matrix": ({"GET"}, STAFF),
    "dashboard.notifications": ({"GET"}, EVERYONE),
    "feedback.index": ({"GET"}, EVERYONE),  # a unit sees its own notices only
    "feedback.compile_": ({"POST"}, {OFFICE}),
    "feedback.show": ({"GET"}, STAFF | {UNIT_OWN}),
    "feedback.preview": ({"GET"}, STAFF | {UNIT_OWN}),
    "feedback.save": ({"POST"}, {OFFICE}),
    "feedback.regenerate_overall": ({"POST"}, {OFFICE}),
    "feedback.add_item": ({"POST"}, {OFFICE}),
    "feedback.save_item": ({"POST"}, {OFFICE}),
    "feedback.delete_item": ({"POST"}, {OFFICE}),
    "feedback.send": ({"POST"}, {OFFICE}),
    "feedback.delete": ({"POST"}, {OFFICE}),
    "feedback.revise": ({"POST"}, {OFFICE}),
    "feedback.receive": ({"POST"}, {UNIT_OWN}),
    "rectifications.index": ({"GET"}, EVERYONE),
    "rectifications.answer": ({"GET", "POST"}, {UNIT_OWN}),
    "rectifications.show": ({"GET"}, STAFF | {UNIT_OWN}),
    "rectifications.add_update": ({"POST"}, {UNIT_OWN}),
    "rectifications.verify": ({"POST"}, {OFFICE}),
    "rectifications.recheck": ({"POST"}, {OFFICE, SUPERVISOR}),
    "rectifications.request_extension": ({"POST"}, {UNIT_OWN}),
    "rectifications.decide_extension": ({"POST"}, {OFFICE}),
    "rectifications.commitment": ({"GET"}, STAFF | {UNIT_OWN}),
    "rectifications.submit_commitment": ({"POST"}, {UNIT_OWN}),
    "rectifications.file_commitment": ({"POST"}, {OFFICE}),
    "documents.index": ({"GET"}, {OFFICE, LEADER, UNIT_OWN, UNIT_OTHER}),  # a unit goes to its own page
    "documents.notice": ({"GET"}, EVERYONE),  # units are its addressees
    "documents.unit_document": ({"GET"}, STAFF | {UNIT_OWN}),
    "documents.issue_letter": ({"POST"}, {OFFICE}),
    "documents.preview": ({"GET"}, {OFFICE, LEADER}),
    "documents.unit_preview": ({"GET"}, {OFFICE, LEADER}),
    "documents.page_image": ({"GET"}, {OFFICE, LEADER}),
    "documents.download": ({"GET"}, STAFF | {UNIT_OWN}),
    "documents.create_batch": ({"POST"}, {OFFICE}),
    "documents.batch": ({"GET"}, {OFFICE, LEADER}),
    "documents.batch_download": ({"GET"}, {OFFICE, LEADER}),
    "documents.cancel_batch": ({"POST"}, {OFFICE}),
    "backups.index": ({"GET"}, {OFFICE}),
    "backups.create": ({"POST"}, {OFFICE}),
    "backups.download": ({"GET"}, {OFFICE}),
    "health.healthz": ({"GET"}, EVERYONE | {ANON}),
    "documents.bulletin": ({"GET"}, EVERYONE),  # units are its addressees
    "surveys.index": ({"GET"}, {OFFICE, SUPERVISOR, LEADER}),
    "surveys.setup": ({"GET"}, {OFFICE}),
    "years.set_up_scoring_defaults": ({"POST"}, {OFFICE}),
    "surveys.save_options": ({"POST"}, {OFFICE}),
    "surveys.save_types": ({"POST"}, {OFFICE}),
    "surveys.questionnaire": ({"GET", "POST"}, {OFFICE}),
    "surveys.tally": ({"GET", "POST"}, {OFFICE, SUPERVISOR}),  # a supervisor: the units assigned (县公安局 is)
    "surveys.ballots": ({"GET", "POST"}, {OFFICE, SUPERVISOR}),
    "surveys.delete_ballot": ({"POST"}, {OFFICE, SUPERVISOR}),
    "surveys.issue_codes": ({"POST"}, {OFFICE}),
    "surveys.issuance_page": ({"GET", "POST"}, {OFFICE}),
    "surveys.issuance_import": ({"POST"}, {OFFICE}),
    "surveys.code_sheet": ({"GET"}, {OFFICE}),
    "surveys.answer": ({"GET", "POST"}, EVERYONE | {ANON}),  # the public questionnaire: a one-time code, no account
    "reach.pools": ({"GET"}, {OFFICE}),  # registers, draws and calls: the office only, never units or supervisors
    "reach.create_pool": ({"POST"}, {OFFICE}),
    "reach.pool": ({"GET"}, {OFFICE}),
    "reach.import_register": ({"POST"}, {OFFICE}),
    "reach.export_register": ({"GET"}, {OFFICE}),
    "reach.new_draw": ({"GET", "POST"}, {OFFICE}),
    "reach.draw": ({"GET"}, {OFFICE}),
    "reach.send_links": ({"POST"}, {OFFICE}),
    "reach.remind": ({"POST"}, {OFFICE}),
    "reach.redraw": ({"POST"}, {OFFICE}),
    "reach.slips": ({"GET"}, {OFFICE}),
    "reach.calls": ({"GET"}, {OFFICE}),
    "reach.record_call": ({"POST"}, {OFFICE}),
    "outbound.index": ({"GET"}, {OFFICE}),
    "outbound.retry": ({"POST"}, {OFFICE}),
    "results.index": ({"GET"}, EVERYONE),  # a unit: its own published result (and the ranking if published to it)
    "results.unit": ({"GET"}, STAFF | {UNIT_OWN}),
    "results.publish": ({"POST"}, {OFFICE}),
    "results.check": ({"GET"}, {OFFICE}),
    "results.export": ({"GET"}, STAFF),
    "results.settings": ({"GET", "POST"}, {OFFICE}),
    "results.example": ({"POST"}, {OFFICE}),
    "results.direct_scores": ({"GET", "POST"}, {OFFICE}),
    "results.import_direct": ({"POST"}, {OFFICE}),
    "results.direct_template": ({"GET"}, {OFFICE}),
    "todo.index": ({"GET"}, EVERYONE),  # each role its own queues
    "todo.confirm_materials": ({"POST"}, {OFFICE}),
    "todo.return_material": ({"POST"}, {OFFICE}),
    "overview.index": ({"GET"}, {OFFICE, LEADER}),
    "reminders.index": ({"GET"}, {OFFICE, LEADER}),
    "reminders.record": ({"POST"}, {OFFICE}),
    "reminders.notice": ({"POST"}, {OFFICE}),
    "reminders.unit_history": ({"GET"}, STAFF | {UNIT_OWN}),  # a unit: only its own reminders
    "years.index": ({"GET"}, EVERYONE),
    "years.show": ({"GET"}, EVERYONE),  # a unit sees its own result and documents of that year
    "dossier.show": ({"GET"}, {OFFICE, UNIT_OWN}),  # a unit: only its own dossier
    "dossier.download": ({"GET"}, {OFFICE, UNIT_OWN}),
    "dossier.batch": ({"POST"}, {OFFICE}),
    "anomalies.index": ({"GET"}, {OFFICE}),  # units never see anomalies
    "anomalies.scan": ({"POST"}, {OFFICE}),
    "anomalies.show": ({"GET"}, {OFFICE}),
    "anomalies.decide": ({"POST"}, {OFFICE}),
    "appeals.index": ({"GET"}, {OFFICE, LEADER, UNIT_OWN, UNIT_OTHER}),  # a unit: only its own appeals and comments
    "appeals.new": ({"GET", "POST"}, {UNIT_OWN}),  # a unit appeals only its own findings and 不满意 comments
    "appeals.show": ({"GET"}, {OFFICE, LEADER, UNIT_OWN}),
    "appeals.decide": ({"POST"}, {OFFICE}),
    "appeals.verify": ({"POST"}, {OFFICE}),
    "appeals.reply": ({"POST"}, {UNIT_OWN}),
    "appeals.comment_status": ({"GET"}, EVERYONE | {ANON}),  # public: the query code is the key
}
# Office goes last so that its state changes cannot hide another role's refusal.
ORDER = (ANON, UNIT_OTHER, UNIT_OWN, EVALUATOR, SUPERVISOR, LEADER, OFFICE)


def _routes(app):
    return {rule.endpoint: rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"}


def test_every_route_is_in_the_matrix(app):
    routes = _routes(app)
    assert set(routes) == set(MATRIX), "add new routes to MATRIX with the roles they admit"
    for endpoint, rule in routes.items():
        assert rule.methods - {"HEAD", "OPTIONS"} == MATRIX[endpoint][0], endpoint


def _url(app, rule, role):
    campaign = current_campaign()
    own, other = user("unit").unit_id, user("unit2").unit_id
    dim = dimensions(campaign.id)[0]
    group = campaign.groups[0]
    unit_id = other if role == UNIT_OTHER else own
    task = next(t for t in campaign_tasks(campaign.id) if t.requires_file)
    submission = db.session.scalar(select(Submission).where(Submission.unit_id == unit_id,
                                                            Submission.task_id == task.id))
    police_inspection = db.session.scalar(select(Inspection).where(Inspection.unit_id == own,
                                                                   Inspection.campaign_id == campaign.id)
                                          .order_by(Inspection.id))
    values = {"unit_id": unit_id, "scope": "campaign", "dim_id": dim.id,
              "item_id": dim.items[0].id, "group_id": group.id, "member_id": group.members[-1].id,
              "user_id": user("unit2").id, "task_id": task.id, "submission_id": submission.id,
              "file_id": submission.current_files[0].id, "kind": "review", "size": "thumb",
              "inspection_id": police_inspection.id, "finding_id": police_inspection.findings[0].id,
              "opinion_id": db.session.scalar(select(Opinion.id)),
              "session_id": db.session.scalar(select(UserSession.id)) or 0,
              "category_id": db.session.scalar(select(Category.id).where(Category.campaign_id == campaign.id)),
              "year": campaign.year}
    notice = db.session.scalar(select(FeedbackNotice).where(FeedbackNotice.unit_id == unit_id))
    rect = db.session.scalar(select(Rectification).where(Rectification.unit_id == (other if role == UNIT_OTHER
                                                                                     else own)).order_by(Rectification.id))
    if rect is None:  # 县教育局 never signed: take another unit's answer as "another unit's"
        rect = db.session.scalar(select(Rectification).where(Rectification.unit_id != own))
    extension = db.session.scalar(select(Extension).where(Extension.rectification_id.in_(
        select(Rectification.id).where(Rectification.unit_id == rect.unit_id))))
    values.update(notice_id=notice.id, rect_id=rect.id, extension_id=extension.id if extension else 0,
                  document_id=_issued(unit_id).id if "document_id" in rule.arguments else 0,
                  batch_id=_batch().id if "batch_id" in rule.arguments else 0)
    if rule.endpoint.startswith(("surveys.", "results.")):
        values.update(_survey_values(own), key="leaders")  # the demo's direct-score component
    if rule.endpoint.startswith(("reach.", "outbound.")):
        values.update(_reach_values())
    if rule.endpoint.startswith(("anomalies.", "appeals.")):
        values.update(_integrity_values(app, own, role == UNIT_OTHER))
    if "name" in rule.arguments:
        values["name"] = _backup_name()
    if rule.endpoint.startswith("documents."):
        values["kind"] = "feedback-notice"  # a document type there, a checklist side elsewhere
        values["kind"] = {"documents.issue_letter": "rectification-notice", "documents.preview": "notice"}.get(
            rule.endpoint, values["kind"])
        if rule.endpoint == "documents.page_image":
            values.update(_page_image(app))
    if rule.endpoint.startswith(("feedback.", "rectifications.")):
        values["item_id"] = notice.items[0].id  # a feedback item there, a check item elsewhere
    with app.test_request_context():
        return url_for(rule.endpoint, **{arg: values[arg] for arg in rule.arguments})


def _survey_values(own):
    """The current campaign's questionnaire, an unused one-time code and its batch, a paper ballot of 县公安局
    (looked up for every request: an admitted role may have deleted the previous one)."""
    from pingyi.surveys.models import Ballot, CodeBatch, Questionnaire, SurveyCode
    campaign = current_campaign()
    code = db.session.scalar(select(SurveyCode).join(CodeBatch).where(CodeBatch.campaign_id == campaign.id,
                                                                      SurveyCode.used_on.is_(None)))
    return {"questionnaire_id": db.session.scalar(select(Questionnaire.id).where(Questionnaire.campaign_id == campaign.id)),
            "ballot_id": db.session.scalar(select(Ballot.id).where(Ballot.unit_id == own, Ballot.channel == "paper")),
            "code": code.code, "batch_id": code.batch_id}


def _reach_values():
    """The demo's register, its current draw, a sampled person still to be called, and a logged message."""
    from pingyi.outbound.models import OutboundMessage
    from pingyi.surveys import sampling
    from pingyi.surveys.reach_models import RespondentPool, SampleDraw
    draw = db.session.scalar(select(SampleDraw).where(SampleDraw.status == "current").order_by(SampleDraw.id))
    return {"pool_id": db.session.scalar(select(RespondentPool.id)), "draw_id": draw.id,
            "person_id": sampling.next_call(draw).id, "message_id": db.session.scalar(select(OutboundMessage.id))}
def _integrity_values(app, own, other):
    """The demo's anomaly flag, an appeal and a 不满意 follow-up of 县公安局 (of another unit for UNIT_OTHER), and
    a query code of a comment made for the request."""
    from pingyi.appeals.models import Appeal
    from pingyi.surveys.integrity_models import AnomalyFlag, FollowUp
    if other:  # another unit's appeal and comment: 县城市管理行政执法局's, made through the real services
        appeal = db.session.scalar(select(Appeal).where(Appeal.unit_id != own))
        item = db.session.scalar(select(FollowUp).where(FollowUp.unit_id != own))
        if item is None:
            item = _other_follow_up(own)
        if appeal is None:
            from pingyi.appeals import services as appeals
            appeal = appeals.file_appeal(current_campaign(), item.unit_id, user("office"), "申诉理由", follow_up_id=item.id)
    else:
        appeal = db.session.scalar(select(Appeal).where(Appeal.unit_id == own).order_by(Appeal.id))
        item = db.session.scalar(select(FollowUp).where(FollowUp.unit_id == own, FollowUp.dissatisfied)
                                 .order_by(FollowUp.id))
    query = {}
    from pingyi.surveys import services as surveys
    from pingyi.surveys.models import SurveyCode
    code = db.session.scalar(select(SurveyCode).where(SurveyCode.used_on.is_(None)))
    q = surveys.questionnaires(current_campaign().id)[0]
    surveys.answer_with_code(code, {x.id: surveys.options(current_campaign().id)[0].id for x in q.questions}, "意见",
                             receipt=query)
    return {"flag_id": db.session.scalar(select(AnomalyFlag.id)), "appeal_id": appeal.id, "follow_up_id": item.id,
            "query": query["query"], "kind": "follow_up", "subject_id": item.id}


def _other_follow_up(own):
    """A 不满意 comment for a unit other than 县公安局."""
    from pingyi.surveys import services as surveys
    from pingyi.surveys.integrity_models import FollowUp
    from pingyi.surveys.models import CodeBatch
    campaign = current_campaign()
    batch = db.session.scalar(select(CodeBatch).where(CodeBatch.unit_id != own, CodeBatch.campaign_id == campaign.id))
    code = next(c for c in batch.codes if c.used_on is None)
    unhappy = next(o for o in surveys.options(campaign.id) if o.label == "不满意")
    q = surveys.questionnaires(campaign.id)[0]
    surveys.answer_with_code(code, {x.id: unhappy.id for x in q.questions}, "不满意的意见")
    return db.session.scalar(select(FollowUp).where(FollowUp.unit_id == batch.unit_id))


def _page_image(app):
    """A cached preview page (as the preview page leaves it)."""
    from pingyi.documents import render
    with app.test_request_context():
        folder = render.preview_dir() / ("a" * 64)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "page-1.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return {"digest": "a" * 64, "name": "page-1.png"}


def _issued(unit_id):
    """An issued document of the unit (made once per test through the real service)."""
    from pingyi.campaigns.models import Campaign
    from pingyi.documents import services as documents
    from pingyi.documents.models import IssuedDocument
    from pingyi.units.models import Unit
    found = db.session.scalar(select(IssuedDocument).where(IssuedDocument.unit_id == unit_id))
    if found is None:
        campaign = db.session.scalar(select(Campaign).order_by(Campaign.year.desc()))
        found, _ = documents.issue("feedback-notice", campaign, db.session.get(Unit, unit_id), user("office"))
    return found


def _batch():
    from pingyi.campaigns.models import Campaign
    from pingyi.documents import services as documents
    from pingyi.documents.models import DocumentBatch
    found = db.session.scalar(select(DocumentBatch).where(DocumentBatch.status == "done"))
    if found is None:
        campaign = db.session.scalar(select(Campaign).order_by(Campaign.year.desc()))
        found = documents.start_batch(campaign, "commitment", user("office"), key="1", run_async=False)
    return found


def _backup_name():
    from pingyi.backups import services as backups
    found = backups.list_backups()
    return found[0]["name"] if found else backups.create_backup().name


def _client(app, role):
    name = {OFFICE: "office", EVALUATOR: "evaluator", SUPERVISOR: "supervisor", LEADER: "leader",
            UNIT_OWN: "unit", UNIT_OTHER: "unit"}.get(role)
    return app.test_client(user=user(name)) if name else app.test_client()


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_route_admits_only_its_roles(app, county, endpoint):
    rule = _routes(app)[endpoint]
    methods, admitted = MATRIX[endpoint]
    for role in ORDER:
        for method in sorted(methods):
            url = _url(app, rule, role)
            response = _client(app, role).open(url, method=method, data={})
            response.close()
            status = response.status_code
            where = f"{method} {url} as {role}: {status}"
            if role in admitted:
                assert status < 500 and status not in (401, 403, 404), where
            elif role == ANON:
                assert status == 302 and "/login" in response.location, where
            elif role == UNIT_OTHER and UNIT_OWN in admitted:
                assert status == 404, where
            elif role == UNIT_OTHER and "unit_id" in rule.arguments:
                assert status in (403, 404), where  # refused before or after the unit check
            else:
                assert status == 403, where
            db.session.rollback()


def test_unit_user_sees_nothing_of_another_unit(county, unit_client):
    other = user("unit2").unit
    page = unit_client.get(f"/units/{other.id}")
    assert page.status_code == 404 and other.name not in page.text
    assert other.name not in unit_client.get("/").text
    assert unit_client.get("/units").location.endswith(f"/units/{user('unit').unit_id}")


def test_unit_user_cannot_export_the_county(county, unit_client):
    assert unit_client.get("/units/export.xlsx").status_code == 403
