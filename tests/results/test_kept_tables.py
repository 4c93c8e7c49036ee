"""The ranking tables of /results are kept rendered for the office and leaders: per version shown, and the live
ones until the data changes."""
from pingyi.extensions import db
from tests.conftest import unit_named


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

