"""Every letter a unit prints, stamps and returns has a 下载 Word button where the unit reads it, and the screen
shows the same text as the Word file: each paragraph and table cell of the .docx appears on the page."""
import html
import io
import re

from docx import Document

from tests.conftest import user


def _squash(text):
    return re.sub(r"\s+", "", text.replace("\u3000", " "))


def _page_text(page):
    body = page[page.index("<main"):] if "<main" in page else page
    return _squash(html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"<br\s*/?>", "\n", body))))


def _docx_texts(data):
    doc = Document(io.BytesIO(data))
    texts = [p.text for p in doc.paragraphs]
    texts += [c.text for t in doc.tables for row in t.rows[1:] for c in row.cells]  # headers are labels
    return [t for t in (_squash(x) for x in texts) if t]


def _download_href(page, kind):
    found = re.search(r'href="([^"]*/documents/' + kind + r'\.docx[^"]*)"[^>]*>下载 Word', page)
    assert found, f"no 下载 Word button for {kind}"
    return html.unescape(found.group(1))


def test_commitment_letter_on_screen_is_the_word_file(county, unit_client):
    unit_id = user("unit").unit_id
    page = unit_client.get(f"/units/{unit_id}/commitment").text
    word = unit_client.get(_download_href(page, "commitment"))
    assert word.status_code == 200
    screen = _page_text(page)
    texts = _docx_texts(word.data)
    assert len(texts) >= 10
    missing = [t for t in texts if t not in screen]
    assert not missing, missing


def test_feedback_notice_on_screen_is_the_word_file(county, unit_client):
    from pingyi.documents.services import _latest_sent
    from pingyi.campaigns.services import current_campaign
    from pingyi.units.models import Unit
    from pingyi.extensions import db
    unit = db.session.get(Unit, user("unit").unit_id)
    notice = _latest_sent(current_campaign(), unit)
    page = unit_client.get(f"/feedback/{notice.id}/preview").text
    word = unit_client.get(_download_href(page, "feedback-notice"))
    assert word.status_code == 200
    screen = _page_text(page)
    texts = _docx_texts(word.data)
    assert len(texts) >= 15
    missing = [t for t in texts if t not in screen]
    assert not missing, missing
