"""The office follows 待确认 from the dashboard, confirms three materials at once, chases 县教育局 and downloads
its 催办通知; the leader opens the overview and switches to 2025."""
import re

from playwright.sync_api import expect

from tests.browser.conftest import sign_in


def test_office_works_its_queue_and_chases_a_unit(live_server, page, tmp_path):
    sign_in(page, live_server, "office")
    link = page.locator(".todo-list a", has_text="待确认的任务材料")
    count = int(link.locator("xpath=..").locator(".badge").inner_text())
    link.click()
    expect(page).to_have_url(re.compile(r"/todo\?q=materials$"))
    rows = page.locator(".queue-table tbody tr")
    expect(rows).to_have_count(count)
    boxes = page.locator("input[name=submission]")
    for i in range(3):
        boxes.nth(i).check()
    page.click("text=确认勾选的材料")
    expect(page.locator(".flash-ok")).to_contain_text("已确认 3 份材料")
    expect(page.locator(".queue-table tbody tr")).to_have_count(count - 3)
    expect(page.locator('[data-queue-count="materials"]')).to_have_text(str(count - 3))

    page.goto(live_server + "/reminders")
    section = page.locator("section.reminder-unit", has=page.locator("h2 a", has_text="县教育局"))
    expect(section).to_contain_text("吴婷")
    section.locator("select[name=method]").select_option("phone")
    section.locator("input[name=note]").fill("已电话提醒尽快签收反馈通知书")
    section.locator("text=登记已催办").click()
    expect(page.locator(".flash-ok")).to_contain_text("已登记对县教育局的催办")
    section = page.locator("section.reminder-unit", has=page.locator("h2 a", has_text="县教育局"))
    expect(section).to_contain_text("上次催办")
    with page.expect_download() as download:
        section.locator("text=生成催办通知（Word）").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert download.value.suggested_filename.startswith("县教育局_催办通知_")
    assert path.read_bytes()[:2] == b"PK"
    assert page.console_errors == []


def test_leader_opens_the_overview_and_switches_to_2025(live_server, page):
    sign_in(page, live_server, "leader")
    page.click("nav.mainnav >> text=全县概览")
    expect(page.locator("h1")).to_contain_text("2026 年度评议 · 全县概览")
    expect(page.locator(".county-row")).to_contain_text("全县合计")
    page.select_option(".year-switch select", "2025")
    expect(page).to_have_url(re.compile(r"/years/2025$"))
    expect(page.locator(".year-banner")).to_contain_text("您正在查看 2025 年度")
    page.click("nav.mainnav >> text=全县概览")
    expect(page.locator("h1")).to_contain_text("2025 年度评议 · 全县概览")
    page.click(".year-banner >> text=回到 2026 年度")
    expect(page.locator(".year-banner")).to_have_count(0)
    assert page.console_errors == []
