"""The loop with two units: the office sends feedback to both; 县公安局 signs and answers one item of each
kind and reports one done; 县教育局 does nothing and is flagged; the office verifies; the tracker adds up."""
import re

from playwright.sync_api import expect

from tests.browser.conftest import sign_in

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PROBLEMS = ("窗口午间无人值守", "办事指南未在网站公开", "户籍证明开具需多次往返")


def new_page(browser, width=1366):
    page = browser.new_context(viewport={"width": width, "height": 800}, locale="zh-CN").new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the confirm() before sending and signing
    return page


def send_notice(office, base, unit, problems):
    office.goto(base + "/feedback?round=november")
    office.locator("tr", has_text=unit).locator("button", has_text="起草反馈").click()
    expect(office.locator("h1")).to_contain_text(f"{unit} · 11月集中评议反馈通知书")
    for textarea in office.locator("form[action*='/feedback/items/'] textarea[name$='-suggestion']").all():
        if not textarea.input_value():
            textarea.fill("按要求认真整改")
            textarea.locator("xpath=ancestor::form").locator("button[type=submit]").click()
    for problem in problems:
        office.locator("summary", has_text="新增一个问题").click()
        office.fill("#new-problem", problem)
        office.fill("#new-suggestion", f"针对“{problem}”制定措施，按期整改到位")
        office.locator("form[action$='/items'] button", has_text="新增").click()
        expect(office.locator(".flash-ok")).to_contain_text("已新增问题")
    office.locator("button", has_text="发送").click()
    expect(office.locator(".flash-ok")).to_contain_text("已发送")


def test_the_loop_with_two_units(live_server, browser, tmp_path):
    evidence = tmp_path / "窗口值班表.pdf"
    evidence.write_bytes(PDF)
    office = new_page(browser)
    sign_in(office, live_server, "office")
    send_notice(office, live_server, "县公安局", PROBLEMS)
    send_notice(office, live_server, "县教育局", ["学校收费公示不到位"])

    liaison = new_page(browser)
    sign_in(liaison, live_server, "unit")
    liaison.goto(live_server + "/feedback")
    liaison.locator("a", has_text="11月集中评议反馈通知书").first.click()
    liaison.locator("button", has_text="签收").click()
    expect(liaison.locator(".flash-ok")).to_contain_text("已签收")
    answers = {PROBLEMS[0]: ("fix", {}), PROBLEMS[1]: ("plan", {"#commitment": "年底前在门户网站公开全部办事指南"}),
               PROBLEMS[2]: ("policy", {})}
    for problem, (kind, extra) in answers.items():
        liaison.locator("article.feedback-item", has_text=problem).locator("a", has_text="答复整改").click()
        liaison.check(f"input[name=kind][value={kind}]")
        if kind == "policy":
            liaison.fill("#explanation", "办理时限由省厅统一规定，已向上级反映")
        else:
            liaison.fill("#measures", "安排专人轮流值班，制度上墙")
            liaison.fill("#owner", "户政大队 刘强")
            liaison.fill("#deadline", "2026-12-20")  # within the office's 整改时限
            for selector, text in extra.items():
                liaison.fill(selector, text)
        liaison.click("button:has-text('保存答复')")
        expect(liaison.locator(".flash-ok")).to_contain_text("已保存答复")
    fix_item = liaison.locator("article.feedback-item", has_text=PROBLEMS[0])
    fix_item.locator("a", has_text="整改详情").click()
    liaison.fill("#note", "已建立午间轮流值班制度并公示")
    liaison.set_input_files("#files", str(evidence))
    liaison.check("#completes")
    liaison.click("button:has-text('提交')")
    expect(liaison.locator(".flash-ok")).to_contain_text("已报告整改完成")
    liaison.screenshot(path=str(tmp_path / "rectification.png"), full_page=True)

    office.goto(live_server + "/feedback?round=november")
    education = office.locator("tr", has_text="县教育局")
    expect(education.locator(".tag", has_text="超期未签收")).to_be_visible()
    expect(office.locator("tr", has_text="县公安局").locator(".tag", has_text="已签收")).to_be_visible()
    office.goto(live_server + "/rectifications?status=completed")
    office.locator("a", has_text=PROBLEMS[0]).click()
    office.check("input[name=result][value=pass]")
    office.fill("#comment", "现场核实，值班表已公示")
    office.click("button:has-text('保存核实结论')")
    expect(office.locator(".flash-ok")).to_contain_text("已记录核实结论")
    expect(office.locator(".tag.rstatus-verified")).to_be_visible()

    office.goto(live_server + "/rectifications")
    stats = {label: int(num) for num, label in re.findall(
        r'<span class="num">(\d+)</span><span>([^<]+)</span>', office.content())}
    rows = office.locator("#rect-list tbody tr")
    assert stats["整改事项"] == rows.count()
    for label in ("整改中", "已完成待核实", "已整改到位", "未整改到位", "已说明"):
        assert stats[label] == rows.locator(f".tag:text-is('{label}')").count(), label
    police_rows = office.locator("#rect-list tbody tr", has_text="县公安局")
    for problem in PROBLEMS:
        expect(police_rows.filter(has_text=problem)).to_have_count(1)
    office.screenshot(path=str(tmp_path / "tracker.png"), full_page=True)
    for page in (office, liaison):
        page.context.close()
