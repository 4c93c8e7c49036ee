"""The feedback overview lists its units a page at a time: each card's count is the units of its list across
the pages, and the page links keep the round, group and card."""
import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit

from pingyi.feedback import views
from tests.todo.test_stat_cards import cards


def _units(text):
    body = text.split('id="feedback-overview"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<td data-label="单位">([^<]+)</td>', body)


def test_each_card_counts_the_units_of_its_list_across_pages(county, client_for, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 4)
    client = client_for("office")
    paged = 0
    for query in ("?round=june", "?round=november"):
        for href, count, label in cards(client.get(f"/feedback{query}").text):
            names, url, first = [], href, None
            while url:
                text = client.get(url).text
                first = first or text
                names += _units(text)
                following = re.search(r'<a href="([^"]+)"[^>]*>下一页</a>', text)
                url = unescape(following.group(1)) if following else None
                if url:
                    assert set(parse_qsl(urlsplit(href).query)) <= set(parse_qsl(urlsplit(url).query)), (href, url)
            assert len(names) == count and len(set(names)) == count, (query, label, href)
            if count > 4:
                paged += 1
                assert f"第 1–4 条，共 {count} 条" in first
    assert paged >= 2
