"""Input enters clean (forms, raw fields, imports, file names), exports are formula-safe, imports are bounded,
failed uploads leave no file, and a save without the version it edits is refused."""
import io
import sqlite3
import time

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from pingyi.campaigns.services import current_campaign
from pingyi.checklists import services as checklist_services
from pingyi.checklists.services import dimensions
from pingyi.extensions import db
from pingyi.files.models import StoredFile
from pingyi.files.services import store_file, upload_dir
from pingyi.findings.models import Finding
from pingyi.tasks.models import Task
from pingyi.tasks.services import submission_for
from pingyi.text import clean_filename, clean_line, clean_text
from pingyi.units import services as unit_services
from pingyi.units.models import Unit
from pingyi.xlsx import append_row, safe_cell, sheet_title
from tests.conftest import unit_named, user

PDF = b"%PDF-1.4\n% test\n"


def test_clean_text_drops_controls_normalises_and_trims():
    assert clean_text(" a\x00b\x0bc\x1b\x7f\x85\x9fd\r\ne\rf\tg ") == "abcd\ne\nf\tg"
    assert clean_text("e\u0301") == "\u00e9"  # NFC
    assert clean_text("\u202e县公安局\u2066") == "\u202e县公安局\u2066"  # bidi kept in multi-line text
    assert clean_line("\u202e县公安局\u2066 a\nb\tc ") == "县公安局 a b c"
    assert clean_text("\ud800x") == "x"  # a lone surrogate cannot be stored in PostgreSQL
    assert clean_text(None) is None and clean_text("😀𠀀") == "😀𠀀"


def test_clean_filename_keeps_chinese_and_loses_paths_and_controls():
    assert clean_filename("C:\\Users\\王芳\\整改报告.pdf") == "整改报告.pdf"
    assert clean_filename("../../etc/pa\x00ss\u202ewd.pdf") == "passwd.pdf"
    assert clean_filename('a:b*c?d"e<f>g|h.docx') == "abcdefgh.docx"
    assert clean_filename("...隐藏.pdf") == "隐藏.pdf"
    assert clean_filename("\x00\u202e") == "未命名文件" and clean_filename("") == "未命名文件"
    long = clean_filename("很" * 300 + ".pdf")
    assert len(long) == 200 and long.endswith(".pdf")


def test_every_form_field_is_cleaned_before_it_is_stored(county, office_client):
    response = office_client.post("/admin/units/new", data={
        "name": " 县档案\x00局\u202e ", "category": "department", "contact_phone": "0791\x0b-1234",
        "note": "第一行\r\n第二行\x00"})
    assert response.status_code == 302
    unit = unit_named("县档案局")
    assert unit.contact_phone == "0791-1234" and unit.note == "第一行\n第二行"


def test_raw_posted_text_is_cleaned_too(county, office_client):
    finding = db.session.scalar(select(Finding).where(Finding.status == "submitted"))
    response = office_client.post(f"/findings/{finding.id}/dismiss", data={"reason": " 重复\x00反映\r\n "})
    assert response.status_code in (200, 302)
    db.session.refresh(finding)
    assert finding.status == "dismissed" and finding.review_note == "重复反映"


def test_stored_file_is_removed_when_the_save_is_rolled_back(county):
    before = set(upload_dir().iterdir())
    kept = store_file("证据.pdf", PDF, unit_named("县公安局").id, user("office"))
    db.session.flush()
    db.session.rollback()
    assert set(upload_dir().iterdir()) == before
    kept = store_file("证据.pdf", PDF, unit_named("县公安局").id, user("office"))
    db.session.commit()
    assert (upload_dir() / kept.stored_name).exists()


def test_failed_upload_leaves_no_file_behind(county, client_for, monkeypatch):
    unit = unit_named("县教育局")
    tasks = db.session.scalars(select(Task).where(Task.actor == "unit", Task.campaign_id == county.id))
    task, sub = next((t, submission_for(t, unit)) for t in tasks
                     if submission_for(t, unit) is None or submission_for(t, unit).status != "confirmed")
    client = client_for("unit2")
    files_before = set(upload_dir().iterdir())
    rows_before = db.session.scalar(select(func.count(StoredFile.id)))

    def locked():
        raise OperationalError("COMMIT", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(db.session, "commit", locked)
    response = client.post(f"/board/tasks/{task.id}/submit", data={
        "note": "已完成", "version": str(sub.version) if sub else "", "files": (io.BytesIO(PDF), "总结.pdf")},
        content_type="multipart/form-data")
    monkeypatch.undo()
    assert response.status_code == 409 and "已完成" in response.text and "总结.pdf" in response.text
    assert set(upload_dir().iterdir()) == files_before
    assert db.session.scalar(select(func.count(StoredFile.id))) == rows_before


def test_safe_cell_keeps_formula_like_text_as_text_and_numbers_as_numbers():
    sheet = Workbook().active
    append_row(sheet, ["=1+1", "+86 0791", "-", "@SUM(A1)", "\tx", -5, "普通"])
    cells = list(sheet[1])
    assert [c.data_type for c in cells] == ["s", "s", "s", "s", "s", "n", "s"]
    assert cells[0].value == "=1+1" and cells[0].quotePrefix and cells[5].value == -5
    assert not safe_cell(cells[6]).quotePrefix
    assert sheet_title("A/B:[组]*?") == "AB组" and sheet_title("///") == "Sheet"


def _formulas(data):
    book = load_workbook(io.BytesIO(data))
    return [c.value for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.data_type == "f"]


def test_exports_write_formula_like_names_as_text(county, office_client):
    unit = unit_named("县林业局")
    unit.name, unit.contact_phone = '=HYPERLINK("http://x","点我")', "-1"
    finding = db.session.scalar(select(Finding).where(Finding.unit_id == unit.id)) or db.session.scalar(select(Finding))
    finding.description = "=cmd|' /C calc'!A0"
    db.session.commit()
    units = office_client.get("/units/export.xlsx")
    findings = office_client.get("/findings/export.xlsx")
    assert units.status_code == 200 and findings.status_code == 200
    assert _formulas(units.data) == [] and _formulas(findings.data) == []
    names = [c.value for c in load_workbook(io.BytesIO(units.data)).active["A"]]
    assert '=HYPERLINK("http://x","点我")' in names
    texts = [c.value for row in load_workbook(io.BytesIO(findings.data)).active.iter_rows() for c in row]
    assert "=cmd|' /C calc'!A0" in texts


HEADER = ["单位名称", "类别"]


def _xlsx(rows):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_file_past_the_row_limit_is_refused_quickly(county, office_client):
    rows = [HEADER] + [[f"测试单位{n}", "县政府部门"] for n in range(6000)]
    before = db.session.scalar(select(func.count(Unit.id)))
    started = time.monotonic()
    response = office_client.post("/admin/units/import", data={"file": (io.BytesIO(_xlsx(rows)), "名单.xlsx")},
                                  content_type="multipart/form-data")
    assert response.status_code == 422 and "超过 5000 行" in response.text
    assert time.monotonic() - started < 10
    csv_data = "\n".join(",".join(r) for r in rows).encode("utf-8")
    with pytest.raises(unit_services.ImportRefused) as refused:
        unit_services.import_units("名单.csv", csv_data, current_campaign())
    assert "超过 5000 行" in refused.value.problems[0][2]
    assert db.session.scalar(select(func.count(Unit.id))) == before


def test_limits_are_configurable_and_size_is_checked(county, app):
    app.config.update(IMPORT_MAX_ROWS=2, IMPORT_MAX_BYTES=1024 * 1024)
    rows = [HEADER] + [["县甲局", "县政府部门"], ["县乙局", "县政府部门"], ["县丙局", "县政府部门"]]
    with pytest.raises(unit_services.ImportRefused, match="1 处问题"):
        unit_services.parse_import("a.xlsx", _xlsx(rows))
    assert [r["name"] for r in unit_services.parse_import("a.xlsx", _xlsx(rows[:3] + [[], []]))] == ["县甲局", "县乙局"]
    with pytest.raises(unit_services.ImportRefused) as refused:
        unit_services.parse_import("a.csv", b"x" * (1024 * 1024 + 1))
    assert "1 MB" in refused.value.problems[0][2]


def test_imported_cells_are_cleaned_and_written_in_one_go(county):
    data = '单位名称,类别,备注\r\n" 县\x0b档案局\u202e ",县政府部门,"一\r\n二\x1f"\r\n'.encode("utf-8")
    parsed = unit_services.parse_import("a.csv", data)
    assert parsed[0]["name"] == "县档案局" and parsed[0]["note"] == "一\n二"
    created = unit_services.apply_import(parsed, "a.csv", current_campaign())
    assert created[0].name == "县档案局" and unit_named("县档案局").note == "一\n二"


def test_a_save_without_the_version_it_edits_is_refused(county, office_client, client_for, htmx):
    unit = unit_named("县林业局")
    response = office_client.post(f"/admin/units/{unit.id}/edit",
                                  data={"name": "县林业局", "category": "department", "head_name": "无版本"})
    assert response.status_code == 422 and "缺少所编辑记录的版本号" in response.text
    db.session.refresh(unit)
    assert unit.head_name != "无版本"
    police, item = unit_named("县公安局"), dimensions(county.id)[0].items[0]
    current = checklist_services.assessment_for(police, item, "self")
    refused = office_client.post(f"/units/{police.id}/checklist/items/{item.id}/self", headers=htmx,
                                      data={"rating": "problem", "explanation": "无版本的修改"})
    assert refused.status_code == 422 and "无版本的修改" in refused.text
    db.session.refresh(current)
    assert checklist_services.assessment_for(police, item, "self").explanation != "无版本的修改"


@pytest.mark.parametrize("path", ["/units", "/admin/users", "/admin/audit", "/findings", "/findings/matrix", "/feedback",
                                  "/rectifications", "/todo?q=materials"])
def test_list_links_survive_any_query_arguments(county, office_client, path):
    """Page and export links carry the list's filters; names url_for keeps for itself must not break them."""
    joiner = "&" if "?" in path else "?"
    for odd in ("endpoint=x", "_external=1", "_scheme=https", "_method=POST", "_anchor=x", "page=999999"):
        response = office_client.get(f"{path}{joiner}{odd}&page=999")
        assert response.status_code == 200, (path, odd, response.status_code)
