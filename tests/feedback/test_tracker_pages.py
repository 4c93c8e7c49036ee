"""The rectification tracker lists a page of rows at a time: every card's count is the rows of its list across
the pages, and the page links keep the filters."""
import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit

from pingyi.rectifications import services
from tests.todo.test_stat_cards import cards


def _rows(text):
    body = text.split('id="rect-list"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'href="/rectifications/(\d+)"', body)


def _walk(client, href):
    """The rectification ids listed on every page from `href` on, following 下一页, and the pages' texts."""
    ids, texts, url = [], [], href
    while url:
        text = client.get(url).text
        ids += _rows(text)
        texts.append(text)
        following = re.search(r'<a href="([^"]+)"[^>]*>下一页</a>', text)
        url = unescape(following.group(1)) if following else None
        if url:
            assert set(parse_qsl(urlsplit(href).query)) <= set(parse_qsl(urlsplit(url).query)), (href, url)
    return ids, texts


def test_each_card_counts_the_rows_of_its_list_across_pages(county, client_for, monkeypatch):
    monkeypatch.setattr(services, "PAGE_SIZE", 3)
    client = client_for("office")
    paged = 0
    for query in ("", "?kind=plan", "?status=answered&kind=fix"):
        for href, count, label in cards(client.get(f"/rectifications{query}").text):
            ids, texts = _walk(client, href)
            assert len(ids) == count and len(set(ids)) == count, (query, label, href)
            if count > 3:
                paged += 1
                assert f"第 1–3 条，共 {count} 条" in texts[0] and f"共 {count} 条" in texts[-1]
                assert len(texts) == -(-count // 3)
    assert paged >= 3  # the demo county has lists long enough to page


def test_a_page_beyond_the_last_offers_the_last(county, client_for, monkeypatch):
    monkeypatch.setattr(services, "PAGE_SIZE", 3)
    client = client_for("office")
    total = cards(client.get("/rectifications?kind=plan").text)[0][1]
    last = -(-total // 3)
    text = client.get("/rectifications?kind=plan&page=999").text
    assert _rows(text) == [] and f"没有第 999 页（共 {last} 页）" in text
    assert f"/rectifications?page={last}&amp;kind=plan" in text or f"/rectifications?kind=plan&amp;page={last}" in text
    assert client.get("/rectifications?page=abc").status_code == 200
