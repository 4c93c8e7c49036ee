"""The office lands on the overview, follows 待确认 from the dashboard, confirms three materials at once, chases
县教育局 and downloads its 催办通知; the leader opens the overview (its home), prints it on A4 landscape pages of
40 units and switches to 2025; the lagging unit's pages fit a phone."""
import io
import math
import re
import subprocess

from docx import Document
from playwright.sync_api import expect

from tests.browser.conftest import sign_in


def test_office_works_its_queue_and_chases_a_unit(live_server, page, tmp_path):
    sign_in(page, live_server, "office", land=None)
    expect(page).to_have_url(re.compile(r"/overview$"))  # the office's home
    expect(page.locator("nav.mainnav a.active")).to_have_text("首页")
    page.click("nav.mainnav >> text=工作台")
    link = page.locator(".todo-list a", has_text="待确认的任务材料")
    count = int(link.locator("xpath=..").locator(".badge").inner_text())
    link.click()
    expect(page).to_have_url(re.compile(r"/todo\?q=materials$"))
    rows = page.locator(".queue-table tbody tr")
    expect(rows).to_have_count(min(count, 50))  # 50 rows a page
    if count > 50:
        expect(page.locator(".queue-range")).to_have_text(f"第 1–50 条，共 {count} 条")
    boxes = page.locator("input[name=submission]")
    for i in range(3):
        boxes.nth(i).check()
    page.click("text=确认勾选的材料")
    expect(page.locator(".flash-ok")).to_contain_text("已确认 3 份材料")
    expect(page.locator(".queue-table tbody tr")).to_have_count(min(count - 3, 50))
    expect(page.locator('[data-queue-count="materials"]')).to_have_text(str(count - 3))
    page.screenshot(path=str(tmp_path / "todo-materials.png"), full_page=True)

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
    assert re.match(r"县教育局_催办通知_2026_\d+号\.docx$", download.value.suggested_filename)
    text = "\n".join(p.text for p in Document(io.BytesIO(path.read_bytes())).paragraphs)
    assert "关于督促县教育局限期完成政风行风评议有关工作的函" in text.replace("\n", "")
    page.reload()
    expect(page.locator("text=已发催办通知")).to_be_visible()
    page.screenshot(path=str(tmp_path / "reminders.png"), full_page=True)
    page.goto(live_server + "/documents")
    expect(page.locator("tr", has_text="催办通知").filter(has_text="县教育局")).to_have_count(1)  # registered once
    assert page.console_errors == []


def test_leader_opens_the_overview_prints_it_and_switches_to_2025(live_server, page, tmp_path):
    sign_in(page, live_server, "leader", land=None)
    expect(page).to_have_url(re.compile(r"/overview$"))  # the leader's home
    expect(page.locator("h1")).to_contain_text("2026 年度评议 · 全县概览")
    expect(page.locator(".county-row")).to_contain_text("全县合计")
    page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
    units = page.locator(".overview-table tbody tr[data-unit]").count()
    page.emulate_media(media="print")
    pdf = tmp_path / "overview.pdf"
    page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert width > height and abs(width - 842) < 3  # A4 landscape
    assert pages <= math.ceil(units / 40), (units, pages)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "overview-print")],
                   check=True)
    page.emulate_media(media="screen")
    page.select_option(".year-switch select", "2025")
    expect(page).to_have_url(re.compile(r"/years/2025$"))
    expect(page.locator(".year-banner")).to_contain_text("您正在查看 2025 年度")
    page.click("nav.mainnav >> text=首页")
    expect(page.locator("h1")).to_contain_text("2025 年度评议 · 全县概览")
    page.click(".year-banner >> text=回到 2026 年度")
    expect(page.locator(".year-banner")).to_have_count(0)
    assert page.console_errors == []


def test_the_lagging_unit_reads_its_reminders_on_a_phone(live_server, browser, tmp_path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    phone = context.new_page()
    sign_in(phone, live_server, "unit2")
    for name, url in (("todo", "/todo"), ("rectifications", "/rectifications")):
        phone.goto(live_server + url)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, url
        phone.screenshot(path=str(tmp_path / f"unit2-{name}.png"), full_page=True)
    phone.goto(live_server + "/units")  # a unit's 评议单位 is its own page
    expect(phone.locator("h1")).to_contain_text("县教育局")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=str(tmp_path / "unit2-page.png"), full_page=True)
    context.close()
