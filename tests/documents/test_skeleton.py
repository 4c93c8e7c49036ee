"""Documents start from a per-thread skeleton copied for each one and are zipped with the shared entries
compressed once: the bytes must be what python-docx itself would write, and no document may leak into the
next one or into another thread's."""
import io
import threading
import zipfile

from pingyi.documents import builders
from pingyi.documents.gbt9704 import OfficialDocument

LETTER = {"letter": True, "org": "青山县纠正行业不正之风办公室", "office": "青山县纠正行业不正之风办公室",
          "office_short": "县纠风办", "year": 2026, "notice_number": "青纠发〔2026〕1号", "unit": "县公安局",
          "number": "青纠函〔2026〕3号", "round": "第一轮集中评议", "methods": "采取明察暗访等方式", "overall": "总体较好",
          "problems": [("服务效能", ["窗口排队时间长"])], "flat_problems": ["窗口排队时间长"],
          "suggestions": [("落实限时办结", "2026年8月31日")], "answer_deadline": "2026年7月31日",
          "date": __import__("datetime").date(2026, 6, 20), "cc": ["县纪委"]}
COMMITMENT = {"unit": "县教育局", "office": "青山县纠正行业不正之风办公室", "date": "", "feedback_number": "",
              "items": [["问题一", "措施一", "张三\n办公室\n李四", "2026年12月31日"]]}


def _entries(data):
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    return [(info.filename, archive.read(info.filename)) for info in archive.infolist()]


def test_the_zip_holds_what_python_docx_itself_writes():
    doc = OfficialDocument()
    doc.title("标题")
    doc.paragraph("正文")
    doc.table(["序号", "内容"], [["1", "甲"]], [1000, 7845])
    own = io.BytesIO()
    doc.doc.save(own)
    assert _entries(doc.save()) == _entries(own.getvalue())


def test_a_document_does_not_leak_into_the_next_one():
    first = builders.commitment_docx(COMMITMENT)
    builders.feedback_notice_docx(LETTER)  # a 信函 changes its headers and footers, and has a table
    assert builders.commitment_docx(COMMITMENT) == first
    headers = [name for name, _ in _entries(first) if "header" in name or "footer" in name]
    assert headers == ["word/header1.xml", "word/header2.xml", "word/footer1.xml", "word/footer2.xml"]


def test_another_thread_builds_the_same_bytes():
    here = builders.feedback_notice_docx(LETTER)
    there = []
    thread = threading.Thread(target=lambda: there.append(builders.feedback_notice_docx(LETTER)))
    thread.start()
    thread.join()
    assert there == [here]
