"""The unit list, a unit's page and its checklist, kept rendered: statements that do not grow with the county,
no stale page after a write, and no viewer served another viewer's kept HTML."""
import re

import pytest
from flask import g
from sqlalchemy import select

from pingyi import policy
from pingyi.campaigns.models import Participation
from pingyi.checklists.services import dimensions
from pingyi.extensions import db
from pingyi.tasks.models import Submission
from pingyi.tasks.services import campaign_tasks
from pingyi.units.models import Unit
from tests.conftest import data_changed, unit_named, user

PAGES = ("/units", "/units/{police}", "/units/{police}/checklist")


def _grow(county, count):
    """Add `count` units to the campaign, each with a group and submissions, as a bigger county has."""
    groups, tasks = county.groups, [t for t in campaign_tasks(county.id) if t.for_units]
    office = user("office")
    for n in range(count):
        unit = Unit(name=f"县新增单位{n:02d}", category="department", sort_order=900 + n)
        db.session.add(unit)
        db.session.add(Participation(campaign=county, unit=unit, is_key=n % 2 == 0, group=groups[n % len(groups)]))
        for task in tasks:
            db.session.add(Submission(task=task, unit=unit, status="submitted", note="已完成", submitted_by_id=office.id))
    db.session.commit()


def _touch():
    """A change to data none of these pages shows, as any save elsewhere makes (every kept page is stale after it)."""
    data_changed("县财政局")


def _counts(client, path, statements):
    """(statements of the first view after a change, of a repeat view); the layout's own kept parts (navigation,
    to-do count) are worked out by another page first, so only the page's own work is counted."""
    _touch()
    client.get("/account/password")
    g.pop("category_labels", None)  # a request's cache, which the tests' one app context would carry over
    statements.clear()
    assert client.get(path).status_code == 200
    first = len(statements)
    g.pop("category_labels", None)
    statements.clear()
    assert client.get(path).status_code == 200
    return first, len(statements)


@pytest.mark.parametrize("username", ["office", "leader", "evaluator", "unit"])
def test_statements_do_not_grow_with_the_county(county, client_for, statements, username):
    client = client_for(username)
    police = unit_named("县公安局")
    paths = [p.format(police=police.id) for p in PAGES if username != "unit" or p != "/units"]
    trivial = _counts(client, "/account/password", statements)[1]
    before = {path: _counts(client, path, statements) for path in paths}
    _grow(county, 25)
    after = {path: _counts(client, path, statements) for path in paths}
    assert after == before
    # a repeat view costs what the bare layout does, and a unit's pages one more for an evaluator (the units it
    # inspects, looked up on every view)
    for path, (_, repeat) in after.items():
        assert repeat == trivial + (username == "evaluator" and path != "/units"), (path, trivial, after)


def test_a_write_shows_on_the_next_view(county, client_for, htmx):
    office = client_for("office")
    police = unit_named("县公安局")
    head = police.head_name
    assert head and head in office.get(f"/units/{police.id}").text and head in office.get("/units?q=公安").text
    form = {"name": "县公安局", "category": police.category, "head_name": "马东升", "version": str(police.version)}
    assert office.post(f"/admin/units/{police.id}/edit", data=form).status_code == 302
    page = office.get(f"/units/{police.id}").text
    assert "马东升" in page and head not in page.split("主要负责人")[1].split("</dd>")[0]
    assert "马东升" in office.get("/units?q=公安").text and "马东升" in office.get("/units?q=公安", headers=htmx).text
    assert "马东升" in client_for("unit").get(f"/units/{police.id}").text

    item = dimensions(county.id)[0].items[0]
    checklist = f"/units/{police.id}/checklist"
    assert "纠风办已电话核实" not in office.get(checklist).text
    office.get(checklist, headers=htmx)
    saved = office.post(f"{checklist}/items/{item.id}/review", headers=htmx,
                        data={"rating": "basic", "explanation": "纠风办已电话核实", "version": _version(police, item)})
    assert saved.status_code == 200
    assert "纠风办已电话核实" in office.get(checklist).text
    assert "纠风办已电话核实" in client_for("unit").get(checklist).text
    summary = office.get(checklist, headers=htmx).text
    assert "<html" not in summary and "汇总" in summary


def _version(unit, item):
    from pingyi.checklists.services import assessment_for
    current = assessment_for(unit, item, "review")
    return str(current.version) if current else "0"


def test_no_viewer_gets_another_viewer_s_kept_page(county, client_for):
    police, finance = unit_named("县公安局"), unit_named("县财政局")
    office, evaluator = client_for("office"), client_for("evaluator")
    assert not policy.can_see_unit_work(user("evaluator"), finance.id, county)
    # the office's page first, then each other viewer: the office's buttons and the unit's work stay the office's
    office_page = office.get(f"/units/{finance.id}").text
    assert f"/admin/units/{finance.id}/edit" in office_page and 'id="documents"' in office_page
    other = evaluator.get(f"/units/{finance.id}").text
    assert f"/admin/units/{finance.id}/edit" not in other and 'id="documents"' not in other and "县财政局" in other
    assert evaluator.get(f"/units/{finance.id}/checklist").status_code == 404
    assert f"/admin/units/{police.id}/edit" in office.get(f"/units/{police.id}").text
    office.get(f"/units/{police.id}/checklist")
    own = client_for("unit").get(f"/units/{police.id}")
    assert own.status_code == 200 and f"/admin/units/{police.id}/edit" not in own.text and "SHA-256" not in own.text
    # a liaison never sees another unit's page or checklist, kept or not
    for path in (f"/units/{police.id}", f"/units/{police.id}/checklist"):
        assert client_for("unit2").get(path).status_code == 404
    education = unit_named("县教育局")
    own2 = client_for("unit2").get(f"/units/{education.id}").text
    assert "县教育局" in own2 and "县公安局" not in own2.split("<main")[1]
    # the leader reads the list without the office's forms, though the office's list was kept first
    assert "hx-post" in office.get("/units").text and "hx-post" not in client_for("leader").get("/units").text


def test_each_session_gets_its_own_token_in_a_kept_page(county, client_for):
    police = unit_named("县公安局")
    for path in (f"/units/{police.id}", "/units"):
        tokens = []
        for client in (client_for("office"), client_for("office")):
            g.pop("csrf_token", None)  # a request's token, which the tests' one app context would carry over
            text = client.get(path).text
            header = re.search(r'"X-CSRFToken": "([^"]+)"', text).group(1)
            assert set(re.findall(r'name="csrf_token" value="([^"]+)"', text)) == {header} and "@@csrf-" not in text
            tokens.append(header)
        assert tokens[0] != tokens[1]


def test_a_unit_added_shows_in_the_kept_list(county, client_for):
    office = client_for("office")
    assert "县档案局" not in office.get("/units?q=档案").text
    assert office.post("/admin/units/new", data={"name": "县档案局", "category": "department"}).status_code == 302
    assert "县档案局" in office.get("/units?q=档案").text
    unit = db.session.scalar(select(Unit).where(Unit.name == "县档案局"))
    assert "县档案局" in office.get(f"/units/{unit.id}").text
