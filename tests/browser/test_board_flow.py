"""A liaison submits its self-check report, the office returns it, the liaison resubmits, the office confirms."""
import re

from playwright.sync_api import expect

from tests.browser.conftest import sign_in

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
TASK = "书面报告自查自评情况"


def card_counts(page):
    card = page.locator(".task-card", has_text=TASK)
    text = card.locator(".counts").inner_text()
    submitted = int(re.search(r"已提交 (\d+)/", text).group(1))
    returned = re.search(r"已退回 (\d+)", text)
    return submitted, int(returned.group(1)) if returned else 0


def test_report_is_submitted_returned_resubmitted_and_confirmed(live_server, browser, tmp_path):
    report = tmp_path / "县教育局自查自评情况报告.pdf"
    report.write_bytes(PDF)
    office = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    liaison = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    sign_in(office, live_server, "office")
    office.goto(live_server + "/board")
    before = card_counts(office)

    sign_in(liaison, live_server, "unit2")
    liaison.goto(live_server + "/board")
    liaison.click(f"text={TASK}")
    expect(liaison.locator("dd.warn-text")).to_contain_text("报告内容与本单位实际不符")
    liaison.fill("#note", "已按要求补充问题清单")
    liaison.set_input_files("#files", str(report))
    liaison.click("#submit")
    expect(liaison.locator(".flash-ok")).to_contain_text(f"已提交“{TASK}”")
    expect(liaison.locator(".tag.status-submitted")).to_have_text("已提交")

    office.reload()
    assert card_counts(office) == (before[0] + 1, before[1] - 1)
    office.screenshot(path=str(tmp_path / "board.png"), full_page=True)
    office.click(f".task-card:has-text('{TASK}') .task-title")
    panel = office.locator("#task-detail")
    expect(panel).to_be_visible()
    assert re.search(r"/board/tasks/\d+", office.url)  # the panel has its own address
    row = panel.locator("tr", has_text="县教育局")
    row.locator("summary", has_text="退回").click()
    row.locator("textarea[name=reason]").fill("缺少单位盖章，请盖章后重新上传")
    row.locator("button", has_text="退回").click()
    expect(office.locator(".flash-ok")).to_contain_text("已退回县教育局的材料")
    expect(office.locator("#task-detail tr", has_text="县教育局").locator(".tag.status-returned")).to_be_visible()
    office.screenshot(path=str(tmp_path / "task-panel.png"), full_page=True)

    liaison.reload()
    expect(liaison.locator("dd.warn-text")).to_contain_text("缺少单位盖章")
    liaison.set_input_files("#files", str(report))
    liaison.click("#submit")
    expect(liaison.locator(".tag.status-submitted")).to_have_text("已提交")

    office.reload()
    row = office.locator("#task-detail tr", has_text="县教育局")
    row.locator("button", has_text="确认").click()
    expect(office.locator("#task-detail tr", has_text="县教育局").locator(".tag.status-confirmed")).to_have_text("已确认")
    liaison.reload()
    expect(liaison.locator(".tag.status-confirmed")).to_have_text("已确认")
    expect(liaison.locator("text=纠风办已确认，无需再提交。")).to_be_visible()
    liaison.screenshot(path=str(tmp_path / "liaison-confirmed.png"), full_page=True)
    office.context.close()
    liaison.context.close()
