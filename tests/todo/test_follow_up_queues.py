"""The office's 待回访核实 and 待决定的申诉 queues and the unit's 待公开答复 queue: count == rows, own unit only."""
import re

import pytest
from sqlalchemy import select

from pingyi.appeals import services as appeals
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.surveys import follow_ups
from pingyi.surveys import services as surveys
from pingyi.surveys.models import CodeBatch, Questionnaire, SurveyCode
from pingyi.todo import services
from tests.conftest import unit_named, user


@pytest.fixture(autouse=True)
def request_context(app):
    with app.test_request_context():
        yield


def _comment(county, unit, text, unhappy=True):
    """Answer the unit's online questionnaire (不满意 or the best option) with a comment; returns its FollowUp."""
    code = db.session.scalar(select(SurveyCode).join(CodeBatch).where(
        SurveyCode.used_on.is_(None), CodeBatch.unit_id == unit.id).order_by(SurveyCode.id))
    assert code is not None, f"the demo has unused codes for {unit.name}"
    questionnaire = db.session.get(Questionnaire, code.batch.questionnaire_id)
    opts = surveys.options(county.id)
    choice = next(o for o in opts if o.label == "不满意") if unhappy else opts[0]
    receipt = {}
    assert surveys.answer_with_code(code, {q.id: choice.id for q in questionnaire.questions}, text,
                                    receipt=receipt) == {}
    return follow_ups.by_query(receipt["query"])


def _count(county, username, key):
    return dict((k, n) for k, _, _, n in services.queues(county, user(username)))[key]


def _page_count(client, key):
    page = client.get(f"/todo?q={key}").text
    count = int(re.search(rf'data-queue-count="{key}">(\d+)<', page).group(1))
    rows = len(re.findall(r"<tr[ >]", page.split('class="todo-queue"', 1)[1].split("<tbody>", 1)[1])) \
        if "<tbody>" in page.split('class="todo-queue"', 1)[1] else 0
    assert count == rows
    return count


def test_unhappy_comments_wait_for_verification_until_the_office_verifies(county, client_for):
    before = len(services.queue_rows(county, user("office"), "follow-ups"))
    police = _comment(county, unit_named("县公安局"), "窗口排队太久")
    education = _comment(county, unit_named("县教育局"), "学位申请材料要求反复变")
    _comment(county, unit_named("县公安局"), "服务很好", unhappy=False)  # nothing to verify
    rows = services.queue_rows(county, user("office"), "follow-ups")
    assert len(rows) == before + 2 == _count(county, "office", "follow-ups") == _page_count(client_for("office"), "follow-ups")
    assert {r["title"] for r in rows} >= {"窗口排队太久", "学位申请材料要求反复变"}
    assert all(r["url"].endswith(f"#follow-{i.id}") for r, i in zip(rows[-2:], sorted(
        (police, education), key=lambda i: (i.due_on, i.received_on, i.id))))
    follow_ups.verify(police, "true", "现场查看属实", police.version, user("office"))
    assert [r["title"] for r in services.queue_rows(county, user("office"), "follow-ups")].count("窗口排队太久") == 0
    assert _count(county, "office", "follow-ups") == before + 1


def test_pending_appeals_wait_for_the_office_decision(county, client_for):
    item = _comment(county, unit_named("县公安局"), "办事效率太低")
    office = client_for("office")
    badge = int(re.search(r'class="todo-link"[^>]*>待办<span class="badge">(\d+)</span>', office.get("/todo").text).group(1))
    before = _count(county, "office", "appeals")
    appeal = appeals.file_appeal(county, item.unit_id, user("unit"), "当日系统故障，已公告", follow_up_id=item.id)
    rows = services.queue_rows(county, user("office"), "appeals")
    assert len(rows) == before + 1 == _count(county, "office", "appeals") == _page_count(office, "appeals")
    assert rows[-1]["url"].endswith(f"/appeals/{appeal.id}") and rows[-1]["detail"] == "当日系统故障，已公告"
    after = int(re.search(r'class="todo-link"[^>]*>待办<span class="badge">(\d+)</span>', office.get("/todo").text).group(1))
    assert after == badge + 1  # the cached navigation count follows the new queue
    appeals.decide(appeal, "maintained", "回访核实属实", None, appeal.version, user("office"))
    assert _count(county, "office", "appeals") == before


def test_a_unit_sees_only_its_own_comments_awaiting_a_public_reply(county, client_for):
    police_before = _count(county, "unit", "public-reply")
    education_before = _count(county, "unit2", "public-reply")
    police = _comment(county, unit_named("县公安局"), "出入境窗口周末不开")
    _comment(county, unit_named("县教育局"), "招生咨询电话打不通")
    police_rows = services.queue_rows(county, user("unit"), "public-reply")
    education_rows = services.queue_rows(county, user("unit2"), "public-reply")
    assert len(police_rows) == police_before + 1 == _page_count(client_for("unit"), "public-reply")
    assert len(education_rows) == education_before + 1 == _page_count(client_for("unit2"), "public-reply")
    assert {r["unit"].name for r in police_rows} == {"县公安局"} and {r["unit"].name for r in education_rows} == {"县教育局"}
    assert "招生咨询电话打不通" not in client_for("unit").get("/todo?q=public-reply").text
    follow_ups.reply(police, "已安排周六上午开放", False, police.version, user("unit"))  # 整改中, but answered
    assert _count(county, "unit", "public-reply") == police_before
    assert client_for("unit").get("/todo?q=follow-ups").status_code == 200  # not its queue: falls back
    with pytest.raises(DomainError, match="没有这个待办事项"):
        services.queue_rows(county, user("unit"), "appeals")
