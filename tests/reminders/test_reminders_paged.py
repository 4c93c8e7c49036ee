"""/reminders a page of 50 units at a time: the heading counts every unit listed across the pages, the statements
do not grow with the county, a 催办 recorded from a later page shows there on the next view, and the page kept
for one role or page number is never served for another."""
import re

from pingyi.extensions import db
from pingyi.reminders.views import PER_PAGE
from pingyi.timeutil import today, utcnow
from tests.conftest import add_units_with_notices, user

UNIT_SECTION = re.compile(r'<section class="card reminder-unit" id="unit-(\d+)">')


def _grow(county, count):
    """`count` more units taking part, each with a notice sent long ago and never signed for (overdue work)."""
    add_units_with_notices(county, count, sent_at=utcnow().replace(year=utcnow().year - 1))
    db.session.commit()


def _heading_count(html):
    return int(re.search(r"逾期未办事项（(\d+) 个单位）", html).group(1))


def _all_pages(client):
    """[unit ids listed] of every page of /reminders, and the heading's count."""
    first = client.get("/reminders").text
    count, listed, number = _heading_count(first), [], 1
    html = first
    while True:
        ids = UNIT_SECTION.findall(html)
        if not ids:
            break
        listed += ids
        number += 1
        html = client.get(f"/reminders?page={number}").text
        assert _heading_count(html) == count
    return listed, count


def _first_view(client, path, statements):
    """The statements of `path` right after a change to the data, the navigation's count worked out first."""
    office = user("office")
    office.display_name = "纠风办" if office.display_name != "纠风办" else "县纠风办"
    db.session.commit()
    client.get("/account/password")
    statements.clear()
    assert client.get(path).status_code == 200
    return len(statements)


def test_the_heading_counts_every_unit_across_the_pages(county, client_for):
    _grow(county, PER_PAGE + 5)
    office = client_for("office")
    listed, count = _all_pages(office)
    assert len(listed) == len(set(listed)) == count > PER_PAGE
    first = office.get("/reminders").text
    assert len(UNIT_SECTION.findall(first)) == PER_PAGE
    assert f"共 {count} 条" in first and 'href="/reminders?page=2"' in first
    assert "没有第 99 页" in office.get("/reminders?page=99").text
    assert office.get("/reminders?page=x").status_code == 200


def test_statements_do_not_grow_with_the_county(county, client_for, statements):
    office = client_for("office")
    office.get("/reminders")
    before = _first_view(office, "/reminders", statements)
    _grow(county, PER_PAGE + 5)
    assert _first_view(office, "/reminders", statements) == before
    assert _first_view(office, "/reminders?page=2", statements) == before
    statements.clear()
    office.get("/reminders?page=2")
    assert len(statements) == 1, statements  # kept: as the trivial page, the session with the campaign and the data version


def test_a_reminder_from_a_later_page_shows_there_next(county, client_for):
    _grow(county, PER_PAGE + 5)
    office = client_for("office")
    second = office.get("/reminders?page=2").text
    unit_id = UNIT_SECTION.findall(second)[0]
    assert "上次催办：" not in second.split(f'id="unit-{unit_id}"')[1].split("</p>")[0]
    sent = office.post("/reminders/record", data={"unit_id": unit_id, "page": 2, "reminded_on": today().isoformat(),
                                                  "method": "phone", "note": "电话提醒"})
    assert sent.status_code == 302 and sent.location.endswith(f"/reminders?page=2#unit-{unit_id}")
    again = office.get("/reminders?page=2").text
    assert "上次催办：" in again.split(f'id="unit-{unit_id}"')[1].split("</p>")[0]
    refused = office.post("/reminders/record", data={"unit_id": unit_id, "page": 2, "reminded_on": "2099-01-01",
                                                     "method": "phone", "note": "留着的备注"})
    assert refused.status_code == 422 and f'id="unit-{unit_id}"' in refused.text and "留着的备注" in refused.text


def test_the_kept_page_is_per_role_and_page(county, client_for):
    _grow(county, PER_PAGE + 5)
    office, leader = client_for("office"), client_for("leader")
    first, second = office.get("/reminders").text, office.get("/reminders?page=2").text
    assert not set(UNIT_SECTION.findall(first)) & set(UNIT_SECTION.findall(second))
    read = leader.get("/reminders?page=2").text
    assert UNIT_SECTION.findall(read) == UNIT_SECTION.findall(second)
    assert "登记已催办" in second and "登记已催办" not in read and "生成催办通知" not in read


def test_the_pager_swaps_the_body_alone(county, client_for):
    _grow(county, PER_PAGE + 5)
    swapped = client_for("office").get("/reminders?page=2", headers={"HX-Request": "true",
                                                                      "HX-Request-Type": "partial"})
    assert '<div id="reminders-body">' not in swapped.text  # put inside the page's own, as the pager targets it
    assert "<html" not in swapped.text and UNIT_SECTION.findall(swapped.text)
    assert client_for("office").get("/reminders?page=2").text.count('<div id="reminders-body">') == 1


def test_a_page_beyond_a_one_page_list_offers_the_way_back_and_a_refused_form_keeps_its_page(county, client_for):
    office = client_for("office")
    first = office.get("/reminders").text
    assert 'href="/reminders?page=2"' not in first  # the demo county's list is one page
    beyond = office.get("/reminders?page=3").text
    assert "没有第 3 页" in beyond and 'href="/reminders?page=1"' in beyond
    lost = office.post("/reminders/record", data={"unit_id": "", "page": 2, "method": "phone"})
    assert lost.status_code == 302 and lost.location.endswith("/reminders?page=2")
