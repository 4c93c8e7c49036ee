"""Every kind of document laid out by LibreOffice and checked page by page from the PDF (pdftotext -bbox):
the 版记 at the foot of an even page, no heading on the last line of a page, no signature block alone on
a page, no date or 序号 broken inside a table cell, page numbers where GB/T 9704 puts them (none on page 1
of a 信函), and the builder's text all there. For 县公安局, 县教育局 (from the demo county) and a unit
with a 40-character name, six problems and long texts. Skipped where LibreOffice is not installed."""
import datetime
import html
import re
import shutil
import subprocess

import pytest

from pingyi.campaigns.services import current_campaign
from pingyi.documents import builders, render, services
from tests.conftest import unit_named

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                                reason="needs LibreOffice and poppler-utils (make test installs them)")

LONG_UNIT = "青山县农村土地承包经营权确权登记颁证暨集体产权制度改革工作领导小组办公室服务中心"
assert len(LONG_UNIT) == 40
LONG_TEXT = ("窗口工作人员在受理群众申请时未执行一次性告知制度，群众往返多次仍未办结，"
             "且办事指南中所列材料与实际要求不一致，群众对此反映强烈，造成较大不良影响")
DAY = datetime.date(2026, 11, 30)
OFFICE = "青山县纠正行业不正之风办公室"
HEADINGS = ("一、总体评价", "二、存在的主要问题", "三、整改要求", "一、评议对象", "二、评议内容", "三、评议组织",
            "四、评议步骤", "五、工作要求", "一、评议结果", "二、存在的主要问题", "三、工作要求")


def _letter(unit, **more):
    return {"letter": True, "org": OFFICE, "office": OFFICE, "office_short": "县纠风办", "year": 2026,
            "notice_number": "青纠风办发〔2026〕3号", "unit": unit, "date": DAY, **more}


def long_data(kind):
    """Builder input for the unit with a 40-character name: six problems, long texts."""
    problems = [f"{LONG_TEXT}（第{n}个问题）" for n in range(1, 7)]
    if kind == "feedback-notice":
        return _letter(LONG_UNIT, number="青纠风办函〔2026〕41号", round="6月集中评议", methods="采取明察暗访、问卷调查、座谈会等方式",
                       overall=f"{LONG_UNIT}参加了2026年度政风行风评议。" + LONG_TEXT * 2 + "。",
                       problems=[("服务质量", problems[:3]), ("政务公开", problems[3:5]), ("清正廉洁", problems[5:])],
                       flat_problems=problems, suggestions=[(LONG_TEXT, "2026年12月31日")] * 6,
                       answer_deadline="2026年12月31日", cc=["县纪委", "县政府办公室"])
    if kind == "rectification-notice":
        return _letter(LONG_UNIT, number="青纠风办函〔2026〕42号", feedback_number="青纠风办函〔2026〕41号",
                       feedback_date="2026年6月28日", deadline="2026年12月31日", cc=["县纪委"],
                       items=[{"dimension": "服务质量", "found_on": "2026年6月16日", "method": "明察暗访", "facts": p,
                               "rule": "评议内容“服务质量”中“是否存在办事拖拉、推诿扯皮”的要求",
                               "old_deadline": "2026年8月31日", "state": "经核实未整改到位"} for p in problems])
    if kind == "reminder":
        return _letter(LONG_UNIT, number="青纠风办函〔2026〕43号", as_of="2026年11月30日", deadline="2026年12月7日",
                       tasks=[(f"报送自查报告和整改台账（第{n}项）", "2026年6月30日", 153) for n in range(1, 7)],
                       unsigned=["《关于某单位政风行风评议意见的反馈通知书》（青纠风办函〔2026〕41号）"],
                       unanswered=problems, contact="刘晓燕", phone="0791-8321456")
    if kind == "commitment":
        return {"unit": LONG_UNIT, "office": OFFICE, "date": "", "feedback_number": "青纠风办函〔2026〕41号",
                "items": [[p, LONG_TEXT, "副局长 王建国\n户政管理大队\n办公室主任 周敏", "2026年12月31日"] for p in problems]}
    raise KeyError(kind)


def demo_data(kind, unit):
    """The demo unit's data from the database; builder input of the same shape where it has none."""
    campaign = current_campaign()
    try:
        if kind in ("rectification-notice", "reminder"):
            return services.DATA[kind](campaign, unit, deadline=datetime.date(2026, 12, 20), number=50)
        return services.DATA[kind](campaign, unit)
    except services.DocumentMissing:
        data = long_data(kind)
        text = repr(data).replace(LONG_UNIT, unit.name)
        return eval(text, {"datetime": datetime})  # noqa: S307 - our own literal, the unit's name swapped in


def pages_of(pdf, tmp_path):
    """Per page: (width, height, lines), a line being (text without spaces, xMin, yMin, xMax)."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', out, re.S):
        words = [(float(x0), float(y0), float(x1), html.unescape(w)) for x0, y0, x1, w in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">(.*?)</word>', page.group(3))]
        lines = {}
        for x0, y0, x1, w in sorted(words, key=lambda w: (round(w[1]), w[0])):
            key = next((k for k in lines if abs(k - y0) < 4), y0)
            lines.setdefault(key, []).append((x0, x1, w))
        pages.append((float(page.group(1)), float(page.group(2)),
                      [("".join(w for _, _, w in ws), min(x for x, _, _ in ws), y, max(x for _, x, _ in ws))
                       for y, ws in sorted(lines.items())]))
    return pages


PAGE_NUMBER = re.compile(r"^—(\d+)—$")


def check(kind, data, tmp_path):
    docx, pdf = render.paginated(kind, data, builders.BUILDERS[kind])
    pages = pages_of(pdf, tmp_path)
    letter = kind in ("feedback-notice", "rectification-notice", "reminder")
    n = len(pages)
    body = []
    for number, (width, height, lines) in enumerate(pages, 1):
        numbers = [line for line in lines if PAGE_NUMBER.match(line[0])]
        text = [line for line in lines if not PAGE_NUMBER.match(line[0])]
        colophon_only = any(t.startswith("抄送") for t, *_ in text) and all(y > height * 0.6 for _, _, y, _ in text)
        # page numbers: none on page 1 of a 信函, none on a 版记 page of its own or a blank page
        if (letter and number == 1) or colophon_only or not text:
            assert not numbers, (kind, number, "page number where there should be none")
        else:
            assert [int(PAGE_NUMBER.match(t).group(1)) for t, *_ in numbers] == [number], (kind, number)
            _, x0, y, x1 = numbers[0]
            assert y > height * 0.85
            assert (x0 > width / 2) if number % 2 else (x1 < width / 2), (kind, number, "odd right, even left")
        if text and number < n:
            last = text[-1][0]
            assert not any(last == h or last.endswith(h) for h in HEADINGS), (kind, number, last)
            assert not last.startswith("附件") or last.startswith("附件："), (kind, number, last)
        body += [t for t, *_ in text]
    # the 版记 at the foot of the last page, an even one
    if kind in builders.WITH_COLOPHON:
        assert n % 2 == 0, (kind, n)
        width, height, lines = pages[-1]
        cc = [line for line in lines if line[0].startswith("抄送")]
        assert cc and cc[0][2] > height * 0.6, (kind, "版记 not at the foot")
        assert all(not line[0].startswith("抄送") for page in pages[:-1] for line in page[2])
    # a signature block is never alone on its page: something of the text stands above it
    signature = OFFICE if kind != "commitment" else f"{data['unit'][-8:]}（盖章）"
    for width, height, lines in pages:
        ends = [i for i, line in enumerate(lines) if line[0].endswith(signature) and line[1] > width * 0.3]
        for i in ends:
            assert i > 0 and not PAGE_NUMBER.match(lines[0][0]), (kind, "signature alone on a page")
    # dates and 序号 in table cells are never broken: every date of the input stands on one line
    joined = "".join(body)
    for date in set(re.findall(r"\d{4}年\d{1,2}月\d{1,2}日", repr(data))):
        if kind in ("commitment",) and date in repr(data.get("items")):
            assert any(date in t for t in body), (kind, date, "broken in a table cell")
    # the text is the builder's input (punctuation aside: LibreOffice hangs it beyond the line's end,
    # where pdftotext does not always see it)
    def plain(text):
        return re.sub(r"[\s，。；：、]", "", text)
    for text in _texts(kind, data):
        assert plain(text) in plain(joined), (kind, text[:30])
    return n, docx


def _texts(kind, d):
    if kind == "feedback-notice":
        return [d["unit"], *(p.rstrip("。；") for _, ps in d["problems"] for p in ps),
                *(s.rstrip("。；") for s, _ in d["suggestions"]), *(t for t in d["overall"].split("\n") if t.strip())]
    if kind == "rectification-notice":
        return [d["unit"], d["deadline"], d["number"], d["feedback_number"],
                *(i["facts"].rstrip("。；") for i in d["items"]), *(i["found_on"] for i in d["items"])]
    if kind == "reminder":
        return [d["unit"], d["deadline"], d["number"], *(t.rstrip("。") for t, _, _ in d["tasks"])]
    if kind == "commitment":
        return [d["unit"], "一、按期整改。", "四、承担责任。"]
    if kind == "notice":
        return [d["number"], *(name for name, _ in d["dimensions"])]
    if kind == "bulletin":
        return [d["number"], *(g["name"] for g in d["groups"])]
    return []


UNIT_KINDS = ("feedback-notice", "rectification-notice", "commitment", "reminder")


@pytest.mark.parametrize("kind", UNIT_KINDS)
def test_unit_documents_lay_out_cleanly(kind, county, tmp_path):
    counts = {}
    for name in ("县公安局", "县教育局"):
        counts[name], _ = check(kind, demo_data(kind, unit_named(name)), tmp_path)
    counts["long"], _ = check(kind, long_data(kind), tmp_path)
    print(kind, counts)


@pytest.mark.parametrize("kind", ("notice", "bulletin"))
def test_county_documents_lay_out_cleanly(kind, county, tmp_path):
    data = services.DATA[kind](current_campaign(), None)
    n, _ = check(kind, data, tmp_path)
    if kind == "bulletin":   # a 40-character unit in the results table
        data["groups"][0]["rows"][0]["unit"] = LONG_UNIT
        check(kind, data, tmp_path)
    print(kind, n)
