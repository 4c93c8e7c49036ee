"""The findings list and the matrix as a county grows: a constant number of statements (kept or worked out
afresh after a change), every write shown on the next view, and kept HTML never served across units, users or
roles. Counts of SQL statements, never times."""
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from pingyi import policy
from pingyi.campaigns.models import Participation, SupervisorAssignment
from pingyi.checklists.services import dimensions
from pingyi.extensions import db
from pingyi.findings import services
from pingyi.findings.models import Finding, Inspection
from pingyi.units.models import Unit
from tests.conftest import unit_named, user

PAGES = ("/findings", "/findings/matrix", "/findings?status=confirmed&page=2", "/findings/matrix?page=1&key=0")


def grow(campaign, units, per_unit=6):
    """Add `units` units taking part in the campaign, each inspected once with `per_unit` findings (most
    confirmed, some pending), some of them in the supervisor's and the evaluator's scope too."""
    office, supervisor = user("office"), user("supervisor")
    dims = dimensions(campaign.id)
    groups = campaign.groups
    start = db.session.scalar(select(Unit.sort_order).order_by(Unit.sort_order.desc()).limit(1)) + 1
    for n in range(units):
        unit = Unit(name=f"新增单位{start + n}", short_name=f"新{start + n}", category="department", sort_order=start + n)
        db.session.add(Participation(campaign_id=campaign.id, unit=unit, group=groups[n % len(groups)]))
        if n % 2:
            db.session.add(SupervisorAssignment(campaign_id=campaign.id, user_id=supervisor.id, unit=unit))
        inspection = Inspection(campaign_id=campaign.id, unit=unit, method="visit", held_on=date(2026, 6, 1 + n % 28),
                                status="submitted", created_by_id=office.id)
        db.session.add(inspection)
        for k in range(per_unit):
            dim = dims[k % len(dims)]
            inspection.findings.append(Finding(
                campaign_id=campaign.id, unit=unit, dimension_id=dim.id, item_id=dim.items[0].id,
                description=f"新增问题{start + n}-{k}", severity=("minor", "major", "severe")[k % 3],
                source="visit", status="confirmed" if k % 3 else "submitted"))
    db.session.commit()


def change(campaign):
    """One write to the findings (a description), as any save makes."""
    finding = db.session.scalar(select(Finding).where(Finding.campaign_id == campaign.id).order_by(Finding.id).limit(1))
    finding.description += "。"
    db.session.commit()


def counts(client, campaign, statements, pages=PAGES):
    """{page: (statements of a repeated view, statements of the first view after a change)}."""
    out = {}
    for path in pages:
        client.get(path)
        client.get(path)
        statements.clear()
        assert client.get(path).status_code == 200
        repeated = len(statements)
        change(campaign)
        statements.clear()
        assert client.get(path).status_code == 200
        out[path] = (repeated, len(statements))
    return out


@pytest.mark.parametrize("username", ["office", "supervisor", "evaluator", "leader"])
def test_statements_do_not_grow_with_the_county(county, client_for, statements, username):
    """Every page of the list holds rows of each kind before the county grows (a page without rows, or without
    rows to review, skips the statements reading their files or merge targets)."""
    grow(county, 30, per_unit=12)
    client = client_for(username)
    before = counts(client, county, statements)
    grow(county, 25)
    after = counts(client, county, statements)
    assert after == before
    assert all(repeated <= 4 for repeated, _ in after.values()), after  # kept: session, campaign, version(, years)


def test_a_unit_liaisons_list_costs_the_same_as_its_unit_gains_findings(county, client_for, statements):
    police = unit_named("县公安局")
    dim = dimensions(county.id)[0]

    def add(findings):
        inspection = Inspection(campaign_id=county.id, unit_id=police.id, method="visit", held_on=date(2026, 6, 3),
                                status="submitted", created_by_id=user("office").id)
        inspection.findings = [Finding(campaign_id=county.id, unit_id=police.id, dimension_id=dim.id,
                                       description=f"公安问题{k}", severity="minor", source="visit", status="confirmed")
                               for k in range(findings)]
        db.session.add(inspection)
        db.session.commit()
    add(60)  # a second page of the list
    client = client_for("unit")
    pages = [p for p in PAGES if not p.startswith("/findings/matrix")]
    before = counts(client, county, statements, pages)
    add(120)
    assert counts(client, county, statements, pages) == before


def test_the_list_holds_fifty_a_page_and_its_pager_counts_them(county, office_client):
    grow(county, 10)
    total = db.session.scalar(select(func.count()).select_from(
        services.visible_findings(county, user("office")).subquery()))
    page = services.finding_page(county, user("office"))
    assert len(page.items) == 50 and page.total == total
    text = office_client.get("/findings?page=2").text
    assert f"第 51–100 条，共 {total} 条" in text


def test_a_review_shows_on_the_next_view(county, office_client, client_for):
    """Nothing stale: the office's list, the matrix and the liaison's list all follow a confirmation."""
    education = unit_named("县教育局")
    liaison = client_for("unit2")
    pending = db.session.scalar(select(Finding).where(Finding.unit_id == education.id, Finding.status == "submitted")
                                .order_by(Finding.id).limit(1))
    assert pending is not None, "the demo has a finding of 县教育局 waiting for review"
    path = f"/findings?unit={education.id}"
    matrix = office_client.get("/findings/matrix").text
    cell = services.matrix(county)["cells"].get((education.id, pending.dimension_id), 0)
    assert pending.description not in liaison.get("/findings").text
    row = office_client.get(path).text.split(f'id="finding-{pending.id}"')[1].split("</tr>")[0]
    assert "待审核" in row
    response = office_client.post(f"/findings/{pending.id}/confirm")
    assert response.status_code == 302
    row = office_client.get(path).text.split(f'id="finding-{pending.id}"')[1].split("</tr>")[0]
    assert "已确认" in row and "确认</button>" not in row
    assert pending.description in liaison.get("/findings").text
    after = office_client.get("/findings/matrix").text
    link = f"?unit={education.id}&amp;dimension={pending.dimension_id}&amp;status=confirmed\">{cell + 1}</a>"
    assert link in after and link not in matrix


def test_a_new_draft_shows_in_its_authors_list_only(county, client_for):
    supervisor, evaluator = client_for("supervisor"), client_for("evaluator")
    assert "我的草稿" not in supervisor.get("/findings").text
    evaluator.get("/findings")
    police = unit_named("县公安局")
    dim = dimensions(county.id)[0]
    services.save_inspection(county, police, user("supervisor"),
                             {"method": "visit", "held_on": date(2026, 11, 2), "place": "", "participants": "",
                              "summary": "走访"},
                             [{"dimension_id": dim.id, "item_id": None, "description": "草稿中的问题", "severity": "minor",
                               "source": "visit", "uploads": []}], [], False)
    text = supervisor.get("/findings").text
    assert "我的草稿（1）" in text and "问题 1 条" in text and "草稿中的问题" in text
    other = evaluator.get("/findings").text
    assert "我的草稿" not in other and "草稿中的问题" not in other


def test_no_kept_list_crosses_units_users_or_roles(county, client_for):
    """The same address, viewed first by one user, then by others: each sees only its own."""
    police, education = unit_named("县公安局"), unit_named("县教育局")

    def confirmed(unit):
        return db.session.scalars(select(Finding.description).where(
            Finding.unit_id == unit.id, Finding.status == "confirmed")).all()
    police_texts, education_texts = confirmed(police), confirmed(education)
    assert police_texts and education_texts, "the demo has confirmed findings of both units"
    for path in ("/findings", "/findings?page=1", f"/findings?unit={police.id}"):
        office = client_for("office").get(path).text  # kept first, with the office's review forms
        assert "<th>审核</th>" in office
        own, other = client_for("unit").get(path).text, client_for("unit2").get(path).text
        assert any(t in own for t in police_texts) and not any(t in own for t in education_texts)
        assert any(t in other for t in education_texts) or path.endswith(str(police.id))
        assert not any(t in other for t in police_texts)
        for text in (own, other, client_for("leader").get(path).text):
            assert "<th>审核</th>" not in text and "/confirm" not in text
        assert "赵淑芬" not in own and "赵淑芬" not in other  # the inspector stays with the staff


def test_scoped_users_do_not_share_kept_lists_or_matrices(county, client_for):
    supervisor, evaluator = user("supervisor"), user("evaluator")
    mine, theirs = policy.inspected_unit_ids(supervisor, county), policy.inspected_unit_ids(evaluator, county)
    outside = db.session.scalar(select(Unit.name).where(Unit.id.in_(theirs - mine)).limit(1))
    assert outside, "the evaluator's group has units the supervisor is not assigned"
    assert outside in client_for("evaluator").get("/findings/matrix").text
    assert outside not in client_for("supervisor").get("/findings/matrix").text
    theirs_only = [r.id for r in services.finding_page(county, evaluator).items if r.unit_id not in mine]
    assert theirs_only, "the evaluator sees findings of units the supervisor does not inspect"
    assert all(f'id="finding-{i}"' in client_for("evaluator").get("/findings").text for i in theirs_only)
    text = client_for("supervisor").get("/findings").text
    assert not any(f'id="finding-{i}"' in text for i in theirs_only)
    assert all(f'id="finding-{r.id}"' in text for r in services.finding_page(county, supervisor).items)


def test_the_matrix_totals_link_to_the_findings_they_count(county, office_client):
    """Each total of the matrix opens the list of the confirmed findings it counts (narrowed as the matrix is)."""
    text = office_client.get("/findings/matrix?key=1").text
    foot = text.split("<tfoot>")[1].split("</tfoot>")[0]
    links = re.findall(r'<a href="([^"]+)">(\d+)</a>', foot)
    assert links, foot
    for href, count in links:
        href = href.replace("&amp;", "&")
        assert "key=1" in href and "status=confirmed" in href
        listing = office_client.get(href).text
        assert f"共 {count} 条" in listing and "仅含重点评议部门" in listing
