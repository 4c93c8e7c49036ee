"""Every document builder takes any stored string: arbitrary Unicode (C0 controls, NUL, lone surrogates,
bidi overrides, emoji and other 4-byte characters, very long strings) in every text input builds a .docx
that reopens, with the text kept but for the characters XML cannot hold."""
import datetime
import io

import docx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pingyi.documents import builders
from pingyi.documents.gbt9704 import xml_text

NASTY = st.sampled_from(["\x00", "\x0b", "\x0c", "\x1f", "\x7f", "\ufffe", "\uffff", "\ud800", "\u202e", "\u2066",
                         "\u200b", "\r", "\r\n", "\t", "\n", "😀", "𠀀", "👨‍👩‍👧", "〔", "＆<>\"'"])
TEXT = st.lists(st.one_of(st.text(max_size=40), NASTY), max_size=8).map("".join)
LONG = st.one_of(TEXT, TEXT.map(lambda t: (t or "长") * 300))
DAY = st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2099, 12, 31))


def texts(n=3):
    return st.lists(LONG, min_size=1, max_size=n)


LETTER = {"letter": st.just(True), "org": TEXT, "office": TEXT, "office_short": TEXT, "year": st.integers(2000, 2099),
          "notice_number": TEXT, "unit": LONG, "number": TEXT, "date": DAY, "cc": st.lists(TEXT, max_size=3),
          "colophon_own_page": st.sampled_from([0, 1, 2])}

DATA = {
    "notice": st.fixed_dictionaries({
        "org_mark": TEXT, "number": TEXT, "year": st.integers(2000, 2099), "office": TEXT, "date": DAY,
        "counts": st.fixed_dictionaries({k: st.integers(0, 99) for k in ("department", "institution", "stationed")}),
        "key_units": st.lists(TEXT, max_size=3), "stationed": st.lists(TEXT, max_size=3),
        "dimensions": st.lists(st.tuples(TEXT, texts()), max_size=3),
        "groups": st.lists(st.tuples(TEXT, TEXT, TEXT, TEXT), max_size=3),
        "phases": st.lists(st.tuples(TEXT, TEXT, TEXT, LONG), max_size=4),
        "report_deadline": TEXT, "contact": TEXT, "phone": TEXT, "colophon_own_page": st.sampled_from([0, 1, 2])}),
    "feedback-notice": st.fixed_dictionaries(LETTER | {
        "round": TEXT, "methods": TEXT, "overall": LONG, "problems": st.lists(st.tuples(TEXT, texts()), max_size=3),
        "flat_problems": texts(6), "suggestions": st.lists(st.tuples(LONG, TEXT), max_size=4),
        "answer_deadline": TEXT}),
    "rectification-notice": st.fixed_dictionaries(LETTER | {
        "feedback_number": TEXT, "feedback_date": TEXT, "deadline": TEXT,
        "items": st.lists(st.fixed_dictionaries({k: LONG for k in ("dimension", "found_on", "method", "facts", "rule",
                                                                   "old_deadline", "state")}), max_size=3)}),
    "reminder": st.fixed_dictionaries(LETTER | {
        "as_of": TEXT, "deadline": TEXT, "tasks": st.lists(st.tuples(LONG, TEXT, st.integers(0, 999)), max_size=3),
        "unsigned": st.lists(TEXT, max_size=2), "unanswered": st.lists(LONG, max_size=3), "contact": TEXT,
        "phone": TEXT, "unit": st.one_of(st.none(), LONG),  # None: the county-wide 催办通知
        "rects": st.lists(st.tuples(LONG, TEXT, st.integers(0, 999)), max_size=2),
        "units": st.lists(st.tuples(LONG, st.integers(1, 99), st.integers(1, 999)), max_size=3)}),
    "commitment": st.fixed_dictionaries({
        "unit": LONG, "office": TEXT, "date": TEXT, "feedback_number": TEXT,
        "items": st.lists(st.lists(LONG, min_size=4, max_size=4), max_size=4)}),
    "bulletin": st.fixed_dictionaries({
        "org_mark": TEXT, "number": TEXT, "year": st.integers(2000, 2099), "county": TEXT, "office": TEXT,
        "date": DAY, "version": st.integers(1, 9), "contact": TEXT, "phone": TEXT,
        "summary": st.fixed_dictionaries({"units": st.integers(0, 999), "ballots": st.integers(0, 9999),
                                          "valid": st.integers(0, 9999), "rate": TEXT}),
        "grades": st.lists(st.tuples(TEXT, st.integers(0, 50)), max_size=4),
        "groups": st.lists(st.fixed_dictionaries({
            "name": TEXT, "top": st.lists(TEXT, max_size=2), "bottom": st.lists(TEXT, max_size=2),
            "rows": st.lists(st.fixed_dictionaries({"rank": st.integers(1, 99), "unit": LONG, "total": TEXT,
                                                    "grade": TEXT, "mark": TEXT}), max_size=4)}), max_size=2),
        "top_text": TEXT, "bottom_text": TEXT, "unrated": st.lists(TEXT, max_size=2),
        "problems": st.lists(st.one_of(LONG, st.tuples(TEXT, LONG)), max_size=3),
        "requirements": st.lists(st.one_of(LONG, st.tuples(TEXT, LONG)), max_size=3)}),
}


def test_every_builder_is_covered():
    assert set(DATA) == set(builders.BUILDERS)


def _plain(text):
    return "".join(text.split())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.one_of(*(st.tuples(st.just(kind), strategy) for kind, strategy in DATA.items())))
def test_any_text_builds_a_document_that_reopens(data):
    kind, d = data
    built = builders.BUILDERS[kind](d)
    document = docx.Document(io.BytesIO(built))
    body = [p.text for p in document.paragraphs]
    body += [c.text for t in document.tables for row in t.rows for c in row.cells]
    text = _plain("".join(body))
    # What a builder writes whole (the unit's name as addressee or title, each problem or row) is found
    # again, cleaned of what XML cannot hold.
    whole = [d.get("unit") or ""] + list(d.get("flat_problems", [])) + [c for row in d.get("items", [])
                                                                      if isinstance(row, list) for c in row]
    for value in whole:
        assert _plain(xml_text(value)) in text


def test_a_vertical_tab_in_a_stored_field_no_longer_breaks_the_commitment_letter():
    built = builders.commitment_docx({"unit": "县测试局", "office": "青山县纠正行业不正之风办公室", "date": "",
                                      "feedback_number": "", "items": [["问题\x0b一", "措施\x00一", "张三\x1b", "2026年12月31日"]]})
    cells = [c.text for t in docx.Document(io.BytesIO(built)).tables for row in t.rows for c in row.cells]
    assert "问题一" in cells and "措施一" in cells and "张三" in cells


def test_the_same_content_gives_the_same_bytes():
    """Zip entries carry a fixed date: a preview's cached pages are found again by the file's sha256."""
    import zipfile
    data = {"unit": "县测试局", "office": "青山县纠正行业不正之风办公室", "date": "", "feedback_number": "",
            "items": [["问题", "措施", "张三", "2026年12月31日"]]}
    built = builders.commitment_docx(data)
    assert {i.date_time for i in zipfile.ZipFile(io.BytesIO(built)).infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert builders.commitment_docx(data) == built
