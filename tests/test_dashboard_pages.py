"""The office's dashboard at county scale: statements that do not grow with the units, the overdue units 50 a
page with htmx's pager, the counts over the whole county, and kept pages never another role's or page's."""
import re

from pingyi.extensions import db
from tests.conftest import first_view as _first_view, repeat_view as _repeat, unit_named
from tests.tasks.test_board_kept import add_units


def test_statements_do_not_grow_with_the_county(county, client_for, statements):
    office = client_for("office")
    first = {url: _first_view(office, url, statements) for url in ("/", "/?page=2")}
    repeat = _repeat(office, "/", statements)
    assert len(repeat) <= 3, repeat
    assert not any(t in s for s in repeat for t in ("FROM participation", "FROM task", "FROM submission")), repeat
    add_units(county, 120)
    assert {url: _first_view(office, url, statements) for url in ("/", "/?page=2")} == first
    assert len(_repeat(office, "/", statements)) == len(repeat)


def test_the_overdue_units_come_fifty_a_page_and_the_counts_cover_the_county(county, client_for, htmx):
    add_units(county, 120)
    office = client_for("office")
    page = office.get("/").text
    total = int(re.search(r'<span class="num">(\d+)</span><span>有逾期任务的单位</span>', page).group(1))
    assert total > 50
    assert f"逾期未提交（{total} 个单位" in page
    assert len(re.findall(r'<tr class="row-overdue">', page)) == 50
    assert f"第 1–50 条，共 {total} 条" in page and 'hx-target="#overdue-list"' in page
    second = office.get("/?page=2", headers=htmx)
    assert "<html" not in second.text and f"第 51–{min(100, total)} 条，共 {total} 条" in second.text
    assert len(re.findall(r'<tr class="row-overdue">', second.text)) == min(50, total - 50)
    full = office.get("/?page=2").text
    assert "<html" in full and "第 51–" in full and "重点评议部门" in full


def test_a_write_shows_on_the_next_view_and_no_role_gets_anothers_page(county, client_for):
    office, leader, unit = client_for("office"), client_for("leader"), client_for("unit")
    assert "县公安局" in office.get("/").text
    police = unit_named("县公安局")
    police.name = "青山县公安局"
    db.session.commit()
    assert "青山县公安局" in office.get("/").text
    assert "新建联络员账号" not in leader.get("/").text
    page = unit.get("/").text
    assert "逾期未提交（" not in page and "有逾期任务的单位" not in page


def test_each_users_own_dashboard_is_kept_for_them_alone_and_follows_the_data(county, client_for, statements):
    """A unit's, evaluator's or supervisor's dashboard costs the trivial page's one statement on a repeat view, is
    never another user's, and shows a change on the next view."""
    clients = {name: client_for(name) for name in ("unit", "unit2", "evaluator", "supervisor")}
    pages = {}
    for name, client in clients.items():
        client.get("/")
        statements.clear()
        pages[name] = client.get("/").text
        assert len(statements) == 1, (name, statements)
    assert "<h1>县公安局 ·" in pages["unit"] and "<h1>县教育局" not in pages["unit"]
    assert "<h1>县教育局 ·" in pages["unit2"] and "<h1>县公安局" not in pages["unit2"]
    assert "联系监督的单位" in pages["supervisor"] and "待办任务" not in pages["supervisor"]
    assert "联系监督的单位" not in pages["evaluator"] and "<h1>县公安局" not in pages["evaluator"]
    police = unit_named("县公安局")
    police.name = "青山县公安局"
    db.session.commit()
    assert "<h1>青山县公安局 ·" in clients["unit"].get("/").text
    assert "<h1>县教育局 ·" in clients["unit2"].get("/").text
