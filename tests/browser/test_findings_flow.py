"""A supervisor records an unannounced visit on a phone; the office reviews; the matrix and the unit see the result."""
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

FIRST = "窗口工作人员收受办事群众赠送的香烟"
SECOND = "办事群众排队时无人引导"


def test_supervisor_records_on_a_phone_and_office_reviews(live_server, browser, tmp_path):
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    sign_in(phone, live_server, "supervisor")
    phone.goto(live_server + "/findings/new")
    phone.select_option("#unit_id", label="县公安局")
    phone.select_option("#method", label="明察暗访")
    phone.fill("#place", "户籍办事大厅")
    phone.select_option("#findings-0-dimension_id", label="清正廉洁")
    phone.fill("#findings-0-description", FIRST)
    phone.select_option("#findings-0-severity", label="较重")
    phone.click("#add-finding")
    expect(phone.locator("legend", has_text="问题 2")).to_be_visible()
    phone.select_option("#findings-1-dimension_id", label="清正廉洁")
    phone.fill("#findings-1-description", SECOND)
    phone.screenshot(path=str(tmp_path / "entry-phone.png"), full_page=True)
    phone.click("#submit")
    expect(phone.locator(".flash-ok")).to_contain_text("已提交县公安局的检查记录")
    expect(phone.locator("h1")).to_contain_text("县公安局 · 明察暗访")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    inspection_url = phone.url.split("?")[0]

    office = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    sign_in(office, live_server, "office")
    office.goto(inspection_url)
    first = office.locator("tr", has_text=FIRST)
    first.locator("button", has_text="确认").click()
    expect(office.locator("tr", has_text=FIRST).locator(".tag", has_text="已确认")).to_be_visible()
    second = office.locator("tr", has_text=SECOND)
    second.locator("summary", has_text="不予采纳").click()
    second.locator("textarea[name=reason]").fill("经核实当日有专人引导")
    second.locator("button", has_text="确定").click()
    expect(office.locator("tr", has_text=SECOND).locator(".tag", has_text="不予采纳")).to_be_visible()

    office.goto(live_server + "/findings/matrix")
    row = office.locator("tr", has_text="县公安局")
    dims = office.locator("thead th").all_inner_texts()
    cell = row.locator("td").nth(dims.index("清正廉洁"))
    expect(cell).to_have_text("1")
    office.screenshot(path=str(tmp_path / "matrix.png"), full_page=True)

    liaison = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    sign_in(liaison, live_server, "unit")
    liaison.goto(live_server + "/findings")
    expect(liaison.locator("#finding-list")).to_contain_text(FIRST)
    expect(liaison.locator("#finding-list")).not_to_contain_text(SECOND)
    expect(liaison.locator("#finding-list")).not_to_contain_text("赵淑芬")
    for page in (phone, office, liaison):
        page.context.close()
