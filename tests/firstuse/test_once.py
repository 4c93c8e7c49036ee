"""A create form sent twice with the same one-time token makes one record; the repeat shows the first one."""
from sqlalchemy import func, select

from pingyi.campaigns.services import current_campaign
from pingyi.checklists.services import dimensions
from pingyi.extensions import db
from pingyi.findings.models import Finding, Inspection
from tests.conftest import unit_named
from tests.findings.test_findings import entry, inspection_form


def test_repeated_inspection_submission_makes_one_record(county, client_for):
    client = client_for("supervisor")
    police = unit_named("县公安局")
    dims = dimensions(current_campaign().id)
    assert 'name="once_token"' in client.get("/findings/new").text
    inspections = db.session.scalar(select(func.count(Inspection.id)))
    findings = db.session.scalar(select(func.count(Finding.id)))
    data = inspection_form(police, entry(0, dims[0]))
    first = client.post("/findings/new", data=dict(data, once_token="tok-1"))
    assert first.status_code == 302
    again = client.post("/findings/new", data=dict(data, once_token="tok-1"))
    assert again.status_code == 302 and again.location == first.location
    assert "已经提交过" in client.get(again.location).text
    assert db.session.scalar(select(func.count(Inspection.id))) == inspections + 1
    assert db.session.scalar(select(func.count(Finding.id))) == findings + 1
    third = client.post("/findings/new", data=dict(data, once_token="tok-2"))  # a new form is a new record
    assert third.status_code == 302 and third.location != first.location
    assert db.session.scalar(select(func.count(Inspection.id))) == inspections + 2


def test_every_create_form_carries_a_token(county, client_for):
    office = client_for("office")
    for url in ("/board/tasks/new", "/admin/units/new", "/admin/users/new", "/surveys/questionnaires/new"):
        assert 'name="once_token"' in office.get(url).text, url
