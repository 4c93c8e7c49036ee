"""The office signs in, adds a unit through the form, filters the list and sees htmx update it."""
from playwright.sync_api import expect

from tests.browser.conftest import sign_in


def test_office_adds_a_unit_and_filters_the_list(live_server, page, tmp_path):
    sign_in(page, live_server, "office")
    expect(page.locator("h1")).to_have_text("2026年度政风行风评议")
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

    page.click("text=评议单位")
    page.click("text=新增单位")
    page.fill("#name", "县档案局")
    page.click("#submit")  # no category yet: the form answers in Chinese and keeps the name
    expect(page.locator(".error")).to_have_text("请选择类别")
    expect(page.locator("#name")).to_have_value("县档案局")
    page.select_option("#category", "department")
    page.fill("#contact_name", "王芳")
    page.click("#submit")
    expect(page.locator("h1")).to_contain_text("县档案局")
    expect(page.locator(".flash-ok")).to_contain_text("已新增单位")

    page.goto(live_server + "/units")
    rows = page.locator("#unit-list tbody tr")
    expect(rows).to_have_count(20)
    page.fill("input[name=q]", "档案")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("县档案局")
    assert "q=%E6%A1%A3%E6%A1%88" in page.url  # the filtered list has its own address
    page.screenshot(path=str(tmp_path / "units-filtered.png"), full_page=True)
    assert page.console_errors == []


def test_key_flag_and_group_save_in_place(live_server, page):
    sign_in(page, live_server, "office")
    page.goto(live_server + "/units?q=县财政局")
    row = page.locator("#unit-list tbody tr").first
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.accept()))  # moving groups asks first
    row.locator("select").select_option(label="第三评议组")
    expect(row.locator(".ok-text")).to_have_text("已保存")
    assert "改到“第三评议组”" in asked[0]
    page.goto(live_server + "/units?q=县财政局")
    expect(page.locator("#unit-list tbody tr").first.locator("select")).to_have_value(
        page.locator("#unit-list tbody tr").first.locator("option", has_text="第三评议组").get_attribute("value"))
    assert page.console_errors == []


def test_unit_liaison_on_a_phone(live_server, browser, tmp_path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, live_server, "unit")
    expect(page.locator("h1")).to_contain_text("县公安局")
    page.screenshot(path=str(tmp_path / "unit-phone.png"), full_page=True)
    page.click("text=菜单")  # the navigation folds away on a phone
    page.click("text=本单位")
    expect(page.locator("h1")).to_have_text("县公安局")
    other = page.goto(live_server + "/units/1")  # 县发展和改革局, not this liaison's unit
    assert other.status == 404
    expect(page.locator("h1")).to_contain_text("页面不存在")
    context.close()
