"""A download with a Chinese name keeps it (filename*) and gets a meaningful plain-ASCII fallback."""
from pingyi.downloads import fallback_name
from tests.conftest import user


def test_fallback_names():
    assert fallback_name("县公安局_整改承诺书_2026.docx", {"unit_id": 4}) == "pingyi-commitment-2026-4.docx"
    assert fallback_name("现场照片.jpg", {"file_id": 12}) == "pingyi-file-12.jpg"
    assert fallback_name("report.pdf", {"file_id": 12}) == "report.pdf"


def test_word_download_carries_both_names(county, unit_client):
    unit_id = user("unit").unit_id
    response = unit_client.get(f"/units/{unit_id}/documents/commitment.docx")
    disposition = response.headers["Content-Disposition"]
    assert f"filename=pingyi-commitment-2026-{unit_id}.docx" in disposition
    assert "filename*=UTF-8''" in disposition and "__2026" not in disposition
