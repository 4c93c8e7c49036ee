"""一户一档: the archive of 县公安局's year, its Chinese 目录, who may take it, the batch."""
import io
import zipfile

from sqlalchemy import select

from pingyi.audit.models import AuditEntry
from pingyi.documents.models import DocumentBatch
from pingyi.dossier import services
from pingyi.extensions import db
from tests.conftest import unit_named, user


def test_police_dossier_holds_its_year_with_a_chinese_index(county):
    police = unit_named("县公安局")
    data = services.build_dossier(county, police)  # its time is measured by `make bench`
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert "目录.txt" in names
    folders = {n.split("/")[0] for n in names if "/" in n}
    assert {"任务材料", "反馈通知书", "整改答复", "整改承诺书", "评议结果"} <= folders
    assert any(n.startswith("整改承诺书/签章扫描件_") for n in names)
    assert any(n.endswith("评议意见反馈通知书.docx") for n in names)
    index = archive.read("目录.txt").decode("utf-8")
    assert index.startswith("县公安局 2026年度政风行风评议档案（一户一档）目录")
    listed = [line.split("\t")[1] for line in index.splitlines()[3:] if line]
    assert set(n for n in names if n != "目录.txt") <= set(listed)
    assert "已签收" in index and "已确认" in index


def test_the_unit_downloads_its_own_dossier_and_it_is_audited(county, client_for):
    police = unit_named("县公安局")
    response = client_for("unit").get(f"/units/{police.id}/dossier.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "%E4%B8%80%E6%88%B7%E4%B8%80%E6%A1%A3" in response.headers["Content-Disposition"]  # 一户一档
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.summary.like("下载县公安局%一户一档%")))
    assert entry.username == "unit"
    assert client_for("unit").get(f"/units/{unit_named('县教育局').id}/dossier.zip").status_code == 404
    assert client_for("leader").get(f"/units/{police.id}/dossier.zip").status_code == 403
    page = client_for("office").get(f"/units/{police.id}/dossier").text
    assert "目录" not in page or "任务材料/" in page


def test_batch_builds_every_chosen_dossier(county):
    ids = [unit_named("县公安局").id, unit_named("县教育局").id]
    batch = services.start_dossier_batch(county, user("office"), ids, run_async=False)
    assert batch.status == "done" and batch.done == 2
    from pingyi.documents.services import batch_path
    names = zipfile.ZipFile(batch_path(db.session.get(DocumentBatch, batch.id))).namelist()
    assert names == ["县公安局_2026年度一户一档.zip", "县教育局_2026年度一户一档.zip"]


def test_the_dossier_is_built_without_a_layout_pass_even_where_documents_are_paginated(county, app, monkeypatch):
    from pingyi.documents import render

    def refuse(*args, **kwargs):
        raise AssertionError("the dossier ran LibreOffice")
    monkeypatch.setitem(app.config, "DOCUMENT_PAGINATE", True)
    monkeypatch.setitem(app.config, "SOFFICE", "/usr/bin/soffice")
    monkeypatch.setattr(render, "to_pdf", refuse)
    archive = zipfile.ZipFile(io.BytesIO(services.build_dossier(county, unit_named("县公安局"))))
    assert any(n.startswith("反馈通知书/") and n.endswith(".docx") for n in archive.namelist())
    assert any(n.startswith("整改承诺书/") and n.endswith(".docx") for n in archive.namelist())
