"""The office loads a ready scheme, edits one weight, sees the worked example change, saves it; a direct score
component's page takes values; a unit reads its explanation component by component on a phone."""
import os

from playwright.sync_api import expect

from tests.browser.conftest import sign_in

SHOTS = os.environ.get("PINGYI_SHOTS")  # a folder to keep screenshots in, when looking at the pages


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def test_ready_scheme_loaded_edited_and_saved(live_server, page):
    sign_in(page, live_server, "office")
    page.goto(live_server + "/results/settings")
    _shot(page, "settings.png")
    example = page.locator("#example")
    expect(example).to_contain_text("综合得分")
    before = example.inner_text()
    page.select_option("#scheme", "multi")
    page.click("#scheme-loader button")
    expect(page.locator("#scheme-loaded")).to_contain_text("尚未保存")
    loaded = example.inner_text()
    assert loaded != before  # the worked example follows the loaded scheme
    page.fill("#comp-0-weight", "70")
    page.dispatch_event("#comp-0-weight", "change")
    expect(example).to_contain_text("各评分项的权重之和应为 100，现为 110")
    page.fill("#comp-1-weight", "10")
    page.dispatch_event("#comp-1-weight", "change")
    expect(example).not_to_contain_text("需要改正")
    expect(example).not_to_have_text(loaded)
    _shot(page, "settings-loaded.png")
    page.click("#settings-form button[type=submit].primary")
    expect(page.locator(".flash-ok")).to_contain_text("综合评定办法已保存")
    expect(page.locator("#comp-0-weight")).to_have_value("70")
    assert not page.console_errors


def test_unit_reads_its_components_on_a_phone(live_server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, live_server, "unit")
    page.goto(live_server + "/results")
    page.locator("table.results-table a", has_text="县公安局").first.click()
    expect(page.locator("body")).to_contain_text("满意度")
    _shot(page, "unit-phone.png")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    context.close()
