"""/todo: every count is the number of rows of its list; materials are confirmed in place, one or many."""
import re

import pytest
from sqlalchemy import select

from pingyi.campaigns.services import current_campaign
from pingyi.extensions import db
from pingyi.feedback import services as feedback
from pingyi.feedback.models import FeedbackNotice
from pingyi.notifications import todo
from pingyi.rectifications.models import Extension
from pingyi.tasks.models import Submission, Task
from pingyi.todo import services
from tests.conftest import user

ROLE_QUEUES = [(username, key) for username, role in (("office", "office"), ("unit", "unit"), ("unit2", "unit"),
                                                     ("evaluator", "evaluator"), ("supervisor", "supervisor"))
               for key in services.ROLE_QUEUES[role]]


@pytest.fixture(autouse=True)
def request_context(app):
    """The queue rows carry the links to where the work is done."""
    with app.test_request_context():
        yield


def _page_rows(text):
    body = text.split('class="todo-queue"', 1)[1]
    return len(re.findall(r"<tr[ >]", body.split("<tbody>", 1)[1])) if "<tbody>" in body else 0


def _all_page_rows(client, key):
    """The rows of a queue over all its pages of /todo."""
    rows, number = 0, 1
    while True:
        page = client.get(f"/todo?q={key}&page={number}")
        assert page.status_code == 200
        rows += _page_rows(page.text)
        if f"page={number + 1}" not in page.text:
            return rows
        number += 1


@pytest.mark.parametrize("username,key", ROLE_QUEUES)
def test_each_queue_count_equals_the_rows_of_its_list(county, client_for, username, key):
    client = client_for(username)
    page = client.get(f"/todo?q={key}")
    assert page.status_code == 200
    count = int(re.search(rf'data-queue-count="{key}">(\d+)<', page.text).group(1))
    assert count == _all_page_rows(client, key)
    assert count == len(services.queue_rows(county, user(username), key))
    assert count == dict((k, n) for k, _, _, n in services.queues(county, user(username)))[key]


def test_dashboard_counts_link_to_their_queue(county, app, client_for):
    items = todo(user("office"), county)
    assert items and all("/todo?q=" in url for _, _, url, _ in items)
    labels = dict((label, count) for label, count, _, _ in items)
    submitted = db.session.scalar(select(db.func.count(Submission.id)).join(Task).where(
        Task.campaign_id == county.id, Submission.status == "submitted"))
    assert labels["待确认的任务材料"] == submitted > 3
    assert labels["待审批的延期申请"] == db.session.scalar(select(db.func.count(Extension.id)).where(
        Extension.status == "pending"))
    dashboard = client_for("office").get("/").text
    assert 'href="/todo?q=materials"' in dashboard


def test_office_queues_hand_computed(county):
    office = user("office")
    late = [n for n in db.session.scalars(select(FeedbackNotice).where(FeedbackNotice.campaign_id == county.id))
            if feedback.receipt_overdue(n)]
    assert len(services.queue_rows(county, office, "unsigned")) == len(late)
    unit2 = user("unit2")
    assert len(services.queue_rows(county, unit2, "sign")) == db.session.scalar(select(db.func.count(FeedbackNotice.id)).where(
        FeedbackNotice.unit_id == unit2.unit_id, FeedbackNotice.status == "sent", FeedbackNotice.received_at.is_(None)))


def test_a_queue_of_another_role_is_not_shown(county, client_for):
    page = client_for("unit").get("/todo?q=materials")
    assert page.status_code == 200 and 'data-queue="materials"' not in page.text


def test_batch_confirm_confirms_only_the_chosen_materials(county, client_for):
    rows = services.queue_rows(county, user("office"), "materials")
    chosen = [r["submission"].id for r in rows[:3]]
    response = client_for("office").post("/todo/materials/confirm", data={"submission": [str(i) for i in chosen]},
                                         follow_redirects=True)
    assert "已确认 3 份材料" in response.text
    statuses = {s.id: s.status for s in db.session.scalars(select(Submission).where(Submission.id.in_(
        [r["submission"].id for r in rows])))}
    assert [statuses[i] for i in chosen] == ["confirmed"] * 3
    assert sum(1 for s in statuses.values() if s == "submitted") == len(rows) - 3
    assert len(services.queue_rows(county, user("office"), "materials")) == len(rows) - 3


def test_batch_confirm_without_a_choice_says_so(county, client_for):
    response = client_for("office").post("/todo/materials/confirm", data={"submission": ["x"]}, follow_redirects=True)
    assert "请先勾选要确认的材料" in response.text


def test_return_in_place_needs_a_reason(county, client_for):
    sub = services.queue_rows(county, user("office"), "materials")[0]["submission"]
    refused = client_for("office").post(f"/todo/materials/{sub.id}/return", data={"reason": ""}, follow_redirects=True)
    assert "退回时请填写退回原因" in refused.text and sub.status == "submitted"
    client_for("office").post(f"/todo/materials/{sub.id}/return", data={"reason": "缺少盖章页"})
    db.session.refresh(sub)
    assert sub.status == "returned" and sub.review_comment == "缺少盖章页"
    assert sub.id not in [r["submission"].id for r in services.queue_rows(county, user("office"), "materials")]


def test_materials_of_another_year_are_not_confirmed(county):
    assert services.confirm_submissions(current_campaign(), [10**6], user("office")) == 0


def test_a_long_queue_is_shown_fifty_rows_a_page(county, client_for):
    everything = [r["submission"].id for r in services.queue_rows(county, user("office"), "materials")]
    assert len(everything) > services.PER_PAGE  # the demo county has more than a page of materials
    client = client_for("office")
    first = client.get("/todo?q=materials")
    assert f"第 1–50 条，共 {len(everything)} 条" in first.text and 'href="/todo?page=2&amp;q=materials"' in first.text
    second = client.get("/todo?q=materials&page=2", headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    assert "<html" not in second.text and 'data-queue="materials"' in second.text  # the htmx partial
    assert f"第 51–{len(everything)} 条，共 {len(everything)} 条" in second.text
    shown = [[int(i) for i in re.findall(r'id="submission-(\d+)"', page.text)] for page in (first, second)]
    assert shown[0] + shown[1] == everything
    past_the_end = client.get("/todo?q=materials&page=99")
    assert re.findall(r'id="submission-(\d+)"', past_the_end.text) == [str(i) for i in shown[1]]
    response = client.post("/todo/materials/confirm", data={"submission": [str(i) for i in shown[1][:2]], "page": "2"})
    assert response.status_code == 302 and "page=2" in response.location
    assert [r["submission"].id for r in services.queue_rows(county, user("office"), "materials")] == \
        everything[:50] + shown[1][2:]


def test_the_kept_queue_page_carries_the_session_s_token_and_follows_a_change(county, client_for):
    client = client_for("office")
    first = client.get("/todo?q=materials").text
    header = re.search(r'"X-CSRFToken": "([^"]+)"', first).group(1)
    assert set(re.findall(r'name="csrf_token" value="([^"]+)"', first)) == {header} and "@@csrf-token@@" not in first
    shown = re.findall(r'id="submission-(\d+)"', first)
    client.post("/todo/materials/confirm", data={"submission": shown[:2]})
    again = client.get("/todo?q=materials").text
    assert re.findall(r'id="submission-(\d+)"', again)[:48] == shown[2:]
    total = len(services.queue_rows(county, user("office"), "materials"))
    assert f'data-queue-count="materials">{total}<' in again and f"共 {total} 条" in again
