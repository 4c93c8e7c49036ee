"""The GB/T 9704 factory: build one document with every element, reopen it and measure the XML."""
import datetime
import io

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Pt

from pingyi.documents.gbt9704 import OfficialDocument, cn_date

DAY = datetime.date(2026, 11, 26)
ORG_MARK = "××县纠正行业不正之风办公室文件"
NUMBER = "×纠风办发〔2026〕3号"
TITLE = "关于开展2026年度政风行风评议工作的通知"
CC = ["县委办公室", "县政府办公室", "县纪委"]
THEME_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def sample():
    doc = OfficialDocument()
    doc.red_header(ORG_MARK, NUMBER)
    doc.title(TITLE)
    doc.addressee("各乡镇人民政府，县直各单位：")
    doc.paragraph("为加强社会监督，切实改进机关工作作风，决定开展评议工作。现将有关事项通知如下：")
    doc.heading1("一、评议对象")
    doc.heading2("（一）县直部门。", "县政府各部门均为评议对象。")
    doc.heading3("1.动员部署。", "印发实施方案和通知。")
    doc.blank_line()
    doc.attachment_note(["评议工作实施方案", "名单报送表"])
    doc.signature("××县纠正行业不正之风办公室", DAY)
    doc.signature_lines(["××县卫生健康局（盖章）", "主要负责人（签字）：", cn_date(DAY)])
    doc.note("（联系人：张三，电话：1234567）")
    doc.attachment_page("附件2", "名单报送表")
    doc.table(["序号", "反馈问题", "整改措施", "责任人", "完成时限"],
              [["1", "窗口服务不规范", "制定服务规范", "李四", cn_date(datetime.date(2026, 1, 5))],
               ["2", "办事指南未公开", "公开办事指南", "王五", "2026年3月31日"]],
              [800, 2900, 2900, 1100, 1145])
    doc.colophon(CC, "××县纠正行业不正之风办公室", DAY)
    return doc.save()


@pytest.fixture(scope="module")
def document():
    return docx.Document(io.BytesIO(sample()))


def paragraph(document, text):
    return next(p for p in document.paragraphs if p.text == text)


def position(document, p):
    return [q._p for q in document.paragraphs].index(p._p)


def east_asia(run):
    rfonts = run._r.rPr.rFonts
    assert all(rfonts.get(qn(attr)) is None for attr in THEME_ATTRS)
    return rfonts.get(qn("w:eastAsia"))


def ppr_child(p, tag):
    return p._p.pPr.find(qn(tag))


def test_save_returns_docx_bytes():
    assert sample()[:2] == b"PK"


def test_page_margins_and_line_grid(document):
    section = document.sections[0]
    assert (section.page_width.twips, section.page_height.twips) == (11906, 16838)
    assert [m.twips for m in (section.top_margin, section.left_margin, section.bottom_margin,
                              section.right_margin)] == [2098, 1587, 1984, 1474]
    assert section.gutter.twips == 0 and section.footer_distance.twips == 1417
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "lines" and grid.get(qn("w:linePitch")) == "579"
    assert grid.get(qn("w:charSpace")) is None


def test_defaults_and_normal_style(document):
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rfonts = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:rFonts')}")
    assert rfonts.get(qn("w:eastAsia")) == "仿宋_GB2312" and rfonts.get(qn("w:ascii")) == "Times New Roman"
    assert rfonts.get(qn("w:hAnsi")) == "Times New Roman"
    assert not any(el.get(qn(attr)) for el in styles.iter(qn("w:rFonts")) for attr in THEME_ATTRS)
    assert defaults.find(f".//{qn('w:lang')}").get(qn("w:eastAsia")) == "zh-CN"
    spacing = defaults.find(f"{qn('w:pPrDefault')}/{qn('w:pPr')}/{qn('w:spacing')}")
    assert (spacing.get(qn("w:line")), spacing.get(qn("w:lineRule"))) == ("579", "exact")
    assert (spacing.get(qn("w:before")), spacing.get(qn("w:after"))) == ("0", "0")
    normal = document.styles["Normal"]
    assert normal.font.size == Pt(16)
    assert normal.element.rPr.find(qn("w:spacing")).get(qn("w:val")) == "-5"
    assert normal.element.pPr.find(qn("w:widowControl")).get(qn("w:val")) == "0"
    settings = document.settings.element
    assert settings.find(qn("w:themeFontLang")).get(qn("w:eastAsia")) == "zh-CN"


def test_settings_even_and_odd_headers(document):
    assert document.settings.odd_and_even_pages_header_footer is True
    assert document.settings.element.find(qn("w:evenAndOddHeaders")) is not None


def test_red_header(document):
    mark = paragraph(document, ORG_MARK)
    run = mark.runs[0]
    assert east_asia(run) == "方正小标宋简体"
    assert str(run.font.color.rgb) == "FF0000"
    assert run.font.size == Pt(27.5)                    # 442.25 pt ÷ 16 characters, below 36 pt
    assert mark.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.CENTER
    assert mark.paragraph_format.space_before.twips == 1984
    number = paragraph(document, NUMBER)
    index = position(document, mark)
    assert [p.text for p in document.paragraphs[index + 1:index + 3]] == ["", ""]
    assert east_asia(number.runs[0]) == "仿宋_GB2312"
    bottom = ppr_child(number, "w:pBdr").find(qn("w:bottom"))
    assert {k: bottom.get(qn(f"w:{k}")) for k in ("val", "sz", "space", "color")} == {
        "val": "single", "sz": "12", "space": "4", "color": "FF0000"}
    after = position(document, number)
    assert [p.text for p in document.paragraphs[after + 1:after + 4]] == ["", "", TITLE]


def test_only_the_org_mark_is_coloured(document):
    colours = {str(r.font.color.rgb) for p in document.paragraphs for r in p.runs if r.font.color.rgb}
    assert colours == {"FF0000"}
    assert [p.text for p in document.paragraphs if any(r.font.color.rgb for r in p.runs)] == [ORG_MARK]


def test_title_and_body_fonts(document):
    title = paragraph(document, TITLE)
    assert east_asia(title.runs[0]) == "方正小标宋简体" and title.runs[0].font.size == Pt(22)
    assert title.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.CENTER
    assert ppr_child(title, "w:snapToGrid").get(qn("w:val")) == "0"
    body = paragraph(document, "为加强社会监督，切实改进机关工作作风，决定开展评议工作。现将有关事项通知如下：")
    assert east_asia(body.runs[0]) == "仿宋_GB2312" and body.runs[0].font.size == Pt(16)
    ind = ppr_child(body, "w:ind")
    assert (ind.get(qn("w:firstLineChars")), ind.get(qn("w:firstLine"))) == ("200", "640")
    addressee = paragraph(document, "各乡镇人民政府，县直各单位：")
    assert ppr_child(addressee, "w:ind") is None
    assert document.paragraphs[position(document, addressee) - 1].text == ""


def test_headings(document):
    h1 = paragraph(document, "一、评议对象")
    assert east_asia(h1.runs[0]) == "黑体"
    assert ppr_child(h1, "w:ind").get(qn("w:firstLineChars")) == "200"
    h2 = paragraph(document, "（一）县直部门。县政府各部门均为评议对象。")
    assert [east_asia(r) for r in h2.runs] == ["楷体_GB2312", "仿宋_GB2312"]
    h3 = paragraph(document, "1.动员部署。印发实施方案和通知。")
    assert [east_asia(r) for r in h3.runs] == ["仿宋_GB2312", "仿宋_GB2312"]
    assert [r.bold for r in h3.runs] == [True, None]


def test_title_line_breaks():
    doc = OfficialDocument()
    doc.title("××县卫生健康局\n政风行风评议整改承诺书")
    p = docx.Document(io.BytesIO(doc.save())).paragraphs[0]
    assert p.text == "××县卫生健康局\n政风行风评议整改承诺书"
    assert len(p._p.findall(f".//{qn('w:br')}")) == 1


def test_attachment_note(document):
    first = paragraph(document, "附件：1.评议工作实施方案")
    second = paragraph(document, "2.名单报送表")
    assert document.paragraphs[position(document, first) - 1].text == ""
    first_ind, second_ind = ppr_child(first, "w:ind"), ppr_child(second, "w:ind")
    # "2." starts where "1." does: 2 characters + "附件：".
    assert int(first_ind.get(qn("w:left"))) - int(first_ind.get(qn("w:hanging"))) == 640
    assert second_ind.get(qn("w:left")) == "1600" and second_ind.get(qn("w:leftChars")) == "500"
    single = OfficialDocument()
    single.attachment_note(["整改承诺书（样式）"])
    assert [p.text for p in docx.Document(io.BytesIO(single.save())).paragraphs] == ["", "附件：整改承诺书（样式）"]


def test_signature_dates_are_not_zero_padded(document):
    assert cn_date(datetime.date(2026, 1, 5)) == "2026年1月5日"
    date = paragraph(document, "2026年11月26日")
    ind = ppr_child(date, "w:ind")
    assert (ind.get(qn("w:rightChars")), ind.get(qn("w:right"))) == ("400", "1280")
    assert date.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.RIGHT
    org = document.paragraphs[position(document, date) - 1]
    assert org.text == "××县纠正行业不正之风办公室"
    # Centred over the date: 4 + (7 - 13) / 2 = 1 character.
    assert ppr_child(org, "w:ind").get(qn("w:rightChars")) == "100"
    index = position(document, org)
    assert [p.text for p in document.paragraphs[index - 2:index]] == ["", ""]
    assert "2026年1月5日" in [c.text for c in document.tables[0].rows[1].cells]


def test_unsealed_signature():
    doc = OfficialDocument()
    doc.signature("县纠风办", datetime.date(2026, 3, 1), sealed=False)
    paragraphs = docx.Document(io.BytesIO(doc.save())).paragraphs
    assert [p.text for p in paragraphs] == ["", "县纠风办", "2026年3月1日"]
    # The date (6 characters) is longer: it sits 2 characters from the right, the 署名 starts 2 left of it.
    assert ppr_child(paragraphs[2], "w:ind").get(qn("w:rightChars")) == "200"
    assert ppr_child(paragraphs[1], "w:ind").get(qn("w:rightChars")) == "600"


def test_signature_lines_and_note(document):
    lines = ["××县卫生健康局（盖章）", "主要负责人（签字）：", "2026年11月26日"]
    first = paragraph(document, lines[0])
    index = position(document, first)
    assert [p.text for p in document.paragraphs[index - 2:index + 3]] == ["", "", *lines]
    for p in document.paragraphs[index:index + 3]:
        assert p.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.RIGHT
        assert ppr_child(p, "w:ind").get(qn("w:right")) == "1280"
    note = paragraph(document, "（联系人：张三，电话：1234567）")
    assert ppr_child(note, "w:ind").get(qn("w:firstLineChars")) == "200"


def test_footers_hold_page_numbers(document):
    section = document.sections[0]
    for footer, jc, side in ((section.footer, "right", "w:right"), (section.even_page_footer, "left", "w:left")):
        p = footer.paragraphs[0]
        assert p.text == "— 1 —"
        assert ppr_child(p, "w:jc").get(qn("w:val")) == jc
        assert ppr_child(p, "w:ind").get(qn(side)) == "280"
        assert "PAGE" in "".join(t.text for t in p._p.iter(qn("w:instrText")))
        assert [f.get(qn("w:fldCharType")) for f in p._p.iter(qn("w:fldChar"))] == ["begin", "separate", "end"]
        assert p.runs[0].text == "— " and p.runs[-1].text == " —"
        for run in p.runs:
            rfonts = run._r.rPr.rFonts
            assert {rfonts.get(qn(f"w:{slot}")) for slot in ("ascii", "hAnsi", "eastAsia", "cs")} == {"宋体"}
            assert run.font.size == Pt(14)
    for header in (section.header, section.even_page_header):
        assert all(p.text == "" for p in header.paragraphs)


def test_table(document):
    table = document.tables[0]
    tbl = table._tbl
    assert table.style.name == "Table Grid"
    tblw = tbl.tblPr.find(qn("w:tblW"))
    assert (tblw.get(qn("w:w")), tblw.get(qn("w:type"))) == ("8845", "dxa")
    assert tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
    widths = [c.get(qn("w:w")) for c in tbl.tblGrid.findall(qn("w:gridCol"))]
    assert widths == ["800", "2900", "2900", "1100", "1145"]
    assert tbl.tr_lst[0].trPr.find(qn("w:tblHeader")) is not None
    assert tbl.tr_lst[1].trPr.find(qn("w:tblHeader")) is None
    assert all(tr.trPr.find(qn("w:cantSplit")) is not None for tr in tbl.tr_lst)
    header = table.rows[0].cells[1].paragraphs[0]
    assert east_asia(header.runs[0]) == "黑体" and header.runs[0].font.size == Pt(14)
    cell = table.rows[1].cells[1].paragraphs[0]
    assert east_asia(cell.runs[0]) == "仿宋_GB2312" and cell.runs[0].font.size == Pt(14)
    assert ppr_child(cell, "w:snapToGrid").get(qn("w:val")) == "0"
    assert ppr_child(cell, "w:spacing").get(qn("w:lineRule")) == "auto"
    assert table.rows[1].cells[4].width.twips == 1145


def test_table_widths_must_fill_the_text_area():
    with pytest.raises(ValueError):
        OfficialDocument().table(["a", "b"], [], [1000, 1000])


def test_attachment_page_starts_with_page_break(document):
    label = paragraph(document, "附件2")
    assert label.paragraph_format.page_break_before is True
    assert east_asia(label.runs[0]) == "黑体" and label.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.LEFT
    index = position(document, label)
    title = document.paragraphs[index + 2]
    assert document.paragraphs[index + 1].text == "" and title.text == "名单报送表"
    assert east_asia(title.runs[0]) == "方正小标宋简体" and title.runs[0].font.size == Pt(22)


def test_colophon(document):
    table = document.tables[-1]
    tblpr = table._tbl.tblPr
    pos = tblpr.find(qn("w:tblpPr"))
    assert {k: pos.get(qn(f"w:{k}")) for k in ("vertAnchor", "tblpYSpec", "horzAnchor", "tblpX")} == {
        "vertAnchor": "margin", "tblpYSpec": "bottom", "horzAnchor": "page", "tblpX": "1587"}
    assert tblpr.find(qn("w:tblW")).get(qn("w:w")) == "8845"
    borders = tblpr.find(qn("w:tblBorders"))
    sizes = {side: (borders.find(qn(f"w:{side}")).get(qn("w:val")), borders.find(qn(f"w:{side}")).get(qn("w:sz")))
             for side in ("top", "bottom", "insideH", "left", "right")}
    assert sizes == {"top": ("single", "8"), "bottom": ("single", "8"), "insideH": ("single", "6"),
                     "left": ("nil", None), "right": ("nil", None)}
    cc, issued = (row.cells[0].paragraphs[0] for row in table.rows)
    assert cc.text == "抄送：县委办公室，县政府办公室，县纪委。"
    assert east_asia(cc.runs[0]) == "仿宋_GB2312" and cc.runs[0].font.size == Pt(14)
    assert issued.text == "××县纠正行业不正之风办公室\t2026年11月26日印发"
    assert issued.paragraph_format.tab_stops[0].position.twips == 8845 - 280
    end = document.element.body[-2]                  # the last block before sectPr
    assert end.tag == qn("w:p") and end.pPr.find(qn("w:spacing")).get(qn("w:line")) == "20"
    assert table._tbl.getnext() is end


def test_every_chinese_run_names_its_east_asian_font(document):
    for p in document.paragraphs + [p for t in document.tables for c in t._cells for p in c.paragraphs]:
        for run in p.runs:
            if any("\u4e00" <= ch <= "\u9fff" for ch in run.text):
                assert east_asia(run)


def test_schema_order_of_paragraph_properties(document):
    order = ["pStyle", "keepNext", "keepLines", "pageBreakBefore", "widowControl", "pBdr", "tabs", "snapToGrid",
             "spacing", "ind", "jc", "rPr"]
    blocks = list(document.paragraphs) + [p for t in document.tables for c in t._cells for p in c.paragraphs]
    for p in blocks:
        if p._p.pPr is None:
            continue
        tags = [child.tag.split("}")[1] for child in p._p.pPr]
        assert tags == sorted(tags, key=order.index), tags
