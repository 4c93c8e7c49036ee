"""Every state change leaves who, when, what, before and after in the audit log."""
import json

from sqlalchemy import select

from pingyi.audit.models import AuditEntry
from pingyi.campaigns.services import current_campaign, participation
from pingyi.extensions import db
from tests.conftest import unit_named, user


def entries(object_type):
    return db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == object_type)
                              .order_by(AuditEntry.id)).all()


def test_participation_change_records_before_and_after(county, office_client, htmx):
    unit = unit_named("县水利局")
    part = participation(current_campaign(), unit)
    group = current_campaign().groups[2]
    office_client.post(f"/admin/units/{unit.id}/participation", headers=htmx, data={
        f"p{unit.id}-is_key": "y", f"p{unit.id}-group_id": group.id, f"p{unit.id}-version": part.version})
    entry = entries("participation")[-1]
    assert entry.username == "office" and entry.unit_id == unit.id
    assert json.loads(entry.before) == {"group_id": current_campaign().groups[0].id, "is_key": False}
    assert json.loads(entry.after) == {"group_id": group.id, "is_key": True}


def test_user_changes_are_audited_without_password_hashes(county, office_client):
    target = user("unit2")
    office_client.post(f"/admin/users/{target.id}/password", data={"password": "Reset2026x"})
    office_client.post(f"/admin/users/{target.id}/active", data={"active": "0"})
    logged = entries("user")
    assert [e.summary for e in logged[-2:]] == ["重置用户 unit2 的密码", "停用用户 unit2"]
    assert all("password_hash" not in e.before + e.after for e in logged)


def test_audit_page_lists_changes_for_office_and_leader(county, office_client, client_for, htmx):
    unit = unit_named("县审计局")
    office_client.post(f"/admin/units/{unit.id}/active", data={"active": "0"})
    text = client_for("leader").get("/admin/audit?q=审计局", headers=htmx).text
    assert "停用单位 县审计局" in text and "在用：是 → 否" in text


def test_unit_timeline_shows_its_own_entries(county, unit_client, office_client):
    police = unit_named("县公安局")
    office_client.post(f"/admin/units/{police.id}/edit", data={"name": "县公安局", "category": "department",
                                                               "head_name": "马卫东", "version": police.version})
    assert "修改单位 县公安局" in unit_client.get(f"/units/{police.id}").text


def test_unit_timeline_hides_who_inspects_it(county, office_client, unit_client):
    supervisor, police = user("supervisor"), unit_named("县公安局")
    office_client.post(f"/admin/users/{supervisor.id}/units", data={"unit_id": []})
    office_client.post(f"/admin/users/{supervisor.id}/units", data={"unit_id": [str(police.id)]})
    assert "赵淑芬" in office_client.get(f"/units/{police.id}").text
    assert "赵淑芬" not in unit_client.get(f"/units/{police.id}").text


def test_statuses_read_in_chinese_for_every_kind_of_record():
    from pingyi.auditlog.labels import OBJECTS, value_label
    assert value_label("status", "verified", "rectification") == "已整改到位"
    assert value_label("status", "sent", "feedback_notice") == "已发送"
    assert value_label("status", "confirmed", "finding") == "已确认"
    assert value_label("status", "closed", "campaign") == "已结束"
    assert value_label("severity", "severe") == "严重"
    assert {"rectification", "finding", "tally_sheet", "result_version"} <= set(OBJECTS)


def test_starting_a_year_records_that_the_old_one_closed(county):
    from sqlalchemy import select

    from pingyi.audit.models import AuditEntry
    from pingyi.years.lifecycle import start_campaign
    from pingyi.extensions import db
    start_campaign(2027, county)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "campaign",
                                                       AuditEntry.object_id == county.id,
                                                       AuditEntry.action == "update").order_by(AuditEntry.id.desc()))
    assert entry is not None and "2026年度评议结束" in entry.summary and '"closed"' in entry.after


def test_a_progress_note_is_recorded_even_when_the_status_stays(county):
    from sqlalchemy import func, select

    from pingyi.audit.models import AuditEntry
    from pingyi.auth.models import User
    from pingyi.extensions import db
    from pingyi.rectifications import services as rect
    from pingyi.rectifications.models import Rectification
    r = db.session.scalar(select(Rectification).join(User, User.unit_id == Rectification.unit_id)
                          .where(Rectification.status == "answered", Rectification.kind != "policy"))
    liaison = db.session.scalar(select(User).where(User.unit_id == r.unit_id))
    count = select(func.count(AuditEntry.id)).where(AuditEntry.object_type == "rectification_update")
    before = db.session.scalar(count)
    rect.add_update(r, liaison, "已完成第一阶段培训", [], False)
    assert db.session.scalar(count) == before + 1


# --- An audit trail that holds (issue 12) ---------------------------------------------------------------

import re  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from io import BytesIO  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from openpyxl import load_workbook  # noqa: E402

from pingyi.auditlog import labels  # noqa: E402
from pingyi.audit.models import AuditEntryImmutable  # noqa: E402
from pingyi.audit.services import record_event  # noqa: E402

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"


def _client(app, addr="192.168.5.20"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = addr
    client.environ_base["HTTP_USER_AGENT"] = BROWSER
    return client


def _last(action):
    return db.session.scalar(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id.desc()))


def test_sign_in_failure_and_sign_out_are_recorded_with_address_and_browser(county, app):
    client = _client(app)
    client.post("/login", data={"username": "unit", "password": "wrong"})
    client.post("/login", data={"username": "nobody", "password": "wrong"})
    client.post("/login", data={"username": "unit", "password": "demo123"})
    client.post("/logout")
    liaison = user("unit")
    failed, ghost = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "sign_in_failed")
                                       .order_by(AuditEntry.id)).all()[-2:]
    assert failed.user_id == liaison.id and failed.unit_id == liaison.unit_id
    assert ghost.user_id is None and ghost.username == "nobody"
    for entry in (failed, ghost, _last("sign_in"), _last("sign_out")):
        assert entry.remote_addr == "192.168.5.20" and entry.user_agent == BROWSER
    assert _last("sign_in").user_id == liaison.id and _last("sign_out").user_id == liaison.id


def test_a_throttled_attempt_is_recorded(county, app):
    client = _client(app)
    for _ in range(6):
        client.post("/login", data={"username": "unit2", "password": "wrong"})
    entry = _last("sign_in_throttled")
    assert entry is not None and entry.object_id == user("unit2").id and "须等待至" in entry.after


def test_the_address_comes_from_x_forwarded_for_only_behind_a_configured_proxy(county, app):
    from pingyi import create_app
    from tests.conftest import TEST_CONFIG
    client = _client(app, "10.0.0.1")
    client.post("/login", data={"username": "unit", "password": "wrong"},
                headers={"X-Forwarded-For": "6.6.6.6"})
    assert _last("sign_in_failed").remote_addr == "10.0.0.1"
    proxied = create_app(dict(TEST_CONFIG, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                              UPLOAD_DIR=app.config["UPLOAD_DIR"], TRUSTED_PROXIES=1))
    with proxied.app_context():
        behind = proxied.test_client()
        behind.environ_base["REMOTE_ADDR"] = "10.0.0.1"
        behind.post("/login", data={"username": "unit", "password": "wrong"},
                    headers={"X-Forwarded-For": "172.16.3.4"})
        assert _last("sign_in_failed").remote_addr == "172.16.3.4"
        db.session.remove()


def test_password_change_and_reset_are_recorded_with_the_origin(county, app, office_client):
    client = _client(app)
    client.post("/login", data={"username": "unit", "password": "demo123"})
    client.post("/account/password", data={"old_password": "demo123", "new_password": "Better2026",
                                            "confirm": "Better2026"})
    assert _last("change_password").remote_addr == "192.168.5.20"
    office_client.post(f"/admin/users/{user('unit2').id}/password", data={"password": "Reset2026x"})
    reset = _last("reset_password")
    assert reset.user_id == user("office").id and reset.object_id == user("unit2").id


@pytest.mark.parametrize("url, object_type", [("/units/export.xlsx", "unit"), ("/findings/export.xlsx", "finding"),
                                              ("/admin/audit/export.xlsx?action=sign_in", "audit_entry")])
def test_exports_are_recorded(county, office_client, url, object_type):
    response = office_client.get(url)
    assert response.status_code == 200
    entry = _last("export")
    assert entry.object_type == object_type and entry.user_id == user("office").id
    assert ".xlsx" in entry.summary


def test_evidence_and_document_downloads_are_recorded_with_their_unit(county, client_for):
    from pingyi.documents import services as documents
    from pingyi.files.models import StoredFile
    police = user("unit").unit
    stored = db.session.scalar(select(StoredFile).where(StoredFile.unit_id == police.id))
    client = client_for("unit")
    response = client.get(f"/files/{stored.id}")
    response.close()
    assert response.status_code == 200
    entry = _last("download")
    assert (entry.object_type, entry.object_id, entry.unit_id) == ("stored_file", stored.id, police.id)
    assert stored.original_name in entry.summary
    doc, _ = documents.issue("feedback-notice", county, police, user("office"))
    response = client.get(f"/documents/{doc.id}/download")
    response.close()
    assert response.status_code == 200
    assert (_last("download").object_type, _last("download").unit_id) == ("issued_document", police.id)


def test_a_refused_download_leaves_no_download_entry(county, client_for):
    from pingyi.files.models import StoredFile
    stored = db.session.scalar(select(StoredFile).where(StoredFile.unit_id == user("unit").unit_id))
    response = client_for("unit2").get(f"/files/{stored.id}")
    response.close()
    assert response.status_code == 404
    assert _last("download") is None


def _actions_in_the_code():
    """Every action string a record(...) or record_event(...) call in pingyi can write."""
    found = set()
    for path in Path("pingyi").rglob("*.py"):
        for call in re.findall(r"record(?:_event)?\(\s*([^,]+),", path.read_text()):
            found |= set(re.findall(r'"([a-z_]+)"', call))
        found |= set(re.findall(r'"(export|download)" if', path.read_text()))
    return found


ODD = "\u202eevil\u200b\U0001f600𠀀" + "長" * 400
VALUES = [{"a": 1, "b": {"c": [1, 2]}}, {}, [1, "two", None, {"x": True}], [], None, 0, -3, 2.5, 10 ** 30,
          True, "", ODD, "=HYPERLINK(\"http://x\")", "closed"]


def test_the_audit_page_renders_an_entry_of_every_action_with_every_kind_of_value(county, office_client):
    actions = _actions_in_the_code()
    assert {"create", "update", "delete", "sign_in", "sign_in_failed", "sign_out", "export", "download",
            "unlock", "end_session", "reset_password", "change_password"} <= actions
    for action in sorted(actions) + ["someday_new_action"]:
        for n, value in enumerate(VALUES):
            for field in ("status", "counts", "round", "category", ODD[:10]):
                record_event(action, sorted(labels.OBJECTS)[n % len(labels.OBJECTS)], n, f"{action} {n}",
                             before={field: value, "questions": value}, after={field: VALUES[-1 - n]})
        broken = record_event(action, "tally_sheet", None, "stored by hand")
        broken.before, broken.after = "not json", json.dumps([1, {"status": {"x": 1}}])
    db.session.commit()
    pages = -(-db.session.scalar(select(db.func.count(AuditEntry.id))) // 50)
    for page in range(1, pages + 1):
        response = office_client.get(f"/admin/audit?page={page}")
        assert response.status_code == 200, page
    assert "stored by hand" in response.text or pages > 1
    assert office_client.get("/admin/audit/export.xlsx").status_code == 200
    for entry in db.session.scalars(select(AuditEntry)):
        labels.describe(entry)


def test_a_tally_correction_and_a_ballot_deletion_show_on_the_audit_page(county, office_client):
    """The dict values from issue 12's report: they used to raise inside value_label."""
    record_event("update", "tally_sheet", 1, "修改测评票数", before={"counts": {"1": {"2": 3}}},
                 after={"counts": {"1": {"2": 4}}})
    record_event("delete", "ballot", 2, "删除逐张录入的问卷 1 张", before={"answers": {"q1": "满意"}})
    db.session.commit()
    page = office_client.get("/admin/audit")
    assert page.status_code == 200 and "票数：1：2：3" in page.text


def test_the_page_reads_as_evidence_names_chinese_labels_and_county_time(county, office_client):
    from pingyi.timeutil import acting_at
    with acting_at(datetime(2026, 11, 26, 2, 0, 5, tzinfo=timezone.utc)):
        record_event("sign_in", "user", user("unit").id, "登录", actor=user("unit"), unit_id=user("unit").unit_id)
    db.session.commit()
    text = office_client.get("/admin/audit?action=sign_in").text
    assert "2026年11月26日 10:00:05" in text
    assert user("unit").display_name in text and "县公安局" in text and ">登录<" in text


def test_filters_by_person_unit_action_and_dates(county, office_client, htmx):
    from pingyi.timeutil import acting_at
    unit, unit2 = user("unit"), user("unit2")
    for day, who in ((1, unit), (10, unit2), (20, unit)):
        with acting_at(datetime(2026, 10, day, 9, 0)):
            record_event("download", "stored_file", day, f"下载 第{day}天.pdf", actor=who, unit_id=who.unit_id)
    db.session.commit()
    base = "/admin/audit?action=download"
    by_person = office_client.get(f"{base}&user={unit.id}", headers=htmx).text
    assert "第1天" in by_person and "第20天" in by_person and "第10天" not in by_person
    by_unit = office_client.get(f"{base}&unit={unit2.unit_id}", headers=htmx).text
    assert "第10天" in by_unit and "第1天" not in by_unit
    by_dates = office_client.get(f"{base}&from=2026-10-05&to=2026-10-20", headers=htmx).text
    assert "第10天" in by_dates and "第20天" in by_dates and "第1天" not in by_dates
    assert office_client.get(f"{base}&from=garbage&to=2026-13-45&user=²").status_code == 200


def test_the_export_holds_the_filtered_entries_and_never_a_formula(county, office_client):
    record_event("update", "unit", 1, "=1+1", actor=user("unit"), after={"name": "@SUM(A1)"})
    record_event("update", "unit", 1, "other person", actor=user("unit2"))
    db.session.commit()
    response = office_client.get(f"/admin/audit/export.xlsx?user={user('unit').id}&action=update&q==1")
    sheet = load_workbook(BytesIO(response.data)).active
    rows = list(sheet.iter_rows(min_row=2))
    assert [r[6].value for r in rows] == ["=1+1"]
    assert rows[0][6].data_type == "s" and rows[0][6].quotePrefix and rows[0][3].value == "修改单位"
    assert rows[0][1].value == user("unit").display_name


def test_entries_cannot_be_edited_or_deleted(county):
    entry = db.session.scalar(select(AuditEntry))
    entry.summary = "篡改"
    with pytest.raises(AuditEntryImmutable):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalar(select(AuditEntry)))
    with pytest.raises(AuditEntryImmutable):
        db.session.flush()
    db.session.rollback()


def test_no_code_path_deletes_audit_entries_or_login_failures():
    source = "\n".join(p.read_text() for p in Path("pingyi").rglob("*.py"))
    assert not re.search(r"delete\((AuditEntry|LoginFailure)\)", source)
    assert not re.search(r"(AuditEntry|LoginFailure)\)?\.(query\.)?delete\(", source)


def test_a_units_timeline_shows_its_records_not_its_liaisons_sign_ins(county, app, office_client):
    client = _client(app)
    client.post("/login", data={"username": "unit", "password": "demo123"})
    police = user("unit")
    assert f"{police.display_name}（unit）登录" not in office_client.get(f"/units/{police.unit_id}").text
    assert f"{police.display_name}（unit）登录" in office_client.get(f"/admin/audit?unit={police.unit_id}").text
