"""The base layout every signed-in page shares is cheap: its navigation is kept rendered per role, unit and
section, and stays right for each user and page."""
import re

from tests.conftest import unit_named


def _nav(text):
    return text.split('<nav class="mainnav">', 1)[1].split("</nav>", 1)[0]


def _active(text):
    return re.findall(r'<a href="[^"]*" class="active"[^>]*>([^<]*)</a>', _nav(text))


def test_the_kept_navigation_marks_the_page_of_each_section(county, client_for):
    office = client_for("office")
    assert _active(office.get("/rectifications").text) == ["整改"]
    assert _active(office.get("/findings").text) == ["检查与问题"]
    assert _active(office.get("/rectifications?kind=plan").text) == ["整改"]
    assert _active(office.get("/").text) == ["工作台"]
    assert 'class="navmenu active"' in _nav(office.get("/admin/users").text)
    assert "管理" not in _nav(client_for("leader").get("/rectifications").text)


def test_each_unit_links_its_own_unit(county, client_for):
    for username, name in (("unit", "县公安局"), ("unit2", "县教育局")):
        nav = _nav(client_for(username).get("/rectifications").text)
        assert f'href="/units/{unit_named(name).id}"' in nav and ">本单位<" in nav


def test_a_signed_in_page_costs_two_statements(county, client_for, statements):
    client = client_for("office")
    client.get("/account/password")
    statements.clear()
    assert client.get("/account/password").status_code == 200
    assert len(statements) == 2, statements  # the session and its user; the campaign with the data version
