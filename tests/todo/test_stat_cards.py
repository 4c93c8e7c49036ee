"""Every stat card is a link to the list it counts, and that list has as many rows as the card says."""
import re
from html import unescape

import pytest

from pingyi.todo import services as todo
from tests.conftest import user

CARD = re.compile(r'<a class="stat[^"]*"[^>]*?href="([^"]+)"[^>]*><span class="num">(\d+)</span><span>([^<]*)<')


def cards(text):
    """[(href, count, label)] of the page's stat cards; a card that is not a link fails the test."""
    stats = text.split('class="stats"', 1)[1].split("</div>", 1)[0] if 'class="stats"' in text else ""
    found = [(unescape(href), int(n), label) for href, n, label in CARD.findall(stats)]
    assert stats.count('class="stat') == len(found), "a stat card without a link"
    return found


def table_rows(text, marker):
    """Rows of the first table after `marker`, the "nothing found" row left out."""
    body = text.split(marker, 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return len(re.findall(r"<tr[ >]", body)) - body.count('colspan=')


def element(text, anchor):
    return text.split(f'id="{anchor}"', 1)[1]


@pytest.mark.parametrize("username", ["office", "unit", "unit2", "supervisor"])
def test_rectification_cards_open_lists_of_their_size(county, client_for, username):
    client = client_for(username)
    for query in ("", "?status=answered", "?kind=plan"):  # also with a filter already chosen
        found = cards(client.get(f"/rectifications{query}").text)
        assert [label for _, _, label in found][:1] == ["整改事项"] and len(found) >= 7
        for href, count, label in found:
            listed = client.get(href, follow_redirects=True).text
            assert table_rows(listed, 'id="rect-list"') == count, (query, label, href)


def test_unanswered_problems_link_to_their_queue(county, client_for, app):
    with app.test_request_context():  # the queue rows carry links
        rows = {name: todo.queue_rows(county, user(name), queue) for name, queue in (("office", "unanswered"),
                                                                                   ("unit2", "answer"))}
    for username, queue in (("office", "unanswered"), ("unit2", "answer")):
        page = client_for(username).get("/rectifications").text
        match = re.search(r'href="(/todo\?q=\w+)" data-count="unanswered">(\d+) 个反馈问题尚未答复', page)
        if not rows[username]:
            assert "个反馈问题尚未答复" not in page
            continue
        assert match and match.group(1) == f"/todo?q={queue}" and int(match.group(2)) == len(rows[username])
    assert "个反馈问题尚未答复" not in client_for("leader").get("/rectifications").text  # no list of them to open


@pytest.mark.parametrize("username", ["office", "supervisor"])
def test_feedback_cards_open_lists_of_their_size(county, client_for, username):
    client = client_for(username)
    found = cards(client.get("/feedback").text) + cards(client.get("/feedback?round=june").text)
    assert {label for _, _, label in found} >= {"已发送", "已签收", "超期未签收", "草稿", "有待反馈问题的单位"}
    assert any(count for _, count, label in found if label == "已发送")
    for href, count, label in found:
        assert table_rows(client.get(href).text, 'id="feedback-overview"') == count, (label, href)


def test_county_dashboard_cards_open_lists_of_their_size(county, client_for):
    client = client_for("office")
    dashboard = client.get("/").text
    for href, count, label in cards(dashboard):
        if href.startswith("#"):
            part = element(dashboard, href[1:]).split("</section>", 1)[0]
            listed = part.count('class="row-overdue"') or part.count("<li>")
        else:
            page = client.get(href).text
            total = re.search(r"共 (\d+) 条", page)
            listed = int(total.group(1)) if total else len(re.findall(r'<tr id="unit-\d+"', page))
        assert listed == count, label


@pytest.mark.parametrize("username", ["evaluator", "supervisor"])
def test_evaluator_and_supervisor_cards_point_at_their_lists(county, client_for, username):
    page = client_for(username).get("/").text
    found = cards(page)
    assert found and all(href.startswith("#") for href, _, _ in found)
    for href, count, label in found:
        part = element(page, href[1:])
        if href == "#my-groups":
            listed = part.split('id="my-units"', 1)[0].count('<section class="card">')
        elif href == "#my-units":
            listed = table_rows(page, 'id="my-units"')
        else:
            listed = part.split("</p>", 1)[0].count("<a ")
        assert listed == count, label


def test_reminders_heading_counts_the_units_listed(county, client_for):
    page = client_for("office").get("/reminders").text
    count = int(re.search(r"逾期未办事项（(\d+) 个单位）", page).group(1))
    assert count == page.count('class="card reminder-unit"') > 0


def test_results_unit_card_counts_the_rows_of_the_results_tables(county, client_for):
    page = client_for("office").get("/results").text
    match = re.search(r'<a class="stat" href="#results-tables" data-count="units"><span class="num">(\d+)</span>', page)
    tables = element(page, "results-tables").split('class="card">', 1)[0]
    rows = sum(len(re.findall(r"<tr[ >]", body.split("</tbody>", 1)[0])) for body in tables.split("<tbody>")[1:])
    assert match and int(match.group(1)) == rows > 0


def test_matrix_totals_open_the_units_confirmed_problems(county, client_for):
    office = client_for("office")
    page = office.get("/findings/matrix").text
    links = re.findall(r'<td class="cell total"><a href="([^"]+)">(\d+)</a>', page)
    assert links
    for href, count in links[:3]:
        listed = office.get(unescape(href)).text
        total = re.search(r"共 (\d+) 条", listed)
        body = listed.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        rows = int(total.group(1)) if total else len(re.findall(r"<tr[ >]", body)) - body.count("colspan=")
        assert rows == int(count), href
