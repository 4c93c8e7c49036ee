"""信函 the office issues (整改通知书, 催办通知) from the 函 register, the 总体评价 written from a unit's own
data, who gets which document (the register records issuing; downloads go to the audit log), the
feedback numbers in the order of sending, and the page-image preview."""
import datetime
import re
import shutil

import pytest
from sqlalchemy import select

from pingyi.audit.models import AuditEntry
from pingyi.campaigns.services import current_campaign
from pingyi.documents import builders, services
from pingyi.documents.models import IssuedDocument
from pingyi.extensions import db
from pingyi.feedback import services as feedback
from pingyi.feedback.assessment import overall_assessment
from pingyi.feedback.models import FeedbackItem, FeedbackNotice
from pingyi.rectifications.models import Rectification
from tests.conftest import unit_named, user
from tests.documents.test_documents import east_asia, text_of


def _late_unit():
    late = db.session.scalar(select(Rectification).where(Rectification.status == "answered",
                                                         Rectification.deadline < datetime.date(2026, 11, 26)))
    return late.unit


def test_rectification_notice_is_issued_with_the_next_letter_number_and_a_new_deadline(county, office_client):
    campaign, unit = current_campaign(), _late_unit()
    last = db.session.scalar(select(db.func.max(FeedbackNotice.doc_number)))
    refused = office_client.post(f"/units/{unit.id}/documents/rectification-notice", data={"deadline": ""})
    assert refused.status_code == 302 and "请设定新的整改时限" in office_client.get(refused.location).text
    assert db.session.scalar(select(IssuedDocument).where(IssuedDocument.kind == "rectification-notice")) is None
    office_client.post(f"/units/{unit.id}/documents/rectification-notice", data={"deadline": "2026-12-20"})
    doc = db.session.scalar(select(IssuedDocument).where(IssuedDocument.kind == "rectification-notice"))
    assert doc.doc_number == last + 1 and doc.deadline == datetime.date(2026, 12, 20)
    text, document = text_of(services.stored_path(doc).read_bytes())
    notice = services._latest_sent(campaign, unit)
    assert f"青纠风办函〔2026〕{last + 1}号" in text and "2026年12月20日前整改到位" in text
    assert f"《关于{unit.name}政风行风评议意见的反馈通知书》（{notice.number_label('青纠风办')}）" in text
    item = next(i for i in notice.items if i.rectification and i.rectification.status == "answered")
    found = item.finding.inspection
    assert f"{found.held_on.year}年{found.held_on.month}月{found.held_on.day}日" in text
    assert "文件" not in text.split("\n")[0]        # 信函格式: the organisation's name without 文件
    # the register is shared: the next feedback notice sent takes the number after it
    draft = FeedbackNotice(campaign_id=campaign.id, unit_id=unit.id, round="november", created_by_id=user("office").id,
                           answer_deadline=datetime.date(2026, 12, 31))
    draft.items.append(FeedbackItem(dimension_id=notice.items[0].dimension_id, problem="复查发现的问题",
                                                 suggestion="立即整改", deadline=datetime.date(2026, 12, 31)))
    db.session.add(draft)
    db.session.commit()
    feedback.send_notice(draft, user("office"))
    assert draft.doc_number == last + 2


def test_a_unit_downloads_its_documents_into_the_audit_log_not_the_register(county, client_for):
    police = unit_named("县公安局")
    unit_client = client_for("unit")
    before = db.session.scalar(select(db.func.count(IssuedDocument.id)))
    for url in (f"/units/{police.id}/documents/feedback-notice.docx", "/documents/notice.docx"):
        response = unit_client.get(url)
        assert response.status_code == 200 and response.data[:2] == b"PK"
    assert db.session.scalar(select(db.func.count(IssuedDocument.id))) == before
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "download")).all()
    assert {e.username for e in entries} == {"unit"}
    assert any("评议意见反馈通知书" in e.summary for e in entries) and any("评议工作通知" in e.summary for e in entries)


def test_the_unit_gets_the_issued_rectification_notice_as_issued(county, client_for):
    education = unit_named("县教育局")
    unit2 = client_for("unit2")
    missing = unit2.get(f"/units/{education.id}/documents/rectification-notice.docx")
    assert missing.status_code == 302
    client_for("office").post(f"/units/{education.id}/documents/rectification-notice", data={"deadline": "2026-12-20"})
    doc = db.session.scalar(select(IssuedDocument).where(IssuedDocument.unit_id == education.id))
    response = unit2.get(f"/units/{education.id}/documents/rectification-notice.docx", follow_redirects=True)
    assert response.data == services.stored_path(doc).read_bytes()
    response.close()
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "download", AuditEntry.unit_id == education.id))


def test_reminder_names_what_is_overdue(county):
    education = unit_named("县教育局")
    data = services.reminder_data(current_campaign(), education, datetime.date(2026, 12, 7), 60)
    assert data["unsigned"] and data["number"] == "青纠风办函〔2026〕60号"
    text, doc = text_of(builders.reminder_docx(data))
    assert "关于督促县教育局限期完成政风行风评议有关工作的函" in text.replace("\n", "")
    assert "未签收的反馈通知书" in text and "2026年12月7日前完成上述工作" in text
    heading = next(p for p in doc.paragraphs if p.text.startswith("（一）"))
    assert east_asia(heading.runs[0]) == "楷体_GB2312"


def test_overall_assessment_is_the_units_own(county):
    campaign = current_campaign()
    police, education = unit_named("县公安局"), unit_named("县教育局")
    texts = {u.name: overall_assessment(campaign, u) for u in (police, education)}
    assert texts["县公安局"] != texts["县教育局"].replace("县教育局", "县公安局")
    assert "项符合要求" in texts["县公安局"] and "评议中发现问题" in texts["县公安局"]
    assert "未签收" in texts["县教育局"]
    notice = db.session.scalar(select(FeedbackNotice).where(FeedbackNotice.unit_id == police.id))
    assert "项符合要求" in notice.overall  # the demo's notices were compiled with it


def test_overall_names_the_score_once_results_are_published(county):
    from pingyi.results import services as results
    campaign = current_campaign()
    police = unit_named("县公安局")
    if results.latest_version(campaign) is None:
        results.publish(campaign, user("office"), True)
    detail = results.unit_result(results.latest_version(campaign), police.id)
    assert f"评定为“{detail['grade']}”等次" in overall_assessment(campaign, police)


def test_overall_can_be_written_afresh_on_a_draft_only(county):
    campaign = current_campaign()
    notice = db.session.scalar(select(FeedbackNotice).where(FeedbackNotice.status == "sent"))
    with pytest.raises(Exception):
        feedback.regenerate_overall(notice, notice.version, user("office"))
    db.session.rollback()
    draft = feedback.revise_notice(notice, user("office"))
    draft.overall = "手写的评价"
    db.session.commit()
    feedback.regenerate_overall(draft, draft.version, user("office"))
    assert draft.overall.startswith(notice.unit.name) and campaign.year


def test_demo_feedback_numbers_follow_the_order_of_sending(county):
    sent = db.session.scalars(select(FeedbackNotice).where(FeedbackNotice.doc_number.is_not(None))
                              .order_by(FeedbackNotice.doc_number)).all()
    assert [n.sent_at for n in sent] == sorted(n.sent_at for n in sent)
    assert [n.doc_number for n in sent] == list(range(1, len(sent) + 1))


def test_preview_without_libreoffice_offers_the_docx(county, office_client, app):
    app.config["SOFFICE"] = ""
    police = unit_named("县公安局")
    page = office_client.get(f"/units/{police.id}/documents/feedback-notice/preview").text
    assert "未安装 LibreOffice" in page and f"/units/{police.id}/documents/feedback-notice.docx?preview=1" in page
    assert office_client.get("/documents/pages/" + "0" * 64 + "/page-1.png").status_code == 404
    assert office_client.get("/documents/pages/..%2F..%2Fetc/page-1.png").status_code == 404


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftoppm") is None,
                    reason="needs LibreOffice and poppler-utils (make test installs them)")
def test_preview_shows_page_images_cached_by_sha256(county, office_client, app):
    page = office_client.get("/documents/notice/preview").text
    assert "共 " in page and "/documents/pages/" in page
    src = re.search(r'src="(/documents/pages/[^"]+)"', page).group(1)
    image = office_client.get(src)
    assert image.status_code == 200 and image.data[:4] == b"\x89PNG"
    image.close()
    digest = src.split("/")[3]
    from pingyi.documents import render
    assert (render.preview_dir() / digest).is_dir()
