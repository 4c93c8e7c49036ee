"""催办: overdue work by unit, recording who chased whom, numbered notices in the register, the unit's view."""
import io
from datetime import timedelta

import pytest
from docx import Document
from docx.oxml.ns import qn
from sqlalchemy import select

from pingyi.documents import builders
from pingyi.documents import services as documents
from pingyi.documents.models import KIND_LABELS, IssuedDocument
from pingyi.errors import DomainError
from pingyi.extensions import db
from pingyi.feedback.services import next_letter_number
from pingyi.reminders import services
from pingyi.reminders.models import Reminder
from pingyi.timeutil import today
from pingyi.todo import services as todo
from tests.conftest import unit_named, user


@pytest.fixture(autouse=True)
def request_context(app):
    with app.test_request_context():
        yield


def test_overdue_work_is_grouped_by_unit_with_days_and_liaison(county):
    groups = services.overdue_work(county)
    education = next(g for g in groups if g["unit"].name == "县教育局")
    assert education["liaison"] == "吴婷" and education["phone"]
    assert education["items"] and all(days > 0 for _, _, _, days in education["items"])
    assert education["days"] == max(days for _, _, _, days in education["items"])
    assert [g["days"] for g in groups] == sorted((g["days"] for g in groups), reverse=True)
    assert "县教育局\t吴婷" in services.phone_list(groups)


def test_record_a_reminder_and_the_unit_sees_it(county, client_for):
    education = unit_named("县教育局")
    response = client_for("office").post("/reminders/record", data={
        "unit_id": education.id, "reminded_on": today().isoformat(), "method": "phone", "note": "已电话联系吴婷"})
    assert response.status_code == 302
    reminder = db.session.scalar(select(Reminder).where(Reminder.unit_id == education.id))
    assert reminder.method_label == "电话" and reminder.created_by.username == "office"
    assert [r["title"] for r in todo.queue_rows(county, user("unit2"), "reminded")] == ["电话催办"]
    assert todo.queue_rows(county, user("unit"), "reminded") == []
    page = client_for("unit2").get(f"/units/{education.id}").text
    assert "催办记录" in page and "已电话联系吴婷" in page and "电话催办县教育局" in page  # history and timeline
    assert client_for("unit").get(f"/units/{education.id}/reminders").status_code == 404


@pytest.mark.parametrize("values,message", [
    ({"method": "fax"}, "请选择催办方式"),
    ({"reminded_on": "明天"}, "请填写催办日期"),
    ({"reminded_on": "2099-01-01"}, "催办日期不能晚于今天"),
    ({"note": "长" * 501}, "备注不能超过 500 字"),
])
def test_bad_input_is_refused_with_a_message(county, client_for, values, message):
    data = {"unit_id": unit_named("县教育局").id, "reminded_on": today().isoformat(), "method": "phone", "note": ""}
    response = client_for("office").post("/reminders/record", data=dict(data, **values))
    assert response.status_code == 422 and message in response.text
    assert db.session.scalar(select(Reminder.id)) is None


def test_notice_per_unit_is_numbered_registered_and_recorded(county, client_for):
    education = unit_named("县教育局")
    number = next_letter_number(county)  # the year's one 函 register, after the feedback notices
    deadline = today() + timedelta(days=7)
    first = client_for("office").post("/reminders/notice", data={"unit_id": education.id,
                                                                 "deadline": deadline.isoformat()})
    assert first.status_code == 200 and first.mimetype.endswith("wordprocessingml.document")
    county_wide = client_for("office").post("/reminders/notice", data={"deadline": deadline.isoformat()})
    docs = db.session.scalars(select(IssuedDocument).order_by(IssuedDocument.id)).all()
    docs = [d for d in docs if d.doc_number and d.doc_number >= number]
    assert [(d.kind, d.unit_id) for d in docs] == [("reminder", education.id), ("reminder", None)]  # once each
    assert f"_{number}号" in docs[0].filename and f"_{number + 1}号" in docs[1].filename
    assert [d.doc_number for d in docs] == [number, number + 1] and next_letter_number(county) == number + 2
    assert [n.document_id for n in services.notices(county)] == [docs[1].id, docs[0].id]
    text = "\n".join(p.text for p in Document(io.BytesIO(first.data)).paragraphs)
    assert f"{county.doc_prefix}函〔{county.year}〕{number}号" in text and "县教育局：" in text and "已逾期" in text
    assert f"于{deadline.year}年{deadline.month}月{deadline.day}日前完成上述工作" in text
    wide = Document(io.BytesIO(county_wide.data))
    assert "各有关单位：" in "\n".join(p.text for p in wide.paragraphs)
    assert "县教育局" in [row.cells[1].text for row in wide.tables[0].rows]
    assert db.session.scalar(select(Reminder).where(Reminder.unit_id == education.id)).method == "notice"


def test_notice_needs_a_new_deadline(county, client_for):
    response = client_for("office").post("/reminders/notice", data={"unit_id": unit_named("县教育局").id},
                                         follow_redirects=True)
    assert "请设定新的完成时限（须晚于今天）" in response.text
    assert db.session.scalar(select(IssuedDocument).where(IssuedDocument.kind == "reminder")) is None


def test_the_unit_page_issues_the_same_notice(county, client_for):
    """The unit page's 编号并印发 goes through the 催办 page's one path: one register entry, one 催办 record."""
    education = unit_named("县教育局")
    page = client_for("office").get(f"/units/{education.id}").text
    assert 'action="/reminders/notice"' in page and 'name="back" value="unit"' in page
    response = client_for("office").post("/reminders/notice", data={
        "unit_id": education.id, "back": "unit", "deadline": (today() + timedelta(days=5)).isoformat()})
    assert response.status_code == 302 and response.location.endswith(f"/units/{education.id}#documents")
    doc = db.session.scalar(select(IssuedDocument).where(IssuedDocument.kind == "reminder"))
    assert doc.unit_id == education.id and [n.document_id for n in services.notices(county)] == [doc.id]
    assert [r.method for r in services.unit_history(county, education)] == ["notice"]
    assert client_for("office").post(f"/units/{education.id}/documents/reminder", data={
        "deadline": (today() + timedelta(days=5)).isoformat()}).status_code == 404  # no second path
    assert set(KIND_LABELS) >= {"reminder"} and "reminder-notice" not in KIND_LABELS


@pytest.mark.parametrize("whom", ["unit", "county"])
def test_reminder_notice_follows_gbt9704(county, whom):
    unit = unit_named("县教育局") if whom == "unit" else None
    data = documents.reminder_data(county, unit, today() + timedelta(days=7), 7)
    doc = Document(io.BytesIO(builders.reminder_docx(data)))
    section = doc.sections[0]
    assert (section.page_width.mm, section.page_height.mm) == pytest.approx((210, 297), abs=0.5)
    assert section.top_margin.mm == pytest.approx(37, abs=0.5) and section.left_margin.mm == pytest.approx(28, abs=0.5)
    assert section.bottom_margin.mm == pytest.approx(35, abs=0.5) and section.right_margin.mm == pytest.approx(26, abs=0.5)
    assert section.different_first_page_header_footer  # 信函格式: the red name on page 1 only, no page number there
    red = section.first_page_header.paragraphs[0].runs[0]
    assert red.text == county.office_full_name and str(red.font.color.rgb) == "FF0000"
    assert "FF0000" in section.first_page_footer.paragraphs[0]._p.xml  # the red double line at the foot
    assert any(p.text == f"{county.doc_prefix}函〔{county.year}〕7号" for p in doc.paragraphs)
    title = next(p for p in doc.paragraphs if p.text.replace("\n", "").startswith("关于督促"))
    assert title.runs[0]._r.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "方正小标宋简体"
    assert title.text.replace("\n", "").endswith("限期完成政风行风评议有关工作的函")
    assert any(p.text.startswith("（联系人：") for p in doc.paragraphs)
    for p in doc.paragraphs:
        for run in p.runs:
            fonts = run._r.rPr.find(qn("w:rFonts")) if run._r.rPr is not None else None
            assert run.text.strip() == "" or fonts is None or fonts.get(qn("w:eastAsia")), run.text


def test_the_notice_lists_what_the_reminders_page_lists(county):
    education = unit_named("县教育局")
    items = services.overdue_work(county, unit_id=education.id)[0]["items"]
    data = documents.reminder_data(county, education, today() + timedelta(days=7), 7)
    listed = len(data["tasks"]) + len(data["unsigned"]) + len(data["unanswered"]) + len(data["rects"])
    assert listed == len(items) > 0


def test_nothing_overdue_is_said_not_produced_empty(county):
    with pytest.raises(DomainError, match="没有逾期未办的事项"):
        documents.reminder_data(county, unit_named("县公安局"))


def test_leader_reads_but_cannot_record(county, client_for):
    assert client_for("leader").get("/reminders").status_code == 200
    assert client_for("leader").post("/reminders/record", data={}).status_code == 403
    assert client_for("unit").get("/reminders").status_code == 403


def test_reminders_of_a_month_ago_leave_the_unit_todo(county):
    education = unit_named("县教育局")
    services.record_reminder(county, education, user("office"), today() - timedelta(days=40), "in_person", "")
    assert todo.queue_rows(county, user("unit2"), "reminded") == []
    assert len(services.unit_history(county, education)) == 1


def test_the_kept_page_carries_each_session_s_own_token_and_follows_changes(county, client_for):
    import re
    client = client_for("office")
    first = client.get("/reminders").text
    header = re.search(r'"X-CSRFToken": "([^"]+)"', first).group(1)
    tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', first))
    assert tokens == {header} and "@@csrf-token@@" not in first
    education = unit_named("县教育局")
    assert f'id="unit-{education.id}"' in first and "上次催办：" not in first.split(f'id="unit-{education.id}"')[1].split("</p>")[0]
    client.post("/reminders/record", data={"unit_id": education.id, "reminded_on": today().isoformat(),
                                           "method": "phone", "note": "已电话提醒分管领导"})
    again = client.get("/reminders").text
    assert "上次催办：" in again.split(f'id="unit-{education.id}"')[1].split("</p>")[0]
    refused = client.post("/reminders/record", data={"unit_id": education.id, "reminded_on": "2099-01-01",
                                                     "method": "phone", "note": "留着的备注"})
    assert refused.status_code == 422 and "催办日期不能晚于今天" in refused.text and "留着的备注" in refused.text
