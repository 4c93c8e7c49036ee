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


def test_a_signed_in_page_costs_one_statement(county, client_for, statements):
    client = client_for("office")
    client.get("/account/password")
    statements.clear()
    assert client.get("/account/password").status_code == 200
    assert len(statements) == 1, statements  # the session, its user, the campaign and the data version


def test_the_one_statement_reads_the_year_being_looked_at(county, client_for, statements):
    """After choosing a past year, the session's statement reads that year's campaign (and the banner's way
    back the latest year's); a year that is gone falls back to the latest, as the header's switcher does."""
    client = client_for("office")
    assert "您正在查看 2025 年度" in client.get("/years/2025").text
    client.get("/account/password")  # that year's to-do count, once
    statements.clear()
    page = client.get("/account/password").text
    assert len(statements) <= 2 and "您正在查看 2025 年度" in page and "回到 2026 年度" in page, statements
    with client.session_transaction() as session:
        session["viewed_year"] = 1999
    client.get("/account/password")  # the latest year's to-do count, once
    statements.clear()
    page = client.get("/account/password").text
    assert len(statements) == 1 and "您正在查看" not in page, statements
    assert "您正在查看" not in client.get("/years/2026").text
    assert "您正在查看" not in client.get("/account/password").text


def test_the_session_statement_width_is_what_the_loader_skips():
    from pingyi.auth.services import _SESSION_ROW, _SESSION_ROW_WIDTH
    assert len(_SESSION_ROW.column_descriptions) == _SESSION_ROW_WIDTH


def _header(text):
    return text.split('<header class="topbar">', 1)[1].split("</header>", 1)[0]


def test_the_kept_header_is_each_users_own(county, client_for):
    """The header is kept rendered per user: each sees their own name and unit, and its sign-out form carries
    the session's own CSRF token (the one the page's htmx requests send), not the kept stand-in nor another user's."""
    pages = {username: client_for(username).get("/rectifications").text for username in ("unit", "unit2", "office")}
    assert "县公安局" in _header(pages["unit"]) and "县教育局" not in _header(pages["unit"])
    assert "县教育局" in _header(pages["unit2"]) and "县公安局" not in _header(pages["unit2"])
    tokens = set()
    for text in pages.values():
        token = re.search(r'"X-CSRFToken": "([^"]+)"', text).group(1)
        assert f'name="csrf_token" value="{token}"' in _header(text)
        tokens.add(token)
    assert len(tokens) == 3  # each session's own


def test_the_kept_header_follows_a_renamed_user(county, client_for):
    from pingyi.extensions import db
    from tests.conftest import user
    client = client_for("unit")
    assert "新任联络员" not in _header(client.get("/rectifications").text)
    user("unit").display_name = "新任联络员"
    db.session.commit()
    assert "新任联络员" in _header(client.get("/rectifications").text)
