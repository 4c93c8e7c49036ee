"""评议结果通报 (builders.bulletin_docx): content from plain data, GB/T 9704 fonts, page and results tables."""
import copy
import datetime
import re
import shutil
import subprocess

import pytest
from docx.oxml.ns import qn

from pingyi.documents.builders import bulletin_docx
from tests.documents.test_documents import east_asia, text_of

HEADERS = ["名次", "单位", "综合得分", "评定等次", "备注"]


def rows(names, first_total):
    out, total = [], first_total
    for n, name in enumerate(names):
        rank = n if n and n % 7 == 0 else n + 1          # a tie now and then: the row shares the rank above
        out.append({"rank": rank, "unit": name, "total": f"{total:.2f}", "grade": "满意" if total >= 90 else
                    "比较满意" if total >= 85 else "基本满意" if total >= 80 else "不满意", "mark": ""})
        total -= 0.37
    out[0]["mark"] = out[1]["mark"] = "先进"
    out[-1]["mark"] = "末位"
    return out


DEPARTMENTS = ["县公安局", "县财政局", "县教育局", "县民政局", "县人力资源和社会保障局", "县自然资源局",
               "县生态环境局", "县住房和城乡建设局", "县交通运输局", "县水利局", "县农业农村局", "县商务局",
               "县文化广电新闻出版旅游局", "县卫生健康委员会", "县退役军人事务局", "县应急管理局", "县审计局",
               "县市场监督管理局", "县医疗保障局", "县行政审批局", "县林业局", "县统计局", "县司法局",
               "县发展和改革委员会", "县工业和信息化局", "县城市管理局", "县人民医院", "县中医院", "县自来水公司",
               "县公共交通公司"]
KEY = ["县不动产登记中心", "县社会保险事业管理局", "县政务服务中心", "县公共资源交易中心", "县住房公积金管理中心",
       "县就业服务中心", "县疾病预防控制中心", "县机关事务服务中心", "县某某局"]
STATIONED = ["国家税务总局青山县税务局", "国网青山县供电公司", "中国电信青山分公司", "中国移动青山分公司",
             "青山县邮政分公司", "中国人民银行青山县支行", "青山县烟草专卖局", "青山县气象局"]


def sample(**changes):
    d = {
        "org_mark": "青山县纠正行业不正之风办公室文件",
        "number": "青纠风办发〔2026〕12号",
        "year": 2026,
        "county": "青山县",
        "office": "青山县纠正行业不正之风办公室",
        "date": datetime.date(2026, 11, 30),
        "version": 1,
        "summary": {"units": 47, "ballots": 9400, "valid": 9106, "rate": "91.37"},
        "grades": [("满意", 30), ("比较满意", 12), ("基本满意", 4), ("不满意", 1)],
        "groups": [
            {"name": "县政府部门和县直企事业单位", "rows": rows(DEPARTMENTS, 95.12),
             "top": ["县公安局", "县财政局"], "bottom": ["县公共交通公司"]},
            {"name": "重点评议部门", "rows": rows(KEY, 93.40), "top": ["县不动产登记中心"], "bottom": []},
            {"name": "驻县单位", "rows": rows(STATIONED, 92.85), "top": [], "bottom": ["青山县气象局"]},
        ],
        "top_text": "先进单位由县政府通报表扬。",
        "bottom_text": "末位单位由县政府分管领导约谈其主要负责人，限期整改，取消本年度评先评优资格。",
        "unrated": ["县某某站"],
        "problems": ["窗口服务不规范，个别工作人员态度生硬", "办事指南公开不及时，群众办事多跑路",
                     "涉企收费公示不到位"],
        "requirements": ["各单位要认真对照评议结果，深入查找问题根源", "末位单位要制定整改方案，于2027年1月31日前报县纠风办",
                         "各单位要建立健全长效机制，持续改进工作作风"],
        "contact": "刘晓燕", "phone": "0791-8321456",
    }
    for key, value in changes.items():
        d[key] = value
    return d


@pytest.fixture(scope="module")
def built():
    return text_of(bulletin_docx(sample()))


def headings(doc):
    """The body's 黑体 section headings (the attachment page, from its "附件" label on, left out)."""
    found = []
    for p in doc.paragraphs:
        if p.text == "附件":
            break
        if p.runs and east_asia(p.runs[0]) == "黑体":
            found.append(p.text)
    return found


def test_ranking_tables_are_the_attachment(built):
    texts = [p.text for p in built[1].paragraphs]
    assert "附件：2026年度政风行风评议结果排名表" in texts
    attachment = texts.index("附件")
    assert built[1].paragraphs[attachment].paragraph_format.page_break_before
    assert texts[attachment + 2:].count("2026年度政风行风评议结果排名表") == 1


def result_tables(doc):
    return [t for t in doc.tables if [c.text for c in t.rows[0].cells] == HEADERS]


def test_red_header_title_and_addressee(built):
    text, doc = built
    assert "青山县纠正行业不正之风办公室文件" in text and "青纠风办发〔2026〕12号" in text
    title = next(p for p in doc.paragraphs if "评议结果的通报" in p.text)
    assert title.text.replace("\n", "") == "关于2026年度政风行风评议结果的通报"
    assert title.text == "关于2026年度\n政风行风评议结果的通报"        # broken like the other titles
    assert east_asia(title.runs[0]) == "方正小标宋简体" and title.runs[0].font.size.pt == 22
    assert "各乡镇人民政府，县政府各部门，县直各企事业单位，各驻县单位：" in text


def test_opening_paragraph_states_the_summary_in_body_font(built):
    _, doc = built
    body = next(p for p in doc.paragraphs if p.text.startswith("根据县委、县政府工作部署"))
    for phrase in ("青山县", "2026年度", "47个单位", "回收测评问卷9400份", "有效评价9106人次", "91.37%", "现将评议结果通报如下："):
        assert phrase in body.text, phrase
    run = body.runs[0]
    assert run._r.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312" and run.font.size.pt == 16
    ind = body._p.pPr.find(qn("w:ind"))
    assert ind.get(qn("w:firstLineChars")) == "200"


def test_every_chinese_run_names_its_east_asian_font(built):
    _, doc = built
    cells = [p for t in doc.tables for c in t._cells for p in c.paragraphs]
    for p in doc.paragraphs + cells:
        for run in p.runs:
            if re.search("[\u4e00-\u9fff]", run.text):
                assert east_asia(run), run.text


def test_a4_page_and_margins(built):
    section = built[1].sections[0]
    assert (section.page_width.twips, section.page_height.twips) == (11906, 16838)
    assert [m.twips for m in (section.top_margin, section.left_margin, section.bottom_margin,
                              section.right_margin)] == [2098, 1587, 1984, 1474]


def test_sections_are_numbered_in_order(built):
    assert headings(built[1]) == ["一、评议结果", "二、存在的主要问题", "三、工作要求"]
    text = built[0]
    assert "（一）县政府部门和县直企事业单位。共30个单位参加排名，县公安局、县财政局为先进单位，县公共交通公司为末位单位。" in text
    assert "（二）重点评议部门。共9个单位参加排名，县不动产登记中心为先进单位。" in text
    assert "（三）驻县单位。共8个单位参加排名，青山县气象局为末位单位。" in text
    assert "评定为“满意”等次30个，“比较满意”等次12个，“基本满意”等次4个，“不满意”等次1个。" in text
    assert "（三）涉企收费公示不到位。" in text
    assert "先进单位由县政府通报表扬。末位单位由县政府分管领导约谈其主要负责人" in text
    assert "（二）末位单位要制定整改方案，于2027年1月31日前报县纠风办。" in text


def test_every_unit_and_total_is_in_its_groups_table(built):
    _, doc = built
    tables = result_tables(doc)
    groups = sample()["groups"]
    assert len(tables) == len(groups)
    for table, group in zip(tables, groups):
        cells = [[c.text for c in row.cells] for row in table.rows[1:]]
        assert cells == [[str(r["rank"]), r["unit"], r["total"], r["grade"], r["mark"]] for r in group["rows"]]
    assert sum(len(t.rows) - 1 for t in tables) == 47


def test_results_tables_repeat_their_header_and_keep_rows_whole(built):
    for table in result_tables(built[1]):
        trs = table._tbl.tr_lst
        assert trs[0].trPr.find(qn("w:tblHeader")) is not None
        assert all(tr.trPr.find(qn("w:tblHeader")) is None for tr in trs[1:])
        assert all(tr.trPr.find(qn("w:cantSplit")) is not None for tr in trs)
        header = table.rows[0].cells[0].paragraphs[0].runs[0]
        assert east_asia(header) == "黑体" and header.font.size.pt == 14
        widths = [int(c.get(qn("w:w"))) for c in table._tbl.tblGrid.findall(qn("w:gridCol"))]
        assert sum(widths) == 8845


def test_signature_note_and_colophon(built):
    text, doc = built
    texts = [p.text for p in doc.paragraphs]
    at = texts.index("青山县纠正行业不正之风办公室")
    assert texts[at - 2:at + 3] == ["", "", "青山县纠正行业不正之风办公室", "2026年11月30日",
                                    "（联系人：刘晓燕，电话：0791-8321456）"]
    assert "以下单位因无有效测评票未参加排名：县某某站。" in text
    colophon = doc.tables[-1]
    assert colophon.rows[0].cells[0].text.startswith("抄送：县委办公室，")
    assert colophon.rows[1].cells[0].text == "青山县纠正行业不正之风办公室\t2026年11月30日印发"


def test_footers_hold_page_number_fields(built):
    section = built[1].sections[0]
    for footer in (section.footer, section.even_page_footer):
        p = footer.paragraphs[0]
        assert p.text == "— 1 —"
        assert "PAGE" in "".join(t.text for t in p._p.iter(qn("w:instrText")))
        assert [f.get(qn("w:fldCharType")) for f in p._p.iter(qn("w:fldChar"))] == ["begin", "separate", "end"]


def test_empty_sections_are_left_out_without_gaps_in_numbering():
    text, doc = text_of(bulletin_docx(sample(problems=[])))
    assert headings(doc) == ["一、评议结果", "二、工作要求"]
    assert "存在的主要问题" not in text
    _, doc = text_of(bulletin_docx(sample(problems=[], requirements=[], top_text="", bottom_text="")))
    assert headings(doc) == ["一、评议结果"]
    text, doc = text_of(bulletin_docx(sample(requirements=[], top_text="", bottom_text="末位单位由县政府约谈。")))
    assert headings(doc) == ["一、评议结果", "二、存在的主要问题", "三、工作要求"]
    assert "末位单位由县政府约谈。" in text and "通报表扬" not in text


def test_optional_parts_absent():
    d = sample(number="", unrated=[], contact="", grades=[("满意", 40), ("不满意", 0)])
    d["groups"] = copy.deepcopy(d["groups"][:1])
    d["groups"][0].update(top=[], bottom=[])
    text, doc = text_of(bulletin_docx(d))
    assert "〔" not in text and "未参加排名" not in text and "联系人" not in text
    assert "评定为“满意”等次40个。" in text and "不满意" not in text.split("各类别评议结果如下")[0]
    assert "（一）县政府部门和县直企事业单位。共30个单位参加排名。" in text
    assert doc.paragraphs[0].text == "青山县纠正行业不正之风办公室文件"


def test_ordinals_beyond_ten():
    text, _ = text_of(bulletin_docx(sample(problems=[f"问题{n}" for n in range(1, 22)])))
    for n, ordinal in ((10, "十"), (11, "十一"), (20, "二十"), (21, "二十一")):
        assert f"（{ordinal}）问题{n}。" in text


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is optional; installed by hand for previews")
def test_bulletin_converts_to_a_sane_pdf(tmp_path):
    (tmp_path / "bulletin.docx").write_bytes(bulletin_docx(sample()))
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(tmp_path / "bulletin.docx")], check=True, capture_output=True, timeout=240)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", (tmp_path / "bulletin.pdf").read_bytes()))
    assert 3 <= pages <= 8, pages
