"""The board and a task's per-unit list at county scale: SQL that does not grow with the units, one page of 50
rows with its filters in the links, counts that link to the lists they count, and kept HTML that is never stale
and never another role's or unit's."""
import re

from sqlalchemy import func, select

from pingyi.campaigns.models import Participation
from pingyi.extensions import db
from pingyi.tasks import services
from pingyi.tasks.models import Submission
from pingyi.timeutil import utcnow
from pingyi.units.models import Unit
from tests.conftest import data_changed, unit_named, user
from tests.tasks.test_board_services import PDF, task_named

REPORT = "书面总结报告"


def add_units(campaign, count):
    """`count` more participating units, each with a submission of every unit task in turn submitted, confirmed,
    returned or missing, as a growing county has."""
    tasks = [t for t in services.campaign_tasks(campaign.id) if t.for_units]
    office = user("office")
    first = (db.session.scalar(select(func.max(Unit.sort_order))) or 0) + 1
    for n in range(first, first + count):
        unit = Unit(name=f"加测单位{n:03d}", category=("department", "institution", "stationed")[n % 3], sort_order=n)
        db.session.add(unit)
        db.session.add(Participation(campaign=campaign, unit=unit, group=campaign.groups[n % len(campaign.groups)]))
        for i, task in enumerate(tasks):
            status = (None, "submitted", "confirmed", "returned")[(n + i) % 4]
            if status:
                db.session.add(Submission(task=task, unit=unit, status=status, note="已完成", submitted_at=utcnow(),
                                          submitted_by_id=office.id, reviewed_by_id=office.id,
                                          review_comment="请补充" if status == "returned" else ""))
    db.session.commit()


def changed():
    """A write elsewhere in the data, so the next view works its page out afresh (the first view after a change)."""
    data_changed("县公安局")


def first_view_statements(client, url, statements):
    """The statements of a page's first view after a change (the navigation and the to-do count, kept apart
    from the page, worked out again by another board page first)."""
    changed()
    client.get("/board/tasks/new")
    statements.clear()
    assert client.get(url).status_code == 200
    return len(statements)


def test_statements_do_not_grow_with_the_county(county, office_client, statements):
    task = task_named(REPORT)
    pages = ("/board", "/board?category=department", f"/board/tasks/{task.id}",
             f"/board/tasks/{task.id}?sort=submitted&key=0", f"/board/tasks/{task.id}?status=submitted")
    before = {url: first_view_statements(office_client, url, statements) for url in pages}
    add_units(county, 120)
    after = {url: first_view_statements(office_client, url, statements) for url in pages}
    assert after == before
    assert "加测单位" in office_client.get(f"/board/tasks/{task.id}?sort=unit&page=3").text
    for url in pages:  # a repeat view reads no board table at all
        office_client.get(url)
        statements.clear()
        office_client.get(url)
        assert len(statements) <= 4, statements
        assert not any(t in s for s in statements for t in ("FROM submission", "FROM participation")), statements


def test_the_list_shows_fifty_units_a_page_with_its_filters_and_sort_in_the_links(county, office_client, htmx):
    add_units(county, 120)
    task = task_named(REPORT)
    text = office_client.get(f"/board/tasks/{task.id}?category=department&sort=unit").text
    total = services.task_list(task, county, category="department")["total"]
    assert total > services.PAGE_SIZE
    assert len(re.findall(r'<tr id="row-\d+"', text)) == services.PAGE_SIZE
    assert f"第 1–50 条，共 {total} 条" in text
    assert f'href="/board/tasks/{task.id}?page=2&amp;category=department&amp;sort=unit"' in text
    part = office_client.get(f"/board/tasks/{task.id}?page=2&category=department&sort=unit",
                             headers=dict(htmx, **{"HX-Target": "div#task-units"}))
    rows = re.findall(r'<tr id="row-\d+"', part.text)
    assert "<table" in part.text and 'id="task-detail"' not in part.text and len(rows) == min(50, total - 50)
    names = [n for n in re.findall(r'<a href="/units/\d+">([^<]+)</a>', part.text)]
    expected = [r["name"] for r in services.task_units(task, county, sort="unit", category="department")[50:100]]
    assert names == expected


def test_every_count_links_to_the_list_it_counts(county, office_client):
    add_units(county, 40)
    task = task_named(REPORT)
    text = office_client.get(f"/board/tasks/{task.id}?key=0").text
    counts = dict(re.findall(r'href="/board/tasks/\d+\?key=0&amp;status=(\w+)"[^>]*>[^<\d]*(\d+)</a>', text))
    assert set(counts) == {"pending", "submitted", "confirmed", "returned", "overdue"}
    for status, count in counts.items():
        listed = office_client.get(f"/board/tasks/{task.id}?key=0&status={status}").text
        shown = re.search(r"共 (\d+) 条", listed)
        assert int(shown.group(1) if shown else len(re.findall(r'<tr id="row-', listed))) == int(count), status
    board = office_client.get("/board?key=0").text
    card = board[board.index(f'id="task-{task.id}"'):]
    card = card[:card.index("</article>")]
    for status, label in (("handed", "已提交 <strong>"), ("confirmed", "已确认 "), ("returned", "已退回 ")):
        link = re.search(rf'href="(/board/tasks/{task.id}\?status={status}&amp;key=0)">{label}(\d+)', card)
        listed = office_client.get(link.group(1).replace("&amp;", "&")).text
        assert f"共 {link.group(2)} 条" in listed or len(re.findall(r'<tr id="row-', listed)) == int(link.group(2))


def test_a_link_to_one_unit_opens_the_page_that_holds_it(county, office_client):
    add_units(county, 60)
    task = task_named(REPORT)
    rows = services.task_units(task, county)
    target = rows[80]
    text = office_client.get(f"/board/tasks/{task.id}?unit={target['unit_id']}").text
    assert "第 51–100 条" in text
    assert re.search(rf'<tr id="row-{target["unit_id"]}" class="[^"]*row-focus', text)


def test_a_write_shows_on_the_next_view(county, office_client, client_for):
    task = task_named(REPORT)
    justice = unit_named("县司法局")
    row = f'<a href="/units/{justice.id}">县司法局</a>'
    list_url = f"/board/tasks/{task.id}?status=submitted"
    before_list, before_board = office_client.get(list_url).text, office_client.get("/board").text
    assert row not in before_list
    services.submit(task, justice, user("office"), "总结已盖章", [("总结.pdf", PDF)])
    after = office_client.get(list_url).text
    assert row in after and "总结已盖章" in after and "总结.pdf" in after
    assert office_client.get("/board").text != before_board
    sub = services.submission_for(task, justice)
    office_client.post(f"/board/submissions/{sub.id}/return", data={"reason": "缺少盖章页"})
    returned = office_client.get(f"/board/tasks/{task.id}?status=returned").text
    assert row in returned and "退回原因：缺少盖章页" in returned
    assert row not in office_client.get(list_url).text
    assert "缺少盖章页" not in client_for("unit2").get(f"/board/tasks/{task.id}").text


def test_no_one_gets_another_roles_or_units_kept_html(county, office_client, client_for):
    task = task_named(REPORT)
    url = f"/board/tasks/{task.id}"
    office = office_client.get(url).text
    assert "确认勾选的材料" in office and "县公安局" in office
    leader = client_for("leader").get(url).text
    leader = leader[leader.index('id="task-detail"'):]
    assert "确认勾选的材料" not in leader and 'name="csrf_token"' not in leader and "县公安局" in leader
    assert "标记完成" not in client_for("leader").get("/board").text
    police_page = client_for("unit").get(url).text
    education_page = client_for("unit2").get(url).text
    assert "县公安局 · 第四阶段" in police_page and "县教育局" not in police_page
    assert "县教育局 · 第四阶段" in education_page and "县公安局" not in education_page
    assert "逾期单位名单" not in police_page + education_page
    for username in ("unit", "unit2"):
        board = client_for(username).get("/board").text
        assert "评议任务" in board and "统计范围" not in board


def test_the_kept_list_carries_the_sessions_own_csrf_token(county, office_client):
    task = task_named(REPORT)
    url = f"/board/tasks/{task.id}?status=submitted"
    for _ in range(2):  # worked out, then served from the kept copy
        text = office_client.get(url).text
        head, detail = text.split('id="task-detail"')
        own = set(re.findall(r'name="csrf_token" value="([^"]+)"', head))  # the sign-out form's
        assert len(own) == 1 and set(re.findall(r'name="csrf_token" value="([^"]+)"', detail)) == own
        assert "@@csrf-" not in text
