"""The page of /results is kept rendered for the office and leaders: per version shown, and the live figures until
the data changes; its statements do not grow with the county, and no viewer gets another's kept page."""
from pingyi.extensions import db
from pingyi.results import services
from tests.conftest import unit_named, user
from tests.conftest import first_view as _first_view_statements, repeat_view as _repeat_statements


def _tables(text):
    """The ranking tables: from their division to the end of the last group's section."""
    tables = text.split('<div id="results-tables">', 1)[1]
    return tables[:tables.rindex('<section class="card" id="group-')] + tables.split('id="group-')[-1].split("</section>")[0]


def test_each_version_and_the_live_figures_have_their_own_tables(county, client_for):
    office = client_for("office")
    first, second = _tables(office.get("/results?version=1").text), _tables(office.get("/results?version=2").text)
    assert "?version=1" in first and "?version=2" not in first
    assert "?version=2" in second and "?version=1" not in second
    live = _tables(office.get("/results").text)
    assert "?version=" not in live and "县公安局" in live


def test_the_live_tables_follow_the_data(county, client_for):
    office = client_for("office")
    assert "县公安局" in _tables(office.get("/results").text)
    police = unit_named("县公安局")
    police.name = "青山县公安局"
    db.session.commit()
    assert "青山县公安局" in _tables(office.get("/results").text)
    leader = _tables(client_for("leader").get("/results").text)
    assert "青山县公安局" in leader and "row-own" not in leader



def test_the_page_is_kept_whole_and_its_statements_do_not_grow_with_the_county(county, client_for, statements):
    """A repeat view of the live page reads only the session and the campaign; the first view after a change
    computes the county in as many statements at 140 more units as before."""
    from tests.tasks.test_board_kept import add_units
    office = client_for("office")
    repeat = _repeat_statements(office, "/results", statements)
    assert len(repeat) <= 3, repeat
    assert not any(t in s for s in repeat for t in ("FROM participation", "FROM ballot", "FROM result_version")), repeat
    first = _first_view_statements(office, "/results", statements)
    add_units(county, 140)
    assert _first_view_statements(office, "/results", statements) == first
    assert len(_repeat_statements(office, "/results", statements)) == len(repeat)
    text = office.get("/results").text
    assert "加测单位" in text and '<span class="num">' in text


def test_a_write_shows_on_the_next_view_with_when_it_was_computed(county, client_for):
    office = client_for("office")
    number = len(services.versions(county)) + 1
    before = office.get("/results").text
    assert "实时结果计算于" in before and f"?version={number}" not in before
    services.publish(county, user("office"), show_ranking=True)
    after = office.get("/results").text
    assert f'<a href="/results?version={number}">第 {number} 版</a>' in after
    assert f"发布会把下面的实时结果冻结为第 {number + 1} 版" in after
    police = unit_named("县公安局")
    police.name = "青山县公安局"
    db.session.commit()
    assert "青山县公安局" in office.get("/results").text
    assert "青山县公安局" not in office.get(f"/results?version={number}").text  # a published version is frozen


def test_no_viewer_gets_another_roles_kept_page(county, client_for):
    office, leader, unit = client_for("office"), client_for("leader"), client_for("unit")
    assert "发布结果" in office.get("/results").text
    page = leader.get("/results").text
    assert "发布结果" not in page and "测评录入" not in page and "实时计算" in page
    services.publish(county, user("office"), show_ranking=False)
    number = services.latest_version(county).number
    assert "测评录入" in office.get(f"/results?version={number}").text
    page = leader.get(f"/results?version={number}").text
    assert "测评录入" not in page and "row-own" not in page
    page = unit.get("/results").text
    assert "本单位结果" in page and "实时计算" not in page and "县财政局" not in page


def test_each_unit_and_role_gets_its_own_kept_published_page(county, client_for, statements):
    """Every role's /results is kept (a repeat view reads the session and the latest version's number); a unit's
    page holds its own result
    and its own highlighted row, never another unit's, and an evaluator's or supervisor's holds neither."""
    services.publish(county, user("office"), show_ranking=True)
    police, education = unit_named("县公安局"), unit_named("县教育局")
    pages = {}
    for username in ("unit", "unit2", "evaluator", "supervisor"):
        client = client_for(username)
        client.get("/results")
        statements.clear()
        pages[username] = client.get("/results").text
        assert len(statements) <= 2 and not any("ballot" in s or "finding" in s for s in statements), statements
    for username, own in (("unit", police), ("unit2", education)):
        page = pages[username]
        assert "本单位结果" in page and f'href="/results/units/{own.id}"' in page, username
        other = education if own is police else police
        assert f'href="/results/units/{other.id}">查看得分明细' not in page
        assert page.count('class="row-own"') == 1
    for username in ("evaluator", "supervisor"):
        assert "本单位结果" not in pages[username] and 'class="row-own"' not in pages[username]


def test_two_supervisors_each_get_their_own_units_linked_in_the_kept_page(county, app, client_for):
    """An evaluator's or supervisor's /results links the units whose explanation they may open: the page kept for
    one is never served to another of the same role."""
    from pingyi.auth import services as auth_services
    from pingyi.campaigns.models import SupervisorAssignment
    from pingyi.policy import inspected_unit_ids
    services.publish(county, user("office"), show_ranking=True)
    first = user("supervisor")
    mine = inspected_unit_ids(first, county)
    other_unit = next(u for u in (unit_named("县教育局"), unit_named("县公安局"), unit_named("县司法局"))
                      if u.id not in mine)
    second = auth_services.create_user("sup2", "supervisor", "Supervise2026", "第二督导员")
    db.session.add(SupervisorAssignment(campaign_id=county.id, user_id=second.id, unit_id=other_unit.id))
    db.session.commit()
    link = f'<a href="/results/units/{other_unit.id}">'
    assert link not in client_for("supervisor").get("/results").text
    assert link in app.test_client(user=second).get("/results").text
    assert link not in client_for("supervisor").get("/results").text
