"""The feedback overview, the rectification tracker, /documents and a unit's score explanation are kept rendered:
their statements do not grow with the county, a write shows on the next view, and no viewer is served the page
kept for another unit, user or role."""
from datetime import date

import pytest
from sqlalchemy import select

from pingyi import policy
from pingyi.campaigns.models import Participation
from pingyi.checklists.services import dimensions
from pingyi.extensions import db
from pingyi.feedback.models import FeedbackItem
from pingyi.rectifications.models import Rectification
from pingyi.results import services as results
from pingyi.timeutil import utcnow
from pingyi.units.models import Unit
from tests.conftest import add_units_with_notices, unit_named, user

PAGES = ("/feedback", "/feedback?round=november", "/rectifications", "/rectifications?status=answered&overdue=1",
         "/documents")


def _grow(county, count):
    """`count` more units taking part, each with a sent and received notice of two problems, both answered."""
    dim = dimensions(county.id)[3]
    for notice in add_units_with_notices(county, count, sent_at=utcnow(), received_at=utcnow()):
        for k in range(2):
            item = FeedbackItem(dimension_id=dim.id, problem=f"问题{k}", suggestion="建议", deadline=date(2026, 8, 31),
                                sort_order=k)
            notice.items.append(item)
            db.session.add(Rectification(campaign_id=county.id, item=item, unit=notice.unit, kind="fix",
                                         measures="措施", owner="主任", deadline=date(2026, 12, 31)))
    db.session.commit()


def _first_view(client, path, statements):
    """The statements of `path` viewed right after a change to the data (nothing of it kept yet); the navigation's
    to-do count is worked out first by another page, so only the page's own work is counted."""
    police = unit_named("县公安局")
    police.short_name = "公安局" if police.short_name != "公安局" else "县公安"  # any change: the data moves on
    db.session.commit()
    client.get("/account/password")
    statements.clear()
    assert client.get(path).status_code == 200
    return len(statements)


@pytest.mark.parametrize("path", PAGES)
def test_statements_do_not_grow_with_the_county(county, client_for, statements, path):
    office = client_for("office")
    office.get(path)
    before = _first_view(office, path, statements)
    _grow(county, 6)
    assert _first_view(office, path, statements) == before
    statements.clear()
    office.get(path)  # kept: the session, the campaign with the data version (and /documents' live batches)
    assert len(statements) <= 4, statements


def test_the_explanation_is_kept_and_its_statements_do_not_grow(county, client_for, statements):
    office, police = client_for("office"), unit_named("县公安局")
    path = f"/results/units/{police.id}"
    office.get(path)
    before = _first_view(office, path, statements)
    _grow(county, 4)
    assert _first_view(office, path, statements) == before
    statements.clear()
    assert "县公安局" in office.get(path).text
    assert len(statements) == 1, statements  # as the trivial page: the session with the campaign and the data version


def test_a_write_shows_on_the_next_view(county, client_for):
    office = client_for("office")
    finance = unit_named("县财政局")
    page = office.get("/feedback?round=november").text
    assert "新名称财政局" not in page and "新名称财政局" not in office.get("/rectifications").text
    office.get("/documents")
    office.get(f"/results/units/{finance.id}")
    finance.name = "新名称财政局"
    db.session.commit()
    assert "新名称财政局" in office.get("/feedback?round=november").text
    assert "新名称财政局" in office.get(f"/results/units/{finance.id}").text
    # a unit's answer changes the tracker's counts
    rect = db.session.scalar(select(Rectification).where(Rectification.campaign_id == county.id,
                                                         Rectification.status == "answered").limit(1))
    answered = _count(office.get("/rectifications").text, "answered")
    rect.status = "completed"
    db.session.commit()
    assert _count(office.get("/rectifications").text, "answered") == answered - 1
    # a document issued shows in /documents' list
    issued = office.get("/documents").text.count("/download")
    assert office.get("/documents/notice.docx").status_code == 200
    assert office.get("/documents").text.count("/download") == issued + 1


def _count(text, key):
    return int(text.split(f'data-count="{key}"', 1)[1].split('<span class="num">', 1)[1].split("<", 1)[0])


def test_no_viewer_is_served_another_units_page(county, client_for, htmx):
    police, education = unit_named("县公安局"), unit_named("县教育局")
    office, unit, unit2 = client_for("office"), client_for("unit"), client_for("unit2")
    for path in ("/feedback", "/rectifications"):
        office.get(path)
        office.get(path, headers=htmx)
        own, other = unit.get(path).text, unit2.get(path).text
        assert own != other
        assert "县教育局" not in own.split("</header>", 1)[1]
        assert "县公安局" not in other.split("</header>", 1)[1]
    assert "县公安局" in unit.get("/rectifications").text.split('id="rect-list"')[1]
    assert "反馈通知书" in unit.get("/feedback").text and "起草反馈" not in unit.get("/feedback").text
    # the office's tracker names every unit; a unit's has no unit filter and no other unit
    assert 'name="unit"' in office.get("/rectifications").text
    assert 'name="unit"' not in unit.get("/rectifications").text
    # a supervisor sees the units it inspects only, though the office's overview was kept first
    supervisor = user("supervisor")
    inspected = policy.inspected_unit_ids(supervisor, county)
    names = set(db.session.scalars(select(Unit.name).where(Unit.id.in_(inspected))))
    others = set(db.session.scalars(select(Unit.name).join(Participation).where(
        Participation.campaign_id == county.id, Unit.id.not_in(inspected))))
    text = client_for("supervisor").get("/feedback").text.split('id="feedback-overview"', 1)[1]
    assert any(name in text for name in names)
    assert not any(f">{name}<" in text for name in others)
    # the explanation: a unit sees its own unit's once published, never another's, whoever viewed it first
    results.publish(county, user("office"), show_ranking=False)
    assert office.get(f"/results/units/{education.id}").status_code == 200
    assert unit.get(f"/results/units/{education.id}").status_code == 404
    own = unit.get(f"/results/units/{police.id}")
    assert own.status_code == 200 and "县公安局" in own.text
    assert unit2.get(f"/results/units/{police.id}").status_code == 404


def test_forms_of_kept_pages_carry_each_sessions_token(county, client_for, app):
    """A kept page with forms gets the viewing session's own CSRF token put in, the one its layout carries."""
    app.config["WTF_CSRF_ENABLED"] = True
    for username, path in (("office", "/feedback"), ("leader", "/feedback"), ("office", "/documents")):
        client = client_for(username)
        client.get(path)
        text = client.get(path).text
        session_token = text.split('"X-CSRFToken": "', 1)[1].split('"', 1)[0]
        forms = text.split("</header>", 1)[1].split('name="csrf_token" value="')[1:]
        assert "@@csrf-" not in text
        assert all(form.split('"', 1)[0] == session_token for form in forms)
        assert forms or username == "leader"  # the office's pages have forms
