"""A first-time user's walk (issue 14), each defect class on the viewport where it was seen."""
import re

from playwright.sync_api import expect

from tests.browser.conftest import sign_in

PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "zh-CN", "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1366, "height": 768}, "locale": "zh-CN"}


def _page(browser, username, base, **context):
    page = browser.new_context(**(context or DESKTOP)).new_page()
    page.dialogs = []
    sign_in(page, base, username)
    return page


def test_a_sent_notice_offers_no_new_draft(live_server, browser):
    office = _page(browser, "office", live_server)
    office.goto(live_server + "/feedback?round=june")
    row = office.locator("tr", has_text="县公安局")
    expect(row.locator("a", has_text=re.compile(r"〔2026〕\d+号"))).to_be_visible()
    # other browser tests on this server may confirm new findings for it: then only 起草补充反馈 is offered
    expect(row.locator("button", has_text=re.compile(r"^\s*起草反馈\s*$"))).to_have_count(0)
    office.context.close()


def test_back_then_submit_files_one_inspection(live_server, browser):
    page = _page(browser, "supervisor", live_server, **PHONE)
    page.goto(live_server + "/findings/new")
    expect(page.locator("select[name='findings-0-source']")).to_have_value("unannounced")  # as 明察暗访
    page.select_option("#unit_id", label="县公安局")
    page.fill("#summary", "暗访办事大厅，一次性核对重复提交")
    dimension = page.locator("select[name='findings-0-dimension_id']")
    dimension.select_option(index=1)
    chosen = dimension.locator("option:checked").inner_text()
    visible = page.locator("select[name='findings-0-item_id'] option:not([hidden])").all_inner_texts()
    assert len(visible) > 1 and all(t.startswith(chosen + "：") for t in visible[1:])  # 检查项 narrowed
    page.fill("textarea[name='findings-0-description']", "窗口工作人员玩手机，群众等候时间长")
    token = page.locator("input[name=once_token]").input_value()
    page.click("#submit")
    page.wait_for_url(re.compile(r"/findings/inspections/\d+"))
    first = page.url.split("?")[0]
    page.go_back()
    page.wait_for_load_state()
    # A phone restores the filled form from its cache, token included; headless Chromium fetches it again,
    # so put back the token the restored page would carry, then press 提交 a second time.
    page.evaluate("t => document.querySelector('input[name=once_token]').value = t", token)
    page.select_option("#unit_id", label="县公安局")
    page.locator("select[name='findings-0-dimension_id']").select_option(index=1)
    page.fill("textarea[name='findings-0-description']", "窗口工作人员玩手机，群众等候时间长")
    page.click("#submit")
    page.wait_for_load_state()
    assert page.url.split("?")[0] == first
    expect(page.locator(".flash").first).to_contain_text("已经提交过")
    page.context.close()


def test_unit_home_starts_with_its_to_dos(live_server, browser):
    page = _page(browser, "unit2", live_server, **PHONE)
    first_card = page.locator("main section.card").first
    expect(first_card.locator("h2")).to_have_text(re.compile("待办"))
    home = page.locator("main").inner_text()
    overdue_home = len(re.findall(r"已逾期：", home))
    page.goto(live_server + "/board")
    banner = page.locator(".flash-error", has_text="已逾期")
    expect(banner).to_contain_text(f"有 {overdue_home} 项任务已逾期")
    # phone cards: the status cell is labelled and inside the screen
    cell = page.locator("table.cards td[data-label]").nth(1)
    box = cell.bounding_box()
    assert box and box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.context.close()


def test_a_return_gives_a_deadline_shown_to_the_unit(live_server, browser):
    page = _page(browser, "unit2", live_server, **PHONE)
    page.goto(live_server + "/board")
    page.click("text=书面报告自查自评情况")
    expect(page.locator(".card").first).to_contain_text("补交期限")
    expect(page.locator("h2", has_text="退回记录")).to_be_visible()
    page.context.close()


def test_unsaved_text_is_not_lost_on_a_draft_notice(live_server, browser):
    office = _page(browser, "office", live_server)
    office.goto(live_server + "/feedback?round=june")
    office.locator("tr", has_text="县公安局").locator("a", has_text="号").first.click()
    if office.locator("button", has_text="发更正版").count():
        office.click("button:has-text('发更正版')")
    expect(office.locator("button", has_text="删除草稿")).to_be_visible()
    messages = []
    office.on("dialog", lambda d: (messages.append((d.type, d.message)), d.dismiss()))
    office.fill("textarea[name=overall]", "总体评价：改了还没保存")
    expect(office.locator(".char-count").first).to_be_visible()
    office.click("button:has-text('发送')")
    assert messages and messages[0][0] == "alert" and "未保存" in messages[0][1]  # before any 确定发送
    office.locator("a", has_text="评议意见反馈").first.click()
    office.wait_for_timeout(500)
    assert any(kind == "beforeunload" for kind, _ in messages)
    assert "/feedback/" in office.url  # still on the notice, text kept
    office.context.close()


def test_raw_text_reads_as_chinese(live_server, browser):
    leader = _page(browser, "leader", live_server, **PHONE)
    expect(leader.locator(".userbox")).not_to_contain_text("（只读）")
    leader.goto(live_server + "/findings?page=999")
    expect(leader.locator("main")).to_contain_text("没有第 999 页")
    expect(leader.locator("main")).not_to_contain_text("第 999 /")
    leader.context.close()


def test_moving_a_unit_to_another_group_asks_first(live_server, browser):
    office = _page(browser, "office", live_server)
    office.goto(live_server + "/units")
    row = office.locator("tr", has_text="县司法局")
    select = row.locator("select")
    before = select.input_value()
    messages = []
    office.on("dialog", lambda d: (messages.append(d.message), d.dismiss()))
    options = select.locator("option").all()
    other = next(o.get_attribute("value") for o in options if o.get_attribute("value") not in (before, "0"))
    select.select_option(other)
    assert messages and "负责" in messages[0] and "确定修改" in messages[0]
    expect(select).to_have_value(before)  # cancelled: nothing changed
    office.reload()
    expect(office.locator("tr", has_text="县司法局").locator("select")).to_have_value(before)
    office.context.close()


def test_the_answer_appears_where_the_user_clicked(live_server, browser):
    office = _page(browser, "office", live_server, viewport={"width": 1366, "height": 768}, locale="zh-CN")
    office.goto(live_server + "/board")
    office.click(".task-card:has-text('书面承诺书报纠风办备案') .task-title")
    buttons = office.locator("#task-detail button", has_text="确认")
    expect(buttons.first).to_be_visible()
    last = buttons.nth(buttons.count() - 1)
    last.scroll_into_view_if_needed()
    last.click()
    message = office.locator(".flash-ok", has_text="已确认")
    expect(message).to_be_visible()
    assert message.evaluate("el => { const b = el.getBoundingClientRect(); return b.top >= 0 && b.bottom <= innerHeight; }")
    office.context.close()
