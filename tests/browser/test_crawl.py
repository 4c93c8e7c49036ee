"""Walk every link a signed-in user is shown, as each role: none leads to a page that answers 403 or 404.
On a 390 px phone, no page a unit or a supervisor uses scrolls sideways or trips the CSP."""
import re
from collections import defaultdict, deque
from html import unescape
from urllib.parse import urljoin, urlsplit

import pytest

from tests.browser.conftest import sign_in

ROLES = ("office", "evaluator", "supervisor", "leader", "unit", "unit2")
PER_PATTERN = 5  # /units/3 and /units/4 are the same page: the links of a few of each kind are read
# /years/<year> switches the session to that year, after which the current year's links found earlier would
# rightly answer 404: the year pages are checked in tests/years, the crawl stays in the current year.
SKIP = ("/static/", "/logout", "/s/", "/years/")


@pytest.fixture(scope="session")
def live_server(crawl_server):
    """The crawls read from a server of their own (tests/browser/conftest.py crawl_server)."""
    return crawl_server


def _pattern(url):
    parts = urlsplit(url)
    return re.sub(r"\d+", "N", parts.path) + ("?" + "&".join(sorted(
        k.split("=")[0] for k in parts.query.split("&"))) if parts.query else "")


def crawl(context, base, limit=500):
    """GET every same-site link reachable from the home page, reading the links of a few pages of each kind;
    returns ({url: status}, {url: the page linking it})."""
    seen, found_on, statuses = {base + "/"}, {}, {}
    crawl.pages = []  # the HTML pages among them
    expanded = defaultdict(int)
    queue = deque([base + "/"])
    while queue and len(statuses) < limit:
        url = queue.popleft()
        response = context.request.get(url, max_redirects=5)
        statuses[url] = response.status
        if response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        crawl.pages.append(url)
        pattern = _pattern(url)
        expanded[pattern] += 1
        if expanded[pattern] > PER_PATTERN:
            continue  # its status is checked; its links are like those of the pages of its kind already read
        for href in re.findall(r'<a\b[^>]*\bhref="([^"#]+)', response.text()):
            target = urljoin(url, unescape(href))
            if not target.startswith(base) or any(s in target for s in SKIP) or target in seen:
                continue
            seen.add(target)
            found_on[target] = url
            queue.append(target)
    return statuses, found_on


@pytest.mark.parametrize("username", ROLES)
def test_no_link_leads_to_a_refused_or_missing_page(live_server, browser, username):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, live_server, username)
    statuses, found_on = crawl(context, live_server)
    context.close()
    dead = {url: (status, found_on.get(url)) for url, status in statuses.items() if status in (403, 404)}
    assert len(statuses) > 10
    assert not dead, f"{username}: " + "; ".join(f"{u} → {s} (linked from {f})" for u, (s, f) in dead.items())


@pytest.mark.parametrize("username", ("unit", "unit2", "supervisor"))
def test_no_page_scrolls_sideways_on_a_phone(live_server, browser, username):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    refused = []  # the CSP refusing anything (an inline style or script) shows as a console error
    page.on("console", lambda m: refused.append(f"{page.url}: {m.text}")
            if m.type == "error" and "Content Security Policy" in m.text else None)
    sign_in(page, live_server, username)
    crawl(context, live_server, limit=150)
    wide = {}
    for url in list(crawl.pages):
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            wide[url] = width
    context.close()
    assert not wide, f"{username}: pages wider than the phone: {wide}"
    assert not refused, refused
