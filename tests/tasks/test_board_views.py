"""The board pages, submissions with uploads, office review through htmx, file downloads."""
import io
import os
import re
from urllib.parse import quote

from pingyi.campaigns.services import current_campaign
from pingyi.tasks import services
from tests.conftest import unit_named

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"


def task_named(title):
    return next(t for t in services.campaign_tasks(current_campaign().id) if t.title == title)


def upload(client, task, files, note=""):
    """Post as the unit's task page does: with the version of the submission the page was opened at."""
    field = re.search(r'<input[^>]*name="version"[^>]*>', client.get(f"/board/tasks/{task.id}").text)
    version = re.search(r'value="(\d*)"', field.group(0)) if field else None
    data = {"note": note, "version": version.group(1) if version else "",
            "files": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(f"/board/tasks/{task.id}/submit", data=data, content_type="multipart/form-data")


def test_office_board_shows_four_phases_with_counts(county, office_client):
    text = office_client.get("/board").text
    for phase in ("安排部署", "自查自评、民主测评", "落实整改、健全制度", "总结报告、综合评定"):
        assert phase in text
    assert re.search(r"已提交 <strong>40</strong></a>/<a [^>]*>47</a>", text) and "逾期 8</a>" in text


def test_board_filters_answer_htmx_with_the_board_only(county, office_client, htmx):
    part = office_client.get("/board?category=stationed", headers=htmx)
    assert "<html" not in part.text and "统计范围：15 个参评单位" in part.text


def test_task_list_is_a_fragment_for_htmx_and_a_page_by_its_address(county, office_client, htmx):
    task = task_named("书面总结报告")
    page = office_client.get(f"/board/tasks/{task.id}")
    part = office_client.get(f"/board/tasks/{task.id}", headers=htmx)
    assert "<html" in page.text and "<html" not in part.text
    assert "逾期单位名单" in part.text and "县司法局" in part.text


def test_leader_sees_the_task_list_without_review_buttons(county, client_for):
    text = client_for("leader").get(f"/board/tasks/{task_named('书面总结报告').id}").text
    assert "县公安局" in text and "确认勾选的材料" not in text and "退回原因" not in text


def test_unit_board_lists_its_own_tasks_overdue_first(county, client_for):
    text = client_for("unit2").get("/board").text
    assert "县教育局 · 评议任务" in text and "已逾期未提交" in text
    assert text.index("书面承诺书报纠风办备案") < text.index("组织学习实施方案")


def test_unit_submits_a_pdf_with_a_chinese_name_and_downloads_it(county, client_for):
    client = client_for("unit2")
    task = task_named("书面承诺书报纠风办备案")
    response = upload(client, task, [("县教育局整改承诺书（盖章）.pdf", PDF)], "已盖章")
    assert response.status_code == 302
    sub = services.submission_for(task, unit_named("县教育局"))
    stored = sub.current_files[0]
    assert sub.status == "submitted" and stored.original_name == "县教育局整改承诺书（盖章）.pdf"
    download = client.get(f"/files/{stored.id}")
    assert download.data == PDF
    assert f"filename*=UTF-8''{quote('县教育局整改承诺书（盖章）.pdf')}" in download.headers["Content-Disposition"]
    download.close()


def test_refused_uploads_say_why_and_keep_the_previous_submission(county, client_for, app):
    client = client_for("unit2")
    task = task_named("书面报告自查自评情况")  # returned to 县教育局, with its file
    sub = services.submission_for(task, unit_named("县教育局"))
    before = [f.id for f in sub.current_files]
    app.config["UPLOAD_MAX_BYTES"] = 2000
    cases = [
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 100, "文件类型不允许"),
        ("报告.pdf", b"MZ\x90\x00" + b"\x00" * 100, "内容与扩展名 .pdf 不符"),
        ("报告.pdf", b"", "空文件"),
        ("报告.pdf", b"%PDF-" + b"0" * 3000, "超过"),
        ("报告.docx", b"PK\x03\x04not really a document", "不是有效的 Office 文档"),
    ]
    for name, content, message in cases:
        response = upload(client, task, [("好的.pdf", PDF), (name, content)], "补充")
        assert response.status_code == 422 and message in response.text, name
        assert 'name="note"' in response.text and "补充</textarea>" in response.text
    services.db.session.refresh(sub)
    assert sub.status == "returned" and [f.id for f in sub.current_files] == before
    folder = app.config["UPLOAD_DIR"]  # its documents/ and batches/ subfolders hold generated files
    stored = [n for n in os.listdir(folder) if os.path.isfile(os.path.join(folder, n))]
    assert sorted(stored) == sorted(f.stored_name for f in _all_files())


def _all_files():
    from sqlalchemy import select

    from pingyi.files.models import StoredFile
    return services.db.session.scalars(select(StoredFile)).all()


def test_path_traversal_names_are_reduced_to_the_file_name(county, client_for, app):
    client = client_for("unit2")
    task = task_named("书面总结报告")
    assert upload(client, task, [("../../etc/总结报告.pdf", PDF)]).status_code == 302
    stored = services.submission_for(task, unit_named("县教育局")).current_files[0]
    assert stored.original_name == "总结报告.pdf"
    path = os.path.join(app.config["UPLOAD_DIR"], stored.stored_name)
    assert os.path.isfile(path) and "/" not in stored.stored_name and ".." not in stored.stored_name


def test_request_over_the_size_limit_gets_a_chinese_page(county, client_for, app):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = upload(client_for("unit2"), task_named("书面总结报告"), [("大文件.pdf", b"%PDF-" + b"0" * 5000)])
    assert response.status_code == 413 and "文件过大" in response.text


def test_unit_cannot_read_another_units_submission_or_file(county, client_for):
    task = task_named("书面报告自查自评情况")
    police = services.submission_for(task, unit_named("县公安局"))
    client = client_for("unit2")
    page = client.get(f"/board/tasks/{task.id}").text
    assert "县公安局" not in page and "县教育局" in page
    assert client.get(f"/files/{police.current_files[0].id}").status_code == 404


def test_office_returns_and_confirms_through_htmx(county, office_client, client_for, htmx):
    task = task_named("书面总结报告")
    upload(client_for("unit2"), task, [("总结报告.pdf", PDF)])
    sub = services.submission_for(task, unit_named("县教育局"))
    refused = office_client.post(f"/board/submissions/{sub.id}/return", data={"reason": ""}, headers=htmx)
    assert "请填写退回原因" in refused.text and sub.status == "submitted"
    returned = office_client.post(f"/board/submissions/{sub.id}/return", data={"reason": "缺少主要负责人签字"},
                                  headers=htmx)
    assert returned.status_code == 200 and "<html" not in returned.text and "已退回县教育局的材料" in returned.text
    assert "缺少主要负责人签字" in client_for("unit2").get(f"/board/tasks/{task.id}").text
    upload(client_for("unit2"), task, [("总结报告（签字）.pdf", PDF)])
    confirmed = office_client.post(f"/board/submissions/{sub.id}/confirm", headers=htmx)
    assert "已确认县教育局的材料" in confirmed.text
    services.db.session.refresh(sub)
    assert sub.status == "confirmed" and sub.reviewed_by.username == "office"
    assert "确认县教育局的“书面总结报告”" in client_for("unit2").get(f"/units/{sub.unit_id}").text


def test_batch_confirm_from_the_list(county, office_client, htmx):
    task = task_named("书面总结报告")
    waiting = [r["unit_id"] for r in services.task_units(task, current_campaign()) if r["status"] == "submitted"]
    response = office_client.post(f"/board/tasks/{task.id}/confirm", data={"unit_id": [str(i) for i in waiting]},
                                  headers=htmx)
    assert f"已确认 {len(waiting)} 个单位的材料" in response.text


def test_office_edits_the_task_list(county, office_client):
    response = office_client.post("/board/tasks/new", data={
        "title": "报送评议联络员名单", "phase_number": "1", "actor": "unit", "due_date": "2026-04-15",
        "requires_file": "y", "description": "填写联络员姓名和电话"})
    assert response.status_code == 302
    task = task_named("报送评议联络员名单")
    assert task.requires_file and task.phase_number == 1
    later = office_client.post(f"/board/tasks/{task.id}/edit", data={
        "title": "报送联络员名单", "phase_number": "1", "actor": "unit", "due_date": "2027-04-20",
        "version": task.version})
    assert later.status_code == 422 and "截止日期应在 2026 年内" in later.text
    bad = office_client.post(f"/board/tasks/{task.id}/edit", data={
        "title": "", "phase_number": "1", "actor": "unit", "due_date": "2026-04-31", "version": task.version})
    assert bad.status_code == 422 and "请填写任务名称" in bad.text and "截止日期" in bad.text
    office_client.post(f"/board/tasks/{task.id}/edit", data={
        "title": "报送联络员名单", "phase_number": "1", "actor": "unit", "due_date": "2026-04-20",
        "version": task.version})
    assert task_named("报送联络员名单").due_date.day == 20
    office_client.post(f"/board/tasks/{task.id}/delete")
    assert "已删除任务“报送联络员名单”" in office_client.get("/board").text  # the notice, then the board without it
    assert "报送联络员名单" not in office_client.get("/board").text


def test_office_marks_its_own_task_done(county, office_client):
    task = task_named("满意度测评")
    office_client.post(f"/board/tasks/{task.id}/done", data={"done": "1"})
    services.db.session.refresh(task)
    assert task.completed_by.username == "office"


def test_unit_dashboard_lists_returned_and_overdue_tasks(county, client_for):
    text = client_for("unit2").get("/").text
    # the returned report's 补交期限 has passed too: it is listed as overdue, with the reason it was returned
    assert "被退回的原因：报告内容与本单位实际不符" in text and "已逾期：" in text


def test_office_dashboard_lists_units_with_overdue_tasks(county, office_client):
    text = office_client.get("/").text
    assert "有逾期任务的单位" in text and "县教育局" in text[text.index('id="overdue"'):]


def test_unit_page_lists_its_tasks_with_overdue_marks(county, client_for):
    education = unit_named("县教育局")
    text = client_for("leader").get(f"/units/{education.id}").text
    assert "评议任务（3/11 已确认" in text and "7 项逾期" in text and "报告内容与本单位实际不符" in text
