"""Importing unit lists: row-by-row Chinese error reports, all or nothing, duplicates, formats."""
import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from pingyi.campaigns.services import current_campaign, participation
from pingyi.extensions import db
from pingyi.units import services
from pingyi.units.models import Unit
from tests.conftest import unit_named

HEADER = ["单位名称", "简称", "类别", "主要负责人", "联络员", "联系电话", "重点评议部门"]


def xlsx(rows):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows, encoding="utf-8"):
    return "\n".join(",".join(r) for r in rows).encode(encoding)


def unit_count():
    return db.session.scalar(select(func.count(Unit.id)))


def refused(filename, data):
    before = unit_count()
    with pytest.raises(services.ImportRefused) as caught:
        services.import_units(filename, data, current_campaign())
    db.session.rollback()
    assert unit_count() == before
    return caught.value.problems


def test_good_xlsx_creates_every_unit_in_the_current_campaign(county):
    rows = [HEADER, ["县供销合作社联合社", "供销社", "县直企事业单位", "黄强", "李娜", "0791-8123456", "否"],
            ["县应急管理局", "应急局", "县政府部门", "", "", "", "是"]]
    created = services.import_units("名单.xlsx", xlsx(rows), current_campaign())
    assert [u.name for u in created] == ["县供销合作社联合社", "县应急管理局"]
    emergency = unit_named("县应急管理局")
    assert emergency.category == "department" and participation(current_campaign(), emergency).is_key
    assert unit_named("县供销合作社联合社").contact_phone == "0791-8123456"


def test_csv_saved_by_excel_in_gbk_is_read(county):
    rows = [["单位名称", "类别"], ["县气象局", "驻县单位"]]
    services.import_units("名单.csv", csv_bytes(rows, "gb18030"), current_campaign())
    assert unit_named("县气象局").category == "stationed"


def test_bad_header_names_the_column(county):
    problems = refused("x.xlsx", xlsx([["单位名", "类别", "电话号码"], ["县气象局", "驻县单位", "1"]]))
    messages = " ".join(p[2] for p in problems)
    assert "无法识别的表头“单位名”" in messages and "缺少必填列“单位名称”" in messages
    assert ("1", "A 列") == (str(problems[0][0]), problems[0][1])


def test_missing_required_field_and_empty_category_give_row_and_column(county):
    # a class the campaign does not have is not a row error: the preview asks what to do with it
    # (tests/results/test_categories.py); an empty one is
    rows = [HEADER, ["县气象局", "", "驻县单位", "", "", "", ""], ["", "", "县政府部门", "", "", "", ""],
            ["县档案局", "", "", "", "", "", ""], ["县档案馆", "", "政府部门", "", "", "", ""]]
    problems = refused("x.xlsx", xlsx(rows))
    assert (3, "A 列“单位名称”", "单位名称不能为空") in problems
    assert (4, "C 列“类别”", "类别不能为空") in problems and not any(p[0] == 5 for p in problems)
    assert unit_named("县气象局") is None  # the good row was not imported either


def test_duplicates_within_the_file_and_against_existing_units(county):
    rows = [HEADER, ["县档案局", "", "县政府部门", "", "", "", ""], ["县档案局", "", "县政府部门", "", "", "", ""],
            ["县公安局", "", "县政府部门", "", "", "", ""]]
    problems = refused("x.xlsx", xlsx(rows))
    assert any(p[0] == 3 and "与第 2 行重复" in p[2] for p in problems)
    assert any(p[0] == 4 and "已有单位重名" in p[2] for p in problems)


def test_invalid_key_flag_is_reported(county):
    problems = refused("x.csv", csv_bytes([["单位名称", "类别", "重点评议部门"], ["县档案局", "县政府部门", "也许"]]))
    assert problems == [(2, "C 列“重点评议部门”", "“也许”无效，请填写“是”或“否”")]


@pytest.mark.parametrize("filename, data, message", [
    ("empty.csv", b"", "文件是空的"),
    ("empty.xlsx", xlsx([]), "文件是空的"),
    ("header-only.xlsx", xlsx([HEADER]), "只有表头"),
    ("photo.jpg", b"\xff\xd8\xff\xe0 not a table", "仅支持 .xlsx 或 .csv"),
    ("fake.xlsx", b"PK\x03\x04 broken zip", "无法读取该 Excel 文件"),
    ("binary.csv", b"\x00\x01\x02\x00", "不是文本表格"),
], ids=["empty.csv", "empty.xlsx", "header-only.xlsx", "photo.jpg", "fake.xlsx", "binary.csv"])  # xlsx bytes differ per run
def test_unreadable_files_are_refused_with_a_reason(county, filename, data, message):
    problems = refused(filename, data)
    assert message in problems[0][2]


def test_import_page_shows_the_report_and_imports_nothing(county, office_client):
    data = xlsx([HEADER, ["县档案局", "", "", "", "", "", ""]])
    response = office_client.post("/admin/units/import", data={"file": (io.BytesIO(data), "名单.xlsx")},
                                  content_type="multipart/form-data")
    assert response.status_code == 422
    assert "第 2 行" in response.text and "C 列“类别”" in response.text and "未导入任何单位" in response.text
    assert unit_named("县档案局") is None


def test_import_page_imports_a_good_file(county, office_client):
    data = csv_bytes([["单位名称", "类别"], ["县档案局", "县政府部门"]])
    response = office_client.post("/admin/units/import", data={"file": (io.BytesIO(data), "名单.csv")},
                                  content_type="multipart/form-data")
    assert response.status_code == 302 and unit_named("县档案局") is not None


def test_export_lists_units_with_key_flag_and_group_and_reimports_as_duplicates(county, office_client):
    response = office_client.get("/units/export.xlsx?category=stationed")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("单位名称", "简称", "类别") and len(rows) == 1 + 15
    power = next(r for r in rows if r[0] == "国网青山县供电公司")
    assert power[2] == "驻县单位" and power[8] == "否" and power[9] == "第二评议组"
    problems = refused("again.xlsx", response.data)  # an export is a template: same columns, so all duplicates
    assert len(problems) == 15 and all("已有单位重名" in p[2] for p in problems)
