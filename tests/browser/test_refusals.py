"""Issue 14, items 5 and 11 on a phone: a button that cannot work is disabled with its reason beside it, and a
letter the unit must return has its 下载 Word button where the unit reads it."""
import re

from playwright.sync_api import expect

from tests.browser.test_first_use import PHONE, _page


def _unit_id(browser, live_server, name):
    office = _page(browser, "office", live_server)
    office.goto(live_server + "/units")
    href = office.locator("a", has_text=name).first.get_attribute("href")
    office.context.close()
    return int(re.search(r"/units/(\d+)", href).group(1))


def test_refused_documents_are_disabled_with_the_reason_beside_them(live_server, browser):
    unit_id = _unit_id(browser, live_server, "县教育局")  # lags: no 整改计划 items, nothing issued to it
    page = _page(browser, "unit2", live_server, **PHONE)
    page.goto(f"{live_server}/units/{unit_id}")
    for label, reason in (("整改承诺书", "还没有“整改计划并承诺”的问题"), ("整改通知书", "纠风办尚未向你单位下发整改通知书")):
        refused = page.locator("#documents .refused", has=page.locator("button", has_text=label))
        button = refused.locator("button")
        expect(button).to_be_disabled()
        expect(refused.locator(".refusal")).to_contain_text(reason)
        refused.scroll_into_view_if_needed()
        b, r = button.bounding_box(), refused.locator(".refusal").bounding_box()
        assert r["x"] >= 0 and r["x"] + r["width"] <= 390  # the reason is on the screen, next to the button
        assert abs((r["y"] + r["height"] / 2) - (b["y"] + b["height"] / 2)) < 80
        assert page.url.endswith(f"/units/{unit_id}")  # nothing jumps elsewhere
    # a document that can be had stays a link
    expect(page.locator("#documents a.button", has_text="评议工作通知")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto(f"{live_server}/units/{unit_id}/commitment")
    expect(page.locator(".page-head button[disabled]", has_text="下载 Word")).to_be_visible()
    page.context.close()


def test_the_liaison_downloads_the_letter_where_it_reads_it(live_server, browser):
    unit_id = _unit_id(browser, live_server, "县公安局")
    page = _page(browser, "unit", live_server, **PHONE)
    page.goto(f"{live_server}/units/{unit_id}/commitment")
    expect(page.locator("article.official")).to_contain_text("四、承担责任。")
    with page.expect_download() as download:
        page.click("text=下载 Word（打印盖章用）")
    assert download.value.suggested_filename.endswith(".docx")
    page.goto(f"{live_server}/feedback")
    page.locator("a", has_text=re.compile(r"〔2026〕\d+号")).first.click()
    page.click("text=预览通知书")
    expect(page.locator("article.official").first).to_contain_text("现将评议意见反馈如下")
    with page.expect_download() as download:
        page.click("a:has-text('下载 Word')")
    assert download.value.suggested_filename.endswith(".docx")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.context.close()
