"""/overview kept whole per role and filters: statements that do not grow with the county, a write shown on the
next view, and no filter's or role's page served for another."""
from sqlalchemy import select

from pingyi.campaigns.models import Category
from pingyi.extensions import db
from tests.conftest import first_view as _first_view, repeat_view as _repeat, unit_named
from tests.tasks.test_board_kept import add_units


def test_statements_do_not_grow_with_the_county(county, client_for, statements):
    office = client_for("office")
    urls = ("/overview", "/overview?category=department&sort=total&dir=desc")
    first = {url: _first_view(office, url, statements) for url in urls}
    repeat = {url: _repeat(office, url, statements) for url in urls}
    for seen in repeat.values():  # a repeat view: the session and the campaign, no table of the county
        assert len(seen) <= 3, seen
        assert not any(t in s for s in seen for t in ("FROM participation", "FROM category", "FROM result_version",
                                                      "FROM evaluation_group")), seen
    add_units(county, 120)
    assert {url: _first_view(office, url, statements) for url in urls} == first
    assert {url: len(_repeat(office, url, statements)) for url in urls} == {url: len(s) for url, s in repeat.items()}
    assert "加测单位" in office.get("/overview").text


def test_a_write_around_the_table_shows_on_the_next_view(county, client_for):
    office = client_for("office")
    assert ">县政府部门</option>" in office.get("/overview").text
    category = db.session.scalar(select(Category).where(Category.campaign_id == county.id,
                                                        Category.key == "department"))
    category.name = "县政府工作部门"
    db.session.commit()
    page = office.get("/overview?category=department").text
    assert '<option value="department" selected>县政府工作部门</option>' in page


def test_each_filter_and_role_has_its_own_page(county, client_for):
    office, leader = client_for("office"), client_for("leader")
    stationed = "国网青山县供电公司"
    assert stationed not in office.get("/overview?category=department").text
    assert stationed in office.get("/overview").text
    assert stationed in office.get("/overview?category=nonsense").text  # an unknown category: every unit
    page = leader.get("/overview?category=department").text
    assert stationed not in page and '<option value="department" selected>' in page
    assert '<option value="department" selected>' not in leader.get("/overview").text
    police = unit_named("县公安局")
    assert f'href="/units/{police.id}"' in page
