"""Two saves of one record at the same instant: one wins, the other gets the conflict page (409), never a 500,
and what the loser typed comes back to them."""
import sqlite3
import threading

from sqlalchemy.exc import IntegrityError, OperationalError

from pingyi.extensions import db
from pingyi.surveys import services as survey_services
from pingyi.units import services as unit_services
from tests.conftest import unit_named, user


def _race(app, monkeypatch, module, posts):
    """Post each (client, url, data) from its own thread; both pass the version check before either writes."""
    barrier = threading.Barrier(len(posts), timeout=10)
    check = module.check_version

    def check_then_wait(obj, version):
        check(obj, version)
        barrier.wait()

    monkeypatch.setattr(module, "check_version", check_then_wait)
    results = [None] * len(posts)

    def run(index, client, url, data):
        with app.app_context():
            try:
                response = client.post(url, data=data)
                results[index] = (response.status_code, response.text)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, *post)) for i, post in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_simultaneous_edits_of_one_unit_end_in_one_save_and_one_conflict_page(app, county, client_for, monkeypatch):
    unit = unit_named("县林业局")
    url = f"/admin/units/{unit.id}/edit"
    form = {"name": "县林业局", "category": "department", "version": str(unit.version)}
    first, second = client_for("office"), client_for("office")
    db.session.remove()
    results = _race(app, monkeypatch, unit_services, [(first, url, dict(form, head_name="甲局长")),
                                                       (second, url, dict(form, head_name="乙局长"))])
    statuses = sorted(status for status, _ in results)
    assert statuses == [302, 409], statuses
    loser = next(text for status, text in results if status == 409)
    saved = unit_named("县林业局").head_name
    assert saved in ("甲局长", "乙局长")
    assert ("乙局长" if saved == "甲局长" else "甲局长") in loser  # the loser's typing is on the page
    assert "重新提交" in loser and 'name="version"' in loser


def test_conflict_page_reposts_what_was_typed_and_then_meets_the_in_place_conflict(county, office_client,
                                                                                   monkeypatch):
    unit = unit_named("县林业局")
    form = {"name": "县林业局", "category": "department", "version": str(unit.version), "head_name": "丙局长"}

    def locked(*args, **kwargs):
        raise OperationalError("UPDATE unit", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(unit_services, "update_unit", locked)
    busy = office_client.post(f"/admin/units/{unit.id}/edit", data=form)
    monkeypatch.undo()
    assert busy.status_code == 409 and 'value="丙局长"' in busy.text
    assert "<dt>主要负责人</dt><dd>丙局长</dd>" in busy.text and "<dt>类别</dt><dd>县政府部门</dd>" in busy.text
    db.session.refresh(unit)
    assert unit.head_name != "丙局长"
    again = office_client.post(f"/admin/units/{unit.id}/edit", data=form)
    assert again.status_code == 302 and unit_named("县林业局").head_name == "丙局长"


def test_a_unique_violation_from_a_concurrent_first_tally_is_a_conflict(county, client_for, monkeypatch, htmx):
    unit = unit_named("县公安局")

    def first_save_lost(*args, **kwargs):
        raise IntegrityError("INSERT INTO tally_sheet", {}, sqlite3.IntegrityError(
            "UNIQUE constraint failed: tally_sheet.unit_id, tally_sheet.questionnaire_id"))

    batch = {"questionnaire": survey_services.questionnaires(county.id)[0].id,
             "type": survey_services.respondent_types(county.id)[0].id, "round": "november", "ballots": "12"}
    monkeypatch.setattr(survey_services, "save_tally", first_save_lost)
    response = client_for("office").post(f"/units/{unit.id}/tallies", data=batch)
    assert response.status_code == 409 and 'value="12"' in response.text
    partial = client_for("office").post(f"/units/{unit.id}/tallies", data=batch, headers=htmx)
    assert partial.status_code == 409 and "<html" not in partial.text


def test_other_database_errors_are_not_dressed_up_as_conflicts(county, office_client, monkeypatch, app):
    unit = unit_named("县林业局")

    def broken(*args, **kwargs):
        raise OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: nowhere"))

    monkeypatch.setattr(unit_services, "update_unit", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = office_client.post(f"/admin/units/{unit.id}/edit", data={
        "name": "县林业局", "category": "department", "version": str(unit.version)})
    assert response.status_code == 500
    assert user("office") is not None  # the session was rolled back and still works
