"""/overview: figures against hand-computed ones, lagging units first, filters, sorting, last year beside."""
from decimal import Decimal

from sqlalchemy import select

from pingyi.extensions import db
from pingyi.feedback.models import FeedbackNotice
from pingyi.overview import services
from pingyi.rectifications.models import Rectification
from pingyi.results import services as results
from pingyi.tasks.models import Task
from pingyi.timeutil import local, today
from tests.conftest import unit_named


def _by_hand(campaign, unit):
    tasks = db.session.scalars(select(Task).where(Task.campaign_id == campaign.id, Task.actor == "unit",
                                                  Task.due_date < today())).all()
    on_time = sum(1 for t in tasks for s in t.submissions
                  if s.unit_id == unit.id and s.status in ("submitted", "confirmed")
                  and local(s.submitted_at).date() <= t.due_date)
    notices = db.session.scalars(select(FeedbackNotice).where(FeedbackNotice.campaign_id == campaign.id,
                                                              FeedbackNotice.unit_id == unit.id,
                                                              FeedbackNotice.status == "sent")).all()
    items = [i for n in notices for i in n.items]
    rects = db.session.scalars(select(Rectification).where(Rectification.campaign_id == campaign.id,
                                                           Rectification.unit_id == unit.id,
                                                           Rectification.status != "withdrawn")).all()

    def pct(a, b):
        return None if not b else (Decimal(100 * a) / b).quantize(Decimal("0.1"))
    version = results.latest_version(campaign)  # the published figures when there are some
    detail = (results.version_results(version) if version else results.compute(campaign))["details"][unit.id]
    return {"tasks": pct(on_time, len(tasks)),
            "signed": pct(sum(1 for n in notices if n.received_at), len(notices)),
            "answered": pct(sum(1 for i in items if i.rectification), len(items)),
            "verified": pct(sum(1 for r in rects if r.status in ("verified", "explained")), len(rects)),
            "total": None if detail["total"] is None else Decimal(str(detail["total"])).quantize(Decimal("0.01")),
            "rank": detail["rank"]}


def test_figures_of_three_units_match_a_hand_count(county):
    data = services.overview(county)
    rows = {r["unit"].name: r for r in data["rows"]}
    for name in ("县公安局", "县教育局", "县财政局"):
        expected = _by_hand(county, unit_named(name))
        got = {k: rows[name]["figures"][k] for k in expected}
        assert got == expected, name
    assert rows["县公安局"]["figures"]["signed"] == Decimal("100.0")


def test_lagging_units_come_first_and_colours_follow_the_figures(county):
    rows = services.overview(county)["rows"]
    lagging = [r["lagging"] for r in rows]
    assert lagging == sorted(lagging, reverse=True) and lagging[0] > 0
    assert rows[0]["unit"].name == "县教育局" or rows[0]["lagging"] >= next(
        r["lagging"] for r in rows if r["unit"].name == "县教育局")
    assert services.colour("tasks", Decimal("95")) == "ok"
    assert services.colour("tasks", Decimal("80")) == "warn"
    assert services.colour("tasks", Decimal("69.9")) == "bad"
    assert services.colour("tasks", None) == ""


def test_filters_groups_and_county_total(county):
    all_rows = services.overview(county)
    stationed = services.overview(county, category="stationed")
    assert stationed["rows"] and all(r["unit"].category == "stationed" for r in stationed["rows"])
    assert stationed["county"] == all_rows["county"]  # the county line stays the whole county
    assert all_rows["county"]["units"] == len(all_rows["rows"])
    assert sum(g["units"] for g in all_rows["groups"]) == len(all_rows["rows"])
    group = county.groups[0]
    only = services.overview(county, group_id=group.id)
    assert {r["group_id"] for r in only["rows"]} == {group.id} and len(only["groups"]) == 1


def test_sorting_by_a_column(county):
    rows = services.overview(county, sort="total", descending=True)["rows"]
    totals = [r["figures"]["total"] for r in rows if r["figures"]["total"] is not None]
    assert totals == sorted(totals, reverse=True)
    assert all(r["figures"]["total"] is None for r in rows[len(totals):])


def test_last_year_is_beside_each_figure(county):
    data = services.overview(county)
    assert data["previous"].year == county.year - 1
    police = next(r for r in data["rows"] if r["unit"].name == "县公安局")
    assert police["before"] is not None
    for key, value in police["figures"].items():
        before = police["before"][key]
        if value is not None and before is not None:
            assert police["change"][key] == value - before


def test_page_for_the_leader_and_refusal_for_a_unit(county, client_for):
    page = client_for("leader").get("/overview?sort=tasks&dir=asc&category=department")
    assert page.status_code == 200 and "全县合计" in page.text and "县公安局" in page.text
    assert "data-print" in page.text and "国网青山县供电公司" not in page.text
    assert client_for("unit").get("/overview").status_code == 403


def test_the_kept_table_follows_a_change_to_the_data(county, client_for):
    client = client_for("office")
    assert "县公安局" in client.get("/overview").text
    police = unit_named("县公安局")
    police.name = "青山县公安局"
    db.session.commit()
    page = client.get("/overview").text
    assert 'data-unit="青山县公安局"' in page and 'data-unit="县公安局"' not in page
    partial = client.get("/overview?sort=total&dir=desc", headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    assert "<html" not in partial.text and "青山县公安局" in partial.text and "综合得分↓" in partial.text
