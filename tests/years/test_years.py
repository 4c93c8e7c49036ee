"""Past years: the list, looking at a closed year read-only with a banner and a way back, a unit across years."""
import pytest
from sqlalchemy import func, select

from pingyi.audit.models import AuditEntry
from pingyi.campaigns.models import Campaign
from pingyi.documents.models import IssuedDocument
from pingyi.extensions import db
from pingyi.results import services as results
from pingyi.tasks.models import Submission
from pingyi.years import services
from tests.conftest import unit_named


def test_demo_2025_is_closed_with_published_results_and_documents(county):
    last = db.session.scalar(select(Campaign).where(Campaign.year == 2025))
    assert last.status == "closed" and county.year == 2026
    version = results.latest_version(last)
    assert version is not None and version.show_ranking
    assert {d.kind for d in db.session.scalars(select(IssuedDocument).where(IssuedDocument.campaign_id == last.id))} \
        == {"notice", "bulletin"}
    assert results.unit_result(version, unit_named("县公安局").id)["total"] is not None


def test_years_page_lists_both_years(county, client_for):
    page = client_for("office").get("/years").text
    assert "2025年度" in page and "2026年度" in page and "已发布第 1 版" in page


def test_a_past_year_is_read_only_with_a_banner_and_a_way_back(county, client_for):
    office = client_for("office")
    year = office.get("/years/2025")
    assert year.status_code == 200 and "您正在查看 2025 年度" in year.text and "回到 2026 年度" in year.text
    assert "县公安局" in year.text and "评议结果通报" in year.text
    board = office.get("/board").text
    assert "您正在查看 2025 年度" in board and "2025年度政风行风评议" in board
    sub = db.session.scalar(select(Submission).where(Submission.status == "submitted"))
    refused = office.post(f"/board/submissions/{sub.id}/confirm")
    assert refused.status_code == 409 and "只能查看和下载，不能修改" in refused.text
    db.session.refresh(sub)
    assert sub.status == "submitted"
    assert "您正在查看" not in office.get("/years/2026").text
    assert "您正在查看" not in office.get("/board").text


def test_a_unit_sees_only_its_own_result_of_a_past_year(county, client_for):
    page = client_for("unit").get("/years/2025").text
    assert "综合得分" in page and "县教育局" not in page


def test_unit_page_shows_its_years_and_look_back(county, client_for):
    police = unit_named("县公安局")
    rows = services.unit_years(police)
    assert [r["campaign"].year for r in rows] == [2026, 2025]
    assert rows[1]["total"] is not None and rows[1]["problems"] == 2
    back = services.look_back(county, police)
    assert back["previous"].year == 2025 and len(back["before"]) == 2
    again = {name for _, name, flag in back["now"] if flag}
    assert again == {name for _, name, _ in back["before"]} & {name for _, name, _ in back["now"]}
    page = client_for("unit").get(f"/units/{police.id}").text
    assert "历年评议结果" in page and "回头看" in page


def test_switcher_goes_to_the_year(county, client_for):
    assert client_for("leader").get("/years?year=2025").location.endswith("/years/2025")
    assert client_for("leader").get("/years/1999").status_code == 404


TABS = ["/", "/board", "/units", "/admin/checklist/campaign", "/findings", "/feedback", "/rectifications",
        "/results", "/documents", "/overview", "/todo", "/reminders", "/findings/matrix"]


def test_the_chosen_past_year_applies_to_every_tab(county, client_for):
    office = client_for("office")
    office.get("/years/2025")
    for url in TABS:
        page = office.get(url)
        assert page.status_code == 200, url
        assert "您正在查看 2025 年度" in page.text and 'href="/years/2026">回到 2026 年度' in page.text, url
        assert "2025" in page.text.split('class="year-banner"', 1)[1].split("</main>", 1)[0], url
    overview = office.get("/overview").text
    assert "2025 年度评议 · 全县概览" in overview
    office.get("/years/2026")
    assert "2026 年度评议 · 全县概览" in office.get("/overview").text and "您正在查看" not in office.get("/todo").text


def test_a_unit_looking_at_a_past_year_sees_its_own_pages_of_that_year(county, client_for):
    unit = client_for("unit")
    unit.get("/years/2025")
    police = unit_named("县公安局")
    for url in ("/", "/board", f"/units/{police.id}", f"/units/{police.id}/checklist", "/findings", "/feedback", "/rectifications", "/results", "/todo"):
        page = unit.get(url, follow_redirects=True)
        assert page.status_code == 200 and "您正在查看 2025 年度" in page.text, url


@pytest.mark.parametrize("username,url,data", [
    ("office", "/reminders/record", {"method": "phone"}),
    ("office", "/todo/materials/confirm", {"submission": ["1"]}),
    ("office", "/feedback/compile", {"round": "june"}),
    ("unit", "/rectifications/1/updates", {"note": "已整改"}),
])
def test_any_post_to_a_closed_year_is_refused_with_a_message(county, client_for, username, url, data):
    client = client_for(username)
    client.get("/years/2025")
    before = db.session.scalar(select(func.count(AuditEntry.id)))
    for headers in ({}, {"HX-Request": "true", "HX-Request-Type": "partial"}):
        refused = client.post(url, data=data, headers=headers)
        assert refused.status_code == 409 and "往年评议只能查看" in refused.text, url
        assert "您正在查看 2025 年度（已结束）的记录，只能查看和下载，不能修改。请先回到 2026 年度再办理。" in refused.text
    assert db.session.scalar(select(func.count(AuditEntry.id))) == before  # nothing was written
