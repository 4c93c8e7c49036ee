"""From paper tallies to published results: the office types three units' 人大代表/政协委员 tallies into the
grid with the keyboard (one row refused for adding up to more than the questionnaires returned, then
corrected), publishes a new version with the full ranking; 县公安局's liaison reads its own score, grade,
rank and breakdown, and cannot open another unit's breakdown."""
import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import sign_in

SHOTS = Path("/tmp/results_shots")
QUESTIONNAIRE = "2026年度政风行风满意度测评表"
RTYPE = "人大代表/政协委员"
ROUND = "11月集中评议"
# 回收问卷数 and, per question, the counts of 满意 / 基本满意 / 不满意 / 不了解.
TALLIES = {
    "县公安局": (10, (8, 2, 0, 0)),
    "县财政局": (9, (6, 2, 1, 0)),
    "县卫生局": (8, (5, 1, 1, 1)),
}
OVER = (8, 3, 1, 0)  # 12 votes for 10 questionnaires: refused


def unit_row(page, name):
    return page.locator("tr").filter(has=page.locator("td", has_text=re.compile(f"^{name}$")))


def unit_id_of(page, name):
    href = unit_row(page, name).get_by_role("link", name="汇总录入").get_attribute("href")
    return int(re.search(r"/units/(\d+)/tallies", href).group(1))


def choose_batch(page):
    """Questionnaire, 测评对象 and 轮次 with the selects, then 切换."""
    filters = page.locator("form.filters")
    filters.locator("select[name=questionnaire]").select_option(label=QUESTIONNAIRE)
    filters.get_by_label("测评对象").select_option(label=RTYPE)
    filters.get_by_label("轮次").select_option(label=ROUND)
    filters.get_by_role("button", name="切换").click()
    expect(page.locator("form[data-tally] p.small.muted").first).to_contain_text(f"{ROUND} · {RTYPE} · {QUESTIONNAIRE}")


def type_grid(page, ballots, rows):
    """Type 回收问卷数 and every count with the keyboard, Enter moving to the next cell (each cell's old
    value is selected on arrival, so typing overwrites it)."""
    box = page.get_by_label("回收问卷数（份）")
    box.click()
    box.press("Control+a")
    page.keyboard.type(str(ballots))
    page.keyboard.press("Enter")
    expect(page.get_by_label("第1题满意", exact=True)).to_be_focused()
    cells = [str(n) for row in rows for n in row]
    for index, value in enumerate(cells):
        page.keyboard.type(value)
        if index < len(cells) - 1:
            page.keyboard.press("Enter")
    expect(page.get_by_label(f"第{len(rows)}题不了解", exact=True)).to_be_focused()


def grid_row(page, number):
    return page.locator("form[data-tally] tr[data-row]").nth(number - 1)


def row_values(page, number):
    return tuple(int(v) for v in grid_row(page, number).locator("input[data-count]").evaluate_all(
        "inputs => inputs.map(i => i.value)"))


def enter_tally(page, base, unit, unit_id, refuse_first=False):
    page.goto(base + "/surveys")
    unit_row(page, unit).get_by_role("link", name="汇总录入").click()
    expect(page).to_have_url(re.compile(rf"/units/{unit_id}/tallies"))
    expect(page.locator("h1")).to_have_text(f"{unit} · 纸质问卷汇总录入")
    choose_batch(page)
    questions = page.locator("form[data-tally] tr[data-row]").count()
    assert questions >= 2
    ballots, good = TALLIES[unit]
    if refuse_first:
        ballots = 10
        type_grid(page, ballots, [OVER] + [good] * (questions - 1))
        sum_cell = grid_row(page, 1).locator("[data-sum]")
        expect(sum_cell).to_have_text(str(sum(OVER)))
        expect(sum_cell).to_have_class(re.compile(r"\bover\b"))  # flagged before sending
        page.get_by_role("button", name="保存", exact=True).click()
        expect(page.locator("p.flash-error")).to_contain_text("有 1 题的票数不对")
        refused = grid_row(page, 1)
        expect(refused).to_have_class(re.compile(r"\brow-error\b"))
        expect(refused.locator(".error")).to_contain_text("超过回收问卷数")
        expect(refused.locator(".error")).to_contain_text(f"各选项合计 {sum(OVER)} 票，超过回收问卷数 {ballots} 份")
        assert row_values(page, 1) == OVER  # what was typed is still there
        for n in range(2, questions + 1):  # the other rows were saved (they are shown from the database)
            assert row_values(page, n) == good, n
            expect(grid_row(page, n)).not_to_have_class(re.compile(r"\brow-error\b"))
        expect(page.get_by_label("回收问卷数（份）")).to_have_value(str(ballots))
        expect(page.locator("form[data-tally] .small.muted").first).to_contain_text("上次保存")
        page.screenshot(path=str(SHOTS / "tally_row_error.png"), full_page=True)
        # Correct the refused row: 满意 8 → 5 (5 + 3 + 1 + 0 = 9 ≤ 10).
        cell = page.get_by_label("第1题满意", exact=True)
        cell.click()
        cell.press("Control+a")
        page.keyboard.type("5")
        page.get_by_role("button", name="保存", exact=True).click()
        expect(page.locator("#flash .flash-ok")).to_have_text(f"已保存{unit}{ROUND}“{RTYPE}”的测评票数")
        assert row_values(page, 1) == (5, 3, 1, 0)
        for n in range(2, questions + 1):
            assert row_values(page, n) == good, n
    else:
        type_grid(page, ballots, [good] * questions)
        page.get_by_role("button", name="保存", exact=True).click()
        expect(page.locator("#flash .flash-ok")).to_have_text(f"已保存{unit}{ROUND}“{RTYPE}”的测评票数")
        for n in range(1, questions + 1):
            assert row_values(page, n) == good, n
    expect(page.locator("p.flash-error")).to_have_count(0)
    expect(page.locator(".row-error")).to_have_count(0)
    expect(page.get_by_label("回收问卷数（份）")).to_have_value(str(ballots))
    # The selects still show the batch just saved.
    expect(page.get_by_label("测评对象").locator("option:checked")).to_have_text(RTYPE)
    expect(page.get_by_label("轮次").locator("option:checked")).to_have_text(ROUND)


def test_tallies_publish_and_unit_breakdown(live_server, page):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.on("dialog", lambda dialog: dialog.accept())  # the confirm() before publishing
    base = live_server

    # 1. The office enters three units' tallies.
    sign_in(page, base, "office")
    page.get_by_role("link", name="测评", exact=True).click()
    expect(page.locator("h1")).to_have_text("满意度测评")
    ids = {name: unit_id_of(page, name) for name in TALLIES}
    for name in TALLIES:
        enter_tally(page, base, name, ids[name], refuse_first=(name == "县财政局"))

    # 2. Results: publish a new version with the full ranking.
    page.get_by_role("link", name="结果", exact=True).click()
    expect(page.locator("h1")).to_contain_text("实时计算（按当前录入，未发布）")
    card = page.locator("section.card", has=page.get_by_role("heading", name="发布结果"))
    card.get_by_role("link", name=re.compile(r"^发布前检查（第 \d+ 版）$")).click()  # the check page first
    publish = page.get_by_role("button", name=re.compile(r"^发布第 \d+ 版$"))
    number = int(re.search(r"\d+", publish.inner_text()).group())
    page.get_by_label("向各单位公开各排名分组的完整排名").check()
    for box in page.locator("input[name=seen]").all():  # every finding of the checks seen
        box.check()
    publish.click()
    expect(page.locator("#flash .flash-ok")).to_have_text(f"已发布第 {number} 版评议结果：各单位现在可以查看")
    expect(page).to_have_url(re.compile(rf"/results\?version={number}$"))
    expect(page.locator("h1 .tag")).to_have_text(f"第 {number} 版 · 已发布")
    versions = page.locator("section.card", has=page.get_by_role("heading", name="已发布的版本"))
    expect(versions.locator("tbody tr").first).to_contain_text(f"第 {number} 版")
    expect(versions.locator("tbody tr").first.locator("td").nth(3)).to_have_text("是")

    first_group = page.locator("section#group-1")
    ranked = int(re.search(r"（(\d+) 个单位排名）", first_group.locator("h2").inner_text()).group(1))
    assert ranked > 0
    chart = first_group.locator("svg.chart")
    expect(chart).to_be_visible()
    expect(chart.locator("rect.bar")).to_have_count(ranked)
    ranked_rows = first_group.locator("table.results-table tbody tr").filter(
        has=page.locator("td.num:first-child", has_text=re.compile(r"^\d+$")))
    expect(ranked_rows).to_have_count(ranked)
    totals = {}
    for name in TALLIES:
        row = page.locator("table.results-table tbody tr").filter(
            has=page.get_by_role("link", name=name, exact=True))
        expect(row).to_have_count(1)
        totals[name] = row.locator("td strong").inner_text()
        assert re.fullmatch(r"\d+\.\d\d", totals[name]), (name, totals[name])
    police_rank = page.locator("table.results-table tbody tr").filter(
        has=page.get_by_role("link", name="县公安局", exact=True)).locator("td").first.inner_text()
    page.screenshot(path=str(SHOTS / "results_office_published.png"), full_page=True)

    # 3. 县公安局's liaison reads its own result and breakdown.
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/login"))
    sign_in(page, base, "unit")
    page.get_by_role("link", name="结果", exact=True).click()
    expect(page.locator("h1 .tag")).to_have_text(f"第 {number} 版 · 已发布")
    own = page.locator("section.card", has=page.get_by_role("heading", name="本单位结果"))
    expect(own.locator(".stat", has_text="综合得分").locator(".num")).to_have_text(totals["县公安局"])
    grade = own.locator(".stat", has_text="评定等次").locator(".num").inner_text()
    assert grade and grade != "—"
    expect(own.locator(".stat", has_text="组内名次").locator(".num")).to_contain_text(f"{police_rank} / ")
    own.get_by_role("link", name="查看得分明细和计算过程").click()
    expect(page).to_have_url(re.compile(rf"/results/units/{ids['县公安局']}$"))
    expect(page.locator("h1")).to_have_text("县公安局 · 评议得分明细")
    expect(page.locator("p.small.muted").first).to_contain_text(f"第 {number} 版")
    headings = page.locator("section.card h2")
    for title in ("一、群众满意度", "二、检查考核", "三、整改落实", "四、工作任务", "五、领导评议", "加权、问题扣分与等次"):
        expect(headings.filter(has_text=title)).to_have_count(1)  # the demo scheme's components, in order
    survey = page.locator("section.card", has=page.get_by_role("heading", name=re.compile("一、群众满意度")))
    expect(survey.locator("tbody tr", has_text=RTYPE)).to_be_visible()
    expect(survey.locator("p.formula").first).to_contain_text("÷")
    final = page.locator("section.card", has=page.get_by_role("heading", name="加权、问题扣分与等次"))
    expect(final.locator("p.formula", has_text="加权得分 =")).to_be_visible()
    expect(final.locator("p.formula", has_text="问题扣分").first).to_be_visible()
    expect(final.locator("p.formula", has_text="综合得分 =")).to_contain_text(
        f"= {totals['县公安局']}，评定等次 {grade}")
    expect(page.locator("section.stats .stat", has_text="综合得分").locator(".num")).to_have_text(totals["县公安局"])
    page.screenshot(path=str(SHOTS / "unit_breakdown.png"), full_page=True)

    response = page.goto(f"{base}/results/units/{ids['县财政局']}")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("404 · 页面不存在")
    expect(page.get_by_text("县财政局")).to_have_count(0)

    unexpected = [m for m in page.console_errors if not re.search(r"status of (400|404)", m)]
    assert not unexpected, unexpected


def test_a_questionnaire_typed_as_digits(live_server, page):
    """逐张录入 with the keyboard only: one digit per question (0 = left blank), then Enter."""
    sign_in(page, live_server, "office")
    page.goto(f"{live_server}/surveys")
    unit_id = unit_id_of(page, "县司法局")
    page.goto(f"{live_server}/units/{unit_id}/ballots")
    expect(page.get_by_text("已录入 0 张")).to_be_visible()
    first = page.locator("form[data-ballot-keys] input[type=radio]").first
    expect(first).to_be_focused()
    questions = page.locator("form[data-ballot-keys] fieldset").count()
    digits = ["1", "2", "1", "0", "3", "1", "2"][:questions]
    for digit in digits:
        page.keyboard.press(digit)
    expect(page.get_by_role("button", name="保存本张并录入下一张")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text("已录入 1 张问卷，请继续录入下一张")).to_be_visible()
    expect(page.get_by_text("已录入 1 张。", exact=False)).to_be_visible()
    row = page.locator("section.card table tbody tr").first
    expect(row.locator("td").nth(3)).to_have_text("满意")
    expect(row.locator("td").nth(4)).to_have_text("基本满意")
    expect(row.locator("td").nth(6)).to_have_text("—")  # question 4 was left blank
    expect(row.locator("td").nth(7)).to_have_text("不满意")
