"""A draft never hides a sent notice; an unsent draft can be deleted; a new draft only where it makes sense."""
import pytest
from sqlalchemy import select

from pingyi.campaigns.services import current_campaign
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.feedback import services as feedback
from pingyi.feedback.models import FeedbackNotice
from pingyi.tasks.services import filtered_units
from tests.conftest import unit_named, user


def _row(campaign, unit, round_="june"):
    return next(r for r in feedback.overview(campaign, round_, filtered_units(campaign)) if r["unit"].id == unit.id)


def test_no_new_draft_over_a_sent_notice_without_new_findings(county):
    campaign, police = current_campaign(), unit_named("县公安局")
    row = _row(campaign, police)
    assert row["notice"].status == "sent" and not row["can_compile"]
    with pytest.raises(DomainError, match="已发送，没有新的问题"):
        feedback.compile_notice(campaign, police, "june", user("office"))


def test_a_draft_is_listed_beside_the_sent_notice_and_can_be_deleted(county):
    campaign, police, office = current_campaign(), unit_named("县公安局"), user("office")
    sent = _row(campaign, police)["notice"]
    draft = feedback.revise_notice(sent, office)
    row = _row(campaign, police)
    assert row["notice"] is sent and row["draft"] is draft
    feedback.delete_draft(draft, office)
    assert db.session.get(FeedbackNotice, draft.id) is None
    assert _row(campaign, police)["notice"] is sent
    with pytest.raises(DomainError, match="不能删除"):
        feedback.delete_draft(sent, office)


def test_office_deletes_a_draft_through_the_page(county, office_client):
    campaign, police = current_campaign(), unit_named("县公安局")
    sent = _row(campaign, police)["notice"]
    draft = feedback.revise_notice(sent, user("office"))
    page = office_client.get(f"/feedback/{draft.id}").get_data(as_text=True)
    assert "删除草稿" in page
    response = office_client.post(f"/feedback/{draft.id}/delete")
    assert response.status_code == 302
    assert db.session.scalar(select(FeedbackNotice).where(FeedbackNotice.id == draft.id)) is None
    overview = office_client.get("/feedback?round=june").get_data(as_text=True)
    assert sent.number_label(campaign.doc_prefix) in overview
