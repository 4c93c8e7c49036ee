"""Generated documents: content from the data, issued copies kept frozen, batch zips, authorization."""
import io
import re
import shutil
import subprocess
import zipfile
from urllib.parse import quote

import pytest
from docx import Document
from docx.oxml.ns import qn
from sqlalchemy import select

from pingyi.campaigns.services import current_campaign
from pingyi.documents import builders, services
from pingyi.documents.models import DocumentBatch, IssuedDocument
from pingyi.extensions import db
from pingyi.jobs import services as jobs
from tests.conftest import unit_named, user


def text_of(data):
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts), doc


def east_asia(run):
    fonts = run._r.rPr.find(qn("w:rFonts")) if run._r.rPr is not None else None
    return fonts.get(qn("w:eastAsia")) if fonts is not None else None


def test_campaign_notice_carries_the_campaigns_own_data(county, office_client):
    response = office_client.get("/documents/notice.docx")
    assert response.status_code == 200
    assert quote("评议工作通知_2026.docx") in response.headers["Content-Disposition"]
    text, doc = text_of(response.data)
    assert "青山县纠正行业不正之风办公室文件" in text and "青纠风办发〔2026〕3号" in text
    assert "关于开展2026年度政风行风评议工作的通知" in text.replace("\n", "")
    for name in ("公安局", "教育局", "县运管站", "责任落实", "制度建设", "张志强", "2026年10月20日", "2026年3月28日"):
        assert name in text, name
    title = next(p for p in doc.paragraphs if "评议工作的通知" in p.text)
    assert east_asia(title.runs[0]) == "方正小标宋简体" and title.runs[0].font.size.pt == 22
    body = next(p for p in doc.paragraphs if p.text.startswith("为加强社会监督"))
    assert east_asia(body.runs[0]) == "仿宋_GB2312"
    section = doc.sections[0]
    assert (section.page_width.twips, section.page_height.twips) == (11906, 16838)


def test_notice_without_a_number_says_what_is_missing(county, office_client):
    campaign = current_campaign()
    campaign.notice_number = None
    db.session.commit()
    response = office_client.get("/documents/notice.docx")
    assert response.status_code == 302
    assert "发文序号和成文日期" in office_client.get(response.location).text


def test_feedback_notice_for_a_unit_lists_every_problem_and_suggestion(county, client_for):
    police = unit_named("县公安局")
    response = client_for("unit").get(f"/units/{police.id}/documents/feedback-notice.docx")
    text, _ = text_of(response.data)
    assert "关于县公安局政风行风评议意见的反馈通知书" in text.replace("\n", "")
    for phrase in ("窗口工作人员接待群众时态度生硬", "群众反映出入境证件办理时限较长", "青纠风办函〔2026〕",
                   "整改承诺书（样式）", "请于2026年8月31日前将整改方案"):
        assert phrase in text, phrase
    assert f"filename*=UTF-8''{quote('县公安局_评议意见反馈通知书_2026.docx')}" in response.headers["Content-Disposition"]


def test_commitment_letter_has_its_items_table_and_signature(county, client_for):
    police = unit_named("县公安局")
    text, doc = text_of(client_for("unit").get(f"/units/{police.id}/documents/commitment.docx").data)
    assert "县公安局" in text and "政风行风评议整改承诺书" in text and "主要负责人（签字）" in text
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["序号", "反馈问题", "整改措施", "责任领导\n责任部门\n责任人", "完成时限"]
    assert table.rows[1].cells[3].text == "政委 陈立新\n警务保障室\n办公室主任 周敏"
    assert "窗口工作人员接待群众时态度生硬" in text and "政策性问题说明" in text
    assert "文件" not in doc.paragraphs[0].text  # a unit's letter has no 版头


def test_missing_source_data_is_explained_not_produced_empty(county, office_client):
    education = unit_named("县教育局")
    response = office_client.get(f"/units/{education.id}/documents/commitment.docx")
    assert response.status_code == 302
    assert "还没有“整改计划并承诺”的问题" in office_client.get(response.location).text
    assert db.session.scalar(select(IssuedDocument).where(IssuedDocument.unit_id == education.id)) is None


def test_issued_copy_is_frozen_while_preview_is_rebuilt(county, office_client):
    from datetime import date

    from pingyi.rectifications.models import Rectification
    late = db.session.scalar(select(Rectification).where(Rectification.status == "answered",
                                                         Rectification.deadline < date(2026, 11, 26)))
    unit = late.unit
    response = office_client.post(f"/units/{unit.id}/documents/rectification-notice", data={"deadline": "2026-12-20"})
    assert response.status_code == 302
    doc = db.session.scalar(select(IssuedDocument).order_by(IssuedDocument.id.desc()))
    assert doc.unit_id == unit.id and doc.created_by.username == "office" and doc.doc_number
    first = office_client.get(f"/documents/{doc.id}/download")
    assert doc.size == len(first.data) and "超过整改时限仍未整改到位" in text_of(first.data)[0]
    first.close()
    late.item.problem = "改写后的问题"
    db.session.commit()
    again = office_client.get(f"/documents/{doc.id}/download")
    assert again.data == first.data
    again.close()
    preview = office_client.get(f"/units/{unit.id}/documents/rectification-notice.docx?preview=1")
    assert "改写后的问题" in text_of(preview.data)[0]
    assert db.session.scalar(select(IssuedDocument).order_by(IssuedDocument.id.desc())).id == doc.id


def test_unit_downloads_only_its_own_documents(county, client_for):
    education = unit_named("县教育局")
    assert client_for("unit").get(f"/units/{education.id}/documents/feedback-notice.docx").status_code == 404
    assert client_for("unit").get("/documents/notice.docx").status_code == 200  # units are its addressees


def test_batch_zip_has_one_file_per_unit_with_chinese_names(county, office_client, app):
    batch = services.start_batch(current_campaign(), "feedback-notice", user("office"), key="1", run_async=False)
    assert batch.status == "done" and batch.done == batch.total == 8
    page = office_client.get(f"/documents/batches/{batch.id}").text
    assert "已完成" in page and "下载压缩包" in page
    response = office_client.get(f"/documents/batches/{batch.id}/download")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    response.close()
    names = archive.namelist()
    assert "县公安局_评议意见反馈通知书_2026.docx" in names
    assert all(info.flag_bits & 0x800 for info in archive.infolist())  # UTF-8 names
    assert len([n for n in names if n.endswith(".docx")]) + len(batch.skipped.splitlines()) == 8


def test_batch_runs_in_the_background_and_the_page_polls(county, office_client):
    response = office_client.post("/documents/batches", data={"kind": "commitment", "group": ""})
    assert response.status_code == 302
    batch = db.session.scalar(select(DocumentBatch).order_by(DocumentBatch.id.desc()))
    fragment = office_client.get(f"/documents/batches/{batch.id}",
                                 headers={"HX-Request": "true", "HX-Request-Type": "partial"}).text
    assert batch.status == "queued" and 'hx-trigger="load delay:1s"' in fragment and "排队中" in fragment
    assert jobs.run_pending() == 1  # what the server's worker thread does
    batch = db.session.get(DocumentBatch, batch.id, populate_existing=True)
    assert batch.status == "done" and batch.total == 47 and batch.job.status == "done"
    fragment = office_client.get(f"/documents/batches/{batch.id}",
                                 headers={"HX-Request": "true", "HX-Request-Type": "partial"}).text
    assert "hx-trigger" not in fragment and "下载压缩包" in fragment
    running = DocumentBatch(campaign_id=batch.campaign_id, kind="commitment", total=10, done=3, status="running")
    db.session.add(running)
    db.session.commit()
    fragment = office_client.get(f"/documents/batches/{running.id}",
                                 headers={"HX-Request": "true", "HX-Request-Type": "partial"}).text
    assert 'hx-trigger="load delay:1s"' in fragment and "30%" in fragment


def test_builders_work_on_plain_data_without_the_database():
    data = builders.commitment_docx({"unit": "县测试局", "office": "青山县纠正行业不正之风办公室", "date": "",
                                     "feedback_number": "青纠风办函〔2026〕9号",
                                     "items": [["问题一", "措施一", "张三", "2026年12月31日"]]})
    text, _ = text_of(data)
    assert "县测试局" in text and "措施一" in text and "青纠风办函〔2026〕9号" in text


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is optional; installed by hand for previews")
def test_every_document_type_converts_to_a_sane_pdf(county, tmp_path):
    from datetime import date

    from pingyi.rectifications.models import Rectification
    police = unit_named("县公安局")
    late = db.session.scalar(select(Rectification).where(Rectification.status == "answered",
                                                         Rectification.deadline < date(2026, 11, 26))).unit
    for kind, unit in (("notice", None), ("feedback-notice", police), ("rectification-notice", late),
                       ("commitment", police)):
        (tmp_path / f"{kind}.docx").write_bytes(services.build(kind, current_campaign(), unit))
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    *sorted(str(p) for p in tmp_path.glob("*.docx"))], check=True, capture_output=True, timeout=240)
    for kind, (low, high) in {"notice": (3, 10), "feedback-notice": (2, 6), "rectification-notice": (1, 4),
                              "commitment": (1, 4)}.items():
        pdf = (tmp_path / f"{kind}.pdf").read_bytes()
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        assert low <= pages <= high, (kind, pages)
